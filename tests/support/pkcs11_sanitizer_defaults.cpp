// Sanitizer defaults of test binaries that load a PKCS#11 module; linked only in the sanitizer
// preset (FLEETPKI_SANITIZE). Set in the binary because gtest_discover_tests passes one
// environment variable at most. Same suppression as tests/lsan.supp (used by the interop tests).
//
// Full malloc stack traces (libcrypto has no frame pointers), so that a leak inside the module is
// attributed to it; SoftHSM2 2.6.1 leaks an ASN.1 object per EdDSA C_SignInit in
// OSSL::byteString2oid (fixed upstream by softhsm/SoftHSMv2 PR #863).
extern "C" const char* __asan_default_options() { return "fast_unwind_on_malloc=0"; }
extern "C" const char* __lsan_default_suppressions() { return "leak:libsofthsm2.so\n"; }
