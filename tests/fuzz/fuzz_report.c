/*
 * fuzz_report.c -- libFuzzer target for `defuse report` (report/): the
 * input, split at newlines, is folded line by line (every input kind is
 * recognised by content, so one input reaches them all), then the page is
 * written.  Checks the contract: no crash, no markup from the input (no
 * "<script", no "<img"), no control byte in the page, and a page under 2 MB.
 */
#include "report.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static rep r;
    static rep_opts o;
    char err[128];
    memset(&o, 0, sizeof o);
    o.now = 1639180800;
    rep_parse_cidrs(&o, "100.64.0.0/10", err, sizeof err);
    if (rep_init(&r, &o))
        return 0;
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == '\n') {
            /* exact-size copy so ASan sees any read past the line */
            size_t n = i - start;
            char *line = malloc(n ? n : 1);
            if (!line)
                break;
            memcpy(line, data + start, n);
            rep_add_line(&r, line, n);
            free(line);
            start = i + 1;
        }
    }
    char *page = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&page, &len);
    if (f) {
        rep_write_html(&r, f);
        fclose(f);
        if (len > 2u * 1024 * 1024 || strstr(page, "<script") || strstr(page, "<img"))
            abort();
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)page[i] < 0x20 && page[i] != '\n')
                abort();
        free(page);
    }
    rep_free(&r);
    return 0;
}
