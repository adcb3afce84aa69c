// Certificate lifecycle: revoke, suspend, reactivate, renew, re-key, revoke-by-query.
//
// Every transition reads the certificate inside the write transaction that changes it (writers are
// serialized), checks the state machine there, updates it with its row_version, appends the status
// change log entry (followed by CRL and OCSP publishers) and the audit event: all or nothing.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "authority/authority.h"
#include "authority/device_registry.h"
#include "authority/issuance_policy.h"
#include "pki/asn1_time.h"
#include "pki/certificate.h"
#include "pki/csr.h"
#include "pki/pem.h"
#include "pki/serial_number.h"

namespace fleetpki::authority {
namespace {

// A concurrent writer may change a certificate between our read and our update only when the store
// does not serialize writers; retry a few times on fresh data before giving up.
constexpr int kMaxTransitionAttempts = 4;
// Certificates per transaction of a bulk job: large enough to amortize the fsync, small enough to
// keep the writer lock short for concurrent issuance.
constexpr int kBulkChunk = 500;

store::AuditEvent lifecycle_event(const Principal& who, std::int64_t tenant_id, std::string action,
                                  const std::string& serial, const CallContext& call, const nlohmann::json& details,
                                  std::int64_t now) {
  store::AuditEvent e;
  e.tenant_id = tenant_id;
  e.actor = who.id;
  e.action = std::move(action);
  e.object = serial;
  e.request_id = call.request_id;
  e.details_json = details.dump();
  e.at = now;
  return e;
}

store::StatusChange status_change(const store::CertificateRecord& rec, std::int64_t now) {
  store::StatusChange c;
  c.tenant_id = rec.tenant_id;
  c.ca_id = rec.ca_id;
  c.certificate_id = rec.id;
  c.serial_hex = rec.serial_hex;
  c.crl_partition = rec.crl_partition;
  c.status = rec.status;
  c.revoked_at = rec.revoked_at;
  c.revocation_reason = rec.revocation_reason;
  c.not_after = rec.not_after;
  c.at = now;
  return c;
}

/// Canonical (upper-case, minimal) serial text, or NotFound: a malformed serial names no certificate.
Result<std::string> canonical_serial(std::string_view serial_hex) {
  auto serial = pki::serial_from_hex(serial_hex);
  if (!serial) return fail(Errc::NotFound, "certificate '" + std::string(serial_hex) + "' not found");
  return pki::serial_to_hex(*serial);
}

Error not_found(std::string_view serial) {
  return make_error(Errc::NotFound, "certificate '" + std::string(serial) + "' not found");
}

/// Applies one transition to `rec` in `tx` with its log entry and audit event; updates `rec`.
Status apply_transition(store::Transaction& tx, store::CertificateRecord& rec, std::string_view new_status,
                        std::optional<std::int64_t> revoked_at, std::optional<int> reason,
                        const store::AuditEvent& event) {
  FLEETPKI_RETURN_IF_ERROR(
      tx.update_certificate_status(rec.tenant_id, rec.id, new_status, revoked_at, reason, rec.row_version));
  rec.status = std::string(new_status);
  rec.revoked_at = revoked_at;
  rec.revocation_reason = reason;
  rec.row_version += 1;
  FLEETPKI_RETURN_IF_ERROR(tx.append_status_change(status_change(rec, event.at)));
  return tx.append_audit(event);
}

}  // namespace

// Device cascades (device_registry.cpp) change certificates inside the device's transaction.
Status change_certificate_status_in(store::Transaction& tx, const Principal& who, store::CertificateRecord& rec,
                                    std::string_view new_status, std::optional<int> reason, std::string_view action,
                                    nlohmann::json details, const CallContext& call, std::int64_t now) {
  details["from"] = rec.status;
  const std::optional<std::int64_t> revoked_at =
      new_status == store::kStatusValid ? std::nullopt : std::optional<std::int64_t>(now);
  return apply_transition(tx, rec, new_status, revoked_at, reason,
                          lifecycle_event(who, rec.tenant_id, std::string(action), rec.serial_hex, call, details, now));
}

// ---- revoke / suspend / reactivate --------------------------------------------------------------

Result<store::CertificateRecord> Authority::change_status(const Principal& who, std::string_view tenant_name,
                                                          std::string_view serial_hex, std::string_view action,
                                                          std::optional<pki::CrlReason> reason,
                                                          std::optional<TimePoint> invalidity_date,
                                                          const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authorize(who, tenant_name, Permission::CertificateRevoke));
  FLEETPKI_TRY(std::string serial, canonical_serial(serial_hex));
  const std::int64_t tenant_id = tenant->tenant.id;
  for (int attempt = 0;; ++attempt) {
    const std::int64_t now = to_unix(deps_.clock.now());
    store::CertificateRecord result;
    std::uint64_t cascaded = 0;
    Status written = deps_.store.write([&](store::Transaction& tx) -> Status {
      cascaded = 0;
      FLEETPKI_TRY(auto found, tx.find_certificate(tenant_id, serial));
      if (!found) return fail(not_found(serial));
      store::CertificateRecord rec = std::move(*found);
      nlohmann::json details = {{"from", rec.status}};
      if (action == "revoke") {
        if (rec.status == store::kStatusRevoked) {
          return fail(Errc::FailedPrecondition, "certificate " + serial + " is already revoked (revocation is final)");
        }
        details["reason"] = pki::crl_reason_name(*reason);
        if (invalidity_date) details["invalidity_date"] = to_unix(*invalidity_date);
        const std::optional<int> code = static_cast<int>(*reason);
        FLEETPKI_RETURN_IF_ERROR(apply_transition(tx, rec, store::kStatusRevoked, now, code,
                                                  lifecycle_event(who, tenant_id, "certificate.revoke", serial,
                                                                  call, details, now)));
        // Renewals of a revoked certificate carry the same identity: revoke them too, whatever the
        // order in which the renewal and this revocation committed.
        std::vector<store::CertificateRecord> frontier = {rec};
        while (!frontier.empty()) {
          store::CertificateRecord parent = std::move(frontier.back());
          frontier.pop_back();
          FLEETPKI_TRY(auto renewals, tx.list_renewals(tenant_id, parent.id));
          for (auto& child : renewals) {
            if (child.status != store::kStatusRevoked) {
              nlohmann::json child_details = {{"from", child.status},
                                              {"reason", pki::crl_reason_name(*reason)},
                                              {"renewal_of", parent.serial_hex}};
              FLEETPKI_RETURN_IF_ERROR(apply_transition(
                  tx, child, store::kStatusRevoked, now, code,
                  lifecycle_event(who, tenant_id, "certificate.revoke", child.serial_hex, call, child_details, now)));
              ++cascaded;
            }
            frontier.push_back(std::move(child));
          }
        }
      } else if (action == "suspend") {
        if (rec.status != store::kStatusValid) {
          return fail(Errc::FailedPrecondition, "only a valid certificate can be suspended; " + serial + " is " + rec.status);
        }
        FLEETPKI_RETURN_IF_ERROR(apply_transition(
            tx, rec, store::kStatusSuspended, now, static_cast<int>(pki::CrlReason::CertificateHold),
            lifecycle_event(who, tenant_id, "certificate.suspend", serial, call, details, now)));
      } else {
        if (rec.status != store::kStatusSuspended) {
          return fail(Errc::FailedPrecondition, "only a suspended certificate can be reactivated; " + serial + " is " + rec.status);
        }
        FLEETPKI_RETURN_IF_ERROR(
            apply_transition(tx, rec, store::kStatusValid, std::nullopt, std::nullopt,
                             lifecycle_event(who, tenant_id, "certificate.reactivate", serial, call, details, now)));
      }
      result = std::move(rec);
      return ok();
    });
    if (!written && written.error().code == Errc::Aborted && attempt + 1 < kMaxTransitionAttempts) continue;
    if (!written) return fail(written.error());
    if (action == "revoke") {
      counters_.revoked.fetch_add(1 + cascaded, std::memory_order_relaxed);
    } else if (action == "suspend") {
      counters_.suspended.fetch_add(1, std::memory_order_relaxed);
    } else {
      counters_.reactivated.fetch_add(1, std::memory_order_relaxed);
    }
    notify_status_listeners();
    return result;
  }
}

