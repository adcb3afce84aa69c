// Certificate lifecycle: revoke, suspend, reactivate, renew, re-key, revoke-by-query.
#include "authority/authority.h"

namespace fleetpki::authority {

namespace {
Error not_yet() { return make_error(Errc::Unimplemented, "not implemented yet"); }
}  // namespace

Result<store::CertificateRecord> Authority::revoke(const Principal&, std::string_view, std::string_view,
                                                   pki::CrlReason, std::optional<TimePoint>, const CallContext&) {
  return fail(not_yet());
}
Result<store::CertificateRecord> Authority::suspend(const Principal&, std::string_view, std::string_view,
                                                    const CallContext&) {
  return fail(not_yet());
}
Result<store::CertificateRecord> Authority::reactivate(const Principal&, std::string_view, std::string_view,
                                                       const CallContext&) {
  return fail(not_yet());
}
Result<IssuedCertificate> Authority::renew(const Principal&, std::string_view, std::string_view, const CallContext&) {
  return fail(not_yet());
}
Result<IssuedCertificate> Authority::rekey(const Principal&, std::string_view, std::string_view, std::string_view,
                                           const CallContext&) {
  return fail(not_yet());
}
Result<store::BulkJobRecord> Authority::start_bulk_revoke(const Principal&, std::string_view, const BulkRevokeQuery&,
                                                          pki::CrlReason, const CallContext&) {
  return fail(not_yet());
}
Result<store::BulkJobRecord> Authority::get_bulk_job(const Principal&, std::string_view, std::int64_t) {
  return fail(not_yet());
}
Status Authority::run_bulk_jobs() { return ok(); }

Result<std::vector<std::shared_ptr<const CaRuntime>>> Authority::all_cas() {
  FLEETPKI_TRY(auto tenants, deps_.store.list_tenants());
  std::vector<std::shared_ptr<const CaRuntime>> cas;
  for (const auto& tenant : tenants) {
    if (tenant.disabled) continue;
    FLEETPKI_TRY(auto runtime, tenant_runtime(tenant.name));
    for (const auto& [name, ca] : runtime->cas) cas.push_back(ca);
  }
  return cas;
}

void Authority::add_status_listener(std::function<void()> listener) {
  std::lock_guard lock(listeners_mutex_);
  status_listeners_.push_back(std::move(listener));
}

void Authority::notify_status_listeners() {
  std::lock_guard lock(listeners_mutex_);
  for (const auto& listener : status_listeners_) listener();
}

}  // namespace fleetpki::authority
