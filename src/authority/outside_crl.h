// CRLs of an EST endpoint's outside trust anchors (a contract manufacturer's CA, issue #5
// follow-up): parsed with OpenSSL (this is no hot path), matched to the anchor that signed them,
// and asked whether a birth certificate (IDevID) is revoked. ADR 0017.
#pragma once

#include <openssl/x509.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/result.h"
#include "pki/crypto_context.h"

namespace fleetpki::authority {

/// The largest CRL accepted (DER); bigger lists belong in a CRL distribution service.
inline constexpr std::size_t kMaxOutsideCrlBytes = 4 * 1024 * 1024;

/// A CRL whose signature verified with one of an endpoint's anchors.
struct OutsideCrl {
  std::size_t anchor_index = 0;  // into the anchors it was checked against
  std::string issuer_sha256;     // hex SHA-256 of that anchor's DER
  std::string issuer_subject;    // RFC 2253 text, for people
  std::optional<std::string> crl_number;  // hex of the cRLNumber, when present
  std::int64_t this_update = 0;
  std::optional<std::int64_t> next_update;
  std::int64_t revoked_count = 0;
  std::shared_ptr<X509_CRL> crl;  // read-only once parsed: shared by threads
};

/// Parses `der` (a DER CertificateList), finds the anchor (DER certificates) whose subject is the
/// CRL's issuer and whose key verifies its signature. InvalidArgument when it is no CRL, is
/// larger than kMaxOutsideCrlBytes, or no anchor signed it (naming the issuer).
Result<OutsideCrl> parse_outside_crl(const pki::CryptoContext& ctx, ByteView der, const std::vector<Bytes>& anchors);

/// RFC 2253 text of a name, for messages.
std::string rfc2253_name(const X509_NAME* name);

/// Whether `crl` lists `certificate` (same issuer name and serial; a removeFromCRL entry of a
/// delta does not count as revoked).
bool outside_crl_revokes(const OutsideCrl& crl, X509* certificate);

}  // namespace fleetpki::authority
