// Moving software CA keys into a PKCS#11 token. The steps, and what happens when the process dies
// after each of them (every state in between is a working data folder, and a re-run finishes the
// job):
//   1. check   Nothing is written. Every selected software key is decrypted, its type checked
//              (import_key takes EC and RSA keys, no Ed25519) and its public key compared with
//              its certificate's; the token is opened (PIN); a token object already labelled
//              like a key must hold that same key (and be sensitive, unextractable, sign-only).
//   2. import  Token objects only (sensitive, never extractable, sign-only), each checked by one
//              signature. Died here: the folder still uses its software keys; a re-run finds the
//              imported objects (same public key, checked by a signature) and reuses them.
//   3. config  DIR/config.json says pkcs11 with this token. Died here: the folder runs "mixed":
//              TokenBackedVault (data_dir.cpp) still sends "software:" references to DIR/keys,
//              so every command and serve keep working (they now need the PIN) and new keys are
//              made in the token; a re-run migrates the keys still referenced as software. This
//              comes before the database switch on purpose: the other order would leave
//              "pkcs11:" references that a software-only vault cannot open, i.e. a folder that
//              fails until the re-run.
//   4. commit  One transaction points every CA, responder and the audit key at the token and
//              appends one key.migrate audit event per key. If the commit fails, config.json is
//              put back as it was (the token objects stay; the re-run reuses them).
//   5. files   --remove-software-keys deletes DIR/keys/<label>.p8 of every stored token reference
//              whose software copy holds the same key; this looks at the database, not at this
//              run's list, so a re-run after a death in this step deletes the rest. Without the
//              flag the remaining copies are reported.
#include "cli/commands/key_migration.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <strings.h>

#include <nlohmann/json.hpp>

#include "authority/audit_event.h"
#include "authority/audit_log.h"
#include "authority/authority.h"
#include "cli/commands/serve_services.h"
#include "keys/pkcs11/pkcs11_key_vault.h"
#include "keys/pkcs11/pkcs11_signer.h"
#include "keys/pkcs11/pkcs11_uri.h"
#include "keys/software/software_key_vault.h"
#include "pki/certificate.h"
#include "pki/csr.h"
#include "pki/ossl/error.h"
#include "pki/pem.h"
#include "store/sqlite/sqlite_store.h"

namespace fleetpki::cli {
namespace fs = std::filesystem;

namespace {

constexpr const char* kDatabase = "fleetpki.db";                    // data_dir.cpp
constexpr const char* kServerTlsKeySetting = "server_tls_key_ref";  // serve_command.cpp
constexpr std::string_view kSoftwarePrefix = "software:";
constexpr std::size_t kMaxAuditPinBytes = 16 * 1024;

Result<Bytes> spki_of(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int length = ::i2d_PUBKEY(key, &der);
  if (length <= 0 || der == nullptr) return fail(pki::ossl::last_error("i2d_PUBKEY"));
  Bytes spki(der, der + length);
  ::OPENSSL_free(der);
  return spki;
}

std::string sha256_hex(const pki::CryptoContext& crypto, ByteView data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (::EVP_Digest(data.data(), data.size(), digest, &length, crypto.sha256(), nullptr) != 1) {
    pki::ossl::clear_errors();
    return {};
  }
  return to_hex(ByteView(digest, length));
}

/// The public key a CA record names: its certificate's, or its CSR's while it is pending.
Result<Bytes> certified_spki_of(const pki::CryptoContext& crypto, const store::CaRecord& ca) {
  if (!ca.certificate_der.empty()) {
    FLEETPKI_TRY(auto cert, pki::Certificate::from_der(crypto, ca.certificate_der));
    return cert.public_key().spki_der;
  }
  if (!ca.csr_der.empty()) {
    FLEETPKI_TRY(auto csr, pki::Csr::from_der(crypto, ca.csr_der));
    return csr.public_key().spki_der;
  }
  return Bytes();
}

/// DIR/audit-key.pem (the pinned audit key), empty when the file does not exist.
Result<Bytes> pinned_audit_spki(const fs::path& dir) {
  const fs::path path = dir / kAuditKeyPin;
  std::error_code ec;
  if (!fs::exists(path, ec)) return Bytes();
  FLEETPKI_TRY(std::string pem, read_file(path, kMaxAuditPinBytes));
  auto der = pki::pem_decode(pem, {"PUBLIC KEY"});
  if (!der || der->empty()) return fail(Errc::DataLoss, path.string() + " is not a PEM public key");
  return std::move(*der);
}

/// What Pkcs11KeyVault::import_key takes: EC P-256/P-384, RSA >= 2048 (no Ed25519).
Status check_importable(EVP_PKEY* key, const std::string& what) {
  if (::EVP_PKEY_is_a(key, "EC") == 1) {
    char group[32] = {};
    std::size_t length = 0;
    ::EVP_PKEY_get_group_name(key, group, sizeof group, &length);
    const std::string_view curve(group, length);
    if (curve == "prime256v1" || curve == "P-256" || curve == "secp384r1" || curve == "P-384") {
      return ok();
    }
    return fail(Errc::InvalidArgument, "the " + what + " is an EC key on " + std::string(curve) +
                                           ": only P-256 and P-384 EC keys can be imported into "
                                           "a token; nothing was changed");
  }
  if (::EVP_PKEY_is_a(key, "RSA") == 1) {
    if (::EVP_PKEY_get_bits(key) >= 2048) return ok();
    return fail(Errc::InvalidArgument,
                "the " + what + " is an RSA key under 2048 bits; nothing was changed");
  }
  const char* type = ::EVP_PKEY_get0_type_name(key);
  return fail(Errc::InvalidArgument,
              "the " + what + " is an " + std::string(type != nullptr ? type : "unknown") +
                  " key: only EC P-256/P-384 and RSA keys can be imported into a token (an "
                  "Ed25519 key can be generated in one, not imported); nothing was changed (leave "
                  "that tenant out with --tenant)");
}

/// What a reused token object must show before the database points at it: the attributes
/// Pkcs11KeyVault gives every key (sensitive, never extractable, sign-only).
struct TokenKeyFacts {
  Bytes id;  // CKA_ID: gives a reused object the same canonical reference as a fresh import
  bool sensitive = false;
  bool extractable = true;
  bool other_uses = true;  // CKA_DECRYPT, CKA_UNWRAP or CKA_DERIVE

