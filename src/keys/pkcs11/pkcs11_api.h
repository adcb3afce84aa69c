// The PKCS#11 v2.40 C API as p11-kit ships it, in its GNU naming (ck_rv_t, struct ck_attribute
// {type, value, value_len}…): the compatibility naming #defines `value`, `flags`… as macros,
// which would rewrite unrelated C++ (Result::value()). Include this, never <p11-kit/pkcs11.h>.
#pragma once

#ifndef CRYPTOKI_GNU
#define CRYPTOKI_GNU 1
#endif
#include <p11-kit/pkcs11.h>

#include <string>

namespace fleetpki::keys::p11 {

/// CK_BBOOL values (CK_TRUE/CK_FALSE exist only in p11-kit's compatibility naming).
inline constexpr unsigned char kTrue = 1;
inline constexpr unsigned char kFalse = 0;

/// "CKR_PIN_INCORRECT", or "CKR_0x…" for codes without a name here.
std::string rv_name(ck_rv_t rv);

/// Return values of our own (vendor-defined range, never sent by a module) for outcomes of
/// multi-call operations: no object matched, or several did.
inline constexpr ck_rv_t kRvObjectNotFound = CKR_VENDOR_DEFINED | 0x46500001UL;
inline constexpr ck_rv_t kRvObjectAmbiguous = CKR_VENDOR_DEFINED | 0x46500002UL;
inline constexpr ck_rv_t kRvLabelTaken = CKR_VENDOR_DEFINED | 0x46500003UL;
/// A key found earlier is no longer in the token. SoftHSM2 reports a token whose files went away
/// this way (no CKR_DEVICE_REMOVED), so it is handled like a token failure: re-initialize.
inline constexpr ck_rv_t kRvObjectVanished = CKR_VENDOR_DEFINED | 0x46500004UL;

}  // namespace fleetpki::keys::p11
