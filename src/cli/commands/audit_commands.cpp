// `fleetpki audit verify|export|checkpoint`.
#include "cli/commands/commands.h"

namespace fleetpki::cli {

void add_audit_commands(CLI::App& app, std::function<int()>& run) {
  (void)app;
  (void)run;
}

}  // namespace fleetpki::cli
