// `fleetpki ceremony create-root|split|combine|sign-intermediate|root-crl|verify-transcript`: the
// offline root key ceremony (src/ceremony/, docs/operations.md "Key ceremony (offline root)").
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "ceremony/ceremony.h"
#include "ceremony/share_words.h"
#include "ceremony/transcript.h"
#include "cli/commands/commands.h"
#include "cli/commands/report.h"
#include "keys/pkcs11/pkcs11_key_vault.h"
#include "pki/crl.h"
#include "pki/serial_number.h"

namespace fleetpki::cli {
namespace {

constexpr const char* kPassphraseEnv = "FLEETPKI_CEREMONY_PASSPHRASE";
constexpr std::size_t kMaxPassphraseFileBytes = 4096;

struct CommonOptions {
  std::string dir;
  std::vector<std::string> operators;
  std::string passphrase_file;
  std::string key_backend = "auto";  // auto: the backend the folder's root key is in
  std::string pkcs11_module = keys::kSoftHsm2ModulePath;
  std::string pkcs11_token;     // default: the token named in the root key's reference
  std::string pkcs11_pin_file;  // else $FLEETPKI_PKCS11_PIN
};

/// The token label in a "pkcs11:token=LABEL;…" reference (RFC 7512; percent-escapes kept).
std::string token_of(const std::string& ref) {
  auto at = ref.find("token=");
  if (at == std::string::npos) return {};
  auto end = ref.find(';', at);
  return ref.substr(at + 6, end == std::string::npos ? std::string::npos : end - at - 6);
}

/// The passphrase of the software root key: the first line of --passphrase-file, else
/// $FLEETPKI_CEREMONY_PASSPHRASE. Read into wiped memory; never printed.
Result<SecureBytes> load_passphrase(const std::string& file) {
  if (file.empty()) {
    const char* env = std::getenv(kPassphraseEnv);
    if (env == nullptr || env[0] == '\0') {
      return fail(Errc::InvalidArgument, std::string("the root key passphrase is needed: give "
                                                     "--passphrase-file FILE or set $") +
                                             kPassphraseEnv);
    }
    return SecureBytes(as_bytes(env));
  }
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(Errc::FailedPrecondition, "cannot open the passphrase file " + file,
                std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) == 0 && (st.st_mode & 077) != 0 && S_ISREG(st.st_mode)) {
    std::cerr << "fleetpki: warning: the passphrase file " << file
              << " is readable by group or others (chmod 600 " << file << ")\n";
  }
  SecureBytes buffer(kMaxPassphraseFileBytes);
  std::size_t size = 0;
  while (size < buffer.size()) {
    ssize_t n = ::read(fd, buffer.data() + size, buffer.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    size += static_cast<std::size_t>(n);
  }
  ::close(fd);
  std::size_t end = 0;
  while (end < size && buffer.data()[end] != '\n' && buffer.data()[end] != '\r') ++end;
  if (end == 0) {
    return fail(Errc::InvalidArgument, "the passphrase file " + file + " is empty");
  }
  return SecureBytes(ByteView(buffer.data(), end));
}

Result<ceremony::Ceremony> open_ceremony(const std::string& dir, const pki::CryptoContext& ctx,
                                         const Clock& clock) {
  return ceremony::Ceremony::open(ctx, clock, dir);
}

std::string fingerprint(const pki::CryptoContext& ctx, const Bytes& der) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (::EVP_Digest(der.data(), der.size(), out, &length, ctx.sha256(), nullptr) != 1) return {};
  std::string hex = to_hex(ByteView(out, length)), text;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    if (!text.empty()) text += ':';
    text += hex.substr(i, 2);
  }
  return text;
}

