// EST /serverkeygen multipart/mixed (RFC 7030 §4.4.2): order, types, base64, random boundary.
#include "server/est/est_multipart.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "server/est/est_codec.h"

namespace fleetpki::server::est {
namespace {

struct Part {
  std::string headers;
  std::string body;
};

/// A small RFC 2046 §5.1.1 reader: the parts between "--boundary" lines.
std::vector<Part> split(const std::string& body, const std::string& boundary) {
  std::vector<Part> parts;
  const std::string delimiter = "--" + boundary;
  std::size_t pos = body.find(delimiter);
  while (pos != std::string::npos) {
    pos += delimiter.size();
    if (body.compare(pos, 2, "--") == 0) {
      break;  // close delimiter
    }
    pos = body.find("\r\n", pos) + 2;
    const std::size_t next = body.find("\r\n" + delimiter, pos);
    if (next == std::string::npos) {
      return {};
    }
    const std::string part = body.substr(pos, next - pos);
    const std::size_t blank = part.find("\r\n\r\n");
    parts.push_back({part.substr(0, blank), part.substr(blank + 4)});
    pos = next + 2;
  }
  return parts;
}

std::string boundary_of(const std::string& content_type) {
  const std::string key = "boundary=";
  const auto at = content_type.find(key);
  return at == std::string::npos ? std::string() : content_type.substr(at + key.size());
}

TEST(EstMultipart, KeyPartFirstThenCertsOnlyEachBase64) {
  const Bytes key_der = {0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x42};
  const Bytes p7_der = {0x30, 0x80, 0x06, 0x09, 0x2a, 0x86, 0x48};
  auto m = encode_serverkeygen_response(SecureBytes(ByteView(key_der)), p7_der);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->content_type.rfind("multipart/mixed; boundary=", 0), 0u) << m->content_type;
  const std::string boundary = boundary_of(m->content_type);
  ASSERT_GE(boundary.size(), 20u);

  const auto parts = split(m->body, boundary);
  ASSERT_EQ(parts.size(), 2u) << m->body;
  EXPECT_NE(parts[0].headers.find("Content-Type: application/pkcs8\r\n"), std::string::npos);
  EXPECT_NE(parts[1].headers.find("Content-Type: application/pkcs7-mime; smime-type=certs-only"),
            std::string::npos);
  auto key = decode_base64_body(parts[0].body);
  auto p7 = decode_base64_body(parts[1].body);
  ASSERT_TRUE(key && p7);
  EXPECT_EQ(*key, key_der);
  EXPECT_EQ(*p7, p7_der);
  EXPECT_NE(m->body.find("\r\n--" + boundary + "--\r\n"), std::string::npos) << "close delimiter";
}

TEST(EstMultipart, BoundaryIsRandomAndNeverInBase64) {
  const Bytes der(300, 0xFB);  // base64 "+/+/…": the characters nearest to a boundary's
  auto a = encode_serverkeygen_response(SecureBytes(ByteView(der)), der);
  auto b = encode_serverkeygen_response(SecureBytes(ByteView(der)), der);
  ASSERT_TRUE(a && b);
  EXPECT_NE(boundary_of(a->content_type), boundary_of(b->content_type));
  // RFC 2046 §5.1.1: "--boundary" appears only as the three delimiters.
  const std::string delimiter = "--" + boundary_of(a->content_type);
  std::size_t count = 0;
  for (auto at = a->body.find(delimiter); at != std::string::npos;
       at = a->body.find(delimiter, at + 1)) {
    ++count;
  }
  EXPECT_EQ(count, 3u);
}

}  // namespace
}  // namespace fleetpki::server::est
