// TBSCertificate assembly from pre-encoded parts (the hot path of issuance).
//
// The CA and profile fix most of a certificate: issuer name, signature algorithm, AKI, keyUsage,
// extendedKeyUsage, basicConstraints, CRL DP and OCSP AIA. TbsTemplate encodes those once; encode()
// then only writes the per-certificate parts. The output is signed by a keys::Signer and wrapped by
// assemble_certificate().
//
//   auto tpl = TbsTemplate::create(fixed);             // once per (CA, profile version)
//   Bytes tbs = tpl->encode(variable);                  // per certificate
//   Bytes cert = assemble_certificate(tbs, alg, signer.sign(tbs));
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/result.h"
#include "pki/algorithms.h"
#include "pki/names.h"

namespace fleetpki::pki {

/// An extension a profile adds verbatim after the CA's own (never one the CA controls).
struct ExtraExtensionPart {
  std::string oid;  // dotted
  bool critical = false;
  Bytes value;      // extnValue content: one DER element
};

/// Parts fixed by the CA and the profile.
struct TbsFixedParts {
  SignatureAlgorithm signature_algorithm = SignatureAlgorithm::EcdsaSha256;
  Bytes issuer_name_der;           // the issuer's subject Name, byte for byte; empty = self-signed
  Bytes authority_key_id;          // issuer's SKI; empty = omit AKI (self-signed root)
  std::optional<bool> basic_constraints_ca;  // nullopt = omit the extension
  std::optional<int> path_len;     // only with CA true
  std::uint16_t key_usage = 0;     // 0 = omit; always critical when present
  std::vector<std::string> ext_key_usages;  // dotted OIDs; empty = omit
  std::vector<std::string> crl_urls;        // cRLDistributionPoints; empty = omit
  std::vector<std::string> ocsp_urls;       // AIA id-ad-ocsp
  std::vector<std::string> ca_issuer_urls;  // AIA id-ad-caIssuers
  bool ocsp_no_check = false;      // id-pkix-ocsp-nocheck (delegated OCSP responders)
  std::vector<ExtraExtensionPart> extra_extensions;  // last, in this order
};

/// Parts that change with every certificate.
struct TbsVariableParts {
  ByteView serial;                 // content octets, positive and minimal (generate_serial)
  TimePoint not_before;
  std::optional<TimePoint> not_after;  // nullopt = 99991231235959Z
  ByteView subject_name_der;       // a whole Name; may be the empty SEQUENCE (then SANs critical)
  ByteView spki_der;               // SubjectPublicKeyInfo
  ByteView subject_key_id;         // empty = omit SKI
  const std::vector<GeneralName>* subject_alt_names = nullptr;  // null/empty = omit
};

class TbsTemplate final {
 public:
  /// InvalidArgument for inconsistent parts (path_len without CA, bad OID, bad URL, an extra
  /// extension that repeats one the template writes).
  static Result<TbsTemplate> create(const TbsFixedParts& fixed);

  /// The DER TBSCertificate (v3). For a self-signed template the issuer is the subject.
  /// InvalidArgument for times outside the encodable range or an empty subject without SANs.
  Result<Bytes> encode(const TbsVariableParts& variable) const;

  const TbsFixedParts& fixed() const { return fixed_; }

 private:
  TbsFixedParts fixed_;
  Bytes algorithm_der_;          // AlgorithmIdentifier, used twice
  Bytes fixed_extensions_der_;   // concatenated Extension encodings fixed by CA and profile
                                 // that precede SKI: basicConstraints, keyUsage, extKeyUsage
  Bytes fixed_extensions_tail_der_;  // those after SKI: AKI, then (after SAN) CRL DP, AIA,
                                     // ocsp-nocheck
  std::size_t aki_size_ = 0;         // octets of the AKI Extension at the start of the tail
};

/// Certificate ::= SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature }.
Bytes assemble_certificate(ByteView tbs, SignatureAlgorithm alg, ByteView signature);

}  // namespace fleetpki::pki
