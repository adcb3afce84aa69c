// Pkcs11SessionPool: idle-session reuse, one login per token, bounded re-initialization.
#include "keys/pkcs11/pkcs11_session_pool.h"

#include <shared_mutex>
#include <thread>

#include "common/log.h"

namespace fleetpki::keys {

namespace {
constexpr ck_rv_t kRvNoSlot = CKR_TOKEN_NOT_PRESENT;  // the token label is in no slot (yet)

bool is_login_failure(ck_rv_t rv) {
  return rv == CKR_PIN_INCORRECT || rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE ||
         rv == CKR_PIN_EXPIRED || rv == CKR_PIN_LOCKED;
}
}  // namespace

bool Pkcs11SessionPool::needs_reinitialization(ck_rv_t rv) {
  switch (rv) {
    case CKR_DEVICE_REMOVED:
    case CKR_DEVICE_ERROR:
    case CKR_TOKEN_NOT_PRESENT:
    case CKR_TOKEN_NOT_RECOGNIZED:
    case CKR_SESSION_HANDLE_INVALID:
    case CKR_SESSION_CLOSED:
    case CKR_CRYPTOKI_NOT_INITIALIZED:
    case CKR_SLOT_ID_INVALID:
    case CKR_USER_NOT_LOGGED_IN:  // the login went away with the token: log in again
    // SoftHSM2 answers a token whose files were replaced with CKR_GENERAL_ERROR, and a token
    // whose files went away by losing its objects: both heal with a re-initialization.
    case CKR_GENERAL_ERROR:
    case p11::kRvObjectVanished:
      return true;
    default:
      return false;
  }
}

Result<std::shared_ptr<Pkcs11SessionPool>> Pkcs11SessionPool::open(const std::string& module_path,
                                                                   std::string token_label,
                                                                   SecureBytes pin,
                                                                   Options options) {
  if (token_label.empty() || token_label.size() > 32) {
    return fail(Errc::InvalidArgument, "a PKCS#11 token label has 1 to 32 bytes");
  }
  FLEETPKI_TRY(auto module, Pkcs11Module::load(module_path));
  {
    std::shared_lock lock(module->lifecycle());
    auto slot = module->find_slot(token_label);
    if (!slot) {
      if (slot.error().code == Errc::NotFound) {
        return fail(Errc::FailedPrecondition, slot.error().message);
      }
      return fail(slot.error());
    }
  }
  std::shared_ptr<Pkcs11SessionPool> pool(
      new Pkcs11SessionPool(std::move(module), std::move(token_label), std::move(pin), options));
  // Log in now, so that a wrong PIN is reported when the vault opens, not at the first signature.
  FLEETPKI_RETURN_IF_ERROR(pool->run([](const Pkcs11Session&, std::string&) { return CKR_OK; }));
  return pool;
}

Pkcs11SessionPool::~Pkcs11SessionPool() {
  std::shared_lock lock(module_->lifecycle());
  std::lock_guard guard(mutex_);
  if (pool_generation_ != module_->generation()) return;  // handles died with the old generation
  for (ck_session_handle_t handle : idle_) module_->functions()->C_CloseSession(handle);
}

bool Pkcs11SessionPool::acquire(std::uint64_t generation, Pkcs11Session& out, ck_rv_t& rv,
                                std::string& what) {
  ck_function_list* f = module_->functions();
  ck_slot_id_t slot = 0;
  {
    std::lock_guard guard(mutex_);
    if (pool_generation_ != generation) {
      idle_.clear();  // closed by C_Finalize
      slot_known_ = false;
      pool_generation_ = generation;
    }
    if (!idle_.empty()) {
      out = {f, idle_.back(), generation};
      idle_.pop_back();
      return true;
    }
    if (!slot_known_) {
      // The slot may change when a token is re-created (SoftHSM gives it a new slot ID).
      auto found = module_->find_slot(token_label_);
      if (!found) {
        rv = found.error().code == Errc::NotFound ? kRvNoSlot : CKR_DEVICE_ERROR;
        what = "C_GetSlotList/C_GetTokenInfo";
        return false;
      }
      slot_ = *found;
      slot_known_ = true;
    }
    slot = slot_;
  }
  ck_session_handle_t handle = 0;
  rv = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &handle);
  if (rv != CKR_OK) {
    what = "C_OpenSession";
    if (rv == CKR_SLOT_ID_INVALID) rv = kRvNoSlot;
    return false;
  }
  // Login state is per application and token, shared by its sessions (PKCS#11 v2.40 §5.6): a new
  // session is already logged in unless this is the first one since (re-)initialization.
  ck_session_info info{};
  rv = f->C_GetSessionInfo(handle, &info);
  if (rv == CKR_OK && info.state != CKS_RW_USER_FUNCTIONS) {
    rv = f->C_Login(handle, CKU_USER, const_cast<unsigned char*>(pin_.data()), pin_.size());
    if (rv == CKR_USER_ALREADY_LOGGED_IN) rv = CKR_OK;
    what = "C_Login";
  } else if (rv != CKR_OK) {
    what = "C_GetSessionInfo";
  }
  if (rv != CKR_OK) {
    f->C_CloseSession(handle);
    return false;
  }
  out = {f, handle, generation};
  return true;
}

