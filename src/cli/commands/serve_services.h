// Background services of `serve` beside the listeners, each started over the runtime and stopped
// when its handle is destroyed (before the runtime).
#pragma once

#include <memory>

#include "cli/data_dir.h"
#include "common/result.h"
#include "server/router.h"

namespace fleetpki::cli {

/// A running service; destroying the handle stops it.
using ServiceHandle = std::shared_ptr<void>;

/// CRL publisher (complete and delta CRLs per CA and partition, re-issued before they lapse) and
/// the /crl/… routes on the plain-HTTP router. serve_crl.cpp.
Result<ServiceHandle> start_crl_service(Runtime& runtime, server::Router& http);

/// OCSP responder (delegated responder certificates, pre-signed cache following the status
/// change log) with the /ocsp routes and /metrics on the plain-HTTP router. serve_ocsp.cpp.
Result<ServiceHandle> start_ocsp_service(Runtime& runtime, server::Router& http);

/// Runs revoke-by-query bulk jobs (resumed at start, woken when a job is created).
Result<ServiceHandle> start_bulk_job_service(Runtime& runtime);

/// Polls the store for configuration changes made by other processes (the CLI) and drops the
/// changed tenants' cached runtime and EST state. serve_configuration.cpp.
Result<ServiceHandle> start_configuration_service(Runtime& runtime);

/// Signs audit checkpoints every N events or T seconds and at shutdown; creates and pins the
/// platform audit key on first start. serve_audit.cpp.
Result<ServiceHandle> start_audit_service(Runtime& runtime);

/// The platform audit key's public half, pinned outside the database (written once, never
/// replaced); verification trusts only this file.
inline constexpr const char* kAuditKeyPin = "audit-key.pem";
/// The pinned key's SubjectPublicKeyInfo (empty when the file does not exist). serve_audit.cpp.
Result<Bytes> read_pinned_audit_key(const Runtime& runtime);
/// The pinned key, creating the key and the pin when neither exists. FailedPrecondition when the
/// database's key and the pin disagree or the pin is missing for an existing key.
Result<Bytes> ensure_pinned_audit_key(Runtime& runtime);

}  // namespace fleetpki::cli
