// SoftwareKeyVault: generates keys, stores them as encrypted PKCS#8 files and opens signers.
#include "keys/software/software_key_vault.h"

#include "pki/ossl/ptr.h"

#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "common/log.h"
#include "keys/software/software_signer.h"
#include "pki/ossl/error.h"

namespace fleetpki::keys {
namespace {

constexpr std::string_view kRefPrefix = "software:";
constexpr std::string_view kKeyFileSuffix = ".p8";
constexpr std::string_view kEncryptedPemHeader = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;
constexpr std::size_t kMaxLabelLength = 64;
// HKDF domain separation: a key file's passphrase is bound to the vault format and to its label,
// so a file copied under another label does not decrypt.
constexpr std::string_view kPassphraseSalt = "fleetpki software key vault v1";
constexpr std::string_view kPassphraseInfoPrefix = "key-file passphrase:";

std::string errno_text(int err) { return std::strerror(err); }

/// [a-z0-9][a-z0-9._-]{0,63}: no '/', no leading '.', so never a path traversal.
Status check_label(std::string_view label) {
  auto lead = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  bool valid = !label.empty() && label.size() <= kMaxLabelLength && lead(label.front());
  for (std::size_t i = 1; valid && i < label.size(); ++i) {
    char c = label[i];
    valid = lead(c) || c == '.' || c == '_' || c == '-';
  }
  if (!valid) {
    return fail(Errc::InvalidArgument,
                "invalid key label: use 1-64 characters of a-z, 0-9, '.', '_', '-', starting with a "
                "letter or digit");
  }
  return ok();
}

Result<std::string> label_of(std::string_view key_ref) {
  if (key_ref.substr(0, kRefPrefix.size()) != kRefPrefix) {
    return fail(Errc::InvalidArgument, "not a software key reference: " + std::string(key_ref));
  }
  std::string label(key_ref.substr(kRefPrefix.size()));
  FLEETPKI_RETURN_IF_ERROR(check_label(label));
  return label;
}

struct KeygenSpec {
  const char* type;
  const char* curve;  // EC only
  std::size_t bits;   // RSA only
};

KeygenSpec keygen_spec(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::EcP256: return {"EC", "P-256", 0};
    case KeyAlgorithm::EcP384: return {"EC", "P-384", 0};
    case KeyAlgorithm::Ed25519: return {"ED25519", nullptr, 0};
    case KeyAlgorithm::Rsa2048: return {"RSA", nullptr, 2048};
    case KeyAlgorithm::Rsa3072: return {"RSA", nullptr, 3072};
    case KeyAlgorithm::Rsa4096: return {"RSA", nullptr, 4096};
  }
  return {"EC", "P-256", 0};
}

Result<pki::ossl::Ptr<EVP_PKEY>> generate_key(const pki::CryptoContext& ctx,
                                              KeyAlgorithm algorithm) {
  KeygenSpec spec = keygen_spec(algorithm);
  EVP_PKEY* key = nullptr;
  if (spec.curve != nullptr) {
    key = ::EVP_PKEY_Q_keygen(ctx.libctx(), ctx.propq(), spec.type, spec.curve);
  } else if (spec.bits != 0) {
    key = ::EVP_PKEY_Q_keygen(ctx.libctx(), ctx.propq(), spec.type, spec.bits);
  } else {
    key = ::EVP_PKEY_Q_keygen(ctx.libctx(), ctx.propq(), spec.type);
  }
  if (key == nullptr) {
    return fail(pki::ossl::last_error("EVP_PKEY_Q_keygen", Errc::Internal, "key generation failed"));
  }
  return pki::ossl::Ptr<EVP_PKEY>(key);
}

/// fsyncs a directory so that a new entry in it survives a crash.
Status sync_directory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return fail(Errc::Internal, "cannot open the key directory", errno_text(errno));
  }
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) {
    return fail(Errc::Internal, "cannot sync the key directory", errno_text(err));
  }
  return ok();
}

/// Atomically creates `dir/name` with `data` and mode 0600: a temporary file is written and
/// fsynced, then link()ed to the final name — like rename() but never replacing an existing key
/// (AlreadyExists) — then the directory is fsynced.
Status write_new_file(const std::filesystem::path& dir, const std::string& name, ByteView data) {
  unsigned char nonce[8];
  if (::RAND_bytes(nonce, sizeof nonce) != 1) {
    return fail(pki::ossl::last_error("RAND_bytes"));
  }
  std::filesystem::path tmp = dir / ("." + name + "." + to_hex(ByteView(nonce, sizeof nonce)) + ".tmp");
  std::filesystem::path final_path = dir / name;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(Errc::Internal, "cannot create a key file", tmp.string() + ": " + errno_text(errno));
  }
  Status status = ok();
  if (::fchmod(fd, 0600) != 0) {
    status = fail(Errc::Internal, "cannot set the key file mode", errno_text(errno));
  }
  std::size_t written = 0;
  while (status && written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      status = fail(Errc::Internal, "cannot write the key file", errno_text(errno));
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  if (status && ::fsync(fd) != 0) {
    status = fail(Errc::Internal, "cannot sync the key file", errno_text(errno));
  }
  if (::close(fd) != 0 && status) {
    status = fail(Errc::Internal, "cannot close the key file", errno_text(errno));
  }
  if (status && ::link(tmp.c_str(), final_path.c_str()) != 0) {
    int err = errno;
    status = err == EEXIST
                 ? fail(Errc::AlreadyExists, "a key with this label already exists")
                 : fail(Errc::Internal, "cannot install the key file",
                        final_path.string() + ": " + errno_text(err));
  }
  ::unlink(tmp.c_str());  // best effort: a leftover temp file holds only ciphertext
  if (!status) {
    return status;
  }
  return sync_directory(dir);
}

