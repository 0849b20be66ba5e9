/*
 * ldap.c -- just enough LDAPv3 (RFC 4511) for a callback listener to record a
 * JNDI callback: frame one LDAPMessage, decode bind / search / unbind /
 * extended and the DN-bearing writes with OpenLDAP's liblber, and encode the
 * safe replies (BindResponse success, SearchResultDone noSuchObject(32),
 * unwillingToPerform for the rest).  It never encodes an entry, a java*
 * attribute or a referral, so a JNDI client can only get a NamingException.
 */
#include "proto.h"

#include <lber.h>
#include <stdlib.h>
#include <string.h>

long proto_ldap_frame(const unsigned char *buf, size_t len, size_t max) {
    if (len < 1)
        return 0;
    if (buf[0] != 0x30) /* LDAPMessage ::= SEQUENCE */
        return -1;
    if (len < 2)
        return 0;
    size_t hdr, body;
    if (buf[1] < 0x80) {
        hdr = 2;
        body = buf[1];
    } else {
        size_t n = buf[1] & 0x7f;
        if (n == 0 || n > 4) /* indefinite length is not allowed in LDAP */
            return -1;
        if (len < 2 + n)
            return 0;
        body = 0;
        for (size_t i = 0; i < n; i++)
            body = (body << 8) | buf[2 + i];
        hdr = 2 + n;
    }
    if (body > max || hdr + body > max)
        return -1;
    if (len < hdr + body)
        return 0;
    return (long)(hdr + body);
}

static int copy_bv(const struct berval *bv, char **out, size_t *outlen, size_t max) {
    size_t n = bv->bv_len < max ? bv->bv_len : max;
    char *s = malloc(n + 1);
    if (!s)
        return -1;
    if (n)
        memcpy(s, bv->bv_val, n);
    s[n] = '\0';
    *out = s;
    if (outlen)
        *outlen = n;
    return 0;
}

void proto_ldap_msg_clear(proto_ldap_msg *m) {
    if (!m)
        return;
    free(m->dn);
    free(m->oid);
    memset(m, 0, sizeof *m);
    m->op = -1;
}

int proto_ldap_decode(const unsigned char *frame, size_t len, proto_ldap_msg *m) {
    memset(m, 0, sizeof *m);
    m->op = -1;
    m->auth = -1;
    m->scope = -1;
    m->deref = -1;
    int rc = -1;
    struct berval in = {(ber_len_t)len, (char *)(uintptr_t)frame};
    BerElement *ber = ber_init(&in); /* copies the frame */
    if (!ber)
        return -1;
    ber_int_t msgid = 0;
    ber_len_t blen;
    if (ber_scanf(ber, "{i", &msgid) == LBER_ERROR)
        goto out;
    m->msgid = (int)msgid;
    ber_tag_t tag = ber_peek_tag(ber, &blen);
    if (tag == LBER_ERROR || (tag & 0xc0) != 0x40 || (tag & 0x1f) == 0x1f)
        goto out;
    m->op = (int)(tag & 0x1f);
    struct berval bv = {0, NULL};
    ber_int_t a = 0, b = 0;
    switch (m->op) {
    case PROTO_LDAP_BIND: {
        if (ber_scanf(ber, "{im", &a, &bv) == LBER_ERROR)
            goto out;
        m->version = (int)a;
        if (copy_bv(&bv, &m->dn, &m->dn_len, len) != 0)
            goto out;
        ber_tag_t at = ber_peek_tag(ber, &blen);
        m->auth = at == 0x80 ? 0 : at == 0xa3 ? 3 : -1;
        break;
    }
    case PROTO_LDAP_SEARCH:
        if (ber_scanf(ber, "{mee", &bv, &a, &b) == LBER_ERROR)
            goto out;
        m->scope = (int)a;
        m->deref = (int)b;
        if (copy_bv(&bv, &m->dn, &m->dn_len, len) != 0)
            goto out;
        break;
    case PROTO_LDAP_DELETE: /* DelRequest ::= [APPLICATION 10] LDAPDN (primitive) */
        if (ber_scanf(ber, "m", &bv) == LBER_ERROR)
            goto out;
        if (copy_bv(&bv, &m->dn, &m->dn_len, len) != 0)
            goto out;
        break;
    case PROTO_LDAP_MODIFY:
    case PROTO_LDAP_ADD:
    case PROTO_LDAP_MODDN:
    case PROTO_LDAP_COMPARE:
        if (ber_scanf(ber, "{m", &bv) == LBER_ERROR)
            goto out;
        if (copy_bv(&bv, &m->dn, &m->dn_len, len) != 0)
            goto out;
        break;
    case PROTO_LDAP_EXTENDED:
        if (ber_scanf(ber, "{m", &bv) == LBER_ERROR)
            goto out;
        if (copy_bv(&bv, &m->oid, NULL, 256) != 0)
            goto out;
        break;
    default: /* unbind, abandon and the rest carry nothing we record */
        break;
    }
    rc = 0;
out:
    ber_free(ber, 1);
    return rc;
}

int proto_ldap_encode_result(int msgid, int op, int code, unsigned char **out, size_t *outlen) {
    *out = NULL;
    *outlen = 0;
    if (op < 0 || op > 30)
        return -1;
    int rc = -1;
    struct berval *bv = NULL;
    BerElement *ber = ber_alloc_t(LBER_USE_DER);
    if (!ber)
        return -1;
    ber_tag_t tag = (ber_tag_t)(0x60 | op); /* [APPLICATION op] constructed */
    if (ber_printf(ber, "{it{ess}}", (ber_int_t)msgid, tag, (ber_int_t)code, "", "") == -1)
        goto out;
    if (ber_flatten(ber, &bv) != 0 || !bv)
        goto out;
    *out = malloc(bv->bv_len);
    if (!*out)
        goto out;
    memcpy(*out, bv->bv_val, bv->bv_len);
    *outlen = bv->bv_len;
    rc = 0;
out:
    if (bv)
        ber_bvfree(bv);
    ber_free(ber, 1);
    return rc;
}

int proto_ldap_safe_reply(int op, int *reply_op, int *code) {
    /* indexed by the request's tag: {reply tag, resultCode}; reply tag 0 =
     * close, -1 = no reply (abandon).  Not one row answers with an entry
     * (SearchResultEntry, 4) or a reference (19). */
    static const struct {
        int reply, code;
    } table[] = {
        [PROTO_LDAP_BIND] = {1, 0},      /* BindResponse success */
        [PROTO_LDAP_SEARCH] = {5, 32},   /* SearchResultDone noSuchObject */
        [PROTO_LDAP_MODIFY] = {7, 53},   /* unwillingToPerform ... */
        [PROTO_LDAP_ADD] = {9, 53},
        [PROTO_LDAP_DELETE] = {11, 53},
        [PROTO_LDAP_MODDN] = {13, 53},
        [PROTO_LDAP_COMPARE] = {15, 53},
        [PROTO_LDAP_ABANDON] = {-1, 0},  /* no response exists */
        [PROTO_LDAP_EXTENDED] = {24, 2}, /* ExtendedResponse protocolError */
    };
    *reply_op = 0;
    *code = 0;
    if (op < 0 || (size_t)op >= sizeof table / sizeof table[0] || table[op].reply == 0)
        return -1; /* unbind, responses sent to us, unknown */
    if (table[op].reply < 0)
        return 0;
    *reply_op = table[op].reply;
    *code = table[op].code;
    return 1;
}
