// PLACEHOLDER (issue #5): replaced by the authority helper.
#include "authority/est_enrollment.h"

namespace fleetpki::authority {
namespace {
Error todo() { return Error{Errc::Unimplemented, "EST enrollment is not implemented yet"}; }
}  // namespace

struct EstEnrollment::Impl {};
EstEnrollment::EstEnrollment(Authority&) : impl_(std::make_unique<Impl>()) {}
EstEnrollment::~EstEnrollment() = default;
Result<Bytes> EstEnrollment::cacerts(std::string_view) { return fail(todo()); }
Result<Bytes> EstEnrollment::csrattrs(std::string_view) { return fail(todo()); }
Result<EstResult> EstEnrollment::simpleenroll(std::string_view, const EstClient&, ByteView, const CallContext&) {
  return fail(todo());
}
Result<EstResult> EstEnrollment::simplereenroll(std::string_view, const EstClient&, ByteView, const CallContext&) {
  return fail(todo());
}
Result<EstResult> EstEnrollment::serverkeygen(std::string_view, const EstClient&, ByteView, const CallContext&) {
  return fail(todo());
}
void EstEnrollment::invalidate(std::string_view) {}

}  // namespace fleetpki::authority
