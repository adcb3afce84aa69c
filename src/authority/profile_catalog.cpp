#include "authority/profile_catalog.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "authority/audit_event.h"
#include "authority/default_profiles.h"

namespace fleetpki::authority {
namespace {

using nlohmann::json;

ProfileSummary summarize(std::vector<store::ProfileRecord> versions) {
  ProfileSummary s;
  std::sort(versions.begin(), versions.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  s.name = versions.front().name;
  s.id = versions.front().id;
  for (const auto& v : versions) {
    s.id = std::min(s.id, v.id);
    if (!v.retired) s.version_in_force = v.version;
  }
  s.versions = std::move(versions);
  return s;
}

tl::unexpected<Error> profile_not_found(std::string_view name) {
  return fail(Errc::NotFound, "profile '" + std::string(name) + "' not found");
}

}  // namespace

std::vector<Profile> ProfileCatalog::templates() { return builtin_templates(); }

Result<Profile> ProfileCatalog::resolve_definition(std::string_view definition_json,
                                                   std::optional<std::string_view> name) const {
  if (definition_json.size() > kMaxProfileDefinitionBytes) {
    return fail(Errc::InvalidArgument, "profile definitions are limited to 64 KiB");
  }
  json body = json::parse(definition_json, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return fail(Errc::InvalidArgument, "profile must be a JSON object");
  if (name) {
    if (body.contains("name") && (!body["name"].is_string() || body["name"].get<std::string>() != *name)) {
      return fail(Errc::InvalidArgument, "profile field 'name' must be '" + std::string(*name) + "' (the path's name)");
    }
    body["name"] = std::string(*name);
  }
  json merged = body;
  if (body.contains("template")) {
    if (!body["template"].is_string()) return fail(Errc::InvalidArgument, "profile field 'template' must be a string");
    const std::string template_name = body["template"].get<std::string>();
    auto tpl = builtin_template(template_name);
    if (!tpl) {
      return fail(Errc::NotFound, "profile template '" + template_name + "' not found (GET /api/v1/profile-templates)");
    }
    merged = json::parse(tpl->to_json());
    for (const auto& [key, value] : body.items()) {
      if (key != "template") merged[key] = value;
    }
    // A template's legacy-free form uses "validity"; an override in the legacy form replaces it.
    if (body.contains("validity_days")) merged.erase("validity");
    if (body.contains("subject_allowed") || body.contains("subject_required")) merged.erase("subject");
  }
  merged.erase("version");
  FLEETPKI_TRY(Profile profile, Profile::from_json(merged.dump()));
  return profile;
}

Status ProfileCatalog::check_ca(const TenantRuntime& tenant, const Profile& profile) const {
  if (tenant.cas.find(profile.ca) == tenant.cas.end()) {
    return fail(Errc::InvalidArgument, "profile field 'ca' names '" + profile.ca + "', which is not a CA of the tenant");
  }
  return ok();
}

Result<ProfileSummary> ProfileCatalog::create(const Principal& who, std::string_view tenant_name,
                                              std::string_view definition_json, const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::ProfileManage));
  FLEETPKI_TRY(Profile profile, resolve_definition(definition_json, std::nullopt));
  FLEETPKI_RETURN_IF_ERROR(check_ca(*tenant, profile));
  std::optional<std::string> template_name;
  if (json body = json::parse(definition_json, nullptr, false); body.is_object() && body.contains("template")) {
    template_name = body["template"].get<std::string>();
  }
  profile.version = 1;
  const std::int64_t now = to_unix(authority_.clock().now());
  store::ProfileRecord rec;
  rec.tenant_id = tenant->tenant.id;
  rec.name = profile.name;
  rec.version = 1;
  rec.definition_json = profile.to_json();
  rec.created_at = now;
  FLEETPKI_RETURN_IF_ERROR(authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(auto existing, tx.list_profile_versions(rec.tenant_id, rec.name));
    if (!existing.empty()) return fail(Errc::AlreadyExists, "profile '" + rec.name + "' already exists");
    FLEETPKI_TRY(rec.id, tx.insert_profile(rec));
    json details = {{"version", 1}, {"ca", profile.ca}};
    if (template_name) details["template"] = *template_name;
    return tx.append_audit(make_audit_event(who, rec.tenant_id, "profile.create", rec.name, call, details, now));
  }));
  authority_.invalidate_tenant(tenant_name);
  return summarize({rec});
}

