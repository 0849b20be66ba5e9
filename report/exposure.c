/*
 * exposure.c -- the register's exposures and vendors folded into the
 * report's aggregates, read through the register's own queries
 * (reg_query_exposures(), reg_vendor_list() in register/reg.h): no SQL here.
 */
#include "report.h"

#include "reg.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BURN_DAYS ((int64_t)(sizeof ((rep *)0)->burn_open / sizeof ((rep *)0)->burn_open[0]))

static int on_exposure(const reg_exposure *e, void *user) {
    rep *r = user;
    int st = reg_state_by_name(e->state ? e->state : "");
    int open = st >= 0 && reg_state_open((reg_state)st);
    int rc = rep_top_add(&r->exp_state, e->state ? e->state : "?",
                         e->state ? strlen(e->state) : 1, 1, 0);
    /* burndown: open at the end of each day of the window */
    for (int64_t d = 0; d < BURN_DAYS; d++) {
        int64_t end = (r->burn_start + d + 1) * 86400;
        if (e->opened_at < end && (e->closed_at ? e->closed_at >= end : open))
            r->burn_open[d]++;
    }
    if (!open) {
        r->exp_closed++;
        return rc;
    }
    r->exp_open++;
    char key[2 * REP_MAX_VALUE];
    snprintf(key, sizeof key, "%s\x1f%s", e->env ? e->env : "?", e->cve ? e->cve : "?");
    rc |= rep_top_add(&r->exp_env_cve, key, strlen(key), 1, 0);
    const char *clock = e->due_at ? reg_clock_name(reg_sla_clock(r->o.now, e->due_at)) : "no-clock";
    rc |= rep_top_add(&r->exp_sla, clock, strlen(clock), 1, 0);
    if (e->due_at && r->o.now > e->due_at) {
        snprintf(key, sizeof key, "%s\x1f%s\x1f%s", e->asset ? e->asset : "?",
                 e->cve ? e->cve : "?", e->env ? e->env : "?");
        uint64_t hours = (uint64_t)(r->o.now - e->due_at) / 3600 + 1;
        rc |= rep_top_add(&r->exp_overdue, key, strlen(key), hours, 0);
    }
    return rc;
}

static int on_vendor(void *user, int ncol, const char *const *col) {
    rep *r = user;
    if (ncol < 10)
        return 0;
    const char *name = col[0] ? col[0] : "?", *status = col[3] ? col[3] : "?";
    int rc = rep_top_add(&r->vendor_status, status, strlen(status), 1, 0);
    if (col[9] && atoll(col[9]) > 0 && atoll(col[9]) <= r->o.now)
        rc |= rep_top_add(&r->vendor_overdue, name, strlen(name), 1, 0);
    return rc;
}

int rep_add_register(rep *r, const char *target) {
    struct stat sb;
    /* A report reads; it must not create an empty SQLite file at a typo. */
    if (strncmp(target, "postgres", 8) != 0 && stat(target, &sb) != 0) {
        snprintf(r->err, sizeof r->err, "%.200s: no such register database", target);
        return -1;
    }
    reg g;
    if (reg_open(&g, target, r->o.now, "report")) {
        snprintf(r->err, sizeof r->err, "%.200s: %.1000s", target, g.err);
        reg_close(&g);
        return -1;
    }
    r->have_register = 1;
    r->burn_start = r->o.now / 86400 - BURN_DAYS + 1;
    int rc = reg_query_exposures(&g, NULL, NULL, NULL, NULL, 0, on_exposure, r);
    if (rc == 0)
        rc = reg_vendor_list(&g, 0, on_vendor, r);
    if (rc)
        snprintf(r->err, sizeof r->err, "%.200s: %.1000s", target, g.err[0] ? g.err : "out of memory");
    reg_close(&g);
    return rc ? -1 : 0;
}
