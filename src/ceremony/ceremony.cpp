// Ceremony steps over a folder: root, shares, intermediates, CRL, each recorded in the transcript.
#include "ceremony/ceremony.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ceremony/root_key.h"
#include "ceremony/shamir.h"
#include "ceremony/share_words.h"
#include "ceremony/transcript.h"
#include "common/time_format.h"
#include "keys/software/software_key_vault.h"
#include "pki/chain_verify.h"
#include "pki/csr.h"
#include "pki/extensions.h"
#include "pki/names.h"
#include "pki/pem.h"
#include "pki/public_key.h"
#include "pki/serial_number.h"
#include "pki/tbs_template.h"

namespace fleetpki::ceremony {
namespace {

constexpr std::string_view kStateFile = "ceremony.json";
constexpr std::size_t kMaxInputBytes = 1024 * 1024;

Status write_new_file(const std::filesystem::path& path, std::string_view data, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST) {
      return fail(Errc::AlreadyExists, path.string() + " already exists: it is never overwritten");
    }
    return fail(Errc::FailedPrecondition, "cannot create " + path.string(), std::strerror(err));
  }
  Status status = ok();
  if (::fchmod(fd, mode) != 0) {
    status = fail(Errc::Internal, "cannot set the mode of " + path.string());
  }
  std::size_t written = 0;
  while (status && written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      status = fail(Errc::Internal, "cannot write " + path.string(), std::strerror(errno));
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  if (status && ::fsync(fd) != 0) {
    status = fail(Errc::Internal, "cannot sync " + path.string(), std::strerror(errno));
  }
  ::close(fd);
  if (!status) {
    ::unlink(path.c_str());
  }
  return status;
}

/// Replaces `path` atomically (temporary file + rename).
Status replace_file(const std::filesystem::path& path, std::string_view data) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  ::unlink(tmp.c_str());
  FLEETPKI_RETURN_IF_ERROR(write_new_file(tmp, data, 0644));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return fail(Errc::Internal, "cannot replace " + path.string(), std::strerror(errno));
  }
  return ok();
}

Result<std::string> read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return fail(Errc::NotFound, "no such file: " + path.string());
    }
    return fail(Errc::FailedPrecondition, "cannot read " + path.string());
  }
  std::string text(kMaxInputBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxInputBytes) {
    return fail(Errc::InvalidArgument, path.string() + " is larger than 1 MiB");
  }
  return text;
}

Result<nlohmann::json> load_state(const std::filesystem::path& dir) {
  auto text = read_text(dir / kStateFile);
  if (!text) {
    if (text.error().code == Errc::NotFound) {
      return nlohmann::json::object();
    }
    return fail(text.error());
  }
  auto state = nlohmann::json::parse(*text, nullptr, false);
  if (state.is_discarded() || !state.is_object()) {
    return fail(Errc::DataLoss,
                "the ceremony state file " + (dir / kStateFile).string() + " is damaged");
  }
  return state;
}

Status save_state(const std::filesystem::path& dir, const nlohmann::json& state) {
  return replace_file(dir / kStateFile, state.dump(2) + "\n");
}

Status check_operators(const Operators& operators) {
  if (operators.empty()) {
    return fail(Errc::InvalidArgument, "name at least one operator (--operator NAME)");
  }
  for (const auto& name : operators) {
    if (name.empty() || name.size() > 128) {
      return fail(Errc::InvalidArgument, "operator names must be 1 to 128 characters");
    }
    for (unsigned char c : name) {
      if (c < 0x20 || c == 0x7f) {
        return fail(Errc::InvalidArgument, "operator names must not hold control characters");
      }
    }
  }
  return ok();
}

Status check_access(const RootKeyAccess& access) {
  if ((access.passphrase == nullptr) == (access.vault == nullptr)) {
    return fail(Errc::InvalidArgument,
                "the root key is reached either by a passphrase (software) or by a key vault");
  }
  return ok();
}

std::string hex_of(const std::array<std::uint8_t, 4>& id) {
  return to_hex(ByteView(id));
}

}  // namespace

PrintedShare::~PrintedShare() {
  wipe_string(text);
}

Result<Ceremony> Ceremony::open(const pki::CryptoContext& ctx, const Clock& clock,
                                std::filesystem::path dir) {
  if (dir.empty()) {
    return fail(Errc::InvalidArgument, "no ceremony folder given (--dir)");
  }
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    if (::mkdir(dir.c_str(), 0700) != 0) {
      return fail(Errc::FailedPrecondition, "cannot create the ceremony folder " + dir.string(),
                  std::strerror(errno));
    }
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    return fail(Errc::FailedPrecondition, dir.string() + " is not a folder");
  }
  return Ceremony(ctx, clock, std::move(dir));
}