Result<store::ProfileRecord> ProfileCatalog::add_version(const Principal& who, std::string_view tenant_name,
                                                         std::string_view name, std::string_view definition_json,
                                                         const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::ProfileManage));
  FLEETPKI_TRY(Profile profile, resolve_definition(definition_json, name));
  FLEETPKI_RETURN_IF_ERROR(check_ca(*tenant, profile));
  const std::int64_t now = to_unix(authority_.clock().now());
  store::ProfileRecord rec;
  rec.tenant_id = tenant->tenant.id;
  rec.name = std::string(name);
  rec.created_at = now;
  FLEETPKI_RETURN_IF_ERROR(authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(auto versions, tx.list_profile_versions(rec.tenant_id, rec.name));
    if (versions.empty()) return profile_not_found(name);
    const bool any_in_force =
        std::any_of(versions.begin(), versions.end(), [](const auto& v) { return !v.retired; });
    if (!any_in_force) {
      return fail(Errc::FailedPrecondition, "profile '" + rec.name + "' is retired: create a profile with a new name");
    }
    rec.version = versions.back().version + 1;  // ascending: the highest is last
    profile.version = rec.version;
    rec.definition_json = profile.to_json();
    FLEETPKI_TRY(rec.id, tx.insert_profile(rec));
    return tx.append_audit(make_audit_event(who, rec.tenant_id, "profile.version", rec.name, call,
                                            {{"version", rec.version}, {"ca", profile.ca}}, now));
  }));
  authority_.invalidate_tenant(tenant_name);
  return rec;
}

Result<ProfileSummary> ProfileCatalog::retire(const Principal& who, std::string_view tenant_name,
                                              std::string_view name, std::optional<int> version,
                                              const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::ProfileManage));
  const std::int64_t tenant_id = tenant->tenant.id;
  const std::int64_t now = to_unix(authority_.clock().now());
  std::vector<store::ProfileRecord> after;
  FLEETPKI_RETURN_IF_ERROR(authority_.store().write([&](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(auto versions, tx.list_profile_versions(tenant_id, name));
    if (versions.empty()) return profile_not_found(name);
    if (version && std::none_of(versions.begin(), versions.end(), [&](const auto& v) { return v.version == *version; })) {
      return fail(Errc::NotFound, "profile '" + std::string(name) + "' has no version " + std::to_string(*version));
    }
    FLEETPKI_TRY(int changed, tx.retire_profile(tenant_id, name, version));
    if (changed == 0) {
      return fail(Errc::FailedPrecondition, "profile '" + std::string(name) + "'" +
                                                (version ? " version " + std::to_string(*version) : std::string()) +
                                                " is already retired");
    }
    json details = json::object();
    if (version) details["version"] = *version;
    FLEETPKI_RETURN_IF_ERROR(
        tx.append_audit(make_audit_event(who, tenant_id, "profile.retire", std::string(name), call, details, now)));
    FLEETPKI_TRY(after, tx.list_profile_versions(tenant_id, name));
    return ok();
  }));
  authority_.invalidate_tenant(tenant_name);
  return summarize(std::move(after));
}

Result<ProfileSummary> ProfileCatalog::get(const Principal& who, std::string_view tenant_name, std::string_view name) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::ProfileRead));
  FLEETPKI_TRY(auto versions, authority_.store().find_profile_versions(tenant->tenant.id, name));
  if (versions.empty()) return profile_not_found(name);
  return summarize(std::move(versions));
}

Result<store::ProfileRecord> ProfileCatalog::get_version(const Principal& who, std::string_view tenant_name,
                                                         std::string_view name, int version) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::ProfileRead));
  FLEETPKI_TRY(auto versions, authority_.store().find_profile_versions(tenant->tenant.id, name));
  if (versions.empty()) return profile_not_found(name);
  for (auto& v : versions) {
    if (v.version == version) return std::move(v);
  }
  return fail(Errc::NotFound, "profile '" + std::string(name) + "' has no version " + std::to_string(version));
}

Result<ProfileListPage> ProfileCatalog::list(const Principal& who, std::string_view tenant_name,
                                             const ProfileListQuery& query) {
  FLEETPKI_TRY(auto tenant, authority_.authorize(who, tenant_name, Permission::ProfileRead));
  if (query.limit < 1 || query.limit > 1000) return fail(Errc::InvalidArgument, "limit must be 1..1000");
  FLEETPKI_TRY(auto rows, authority_.store().list_profile_page(tenant->tenant.id, query.after_id, query.limit + 1,
                                                               query.retired));
  // Rows come grouped by profile, in profile id order.
  ProfileListPage page;
  std::vector<store::ProfileRecord> group;
  auto flush = [&] {
    if (!group.empty()) page.items.push_back(summarize(std::move(group)));
    group.clear();
  };
  for (auto& row : rows) {
    if (!group.empty() && group.front().name != row.name) flush();
    group.push_back(std::move(row));
  }
  flush();
  if (page.items.size() > static_cast<std::size_t>(query.limit)) {
    page.items.resize(static_cast<std::size_t>(query.limit));
    page.next_after_id = page.items.back().id;
  }
  return page;
}

}  // namespace fleetpki::authority
