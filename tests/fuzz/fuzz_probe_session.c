/*
 * fuzz_probe_session.c -- libFuzzer target for the probe's callback
 * listener (probe/probe_session.c): the input arrives as a TCP client's
 * bytes in pieces (the first byte sets the piece size), as libuv would
 * deliver them.  Checked: every reply is a safe one (an LDAP result that
 * decodes and is never a search entry or reference; RMI's ProtocolAck,
 * once), every reported name is bounded, and a token found in a name is
 * really there (probe_token_find against probe_token).
 */
/* The session is compiled into this file so that libFuzzer instruments it
 * (the libraries are built without coverage instrumentation). */
#include "../../probe/probe_session.c"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RUN_ID 0x0123abcdu

typedef struct seen {
    int rmi_acks, closed;
} seen;

static void on_write(void *user, const void *p, size_t n) {
    seen *s = user;
    const unsigned char *b = p;
    if (!n)
        abort();
    if (b[0] == 0x4E) { /* JRMP ProtocolAck */
        if (++s->rmi_acks > 1)
            abort();
        return;
    }
    proto_ldap_msg m;
    if (proto_ldap_decode(b, n, &m) != 0)
        abort(); /* a reply we cannot read back */
    if (m.op == 4 || m.op == 19) /* SearchResultEntry, SearchResultReference */
        abort();
    proto_ldap_msg_clear(&m);
}

static void on_name(void *user, probe_cb_proto proto, const char *name, size_t len) {
    (void)user;
    if (proto != PROBE_CB_LDAP && proto != PROBE_CB_RMI)
        abort();
    if (len >= PROBE_MAX_MESSAGE)
        abort();
    uint32_t seq;
    if (probe_token_find(RUN_ID, name, len, &seq)) {
        char tok[PROBE_TOKEN_LEN + 1];
        probe_token(RUN_ID, seq, tok);
        int found = 0;
        for (size_t i = 0; i + PROBE_TOKEN_LEN <= len && !found; i++)
            found = !strncasecmp(name + i, tok, PROBE_TOKEN_LEN);
        if (!found)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    size_t piece = 1 + data[0] % 64;
    data++, size--;
    static unsigned char buf[PROBE_MAX_MESSAGE];
    probe_session s = {.buf = buf, .src_port = 40000};
    strcpy(s.src, "127.0.0.1");
    probe_session_ops ops = {on_write, on_name};
    seen sn = {0};
    while (size) {
        size_t room = PROBE_MAX_MESSAGE - s.len;
        size_t n = size < piece ? size : piece;
        if (n > room)
            n = room;
        memcpy(s.buf + s.len, data, n);
        s.len += n;
        data += n, size -= n;
        if (probe_session_run(&s, &ops, &sn)) {
            sn.closed = 1;
            break;
        }
        if (s.len >= PROBE_MAX_MESSAGE)
            abort(); /* a full buffer must have closed the connection */
    }
    return 0;
}
