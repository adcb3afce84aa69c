# fleetpki::warnings — per-target warnings (no global flags).
add_library(fleetpki_warnings INTERFACE)
add_library(fleetpki::warnings ALIAS fleetpki_warnings)
target_compile_options(fleetpki_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough
  -Wno-missing-field-initializers  # designated initializers leave the rest defaulted on purpose
  # GCC 12 at -O3 reports false positives inside libstdc++'s std::string and std::sort
  # and std::vector::insert (GCC bugs 105329, 105651, 106199); they name no line of ours.
  $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict -Wno-stringop-overread -Wno-stringop-overflow>
  $<$<BOOL:${FLEETPKI_WERROR}>:-Werror>)

# fleetpki::openssl_strict — forbid deprecated OpenSSL APIs at compile time (ADR 0003).
add_library(fleetpki_openssl_strict INTERFACE)
add_library(fleetpki::openssl_strict ALIAS fleetpki_openssl_strict)
target_compile_definitions(fleetpki_openssl_strict INTERFACE OPENSSL_API_COMPAT=30000 OPENSSL_NO_DEPRECATED)