  std::string flaw() const {
    if (!sensitive) return "not sensitive";
    if (extractable) return "extractable";
    if (other_uses) return "usable to decrypt, unwrap or derive (not sign-only)";
    return {};
  }
};

/// The attributes above of the token's private key labelled `label`.
Result<TokenKeyFacts> token_key_facts(keys::Pkcs11KeyVault& token, const std::string& label) {
  TokenKeyFacts facts;
  FLEETPKI_RETURN_IF_ERROR(token.pool()->run([&](const keys::Pkcs11Session& session,
                                                 std::string& what) {
    ck_object_class_t private_class = CKO_PRIVATE_KEY;
    std::vector<ck_attribute> search = {{CKA_CLASS, &private_class, sizeof private_class},
                                        {CKA_LABEL, const_cast<char*>(label.data()), label.size()}};
    ck_object_handle_t key = 0;
    ck_rv_t rv = keys::p11::find_one(session, search, key, what);
    if (rv != CKR_OK) return rv;
    what = "C_GetAttributeValue";
    unsigned char sensitive = 0, extractable = 1, decrypt = 1, unwrap = 1, derive = 1;
    ck_attribute attributes[] = {{CKA_SENSITIVE, &sensitive, sizeof sensitive},
                                 {CKA_EXTRACTABLE, &extractable, sizeof extractable},
                                 {CKA_DECRYPT, &decrypt, sizeof decrypt},
                                 {CKA_UNWRAP, &unwrap, sizeof unwrap},
                                 {CKA_DERIVE, &derive, sizeof derive},
                                 {CKA_ID, nullptr, 0}};
    rv = session.functions->C_GetAttributeValue(session.handle, key, attributes, 6);
    if (rv != CKR_OK) return rv;
    facts.sensitive = sensitive != 0;
    facts.extractable = extractable != 0;
    facts.other_uses = decrypt != 0 || unwrap != 0 || derive != 0;
    ck_attribute& id = attributes[5];
    if (id.value_len == static_cast<unsigned long>(-1) || id.value_len == 0 || id.value_len > 256) {
      return static_cast<ck_rv_t>(CKR_ATTRIBUTE_VALUE_INVALID);
    }
    facts.id.assign(id.value_len, 0);
    id.value = facts.id.data();
    rv = session.functions->C_GetAttributeValue(session.handle, key, &id, 1);
    if (rv == CKR_OK) facts.id.resize(id.value_len);
    return rv;
  }));
  return facts;
}

/// The token's key labelled `label`: nullopt when there is none, its reference when it is the key
/// with `spki` (imported by an earlier, interrupted run), AlreadyExists when it is another key.
Result<std::optional<std::string>> find_in_token(keys::Pkcs11KeyVault& token,
                                                 const std::string& label, const Bytes& spki,
                                                 const std::string& what) {
  const std::string by_label =
      keys::format_pkcs11_uri({.token = token.token_label(), .object = label, .type = "private"});
  auto signer = token.open_signer(by_label);
  if (!signer) {
    if (signer.error().code == Errc::NotFound) return std::optional<std::string>();
    return fail(std::move(signer.error()).with_context("looking for token object '" + label + "'"));
  }
  if ((*signer)->public_key_spki() != spki) {
    return fail(Errc::AlreadyExists, "token '" + token.token_label() +
                                         "' already holds another key labelled '" + label +
                                         "' (the label of the " + what + "); nothing was changed");
  }
  FLEETPKI_TRY(TokenKeyFacts facts, token_key_facts(token, label));
  if (const std::string flaw = facts.flaw(); !flaw.empty()) {
    return fail(Errc::FailedPrecondition,
                "token object '" + label + "' holds the " + what + " but is " + flaw +
                    ": delete it (pkcs11-tool --delete-object) and run again; "
                    "nothing was changed");
  }
  return std::optional<std::string>(keys::format_pkcs11_uri({.token = token.token_label(),
                                                             .object = label,
                                                             .id = std::move(facts.id),
                                                             .type = "private"}));
}

/// One signature by the token checked with the software key's public half: the token object is
/// really this key (its public object alone could say anything).
Status check_signs_like(const pki::CryptoContext& crypto, const keys::Signer& signer, EVP_PKEY* key,
                        const std::string& what) {
  static constexpr std::string_view kProbe = "fleetpki keys migrate-to-token";
  FLEETPKI_TRY(Bytes signature, signer.sign(as_bytes(kProbe)));
  pki::ossl::Ptr<EVP_MD_CTX> verify(::EVP_MD_CTX_new());
  if (!verify ||
      ::EVP_DigestVerifyInit_ex(verify.get(), nullptr, pki::digest_name(signer.algorithm()),
                                crypto.libctx(), crypto.propq(), key, nullptr) != 1 ||
      ::EVP_DigestVerify(verify.get(), signature.data(), signature.size(),
                         reinterpret_cast<const unsigned char*>(kProbe.data()),
                         kProbe.size()) != 1) {
    pki::ossl::clear_errors();
    return fail(Errc::DataLoss,
                "the token object of the " + what + " does not sign like the software key");
  }
  return ok();
}

fs::path absolute_path(const fs::path& path) {
  std::error_code ec;
  fs::path out = fs::absolute(path, ec);
  return (ec ? path : out).lexically_normal();
}

/// Where the keys go: what config.json will say, and the PIN file of this run.
struct Target {
  KeyBackendOptions config;
  std::optional<fs::path> pin_file;
};

/// The flags against config.json: a folder already on a token keeps that token (a second token is
/// refused: its keys would be unreachable); otherwise the flags name it.
Result<Target> resolve_target(const KeyBackendOptions& recorded, const KeyBackendOptions& flags) {
  Target target;
  target.config.backend = "pkcs11";
  if (recorded.backend == "pkcs11") {
    const std::string module =
        recorded.pkcs11_module.empty() ? keys::kSoftHsm2ModulePath : recorded.pkcs11_module;
    if (!flags.pkcs11_token.empty() && flags.pkcs11_token != recorded.pkcs11_token) {
      return fail(Errc::FailedPrecondition,
                  "config.json keeps the CA keys in PKCS#11 token '" + recorded.pkcs11_token +
                      "': refusing to migrate into a second token '" + flags.pkcs11_token +
                      "' (omit --pkcs11-token or give '" + recorded.pkcs11_token + "')");
    }
    if (!flags.pkcs11_module.empty() &&
        absolute_path(flags.pkcs11_module) != absolute_path(module)) {
      return fail(Errc::FailedPrecondition, "config.json names the PKCS#11 module " + module +
                                                ", not " + flags.pkcs11_module +
                                                " (omit --pkcs11-module)");
    }
    if (flags.pkcs11_pin_file && recorded.pkcs11_pin_file &&
        absolute_path(*flags.pkcs11_pin_file) != absolute_path(*recorded.pkcs11_pin_file)) {
      return fail(Errc::FailedPrecondition,
                  "config.json names the PIN file " + recorded.pkcs11_pin_file->string() +
                      ", not " + flags.pkcs11_pin_file->string() + " (omit --pkcs11-pin-file)");
    }
    target.config = recorded;
    target.config.pkcs11_module = module;
    target.pin_file = flags.pkcs11_pin_file ? flags.pkcs11_pin_file : recorded.pkcs11_pin_file;
    return target;
  }
  if (flags.pkcs11_token.empty()) {
    return fail(Errc::InvalidArgument,
                "--pkcs11-token LABEL is needed (config.json names no token yet)");
  }
  target.config.pkcs11_token = flags.pkcs11_token;
  target.config.pkcs11_module = flags.pkcs11_module.empty()
                                    ? std::string(keys::kSoftHsm2ModulePath)
                                    : absolute_path(flags.pkcs11_module).string();
  if (flags.pkcs11_pin_file) target.config.pkcs11_pin_file = absolute_path(*flags.pkcs11_pin_file);
  target.pin_file = target.config.pkcs11_pin_file;
  return target;
}

/// Aborted unless the database still holds `key.ref` for this key: a `serve` running meanwhile
/// may have renewed an OCSP responder (new key) or made the audit key.
Status check_unchanged(store::Store& store, const StoredKeyRef& key) {
  std::optional<std::string> now;
  if (key.owner == "ca") {
    FLEETPKI_TRY(auto cas, store.list_cas(*key.tenant_id));
    for (const auto& ca : cas) {
      if (ca.id == key.ca_id) now = ca.key_ref;
    }
  } else if (key.owner == "ocsp-responder") {
    FLEETPKI_TRY(auto responder, store.find_ocsp_responder(key.ca_id));
    if (responder && responder->certificate_der == key.responder->certificate_der) {
      now = responder->key_ref;
    }
  } else if (key.owner == "audit") {
    FLEETPKI_TRY(now, store.get_setting(authority::AuditLog::kKeySetting));
  }
  if (now != key.ref) {
    return fail(Errc::Aborted,
                "the " + key.describe() +
                    " changed during the migration (is 'fleetpki serve' running? stop it "
                    "and run the migration again)");
  }
  return ok();
}

struct Pending {
  MigratedKey key;
  pki::ossl::Ptr<EVP_PKEY> software_key;
  Bytes spki;
};

}  // namespace

std::string StoredKeyRef::backend() const {
  if (ref.starts_with(kSoftwarePrefix)) return "software";
  // RFC 7512: the scheme is case-insensitive (parse_pkcs11_uri accepts any letter case).
  if (ref.size() >= 7 && ::strncasecmp(ref.c_str(), "pkcs11:", 7) == 0) return "pkcs11";
  return "other";
}

std::string StoredKeyRef::describe() const {
  if (owner == "ca") return "CA key of " + tenant + "/" + name;
  if (owner == "ocsp-responder") return "OCSP responder key of " + tenant + "/" + name;
  if (owner == "audit") return "platform audit key";
  return "server TLS key";
}

Result<std::unique_ptr<store::Store>> open_folder_store(const fs::path& dir) {
  if (!is_initialized(dir)) {
    return fail(Errc::FailedPrecondition, dir.string() + " is not an initialized data folder");
  }
  return store::open_sqlite_store(dir / kDatabase);
}

Result<std::vector<StoredKeyRef>> list_stored_key_refs(const fs::path& dir, store::Store& store,
                                                       const pki::CryptoContext& crypto) {
  std::vector<StoredKeyRef> out;
  FLEETPKI_TRY(auto tenants, store.list_tenants());
  for (const auto& tenant : tenants) {
    FLEETPKI_TRY(auto cas, store.list_cas(tenant.id));
    for (const auto& ca : cas) {
      StoredKeyRef key;
      key.tenant_id = tenant.id;
      key.tenant = tenant.name;
      key.owner = "ca";
      key.name = ca.name;
      key.ca_id = ca.id;
      key.ref = ca.key_ref;
      FLEETPKI_TRY(key.certified_spki, certified_spki_of(crypto, ca));
      FLEETPKI_TRY(auto responder, store.find_ocsp_responder(ca.id));
      out.push_back(key);
      if (responder) {
        key.owner = "ocsp-responder";
        key.ref = responder->key_ref;
        FLEETPKI_TRY(auto cert, pki::Certificate::from_der(crypto, responder->certificate_der));
        key.certified_spki = cert.public_key().spki_der;
        key.responder = std::move(*responder);
        out.push_back(std::move(key));
      }
    }
  }
  FLEETPKI_TRY(auto audit_ref, store.get_setting(authority::AuditLog::kKeySetting));
  if (audit_ref) {
    StoredKeyRef key;
    key.owner = "audit";
    key.name = "platform";
    key.ref = *audit_ref;
    FLEETPKI_TRY(key.certified_spki, pinned_audit_spki(dir));
    out.push_back(std::move(key));
  }
  FLEETPKI_TRY(auto tls_ref, store.get_setting(kServerTlsKeySetting));
  if (tls_ref) {
    StoredKeyRef key;
    key.owner = "server-tls";
    key.name = "server";
    key.ref = *tls_ref;
    out.push_back(std::move(key));
  }
  return out;
}

Result<MigrationReport> migrate_keys_to_token(const MigrationOptions& options) {
  const fs::path& dir = options.dir;
  FLEETPKI_TRY(auto store, open_folder_store(dir));
  FLEETPKI_TRY(KeyBackendOptions recorded, recorded_key_backend(dir));
  FLEETPKI_TRY(Target target, resolve_target(recorded, options.flags));
  MigrationReport report;
  report.target = target.config;
  report.config_changed = recorded.backend != "pkcs11";
  if (options.tenant) {
    FLEETPKI_TRY(auto tenant, store->find_tenant(*options.tenant));
    if (!tenant) return fail(Errc::NotFound, "there is no tenant '" + *options.tenant + "'");
  }
  // The server's TLS key stays software (TLS needs an EVP_PKEY); --tenant leaves platform keys out.
  auto in_scope = [&options](const StoredKeyRef& key) {
    if (key.owner == "server-tls") return false;
    return !options.tenant || (key.tenant_id && key.tenant == *options.tenant);
  };

  const pki::CryptoContext crypto;
  FLEETPKI_TRY(auto stored, list_stored_key_refs(dir, *store, crypto));
  FLEETPKI_TRY(SecureBytes master, keys::load_master_secret(dir / "master.key"));
  FLEETPKI_TRY(auto software,
               keys::SoftwareKeyVault::open(crypto, dir / "keys", std::move(master)));
  FLEETPKI_TRY(SecureBytes pin, keys::load_pkcs11_pin(target.pin_file));
  keys::Pkcs11VaultConfig token_config;
  token_config.module_path = target.config.pkcs11_module;
  token_config.token_label = target.config.pkcs11_token;
  token_config.pin = std::move(pin);
  FLEETPKI_TRY(auto token, keys::Pkcs11KeyVault::open(crypto, std::move(token_config)));

  // 1. check (nothing written)
  std::vector<Pending> pending;
  for (const auto& key : stored) {
    if (!in_scope(key) || key.backend() != "software") continue;
    Pending p;
    p.key.from = key;
    p.key.label = key.ref.substr(kSoftwarePrefix.size());
    const std::string what = key.describe();
    auto loaded = software->tls_private_key(key.ref);
    if (!loaded) {
      return fail(std::move(loaded.error()).with_context("reading the software " + what));
    }
    p.software_key = std::move(*loaded);
    FLEETPKI_RETURN_IF_ERROR(check_importable(p.software_key.get(), what));
    FLEETPKI_TRY(p.spki, spki_of(p.software_key.get()));
    if (!key.certified_spki.empty() && key.certified_spki != p.spki) {
      return fail(Errc::DataLoss, "the software " + what + " (" + key.ref +
                                      ") is not the key of its certificate; nothing was changed");
    }
    p.key.spki_sha256 = sha256_hex(crypto, p.spki);
    FLEETPKI_TRY(auto existing, find_in_token(*token, p.key.label, p.spki, what));
    if (existing) {
      p.key.reused = true;
      p.key.to_ref = std::move(*existing);
    }
    pending.push_back(std::move(p));
  }
  if (options.dry_run) {
    for (auto& p : pending) report.keys.push_back(std::move(p.key));
    return report;
  }

  // 2. import (token objects only)
  for (auto& p : pending) {
    const std::string what = p.key.from.describe();
    if (!p.key.reused) {
      auto imported = token->import_key(p.software_key.get(), p.key.label);
      if (!imported) {
        Error e = std::move(imported.error());
        if (e.code == Errc::AlreadyExists) {
          e.message += " (an object labelled '" + p.key.label +
                       "' that is not a usable key pair: delete it with pkcs11-tool "
                       "--delete-object and run again)";
        }
        return fail(std::move(e).with_context("importing the " + what + " into token '" +
                                              token->token_label() + "'"));
      }
      p.key.to_ref = std::move(*imported);
    }
    FLEETPKI_TRY(keys::SignerPtr signer, token->open_signer(p.key.to_ref));
    if (signer->public_key_spki() != p.spki) {
      return fail(Errc::DataLoss,
                  "the token's public key of the " + what + " is not the certified one");
    }
    if (p.key.reused) {
      FLEETPKI_RETURN_IF_ERROR(check_signs_like(crypto, *signer, p.software_key.get(), what));
    }
  }

  // 3. config.json (before the commit: see the top of the file)
  std::optional<std::string> previous_config;
  if (report.config_changed) {
    std::error_code ec;
    if (fs::exists(dir / "config.json", ec)) {
      FLEETPKI_TRY(previous_config, read_file(dir / "config.json", 1 << 20));
    }
    Status recorded_now = record_key_backend(dir, report.target);
    if (!recorded_now) {
      return fail(
          std::move(recorded_now.error())
              .with_context("recording the token in config.json (the keys are imported; the folder "
                            "still uses its software keys; run again)"));
    }
  }

  // 4. commit: every reference and its audit event in one transaction
  if (!pending.empty()) {
    const std::int64_t now = to_unix(SystemClock().now());
    const authority::CallContext call{"keys-migrate-to-token", {}};
    Status committed = store->write([&](store::Transaction& tx) -> Status {
      for (const auto& p : pending) {
        const StoredKeyRef& key = p.key.from;
        FLEETPKI_RETURN_IF_ERROR(check_unchanged(*store, key));
        if (key.owner == "ca") {
          FLEETPKI_RETURN_IF_ERROR(tx.set_ca_key_ref(*key.tenant_id, key.ca_id, p.key.to_ref));
        } else if (key.owner == "ocsp-responder") {
          store::OcspResponderRecord record = *key.responder;
          record.key_ref = p.key.to_ref;
          FLEETPKI_RETURN_IF_ERROR(tx.put_ocsp_responder(record));
        } else {
          FLEETPKI_RETURN_IF_ERROR(tx.put_setting(authority::AuditLog::kKeySetting, p.key.to_ref));
        }
        const nlohmann::json details = {{"owner", key.owner},
                                        {"name", key.name},
                                        {"from", key.ref},
                                        {"to", p.key.to_ref},
                                        {"spki_sha256", p.key.spki_sha256},
                                        {"token", report.target.pkcs11_token},
                                        {"module", report.target.pkcs11_module}};
        FLEETPKI_RETURN_IF_ERROR(tx.append_audit(
            authority::make_audit_event(local_operator(), key.tenant_id, "key.migrate",
                                        key.owner + ":" + key.name, call, details, now)));
      }
      return ok();
    });
    if (!committed) {
      if (previous_config) (void)write_file_atomic(dir / "config.json", *previous_config, 0644);
      return fail(
          std::move(committed.error())
              .with_context("switching the key references (nothing changed in the data folder; "
                            "a re-run reuses the token objects)"));
    }
  }
  for (auto& p : pending) report.keys.push_back(std::move(p.key));

  // 5. software copies of keys the database now finds in the token
  FLEETPKI_TRY(auto after, list_stored_key_refs(dir, *store, crypto));
  for (const auto& key : after) {
    if (!in_scope(key) || key.backend() != "pkcs11") continue;
    auto uri = keys::parse_pkcs11_uri(key.ref);
    if (!uri || uri->token != report.target.pkcs11_token || !uri->object) continue;
    const fs::path file = dir / "keys" / (*uri->object + ".p8");
    std::error_code ec;
    if (!fs::exists(file, ec)) continue;
    auto copy = software->tls_private_key(std::string(kSoftwarePrefix) + *uri->object);
    auto signer = token->open_signer(key.ref);
    if (!copy || !signer) continue;  // not one of ours (another label scheme): left alone
    auto copy_spki = spki_of(copy->get());
    if (!copy_spki || *copy_spki != (*signer)->public_key_spki()) continue;
    if (!options.remove_software_keys) {
      report.kept_copies.push_back(file);
      continue;
    }
    if (!fs::remove(file, ec) || ec) {
      return fail(Errc::Unavailable,
                  "cannot remove " + file.string() + (ec ? ": " + ec.message() : ""));
    }
    report.removed.push_back(file);
  }
  return report;
}

}  // namespace fleetpki::cli