Result<store::CertificateRecord> Authority::revoke(const Principal& who, std::string_view tenant,
                                                   std::string_view serial_hex, pki::CrlReason reason,
                                                   std::optional<TimePoint> invalidity_date, const CallContext& call) {
  if (reason == pki::CrlReason::CertificateHold) {
    return fail(Errc::InvalidArgument, "certificateHold is reversible: use suspend");
  }
  if (reason == pki::CrlReason::RemoveFromCrl || !pki::is_valid_crl_reason(static_cast<int>(reason))) {
    return fail(Errc::InvalidArgument, "invalid revocation reason");
  }
  return change_status(who, tenant, serial_hex, "revoke", reason, invalidity_date, call);
}

Result<store::CertificateRecord> Authority::suspend(const Principal& who, std::string_view tenant,
                                                    std::string_view serial_hex, const CallContext& call) {
  return change_status(who, tenant, serial_hex, "suspend", std::nullopt, std::nullopt, call);
}

Result<store::CertificateRecord> Authority::reactivate(const Principal& who, std::string_view tenant,
                                                       std::string_view serial_hex, const CallContext& call) {
  return change_status(who, tenant, serial_hex, "reactivate", std::nullopt, std::nullopt, call);
}

// ---- renew / re-key -----------------------------------------------------------------------------

