#include "server/api_v1/enrollment_json.h"

#include "common/time_format.h"
#include "pki/pem.h"

namespace fleetpki::server::api_v1 {

using nlohmann::json;

namespace {
json optional_time(const std::optional<std::int64_t>& t) { return t ? json(format_rfc3339(*t)) : json(nullptr); }
json optional_text(const std::optional<std::string>& s) { return s ? json(*s) : json(nullptr); }
}  // namespace

std::string est_base_path(const std::string& label) { return "/.well-known/est/" + label + "/"; }

json endpoint_json(const authority::EndpointView& view, const std::string& tenant) {
  json j = json::parse(view.spec.to_json(), nullptr, false);
  if (!j.is_object()) j = json::object();
  j["label"] = view.record.label;
  j["tenant"] = tenant;
  j["disabled"] = view.record.disabled;
  j["created_at"] = format_rfc3339(view.record.created_at);
  j["updated_at"] = format_rfc3339(view.record.updated_at);
  j["url"] = est_base_path(view.record.label);
  return j;
}

json endpoint_crl_json(const authority::EndpointCrlView& view) {
  const store::EndpointCrlRecord& r = view.record;
  return {{"issuer", view.issuer_subject},
          {"issuer_sha256", r.issuer_sha256},
          {"crl_number", optional_text(r.crl_number)},
          {"this_update", format_rfc3339(r.this_update)},
          {"next_update", optional_time(r.next_update)},
          {"revoked_count", r.revoked_count},
          {"uploaded_at", format_rfc3339(r.created_at)},
          {"in_use", view.in_use}};
}

json enrollment_request_json(const store::EnrollmentRequestRecord& r) {
  return {{"id", r.id},
          {"endpoint_id", r.endpoint_id},
          {"endpoint", r.endpoint_label},
          {"device_serial", r.device_serial},
          {"auth_mode", r.auth_mode},
          {"identity", r.identity},
          {"state", r.state},
          {"csr", pki::pem_encode(r.csr_der, "CERTIFICATE REQUEST")},
          {"certificate_serial", optional_text(r.certificate_serial)},
          {"decided_by", optional_text(r.decided_by)},
          {"reason", optional_text(r.reason)},
          {"created_at", format_rfc3339(r.created_at)},
          {"decided_at", optional_time(r.decided_at)}};
}

}  // namespace fleetpki::server::api_v1
