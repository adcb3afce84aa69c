// GET /metrics: Prometheus text format 0.0.4, written by the tiny PrometheusText below.
#include "server/revocation/metrics_routes.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "server/problem_json.h"

namespace fleetpki::server::revocation {
namespace {

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

/// The exposition format, nothing more: "# HELP", "# TYPE" once per family, then samples
/// `name{label="value",…} value`. Label values escape \, " and newline; HELP escapes \ and newline.
class PrometheusText final {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    for (char c : help) {
      if (c == '\\') out_ += "\\\\";
      else if (c == '\n') out_ += "\\n";
      else out_ += c;
    }
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  void sample(std::string_view name, Labels labels, std::uint64_t value) {
    begin(name, labels);
    out_ += std::to_string(value);
    out_ += '\n';
  }
  void sample(std::string_view name, Labels labels, double value) {
    begin(name, labels);
    out_ += format_double(value);
    out_ += '\n';
  }

  static std::string format_double(double value) {
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    if (std::isnan(value)) return "NaN";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", value);
    return buf;
  }

  std::string take() { return std::move(out_); }

 private:
  void begin(std::string_view name, Labels labels) {
    out_ += name;
    if (labels.size() != 0) {
      out_ += '{';
      bool first = true;
      for (const auto& [label, value] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += label;
        out_ += "=\"";
        for (char c : value) {
          if (c == '\\') out_ += "\\\\";
          else if (c == '"') out_ += "\\\"";
          else if (c == '\n') out_ += "\\n";
          else out_ += c;
        }
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
  }

  std::string out_;
};

constexpr std::pair<int, std::string_view> kOcspStatuses[] = {
    {0, "successful"}, {1, "malformedRequest"}, {2, "internalError"},
    {3, "tryLater"},   {5, "sigRequired"},      {6, "unauthorized"}};

void write_certificates(PrometheusText& text, const Result<std::vector<store::StatusCount>>& counts) {
  text.family("fleetpki_store_up", "gauge", "1 when the store answered the certificate counts of this scrape.");
  text.sample("fleetpki_store_up", {}, std::uint64_t{counts ? 1u : 0u});
  text.family("fleetpki_certificates", "gauge", "Stored certificates by tenant and status.");
  if (counts) {
    for (const auto& c : *counts) {
      text.sample("fleetpki_certificates", {{"tenant", c.tenant}, {"status", c.status}},
                  static_cast<std::uint64_t>(std::max<std::int64_t>(c.count, 0)));
    }
  }
}

void write_authority(PrometheusText& text, const authority::AuthorityCounters& c) {
  const std::pair<const char*, const std::atomic<std::uint64_t>*> counters[] = {
      {"issued", &c.issued},           {"revoked", &c.revoked}, {"suspended", &c.suspended},
      {"reactivated", &c.reactivated}, {"renewed", &c.renewed}, {"rekeyed", &c.rekeyed}};
  for (const auto& [what, value] : counters) {
    const std::string name = std::string("fleetpki_certificates_") + what + "_total";
    text.family(name, "counter", std::string("Certificates ") + what + " by this process.");
    text.sample(name, {}, value->load(std::memory_order_relaxed));
  }
}

void write_ocsp(PrometheusText& text, const authority::OcspMetrics& m) {
  text.family("fleetpki_ocsp_responses_total", "counter", "OCSP answers by OCSPResponseStatus.");
  for (const auto& [index, name] : kOcspStatuses) {
    text.sample("fleetpki_ocsp_responses_total", {{"status", name}}, m.responses[static_cast<std::size_t>(index)]);
  }
  text.family("fleetpki_ocsp_certificate_status_total", "counter", "certStatus of the single responses answered.");
  text.sample("fleetpki_ocsp_certificate_status_total", {{"status", "good"}}, m.good);
  text.sample("fleetpki_ocsp_certificate_status_total", {{"status", "revoked"}}, m.revoked);
  text.sample("fleetpki_ocsp_certificate_status_total", {{"status", "unknown"}}, m.unknown);
  text.family("fleetpki_ocsp_cache_lookups_total", "counter", "Pre-signed answer lookups (nonce-less single requests).");
  text.sample("fleetpki_ocsp_cache_lookups_total", {{"result", "hit"}}, m.cache_hits);
  text.sample("fleetpki_ocsp_cache_lookups_total", {{"result", "miss"}}, m.cache_misses);
  text.family("fleetpki_ocsp_cache_entries", "gauge", "Pre-signed answers held in memory.");
  text.sample("fleetpki_ocsp_cache_entries", {}, static_cast<std::uint64_t>(m.cache_entries));
  text.family("fleetpki_ocsp_signatures_total", "counter", "OCSP responses signed (cache misses, nonces, re-signing).");
  text.sample("fleetpki_ocsp_signatures_total", {}, m.signed_live);
  text.family("fleetpki_ocsp_resigned_on_change_total", "counter",
              "Cached answers re-signed because their certificate's status changed.");
  text.sample("fleetpki_ocsp_resigned_on_change_total", {}, m.resigned_on_change);
  text.family("fleetpki_ocsp_status_changes_applied_total", "counter", "Status change log entries applied.");
  text.sample("fleetpki_ocsp_status_changes_applied_total", {}, m.status_changes_applied);
  text.family("fleetpki_ocsp_responder_certificates_issued_total", "counter",
              "Delegated responder certificates issued (first use and renewals).");
  text.sample("fleetpki_ocsp_responder_certificates_issued_total", {}, m.responder_certificates_issued);

  constexpr std::string_view kHist = "fleetpki_ocsp_response_duration_seconds";
  text.family(kHist, "histogram", "Time the responder took to answer (parse, look up or sign), excluding HTTP.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < m.kLatencyBounds.size(); ++i) {
    cumulative += m.latency_counts[i];
    const std::string le = PrometheusText::format_double(m.kLatencyBounds[i]);
    text.sample("fleetpki_ocsp_response_duration_seconds_bucket", {{"le", le}}, cumulative);
  }
  cumulative += m.latency_counts.back();
  text.sample("fleetpki_ocsp_response_duration_seconds_bucket", {{"le", "+Inf"}}, cumulative);
  text.sample("fleetpki_ocsp_response_duration_seconds_sum", {}, m.latency_sum_seconds);
  text.sample("fleetpki_ocsp_response_duration_seconds_count", {}, cumulative);
}

void write_outside_crls(PrometheusText& text, const Result<std::vector<store::EndpointCrlSummary>>& crls) {
  // Alert on `fleetpki_est_outside_crl_next_update_timestamp_seconds - time() < 3600` for endpoints
  // with outside_crl "required": past nextUpdate they refuse the issuer's devices (ADR 0017).
  text.family("fleetpki_est_outside_crl_next_update_timestamp_seconds", "gauge",
              "nextUpdate (Unix time) of the CRL uploaded for an EST endpoint's outside trust anchor.");
  text.family("fleetpki_est_outside_crl_revoked", "gauge",
              "Entries of the CRL uploaded for an EST endpoint's outside trust anchor.");
  if (!crls) return;
  for (const auto& c : *crls) {
    const std::string issuer = c.issuer_sha256.substr(0, 16);  // a short, stable label
    if (c.next_update) {
      text.sample("fleetpki_est_outside_crl_next_update_timestamp_seconds",
                  {{"tenant", c.tenant}, {"endpoint", c.endpoint}, {"issuer", issuer}},
                  static_cast<double>(*c.next_update));
    }
    text.sample("fleetpki_est_outside_crl_revoked", {{"tenant", c.tenant}, {"endpoint", c.endpoint}, {"issuer", issuer}},
                static_cast<std::uint64_t>(std::max<std::int64_t>(c.revoked_count, 0)));
  }
}

std::string render(const MetricsSources& sources, const Result<std::vector<store::StatusCount>>& counts) {
  PrometheusText text;
  write_certificates(text, counts);
  write_outside_crls(text, sources.store.list_endpoint_crl_summaries());
  write_authority(text, sources.authority.counters());
  if (sources.ocsp != nullptr) {
    write_ocsp(text, sources.ocsp->metrics());
  }
  return text.take();
}

/// The certificate counts, reused for `ttl` between scrapes (they scan the store).
class CountsCache final {
 public:
  explicit CountsCache(std::chrono::milliseconds ttl) : ttl_(ttl) {}
  Result<std::vector<store::StatusCount>> get(store::Store& store) {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (!counts_ || !*counts_ || now - taken_ >= ttl_) {  // failures are not reused
      counts_ = store.count_certificates_by_status();
      taken_ = now;
    }
    return *counts_;
  }

 private:
  const std::chrono::milliseconds ttl_;
  std::mutex mutex_;
  std::optional<Result<std::vector<store::StatusCount>>> counts_;
  std::chrono::steady_clock::time_point taken_{};
};

}  // namespace

std::string metrics_text(const MetricsSources& sources) {
  return render(sources, sources.store.count_certificates_by_status());
}

bool is_loopback_address(std::string_view address) {
  constexpr std::string_view kMapped = "::ffff:";
  if (address.substr(0, kMapped.size()) == kMapped) address.remove_prefix(kMapped.size());
  return address == "::1" || address.substr(0, 4) == "127.";
}

void register_metrics_routes(Router& http, MetricsSources sources) {
  auto counts = std::make_shared<CountsCache>(sources.counts_ttl);
  http.add("GET", "/metrics", [sources, counts](Request& request) {
    if (!sources.allow_remote && !is_loopback_address(request.remote_address)) {
      return problem(403, "metrics are served to loopback clients only", request.request_id);
    }
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = render(sources, counts->get(sources.store));
    return r;
  });
}

}  // namespace fleetpki::server::revocation
