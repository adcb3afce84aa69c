// GET /metrics on the plain-HTTP listener: Prometheus text exposition format 0.0.4.
//
//   fleetpki_certificates{tenant,status}               gauge (Store::count_certificates_by_status)
//   fleetpki_certificates_{issued,revoked,suspended,reactivated,renewed,rekeyed}_total   counters
//   fleetpki_ocsp_responses_total{status}              by OCSPResponseStatus (successful, …)
//   fleetpki_ocsp_certificate_status_total{status}     good, revoked, unknown
//   fleetpki_ocsp_cache_lookups_total{result}          hit, miss
//   fleetpki_ocsp_response_duration_seconds            histogram of the responder's work
//   fleetpki_store_up                                  0 when the certificate counts failed
//   fleetpki_est_outside_crl_next_update_timestamp_seconds{tenant,endpoint,issuer}  uploaded CRLs (ADR 0017)
//   fleetpki_est_outside_crl_revoked{tenant,endpoint,issuer}                        their entry counts
// and a few OCSP housekeeping counters. Counters are since the process started.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "authority/authority.h"
#include "authority/ocsp_responder.h"
#include "server/router.h"
#include "store/store.h"

namespace fleetpki::server::revocation {

struct MetricsSources {
  authority::Authority& authority;
  store::Store& store;
  const authority::OcspResponder* ocsp = nullptr;  // OCSP series omitted when null
  /// The certificate counts scan the store; they are reused for this long between scrapes.
  std::chrono::milliseconds counts_ttl{5000};
  /// The series name tenants and their sizes: by default only loopback clients may scrape (others
  /// get 403), since the plain listener also faces the relying parties of OCSP and CRLs.
  bool allow_remote = false;
};

/// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (the text of Request::remote_address).
bool is_loopback_address(std::string_view address);

/// Registers GET /metrics. The sources must outlive the router's use.
void register_metrics_routes(Router& http, MetricsSources sources);

/// The exposition text of one scrape (what GET /metrics returns; uncached counts).
std::string metrics_text(const MetricsSources& sources);

}  // namespace fleetpki::server::revocation
