#include "server/api_v1/idempotency.h"

#include <openssl/evp.h>

#include <mutex>
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

Response replay(const store::IdempotencyRecord& stored) {
  Response r;
  r.status = stored.status;
  r.content_type = stored.content_type;
  r.body = stored.body;
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
    auto stored = admin.find_idempotency(who->id, *key);
    if (!stored) return error_response(stored.error(), request);
    if (*stored) {
      if ((*stored)->request_hash != hash) {
        return problem(422, "this Idempotency-Key was used for a different request", request.request_id);
      }
      return replay(**stored);
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
    if (response.status >= 200 && response.status < 300) {
      store::IdempotencyRecord rec{who->id, *key, hash, response.status, response.content_type, response.body,
                                   to_unix(authority.clock().now())};
      (void)admin.remember_idempotency(rec);  // losing the record only loses the replay, not the change
    }
    return response;
  };
}

}  // namespace fleetpki::server::api_v1
