#include "server/api_v1/idempotency.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include "authority/tenant_admin.h"
#include "server/api_v1/request_helpers.h"
#include "server/problem_json.h"

namespace fleetpki::server::api_v1 {
namespace {

bool valid_key(const std::string& key) {
  if (key.empty() || key.size() > 255) return false;
  for (unsigned char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::string request_hash(const Request& request) {
  EVP_MD_CTX* ctx = ::EVP_MD_CTX_new();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  ::EVP_DigestInit_ex(ctx, ::EVP_sha256(), nullptr);
  for (const std::string* part : {&request.method, &request.path, &request.body}) {
    const std::string size = std::to_string(part->size()) + ":";
    ::EVP_DigestUpdate(ctx, size.data(), size.size());
    ::EVP_DigestUpdate(ctx, part->data(), part->size());
  }
  ::EVP_DigestFinal_ex(ctx, digest, &len);
  ::EVP_MD_CTX_free(ctx);
  return to_hex(ByteView(digest, len));
}

/// Keys whose first request is running in this process.
class InFlight {
 public:
  bool enter(const std::string& id) {
    std::lock_guard lock(mutex_);
    return ids_.insert(id).second;
  }
  void leave(const std::string& id) {
    std::lock_guard lock(mutex_);
    ids_.erase(id);
  }

 private:
  std::mutex mutex_;
  std::set<std::string> ids_;
};

// Stored answers may carry secrets (a new token), so the store never holds them, nor the key, in
// clear: the row is found by SHA-256(principal, key) and the answer is sealed with AES-256-GCM
// under HKDF-SHA256(key, salt = principal). Only a client that knows the key can replay it.
std::string sha256_hex(std::string_view text) {
  unsigned char digest[32];
  std::size_t len = 0;
  ::EVP_Q_digest(nullptr, "SHA256", nullptr, text.data(), text.size(), digest, &len);
  return to_hex(ByteView(digest, len));
}

std::string key_id(const std::string& principal, const std::string& key) {
  return sha256_hex("fleetpki idempotency key\n" + principal + "\n" + key);
}

bool derive_key(const std::string& principal, const std::string& key, unsigned char out[32]) {
  EVP_KDF* kdf = ::EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (kdf == nullptr) return false;
  EVP_KDF_CTX* ctx = ::EVP_KDF_CTX_new(kdf);
  ::EVP_KDF_free(kdf);
  if (ctx == nullptr) return false;
  static const char kInfo[] = "fleetpki idempotent answer v1";
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      ::OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      ::OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<char*>(key.data()), key.size()),
      ::OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(principal.data()), principal.size()),
      ::OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(kInfo), sizeof kInfo - 1),
      ::OSSL_PARAM_construct_end()};
  const bool ok = ::EVP_KDF_derive(ctx, out, 32, params) == 1;
  ::EVP_KDF_CTX_free(ctx);
  return ok;
}

/// hex(iv || ciphertext || tag); empty on failure (then nothing is stored).
std::string seal(const std::string& principal, const std::string& key, const std::string& plain) {
  unsigned char k[32];
  unsigned char iv[12];
  if (!derive_key(principal, key, k) || ::RAND_bytes(iv, sizeof iv) != 1) return {};
  Bytes out(iv, iv + sizeof iv);
  out.resize(sizeof iv + plain.size() + 16);
  EVP_CIPHER_CTX* ctx = ::EVP_CIPHER_CTX_new();
  int len = 0;
  int tail = 0;
  const bool ok = ctx != nullptr && ::EVP_EncryptInit_ex(ctx, ::EVP_aes_256_gcm(), nullptr, k, iv) == 1 &&
                  ::EVP_EncryptUpdate(ctx, out.data() + sizeof iv, &len,
                                      reinterpret_cast<const unsigned char*>(plain.data()),
                                      static_cast<int>(plain.size())) == 1 &&
                  ::EVP_EncryptFinal_ex(ctx, out.data() + sizeof iv + len, &tail) == 1 &&
                  ::EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + sizeof iv + plain.size()) == 1;
  ::EVP_CIPHER_CTX_free(ctx);
  ::OPENSSL_cleanse(k, sizeof k);
  return ok ? to_hex(out) : std::string();
}

