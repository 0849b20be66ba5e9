/*
 * sbom_impl.h -- what the SBOM readers (sbom_cyclonedx.c, sbom_spdx.c)
 * share with sbom.c: a growing component list with the SBOM_MAX_* bounds,
 * string copies, and the "FILE:LINE:COL: message" error.  Internal to the
 * register; not part of sbom.h.
 */
#ifndef DEFUSE_REGISTER_SBOM_IMPL_H
#define DEFUSE_REGISTER_SBOM_IMPL_H

#include "sbom.h"

#include <stdarg.h>
#include <stdbool.h>

/* A reader's state: the document being filled and where errors go. */
typedef struct sbom_ctx {
    sbom_doc *doc;
    size_t cap; /* allocated slots in doc->components */
    const char *file;
    char *err;
    size_t errlen;
} sbom_ctx;

/* Writes "FILE:LINE:COL: fmt..." into ctx->err; returns -1 (for `return`). */
int sbom_fail(sbom_ctx *c, unsigned long line, unsigned long col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Appends a zeroed component (line set) and returns it, or NULL with the
 * error written (count limit or out of memory). */
sbom_component *sbom_add(sbom_ctx *c, uint32_t line);

/* Copies s[0..n) as a NUL-terminated string; NULL on out of memory.
 * sbom_dupz copies a C string (NULL in, NULL out). */
char *sbom_dupn(const char *s, size_t n);
char *sbom_dupz(const char *s);

/* Sets *dst to a copy of s (n bytes) unless s is empty or NOASSERTION/NONE
 * (SPDX's "not known"), which leave *dst NULL.  -1 on out of memory. */
int sbom_set(char **dst, const char *s, size_t n);

/* True when s[0..n) is valid UTF-8 without NUL bytes. */
bool sbom_utf8_ok(const char *s, size_t n);

/* The readers: fill c->doc (format already set) or return -1 via sbom_fail. */
int sbom_read_cdx_json(sbom_ctx *c, const char *buf, size_t len);
int sbom_read_cdx_xml(sbom_ctx *c, const char *buf, size_t len);
int sbom_read_spdx_json(sbom_ctx *c, const char *buf, size_t len);
int sbom_read_spdx_tv(sbom_ctx *c, const char *buf, size_t len);

#endif
