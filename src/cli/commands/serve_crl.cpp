#include "cli/commands/serve_services.h"

namespace fleetpki::cli {

// Placeholder until the CRL publisher lands (issue #3, in progress).
Result<ServiceHandle> start_crl_service(Runtime&, server::Router&) { return ServiceHandle{}; }

}  // namespace fleetpki::cli
