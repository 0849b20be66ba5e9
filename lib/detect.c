/* detect.c -- STUB: defuse_scan() (replaced by the detector). */
#include "internal.h"

#include <stdlib.h>

struct defuse_scanner {
    defuse_limits lim;
};

void defuse_limits_default(defuse_limits *out) {
    out->max_input = DEFUSE_DEFAULT_MAX_INPUT;
    out->max_layers = DEFUSE_DEFAULT_MAX_LAYERS;
    out->max_depth = DEFUSE_DEFAULT_MAX_DEPTH;
    out->max_passes = DEFUSE_DEFAULT_MAX_PASSES;
    out->max_expansion = DEFUSE_DEFAULT_MAX_EXPANSION;
    out->max_steps = DEFUSE_DEFAULT_MAX_STEPS;
    out->max_findings = DEFUSE_DEFAULT_MAX_FINDINGS;
}

int defuse_scanner_new(defuse_scanner **out, const defuse_limits *limits) {
    defuse_scanner *s = calloc(1, sizeof *s);
    if (!s)
        return DEFUSE_ENOMEM;
    defuse_limits_default(&s->lim);
    (void)limits;
    *out = s;
    return 0;
}

void defuse_scanner_free(defuse_scanner *s) { free(s); }

void defuse_scanner_trace(defuse_scanner *s, defuse_step_cb cb, void *user) {
    (void)s;
    (void)cb;
    (void)user;
}

int defuse_scan(defuse_scanner *s, const char *buf, size_t len, unsigned flags,
                defuse_finding_cb cb, void *user) {
    (void)s;
    (void)buf;
    (void)len;
    (void)flags;
    (void)cb;
    (void)user;
    return 0;
}
