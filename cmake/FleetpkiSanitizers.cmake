# fleetpki::sanitizers — ASan + UBSan when FLEETPKI_SANITIZE is ON (preset "asan").
add_library(fleetpki_sanitizers INTERFACE)
add_library(fleetpki::sanitizers ALIAS fleetpki_sanitizers)
if(FLEETPKI_SANITIZE)
  target_compile_options(fleetpki_sanitizers INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(fleetpki_sanitizers INTERFACE -fsanitize=address,undefined)
  # Known leaks of third-party code (tests/lsan.supp), for the interop tests (the unit tests
  # that need it set it in the binary: tests/support/pkcs11_sanitizer_defaults.cpp).
  set(FLEETPKI_SANITIZER_TEST_ENV "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp")
  # Tests that load a PKCS#11 module: full stack traces on malloc (libcrypto has no frame
  # pointers), so that a leak inside the module is attributed to it and suppressed by name.
  set(FLEETPKI_SANITIZER_PKCS11_ENV "ASAN_OPTIONS=fast_unwind_on_malloc=0")
else()
  set(FLEETPKI_SANITIZER_TEST_ENV "")
  set(FLEETPKI_SANITIZER_PKCS11_ENV "")
endif()
