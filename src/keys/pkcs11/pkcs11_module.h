// A PKCS#11 module loaded at run time (dlopen + C_GetFunctionList), initialized for
// multi-threaded use (CKF_OS_LOCKING_OK), with slot lookup by token label and re-initialization
// after the module or a token failed.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "common/result.h"
#include "keys/pkcs11/pkcs11_api.h"

namespace fleetpki::keys {

/// One instance per module path per process: a module's state (initialization, login, sessions)
/// is process-wide, so two vaults over one module must share it, or one's C_Finalize would kill
/// the other's sessions. Finalized and unloaded when the last user lets go.
class Pkcs11Module final {
 public:
  /// Loads the module at `path` (or returns the instance already loaded) and calls C_Initialize.
  /// FailedPrecondition when the file is not a PKCS#11 module or refuses to initialize.
  static Result<std::shared_ptr<Pkcs11Module>> load(const std::string& path);
  ~Pkcs11Module();
  Pkcs11Module(const Pkcs11Module&) = delete;
  Pkcs11Module& operator=(const Pkcs11Module&) = delete;

  const std::string& path() const { return path_; }
  ck_function_list* functions() const { return functions_; }

  /// Held shared by every session operation; re-initialization holds it exclusively, so no
  /// thread is inside the module while it is finalized.
  std::shared_mutex& lifecycle() const { return lifecycle_; }
  /// Bumped by each re-initialization: sessions and object handles of an older generation are gone.
  /// Read while holding lifecycle() (shared).
  std::uint64_t generation() const { return generation_; }

  /// C_Finalize + C_Initialize, unless another thread already did so after generation `seen`.
  /// Call without holding lifecycle(). Unavailable if C_Initialize fails (the next call retries).
  Status reinitialize(std::uint64_t seen);

  /// The slot holding an initialized token with this label (CK_TOKEN_INFO.label, blank padded).
  /// NotFound if none; Unavailable if the module fails. Call while holding lifecycle() (shared).
  Result<ck_slot_id_t> find_slot(std::string_view token_label) const;

 private:
  Pkcs11Module(std::string path, void* handle, ck_function_list* functions)
      : path_(std::move(path)), handle_(handle), functions_(functions) {}
  Status initialize();

  std::string path_;
  void* handle_;
  ck_function_list* functions_;
  mutable std::shared_mutex lifecycle_;
  std::uint64_t generation_ = 0;
  bool initialized_ = false;
};

}  // namespace fleetpki::keys