Result<pki::Certificate> Ceremony::root_certificate() const {
  auto text = read_text(root_certificate_path());
  if (!text) {
    if (text.error().code == Errc::NotFound) {
      return fail(Errc::FailedPrecondition,
                  "no root in " + dir_.string() + ": run `fleetpki ceremony create-root` first");
    }
    return fail(text.error());
  }
  return pki::Certificate::from_pem(*ctx_, *text);
}

Result<std::optional<std::string>> Ceremony::root_key_reference() const {
  FLEETPKI_TRY(auto state, load_state(dir_));
  const auto key = state.value("key", nlohmann::json::object());
  if (key.value("kind", "") == "vault") {
    return std::optional<std::string>(key.value("ref", ""));
  }
  return std::optional<std::string>();
}

Result<keys::SignerPtr> Ceremony::open_root_signer(const RootKeyAccess& access,
                                                   const pki::Certificate& root) const {
  FLEETPKI_RETURN_IF_ERROR(check_access(access));
  FLEETPKI_TRY(auto state, load_state(dir_));
  const auto& key = state.value("key", nlohmann::json::object());
  const std::string kind = key.value("kind", "");
  keys::SignerPtr signer;
  if (kind == "vault") {
    if (access.vault == nullptr) {
      return fail(Errc::InvalidArgument,
                  "the root key is in a key vault (token): open it with one");
    }
    FLEETPKI_TRY(signer, access.vault->open_signer(key.value("ref", "")));
  } else if (kind == "file") {
    if (access.passphrase == nullptr) {
      return fail(Errc::InvalidArgument,
                  "the root key is a software key file: give its passphrase");
    }
    auto text = read_text(dir_ / key.value("file", "root-key.p8"));
    if (!text) {
      if (text.error().code == Errc::NotFound) {
        return fail(Errc::FailedPrecondition,
                    "the root key file is missing: restore it with `fleetpki ceremony combine`");
      }
      return fail(text.error());
    }
    auto pkey = decrypt_key(*ctx_, *text, *access.passphrase);
    ::OPENSSL_cleanse(text->data(), text->size());
    if (!pkey) return fail(pkey.error());
    FLEETPKI_TRY(signer, keys::make_software_signer(*ctx_, std::move(*pkey)));
  } else {
    return fail(Errc::FailedPrecondition, "the ceremony folder has no root key");
  }
  if (!same_public_key(signer->public_key_spki(), root)) {
    return fail(Errc::FailedPrecondition, "the root key does not match root.pem");
  }
  return signer;
}

Status Ceremony::record(const keys::Signer& root_key, const std::string& operation,
                        const Operators& operators, std::map<std::string, std::string> parameters,
                        const std::vector<std::filesystem::path>& outputs) const {
  TranscriptEntry entry;
  entry.operation = operation;
  entry.operators = operators;
  entry.parameters = std::move(parameters);
  for (const auto& file : outputs) {
    FLEETPKI_TRY(std::string digest, file_sha256(*ctx_, file));
    std::error_code ec;
    auto relative = std::filesystem::relative(file, dir_, ec);
    std::string name = (!ec && !relative.empty() && relative.native().rfind("..", 0) != 0)
                           ? relative.string()
                           : std::filesystem::absolute(file, ec).string();
    entry.outputs[name] = digest;
  }
  return append_transcript(*ctx_, *clock_, transcript_path(), root_key, entry);
}

