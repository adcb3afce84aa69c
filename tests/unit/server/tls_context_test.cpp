// make_server_tls_context: versions, chain loading, key checks.
#include <gtest/gtest.h>

#include "server/http_server.h"
#include "test_identity.h"

namespace fleetpki::server {
namespace {

using testing::make_identity;

TEST(TlsContext, BuildsContextLimitedToTls12And13) {
  auto id = make_identity();
  ASSERT_FALSE(id.cert_pem.empty());
  auto ctx = make_server_tls_context(id.cert_pem, id.key.get());
  ASSERT_TRUE(ctx) << ctx.error().message << " " << ctx.error().detail;
  EXPECT_EQ(::SSL_CTX_get_min_proto_version(ctx->get()), TLS1_2_VERSION);
  EXPECT_EQ(::SSL_CTX_get_max_proto_version(ctx->get()), TLS1_3_VERSION);
  EXPECT_NE(::SSL_CTX_get_options(ctx->get()) & SSL_OP_NO_RENEGOTIATION, 0u);
  EXPECT_EQ(::SSL_CTX_get_verify_mode(ctx->get()), SSL_VERIFY_PEER);
  EXPECT_NE(::SSL_CTX_get0_certificate(ctx->get()), nullptr);
}

TEST(TlsContext, LoadsExtraChainCertificates) {
  auto leaf = make_identity("leaf");
  auto other = make_identity("intermediate");
  auto ctx = make_server_tls_context(leaf.cert_pem + other.cert_pem, leaf.key.get());
  ASSERT_TRUE(ctx) << ctx.error().detail;
  STACK_OF(X509)* chain = nullptr;
  ASSERT_EQ(::SSL_CTX_get0_chain_certs(ctx->get(), &chain), 1);
  ASSERT_NE(chain, nullptr);
  EXPECT_EQ(sk_X509_num(chain), 1);
}

TEST(TlsContext, RejectsMismatchedKey) {
  auto a = make_identity();
  auto b = make_identity();
  auto ctx = make_server_tls_context(a.cert_pem, b.key.get());
  ASSERT_FALSE(ctx);
  EXPECT_EQ(ctx.error().code, Errc::InvalidArgument);
}

TEST(TlsContext, RejectsEmptyOrGarbageChain) {
  auto id = make_identity();
  auto empty = make_server_tls_context("", id.key.get());
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Errc::InvalidArgument);
  auto garbage = make_server_tls_context("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                                         id.key.get());
  ASSERT_FALSE(garbage);
  EXPECT_EQ(garbage.error().code, Errc::InvalidArgument);
  EXPECT_FALSE(garbage.error().detail.empty());
}

TEST(TlsContext, RejectsMissingKey) {
  auto id = make_identity();
  EXPECT_FALSE(make_server_tls_context(id.cert_pem, nullptr));
}

}  // namespace
}  // namespace fleetpki::server
