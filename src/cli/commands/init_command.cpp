// `fleetpki init --data DIR [--tenant NAME]`
#include <iostream>

#include "cli/commands/commands.h"
#include "cli/commands/report.h"
#include "cli/commands/serve_services.h"
#include "cli/data_dir.h"

namespace fleetpki::cli {

void add_init_command(CLI::App& app, std::function<int()>& run) {
  auto* cmd = app.add_subcommand("init", "Create a data folder: database, development CAs, profiles, admin token");
  auto dir = std::make_shared<std::string>();
  auto tenant = std::make_shared<std::string>("default");
  cmd->add_option("--data", *dir, "Data folder to create")->required();
  cmd->add_option("--tenant", *tenant, "Name of the first tenant")->capture_default_str();
  cmd->callback([&run, dir, tenant] {
    run = [dir, tenant] {
      auto token_path = initialize(*dir, *tenant);
      if (!token_path) return report_failure(token_path.error());
      // The audit key is pinned now, before anyone else can touch the database.
      auto rt = open_runtime(*dir);
      if (!rt) return report_failure(rt.error());
      if (auto pinned = ensure_pinned_audit_key(**rt); !pinned) return report_failure(pinned.error());
      std::cout << "initialized " << *dir << "; admin token in " << token_path->string() << "\n";
      return kExitOk;
    };
  });
}

}  // namespace fleetpki::cli
