#include "server/api_v1/certificate_json.h"

#include "common/time_format.h"
#include "pki/crl.h"

namespace fleetpki::server::api_v1 {

using nlohmann::json;

json certificate_json(const store::CertificateRecord& rec, bool with_pem) {
  json j = {{"serial", rec.serial_hex},
            {"status", rec.status},
            {"profile", rec.profile},
            {"profile_version", rec.profile_version},
            {"subject", rec.subject},
            {"not_before", format_rfc3339(rec.not_before)},
            {"not_after", format_rfc3339(rec.not_after)},
            {"created_at", format_rfc3339(rec.created_at)}};
  if (rec.revoked_at) j["revoked_at"] = format_rfc3339(*rec.revoked_at);
  if (rec.revocation_reason) {
    j["revocation_reason"] = std::string(pki::crl_reason_name(static_cast<pki::CrlReason>(*rec.revocation_reason)));
  }
  if (with_pem) j["certificate"] = authority::Authority::certificate_pem(rec);
  return j;
}

json issued_json(const authority::IssuedCertificate& issued) {
  json j = certificate_json(issued.record, true);
  j["chain"] = issued.chain_pem;
  return j;
}

json bulk_job_json(const store::BulkJobRecord& job) {
  json j = {{"id", job.id},
            {"kind", job.kind},
            {"state", job.state},
            {"selection", json::parse(job.query_json, nullptr, false)},
            {"reason", std::string(pki::crl_reason_name(static_cast<pki::CrlReason>(job.reason)))},
            {"processed", job.processed},
            {"created_at", format_rfc3339(job.created_at)},
            {"updated_at", format_rfc3339(job.updated_at)}};
  j["selection"].erase("ca_id");  // internal
  if (!job.error.empty()) j["error"] = job.error;
  return j;
}

}  // namespace fleetpki::server::api_v1
