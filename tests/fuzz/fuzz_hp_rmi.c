/*
 * fuzz_hp_rmi.c -- libFuzzer target for the honeypot's JRMP parser
 * (proto/rmi.c): parses the input as a client's first bytes and some
 * of its prefixes (as they would arrive in pieces), checking the result
 * codes and that the recorded name and host stay bounded and terminated.
 */
/* The parser is compiled into this file so that libFuzzer instruments it
 * (the libraries are built without coverage instrumentation). */
#include "../../proto/rmi.c"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const uint8_t *data, size_t size) {
    proto_rmi_info info;
    int r = proto_rmi_parse(data, size, &info);
    if (r < PROTO_RMI_EBAD || r > PROTO_RMI_OTHER)
        abort();
    if (info.name_len >= sizeof info.name || strlen(info.name) > info.name_len)
        abort();
    if (strlen(info.client_host) >= sizeof info.client_host)
        abort();
    if (r == PROTO_RMI_CALL && !info.have_call)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check(data, size);
    for (size_t cut = 1; cut < size && cut < 64; cut++)
        check(data, cut);
    unsigned char ack[300];
    char host[64];
    size_t hl = size < sizeof host - 1 ? size : sizeof host - 1;
    memcpy(host, data, hl);
    host[hl] = '\0';
    size_t al = proto_rmi_ack(host, 1099, ack, sizeof ack);
    if (al && (ack[0] != 0x4E || al != 7 + strlen(host)))
        abort();
    return 0;
}
