#include "cli/commands/serve_services.h"

namespace fleetpki::cli {

// Placeholder until the OCSP responder lands (issue #3, in progress).
Result<ServiceHandle> start_ocsp_service(Runtime&, server::Router&) { return ServiceHandle{}; }

}  // namespace fleetpki::cli
