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
 * encryption, methods other than stored/deflate, non-ASCII or Unicode-path
 * names, special files, a local header that differs from its central record
 * -- so the caller falls back to libarchive, which then behaves (and reports
 * errors) exactly as before.  Entries come in local-header order, as
 * libarchive's seekable reader returns them.
 */
#include "inventory.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Does the extra field hold a zip64 (0x0001) or Info-ZIP Unicode path
 * (0x7075) record, or is it malformed? */
static bool extra_unsupported(const uint8_t *x, size_t n) {
    size_t o = 0;
    while (o + 4 <= n) {
        uint16_t id = rd16(x + o), l = rd16(x + o + 2);
        if (id == 0x0001 || id == 0x7075)
            return true;
        o += 4u + l;
    }
    return false;
}

int defuse__zdir_read(const uint8_t *z, size_t size, defuse__zdir *d) {
    memset(d, 0, sizeof *d);
    if (size < 22)
        return 1;
    size_t tl = size < DEFUSE_INV_TAIL ? size : DEFUSE_INV_TAIL, base = size - tl, e = tl - 22 + 1;
    bool found = false;
    while (e-- > 0) {
        const uint8_t *t = z + base + e;
        if (t[0] == 'P' && t[1] == 'K' && t[2] == 5 && t[3] == 6 && e + 22 + rd16(t + 20) == tl) {
            found = true;
            break;
        }
    }
    if (!found)
        return 1;
    const uint8_t *eo = z + base + e;
    size_t eocd = base + e;
    uint64_t nent = rd16(eo + 10), cdsize = rd32(eo + 12), cdoff = rd32(eo + 16);
    if (rd16(eo + 4) != 0 || rd16(eo + 6) != 0 || rd16(eo + 8) != nent || nent == 0xffff ||
        cdsize > eocd || nent > DEFUSE_INV_MAX_ENTRIES)
        return 1; /* multi-disk, zip64 or implausible */
    size_t cdstart = eocd - (size_t)cdsize;
    if (cdoff != cdstart)
        return 1; /* a prefix (self-executable jar): leave it to libarchive */
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
        unsigned sys = c[5];
        uint32_t ext = rd32(c + 38);
        en->flags = rd16(c + 8);
        en->method = rd16(c + 10);
        en->crc = rd32(c + 16);
        en->csize = rd32(c + 20);
        en->usize = rd32(c + 24);
        en->lho = rd32(c + 42);
        if (en->csize == 0xffffffffu || en->usize == 0xffffffffu || en->lho == 0xffffffffu ||
            rd16(c + 34) != 0 || extra_unsupported(c + 46 + nl, xl))
            goto no;
        const uint8_t *nm = c + 46;
        for (size_t k = 0; k < nl; k++)
            if (nm[k] == 0 || nm[k] >= 0x80)
                goto no; /* libarchive would convert it: keep its behaviour */
        bool dir = nm[nl - 1] == '/';
        if (sys == 3) {
            unsigned mode = ext >> 16;
            if ((mode & S_IFMT) == S_IFDIR)
                dir = true;
            else if ((mode & S_IFMT) != 0 && (mode & S_IFMT) != S_IFREG)
                goto no; /* symlinks and other special entries */
        } else if (sys == 0) {
            if (ext & 0x10)
                dir = true;
        } else {
            goto no;
        }
        en->dir = dir;
        /* the local header must agree with the central record */
        uint64_t lh = en->lho;
        if (lh + 30 > cdstart || rd32(z + lh) != 0x04034b50)
            goto no;
        const uint8_t *l = z + lh;
        size_t lnl = rd16(l + 26), lxl = rd16(l + 28);
        if (rd16(l + 6) != en->flags || rd16(l + 8) != en->method || lnl != nl ||
            lh + 30 + lnl + lxl > cdstart || memcmp(l + 30, nm, nl) != 0 ||
            extra_unsupported(l + 30 + lnl, lxl))
            goto no;
        if (!(en->flags & 8) &&
            (rd32(l + 14) != en->crc || rd32(l + 18) != en->csize || rd32(l + 22) != en->usize))
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
        return 1;
    return 0;
}
