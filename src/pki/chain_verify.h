// Certificate path validation with OpenSSL's verifier (RFC 5280 path rules, strict X.509 checks):
// for certificates made elsewhere (a customer's own CA, a device's birth certificate).
#pragma once

#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/clock.h"
#include "common/result.h"
#include "pki/crypto_context.h"

namespace fleetpki::pki {

/// Checks that `leaf_der` chains through `untrusted_der` (in any order) to one of `trusted_der`
/// at time `at`: signatures, validity periods, CA flags and path lengths, key usages, name
/// constraints. With `leaf_must_be_ca` the leaf must be a CA certificate (cA TRUE, keyCertSign).
/// InvalidArgument naming OpenSSL's reason when the chain does not verify.
Status verify_chain(const CryptoContext& ctx, ByteView leaf_der, const std::vector<Bytes>& untrusted_der,
                    const std::vector<Bytes>& trusted_der, TimePoint at, bool leaf_must_be_ca);

/// The pathLenConstraint of a CA certificate: nullopt when unlimited. InvalidArgument when the
/// certificate cannot be parsed or is not a CA.
Result<std::optional<long>> ca_path_len(const CryptoContext& ctx, ByteView der);

/// True when the DER certificate is self-signed (issuer == subject and its own key verifies it).
bool is_self_signed(const CryptoContext& ctx, ByteView der);

}  // namespace fleetpki::pki
