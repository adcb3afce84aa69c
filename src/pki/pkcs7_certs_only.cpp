#include "pki/pkcs7_certs_only.h"

#include <openssl/evp.h>

#include <algorithm>

#include "pki/der.h"

namespace fleetpki::pki {
namespace {
// 1.2.840.113549.1.7.2 (signedData) and 1.2.840.113549.1.7.1 (data), DER content octets.
constexpr std::uint8_t kSignedDataOid[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x02};
constexpr std::uint8_t kDataOid[] = {0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x01};
}  // namespace

Bytes encode_certs_only(const std::vector<Bytes>& certificates_der) {
  std::vector<Bytes> sorted = certificates_der;
  std::sort(sorted.begin(), sorted.end());
  Bytes certs;
  for (const auto& c : sorted) certs.insert(certs.end(), c.begin(), c.end());

  Bytes signed_data;
  der::append_tlv(signed_data, der::tag::kInteger, Bytes{0x01});               // version 1
  der::append_tlv(signed_data, der::tag::kSet, {});                            // digestAlgorithms
  der::append_tlv(signed_data, der::tag::kSequence, der::tlv(der::tag::kOid, kDataOid));  // encapContentInfo
  der::append_tlv(signed_data, der::tag::context(0, true), certs);             // [0] IMPLICIT SET OF
  der::append_tlv(signed_data, der::tag::kSet, {});                            // signerInfos

  Bytes content_info;
  der::append_tlv(content_info, der::tag::kOid, kSignedDataOid);
  der::append_tlv(content_info, der::tag::context(0, true), der::tlv(der::tag::kSequence, signed_data));
  return der::tlv(der::tag::kSequence, content_info);
}

std::string base64_lines(ByteView data) {
  std::string out;
  constexpr std::size_t kChunk = 48;  // 48 bytes -> 64 characters
  for (std::size_t off = 0; off < data.size(); off += kChunk) {
    const std::size_t n = std::min(kChunk, data.size() - off);
    unsigned char buf[65];
    const int len = ::EVP_EncodeBlock(buf, data.data() + off, static_cast<int>(n));
    out.append(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(len));
    out.push_back('\n');
  }
  return out;
}

}  // namespace fleetpki::pki