/// Runs `step` with the root key access the options describe (software passphrase for now).
template <class Step>
int with_access(const CommonOptions& o, bool needs_key, Step step) {
  const pki::CryptoContext ctx;
  const SystemClock clock;
  auto c = open_ceremony(o.dir, ctx, clock);
  if (!c) return report_failure(c.error());
  ceremony::RootKeyAccess access;
  SecureBytes passphrase;
  std::unique_ptr<keys::Pkcs11KeyVault> vault;
  if (needs_key) {
    std::string backend = o.key_backend;
    std::string token = o.pkcs11_token;
    if (backend == "auto") {
      auto ref = c->root_key_reference();
      if (!ref) return report_failure(ref.error());
      backend = (*ref && ref->value().rfind("pkcs11:", 0) == 0) ? "pkcs11" : "software";
      if (*ref && token.empty()) token = token_of(ref->value());
    }
    if (backend == "pkcs11") {
      if (token.empty()) {
        std::cerr << "fleetpki: --pkcs11-token LABEL is needed with --key-backend pkcs11\n";
        return kExitUsage;
      }
      std::optional<std::filesystem::path> pin_file;
      if (!o.pkcs11_pin_file.empty()) pin_file = o.pkcs11_pin_file;
      auto pin = keys::load_pkcs11_pin(pin_file);
      if (!pin) return report_failure(pin.error());
      keys::Pkcs11VaultConfig config;
      config.module_path = o.pkcs11_module;
      config.token_label = token;
      config.pin = std::move(*pin);
      auto opened = keys::Pkcs11KeyVault::open(ctx, std::move(config));
      if (!opened) return report_failure(opened.error());
      vault = std::move(*opened);
      access.vault = vault.get();
    } else if (backend == "software") {
      auto loaded = load_passphrase(o.passphrase_file);
      if (!loaded) return report_failure(loaded.error());
      passphrase = std::move(*loaded);
      access.passphrase = &passphrase;
    } else {
      std::cerr << "fleetpki: --key-backend must be auto, software or pkcs11\n";
      return kExitUsage;
    }
  }
  return step(ctx, *c, access);
}

void add_common(CLI::App* cmd, const std::shared_ptr<CommonOptions>& o, bool key) {
  cmd->add_option("--dir", o->dir, "Ceremony folder (on removable media of the offline machine)")
      ->required();
  if (key) {
    cmd->add_option("--operator", o->operators,
                    "Name of an operator present (repeat for each; recorded in the transcript)")
        ->required();
    cmd->add_option("--passphrase-file", o->passphrase_file,
                    std::string("File whose first line is the root key passphrase (else $") +
                        kPassphraseEnv + ")");
    cmd->add_option("--key-backend", o->key_backend,
                    "Where the root key is: software (encrypted file) or pkcs11 (token); default: "
                    "software for a new root, else where the folder's root key is")
        ->check(CLI::IsMember({"auto", "software", "pkcs11"}));
    cmd->add_option("--pkcs11-module", o->pkcs11_module, "PKCS#11 module")->capture_default_str();
    cmd->add_option("--pkcs11-token", o->pkcs11_token,
                    "Token label (default: the token of the folder's root key)");
    cmd->add_option("--pkcs11-pin-file", o->pkcs11_pin_file,
                    std::string("File whose first line is the token user PIN (else $") +
                        keys::kPkcs11PinEnv + ")");
  }
}

int create_root(const CommonOptions& o, const ceremony::RootSpec& spec) {
  return with_access(
      o, true,
      [&](const pki::CryptoContext& ctx, ceremony::Ceremony& c,
          const ceremony::RootKeyAccess& access) {
        auto root = c.create_root(spec, access, o.operators);
        if (!root) return report_failure(root.error());
        std::cout << "root certificate: " << c.root_certificate_path().string() << "\n"
                  << "subject: " << root->subject_string() << "\n"
                  << "serial: " << pki::serial_to_hex(root->serial()) << "\n"
                  << "SHA-256 fingerprint: " << fingerprint(ctx, root->der()) << "\n";
        if (access.passphrase != nullptr) {
          std::cout << "root key: " << c.root_key_path().string() << " (encrypted PKCS#8)\n";
        }
        return kExitOk;
      });
}

