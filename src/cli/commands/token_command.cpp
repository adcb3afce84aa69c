// `fleetpki token create --data DIR --tenant T --role R`
#include <iostream>

#include "cli/commands/commands.h"
#include "cli/commands/report.h"
#include "cli/data_dir.h"

namespace fleetpki::cli {

void add_token_command(CLI::App& app, std::function<int()>& run) {
  auto* token = app.add_subcommand("token", "Manage API tokens");
  token->require_subcommand(1);
  auto* create = token->add_subcommand("create", "Create a bearer token and print it");
  auto dir = std::make_shared<std::string>();
  auto tenant = std::make_shared<std::string>("default");
  auto role = std::make_shared<std::string>();
  auto platform = std::make_shared<bool>(false);
  create->add_option("--data", *dir, "Data folder")->required();
  create->add_option("--tenant", *tenant, "Tenant the token acts for")->capture_default_str();
  create->add_option("--role", *role, "admin, operator, auditor or enrollment")->required();
  create->add_flag("--platform", *platform, "A platform-wide token (every tenant); admin role only");
  create->callback([&run, dir, tenant, role, platform] {
    run = [dir, tenant, role, platform] {
      auto parsed_role = authority::parse_role(*role);
      if (!parsed_role) return report_failure(parsed_role.error());
      auto rt = open_runtime(*dir);
      if (!rt) return report_failure(rt.error());
      std::optional<std::string> scope;
      if (!*platform) scope = *tenant;
      auto created = (*rt)->authority->create_token(local_operator(), scope, *parsed_role, {"cli"});
      if (!created) return report_failure(created.error());
      std::cout << *created << "\n";
      return kExitOk;
    };
  });
}

}  // namespace fleetpki::cli
