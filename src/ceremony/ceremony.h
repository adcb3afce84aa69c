// The offline root key ceremony over one folder: create the root key and self-signed certificate,
// split a software root key into m-of-n paper shares and restore it from any m, sign intermediate
// CA certificates from PKCS#10 requests, and issue the root's CRL. Every step appends a record
// signed by the root key to DIR/transcript.jsonl (transcript.h).
//
//   Ceremony c = Ceremony::open(ctx, clock, "/media/ceremony").value();
//   RootKeyAccess access{.passphrase = &passphrase};
//   c.create_root(spec, access, {"alice", "bob"});
//   auto shares = c.split(3, 5, access, {"alice", "bob"});  // print each, then wipe
//
// Folder: ceremony.json (state: where the key is, CRL number, intermediates, revocations),
// root.pem, root-key.p8 (software keys only), transcript.jsonl, root-crl-<n>.pem.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "keys/key_vault.h"
#include "keys/signer.h"
#include "pki/certificate.h"
#include "pki/crl.h"
#include "pki/crypto_context.h"

namespace fleetpki::ceremony {

using Operators = std::vector<std::string>;

/// How the steps reach the root key: a software key file under a passphrase, or a key vault
/// (e.g. a PKCS#11 token) that holds it; exactly one is set.
struct RootKeyAccess {
  const SecureBytes* passphrase = nullptr;
  keys::KeyVault* vault = nullptr;
  int kdf_iterations = 600000;  // PBKDF2 iterations of key files written (kDefaultKdfIterations)
};

struct RootSpec {
  std::string common_name;
  std::string organization;
  std::string country;  // two letters or empty
  int validity_days = 7300;
  std::optional<int> path_len = 1;  // nullopt = unlimited
  keys::KeyAlgorithm algorithm = keys::KeyAlgorithm::EcP384;
  std::string vault_label = "root-ca";  // the key's label in a vault
};

struct IntermediateSpec {
  int path_len = 0;
  int validity_days = 1825;            // capped at the root's notAfter
  std::string profile = "issuing-ca";  // "issuing-ca" or "issuing-ca-ocsp" (+digitalSignature)
  std::vector<std::string> crl_urls;   // cRLDistributionPoints: where the root CRL is published
  std::vector<std::string> ca_issuer_urls;  // AIA caIssuers: where root.pem is published
};

struct Revocation {
  std::string serial_hex;
  pki::CrlReason reason = pki::CrlReason::Unspecified;
};

struct CrlSpec {
  int validity_days = 365;         // nextUpdate = now + days
  std::vector<Revocation> revoke;  // added to the revocations of earlier CRLs
};

struct CrlResult {
  std::filesystem::path file;
  std::uint64_t number = 0;
  std::size_t entries = 0;
};

/// Printable form of one share (words) and what to write on its envelope.
struct PrintedShare {
  int index = 0;  // x
  int threshold = 0;
  int count = 0;
  std::string set_id;  // hex
  std::string text;    // header comments + word lines; holds the secret: wipe when done

  PrintedShare() = default;
  PrintedShare(PrintedShare&&) noexcept = default;
  PrintedShare& operator=(PrintedShare&&) noexcept = default;
  ~PrintedShare();
};

class Ceremony final {
 public:
  /// Opens (creating if missing, mode 0700) the ceremony folder.
  static Result<Ceremony> open(const pki::CryptoContext& ctx, const Clock& clock,
                               std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path root_certificate_path() const { return dir_ / "root.pem"; }
  std::filesystem::path root_key_path() const { return dir_ / "root-key.p8"; }
  std::filesystem::path transcript_path() const { return dir_ / "transcript.jsonl"; }

  /// Creates the root key (file or vault) and its self-signed certificate (basicConstraints
  /// critical CA TRUE with the spec's pathLen, keyUsage critical keyCertSign+cRLSign, SKI).
  /// AlreadyExists when the folder has a root.
  Result<pki::Certificate> create_root(const RootSpec& spec, const RootKeyAccess& access,
                                       const Operators& operators);

  /// Splits the software root key into `count` shares of which `threshold` restore it.
  Result<std::vector<PrintedShare>> split(int threshold, int count, const RootKeyAccess& access,
                                          const Operators& operators);

  /// Recombines shares (each the text of one printed share) into the root key, checks it against
  /// root.pem, and writes it encrypted under access.passphrase to `out` (default root-key.p8;
  /// never overwritten).
  Result<std::filesystem::path> combine(const std::vector<std::string>& share_texts,
                                        const RootKeyAccess& access, const Operators& operators,
                                        std::optional<std::filesystem::path> out = std::nullopt);

  /// Signs an intermediate CA certificate for a PKCS#10 request (signature checked) and writes it
  /// (PEM) to `out` (never overwritten).
  Result<pki::Certificate> sign_intermediate(std::string_view csr_pem, const IntermediateSpec& spec,
                                             const std::filesystem::path& out,
                                             const RootKeyAccess& access,
                                             const Operators& operators);

  /// Issues the root's next CRL (PEM) to `out` (default root-crl-<number>.pem).
  Result<CrlResult> issue_crl(const CrlSpec& spec, const RootKeyAccess& access,
                              const Operators& operators,
                              std::optional<std::filesystem::path> out = std::nullopt);

  /// The root certificate of the folder.
  Result<pki::Certificate> root_certificate() const;
  /// Where the root key is: its key vault reference (e.g. "pkcs11:token=…;object=…"), or nullopt
  /// for a software key file or a folder without a root yet.
  Result<std::optional<std::string>> root_key_reference() const;

 private:
  Ceremony(const pki::CryptoContext& ctx, const Clock& clock, std::filesystem::path dir)
      : ctx_(&ctx), clock_(&clock), dir_(std::move(dir)) {}
  Result<keys::SignerPtr> open_root_signer(const RootKeyAccess& access,
                                           const pki::Certificate& root) const;
  Status record(const keys::Signer& root_key, const std::string& operation,
                const Operators& operators, std::map<std::string, std::string> parameters,
                const std::vector<std::filesystem::path>& outputs) const;

  const pki::CryptoContext* ctx_;
  const Clock* clock_;
  std::filesystem::path dir_;
};

}  // namespace fleetpki::ceremony
