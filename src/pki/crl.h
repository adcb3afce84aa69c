// CRL encoding (RFC 5280 §5): entries pre-encoded once, TBSCertList assembled from them.
//
// A CRL of a million entries is one signature over ~50 MB: entries are encoded once when a
// certificate is revoked (encode_crl_entry) and kept by the caller; encode_tbs_crl() only
// concatenates them behind the fixed header and extensions.
//
//   Bytes entry = encode_crl_entry(serial, revoked_at, CrlReason::KeyCompromise).value();
//   Bytes tbs = encode_tbs_crl(fixed, {.this_update = now, .next_update = now + 24h,
//                                      .number = 7, .entries = {entry}}).value();
//   Bytes crl = assemble_crl(tbs, alg, signer.sign(tbs).value());
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/result.h"
#include "pki/algorithms.h"

namespace fleetpki::pki {

/// RFC 5280 CRLReason. 7 is unused; RemoveFromCrl only appears in delta CRLs.
enum class CrlReason : int {
  Unspecified = 0,
  KeyCompromise = 1,
  CaCompromise = 2,
  AffiliationChanged = 3,
  Superseded = 4,
  CessationOfOperation = 5,
  CertificateHold = 6,
  RemoveFromCrl = 8,
  PrivilegeWithdrawn = 9,
  AaCompromise = 10,
};

/// GeneralizedTime YYYYMMDDHHMMSSZ (no fractions) for 1950..9999: invalidityDate (RFC 5280
/// §5.3.2) and every OCSP time (RFC 6960 §4.2.1). InvalidArgument outside that range.
Result<Bytes> encode_generalized_time(TimePoint t);

/// "keyCompromise", "certificateHold", … (RFC 5280 spelling).
std::string_view crl_reason_name(CrlReason reason);
/// Accepts the RFC 5280 names (case-sensitive) and the decimal values 0–10 except 7.
Result<CrlReason> parse_crl_reason(std::string_view text);
/// True for 0–6 and 8–10.
bool is_valid_crl_reason(int value);

/// One revokedCertificates entry: SEQUENCE { serial, revocationDate, crlEntryExtensions }.
/// `serial` is the positive magnitude (as from serial_from_hex). The reasonCode extension is
/// omitted for nullopt and for Unspecified (RFC 5280 §5.3.1); invalidityDate is added when given.
Result<Bytes> encode_crl_entry(ByteView serial, TimePoint revocation_date, std::optional<CrlReason> reason,
                               std::optional<TimePoint> invalidity_date = std::nullopt);

/// Parts fixed per CRL scope (CA and partition).
struct CrlFixedParts {
  SignatureAlgorithm signature_algorithm = SignatureAlgorithm::EcdsaSha256;
  Bytes issuer_name_der;         // the CA's subject Name, byte for byte
  Bytes authority_key_id;        // the CA's SKI (AKI keyIdentifier); required
  /// issuingDistributionPoint (critical): the scope's URL, byte-identical to the CDP of the
  /// certificates in scope. Empty = no IDP (a full, unpartitioned CRL).
  std::string distribution_point_url;
  bool only_contains_user_certs = false;  // IDP onlyContainsUserCerts
};

/// Parts of one CRL.
struct CrlVariableParts {
  TimePoint this_update;
  TimePoint next_update;         // always set (RFC 5280 profile); must be after this_update
  std::uint64_t number = 0;      // cRLNumber
  std::optional<std::uint64_t> delta_base;  // set: a delta CRL (critical deltaCRLIndicator)
  std::string freshest_crl_url;  // complete CRLs only: freshestCRL pointing at the delta CRL
  std::vector<ByteView> entries; // pre-encoded entries (encode_crl_entry); empty = field omitted
};

/// The DER TBSCertList (v2). InvalidArgument for a missing AKI, next_update <= this_update, a
/// freshest CRL URL on a delta, a delta_base not below `number`, an issuer that is not a non-empty
/// DER Name, a URL that is not an IA5String URI, an entry that is not one DER SEQUENCE, or times
/// outside the encodable range. Entries are copied as given (not sorted, not de-duplicated).
/// Linear in the entries: ~1 copy of their bytes (see the performance note in crl.cpp).
Result<Bytes> encode_tbs_crl(const CrlFixedParts& fixed, const CrlVariableParts& variable);

/// CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, BIT STRING signature }.
Bytes assemble_crl(ByteView tbs, SignatureAlgorithm alg, ByteView signature);

}  // namespace fleetpki::pki
