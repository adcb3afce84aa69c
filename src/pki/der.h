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

 private:
  ByteView input_;
  std::size_t pos_ = 0;
};

}  // namespace fleetpki::pki::der
