// PLACEHOLDER (issue #5): replaced by the authority helper.
#include "authority/enrollment_endpoint.h"

namespace fleetpki::authority {

Result<EndpointSpec> EndpointSpec::from_json(std::string_view) {
  return fail(Errc::Unimplemented, "enrollment endpoints are not implemented yet");
}
std::string EndpointSpec::to_json() const { return "{}"; }
bool EndpointSpec::allows(EstAuthMode mode) const {
  for (EstAuthMode m : auth) {
    if (m == mode) return true;
  }
  return false;
}
bool is_valid_enrollment_label(std::string_view) { return false; }
std::string_view est_auth_mode_name(EstAuthMode) { return ""; }
std::string_view est_linking_name(EstLinking) { return ""; }

}  // namespace fleetpki::authority
