/*
 * fuzz_inventory_zip.c -- libFuzzer target for the hand-written fast zip
 * reader of the archive inventory (lib/inventory_zip.c): lists the input as
 * a zip and reads every entry it accepts, whole and cut short.  Checks that
 * every listed entry lies inside the input and that reads never report
 * more bytes than asked; the JDK's EOCD rule and the search for a second
 * (libarchive's) directory must name records inside the input.
 */
#include "inventory.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    defuse__zmem m = {data, size};
    uint64_t eocd = 0, other = 0;
    unsigned on = 0;
    if (defuse__zip_find_eocd(defuse__zmem_pread, &m, size, &eocd)) {
        if (eocd + 22 > size)
            abort();
        if (defuse__zip_other_eocd(defuse__zmem_pread, &m, size, eocd, &other, &on) &&
            (other <= eocd || other + 22 > size))
            abort();
    }
    defuse__zdir d;
    memset(&d, 0, sizeof d);
    if (defuse__zdir_read(data, size, &d) != 0) {
        if (d.n != 0)
            abort(); /* refused: must be empty */
        return 0;
    }
    uint8_t out[4096];
    for (size_t i = 0; i < d.n && i < 64; i++) {
        const defuse__zent *e = &d.ent[i];
        if (e->lho >= size || e->data > size || e->csize > size - e->data)
            abort();
        (void)strlen(d.names + e->name);
        size_t got = 0;
        if (defuse__zent_read(data, e, out, sizeof out, &got) == 0 && got > sizeof out)
            abort();
        if (defuse__zent_read(data, e, out, 7, &got) == 0 && got > 7)
            abort();
    }
    defuse__zdir_free(&d);
    return 0;
}