Result<pki::Certificate> Ceremony::create_root(const RootSpec& spec, const RootKeyAccess& access,
                                               const Operators& operators) {
  FLEETPKI_RETURN_IF_ERROR(check_operators(operators));
  FLEETPKI_RETURN_IF_ERROR(check_access(access));
  std::error_code ec;
  if (std::filesystem::exists(root_certificate_path(), ec) ||
      std::filesystem::exists(transcript_path(), ec)) {
    return fail(Errc::AlreadyExists, dir_.string() + " already holds a root: use a new folder");
  }
  if (spec.common_name.empty()) {
    return fail(Errc::InvalidArgument, "the root needs a common name (--cn)");
  }
  if (spec.validity_days < 1 || spec.validity_days > 36500) {
    return fail(Errc::InvalidArgument, "root validity must be 1 to 36500 days");
  }
  if (spec.path_len && (*spec.path_len < 0 || *spec.path_len > 10)) {
    return fail(Errc::InvalidArgument, "the root path length must be 0 to 10");
  }
  nlohmann::json state = {{"version", 1},
                          {"algorithm", std::string(keys::key_algorithm_name(spec.algorithm))},
                          {"crl_number", 0},
                          {"intermediates", nlohmann::json::array()},
                          {"revoked", nlohmann::json::array()}};
  keys::SignerPtr signer;
  std::vector<std::filesystem::path> outputs;
  if (access.vault != nullptr) {
    FLEETPKI_TRY(std::string ref, access.vault->generate(spec.algorithm, spec.vault_label));
    FLEETPKI_TRY(signer, access.vault->open_signer(ref));
    state["key"] = {{"kind", "vault"}, {"ref", ref}};
  } else {
    FLEETPKI_TRY(auto key, generate_root_key(*ctx_, spec.algorithm));
    FLEETPKI_TRY(std::string pem,
                 encrypt_key(*ctx_, key.get(), *access.passphrase, access.kdf_iterations));
    FLEETPKI_RETURN_IF_ERROR(write_new_file(root_key_path(), pem, 0600));
    FLEETPKI_TRY(signer, keys::make_software_signer(*ctx_, std::move(key)));
    state["key"] = {{"kind", "file"}, {"file", "root-key.p8"}};
    outputs.push_back(root_key_path());
  }

  FLEETPKI_TRY(auto key_info, pki::parse_public_key(signer->public_key_spki()));
  std::vector<std::pair<std::string, std::string>> attrs;
  if (!spec.country.empty()) attrs.emplace_back("C", spec.country);
  if (!spec.organization.empty()) attrs.emplace_back("O", spec.organization);
  attrs.emplace_back("CN", spec.common_name);
  FLEETPKI_TRY(Bytes subject, pki::encode_name(attrs));
  FLEETPKI_TRY(Bytes serial, pki::generate_serial());
  Bytes ski = pki::key_identifier(*ctx_, key_info);
  pki::TbsFixedParts fixed;
  fixed.signature_algorithm = signer->algorithm();
  fixed.basic_constraints_ca = true;
  fixed.path_len = spec.path_len;
  fixed.key_usage = pki::kKeyCertSign | pki::kCrlSign;
  FLEETPKI_TRY(auto tpl, pki::TbsTemplate::create(fixed));
  const TimePoint now = clock_->now();
  pki::TbsVariableParts var;
  var.serial = serial;
  var.not_before = now - std::chrono::minutes(5);
  var.not_after = now + std::chrono::days(spec.validity_days);
  var.subject_name_der = subject;
  var.spki_der = signer->public_key_spki();
  var.subject_key_id = ski;
  FLEETPKI_TRY(Bytes tbs, tpl.encode(var));
  FLEETPKI_TRY(Bytes signature, signer->sign(tbs));
  Bytes der = pki::assemble_certificate(tbs, signer->algorithm(), signature);
  FLEETPKI_TRY(auto root, pki::Certificate::from_der(*ctx_, der));
  if (!pki::is_self_signed(*ctx_, root.der())) {
    return fail(Errc::Internal, "the new root certificate does not verify itself");
  }
  FLEETPKI_RETURN_IF_ERROR(write_new_file(root_certificate_path(), root.pem(), 0644));
  FLEETPKI_RETURN_IF_ERROR(save_state(dir_, state));
  outputs.insert(outputs.begin(), root_certificate_path());
  FLEETPKI_RETURN_IF_ERROR(record(
      *signer, "create-root", operators,
      {{"subject", root.subject_string()},
       {"serial", pki::serial_to_hex(root.serial())},
       {"key_algorithm", std::string(keys::key_algorithm_name(spec.algorithm))},
       {"key_storage", access.vault != nullptr ? "vault:" + state["key"]["ref"].get<std::string>()
                                               : "file:root-key.p8"},
       {"validity_days", std::to_string(spec.validity_days)},
       {"path_len", spec.path_len ? std::to_string(*spec.path_len) : "unlimited"},
       {"not_after", format_rfc3339(to_unix(root.not_after()))}},
      outputs));
  return root;
}

