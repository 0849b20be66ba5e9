/*
 * hp_tls.c -- the OpenSSL side of the TLS listeners: the server context of
 * a listener, its certificate (loaded, or generated self-signed at first
 * start with OpenSSL's API), and the ClientHello callback that records what
 * the client asked for.  The record layer runs over memory BIOs driven by
 * the libuv stream in hp_server.c, so nothing here touches a socket.
 *
 * Choices, for a tripwire rather than a service: every protocol version
 * OpenSSL still implements (TLS 1.0 and up) and security level 0, so old
 * scanners and old JVMs complete a handshake and their request is seen;
 * no client certificates; no renegotiation; no server-side session cache
 * (bounded memory; tickets still work).
 */
#include "honeypot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define CERT_DAYS 3650

int hp_tls_paths(const hp_config *cfg, const hp_listener_cfg *lc, char *cert, char *key,
                 size_t sz) {
    int a = lc->tls_cert[0] ? snprintf(cert, sz, "%s", lc->tls_cert)
                            : snprintf(cert, sz, "%s/tls-cert.pem", cfg->state_dir);
    int b = lc->tls_key[0] ? snprintf(key, sz, "%s", lc->tls_key)
                           : snprintf(key, sz, "%s/tls-key.pem", cfg->state_dir);
    return a < 0 || b < 0 || (size_t)a >= sz || (size_t)b >= sz ? -1 : 0;
}

/* "what arg: <the oldest OpenSSL error>" into err. */
static void ssl_err(char *err, size_t errsz, const char *what, const char *arg) {
    unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    int n = snprintf(err, errsz, "%s%s%s", what, arg[0] ? " " : "", arg);
    if (n >= 0 && (size_t)n < errsz && buf[0])
        snprintf(err + n, errsz - (size_t)n, ": %s", buf);
    ERR_clear_error();
}

/* Writes PEM text through write_fn to path with mode: a temporary file
 * created exclusively, synced and renamed, so a crash never leaves half a
 * key and an existing file is never overwritten in place. */
static int write_pem(const char *path, mode_t mode, int (*write_fn)(FILE *, void *), void *obj,
                     char *err, size_t errsz) {
    char tmp[600];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= sizeof tmp) {
        snprintf(err, errsz, "%s: path too long", path);
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) {
        snprintf(err, errsz, "cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        snprintf(err, errsz, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    int ok = write_fn(f, obj) == 1;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fileno(f)) == 0 && ok;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errsz, "cannot write %s: %s", path, strerror(errno ? errno : EIO));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int put_key(FILE *f, void *k) {
    return PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
}
static int put_cert(FILE *f, void *x) { return PEM_write_X509(f, x); }

/* Generates an EC P-256 key and a self-signed certificate for node and
 * writes them to cert and key. */
static int generate(const hp_config *cfg, const char *cert, const char *key, char *err,
                    size_t errsz) {
    int rc = -1;
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    BIGNUM *bn = BN_new();
    X509V3_CTX v3;
    X509_EXTENSION *san = NULL;
    if (!pk || !x || !bn) {
        ssl_err(err, errsz, "cannot generate a TLS key", "");
        goto out;
    }
    /* a random positive 127-bit serial (RFC 5280 section 4.1.2.2) */
    if (!BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
        !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) || !X509_set_version(x, 2) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -86400) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), (long)CERT_DAYS * 86400) ||
        !X509_set_pubkey(x, pk)) {
        ssl_err(err, errsz, "cannot build the TLS certificate", "");
        goto out;
    }
    X509_NAME *name = X509_get_subject_name(x);
    char dns[80];
    snprintf(dns, sizeof dns, "DNS:%s", cfg->node);
    if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cfg->node,
                                    -1, -1, 0) ||
        !X509_set_issuer_name(x, name)) {
        ssl_err(err, errsz, "cannot name the TLS certificate", "");
        goto out;
    }
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    san = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, dns);
    if (san) /* a node name that is no DNS name: CN only */
        X509_add_ext(x, san, -1);
    ERR_clear_error();
    if (!X509_sign(x, pk, EVP_sha256())) {
        ssl_err(err, errsz, "cannot sign the TLS certificate", "");
        goto out;
    }
    if (write_pem(key, 0600, put_key, pk, err, errsz) != 0)
        goto out;
    if (write_pem(cert, 0644, put_cert, x, err, errsz) != 0) {
        unlink(key); /* never a key without its certificate */
        goto out;
    }
    rc = 0;
