// Test helpers for the key tests: a temporary directory and signature verification by OpenSSL.
#pragma once

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdlib.h>

#include <filesystem>

#include "support/temp_dir.h"
#include <string>

#include "keys/signer.h"
#include "pki/algorithms.h"

namespace fleetpki::keys::testing {

using TempDir = fleetpki::testing::TempDir;  // mkdtemp folder removed at scope exit

/// Verifies with the signer's own SPKI, parsed independently by d2i_PUBKEY, and EVP_DigestVerify.
inline bool verifies(const Signer& signer, ByteView message, ByteView signature) {
  const Bytes& spki = signer.public_key_spki();
  const unsigned char* p = spki.data();
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()));
  if (key == nullptr) {
    ADD_FAILURE() << "SPKI does not parse";
    return false;
  }
  const char* digest = pki::digest_name(signer.algorithm());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit_ex(ctx, nullptr, digest, nullptr, nullptr, key, nullptr) == 1 &&
            EVP_DigestVerify(ctx, signature.data(), signature.size(), message.data(),
                             message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

}  // namespace fleetpki::keys::testing
