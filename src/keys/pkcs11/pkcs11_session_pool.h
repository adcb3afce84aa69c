// A pool of logged-in R/W sessions on one token, so that signing scales with threads (a PKCS#11
// session runs one operation at a time), with re-initialization of the module after the module
// or the token failed.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "keys/pkcs11/pkcs11_module.h"

namespace fleetpki::keys {

/// A session lent to one operation: used by one thread until the operation returns.
struct Pkcs11Session {
  ck_function_list* functions;
  ck_session_handle_t handle;
  std::uint64_t generation;  // module generation: object handles found earlier are only valid
                             // in sessions of the same generation
};

class Pkcs11SessionPool final {
 public:
  struct Options {
    std::size_t max_idle_sessions = 32;
    /// Tries of one operation when the module or token fails (each after a re-initialization).
    int max_attempts = 3;
    /// Wait before the second try; doubled before each later one.
    std::chrono::milliseconds backoff{50};
  };

  /// Loads the module, finds the token by label and logs in once (CKU_USER). FailedPrecondition
  /// when there is no such token; Unauthenticated "PKCS#11 login failed for token X" for a wrong
  /// or locked PIN (the PIN itself is never in a message or a log).
  static Result<std::shared_ptr<Pkcs11SessionPool>> open(const std::string& module_path,
                                                         std::string token_label, SecureBytes pin,
                                                         Options options);
  static Result<std::shared_ptr<Pkcs11SessionPool>> open(const std::string& module_path,
                                                         std::string token_label, SecureBytes pin) {
    return open(module_path, std::move(token_label), std::move(pin), Options{});
  }
  ~Pkcs11SessionPool();
  Pkcs11SessionPool(const Pkcs11SessionPool&) = delete;
  Pkcs11SessionPool& operator=(const Pkcs11SessionPool&) = delete;

  /// An operation on a session: returns CKR_OK, or the CK_RV of the call that failed with the
  /// name of that call in `what` (p11::kRvObjectNotFound & co. for our own outcomes).
  using Operation = std::function<ck_rv_t(const Pkcs11Session& session, std::string& what)>;

  /// Runs `operation` on an idle logged-in session (a new one if none is idle). When the module
  /// or the token fails (CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT, CKR_SESSION_HANDLE_INVALID,
  /// CKR_SESSION_CLOSED, CKR_CRYPTOKI_NOT_INITIALIZED, CKR_DEVICE_ERROR, …, or the token is gone
  /// from its slot) it re-initializes the module and tries again, up to Options::max_attempts
  /// times; then Unavailable (HTTP 503). Other failures map to canonical codes (see rv_error()).
  Status run(const Operation& operation);

  const std::string& token_label() const { return token_label_; }
  const std::string& module_path() const { return module_->path(); }

  /// The error for a CK_RV returned by `what` on this token.
  Error rv_error(ck_rv_t rv, const std::string& what) const;
  /// True for the return values after which sessions must be rebuilt.
  static bool needs_reinitialization(ck_rv_t rv);

 private:
  Pkcs11SessionPool(std::shared_ptr<Pkcs11Module> module, std::string token_label, SecureBytes pin,
                    Options options)
      : module_(std::move(module)),
        token_label_(std::move(token_label)),
        pin_(std::move(pin)),
        options_(options) {}

  /// Takes an idle session of the current generation or opens and logs in a new one. Caller
  /// holds module lifecycle (shared). On failure returns the CK_RV in `rv` and the call in `what`.
  bool acquire(std::uint64_t generation, Pkcs11Session& out, ck_rv_t& rv, std::string& what);
  void release(const Pkcs11Session& session);

  std::shared_ptr<Pkcs11Module> module_;
  std::string token_label_;
  SecureBytes pin_;
  Options options_;

  std::mutex mutex_;  // guards the fields below
  std::uint64_t pool_generation_ = 0;
  bool slot_known_ = false;
  ck_slot_id_t slot_ = 0;
  std::vector<ck_session_handle_t> idle_;
};

}  // namespace fleetpki::keys