out:
    X509_EXTENSION_free(san);
    BN_free(bn);
    X509_free(x);
    EVP_PKEY_free(pk);
    return rc;
}

/* Records SNI, offered ALPN and the legacy version; never refuses. */
static int on_hello(SSL *ssl, int *alert, void *arg) {
    (void)alert;
    (void)arg;
    hp_tls_info *ti = SSL_get_app_data(ssl);
    if (!ti)
        return SSL_CLIENT_HELLO_SUCCESS;
    ti->hello_seen = 1;
    ti->hello_version = SSL_client_hello_get0_legacy_version(ssl);
    const unsigned char *ext;
    size_t el;
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext, &el) == 1)
        hp_tls_sni(ext, el, ti->sni, sizeof ti->sni, &ti->sni_len);
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &ext,
                                  &el) == 1 &&
        hp_tls_alpn(ext, el, ti->alpn, sizeof ti->alpn, &ti->alpn_len) < 0)
        ti->alpn_len = 0;
    return SSL_CLIENT_HELLO_SUCCESS;
}

/* http listeners speak HTTP/1.1 only: select it when offered (curl then
 * does not try h2); other listeners select nothing. */
static int on_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned inlen, void *arg) {
    (void)arg;
    hp_tls_info *ti = SSL_get_app_data(ssl);
    if (!ti || !ti->http)
        return SSL_TLSEXT_ERR_NOACK;
    static const unsigned char h11[] = "\x08http/1.1";
    for (unsigned p = 0; p < inlen && in[p] <= inlen - p - 1; p += 1u + in[p]) {
        if (in[p] == 8 && !memcmp(in + p, h11, 9)) {
            *out = in + p + 1;
            *outlen = 8;
            snprintf(ti->alpn_selected, sizeof ti->alpn_selected, "http/1.1");
            return SSL_TLSEXT_ERR_OK;
        }
    }
    return SSL_TLSEXT_ERR_NOACK;
}

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

int hp_tls_ctx_new(const hp_config *cfg, const hp_listener_cfg *lc, struct ssl_ctx_st **out,
                   int *generated, char *err, size_t errsz) {
    char cert[600], key[600];
    *out = NULL;
    *generated = 0;
    if (hp_tls_paths(cfg, lc, cert, key, sizeof cert) != 0) {
        snprintf(err, errsz, "listener '%s': certificate path too long", lc->name);
        return -1;
    }
    int hc = file_exists(cert), hk = file_exists(key);
    if (hc != hk) {
        snprintf(err, errsz,
                 "listener '%s': %s exists but %s does not (remove it to have both generated, "
                 "or provide the pair)",
                 lc->name, hc ? cert : key, hc ? key : cert);
        return -1;
    }
    if (!hc) {
        if (!lc->tls_cert[0] || !lc->tls_key[0]) {
            if (mkdir(cfg->state_dir, 0700) != 0 && errno != EEXIST) {
                snprintf(err, errsz, "state_dir %s: cannot create: %s", cfg->state_dir,
                         strerror(errno));
                return -1;
            }
        }
        if (generate(cfg, cert, key, err, errsz) != 0)
            return -1;
        *generated = 1;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        ssl_err(err, errsz, "cannot create a TLS context", "");
        return -1;
    }
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        ssl_err(err, errsz, "cannot load the TLS certificate", cert);
        SSL_CTX_free(ctx);
        return -1;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        ssl_err(err, errsz, "cannot load the TLS key (or it does not match the certificate)",
                key);
        SSL_CTX_free(ctx);
        return -1;
    }
    SSL_CTX_set_client_hello_cb(ctx, on_hello, NULL);
    SSL_CTX_set_alpn_select_cb(ctx, on_alpn, NULL);
    *out = ctx;
    return 0;
}
