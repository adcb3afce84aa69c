// PLACEHOLDER (issue #5): replaced by the authority helper.
#include "authority/enrollment_admin.h"

namespace fleetpki::authority {
namespace {
Error todo() { return Error{Errc::Unimplemented, "enrollment administration is not implemented yet"}; }
}  // namespace

Result<EndpointView> EnrollmentAdmin::create_endpoint(const Principal&, std::string_view, std::string_view,
                                                      const EndpointSpec&, const CallContext&) { return fail(todo()); }
Result<EndpointView> EnrollmentAdmin::update_endpoint(const Principal&, std::string_view, std::string_view,
                                                      const EndpointSpec&, const CallContext&) { return fail(todo()); }
Result<EndpointView> EnrollmentAdmin::set_endpoint_disabled(const Principal&, std::string_view, std::string_view, bool,
                                                            const CallContext&) { return fail(todo()); }
Result<EndpointView> EnrollmentAdmin::get_endpoint(const Principal&, std::string_view, std::string_view) {
  return fail(todo());
}
Result<store::Page<EndpointView>> EnrollmentAdmin::list_endpoints(const Principal&, std::string_view, std::int64_t,
                                                                  int) { return fail(todo()); }
Result<store::Page<store::EnrollmentRequestRecord>> EnrollmentAdmin::list_requests(const Principal&, std::string_view,
                                                                                   std::optional<std::string>,
                                                                                   std::int64_t, int) {
  return fail(todo());
}
Result<store::EnrollmentRequestRecord> EnrollmentAdmin::get_request(const Principal&, std::string_view, std::int64_t) {
  return fail(todo());
}
Result<store::EnrollmentRequestRecord> EnrollmentAdmin::approve_request(const Principal&, std::string_view,
                                                                        std::int64_t, const CallContext&) {
  return fail(todo());
}
Result<store::EnrollmentRequestRecord> EnrollmentAdmin::reject_request(const Principal&, std::string_view,
                                                                       std::int64_t, std::string_view,
                                                                       const CallContext&) { return fail(todo()); }
Result<CreatedOtp> EnrollmentAdmin::create_otp(const Principal&, std::string_view, std::string_view,
                                               std::chrono::seconds, const CallContext&) { return fail(todo()); }
Result<store::RenewalGrantRecord> EnrollmentAdmin::grant_renewal(const Principal&, std::string_view, std::string_view,
                                                                 std::chrono::seconds, const CallContext&) {
  return fail(todo());
}
Status add_default_enrollment_endpoint(store::Transaction&, std::int64_t, std::int64_t) { return ok(); }

}  // namespace fleetpki::authority
