// Strict PEM (RFC 7468 §3 "strict" form): labels checked before decoding, base64 validated before
// EVP_DecodeBlock, nothing but whitespace around and between blocks.
#include "pki/pem.h"

#include <openssl/evp.h>

#include <algorithm>

namespace fleetpki::pki {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

tl::unexpected<Error> bad_pem(std::string why) {
  return fail(Errc::InvalidArgument, "malformed PEM: " + why);
}

struct Block {
  std::string label;
  Bytes der;
};

Result<Bytes> decode_base64_body(std::string_view body) {
  std::string b64;
  b64.reserve(body.size());
  // Body: base64 lines separated by line breaks; spaces/tabs at line ends are tolerated.
  for (char c : body) {
    if (is_space(c)) {
      continue;
    }
    b64.push_back(c);
  }
  if (b64.empty()) {
    return bad_pem("empty body");
  }
  if (b64.size() % 4 != 0) {
    return bad_pem("base64 length is not a multiple of 4");
  }
  std::size_t pad = 0;
  for (std::size_t i = 0; i < b64.size(); ++i) {
    char c = b64[i];
    if (c == '=') {
      if (i + 2 < b64.size()) {
        return bad_pem("base64 padding in the middle of the data");
      }
      ++pad;
    } else if (pad > 0 || !is_base64_char(c)) {
      return bad_pem("invalid base64 character");
    }
  }
  if (b64.size() > static_cast<std::size_t>(INT32_MAX)) {
    return bad_pem("too large");
  }
  Bytes out(b64.size() / 4 * 3);
  int n = ::EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(b64.data()),
                            static_cast<int>(b64.size()));
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) {
    return bad_pem("invalid base64");
  }
  // EVP_DecodeBlock counts the zero octets produced by '=' padding: drop them.
  out.resize(out.size() - pad);
  return out;
}

// Parses one block starting at text[pos] (which must be "-----BEGIN "); advances pos past it.
Result<Block> parse_block(std::string_view text, std::size_t& pos) {
  if (text.substr(pos, kBegin.size()) != kBegin) {
    return bad_pem("expected \"-----BEGIN \"");
  }
  std::size_t label_start = pos + kBegin.size();
  std::size_t label_end = text.find(kDashes, label_start);
  if (label_end == std::string_view::npos) {
    return bad_pem("unterminated BEGIN line");
  }
  std::string_view label = text.substr(label_start, label_end - label_start);
  if (label.find_first_of("\r\n") != std::string_view::npos) {
    return bad_pem("unterminated BEGIN line");
  }
  std::size_t body_start = label_end + kDashes.size();
  // The BEGIN line ends right after its dashes (optional trailing blanks, then a line break).
  while (body_start < text.size() && (text[body_start] == ' ' || text[body_start] == '\t')) {
    ++body_start;
  }
  if (body_start < text.size() && text[body_start] == '\r') {
    ++body_start;
  }
  if (body_start >= text.size() || text[body_start] != '\n') {
    return bad_pem("BEGIN line must be followed by a line break");
  }
  ++body_start;
  std::string end_line = std::string(kEnd) + std::string(label) + std::string(kDashes);
  std::size_t end_pos = text.find(end_line, body_start);
  if (end_pos == std::string_view::npos) {
    return bad_pem("missing END line for \"" + std::string(label) + "\"");
  }
  if (end_pos > 0 && text[end_pos - 1] != '\n') {
    return bad_pem("END line must start a line");
  }
  auto der = decode_base64_body(text.substr(body_start, end_pos - body_start));
  if (!der) {
    return tl::unexpected(std::move(der).error());
  }
  pos = end_pos + end_line.size();
  return Block{std::string(label), std::move(*der)};
}

Result<std::vector<Block>> parse_blocks(std::string_view text) {
  std::vector<Block> blocks;
  std::size_t pos = 0;
  while (true) {
    while (pos < text.size() && is_space(text[pos])) {
      ++pos;
    }
    if (pos >= text.size()) {
      break;
    }
    if (text.substr(pos, kBegin.size()) != kBegin) {
      return bad_pem("unexpected text outside a PEM block");
    }
    auto block = parse_block(text, pos);
    if (!block) {
      return tl::unexpected(std::move(block).error());
    }
    if (pos < text.size() && !is_space(text[pos])) {
      return bad_pem("unexpected text after the END line");
    }
    blocks.push_back(std::move(*block));
  }
  if (blocks.empty()) {
    return bad_pem("no PEM block found");
  }
  return blocks;
}

}  // namespace

std::string pem_encode(ByteView der, std::string_view label) {
  std::string out;
  out.reserve(der.size() * 4 / 3 + der.size() / 48 + 2 * label.size() + 40);
  out += kBegin;
  out += label;
  out += "-----\n";
  unsigned char line[65];
  for (std::size_t off = 0; off < der.size(); off += 48) {
    std::size_t n = std::min<std::size_t>(48, der.size() - off);
    int len = ::EVP_EncodeBlock(line, der.data() + off, static_cast<int>(n));
    out.append(reinterpret_cast<const char*>(line), static_cast<std::size_t>(len));
    out += '\n';
  }
  out += kEnd;
  out += label;
  out += "-----\n";
  return out;
}

Result<Bytes> pem_decode(std::string_view text, std::initializer_list<std::string_view> labels) {
  auto blocks = parse_blocks(text);
  if (!blocks) {
    return tl::unexpected(std::move(blocks).error());
  }
  if (blocks->size() != 1) {
    return fail(Errc::InvalidArgument, "expected exactly one PEM block, found " +
                                           std::to_string(blocks->size()));
  }
  Block& b = blocks->front();
  if (std::find(labels.begin(), labels.end(), std::string_view(b.label)) == labels.end()) {
    return fail(Errc::InvalidArgument, "unexpected PEM label \"" + b.label + "\"");
  }
  return std::move(b.der);
}

Result<std::vector<Bytes>> pem_decode_all(std::string_view text, std::string_view label) {
  auto blocks = parse_blocks(text);
  if (!blocks) {
    return tl::unexpected(std::move(blocks).error());
  }
  std::vector<Bytes> out;
  for (Block& b : *blocks) {
    if (b.label == label) {
      out.push_back(std::move(b.der));
    }
  }
  if (out.empty()) {
    return fail(Errc::InvalidArgument, "no PEM block with label \"" + std::string(label) + "\"");
  }
  return out;
}

}  // namespace fleetpki::pki
