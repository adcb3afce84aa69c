#include "authority/ca_factory.h"

#include "pki/extensions.h"
#include "pki/name_constraints.h"
#include "pki/public_key.h"
#include "pki/serial_number.h"
#include "pki/tbs_template.h"

namespace fleetpki::authority {
namespace {

Result<pki::Certificate> sign_ca(const pki::CryptoContext& ctx, const Clock& clock,
                                 const pki::TbsFixedParts& fixed, const keys::Signer& signer,
                                 const keys::Signer& subject_key, const CaCertificateSpec& spec) {
  FLEETPKI_TRY(auto key_info, pki::parse_public_key(subject_key.public_key_spki()));
  std::vector<std::pair<std::string, std::string>> attrs;
  if (!spec.organization.empty()) attrs.emplace_back("O", spec.organization);
  attrs.emplace_back("CN", spec.common_name);
  FLEETPKI_TRY(Bytes subject, pki::encode_name(attrs));
  FLEETPKI_TRY(Bytes serial, pki::generate_serial());
  Bytes ski = pki::key_identifier(ctx, key_info);
  FLEETPKI_TRY(auto tpl, pki::TbsTemplate::create(fixed));
  const TimePoint now = clock.now();
  pki::TbsVariableParts var;
  var.serial = serial;
  var.not_before = now - std::chrono::minutes(5);
  var.not_after = spec.not_after ? *spec.not_after : now + std::chrono::days(spec.validity_days);
  var.subject_name_der = subject;
  var.spki_der = subject_key.public_key_spki();
  var.subject_key_id = ski;
  FLEETPKI_TRY(Bytes tbs, tpl.encode(var));
  FLEETPKI_TRY(Bytes signature, signer.sign(tbs));
  Bytes der = pki::assemble_certificate(tbs, signer.algorithm(), signature);
  return pki::Certificate::from_der(ctx, der);
}

pki::TbsFixedParts ca_fixed_parts(const keys::Signer& signer, const CaCertificateSpec& spec) {
  pki::TbsFixedParts fixed;
  fixed.signature_algorithm = signer.algorithm();
  fixed.basic_constraints_ca = true;
  fixed.path_len = spec.path_len;
  fixed.key_usage = pki::kKeyCertSign | pki::kCrlSign;
  if (spec.name_constraints) {
    fixed.extra_extensions.push_back({pki::kNameConstraintsOid, /*critical=*/true, *spec.name_constraints});
  }
  return fixed;
}

}  // namespace

Result<pki::Certificate> make_root_certificate(const pki::CryptoContext& ctx, const Clock& clock,
                                               const keys::Signer& key, const CaCertificateSpec& spec) {
  return sign_ca(ctx, clock, ca_fixed_parts(key, spec), key, key, spec);
}

Result<pki::Certificate> make_intermediate_certificate(const pki::CryptoContext& ctx, const Clock& clock,
                                                       const pki::Certificate& parent,
                                                       const keys::Signer& parent_key,
                                                       const keys::Signer& subject_key,
                                                       const CaCertificateSpec& spec) {
  pki::TbsFixedParts fixed = ca_fixed_parts(parent_key, spec);
  fixed.issuer_name_der = parent.subject_der();
  fixed.authority_key_id = parent.subject_key_id();
  return sign_ca(ctx, clock, fixed, parent_key, subject_key, spec);
}

}  // namespace fleetpki::authority