Result<IssuedCertificate> Authority::renew_or_rekey(const Principal& who, std::string_view tenant_name,
                                                    std::string_view serial_hex,
                                                    std::optional<std::string_view> csr_pem, const CallContext& call) {
  if (!csr_pem) return renew_or_rekey_as(who, Permission::CertificateIssue, tenant_name, serial_hex, nullptr, call);
  FLEETPKI_TRY(auto parsed, pki::Csr::from_pem(deps_.crypto, *csr_pem));
  return renew_or_rekey_as(who, Permission::CertificateIssue, tenant_name, serial_hex, &parsed, call);
}

Result<IssuedCertificate> Authority::renew_or_rekey_as(const Principal& who, Permission permission,
                                                       std::string_view tenant_name, std::string_view serial_hex,
                                                       const pki::Csr* csr_in, const CallContext& call) {
  const bool csr_pem = csr_in != nullptr;  // re-key (the name keeps the messages below readable)
  FLEETPKI_TRY(auto tenant, authorize(who, tenant_name, permission));
  FLEETPKI_TRY(std::string serial, canonical_serial(serial_hex));
  const std::string_view action = csr_pem ? "certificate.rekey" : "certificate.renew";
  for (int attempt = 0;; ++attempt) {
    FLEETPKI_TRY(auto found, deps_.store.find_certificate(tenant->tenant.id, serial));
    if (!found) return fail(not_found(serial));
    const store::CertificateRecord old = std::move(*found);
    auto refuse = [&](const std::string& why) {
      return fail(Errc::FailedPrecondition, "certificate " + serial + " cannot be " +
                                                (csr_pem ? "re-keyed" : "renewed") + ": " + why);
    };
    if (old.status != store::kStatusValid) return refuse("it is " + old.status);
    if (old.not_after != pki::kNoExpiryUnix && old.not_after <= to_unix(deps_.clock.now())) {
      return refuse("it has expired (enroll anew)");
    }
    auto profile = tenant->profiles.find(old.profile);
    if (profile == tenant->profiles.end()) return refuse("its profile '" + old.profile + "' is retired");

    FLEETPKI_TRY(auto old_cert, pki::Certificate::from_der(deps_.crypto, old.der));
    SubjectDecision subject;
    subject.subject_der = old_cert.subject_der();
    subject.subject_text = old.subject;
    subject.subject_alt_names = old_cert.subject_alt_names();
    pki::PublicKeyInfo key = old_cert.public_key();
    if (csr_in) {
      const pki::Csr& parsed = *csr_in;
      // The profile's refusals (CA:TRUE, extra EKUs, …) apply to a re-key CSR as to any other;
      // the identity itself comes from the old certificate, never from the CSR.
      FLEETPKI_RETURN_IF_ERROR(decide_subject(profile->second->profile, parsed));
      if (parsed.public_key().spki_der == old_cert.public_key().spki_der) {
        return fail(Errc::InvalidArgument, "the CSR carries the certificate's current key: use renew");
      }
      key = parsed.public_key();
    }

    FLEETPKI_TRY(Prepared prepared, sign(who, *tenant, *profile->second, key, subject, call));
    store::CertificateRecord& rec = prepared.issued->record;
    rec.renewal_of = old.id;
    rec.device_serial = old.device_serial;  // the renewal belongs to the same device (and its cascades)
    prepared.event.action = std::string(action);
    nlohmann::json details = nlohmann::json::parse(prepared.event.details_json);
    details["renewal_of"] = old.serial_hex;
    prepared.event.details_json = details.dump();

    Status stored = deps_.store.write([&](store::Transaction& tx) -> Status {
      // Re-check inside the transaction: a revoke or suspend committed since our read wins.
      FLEETPKI_TRY(auto current, tx.find_certificate(tenant->tenant.id, serial));
      if (!current) return fail(not_found(serial));
      if (current->status != store::kStatusValid) {
        return fail(Errc::FailedPrecondition, "certificate " + serial + " cannot be " +
                                                  (csr_pem ? "re-keyed" : "renewed") + ": it is " + current->status);
      }
      if (current->row_version != old.row_version) return fail(Errc::Aborted, "changed concurrently");
      FLEETPKI_TRY(rec.id, tx.insert_certificate(rec));
      FLEETPKI_RETURN_IF_ERROR(tx.append_audit(prepared.event));
      return call.in_commit ? call.in_commit(tx) : ok();
    });
    if (!stored && (stored.error().code == Errc::Aborted || stored.error().code == Errc::AlreadyExists) &&
        attempt + 1 < kMaxTransitionAttempts) {
      continue;
    }
    if (!stored) return fail(stored.error());
    counters_.issued.fetch_add(1, std::memory_order_relaxed);
    (csr_pem ? counters_.rekeyed : counters_.renewed).fetch_add(1, std::memory_order_relaxed);
    prepared.issued->certificate_pem = pki::pem_encode(rec.der, "CERTIFICATE");
    return std::move(*prepared.issued);
  }
}

