// Fuzz target for the OCSP request parser (internet-facing) and the response encoder fed with what
// it accepted: libFuzzer entry point, also driven by replay_main.cpp under g++ (fuzz_smoke).
//
// Seed corpus (tests/fuzz/corpus/ocsp), made with the openssl CLI from ca.pem =
// `openssl x509 -inform DER -in tests/data/pki/cert_p256_root.der -out ca.pem` (one command a
// line):
//   openssl ocsp -issuer ca.pem -serial 0x1234 -no_nonce -reqout sha1_one_no_nonce.der
//   openssl ocsp -issuer ca.pem -sha256 -serial 0x4a3b2c1d0e0f -reqout sha256_one_nonce.der
//   openssl ocsp -issuer ca.pem -serial 0x01 -sha256
//           -serial 0x7fffffffffffffffffffffffffffffffffffffff -serial 0x00ff
//           -reqout mixed_three_nonce.der
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout signer.key
//           -out signer.pem -subj "/CN=ocsp client" -days 30
//   openssl ocsp -issuer ca.pem -serial 0x1234 -signer signer.pem -signkey signer.key
//           -reqout signed_with_requestor.der   (requestorName [1], optionalSignature [0])
// plus standards_vector.der: the 69-byte request of STANDARDS.md §5.5 (base64 of its GET path).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "common/check.h"
#include "pki/der.h"
#include "pki/ocsp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace fleetpki;
  const ByteView input(data, size);

  auto request = pki::parse_ocsp_request(input);
  auto strict = pki::parse_ocsp_request(input, {.max_entries = 1});
  FLEETPKI_CHECK(!strict || request, "a lower entry limit never accepts more");
  if (!request) {
    FLEETPKI_CHECK(request.error().code == Errc::InvalidArgument,
                   "parse errors are InvalidArgument");
    return 0;
  }
  FLEETPKI_CHECK(!request->cert_ids.empty() && request->cert_ids.size() <= 8, "1..max_entries");
  if (request->nonce) {
    FLEETPKI_CHECK(!request->nonce->empty() && request->nonce->size() <= 32, "nonce 1..32 octets");
  }

  pki::OcspResponseParts parts;
  parts.responder_key_hash = Bytes(20, 0x5A);
  parts.produced_at = from_unix(1800000000);
  parts.nonce = request->nonce;
  for (const auto& id : request->cert_ids) {
    const std::size_t want = id.hash == pki::OcspHashAlgorithm::Sha1 ? 20 : 32;
    FLEETPKI_CHECK(id.issuer_name_hash.size() == want && id.issuer_key_hash.size() == want,
                   "hash lengths match the algorithm");
    FLEETPKI_CHECK(!id.serial.empty() && id.serial.size() <= 20 && id.serial[0] != 0,
                   "serial is a positive minimal magnitude of at most 20 octets");
    FLEETPKI_CHECK(std::search(input.begin(), input.end(), id.encoded.begin(), id.encoded.end()) !=
                       input.end(),
                   "the CertID is echoed as sent");
    // With NULL parameters (what almost every client sends) the CertID re-encodes byte for byte.
    const Bytes again =
        pki::encode_cert_id(id.hash, id.issuer_name_hash, id.issuer_key_hash, id.serial);
    const std::size_t null_at = id.hash == pki::OcspHashAlgorithm::Sha1 ? 11 : 15;  // after the OID
    const bool null_params = id.encoded.size() > null_at + 1 && id.encoded[null_at] == 0x05;
    FLEETPKI_CHECK(!null_params || again == id.encoded, "encode_cert_id reproduces the CertID");

    pki::OcspSingleResponse single;
    single.cert_id_der = id.encoded;
    single.status = pki::OcspCertStatus::Revoked;
    single.revocation_time = from_unix(0);
    single.revocation_reason = pki::CrlReason::CertificateHold;
    single.this_update = parts.produced_at;
    single.next_update = parts.produced_at + std::chrono::hours(1);
    parts.responses.push_back(single);
  }
  auto data_der = pki::encode_response_data(parts);
  FLEETPKI_CHECK(data_der.has_value(), "an accepted request can always be answered");
  const Bytes response =
      pki::assemble_ocsp_response(*data_der, pki::SignatureAlgorithm::Ed25519, Bytes(64, 0x01), {});
  FLEETPKI_CHECK(pki::der::parse_single(response, pki::der::tag::kSequence).has_value(),
                 "the response is one DER SEQUENCE");
  return 0;
}
