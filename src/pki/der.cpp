// Strict DER (X.690 §10) reader and writer: definite minimal lengths, low tag numbers only.
#include "pki/der.h"

#include <charconv>
#include <string>
#include <vector>

namespace fleetpki::pki::der {
namespace {

tl::unexpected<Error> malformed(std::string what) {
  return fail(Errc::InvalidArgument, "malformed DER: " + what);
}

std::string hex_tag(std::uint8_t t) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s = "0x";
  s.push_back(kDigits[t >> 4]);
  s.push_back(kDigits[t & 0x0F]);
  return s;
}

void append_length(Bytes& out, std::size_t len) {
  if (len < 0x80) {
    out.push_back(static_cast<std::uint8_t>(len));
    return;
  }
  std::uint8_t buf[sizeof(std::size_t)];
  std::size_t n = 0;
  while (len > 0) {
    buf[n++] = static_cast<std::uint8_t>(len & 0xFF);
    len >>= 8;
  }
  out.push_back(static_cast<std::uint8_t>(0x80 | n));
  while (n > 0) {
    out.push_back(buf[--n]);
  }
}

void append_base128(Bytes& out, std::uint64_t v) {
  std::uint8_t buf[10];
  std::size_t n = 0;
  do {
    buf[n++] = static_cast<std::uint8_t>(v & 0x7F);
    v >>= 7;
  } while (v > 0);
  while (n > 1) {
    out.push_back(static_cast<std::uint8_t>(buf[--n] | 0x80));
  }
  out.push_back(buf[0]);
}

}  // namespace

void append_tlv(Bytes& out, std::uint8_t tag, ByteView content) {
  out.push_back(tag);
  append_length(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
}

Bytes tlv(std::uint8_t tag, ByteView content) {
  Bytes out;
  out.reserve(content.size() + 6);
  append_tlv(out, tag, content);
  return out;
}

Result<Bytes> oid(std::string_view dotted) {
  std::vector<std::uint64_t> arcs;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = dotted.find('.', start);
    std::string_view part =
        dotted.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty() || (part.size() > 1 && part[0] == '0')) {
      return fail(Errc::InvalidArgument, "malformed OID \"" + std::string(dotted) + "\"");
    }
    std::uint64_t v = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || ptr != part.data() + part.size() || v > (1ull << 56)) {
      return fail(Errc::InvalidArgument, "malformed OID \"" + std::string(dotted) + "\"");
    }
    arcs.push_back(v);
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  if (arcs.size() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40)) {
    return fail(Errc::InvalidArgument, "malformed OID \"" + std::string(dotted) + "\"");
  }
  Bytes content;
  append_base128(content, arcs[0] * 40 + arcs[1]);
  for (std::size_t i = 2; i < arcs.size(); ++i) {
    append_base128(content, arcs[i]);
  }
  return tlv(tag::kOid, content);
}

Result<std::string> decode_oid(ByteView content) {
  if (content.empty()) {
    return malformed("empty OBJECT IDENTIFIER");
  }
  std::string out;
  std::uint64_t v = 0;
  bool first = true;
  bool at_start = true;
  for (std::size_t i = 0; i < content.size(); ++i) {
    std::uint8_t b = content[i];
    if (at_start && b == 0x80) {
      return malformed("non-minimal OBJECT IDENTIFIER sub-identifier");
    }
    v = (v << 7) | (b & 0x7F);
    if (v > (std::uint64_t{1} << 56)) {  // the same bound as oid(): decoded OIDs re-encode
      return malformed("OBJECT IDENTIFIER sub-identifier too large");
    }
    at_start = false;
    if ((b & 0x80) == 0) {
      if (first) {
        std::uint64_t a = v < 40 ? 0 : (v < 80 ? 1 : 2);
        out += std::to_string(a);
        out += '.';
        out += std::to_string(v - a * 40);
        first = false;
      } else {
        out += '.';
        out += std::to_string(v);
      }
      v = 0;
      at_start = true;
    }
  }
  if (!at_start) {
    return malformed("truncated OBJECT IDENTIFIER");
  }
  return out;
}

std::string oid_to_string(ByteView content) {
  auto r = decode_oid(content);
  return r ? *r : std::string("invalid-oid");
}

Bytes integer_content(std::uint64_t value) {
  std::uint8_t buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<std::uint8_t>(value & 0xFF);
    value >>= 8;
  }
  return unsigned_integer_content(ByteView(buf, sizeof buf));
}

Bytes unsigned_integer_content(ByteView magnitude) {
  std::size_t i = 0;
  while (i < magnitude.size() && magnitude[i] == 0) {
    ++i;
  }
  Bytes out;
  out.reserve(magnitude.size() - i + 1);
  if (i == magnitude.size() || (magnitude[i] & 0x80) != 0) {
    out.push_back(0);
  }
  out.insert(out.end(), magnitude.begin() + static_cast<std::ptrdiff_t>(i), magnitude.end());
  return out;
}