Result<std::string> read_key_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      return fail(Errc::NotFound, "no such key: " + path.filename().string());
    }
    return fail(Errc::FailedPrecondition, "cannot read the key file " + path.string());
  }
  std::string text;
  text.resize(kMaxKeyFileBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxKeyFileBytes) {
    return fail(Errc::DataLoss, "the key file " + path.string() + " is too large");
  }
  return text;
}

}  // namespace

SoftwareKeyVault::SoftwareKeyVault(const pki::CryptoContext& ctx, std::filesystem::path key_dir,
                                   SecureBytes master_secret)
    : ctx_(ctx), key_dir_(std::move(key_dir)), master_secret_(std::move(master_secret)) {}

Result<std::unique_ptr<SoftwareKeyVault>> SoftwareKeyVault::open(const pki::CryptoContext& ctx,
                                                                 std::filesystem::path key_dir,
                                                                 SecureBytes master_secret) {
  if (master_secret.empty()) {
    return fail(Errc::InvalidArgument, "the master secret is empty");
  }
  if (key_dir.empty()) {
    return fail(Errc::InvalidArgument, "no key directory given");
  }
  std::error_code ec;
  if (!std::filesystem::exists(key_dir, ec)) {
    if (key_dir.has_parent_path()) {
      std::filesystem::create_directories(key_dir.parent_path(), ec);
    }
    if (::mkdir(key_dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return fail(Errc::FailedPrecondition, "cannot create the key directory " + key_dir.string(),
                  errno_text(errno));
    }
  }
  struct stat st {};
  if (::stat(key_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return fail(Errc::FailedPrecondition, "the key directory " + key_dir.string() +
                                              " is not a directory");
  }
  if ((st.st_mode & 022) != 0) {
    log::warn("the key directory " + key_dir.string() +
              " is writable by group or others; run: chmod 700 " + key_dir.string());
  }
  return std::unique_ptr<SoftwareKeyVault>(
      new SoftwareKeyVault(ctx, std::move(key_dir), std::move(master_secret)));
}

Result<SecureBytes> SoftwareKeyVault::passphrase_for(std::string_view label) const {
  pki::ossl::Ptr<EVP_KDF> kdf(::EVP_KDF_fetch(ctx_.libctx(), "HKDF", ctx_.propq()));
  if (!kdf) {
    return fail(pki::ossl::last_error("EVP_KDF_fetch HKDF"));
  }
  pki::ossl::Ptr<EVP_KDF_CTX> kctx(::EVP_KDF_CTX_new(kdf.get()));
  if (!kctx) {
    return fail(pki::ossl::last_error("EVP_KDF_CTX_new"));
  }
  std::string info(kPassphraseInfoPrefix);
  info += label;
  std::string salt(kPassphraseSalt);
  char digest[] = "SHA2-256";
  OSSL_PARAM params[] = {
      ::OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      ::OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                          const_cast<std::uint8_t*>(master_secret_.data()),
                                          master_secret_.size()),
      ::OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt.data(), salt.size()),
      ::OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
      ::OSSL_PARAM_construct_end(),
  };
  SecureBytes raw(32);
  if (::EVP_KDF_derive(kctx.get(), raw.data(), raw.size(), params) != 1) {
    return fail(pki::ossl::last_error("EVP_KDF_derive HKDF"));
  }
  // Printable passphrase (hex of 256 bits): PBES2 gets full-entropy input, so its KDF cost
  // (PBKDF2 with OpenSSL's default count) is not what protects the key.
  static constexpr char kDigits[] = "0123456789abcdef";
  SecureBytes passphrase(raw.size() * 2);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    passphrase.data()[2 * i] = static_cast<std::uint8_t>(kDigits[raw.data()[i] >> 4]);
    passphrase.data()[2 * i + 1] = static_cast<std::uint8_t>(kDigits[raw.data()[i] & 0x0F]);
  }
  return passphrase;
}