Result<std::vector<PrintedShare>> Ceremony::split(int threshold, int count,
                                                  const RootKeyAccess& access,
                                                  const Operators& operators) {
  FLEETPKI_RETURN_IF_ERROR(check_operators(operators));
  if (access.passphrase == nullptr) {
    return fail(Errc::InvalidArgument,
                "only a software root key can be split (a token key never leaves the token)");
  }
  FLEETPKI_TRY(auto root, root_certificate());
  FLEETPKI_TRY(auto in_vault, root_key_reference());
  if (in_vault) {
    return fail(Errc::FailedPrecondition,
                "the root key is in a token and never leaves it: it cannot be split (use the "
                "token's own backup)");
  }
  FLEETPKI_TRY(auto signer, open_root_signer(access, root));
  // Decrypt again for the private key itself (the signer keeps it opaque).
  FLEETPKI_TRY(std::string pem, read_text(root_key_path()));
  auto key = decrypt_key(*ctx_, pem, *access.passphrase);
  ::OPENSSL_cleanse(pem.data(), pem.size());
  if (!key) return fail(key.error());
  FLEETPKI_TRY(SecureBytes secret, key_secret(key->get()));
  FLEETPKI_TRY(auto shares, split_secret(*ctx_, secret.view(), threshold, count));
  std::vector<PrintedShare> printed;
  for (const Share& share : shares) {
    PrintedShare p;
    p.index = share.x;
    p.threshold = threshold;
    p.count = count;
    p.set_id = hex_of(share.set_id);
    SecureBytes bytes = encode_share(share);
    std::string words = encode_words(bytes.view());
    std::string header = "# fleetpki root key share " + std::to_string(share.x) + " of " +
                         std::to_string(count) + " (any " + std::to_string(threshold) +
                         " restore the key)\n# root: " + root.subject_string() +
                         "\n# share set: " + p.set_id + "\n";
    p.text.reserve(header.size() + words.size());  // one allocation: no unwiped copies
    p.text += header;
    p.text += words;
    wipe_string(words);
    printed.push_back(std::move(p));
  }
  FLEETPKI_RETURN_IF_ERROR(record(*signer, "split", operators,
                                  {{"threshold", std::to_string(threshold)},
                                   {"shares", std::to_string(count)},
                                   {"share_set", printed.front().set_id},
                                   {"root_serial", pki::serial_to_hex(root.serial())}},
                                  {}));
  return printed;
}

Result<std::filesystem::path> Ceremony::combine(const std::vector<std::string>& share_texts,
                                                const RootKeyAccess& access,
                                                const Operators& operators,
                                                std::optional<std::filesystem::path> out) {
  FLEETPKI_RETURN_IF_ERROR(check_operators(operators));
  if (access.passphrase == nullptr) {
    return fail(Errc::InvalidArgument, "give the passphrase for the restored key file");
  }
  FLEETPKI_TRY(auto root, root_certificate());
  std::vector<Share> shares;
  for (std::size_t i = 0; i < share_texts.size(); ++i) {
    auto bytes = decode_words(share_texts[i]);
    if (!bytes) {
      return fail(std::move(bytes.error()).with_context("share " + std::to_string(i + 1)));
    }
    auto share = decode_share(bytes->view());
    if (!share) {
      return fail(std::move(share.error()).with_context("share " + std::to_string(i + 1)));
    }
    shares.push_back(std::move(*share));
  }
  FLEETPKI_TRY(SecureBytes secret, combine_shares(*ctx_, shares));
  FLEETPKI_TRY(auto key, key_from_secret(*ctx_, secret.view(), root));
  FLEETPKI_TRY(std::string pem,
               encrypt_key(*ctx_, key.get(), *access.passphrase, access.kdf_iterations));
  std::filesystem::path target = out ? *out : root_key_path();
  FLEETPKI_RETURN_IF_ERROR(write_new_file(target, pem, 0600));
  FLEETPKI_TRY(auto signer, keys::make_software_signer(*ctx_, std::move(key)));
  std::string xs;
  for (const Share& share : shares) {
    if (!xs.empty()) xs += ",";
    xs += std::to_string(share.x);
  }
  FLEETPKI_RETURN_IF_ERROR(record(*signer, "combine", operators,
                                  {{"shares_used", xs},
                                   {"share_set", hex_of(shares.front().set_id)},
                                   {"root_serial", pki::serial_to_hex(root.serial())}},
                                  {target}));
  return target;
}