Result<IssuedCertificate> Authority::renew(const Principal& who, std::string_view tenant, std::string_view serial_hex,
                                           const CallContext& call) {
  return renew_or_rekey(who, tenant, serial_hex, std::nullopt, call);
}

Result<IssuedCertificate> Authority::rekey(const Principal& who, std::string_view tenant, std::string_view serial_hex,
                                           std::string_view csr_pem, const CallContext& call) {
  return renew_or_rekey(who, tenant, serial_hex, csr_pem, call);
}

// ---- revoke-by-query ----------------------------------------------------------------------------

Result<store::BulkJobRecord> Authority::start_bulk_revoke(const Principal& who, std::string_view tenant_name,
                                                          const BulkRevokeQuery& query, pki::CrlReason reason,
                                                          const CallContext& call) {
  FLEETPKI_TRY(auto tenant, authorize(who, tenant_name, Permission::CertificateRevoke));
  if (!query.profile && !query.ca && !query.issued_from && !query.issued_to) {
    return fail(Errc::InvalidArgument, "a bulk revocation needs at least one of profile, ca, issued_from, issued_to");
  }
  if (reason == pki::CrlReason::CertificateHold || reason == pki::CrlReason::RemoveFromCrl ||
      !pki::is_valid_crl_reason(static_cast<int>(reason))) {
    return fail(Errc::InvalidArgument, "invalid revocation reason for a bulk revocation");
  }
  if (query.issued_from && query.issued_to && *query.issued_from >= *query.issued_to) {
    return fail(Errc::InvalidArgument, "issued_from must be before issued_to");
  }
  nlohmann::json selection = nlohmann::json::object();
  if (query.profile) selection["profile"] = *query.profile;
  if (query.ca) {
    auto ca = tenant->cas.find(*query.ca);
    if (ca == tenant->cas.end()) return fail(Errc::NotFound, "CA '" + *query.ca + "' not found");
    selection["ca"] = *query.ca;
    selection["ca_id"] = ca->second->record.id;
  }
  if (query.issued_from) selection["issued_from"] = *query.issued_from;
  if (query.issued_to) selection["issued_to"] = *query.issued_to;

  const std::int64_t now = to_unix(deps_.clock.now());
  store::BulkJobRecord job;
  job.tenant_id = tenant->tenant.id;
  job.kind = "revoke";
  job.query_json = selection.dump();
  job.reason = static_cast<int>(reason);
  job.actor = who.id;
  job.request_id = call.request_id;
  job.created_at = job.updated_at = now;
  FLEETPKI_RETURN_IF_ERROR(deps_.store.write([&](store::Transaction& tx) -> Status {
    FLEETPKI_TRY(job.id, tx.put_bulk_job(job));
    nlohmann::json details = selection;
    details["reason"] = pki::crl_reason_name(reason);
    return tx.append_audit(lifecycle_event(who, job.tenant_id, "bulk.revoke.start", std::to_string(job.id), call,
                                           details, now));
  }));
  notify_bulk_listeners();
  return job;
}

Result<store::BulkJobRecord> Authority::get_bulk_job(const Principal& who, std::string_view tenant_name,
                                                     std::int64_t id) {
  FLEETPKI_TRY(auto tenant, authorize(who, tenant_name, Permission::CertificateRead));
  FLEETPKI_TRY(auto job, deps_.store.find_bulk_job(tenant->tenant.id, id));
  if (!job) return fail(Errc::NotFound, "bulk job " + std::to_string(id) + " not found");
  return *job;
}

