// `fleetpki tenant …` and `fleetpki ca …`.
#include "cli/commands/commands.h"

namespace fleetpki::cli {

void add_tenant_commands(CLI::App& app, std::function<int()>& run) {
  (void)app;
  (void)run;
}

}  // namespace fleetpki::cli
