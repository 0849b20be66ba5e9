/*
 * inventory_zip.c -- a narrow, fast zip directory reader for the scan's
 * common case: an ordinary jar held in memory, whose central directory and
 * local headers agree.
 *
 * Why hand-written beside libarchive: libarchive's zip reader converts every
 * entry name to wide characters with one mbrtowc() per character (to look
 * for a trailing '/'), about 3 µs per entry, which was 70% of the CPU of a
 * jar scan (log4j-core has ~1,200 entries, of which defuse reads a dozen).
 * This reader lists the entries from the central directory and inflates
 * (zlib) only the few entries asked for.  It accepts only what it fully
 * understands and answers "not mine" (1) for anything else -- zip64,
 * encryption, methods other than stored/deflate -- so the caller falls back
 * to libarchive.  It reads a zip as the JVM does (java.util.zip.ZipFile),
 * because what matters is what the class loader would load: the EOCD found
 * by the JDK's rule (defuse__zip_find_eocd), names as bytes (any non-ASCII
 * name), a prefix before the first entry, the central record's name and
 * sizes whatever the local header says, every non-directory entry as bytes
 * (Unix symlink bits ignored), and a wrong CRC reported but not fatal.
 * Entries come in local-header order.
 */
#include "inventory.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p) {
    return (uint16_t)(p[0] | p[1] << 8);
}

static int ent_cmp(const void *a, const void *b) {
    const defuse__zent *x = a, *y = b;
    return x->lho < y->lho ? -1 : x->lho > y->lho;
}

/* Does the extra field hold a zip64 (0x0001) record, or is it malformed?
 * (An Info-ZIP Unicode path, 0x7075, is ignored as the JDK ignores it: the
 * JVM knows an entry by the name of its central record.) */
static bool extra_unsupported(const uint8_t *x, size_t n) {
    size_t o = 0;
    while (o + 4 <= n) {
        uint16_t id = rd16(x + o), l = rd16(x + o + 2);
        if (id == 0x0001)
            return true;
        o += 4u + l;
    }
    return false;
}

static long pread_mem(void *ctx, void *buf, size_t n, uint64_t off) {
    const defuse__zmem *m = ctx;
    if (off > m->len || n > m->len - off)
        return -1;
    memcpy(buf, m->p + off, n);
    return (long)n;
}

long defuse__zmem_pread(void *ctx, void *buf, size_t n, uint64_t off) {
    return pread_mem(ctx, buf, n, off);
}

/* Is the 4-byte signature sig at off of the file? */
static bool sig_at(defuse__pread_fn rd, void *ctx, uint64_t off, uint32_t sig) {
    uint8_t b[4];
    return rd(ctx, b, 4, off) == 4 && rd32(b) == sig;
}

/* The JDK's rule (java.util.zip.ZipFile, observed with JDK 17 on the jars of
 * tests/e2e/scan_hide.sh): scanning backwards from the end over the last
 * 64 KiB + 22 bytes, the first "PK\5\6" whose comment length reaches exactly
 * the end of the file is the EOCD; one whose comment length does not is
 * still taken (bytes appended after a zip) if a central header signature
 * sits at (EOCD - directory size) and a local header signature at
 * (that - directory offset).  Anything else is skipped. */
bool defuse__zip_find_eocd(defuse__pread_fn rd, void *ctx, uint64_t size, uint64_t *eocd) {
    uint8_t *tail;
    size_t tl = size < DEFUSE_INV_TAIL ? (size_t)size : DEFUSE_INV_TAIL;
    if (tl < 22 || !(tail = malloc(tl)))
        return false;
    bool found = false;
    if (rd(ctx, tail, tl, size - tl) == (long)tl) {
        uint64_t base = size - tl;
        for (size_t e = tl - 22 + 1; !found && e-- > 0;) {
            const uint8_t *t = tail + e;
            if (t[0] != 'P' || t[1] != 'K' || t[2] != 5 || t[3] != 6)
                continue;
            if (e + 22 + rd16(t + 20) == tl) {
                found = true;
            } else {
                uint64_t pos = base + e, cenlen = rd32(t + 12), cenoff = rd32(t + 16);
                found = cenlen <= pos && cenoff <= pos - cenlen &&
                        sig_at(rd, ctx, pos - cenlen, 0x02014b50) &&
                        sig_at(rd, ctx, pos - cenlen - cenoff, 0x04034b50);
            }
            if (found)
                *eocd = base + e;
        }
    }
    free(tail);
    return found;
}

/* libarchive 3.6's seekable zip reader takes, from the end backwards, the
 * first "PK\5\6" with disk numbers 0, equal entry counts and a directory
 * that ends before it -- without the JDK's comment length or signature
 * checks, so a fake directory in a zip comment is what it (and unzip) list. */
bool defuse__zip_other_eocd(defuse__pread_fn rd, void *ctx, uint64_t size, uint64_t jdk,
                            uint64_t *other, unsigned *nent) {
    uint8_t *tail;
    size_t tl = size < DEFUSE_INV_TAIL ? (size_t)size : DEFUSE_INV_TAIL;
    if (tl < 22 || jdk + 22 >= size || !(tail = malloc(tl)))
        return false;
    bool found = false;
    uint64_t base = size - tl;
    if (rd(ctx, tail, tl, base) == (long)tl) {
        for (size_t e = tl - 22 + 1; !found && e-- > 0 && base + e > jdk;) {
            const uint8_t *t = tail + e;
            if (t[0] != 'P' || t[1] != 'K' || t[2] != 5 || t[3] != 6)
                continue;
            if (rd16(t + 4) == 0 && rd16(t + 6) == 0 && rd16(t + 8) == rd16(t + 10) &&
                (uint64_t)rd32(t + 12) + rd32(t + 16) <= base + e) {
                found = true;
                *other = base + e;
                *nent = rd16(t + 10);
            }
        }
    }
    free(tail);
    return found;
}