Result<std::string> SoftwareKeyVault::generate(KeyAlgorithm algorithm, std::string_view label) {
  FLEETPKI_RETURN_IF_ERROR(check_label(label));
  const std::string file_name = std::string(label) + std::string(kKeyFileSuffix);
  std::error_code ec;
  if (std::filesystem::exists(key_dir_ / file_name, ec)) {
    return fail(Errc::AlreadyExists, "a key with the label '" + std::string(label) +
                                         "' already exists");
  }
  FLEETPKI_TRY(auto key, generate_key(ctx_, algorithm));
  FLEETPKI_TRY(SecureBytes passphrase, passphrase_for(label));

  // "EncryptedPrivateKeyInfo" refuses to encode without a cipher, so a key is never written in
  // clear even if set_cipher were skipped by mistake.
  pki::ossl::Ptr<OSSL_ENCODER_CTX> encoder(::OSSL_ENCODER_CTX_new_for_pkey(
      key.get(), EVP_PKEY_KEYPAIR, "PEM", "EncryptedPrivateKeyInfo", ctx_.propq()));
  if (!encoder || ::OSSL_ENCODER_CTX_get_num_encoders(encoder.get()) == 0) {
    return fail(pki::ossl::last_error("OSSL_ENCODER_CTX_new_for_pkey"));
  }
  if (::OSSL_ENCODER_CTX_set_cipher(encoder.get(), "AES-256-CBC", ctx_.propq()) != 1) {
    return fail(pki::ossl::last_error("OSSL_ENCODER_CTX_set_cipher"));
  }
  if (::OSSL_ENCODER_CTX_set_passphrase(encoder.get(), passphrase.data(), passphrase.size()) != 1) {
    return fail(pki::ossl::last_error("OSSL_ENCODER_CTX_set_passphrase"));
  }
  unsigned char* pem = nullptr;
  std::size_t pem_length = 0;
  if (::OSSL_ENCODER_to_data(encoder.get(), &pem, &pem_length) != 1 || pem == nullptr) {
    return fail(pki::ossl::last_error("OSSL_ENCODER_to_data"));
  }
  Bytes encoded(pem, pem + pem_length);
  ::OPENSSL_free(pem);
  if (as_chars(encoded).substr(0, kEncryptedPemHeader.size()) != kEncryptedPemHeader) {
    return fail(Errc::Internal, "key encoding did not produce an encrypted PKCS#8 file");
  }
  FLEETPKI_RETURN_IF_ERROR(write_new_file(key_dir_, file_name, encoded)
                               .map_error([&](Error e) {
                                 if (e.code == Errc::AlreadyExists) {
                                   e.message = "a key with the label '" + std::string(label) +
                                               "' already exists";
                                 }
                                 return e;
                               }));
  return std::string(kRefPrefix) + std::string(label);
}

Result<pki::ossl::Ptr<EVP_PKEY>> SoftwareKeyVault::load(std::string_view key_ref) {
  FLEETPKI_TRY(std::string label, label_of(key_ref));
  FLEETPKI_TRY(std::string text, read_key_file(key_dir_ / (label + std::string(kKeyFileSuffix))));
  if (std::string_view(text).substr(0, kEncryptedPemHeader.size()) != kEncryptedPemHeader) {
    return fail(Errc::DataLoss, "the key file of '" + label + "' is not an encrypted PKCS#8 key");
  }
  FLEETPKI_TRY(SecureBytes passphrase, passphrase_for(label));
  EVP_PKEY* raw = nullptr;
  pki::ossl::Ptr<OSSL_DECODER_CTX> decoder(::OSSL_DECODER_CTX_new_for_pkey(
      &raw, "PEM", nullptr, nullptr, EVP_PKEY_KEYPAIR, ctx_.libctx(), ctx_.propq()));
  if (!decoder || ::OSSL_DECODER_CTX_get_num_decoders(decoder.get()) == 0) {
    return fail(pki::ossl::last_error("OSSL_DECODER_CTX_new_for_pkey"));
  }
  if (::OSSL_DECODER_CTX_set_passphrase(decoder.get(), passphrase.data(), passphrase.size()) != 1) {
    return fail(pki::ossl::last_error("OSSL_DECODER_CTX_set_passphrase"));
  }
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t length = text.size();
  if (::OSSL_DECODER_from_data(decoder.get(), &data, &length) != 1 || raw == nullptr) {
    ::EVP_PKEY_free(raw);
    return fail(pki::ossl::last_error("OSSL_DECODER_from_data", Errc::FailedPrecondition,
                                      "cannot decrypt the key '" + label +
                                          "': wrong master secret or damaged key file"));
  }
  return pki::ossl::Ptr<EVP_PKEY>(raw);
}

Result<SignerPtr> SoftwareKeyVault::open_signer(std::string_view key_ref) {
  std::string ref(key_ref);
  {
    std::lock_guard lock(mutex_);
    if (auto it = signers_.find(ref); it != signers_.end()) {
      return it->second;
    }
  }
  FLEETPKI_TRY(auto key, load(key_ref));
  FLEETPKI_TRY(SignerPtr signer, make_software_signer(ctx_, std::move(key)));
  std::lock_guard lock(mutex_);
  auto [it, inserted] = signers_.emplace(std::move(ref), std::move(signer));
  (void)inserted;  // a concurrent open may have won; both signers hold the same key
  return it->second;
}

Result<pki::ossl::Ptr<EVP_PKEY>> SoftwareKeyVault::tls_private_key(std::string_view key_ref) {
  return load(key_ref);
}

}  // namespace fleetpki::keys
