// Strict PEM: one block with the expected label, base64 body, nothing but whitespace around it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace fleetpki::pki {

/// "-----BEGIN <label>-----\n" + base64 in 64-column lines + "-----END <label>-----\n".
std::string pem_encode(ByteView der, std::string_view label);

/// Decodes exactly one PEM block whose label is one of `labels` (e.g. {"CERTIFICATE REQUEST",
/// "NEW CERTIFICATE REQUEST"}). InvalidArgument on a wrong label, bad base64, trailing garbage.
Result<Bytes> pem_decode(std::string_view text, std::initializer_list<std::string_view> labels);

/// Decodes every block with `label` in order (e.g. a chain file). InvalidArgument on malformed input.
Result<std::vector<Bytes>> pem_decode_all(std::string_view text, std::string_view label);

}  // namespace fleetpki::pki
