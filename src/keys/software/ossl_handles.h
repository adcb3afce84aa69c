// unique_ptr aliases for the OpenSSL objects the software vault owns that pki/ossl/ptr.h lacks.
#pragma once

#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/kdf.h>

#include <memory>

namespace fleetpki::keys::detail {

struct EncoderCtxFree {
  void operator()(OSSL_ENCODER_CTX* p) const { ::OSSL_ENCODER_CTX_free(p); }
};
struct DecoderCtxFree {
  void operator()(OSSL_DECODER_CTX* p) const { ::OSSL_DECODER_CTX_free(p); }
};
struct KdfFree {
  void operator()(EVP_KDF* p) const { ::EVP_KDF_free(p); }
};
struct KdfCtxFree {
  void operator()(EVP_KDF_CTX* p) const { ::EVP_KDF_CTX_free(p); }
};

using EncoderCtxPtr = std::unique_ptr<OSSL_ENCODER_CTX, EncoderCtxFree>;
using DecoderCtxPtr = std::unique_ptr<OSSL_DECODER_CTX, DecoderCtxFree>;
using KdfPtr = std::unique_ptr<EVP_KDF, KdfFree>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, KdfCtxFree>;

}  // namespace fleetpki::keys::detail