Result<pki::Certificate> Ceremony::sign_intermediate(std::string_view csr_pem,
                                                     const IntermediateSpec& spec,
                                                     const std::filesystem::path& out,
                                                     const RootKeyAccess& access,
                                                     const Operators& operators) {
  FLEETPKI_RETURN_IF_ERROR(check_operators(operators));
  FLEETPKI_TRY(auto root, root_certificate());
  // Parsing verifies the request's signature with its own key (RFC 2986 §3: proof of possession).
  FLEETPKI_TRY(auto csr, pki::Csr::from_pem(*ctx_, csr_pem));
  if (csr.subject().empty()) {
    return fail(Errc::InvalidArgument, "the intermediate's request has an empty subject");
  }
  if (csr.public_key().subject_public_key == root.public_key().subject_public_key) {
    return fail(Errc::InvalidArgument, "the request carries the root's own key");
  }
  if (spec.path_len < 0 || spec.path_len > 9) {
    return fail(Errc::InvalidArgument, "the path length must be 0 to 9");
  }
  if (spec.validity_days < 1) {
    return fail(Errc::InvalidArgument, "the validity must be at least one day");
  }
  std::uint16_t key_usage = pki::kKeyCertSign | pki::kCrlSign;
  if (spec.profile == "issuing-ca-ocsp") {
    key_usage |= pki::kDigitalSignature;
  } else if (spec.profile != "issuing-ca") {
    return fail(Errc::InvalidArgument, "unknown intermediate profile '" + spec.profile +
                                           "' (use issuing-ca or issuing-ca-ocsp)");
  }
  // Path validation accepts a CA under a pathLen-0 CA (the last certificate is not counted), so
  // the root's pathLen is checked here (RFC 5280 §4.2.1.9).
  FLEETPKI_TRY(auto root_path_len, pki::ca_path_len(*ctx_, root.der()));
  if (root_path_len && spec.path_len >= *root_path_len) {
    return fail(Errc::InvalidArgument,
                "the root's path length is " + std::to_string(*root_path_len) +
                    ": an intermediate under it may have at most " +
                    (*root_path_len == 0 ? std::string("none (the root issues no CAs)")
                                         : std::to_string(*root_path_len - 1)));
  }
  FLEETPKI_TRY(auto signer, open_root_signer(access, root));

  pki::TbsFixedParts fixed;
  fixed.signature_algorithm = signer->algorithm();
  fixed.issuer_name_der = root.subject_der();
  fixed.authority_key_id = root.subject_key_id();
  fixed.basic_constraints_ca = true;
  fixed.path_len = spec.path_len;
  fixed.key_usage = key_usage;
  fixed.crl_urls = spec.crl_urls;
  fixed.ca_issuer_urls = spec.ca_issuer_urls;
  FLEETPKI_TRY(auto tpl, pki::TbsTemplate::create(fixed));
  FLEETPKI_TRY(Bytes serial, pki::generate_serial());
  Bytes ski = pki::key_identifier(*ctx_, csr.public_key());
  const TimePoint now = clock_->now();
  TimePoint not_after = now + std::chrono::days(spec.validity_days);
  if (not_after > root.not_after()) {
    not_after = root.not_after();
  }
  pki::TbsVariableParts var;
  var.serial = serial;
  var.not_before = now - std::chrono::minutes(5);
  var.not_after = not_after;
  var.subject_name_der = csr.subject_der();
  var.spki_der = csr.public_key().spki_der;
  var.subject_key_id = ski;
  FLEETPKI_TRY(Bytes tbs, tpl.encode(var));
  FLEETPKI_TRY(Bytes signature, signer->sign(tbs));
  Bytes der = pki::assemble_certificate(tbs, signer->algorithm(), signature);
  FLEETPKI_TRY(auto certificate, pki::Certificate::from_der(*ctx_, der));
  FLEETPKI_RETURN_IF_ERROR(
      pki::verify_chain(*ctx_, certificate.der(), {}, {root.der()}, now, /*leaf_must_be_ca=*/true)
          .map_error([](Error e) {
            return std::move(e).with_context("the new intermediate does not verify");
          }));
  FLEETPKI_RETURN_IF_ERROR(write_new_file(out, certificate.pem(), 0644));

  FLEETPKI_TRY(auto state, load_state(dir_));
  std::string serial_hex = pki::serial_to_hex(certificate.serial());
  state["intermediates"].push_back({{"serial", serial_hex},
                                    {"subject", certificate.subject_string()},
                                    {"file", std::filesystem::absolute(out).string()},
                                    {"not_after", format_rfc3339(to_unix(not_after))}});
  FLEETPKI_RETURN_IF_ERROR(save_state(dir_, state));
  std::map<std::string, std::string> parameters = {
      {"subject", certificate.subject_string()},
      {"serial", serial_hex},
      {"profile", spec.profile},
      {"path_len", std::to_string(spec.path_len)},
      {"validity_days", std::to_string(spec.validity_days)},
      {"not_after", format_rfc3339(to_unix(not_after))},
      {"csr_sha256", to_hex(ByteView())}};
  // The request's hash ties the certificate to the file the operators checked.
  {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (::EVP_Digest(csr.der().data(), csr.der().size(), digest, &length, ctx_->sha256(),
                     nullptr) == 1) {
      parameters["csr_sha256"] = to_hex(ByteView(digest, length));
    }
  }
  if (!spec.crl_urls.empty()) parameters["crl_url"] = spec.crl_urls.front();
  FLEETPKI_RETURN_IF_ERROR(
      record(*signer, "sign-intermediate", operators, std::move(parameters), {out}));
  return certificate;
}

