// Idempotency keys (draft-ietf-httpapi-idempotency-key-header): a POST carrying
// `Idempotency-Key: K` is performed once per credential and key; a retry with the same key and the
// same request gets the stored first answer (with `Idempotent-Replayed: true`), the same key with a
// different request is 422, and a retry while the first is still running is 409.
#pragma once

#include "authority/authority.h"
#include "server/router.h"

namespace fleetpki::server::api_v1 {

/// Wraps a POST handler. Only successful answers (2xx) are stored: a failed request may be
/// retried with the same key. Keys are 1..255 printable ASCII characters and live for a day.
Handler with_idempotency_keys(authority::Authority& authority, Handler handler);

}  // namespace fleetpki::server::api_v1