int defuse__zdir_read(const uint8_t *z, size_t size, defuse__zdir *d) {
    memset(d, 0, sizeof *d);
    defuse__zmem m = {z, size};
    uint64_t eo64;
    if (size < 22 || !defuse__zip_find_eocd(pread_mem, &m, size, &eo64))
        return 1;
    size_t eocd = (size_t)eo64;
    const uint8_t *eo = z + eocd;
    uint64_t nent = rd16(eo + 10), cdsize = rd32(eo + 12), cdoff = rd32(eo + 16);
    if (rd16(eo + 4) != 0 || rd16(eo + 6) != 0 || rd16(eo + 8) != nent || nent == 0xffff ||
        cdsize > eocd || nent > DEFUSE_INV_MAX_ENTRIES)
        return 1; /* multi-disk, zip64 or implausible */
    /* as the JDK: the directory ends at the EOCD, and the bytes before
     * (directory start - directory offset) are a prefix (a self-executable
     * jar's script) that every local header offset is relative to */
    size_t cdstart = eocd - (size_t)cdsize;
    if (cdoff > cdstart)
        return 1;
    size_t prefix = cdstart - (size_t)cdoff;
    if (!(d->ent = calloc(nent ? nent : 1, sizeof *d->ent)) ||
        !(d->names = malloc(cdsize ? cdsize : 1)))
        goto no;
    size_t o = cdstart, nameused = 0;
    for (uint64_t i = 0; i < nent; i++) {
        if (o + 46 > eocd || rd32(z + o) != 0x02014b50)
            goto no;
        const uint8_t *c = z + o;
        defuse__zent *en = &d->ent[d->n];
        size_t nl = rd16(c + 28), xl = rd16(c + 30), cl = rd16(c + 32);
        if (o + 46 + nl + xl + cl > eocd || nl == 0)
            goto no;
        en->flags = rd16(c + 8);
        en->method = rd16(c + 10);
        en->crc = rd32(c + 16);
        en->csize = rd32(c + 20);
        en->usize = rd32(c + 24);
        en->lho = rd32(c + 42);
        if (en->csize == 0xffffffffu || en->usize == 0xffffffffu || en->lho == 0xffffffffu ||
            rd16(c + 34) != 0 || extra_unsupported(c + 46 + nl, xl))
            goto no;
        en->lho += prefix;
        const uint8_t *nm = c + 46;
        /* names are bytes (UTF-8 as the JDK reads them): the classification
         * works on bytes, so no conversion; a NUL would cut the name */
        if (memchr(nm, 0, nl))
            goto no;
        /* a directory is a name ending in '/' (the JDK's rule); the host
         * attributes (Unix symlinks, DOS directory bits) do not matter to the
         * class loader, which reads every other entry as bytes */
        en->dir = nm[nl - 1] == '/';
        /* the local header: only its signature and its name and extra
         * lengths (where the data starts) matter, as in the JDK; sizes,
         * method and name come from the central record */
        uint64_t lh = en->lho;
        if (lh + 30 > cdstart || rd32(z + lh) != 0x04034b50)
            goto no;
        const uint8_t *l = z + lh;
        size_t lnl = rd16(l + 26), lxl = rd16(l + 28);
        if (lh + 30 + lnl + lxl > cdstart)
            goto no;
        en->data = lh + 30 + lnl + lxl;
        if (en->data + en->csize > cdstart)
            goto no;
        memcpy(d->names + nameused, nm, nl);
        d->names[nameused + nl] = 0;
        en->name = (uint32_t)nameused;
        nameused += nl + 1;
        /* names + NULs fit: each record spends >= 46 bytes of cdsize on < nl + 1 */
        d->n++;
        o += 46 + nl + xl + cl;
    }
    qsort(d->ent, d->n, sizeof *d->ent, ent_cmp);
    return 0;
no:
    defuse__zdir_free(d);
    return 1;
}

void defuse__zdir_free(defuse__zdir *d) {
    free(d->ent);
    free(d->names);
    memset(d, 0, sizeof *d);
}

int defuse__zent_read(const uint8_t *z, const defuse__zent *e, uint8_t *out, size_t max,
                      size_t *got) {
    *got = 0;
    if (e->flags & 1)
        return 1; /* encrypted */
    size_t want = e->usize < max ? (size_t)e->usize : max;
    if (e->method == 0) {
        if (e->csize != e->usize)
            return 1;
        memcpy(out, z + e->data, want);
        *got = want;
    } else if (e->method == 8) {
        z_stream s;
        memset(&s, 0, sizeof s);
        if (inflateInit2(&s, -15) != Z_OK)
            return 1;
        s.next_in = (Bytef *)(uintptr_t)(z + e->data);
        s.avail_in = (uInt)e->csize;
        s.next_out = out;
        s.avail_out = (uInt)want;
        int r = want ? inflate(&s, Z_SYNC_FLUSH) : Z_OK;
        *got = want - s.avail_out;
        inflateEnd(&s);
        if (r != Z_OK && r != Z_STREAM_END)
            return 1;
        if (*got != want)
            return 1; /* shorter than declared: libarchive reports it */
    } else {
        return 1;
    }
    if (want == e->usize && (uint32_t)crc32(0L, out, (uInt)want) != e->crc)
        return 2; /* the JVM does not check it on the class path: the bytes count */
    return 0;
}