std::optional<std::string> unseal(const std::string& principal, const std::string& key, const std::string& hex) {
  Bytes sealed_bytes;
  if (!from_hex(hex, sealed_bytes) || sealed_bytes.size() < 12 + 16) return std::nullopt;
  Bytes* sealed = &sealed_bytes;
  unsigned char k[32];
  if (!derive_key(principal, key, k)) return std::nullopt;
  const std::size_t n = sealed->size() - 12 - 16;
  std::string plain(n, '\0');
  EVP_CIPHER_CTX* ctx = ::EVP_CIPHER_CTX_new();
  int len = 0;
  int tail = 0;
  const bool ok = ctx != nullptr && ::EVP_DecryptInit_ex(ctx, ::EVP_aes_256_gcm(), nullptr, k, sealed->data()) == 1 &&
                  ::EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(plain.data()), &len,
                                      sealed->data() + 12, static_cast<int>(n)) == 1 &&
                  ::EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, sealed->data() + 12 + n) == 1 &&
                  ::EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(plain.data()) + len, &tail) == 1;
  ::EVP_CIPHER_CTX_free(ctx);
  ::OPENSSL_cleanse(k, sizeof k);
  if (!ok) return std::nullopt;
  return plain;
}

Response replay(const store::IdempotencyRecord& stored, const std::string& body) {
  Response r;
  r.status = stored.status;
  r.content_type = stored.content_type;
  r.body = body;
  r.headers.emplace_back("Idempotent-Replayed", "true");
  return r;
}

}  // namespace

Handler with_idempotency_keys(authority::Authority& authority, Handler handler) {
  auto in_flight = std::make_shared<InFlight>();
  return [&authority, handler = std::move(handler), in_flight](Request& request) -> Response {
    auto key = request.header("idempotency-key");
    if (!key) return handler(request);
    if (!valid_key(*key)) {
      return error_response(make_error(Errc::InvalidArgument, "Idempotency-Key must be 1..255 printable ASCII characters"),
                            request);
    }
    auto who = authenticate(authority, request);
    if (!who) return handler(request);  // the handler answers 401 itself
    const std::string hash = request_hash(request);
    auto& admin = authority.tenant_admin();
    const std::string id = key_id(who->id, *key);
    auto stored = admin.find_idempotency(who->id, id);
    if (!stored) return error_response(stored.error(), request);
    if (*stored) {
      if ((*stored)->request_hash != hash) {
        return problem(422, "this Idempotency-Key was used for a different request", request.request_id);
      }
      auto body = unseal(who->id, *key, (*stored)->body);
      if (!body) return error_response(make_error(Errc::Internal, "the stored answer cannot be read"), request);
      return replay(**stored, *body);
    }
    const std::string slot = who->id + "\n" + *key;
    if (!in_flight->enter(slot)) {
      return error_response(make_error(Errc::FailedPrecondition, "a request with this Idempotency-Key is in progress"),
                            request);
    }
    struct Leave {
      InFlight& set;
      const std::string& slot;
      ~Leave() { set.leave(slot); }
    } leave{*in_flight, slot};
    Response response = handler(request);
    std::string sealed;
    if (response.status >= 200 && response.status < 300 && !(sealed = seal(who->id, *key, response.body)).empty()) {
      store::IdempotencyRecord rec{who->id, id, hash, response.status, response.content_type, std::move(sealed),
                                   to_unix(authority.clock().now())};
      (void)admin.remember_idempotency(rec);  // losing the record only loses the replay, not the change
    }
    return response;
  };
}

}  // namespace fleetpki::server::api_v1
