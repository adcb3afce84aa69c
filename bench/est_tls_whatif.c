/* What-if shim for bench/est_enroll.sh (issue #5, point 7): loaded with LD_PRELOAD into
 * `fleetpki serve` ONLY, it changes the server's TLS context the way a proposed server patch would,
 * so the effect can be measured before anyone edits src/server. The script probes what the server
 * then sends (chain, tickets) and gives openssl s_server the same, so the limit follows.
 *   FPK_WHATIF_TICKETS=N        SSL_CTX_set_num_tickets(ctx, N) on the context that requests client
 *                               certificates (OpenSSL's default is 2 TLS 1.3 tickets per handshake)
 *   FPK_WHATIF_NO_ROOT=1        self-signed certificates are not added to the server's chain
 *   FPK_WHATIF_NO_TLS_VERIFY=1  SSL_CTX_set_cert_verify_callback accepting every client chain, so
 *                               the handshake builds no chain (fleetpki accepts any client
 *                               certificate at the TLS layer and checks it in the application)
 * Build: cc -O2 -shared -fPIC -o whatif.so bench/est_tls_whatif.c -ldl -lssl -lcrypto */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static int accept_all(X509_STORE_CTX *ctx, void *arg) {
  (void)ctx;
  (void)arg;
  return 1;
}

void SSL_CTX_set_verify(SSL_CTX *ctx, int mode, SSL_verify_cb cb) {
  static void (*real)(SSL_CTX *, int, SSL_verify_cb) = 0;
  if (!real) *(void **)&real = dlsym(RTLD_NEXT, "SSL_CTX_set_verify");
  real(ctx, mode, cb);
  if (mode & SSL_VERIFY_PEER) {
    const char *t = getenv("FPK_WHATIF_TICKETS");
    if (t && *t) SSL_CTX_set_num_tickets(ctx, (size_t)atoi(t));
    const char *v = getenv("FPK_WHATIF_NO_TLS_VERIFY");
    if (v && *v == '1') SSL_CTX_set_cert_verify_callback(ctx, accept_all, NULL);
  }
}

/* SSL_CTX_add1_chain_cert is a macro over SSL_CTX_ctrl(SSL_CTRL_CHAIN_CERT, 1, x509). */
long SSL_CTX_ctrl(SSL_CTX *ctx, int cmd, long larg, void *parg) {
  static long (*real)(SSL_CTX *, int, long, void *) = 0;
  if (!real) *(void **)&real = dlsym(RTLD_NEXT, "SSL_CTX_ctrl");
  if (cmd == SSL_CTRL_CHAIN_CERT && parg != NULL) {
    const char *r = getenv("FPK_WHATIF_NO_ROOT");
    if (r && *r == '1' && X509_check_issued((X509 *)parg, (X509 *)parg) == X509_V_OK) return 1;
  }
  return real(ctx, cmd, larg, parg);
}