Status Authority::run_bulk_job(store::BulkJobRecord job, const std::atomic<bool>* stop) {
  const nlohmann::json selection = nlohmann::json::parse(job.query_json, nullptr, false);
  if (selection.is_discarded()) return fail(Errc::DataLoss, "bulk job " + std::to_string(job.id) + " has a bad query");
  store::CertificateFilter filter;
  filter.limit = kBulkChunk;
  if (selection.contains("profile")) filter.profile = selection["profile"].get<std::string>();
  if (selection.contains("ca_id")) filter.ca_id = selection["ca_id"].get<std::int64_t>();
  if (selection.contains("issued_from")) filter.issued_from = selection["issued_from"].get<std::int64_t>();
  if (selection.contains("issued_to")) filter.issued_to = selection["issued_to"].get<std::int64_t>();
  const auto reason = static_cast<pki::CrlReason>(job.reason);
  const Principal actor{job.actor, job.tenant_id, Role::Operator};
  const CallContext call{job.request_id};

  while (job.state == "running" && !(stop && stop->load())) {
    filter.after_id = job.cursor;
    FLEETPKI_TRY(auto page, deps_.store.list_certificates(job.tenant_id, filter));
    const std::int64_t now = to_unix(deps_.clock.now());
    std::int64_t changed = 0;
    store::BulkJobRecord next = job;
    FLEETPKI_RETURN_IF_ERROR(deps_.store.write([&](store::Transaction& tx) -> Status {
      changed = 0;
      for (const auto& listed : page.items) {
        // Re-read inside the transaction: the page may be stale.
        FLEETPKI_TRY(auto current, tx.find_certificate(job.tenant_id, listed.serial_hex));
        if (!current || current->status == store::kStatusRevoked) continue;
        store::CertificateRecord rec = std::move(*current);
        nlohmann::json details = {{"from", rec.status}, {"reason", pki::crl_reason_name(reason)}, {"bulk_job", job.id}};
        FLEETPKI_RETURN_IF_ERROR(apply_transition(
            tx, rec, store::kStatusRevoked, now, job.reason,
            lifecycle_event(actor, job.tenant_id, "certificate.revoke", rec.serial_hex, call, details, now)));
        ++changed;
      }
      next.cursor = page.items.empty() ? job.cursor : page.items.back().id;
      next.processed = job.processed + changed;
      next.updated_at = now;
      if (!page.next_after_id) {
        next.state = "done";
        FLEETPKI_RETURN_IF_ERROR(tx.append_audit(lifecycle_event(
            actor, job.tenant_id, "bulk.revoke.done", std::to_string(job.id), call, {{"revoked", next.processed}}, now)));
      }
      return tx.put_bulk_job(next).map([](std::int64_t) {});
    }));
    job = next;
    if (changed > 0) {
      counters_.revoked.fetch_add(static_cast<std::uint64_t>(changed), std::memory_order_relaxed);
      notify_status_listeners();
    }
  }
  return ok();
}

Status Authority::run_bulk_jobs(const std::atomic<bool>* stop) {
  std::lock_guard lock(bulk_mutex_);
  FLEETPKI_TRY(auto jobs, deps_.store.list_running_bulk_jobs());
  for (auto& job : jobs) {
    if (Status done = run_bulk_job(job, stop); !done) {
      job.state = "failed";
      job.error = done.error().message;
      job.updated_at = to_unix(deps_.clock.now());
      FLEETPKI_RETURN_IF_ERROR(deps_.store.write([&](store::Transaction& tx) -> Status {
        return tx.put_bulk_job(job).map([](std::int64_t) {});
      }));
    }
  }
  return ok();
}

// ---- publishers' hooks --------------------------------------------------------------------------

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

void Authority::add_bulk_job_listener(std::function<void()> listener) {
  std::lock_guard lock(listeners_mutex_);
  bulk_listeners_.push_back(std::move(listener));
}

void Authority::notify_status_listeners() {
  std::lock_guard lock(listeners_mutex_);
  for (const auto& listener : status_listeners_) listener();
}

void Authority::notify_bulk_listeners() {
  std::lock_guard lock(listeners_mutex_);
  for (const auto& listener : bulk_listeners_) listener();
}

}  // namespace fleetpki::authority