Result<ByteView> positive_integer_magnitude(ByteView content) {
  if (content.empty()) {
    return malformed("empty INTEGER");
  }
  if (content.size() > 1 && ((content[0] == 0x00 && (content[1] & 0x80) == 0) ||
                             (content[0] == 0xFF && (content[1] & 0x80) != 0))) {
    return malformed("non-minimal INTEGER");
  }
  if ((content[0] & 0x80) != 0) {
    return fail(Errc::InvalidArgument, "negative INTEGER where a positive one is required");
  }
  ByteView mag = content[0] == 0 ? content.subspan(1) : content;
  if (mag.empty()) {
    return fail(Errc::InvalidArgument, "zero INTEGER where a positive one is required");
  }
  return mag;
}

Result<std::uint64_t> small_non_negative_integer(ByteView content) {
  if (content.size() == 1 && content[0] == 0) {
    return std::uint64_t{0};
  }
  auto mag = positive_integer_magnitude(content);
  if (!mag) {
    return tl::unexpected(std::move(mag).error());
  }
  if (mag->size() > 8 || (mag->size() == 8 && ((*mag)[0] & 0x80) != 0)) {
    return fail(Errc::InvalidArgument, "INTEGER too large");
  }
  std::uint64_t v = 0;
  for (std::uint8_t b : *mag) {
    v = (v << 8) | b;
  }
  return v;
}

Result<ByteView> bit_string_octets(ByteView content) {
  if (content.empty()) {
    return malformed("empty BIT STRING");
  }
  if (content[0] != 0) {
    return malformed("BIT STRING with unused bits where whole octets are required");
  }
  return content.subspan(1);
}

Result<bool> decode_boolean(ByteView content) {
  if (content.size() != 1 || (content[0] != 0x00 && content[0] != 0xFF)) {
    return malformed("BOOLEAN must be one octet 00 or FF");
  }
  return content[0] == 0xFF;
}

Result<Element> Reader::next() {
  if (pos_ >= input_.size()) {
    return malformed("unexpected end of data");
  }
  const std::size_t avail = input_.size() - pos_;
  const std::uint8_t t = input_[pos_];
  if ((t & 0x1F) == 0x1F) {
    return malformed("high tag number form is not supported");
  }
  if (avail < 2) {
    return malformed("truncated length");
  }
  const std::uint8_t first = input_[pos_ + 1];
  std::size_t header = 2;
  std::size_t len = 0;
  if (first < 0x80) {
    len = first;
  } else if (first == 0x80) {
    return malformed("indefinite length is not DER");
  } else {
    const std::size_t n = first & 0x7F;
    if (n > 4) {
      return malformed("length too large");
    }
    if (avail < 2 + n) {
      return malformed("truncated length");
    }
    if (input_[pos_ + 2] == 0) {
      return malformed("non-minimal length");
    }
    for (std::size_t i = 0; i < n; ++i) {
      len = (len << 8) | input_[pos_ + 2 + i];
    }
    if (len < 0x80) {
      return malformed("non-minimal length");
    }
    header = 2 + n;
  }
  if (len > avail - header) {
    return malformed("length exceeds the available data");
  }
  Element e;
  e.tag = t;
  e.content = input_.subspan(pos_ + header, len);
  e.encoded = input_.subspan(pos_, header + len);
  pos_ += header + len;
  return e;
}

Result<Element> Reader::expect(std::uint8_t expected_tag) {
  auto t = peek_tag();
  if (!t) {
    return malformed("expected tag " + hex_tag(expected_tag) + ", found end of data");
  }
  if (*t != expected_tag) {
    return malformed("expected tag " + hex_tag(expected_tag) + ", found " + hex_tag(*t));
  }
  return next();
}

std::optional<std::uint8_t> Reader::peek_tag() const {
  if (pos_ >= input_.size()) {
    return std::nullopt;
  }
  return input_[pos_];
}

Result<std::optional<Element>> Reader::optional(std::uint8_t t) {
  if (peek_tag() != t) {
    return std::optional<Element>();
  }
  auto e = next();
  if (!e) {
    return tl::unexpected(std::move(e).error());
  }
  return std::optional<Element>(*e);
}

Status Reader::expect_end(std::string_view what) const {
  if (!empty()) {
    return malformed("trailing data after " + std::string(what));
  }
  return ok();
}

Result<Element> parse_single(ByteView input, std::uint8_t expected_tag) {
  Reader r(input);
  auto e = r.expect(expected_tag);
  if (!e) {
    return e;
  }
  if (!r.empty()) {
    return malformed("trailing data after the element");
  }
  return e;
}

Result<SignedEnvelope> parse_signed_envelope(ByteView input, std::string_view what) {
  FLEETPKI_TRY(Element top, parse_single(input, tag::kSequence));
  Reader r(top.content);
  SignedEnvelope env;
  FLEETPKI_TRY(env.to_be_signed, r.expect(tag::kSequence));
  FLEETPKI_TRY(env.algorithm, r.expect(tag::kSequence));
  FLEETPKI_TRY(env.signature, r.expect(tag::kBitString));
  FLEETPKI_RETURN_IF_ERROR(r.expect_end(what));
  return env;
}

}  // namespace fleetpki::pki::der
