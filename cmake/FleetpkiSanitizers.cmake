# fleetpki::sanitizers — ASan + UBSan when FLEETPKI_SANITIZE is ON (preset "asan").
add_library(fleetpki_sanitizers INTERFACE)
add_library(fleetpki::sanitizers ALIAS fleetpki_sanitizers)
if(FLEETPKI_SANITIZE)
  target_compile_options(fleetpki_sanitizers INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(fleetpki_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