int split(const CommonOptions& o, int threshold, int count, const std::string& out_dir) {
  return with_access(
      o, true,
      [&](const pki::CryptoContext&, ceremony::Ceremony& c, const ceremony::RootKeyAccess& access) {
        auto shares = c.split(threshold, count, access, o.operators);
        if (!shares) return report_failure(shares.error());
        if (!out_dir.empty()) {
          if (::mkdir(out_dir.c_str(), 0700) != 0 && errno != EEXIST) {
            return report_failure(Error{Errc::FailedPrecondition, "cannot create " + out_dir, {}});
          }
          for (const auto& share : *shares) {
            std::string path = out_dir + "/share-" + std::to_string(share.index) + "-of-" +
                               std::to_string(share.count) + ".txt";
            int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            if (fd < 0) {
              return report_failure(Error{
                  Errc::FailedPrecondition, "cannot create " + path + " (it must not exist)", {}});
            }
            bool written = ::write(fd, share.text.data(), share.text.size()) ==
                           static_cast<ssize_t>(share.text.size());
            written = ::fsync(fd) == 0 && written;
            ::close(fd);
            if (!written) return report_failure(Error{Errc::Internal, "cannot write " + path, {}});
            std::cout << "share " << share.index << " of " << share.count << ": " << path << "\n";
          }
        } else {
          for (const auto& share : *shares) {
            std::cout << share.text << "\n";
          }
        }
        std::cout << "share set " << shares->front().set_id << ": any " << threshold << " of "
                  << count << " shares restore the root key\n";
        return kExitOk;
      });
}

int combine(const CommonOptions& o, const std::vector<std::string>& share_files,
            const std::string& out) {
  return with_access(
      o, true,
      [&](const pki::CryptoContext&, ceremony::Ceremony& c, const ceremony::RootKeyAccess& access) {
        std::vector<std::string> texts;
        for (const auto& file : share_files) {
          std::ifstream in(file == "-" ? "/dev/stdin" : file);
          if (!in) {
            for (auto& t : texts) ceremony::wipe_string(t);
            return report_failure(Error{Errc::NotFound, "cannot read the share file " + file, {}});
          }
          std::stringstream buffer;
          buffer << in.rdbuf();
          texts.push_back(buffer.str());
        }
        std::optional<std::filesystem::path> target;
        if (!out.empty()) target = out;
        auto restored = c.combine(texts, access, o.operators, target);
        for (auto& t : texts) ceremony::wipe_string(t);
        if (!restored) return report_failure(restored.error());
        std::cout << "root key restored to " << restored->string()
                  << " (checked against root.pem)\n";
        return kExitOk;
      });
}

int sign_intermediate(const CommonOptions& o, const std::string& csr_file,
                      const ceremony::IntermediateSpec& spec, const std::string& out) {
  return with_access(
      o, true,
      [&](const pki::CryptoContext& ctx, ceremony::Ceremony& c,
          const ceremony::RootKeyAccess& access) {
        std::ifstream in(csr_file);
        if (!in) return report_failure(Error{Errc::NotFound, "cannot read " + csr_file, {}});
        std::stringstream buffer;
        buffer << in.rdbuf();
        auto certificate = c.sign_intermediate(buffer.str(), spec, out, access, o.operators);
        if (!certificate) return report_failure(certificate.error());
        std::cout << "intermediate certificate: " << out << "\n"
                  << "subject: " << certificate->subject_string() << "\n"
                  << "serial: " << pki::serial_to_hex(certificate->serial()) << "\n"
                  << "SHA-256 fingerprint: " << fingerprint(ctx, certificate->der()) << "\n";
        return kExitOk;
      });
}

int root_crl(const CommonOptions& o, int days, const std::vector<std::string>& revoke,
             const std::string& out) {
  ceremony::CrlSpec spec;
  spec.validity_days = days;
  for (const auto& item : revoke) {
    ceremony::Revocation r;
    auto colon = item.find(':');
    r.serial_hex = item.substr(0, colon);
    if (colon != std::string::npos) {
      auto reason = pki::parse_crl_reason(item.substr(colon + 1));
      if (!reason) {
        std::cerr << "fleetpki: --revoke " << item << ": " << reason.error().message << "\n";
        return kExitUsage;
      }
      r.reason = *reason;
    }
    spec.revoke.push_back(std::move(r));
  }
  return with_access(
      o, true,
      [&](const pki::CryptoContext&, ceremony::Ceremony& c, const ceremony::RootKeyAccess& access) {
        std::optional<std::filesystem::path> target;
        if (!out.empty()) target = out;
        auto crl = c.issue_crl(spec, access, o.operators, target);
        if (!crl) return report_failure(crl.error());
        std::cout << "root CRL " << crl->number << ": " << crl->file.string() << " ("
                  << crl->entries << " revoked)\n";
        return kExitOk;
      });
}