Result<CrlResult> Ceremony::issue_crl(const CrlSpec& spec, const RootKeyAccess& access,
                                      const Operators& operators,
                                      std::optional<std::filesystem::path> out) {
  FLEETPKI_RETURN_IF_ERROR(check_operators(operators));
  if (spec.validity_days < 1 || spec.validity_days > 3650) {
    return fail(Errc::InvalidArgument, "the CRL validity must be 1 to 3650 days");
  }
  FLEETPKI_TRY(auto root, root_certificate());
  FLEETPKI_TRY(auto state, load_state(dir_));
  const TimePoint now = clock_->now();
  auto& revoked = state["revoked"];
  if (!revoked.is_array()) revoked = nlohmann::json::array();
  for (const Revocation& r : spec.revoke) {
    FLEETPKI_TRY(Bytes serial, pki::serial_from_hex(r.serial_hex));
    std::string hex = pki::serial_to_hex(serial);
    bool known = false;
    for (const auto& ica : state.value("intermediates", nlohmann::json::array())) {
      known = known || ica.value("serial", "") == hex;
    }
    if (!known) {
      return fail(Errc::NotFound,
                  "no intermediate with serial " + hex + " was signed in this ceremony folder");
    }
    bool already = false;
    for (const auto& entry : revoked) {
      already = already || entry.value("serial", "") == hex;
    }
    if (!already) {
      revoked.push_back(
          {{"serial", hex}, {"reason", static_cast<int>(r.reason)}, {"date", to_unix(now)}});
    }
  }
  FLEETPKI_TRY(auto signer, open_root_signer(access, root));
  std::vector<Bytes> entries;
  for (const auto& entry : revoked) {
    FLEETPKI_TRY(Bytes serial, pki::serial_from_hex(entry.value("serial", "")));
    auto reason = static_cast<pki::CrlReason>(entry.value("reason", 0));
    FLEETPKI_TRY(Bytes encoded,
                 pki::encode_crl_entry(serial, from_unix(entry.value("date", 0LL)), reason));
    entries.push_back(std::move(encoded));
  }
  const std::uint64_t number = state.value("crl_number", std::uint64_t{0}) + 1;
  pki::CrlFixedParts fixed;
  fixed.signature_algorithm = signer->algorithm();
  fixed.issuer_name_der = root.subject_der();
  fixed.authority_key_id = root.subject_key_id();
  pki::CrlVariableParts var;
  var.this_update = now;
  var.next_update = now + std::chrono::days(spec.validity_days);
  var.number = number;
  for (const Bytes& e : entries) var.entries.push_back(e);
  FLEETPKI_TRY(Bytes tbs, pki::encode_tbs_crl(fixed, var));
  FLEETPKI_TRY(Bytes signature, signer->sign(tbs));
  Bytes der = pki::assemble_crl(tbs, signer->algorithm(), signature);
  std::filesystem::path target =
      out ? *out : dir_ / ("root-crl-" + std::to_string(number) + ".pem");
  FLEETPKI_RETURN_IF_ERROR(write_new_file(target, pki::pem_encode(der, "X509 CRL"), 0644));
  state["crl_number"] = number;
  FLEETPKI_RETURN_IF_ERROR(save_state(dir_, state));
  std::string serials;
  for (const auto& entry : revoked) {
    if (!serials.empty()) serials += ",";
    serials += entry.value("serial", "");
  }
  FLEETPKI_RETURN_IF_ERROR(record(*signer, "root-crl", operators,
                                  {{"crl_number", std::to_string(number)},
                                   {"revoked", serials},
                                   {"next_update", format_rfc3339(to_unix(var.next_update))}},
                                  {target}));
  return CrlResult{target, number, entries.size()};
}

}  // namespace fleetpki::ceremony