void Pkcs11SessionPool::release(const Pkcs11Session& session) {
  {
    std::lock_guard guard(mutex_);
    if (session.generation != pool_generation_) return;
    if (idle_.size() < options_.max_idle_sessions) {
      idle_.push_back(session.handle);
      return;
    }
  }
  session.functions->C_CloseSession(session.handle);
}

Status Pkcs11SessionPool::run(const Operation& operation) {
  ck_rv_t last_rv = CKR_OK;
  std::string last_what;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) {
      std::this_thread::sleep_for(options_.backoff * (1 << (attempt - 1)));
    }
    std::uint64_t generation = 0;
    {
      std::shared_lock lock(module_->lifecycle());
      generation = module_->generation();
      Pkcs11Session session{};
      ck_rv_t rv = CKR_OK;
      std::string what;
      if (acquire(generation, session, rv, what)) {
        rv = operation(session, what);
        if (rv == CKR_OK || !needs_reinitialization(rv)) {
          release(session);  // the session is fine even if the operation failed
        }
      }
      if (rv == CKR_OK) return ok();
      if (!needs_reinitialization(rv)) return fail(rv_error(rv, what));
      last_rv = rv;
      last_what = what;
    }
    log::warn("PKCS#11 token '" + token_label_ + "': " + last_what + " answered " +
              p11::rv_name(last_rv) + "; re-initializing the module (try " +
              std::to_string(attempt + 1) + " of " + std::to_string(options_.max_attempts) + ")");
    if (auto status = module_->reinitialize(generation); !status) {
      last_what = "C_Initialize";
    }
  }
  return fail(Errc::Unavailable,
              "PKCS#11 token '" + token_label_ + "' is unavailable (" + last_what + ": " +
                  p11::rv_name(last_rv) + "); retry later",
              "module " + module_->path());
}

Error Pkcs11SessionPool::rv_error(ck_rv_t rv, const std::string& what) const {
  const std::string token = "PKCS#11 token '" + token_label_ + "'";
  const std::string detail = what + ": " + p11::rv_name(rv) + " (module " + module_->path() + ")";
  if (is_login_failure(rv)) {
    return make_error(
        Errc::Unauthenticated,
        "PKCS#11 login failed for token '" + token_label_ + "' (" + p11::rv_name(rv) + ")", detail);
  }
  switch (rv) {
    case p11::kRvObjectNotFound:
      return make_error(Errc::NotFound, "key not found in " + token, detail);
    case p11::kRvObjectVanished:
      return make_error(Errc::Unavailable, "key gone from " + token + " (token removed?)", detail);
    case p11::kRvObjectAmbiguous:
      return make_error(Errc::FailedPrecondition, "several keys match in " + token, detail);
    case p11::kRvLabelTaken:
      return make_error(Errc::AlreadyExists, "a key with this label exists in " + token, detail);
    case CKR_MECHANISM_INVALID:
    case CKR_MECHANISM_PARAM_INVALID:
    case CKR_KEY_TYPE_INCONSISTENT:
    case CKR_KEY_FUNCTION_NOT_PERMITTED:
    case CKR_TEMPLATE_INCONSISTENT:
    case CKR_ATTRIBUTE_VALUE_INVALID:
    case CKR_FUNCTION_NOT_SUPPORTED:
      return make_error(Errc::FailedPrecondition,
                        token + " refuses " + what + " (" + p11::rv_name(rv) + ")", detail);
    case CKR_HOST_MEMORY:
    case CKR_DEVICE_MEMORY:
    case CKR_SESSION_COUNT:
      return make_error(Errc::ResourceExhausted,
                        token + " is out of memory or sessions (" + p11::rv_name(rv) + ")", detail);
    default:
      if (needs_reinitialization(rv)) {
        return make_error(Errc::Unavailable, token + " is unavailable (" + p11::rv_name(rv) + ")",
                          detail);
      }
      return make_error(Errc::Internal, token + ": " + what + " failed (" + p11::rv_name(rv) + ")",
                        detail);
  }
}

}  // namespace fleetpki::keys
