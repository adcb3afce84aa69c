#include "cli/commands/serve_services.h"

namespace fleetpki::cli {

// Placeholder until bulk jobs land (issue #3, in progress).
Result<ServiceHandle> start_bulk_job_service(Runtime&) { return ServiceHandle{}; }

}  // namespace fleetpki::cli
