// CsrAttrs DER encoder (RFC 7030 §4.5.2 with the RFC 8951 ASN.1 fix: Attribute values are a SET).
#include "pki/csr_attributes.h"

#include <algorithm>

#include "pki/der.h"

namespace fleetpki::pki {

Result<Bytes> encode_csr_attrs(const std::vector<CsrAttrOrOid>& items) {
  Bytes content;
  for (const CsrAttrOrOid& item : items) {
    FLEETPKI_TRY(Bytes type, der::oid(item.oid));  // the whole OBJECT IDENTIFIER TLV
    if (!item.values) {
      content.insert(content.end(), type.begin(), type.end());
      continue;
    }
    if (item.values->empty()) {
      return fail(Errc::InvalidArgument, "CSR attribute " + item.oid + " needs at least one value");
    }
    std::vector<Bytes> values = *item.values;
    for (const Bytes& v : values) {
      der::Reader r(v);
      auto element = r.next();
      if (!element || !r.empty()) {
        return fail(Errc::InvalidArgument,
                    "a value of CSR attribute " + item.oid + " is not one DER element");
      }
    }
    // X.690 §11.6: the components of a SET OF are in ascending order of their encodings.
    std::sort(values.begin(), values.end());
    Bytes set;
    for (const Bytes& v : values) set.insert(set.end(), v.begin(), v.end());
    Bytes attribute = type;
    der::append_tlv(attribute, der::tag::kSet, set);
    der::append_tlv(content, der::tag::kSequence, attribute);
  }
  return der::tlv(der::tag::kSequence, content);
}

Result<CsrAttrOrOid> csr_attribute_of_oids(std::string dotted,
                                           const std::vector<std::string>& value_oids) {
  std::vector<Bytes> values;
  values.reserve(value_oids.size());
  for (const std::string& v : value_oids) {
    FLEETPKI_TRY(Bytes element, der::oid(v));
    values.push_back(std::move(element));
  }
  return CsrAttrOrOid::attribute(std::move(dotted), std::move(values));
}

}  // namespace fleetpki::pki
