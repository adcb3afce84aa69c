// Audit hash chain: canonical event text, SHA-256 chaining and verification.
#include "store/audit_chain.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <string>

namespace fleetpki::store {
namespace {

void append_field(std::string& out, std::string_view value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
  out += '\n';
}

std::string drain_openssl_errors(std::string_view where) {
  std::string detail(where);
  unsigned long code = 0;
  char buf[256];
  while ((code = ::ERR_get_error()) != 0) {
    ::ERR_error_string_n(code, buf, sizeof buf);
    detail += "; ";
    detail += buf;
  }
  return detail;
}

}  // namespace

std::string audit_canonical_text(const AuditEvent& event) {
  std::string out;
  out.reserve(128 + event.actor.size() + event.action.size() + event.object.size() +
              event.request_id.size() + event.details_json.size());
  append_field(out, event.tenant_id ? std::to_string(*event.tenant_id) : std::string());
  append_field(out, event.actor);
  append_field(out, event.action);
  append_field(out, event.object);
  append_field(out, event.request_id);
  append_field(out, event.details_json);
  append_field(out, std::to_string(event.at));
  return out;
}

Result<AuditHasher> AuditHasher::create(OSSL_LIB_CTX* libctx, const char* propq) {
  MdPtr md(::EVP_MD_fetch(libctx, "SHA2-256", propq));
  if (!md) {
    return fail(Errc::Internal, "SHA-256 is not available", drain_openssl_errors("EVP_MD_fetch"));
  }
  return AuditHasher(std::move(md));
}

Result<std::string> AuditHasher::hash(std::string_view prev_hash, const AuditEvent& event) const {
  std::string input;
  std::string text = audit_canonical_text(event);
  input.reserve(prev_hash.size() + 1 + text.size());
  input += prev_hash;
  input += '\n';
  input += text;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (::EVP_Digest(input.data(), input.size(), digest, &length, md_.get(), nullptr) != 1) {
    return fail(Errc::Internal, "hashing the audit event failed",
                drain_openssl_errors("EVP_Digest"));
  }
  return to_hex(ByteView(digest, length));
}

Status AuditHasher::verify(std::span<const AuditEvent> events,
                           std::string_view first_prev_hash) const {
  std::string expected_prev(first_prev_hash);
  for (const AuditEvent& event : events) {
    if (event.prev_hash != expected_prev) {
      return fail(Errc::DataLoss, "audit chain broken at event " + std::to_string(event.id),
                  "prev_hash does not match the previous event's hash");
    }
    FLEETPKI_TRY(std::string recomputed, hash(event.prev_hash, event));
    if (recomputed != event.hash) {
      return fail(Errc::DataLoss, "audit chain broken at event " + std::to_string(event.id),
                  "hash does not match the event's fields");
    }
    expected_prev = event.hash;
  }
  return ok();
}

}  // namespace fleetpki::store
