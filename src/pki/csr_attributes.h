// CSR attributes (RFC 7030 §4.5.2, ASN.1 as corrected by RFC 8951): what an EST server asks a
// client to put into its CSR, answered on /csrattrs.
//
//   CsrAttrs ::= SEQUENCE SIZE (0..MAX) OF AttrOrOID
//   AttrOrOID ::= CHOICE { oid OBJECT IDENTIFIER, attribute Attribute }
//   Attribute ::= SEQUENCE { type OBJECT IDENTIFIER, values SET SIZE (1..MAX) OF ANY }
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace fleetpki::pki {

/// One AttrOrOID: a bare OID ("include this"), or an Attribute carrying values.
struct CsrAttrOrOid {
  std::string oid;  // dotted
  /// nullopt: a bare OID. Otherwise the Attribute's values, each one complete DER element (e.g.
  /// the OBJECT IDENTIFIER of a curve, or of an extension asked for in extensionRequest).
  std::optional<std::vector<Bytes>> values;

  static CsrAttrOrOid bare(std::string dotted) { return {std::move(dotted), std::nullopt}; }
  static CsrAttrOrOid attribute(std::string dotted, std::vector<Bytes> value_elements) {
    return {std::move(dotted), std::move(value_elements)};
  }
};

/// DER of CsrAttrs, items in the given order. Attribute values are sorted by encoding (DER SET OF,
/// X.690 §11.6). InvalidArgument for a malformed OID, an Attribute without values or a value that
/// is not exactly one DER element.
Result<Bytes> encode_csr_attrs(const std::vector<CsrAttrOrOid>& items);

/// An Attribute whose values are OBJECT IDENTIFIERs (the common case: a curve, a hash, extension
/// OIDs of an extensionRequest). InvalidArgument for a malformed OID.
Result<CsrAttrOrOid> csr_attribute_of_oids(std::string dotted,
                                           const std::vector<std::string>& value_oids);

}  // namespace fleetpki::pki
