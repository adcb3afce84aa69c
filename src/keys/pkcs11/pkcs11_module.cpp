// Pkcs11Module: dlopen, C_GetFunctionList, C_Initialize(CKF_OS_LOCKING_OK), slots by label.
#include "keys/pkcs11/pkcs11_module.h"

#include <dlfcn.h>

#include <array>
#include <cstdio>
#include <map>
#include <utility>
#include <vector>

#include "common/log.h"

namespace fleetpki::keys {
namespace p11 {

std::string rv_name(ck_rv_t rv) {
  static constexpr std::array<std::pair<ck_rv_t, const char*>, 40> kNames = {{
      {CKR_OK, "CKR_OK"},
      {CKR_CANCEL, "CKR_CANCEL"},
      {CKR_HOST_MEMORY, "CKR_HOST_MEMORY"},
      {CKR_SLOT_ID_INVALID, "CKR_SLOT_ID_INVALID"},
      {CKR_GENERAL_ERROR, "CKR_GENERAL_ERROR"},
      {CKR_FUNCTION_FAILED, "CKR_FUNCTION_FAILED"},
      {CKR_ARGUMENTS_BAD, "CKR_ARGUMENTS_BAD"},
      {CKR_ATTRIBUTE_SENSITIVE, "CKR_ATTRIBUTE_SENSITIVE"},
      {CKR_ATTRIBUTE_TYPE_INVALID, "CKR_ATTRIBUTE_TYPE_INVALID"},
      {CKR_ATTRIBUTE_VALUE_INVALID, "CKR_ATTRIBUTE_VALUE_INVALID"},
      {CKR_DATA_LEN_RANGE, "CKR_DATA_LEN_RANGE"},
      {CKR_DEVICE_ERROR, "CKR_DEVICE_ERROR"},
      {CKR_DEVICE_MEMORY, "CKR_DEVICE_MEMORY"},
      {CKR_DEVICE_REMOVED, "CKR_DEVICE_REMOVED"},
      {CKR_FUNCTION_NOT_SUPPORTED, "CKR_FUNCTION_NOT_SUPPORTED"},
      {CKR_KEY_HANDLE_INVALID, "CKR_KEY_HANDLE_INVALID"},
      {CKR_KEY_TYPE_INCONSISTENT, "CKR_KEY_TYPE_INCONSISTENT"},
      {CKR_KEY_FUNCTION_NOT_PERMITTED, "CKR_KEY_FUNCTION_NOT_PERMITTED"},
      {CKR_MECHANISM_INVALID, "CKR_MECHANISM_INVALID"},
      {CKR_MECHANISM_PARAM_INVALID, "CKR_MECHANISM_PARAM_INVALID"},
      {CKR_OBJECT_HANDLE_INVALID, "CKR_OBJECT_HANDLE_INVALID"},
      {CKR_OPERATION_ACTIVE, "CKR_OPERATION_ACTIVE"},
      {CKR_OPERATION_NOT_INITIALIZED, "CKR_OPERATION_NOT_INITIALIZED"},
      {CKR_PIN_INCORRECT, "CKR_PIN_INCORRECT"},
      {CKR_PIN_INVALID, "CKR_PIN_INVALID"},
      {CKR_PIN_LEN_RANGE, "CKR_PIN_LEN_RANGE"},
      {CKR_PIN_EXPIRED, "CKR_PIN_EXPIRED"},
      {CKR_PIN_LOCKED, "CKR_PIN_LOCKED"},
      {CKR_SESSION_CLOSED, "CKR_SESSION_CLOSED"},
      {CKR_SESSION_COUNT, "CKR_SESSION_COUNT"},
      {CKR_SESSION_HANDLE_INVALID, "CKR_SESSION_HANDLE_INVALID"},
      {CKR_TEMPLATE_INCOMPLETE, "CKR_TEMPLATE_INCOMPLETE"},
      {CKR_TEMPLATE_INCONSISTENT, "CKR_TEMPLATE_INCONSISTENT"},
      {CKR_TOKEN_NOT_PRESENT, "CKR_TOKEN_NOT_PRESENT"},
      {CKR_TOKEN_NOT_RECOGNIZED, "CKR_TOKEN_NOT_RECOGNIZED"},
      {CKR_USER_ALREADY_LOGGED_IN, "CKR_USER_ALREADY_LOGGED_IN"},
      {CKR_USER_NOT_LOGGED_IN, "CKR_USER_NOT_LOGGED_IN"},
      {CKR_BUFFER_TOO_SMALL, "CKR_BUFFER_TOO_SMALL"},
      {CKR_CRYPTOKI_NOT_INITIALIZED, "CKR_CRYPTOKI_NOT_INITIALIZED"},
      {CKR_CRYPTOKI_ALREADY_INITIALIZED, "CKR_CRYPTOKI_ALREADY_INITIALIZED"},
  }};
  for (const auto& [code, name] : kNames) {
    if (code == rv) return name;
  }
  if (rv == kRvObjectNotFound) return "no matching object";
  if (rv == kRvObjectAmbiguous) return "several matching objects";
  if (rv == kRvLabelTaken) return "label taken";
  if (rv == kRvObjectVanished) return "key gone from the token";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "CKR_0x%lx", rv);
  return buffer;
}

}  // namespace p11

