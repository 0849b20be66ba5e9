/*
 * fuzz_hp_dns.c -- libFuzzer target for the honeypot's DNS query parser and
 * reply builder (proto/dns.c): a parsed query yields a bounded name
 * and a question inside the packet; the reply built from it (with and
 * without an A record) is a response, which the parser must then refuse.
 */
/* The parser is compiled into this file so that libFuzzer instruments it
 * (the libraries are built without coverage instrumentation). */
#include "../../proto/dns.c"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    proto_dns_query q;
    if (proto_dns_parse(data, size, &q) != 0)
        return 0;
    if (q.question_end > size || q.name_len >= sizeof q.name || strlen(q.name) != q.name_len)
        abort();
    (void)proto_dns_in_zone(q.name, q.name_len, "canary.example");
    static const uint8_t a4[4] = {127, 0, 0, 1};
    unsigned char out[1200];
    for (int with_a = 0; with_a < 2; with_a++) {
        size_t ol = proto_dns_reply(data, &q, with_a ? 0 : 5, with_a ? a4 : NULL, 60, out, sizeof out);
        if (ol == 0)
            continue;
        if (ol != q.question_end + (with_a ? 16u : 0u))
            abort();
        proto_dns_query back;
        if (proto_dns_parse(out, ol, &back) == 0)
            abort(); /* a response is never taken for a query */
    }
    return 0;
}
