# Included by src/server/CMakeLists.txt: the REST v1 handlers and the embedded OpenAPI document.
set(FLEETPKI_OPENAPI_JSON ${PROJECT_SOURCE_DIR}/docs/api/openapi.json)
set(FLEETPKI_OPENAPI_CPP ${CMAKE_CURRENT_BINARY_DIR}/openapi_document.cpp)
add_custom_command(
  OUTPUT ${FLEETPKI_OPENAPI_CPP}
  COMMAND ${CMAKE_COMMAND} -DINPUT=${FLEETPKI_OPENAPI_JSON} -DOUTPUT=${FLEETPKI_OPENAPI_CPP}
          -P ${CMAKE_CURRENT_SOURCE_DIR}/api_v1/embed_openapi.cmake
  DEPENDS ${FLEETPKI_OPENAPI_JSON} ${CMAKE_CURRENT_SOURCE_DIR}/api_v1/embed_openapi.cmake
  COMMENT "Embedding docs/api/openapi.json")

list(APPEND FLEETPKI_SERVER_SOURCES
  api_v1/api_v1.cpp
  api_v1/tenant_handlers.cpp
  api_v1/device_handlers.cpp
  api_v1/enrollment_handlers.cpp
  api_v1/enrollment_json.cpp
  api_v1/idempotency.cpp
  api_v1/profile_handlers.cpp
  api_v1/audit_handlers.cpp
  api_v1/certificate_json.cpp
  api_v1/certificates_handler.cpp
  api_v1/lifecycle_handlers.cpp
  api_v1/request_helpers.cpp
  api_v1/system_handlers.cpp
  est/est_routes.cpp
  revocation/crl_routes.cpp
  revocation/metrics_routes.cpp
  revocation/ocsp_routes.cpp
  ${FLEETPKI_OPENAPI_CPP})
set(FLEETPKI_API_V1_DEPS fleetpki::authority)
