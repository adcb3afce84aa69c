// JSON views of certificates and bulk jobs shared by the REST handlers.
#pragma once

#include <nlohmann/json.hpp>

#include "authority/authority.h"
#include "store/records.h"

namespace fleetpki::server::api_v1 {

/// The Certificate schema of the OpenAPI document; `with_pem` adds the PEM certificate.
nlohmann::json certificate_json(const store::CertificateRecord& record, bool with_pem);

/// An issuance answer: the certificate with its PEM and the chain.
nlohmann::json issued_json(const authority::IssuedCertificate& issued);

/// The BulkJob schema.
nlohmann::json bulk_job_json(const store::BulkJobRecord& job);

}  // namespace fleetpki::server::api_v1
