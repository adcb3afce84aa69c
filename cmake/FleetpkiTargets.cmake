# Helpers so that every layer, executable and test is declared the same way.

# fleetpki_add_library(<name> SOURCES … [PUBLIC_DEPS …] [PRIVATE_DEPS …])
# Creates STATIC fleetpki_<name> with alias fleetpki::<name>; includes are rooted at src/.
function(fleetpki_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(fleetpki_${name} STATIC ${ARG_SOURCES})
  add_library(fleetpki::${name} ALIAS fleetpki_${name})
  target_compile_features(fleetpki_${name} PUBLIC cxx_std_20)
  set_target_properties(fleetpki_${name} PROPERTIES CXX_EXTENSIONS OFF)
  target_include_directories(fleetpki_${name} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/src>)
  target_link_libraries(fleetpki_${name}
    PUBLIC ${ARG_PUBLIC_DEPS} fleetpki::sanitizers
    PRIVATE ${ARG_PRIVATE_DEPS} fleetpki::warnings fleetpki::openssl_strict)
endfunction()

# fleetpki_add_executable(<name> SOURCES … DEPS …)
function(fleetpki_add_executable name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_features(${name} PRIVATE cxx_std_20)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} fleetpki::warnings fleetpki::openssl_strict fleetpki::sanitizers)
endfunction()

# fleetpki_add_test(<name> SOURCES … DEPS … [LABEL unit])
# One GoogleTest binary; each TEST becomes a ctest case carrying LABEL.
function(fleetpki_add_test name)
  cmake_parse_arguments(ARG "" "LABEL" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_compile_features(${name} PRIVATE cxx_std_20)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main
                        fleetpki::warnings fleetpki::openssl_strict fleetpki::sanitizers)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  gtest_discover_tests(${name} PROPERTIES LABELS ${ARG_LABEL}
                       ENVIRONMENT "FLEETPKI_SOURCE_DIR=${PROJECT_SOURCE_DIR};FLEETPKI_BIN_DIR=${PROJECT_BINARY_DIR}/bin"
                       DISCOVERY_TIMEOUT 60)
endfunction()
