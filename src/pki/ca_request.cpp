#include "pki/ca_request.h"

#include "pki/der.h"
#include "pki/tbs_template.h"

namespace fleetpki::pki {
namespace {

void append(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

Result<Bytes> extension(std::string_view oid, ByteView value) {
  FLEETPKI_TRY(Bytes id, der::oid(oid));
  Bytes ext = id;  // der::oid() returns the whole OBJECT IDENTIFIER TLV
  const std::uint8_t true_value = 0xFF;
  der::append_tlv(ext, der::tag::kBoolean, ByteView(&true_value, 1));
  der::append_tlv(ext, der::tag::kOctetString, value);
  return der::tlv(der::tag::kSequence, ext);
}

}  // namespace

Result<Bytes> make_ca_request(const CaRequestSpec& spec, SignatureAlgorithm alg,
                              const std::function<Result<Bytes>(ByteView)>& sign) {
  // basicConstraints { cA TRUE, pathLenConstraint }
  Bytes bc;
  const std::uint8_t true_value = 0xFF;
  der::append_tlv(bc, der::tag::kBoolean, ByteView(&true_value, 1));
  if (spec.path_len) der::append_tlv(bc, der::tag::kInteger, der::integer_content(static_cast<std::uint64_t>(*spec.path_len)));
  FLEETPKI_TRY(Bytes bc_ext, extension("2.5.29.19", der::tlv(der::tag::kSequence, bc)));
  // keyUsage: keyCertSign (bit 5) and cRLSign (bit 6): one octet 0x06, 1 unused bit.
  const std::uint8_t ku[] = {0x01, 0x06};
  FLEETPKI_TRY(Bytes ku_ext, extension("2.5.29.15", der::tlv(der::tag::kBitString, ByteView(ku, sizeof ku))));
  Bytes extensions = bc_ext;
  append(extensions, ku_ext);
  if (spec.name_constraints_extension) append(extensions, *spec.name_constraints_extension);

  FLEETPKI_TRY(Bytes ext_req_oid, der::oid("1.2.840.113549.1.9.14"));
  Bytes attribute = ext_req_oid;
  der::append_tlv(attribute, der::tag::kSet, der::tlv(der::tag::kSequence, extensions));
  Bytes attributes = der::tlv(der::tag::kSequence, attribute);

  Bytes info;
  der::append_tlv(info, der::tag::kInteger, der::integer_content(0));
  append(info, spec.subject_name_der);
  append(info, spec.spki_der);
  der::append_tlv(info, der::tag::context(0, true), attributes);
  const Bytes info_der = der::tlv(der::tag::kSequence, info);
  FLEETPKI_TRY(Bytes signature, sign(info_der));
  // CertificationRequest has the same shape as Certificate: SEQUENCE { info, algorithm, BIT STRING }.
  return assemble_certificate(info_der, alg, signature);
}

}  // namespace fleetpki::pki
