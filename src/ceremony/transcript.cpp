// Transcript records: canonical JSON (nlohmann's sorted keys), hash chain and root signatures.
#include "ceremony/transcript.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/time_format.h"
#include "pki/ossl/error.h"
#include "pki/public_key.h"

namespace fleetpki::ceremony {
namespace {

constexpr std::size_t kMaxTranscriptBytes = 16 * 1024 * 1024;
const std::string kZeroHash(64, '0');

std::string sha256_hex(const pki::CryptoContext& ctx, ByteView data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (::EVP_Digest(data.data(), data.size(), out, &length, ctx.sha256(), nullptr) != 1) {
    return {};
  }
  return to_hex(ByteView(out, length));
}

Result<std::vector<std::string>> read_lines(const std::filesystem::path& path) {
  std::vector<std::string> lines;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return lines;
  }
  if (std::filesystem::file_size(path, ec) > kMaxTranscriptBytes) {
    return fail(Errc::ResourceExhausted, "the transcript is larger than 16 MiB");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(Errc::FailedPrecondition, "cannot read the transcript " + path.string());
  }
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
  }
  return lines;
}

pki::SignatureAlgorithm algorithm_for(const pki::PublicKeyInfo& key) {
  switch (key.type) {
    case pki::KeyType::EcP256:
      return pki::SignatureAlgorithm::EcdsaSha256;
    case pki::KeyType::EcP384:
      return pki::SignatureAlgorithm::EcdsaSha384;
    case pki::KeyType::Ed25519:
      return pki::SignatureAlgorithm::Ed25519;
    case pki::KeyType::Rsa:
      return pki::SignatureAlgorithm::RsaPkcs1Sha256;
  }
  return pki::SignatureAlgorithm::EcdsaSha256;
}

}  // namespace

Result<std::string> file_sha256(const pki::CryptoContext& ctx, const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return fail(Errc::NotFound, "cannot read " + file.string());
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  std::string data = buffer.str();
  return sha256_hex(ctx, as_bytes(data));
}

Status append_transcript(const pki::CryptoContext& ctx, const Clock& clock,
                         const std::filesystem::path& transcript, const keys::Signer& root_key,
                         const TranscriptEntry& entry) {
  FLEETPKI_TRY(auto lines, read_lines(transcript));
  std::string prev = kZeroHash;
  if (!lines.empty()) {
    if (!nlohmann::json::accept(lines.back())) {
      return fail(Errc::DataLoss,
                  "the last transcript record does not parse: run "
                  "`fleetpki ceremony verify-transcript`");
    }
    prev = sha256_hex(ctx, as_bytes(lines.back()));
  }
  nlohmann::json record;
  record["seq"] = lines.size() + 1;
  record["time"] = format_rfc3339(to_unix(clock.now()));
  record["operation"] = entry.operation;
  record["operators"] = entry.operators;
  record["parameters"] = entry.parameters;
  record["outputs"] = entry.outputs;
  record["prev"] = prev;
  std::string body = record.dump();
  FLEETPKI_TRY(Bytes signature, root_key.sign(as_bytes(body)));
  record["signature"] = to_hex(signature);
  std::string line = record.dump() + "\n";

  int fd = ::open(transcript.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    return fail(Errc::FailedPrecondition, "cannot open the transcript " + transcript.string(),
                std::strerror(errno));
  }
  Status status = ok();
  std::size_t written = 0;
  while (written < line.size()) {
    ssize_t n = ::write(fd, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      status = fail(Errc::Internal, "cannot write the transcript", std::strerror(errno));
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  if (status && ::fsync(fd) != 0) {
    status = fail(Errc::Internal, "cannot sync the transcript", std::strerror(errno));
  }
  ::close(fd);
  return status;
}

Result<TranscriptVerdict> verify_transcript(const pki::CryptoContext& ctx,
                                            const std::filesystem::path& transcript,
                                            const pki::Certificate& root) {
  std::error_code ec;
  if (!std::filesystem::exists(transcript, ec)) {
    return fail(Errc::NotFound, "no transcript at " + transcript.string());
  }
  FLEETPKI_TRY(auto lines, read_lines(transcript));
  FLEETPKI_TRY(auto key, pki::make_verification_key(ctx, root.public_key()));
  const pki::SignatureAlgorithm alg = algorithm_for(root.public_key());
  TranscriptVerdict verdict;
  std::string prev = kZeroHash;
  auto bad = [&](std::size_t index, std::string reason) {
    verdict.intact = false;
    verdict.first_bad = index + 1;
    verdict.reason = std::move(reason);
    return verdict;
  };
  if (lines.empty()) {
    return bad(0, "the transcript is empty");
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    verdict.records = i;
    auto record = nlohmann::json::parse(lines[i], nullptr, /*allow_exceptions=*/false);
    if (record.is_discarded() || !record.is_object()) {
      return bad(i, "not a JSON object");
    }
    if (!record.contains("seq") || !record["seq"].is_number_unsigned() ||
        record["seq"].get<std::size_t>() != i + 1) {
      return bad(i, "its sequence number is not " + std::to_string(i + 1) +
                        " (a record was removed or inserted)");
    }
    if (!record.contains("prev") || !record["prev"].is_string() ||
        record["prev"].get<std::string>() != prev) {
      return bad(i, "it does not chain to the record before it (that record was changed)");
    }
    if (!record.contains("signature") || !record["signature"].is_string()) {
      return bad(i, "it has no signature");
    }
    Bytes signature;
    if (!from_hex(record["signature"].get<std::string>(), signature)) {
      return bad(i, "its signature is not hex");
    }
    record.erase("signature");
    std::string body = record.dump();
    FLEETPKI_TRY(bool valid, pki::verify_signature(ctx, key.get(), alg, as_bytes(body), signature));
    if (!valid) {
      return bad(i, "its signature does not verify with the root certificate's key");
    }
    prev = sha256_hex(ctx, as_bytes(lines[i]));
  }
  verdict.intact = true;
  verdict.records = lines.size();
  return verdict;
}

}  // namespace fleetpki::ceremony
