/*
 * fuzz_hp_ldap.c -- libFuzzer target for the honeypot's LDAP framing and
 * liblber decoding (proto/ldap.c): frames LDAPMessages one after the
 * other as the server does, decodes each, checks the recorded DN bound, and
 * round-trips the reply the server would send through the decoder.
 */
/* The parser is compiled into this file so that libFuzzer instruments it
 * (the libraries are built without coverage instrumentation). */
#include "../../proto/ldap.c"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t pos = 0;
    for (int n = 0; n < 64 && pos < size; n++) {
        long fl = proto_ldap_frame(data + pos, size - pos, 1u << 16);
        if (fl <= 0)
            break;
        if ((size_t)fl > size - pos)
            abort();
        proto_ldap_msg m;
        if (proto_ldap_decode(data + pos, (size_t)fl, &m) == 0) {
            if (m.dn &&
                (m.dn_len > (size_t)fl || strlen(m.dn) > m.dn_len)) /* a DN is within its frame */
                abort();
            unsigned char *out;
            size_t ol;
            if (proto_ldap_encode_result(m.msgid, 5, 32, &out, &ol) == 0) {
                if (proto_ldap_frame(out, ol, 1u << 16) != (long)ol)
                    abort();
                proto_ldap_msg back;
                if (proto_ldap_decode(out, ol, &back) != 0 || back.msgid != m.msgid || back.op != 5)
                    abort();
                proto_ldap_msg_clear(&back);
                free(out);
            }
        }
        proto_ldap_msg_clear(&m);
        pos += (size_t)fl;
    }
    return 0;
}
