// The `fleetpki` executable: parses the command line and runs one subcommand.
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

#include "cli/commands/commands.h"

int main(int argc, char** argv) {
  using namespace fleetpki::cli;
  CLI::App app{"fleetpki: IoT PKI and device identity platform"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "fleetpki 0.1.0");
  std::function<int()> run;
  add_init_command(app, run);
  add_serve_command(app, run);
  add_token_command(app, run);
  add_issue_command(app, run);
  add_certificate_commands(app, run);
  add_tenant_commands(app, run);
  add_device_commands(app, run);
  add_profile_commands(app, run);
  add_audit_commands(app, run);
  add_enrollment_commands(app, run);
  add_ceremony_command(app, run);
  add_keys_command(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // 0
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (!run) return kExitUsage;
  try {
    return run();
  } catch (const std::exception& e) {
    std::cerr << "fleetpki: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
}
