/*
 * names.c -- the tables that give errors, kinds, techniques and layers their
 * stable names (used in every output format, so never rename one).
 */
#include "internal.h"

const char *defuse_version(void) { return DEFUSE_VERSION; }

const char *defuse_strerror(int err) {
    static const char *const msgs[] = {
        [0] = "success",
        [1] = "out of memory",
        [2] = "invalid argument",
        [3] = "limit reached",
        [4] = "input/output error",
        [5] = "malformed or unsupported input",
        [6] = "stopped by callback",
        [7] = "no such file or entry",
        [8] = "internal error",
    };
    if (err > 0 || (size_t)-err >= DEFUSE_ARRAY_LEN(msgs))
        return "unknown error";
    return msgs[-err];
}

const char *defuse_kind_name(defuse_kind k) {
    static const char *const names[DEFUSE_KIND_COUNT] = {
        [DEFUSE_KIND_JNDI] = "jndi",
        [DEFUSE_KIND_TEXT4SHELL] = "text4shell",
        [DEFUSE_KIND_RECURSION] = "recursion",
        [DEFUSE_KIND_LOOKUP] = "lookup",
        [DEFUSE_KIND_INERT] = "inert",
    };
    if ((unsigned)k >= DEFUSE_KIND_COUNT)
        return "unknown";
    return names[k];
}

const char *defuse_technique_name(unsigned bit) {
    static const char *const names[DEFUSE_TECH_COUNT] = {
        "case",          "lower",          "upper",       "unicode-case",
        "default-value", "date-literal",   "nested",      "dollar-escape",
        "exfiltration",  "hash-bypass",    "jndiexploit", "encoded",
        "base64",        "unknown-lookup", "limit",       "whitespace",
        "unix-only",     "windows-only",   "clock",       "field-split",
    };
    if (bit == 0 || (bit & (bit - 1)) != 0)
        return NULL;
    unsigned i = 0;
    while ((1u << i) != bit)
        i++;
    return i < DEFUSE_TECH_COUNT ? names[i] : NULL;
}

const char *defuse_layer_name(defuse_layer l) {
    static const char *const names[DEFUSE_LAYER_COUNT] = {
        [DEFUSE_LAYER_PERCENT] = "percent",     [DEFUSE_LAYER_PERCENT_U] = "percent-u",
        [DEFUSE_LAYER_UNICODE] = "unicode",     [DEFUSE_LAYER_HEX] = "hex",
        [DEFUSE_LAYER_OCTAL] = "octal",         [DEFUSE_LAYER_HTML] = "html",
        [DEFUSE_LAYER_JSON] = "json",           [DEFUSE_LAYER_BASE64] = "base64",
        [DEFUSE_LAYER_PLUS] = "plus",           [DEFUSE_LAYER_JWT] = "jwt",
        [DEFUSE_LAYER_MIME_B] = "mime-b",       [DEFUSE_LAYER_MIME_Q] = "mime-q",
        [DEFUSE_LAYER_QP] = "quoted-printable",
    };
    if ((unsigned)l >= DEFUSE_LAYER_COUNT)
        return "unknown";
    return names[l];
}
