# Writes OUTPUT, a C++ file defining fleetpki::server::api_v1::openapi_document() from INPUT.
file(READ ${INPUT} content HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
file(WRITE ${OUTPUT} "// Generated from docs/api/openapi.json; do not edit.\n"
  "#include <string_view>\nnamespace fleetpki::server::api_v1 {\n"
  "// unsigned: the document is UTF-8 and may hold octets above 0x7F.\n"
  "static const unsigned char kOpenApi[] = {${bytes} 0};\n"
  "std::string_view openapi_document() {\n"
  "  return {reinterpret_cast<const char*>(kOpenApi), sizeof(kOpenApi) - 1};\n}\n}\n")
