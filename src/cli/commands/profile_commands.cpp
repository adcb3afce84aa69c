// `fleetpki profiles …` on the data folder (operator at the console, no server needed):
//   fleetpki profiles list      --data DIR [--tenant T] [--status active|retired]
//   fleetpki profiles show      --data DIR [--tenant T] --name N [--version V]
//   fleetpki profiles create    --data DIR [--tenant T] --file DEF.json     (a definition or a template + overrides)
//   fleetpki profiles version   --data DIR [--tenant T] --name N --file DEF.json
//   fleetpki profiles retire    --data DIR [--tenant T] --name N [--version V]
//   fleetpki profiles templates
// A running server picks a change up at its next issuance for the tenant only after a restart
// (its tenant cache is per process).
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "authority/profile_catalog.h"
#include "cli/commands/commands.h"
#include "cli/commands/report.h"
#include "cli/data_dir.h"

namespace fleetpki::cli {
namespace {

struct ProfileOptions {
  std::string dir;
  std::string tenant = "default";
  std::string name;
  std::string file;
  std::string status;
  int version = 0;  // 0 = none given
};

Result<std::string> read_definition(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(Errc::InvalidArgument, "cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  if (text.str().size() > authority::kMaxProfileDefinitionBytes) {
    return fail(Errc::InvalidArgument, path + " is larger than 64 KiB");
  }
  return text.str();
}

void print_summary(const authority::ProfileSummary& s) {
  std::cout << s.name << " " << (s.version_in_force ? "v" + std::to_string(*s.version_in_force) : "retired") << " ("
            << s.versions.size() << " version" << (s.versions.size() == 1 ? "" : "s") << ")\n";
}

int run_action(const ProfileOptions& opt, std::string_view action) {
  if (action == "templates") {
    for (const auto& p : authority::ProfileCatalog::templates()) std::cout << p.name << "\n";
    return kExitOk;
  }
  auto rt = open_runtime(opt.dir);
  if (!rt) return report_failure(rt.error());
  auto& catalog = (*rt)->authority->profiles();
  const auto who = local_operator();
  const authority::CallContext call{"cli"};
  std::optional<int> version;
  if (opt.version != 0) version = opt.version;
  if (action == "list") {
    authority::ProfileListQuery q;
    if (!opt.status.empty()) {
      if (opt.status != "active" && opt.status != "retired") {
        return report_failure(make_error(Errc::InvalidArgument, "--status must be active or retired"));
      }
      q.retired = opt.status == "retired";
    }
    q.limit = 1000;
    while (true) {
      auto page = catalog.list(who, opt.tenant, q);
      if (!page) return report_failure(page.error());
      for (const auto& s : page->items) print_summary(s);
      if (!page->next_after_id) return kExitOk;
      q.after_id = *page->next_after_id;
    }
  }
  if (action == "show") {
    if (version) {
      auto v = catalog.get_version(who, opt.tenant, opt.name, *version);
      if (!v) return report_failure(v.error());
      std::cout << nlohmann::json::parse(v->definition_json).dump(2) << "\n";
      return kExitOk;
    }
    auto s = catalog.get(who, opt.tenant, opt.name);
    if (!s) return report_failure(s.error());
    print_summary(*s);
    for (const auto& v : s->versions) {
      if (s->version_in_force && v.version == *s->version_in_force) {
        std::cout << nlohmann::json::parse(v.definition_json).dump(2) << "\n";
      }
    }
    return kExitOk;
  }
  if (action == "retire") {
    auto s = catalog.retire(who, opt.tenant, opt.name, version, call);
    if (!s) return report_failure(s.error());
    print_summary(*s);
    return kExitOk;
  }
  auto definition = read_definition(opt.file);
  if (!definition) return report_failure(definition.error());
  if (action == "create") {
    auto s = catalog.create(who, opt.tenant, *definition, call);
    if (!s) return report_failure(s.error());
    print_summary(*s);
    return kExitOk;
  }
  auto v = catalog.add_version(who, opt.tenant, opt.name, *definition, call);
  if (!v) return report_failure(v.error());
  std::cout << v->name << " v" << v->version << "\n";
  return kExitOk;
}

void add_action(CLI::App& parent, std::function<int()>& run, const char* name, const char* help) {
  auto* cmd = parent.add_subcommand(name, help);
  auto opt = std::make_shared<ProfileOptions>();
  const std::string_view n = name;
  if (n != "templates") {
    cmd->add_option("--data", opt->dir, "Data folder")->required();
    cmd->add_option("--tenant", opt->tenant, "Tenant")->capture_default_str();
  }
  if (n == "show" || n == "version" || n == "retire") cmd->add_option("--name", opt->name, "Profile name")->required();
  if (n == "create" || n == "version") cmd->add_option("--file", opt->file, "Definition (JSON)")->required();
  if (n == "show" || n == "retire") cmd->add_option("--version", opt->version, "One version")->check(CLI::Range(1, 1000000));
  if (n == "list") cmd->add_option("--status", opt->status, "active or retired");
  cmd->callback([&run, opt, name] { run = [opt, name] { return run_action(*opt, name); }; });
}

}  // namespace

void add_profile_commands(CLI::App& app, std::function<int()>& run) {
  auto* profiles = app.add_subcommand("profiles", "Certificate profiles: list, show, create, version, retire");
  profiles->require_subcommand(1);
  add_action(*profiles, run, "list", "List the tenant's profiles");
  add_action(*profiles, run, "show", "Show a profile (the version in force) or one version");
  add_action(*profiles, run, "create", "Create a profile from a definition or a template");
  add_action(*profiles, run, "version", "Add a version (in force at once)");
  add_action(*profiles, run, "retire", "Retire a profile or one version");
  add_action(*profiles, run, "templates", "List the built-in templates");
}

}  // namespace fleetpki::cli
