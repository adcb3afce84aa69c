// Certificate profiles as data: create, version, retire; built-in templates.
// A service of the Authority (Authority::profiles()); entry points authorize the principal first
// (ProfileRead / ProfileManage), every change writes its audit event in the same transaction and
// drops the tenant's cached runtime after commit, so the next issuance uses the new version.
//
//   FLEETPKI_TRY(auto created, authority.profiles().create(who, "acme",
//       R"({"name": "dac-fff1", "template": "matter-dac", "key_types": ["ec-p256"]})", call));
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "authority/authority.h"
#include "authority/profile.h"

namespace fleetpki::authority {

/// One profile name with all its versions.
struct ProfileSummary {
  std::int64_t id = 0;                    // row id of its first version (the paging key)
  std::string name;
  std::optional<int> version_in_force;    // highest non-retired version; nullopt = retired
  std::vector<store::ProfileRecord> versions;  // ascending
};

struct ProfileListPage {
  std::vector<ProfileSummary> items;
  std::optional<std::int64_t> next_after_id;
};

struct ProfileListQuery {
  std::optional<bool> retired;  // nullopt = all
  int limit = 100;              // 1..1000
  std::int64_t after_id = 0;
};

/// Largest accepted profile definition (JSON text).
inline constexpr std::size_t kMaxProfileDefinitionBytes = 64 * 1024;

class ProfileCatalog final {
 public:
  explicit ProfileCatalog(Authority& authority) : authority_(authority) {}
  ProfileCatalog(const ProfileCatalog&) = delete;
  ProfileCatalog& operator=(const ProfileCatalog&) = delete;

  /// Creates version 1 from a definition, or from a built-in template: {"name": N, "template": T,
  /// …fields that replace the template's}. AlreadyExists when the name is taken (even retired);
  /// NotFound for an unknown template; InvalidArgument naming the bad field; the CA must exist.
  Result<ProfileSummary> create(const Principal& who, std::string_view tenant, std::string_view definition_json,
                                const CallContext& call);
  /// A new version (the next number, allocated in the transaction) from a full definition (or a
  /// template plus overrides). NotFound for an unknown profile; FailedPrecondition when retired.
  Result<store::ProfileRecord> add_version(const Principal& who, std::string_view tenant, std::string_view name,
                                           std::string_view definition_json, const CallContext& call);
  /// Retires one version, or every version (nullopt): no new issuance under it; certificates
  /// already issued are untouched. FailedPrecondition when already retired.
  Result<ProfileSummary> retire(const Principal& who, std::string_view tenant, std::string_view name,
                                std::optional<int> version, const CallContext& call);

  Result<ProfileSummary> get(const Principal& who, std::string_view tenant, std::string_view name);
  Result<store::ProfileRecord> get_version(const Principal& who, std::string_view tenant, std::string_view name,
                                           int version);
  Result<ProfileListPage> list(const Principal& who, std::string_view tenant, const ProfileListQuery& query);

  /// The built-in templates (any authenticated principal may read them).
  static std::vector<Profile> templates();

 private:
  /// The definition to validate: the body itself, or the template's JSON with the body's fields
  /// applied. `name` (when set) must match the body's name, which it defaults.
  Result<Profile> resolve_definition(std::string_view definition_json, std::optional<std::string_view> name) const;
  Status check_ca(const TenantRuntime& tenant, const Profile& profile) const;

  Authority& authority_;
};

}  // namespace fleetpki::authority