namespace {

std::mutex g_registry_mutex;
std::map<std::string, std::weak_ptr<Pkcs11Module>>& registry() {
  static std::map<std::string, std::weak_ptr<Pkcs11Module>> modules;
  return modules;
}

/// CK_TOKEN_INFO.label: 32 bytes, UTF-8, padded with blanks.
std::string_view trimmed_label(const unsigned char (&label)[32]) {
  std::string_view text(reinterpret_cast<const char*>(label), sizeof label);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\0')) text.remove_suffix(1);
  return text;
}

}  // namespace

Result<std::shared_ptr<Pkcs11Module>> Pkcs11Module::load(const std::string& path) {
  std::lock_guard lock(g_registry_mutex);
  if (auto existing = registry()[path].lock()) return existing;
  // RTLD_NODELETE: the module's code stays mapped after dlclose, since some modules leave
  // threads or atexit handlers behind, and leak reports can then still name the module.
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return fail(Errc::FailedPrecondition, "cannot load PKCS#11 module " + path,
                why != nullptr ? why : "");
  }
  void* symbol = ::dlsym(handle, "C_GetFunctionList");
  if (symbol == nullptr) {
    ::dlclose(handle);
    return fail(Errc::FailedPrecondition, path + " is not a PKCS#11 module (no C_GetFunctionList)");
  }
  auto get_function_list = reinterpret_cast<CK_C_GetFunctionList>(symbol);
  ck_function_list* functions = nullptr;
  const ck_rv_t rv = get_function_list(&functions);
  if (rv != CKR_OK || functions == nullptr) {
    ::dlclose(handle);
    return fail(Errc::FailedPrecondition,
                "C_GetFunctionList of " + path + " failed: " + p11::rv_name(rv));
  }
  std::shared_ptr<Pkcs11Module> module(new Pkcs11Module(path, handle, functions));
  FLEETPKI_RETURN_IF_ERROR(module->initialize());
  registry()[path] = module;
  return module;
}

Pkcs11Module::~Pkcs11Module() {
  std::lock_guard lock(g_registry_mutex);
  auto it = registry().find(path_);
  // load() may have made a new instance while this one was dying (its weak_ptr had expired); the
  // module state is process-wide and now belongs to the new instance: do not finalize it.
  const bool replaced = it != registry().end() && !it->second.expired();
  if (!replaced) {
    if (initialized_) functions_->C_Finalize(nullptr);
    if (it != registry().end()) registry().erase(it);
  }
  ::dlclose(handle_);
}

Status Pkcs11Module::initialize() {
  ck_c_initialize_args args{};
  args.flags = CKF_OS_LOCKING_OK;  // the module may be called from many threads at once
  const ck_rv_t rv = functions_->C_Initialize(&args);
  // Another library in this process (e.g. an OpenSSL engine) may have initialized the module.
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    initialized_ = false;
    return fail(Errc::Unavailable,
                "C_Initialize of PKCS#11 module " + path_ + " failed: " + p11::rv_name(rv));
  }
  initialized_ = true;
  return ok();
}

Status Pkcs11Module::reinitialize(std::uint64_t seen) {
  std::unique_lock lock(lifecycle_);
  if (generation_ != seen && initialized_) return ok();  // someone else already did it
  log::warn("PKCS#11 module " + path_ + ": re-initializing after a module or token failure");
  functions_->C_Finalize(nullptr);  // may answer CKR_CRYPTOKI_NOT_INITIALIZED: fine
  initialized_ = false;
  ++generation_;  // every session and handle of the old generation is gone, even if this fails
  return initialize();
}

Result<ck_slot_id_t> Pkcs11Module::find_slot(std::string_view token_label) const {
  unsigned long count = 0;
  ck_rv_t rv = functions_->C_GetSlotList(p11::kTrue, nullptr, &count);
  if (rv != CKR_OK) {
    return fail(Errc::Unavailable, "C_GetSlotList failed: " + p11::rv_name(rv));
  }
  std::vector<ck_slot_id_t> slots(count);
  if (count > 0) {
    rv = functions_->C_GetSlotList(p11::kTrue, slots.data(), &count);
    if (rv != CKR_OK) {
      return fail(Errc::Unavailable, "C_GetSlotList failed: " + p11::rv_name(rv));
    }
    slots.resize(count);
  }
  for (ck_slot_id_t slot : slots) {
    ck_token_info info{};
    if (functions_->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    if ((info.flags & CKF_TOKEN_INITIALIZED) == 0) continue;
    if (trimmed_label(info.label) == token_label) return slot;
  }
  return fail(Errc::NotFound,
              "no PKCS#11 token labelled '" + std::string(token_label) + "' in module " + path_);
}

}  // namespace fleetpki::keys
