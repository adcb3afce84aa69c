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

TEST(TlsContext, SendsIntermediatesButNotTheSelfSignedRoot) {
  auto root = make_identity("root");
  auto intermediate = make_identity("intermediate", &root);
  auto leaf = make_identity("leaf", &intermediate);
  ASSERT_FALSE(leaf.cert_pem.empty());
  auto ctx = make_server_tls_context(leaf.cert_pem + intermediate.cert_pem + root.cert_pem, leaf.key.get());
  ASSERT_TRUE(ctx) << ctx.error().detail;
  STACK_OF(X509)* chain = nullptr;
  ASSERT_EQ(::SSL_CTX_get0_chain_certs(ctx->get(), &chain), 1);
  ASSERT_NE(chain, nullptr);
  ASSERT_EQ(sk_X509_num(chain), 1);  // RFC 8446 §4.4.2: the root may be left out; clients trust it
  char cn[64] = {};
  ::X509_NAME_get_text_by_NID(::X509_get_subject_name(sk_X509_value(chain, 0)), NID_commonName, cn, sizeof cn);
  EXPECT_STREQ(cn, "intermediate");
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