int verify_transcript(const CommonOptions& o, const std::string& root_file) {
  const pki::CryptoContext ctx;
  const SystemClock clock;
  auto c = open_ceremony(o.dir, ctx, clock);
  if (!c) return report_failure(c.error());
  Result<pki::Certificate> root = fail(Errc::Internal, "unset");
  if (root_file.empty()) {
    root = c->root_certificate();
  } else {
    std::ifstream in(root_file);
    if (!in) return report_failure(Error{Errc::NotFound, "cannot read " + root_file, {}});
    std::stringstream buffer;
    buffer << in.rdbuf();
    root = pki::Certificate::from_pem(ctx, buffer.str());
  }
  if (!root) return report_failure(root.error());
  auto verdict = ceremony::verify_transcript(ctx, c->transcript_path(), *root);
  if (!verdict) return report_failure(verdict.error());
  if (!verdict->intact) {
    std::cerr << "fleetpki: transcript record " << verdict->first_bad
              << " is bad: " << verdict->reason << "\n";
    return kExitFailure;
  }
  std::cout << "transcript intact: " << verdict->records
            << " records, each chained and signed by the root key (" << root->subject_string()
            << ")\n";
  return kExitOk;
}

}  // namespace

void add_ceremony_command(CLI::App& app, std::function<int()>& run) {
  auto* cer = app.add_subcommand(
      "ceremony", "Offline root key ceremony: root, paper shares, intermediates, root CRL");
  cer->require_subcommand(1);

  {
    auto* cmd = cer->add_subcommand("create-root", "Create the root key and self-signed root");
    auto o = std::make_shared<CommonOptions>();
    auto spec = std::make_shared<ceremony::RootSpec>();
    auto key_type = std::make_shared<std::string>("ec-p384");
    auto path_len = std::make_shared<std::string>("1");
    add_common(cmd, o, true);
    cmd->add_option("--cn", spec->common_name, "Root common name")->required();
    cmd->add_option("--org", spec->organization, "Root organization (O)");
    cmd->add_option("--country", spec->country, "Root country (C, two letters)");
    cmd->add_option("--days", spec->validity_days, "Validity in days")
        ->capture_default_str()
        ->check(CLI::Range(1, 36500));
    cmd->add_option("--path-len", *path_len,
                    "pathLenConstraint: intermediate CA levels allowed below the root, or "
                    "'unlimited'")
        ->capture_default_str();
    cmd->add_option("--key-type", *key_type, "ec-p256, ec-p384, ed25519, rsa-2048, rsa-3072, rsa-4096")
        ->capture_default_str();
    cmd->add_option("--key-label", spec->vault_label, "Key label in a token")
        ->capture_default_str();
    cmd->callback([&run, o, spec, key_type, path_len] {
      run = [o, spec, key_type, path_len] {
        auto algorithm = keys::parse_key_algorithm(*key_type);
        if (!algorithm) {
          std::cerr << "fleetpki: --key-type: " << algorithm.error().message << "\n";
          return kExitUsage;
        }
        spec->algorithm = *algorithm;
        if (*path_len == "unlimited") {
          spec->path_len.reset();
        } else {
          try {
            spec->path_len = std::stoi(*path_len);
          } catch (const std::exception&) {
            std::cerr << "fleetpki: --path-len must be a number or 'unlimited'\n";
            return kExitUsage;
          }
        }
        return create_root(*o, *spec);
      };
    });
  }
  {
    auto* cmd = cer->add_subcommand("split", "Split the software root key into m-of-n word shares");
    auto o = std::make_shared<CommonOptions>();
    auto m = std::make_shared<int>(0);
    auto n = std::make_shared<int>(0);
    auto out_dir = std::make_shared<std::string>();
    add_common(cmd, o, true);
    cmd->add_option("-m,--threshold", *m, "Shares needed to restore (2..n)")->required();
    cmd->add_option("-n,--shares", *n, "Shares to make (m..255)")->required();
    cmd->add_option("--out-dir", *out_dir,
                    "Write share-<i>-of-<n>.txt files (mode 0600) here instead of stdout");
    cmd->callback([&run, o, m, n, out_dir] {
      run = [o, m, n, out_dir] { return split(*o, *m, *n, *out_dir); };
    });
  }
  {
    auto* cmd = cer->add_subcommand("combine", "Restore the root key file from m shares");
    auto o = std::make_shared<CommonOptions>();
    auto shares = std::make_shared<std::vector<std::string>>();
    auto out = std::make_shared<std::string>();
    add_common(cmd, o, true);
    cmd->add_option("--share", *shares, "File with the words of one share (repeat; - = stdin)")
        ->required();
    cmd->add_option("--out", *out,
                    "Restored key file (default DIR/root-key.p8; never overwritten)");
    cmd->callback(
        [&run, o, shares, out] { run = [o, shares, out] { return combine(*o, *shares, *out); }; });
  }
  {
    auto* cmd = cer->add_subcommand("sign-intermediate",
                                    "Sign an intermediate CA certificate from its PKCS#10 request");
    auto o = std::make_shared<CommonOptions>();
    auto spec = std::make_shared<ceremony::IntermediateSpec>();
    auto csr = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    add_common(cmd, o, true);
    cmd->add_option("--csr", *csr, "The intermediate's CSR (PEM)")->required();
    cmd->add_option("--path-len", spec->path_len, "pathLenConstraint (0: issues end entities only)")
        ->required()
        ->check(CLI::Range(0, 9));
    cmd->add_option("--days", spec->validity_days, "Validity in days (capped at the root's)")
        ->required()
        ->check(CLI::Range(1, 36500));
    cmd->add_option("--profile", spec->profile, "issuing-ca or issuing-ca-ocsp")
        ->capture_default_str();
    cmd->add_option("--crl-url", spec->crl_urls, "cRLDistributionPoints URL of the root CRL");
    cmd->add_option("--issuer-url", spec->ca_issuer_urls, "AIA caIssuers URL of root.pem");
    cmd->add_option("--out", *out, "Certificate file (PEM; never overwritten)")->required();
    cmd->callback([&run, o, spec, csr, out] {
      run = [o, spec, csr, out] { return sign_intermediate(*o, *csr, *spec, *out); };
    });
  }
  {
    auto* cmd = cer->add_subcommand("root-crl", "Issue the root's CRL (revoking intermediates)");
    auto o = std::make_shared<CommonOptions>();
    auto days = std::make_shared<int>(365);
    auto revoke = std::make_shared<std::vector<std::string>>();
    auto out = std::make_shared<std::string>();
    add_common(cmd, o, true);
    cmd->add_option("--days", *days, "nextUpdate in days")
        ->capture_default_str()
        ->check(CLI::Range(1, 3650));
    cmd->add_option("--revoke", *revoke,
                    "SERIAL[:REASON] of an intermediate to revoke (repeat); kept in later CRLs");
    cmd->add_option("--out", *out, "CRL file (default DIR/root-crl-<number>.pem)");
    cmd->callback([&run, o, days, revoke, out] {
      run = [o, days, revoke, out] { return root_crl(*o, *days, *revoke, *out); };
    });
  }
  {
    auto* cmd = cer->add_subcommand("verify-transcript",
                                    "Check the transcript's hash chain and root signatures");
    auto o = std::make_shared<CommonOptions>();
    auto root = std::make_shared<std::string>();
    add_common(cmd, o, false);
    cmd->add_option("--root-cert", *root,
                    "Root certificate to trust (default DIR/root.pem; use a copy kept apart)");
    cmd->callback([&run, o, root] { run = [o, root] { return verify_transcript(*o, *root); }; });
  }
}

}  // namespace fleetpki::cli
