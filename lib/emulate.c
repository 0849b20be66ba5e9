/* emulate.c -- STUB: replaced by the log4j emulator. */
#include "internal.h"

#include <stdlib.h>

struct defuse__emu {
    defuse_limits lim;
};

int defuse__emu_new(defuse__emu **out, const defuse_limits *lim) {
    *out = calloc(1, sizeof **out);
    if (!*out)
        return DEFUSE_ENOMEM;
    (*out)->lim = *lim;
    return 0;
}

void defuse__emu_free(defuse__emu *e) { free(e); }

void defuse__emu_trace(defuse__emu *e, defuse_step_cb cb, void *user) {
    (void)e;
    (void)cb;
    (void)user;
}

int defuse__emu_run(defuse__emu *e, const char *msg, size_t len) {
    (void)e;
    (void)msg;
    (void)len;
    return 0;
}

const defuse__event *defuse__emu_events(const defuse__emu *e, size_t *n) {
    (void)e;
    *n = 0;
    return NULL;
}

const char *defuse__emu_output(const defuse__emu *e, size_t *len) {
    (void)e;
    *len = 0;
    return "";
}
