// A small strict DER reader and writer (X.690). Used by the hot issuance path instead of
// OpenSSL's X509 object API, whose 3.0 decoding costs ~10x more (see docs/benchmarks.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"
#include "common/result.h"

namespace fleetpki::pki::der {

namespace tag {
inline constexpr std::uint8_t kBoolean = 0x01, kInteger = 0x02, kBitString = 0x03,
                              kOctetString = 0x04, kNull = 0x05, kOid = 0x06, kUtf8String = 0x0C,
                              kPrintableString = 0x13, kIa5String = 0x16, kUtcTime = 0x17,
                              kGeneralizedTime = 0x18, kSequence = 0x30, kSet = 0x31;
/// Context-specific tags: [n] primitive is 0x80|n, [n] constructed is 0xA0|n.
constexpr std::uint8_t context(unsigned n, bool constructed) {
  return static_cast<std::uint8_t>((constructed ? 0xA0 : 0x80) | n);
}
}  // namespace tag

/// Appends one TLV with a minimal definite length.
void append_tlv(Bytes& out, std::uint8_t tag, ByteView content);
/// Encodes one TLV.
Bytes tlv(std::uint8_t tag, ByteView content);
/// OBJECT IDENTIFIER from dotted text ("2.5.29.19"); InvalidArgument when malformed.
Result<Bytes> oid(std::string_view dotted);
/// Dotted text of OID content octets.
std::string oid_to_string(ByteView content);

/// INTEGER content octets of a non-negative value (minimal two's complement).
Bytes integer_content(std::uint64_t value);
/// INTEGER content octets of a non-negative big-endian magnitude (leading zeros stripped, a 00
/// sign octet added when the top bit is set). An empty or all-zero magnitude encodes 0.
Bytes unsigned_integer_content(ByteView magnitude);
/// Validates INTEGER content as minimal DER and strictly positive; returns the magnitude without
/// the sign octet. InvalidArgument for empty, non-minimal, zero or negative values.
Result<ByteView> positive_integer_magnitude(ByteView content);
/// Validates INTEGER content as minimal DER, non-negative and below 2^63.
Result<std::uint64_t> small_non_negative_integer(ByteView content);
/// BIT STRING content whose unused-bits octet is 0; returns the bit octets.
Result<ByteView> bit_string_octets(ByteView content);
/// DER BOOLEAN content (exactly one octet, 00 or FF).
Result<bool> decode_boolean(ByteView content);
/// Validating OID decoder: dotted text, InvalidArgument for empty or non-minimal sub-identifiers.
Result<std::string> decode_oid(ByteView content);

/// One element read by Reader: its tag, its content, and the whole encoding.
struct Element {
  std::uint8_t tag = 0;
  ByteView content;
  ByteView encoded;
};

/// Reads consecutive DER elements from a buffer. Rejects indefinite lengths, non-minimal lengths,
/// high tag numbers and lengths past the end. Never reads outside the input.
class Reader final {
 public:
  explicit Reader(ByteView input) : input_(input) {}
  bool empty() const { return pos_ >= input_.size(); }
  /// Next element of any tag.
  Result<Element> next();
  /// Next element, which must carry `expected_tag`.
  Result<Element> expect(std::uint8_t expected_tag);
  /// Peeks the next tag without consuming (nullopt at the end).
  std::optional<std::uint8_t> peek_tag() const;
  /// Consumes the next element only if it carries `tag` (OPTIONAL / DEFAULT fields).
  Result<std::optional<Element>> optional(std::uint8_t tag);
  /// InvalidArgument unless all input was consumed; `what` names the structure in the message.
  Status expect_end(std::string_view what) const;
  /// Bytes not consumed yet.
  ByteView remaining() const { return input_.subspan(pos_); }

 private:
  ByteView input_;
  std::size_t pos_ = 0;
};

/// Parses `input` as exactly one element carrying `expected_tag` (trailing bytes refused).
Result<Element> parse_single(ByteView input, std::uint8_t expected_tag);

/// The envelope shared by certificates, CSRs, CRLs and OCSP responses:
/// SEQUENCE { toBeSigned SEQUENCE, signatureAlgorithm SEQUENCE, signature BIT STRING }.
struct SignedEnvelope {
  Element to_be_signed;
  Element algorithm;     // the AlgorithmIdentifier element (use .encoded)
  Element signature;     // the BIT STRING element (use bit_string_octets(.content))
};
/// Parses exactly one envelope (trailing bytes refused); `what` names it in error messages.
Result<SignedEnvelope> parse_signed_envelope(ByteView input, std::string_view what);

}  // namespace fleetpki::pki::der
