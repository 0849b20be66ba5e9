/*
 * reg.h -- the exposure register's operations (register/reg.c, ingest.c,
 * evaluate.c) over the store (store.h) and the rules (model.h).  The CLI
 * (cli/register.c) parses options and prints; everything it asks for is
 * here.  Nothing here prints or exits; errors are -1 with a message.
 */
#ifndef DEFUSE_REGISTER_REG_H
#define DEFUSE_REGISTER_REG_H

#include "model.h"
#include "store.h"

#include <defuse.h>
#include <stddef.h>
#include <stdint.h>

#define REG_MAX_INPUT ((size_t)256 << 20)   /* bytes of one ingested file */
#define REG_MAX_COMPONENTS 1000000u         /* components of one observation */
#define REG_MAX_FIELD 4096u                 /* bytes of one stored text field */

/* One component observed on an asset.  Strings owned by the observation. */
typedef struct reg_comp {
    char *ckey;       /* identity on the asset: "product|path" (scan) or "sbom|purl" */
    char *product;    /* defuse product name, or NULL (not one of ours) */
    char *grp, *name; /* Maven coordinates (grp may be NULL) */
    char *version;    /* NULL: unknown */
    char *purl;       /* NULL when not known */
    char *path;       /* where: nested path or "file#bom-ref" */
    char *jndilookup; /* "present", "removed", "unknown" or NULL */
} reg_comp;

/* What one ingest observed on one asset (all its files together). */
typedef struct reg_obs {
    reg_comp *v;
    size_t n, cap;
    char digest[65];    /* SHA-256 over every file, in order */
    int64_t scanned_at; /* from the scan's summary, 0 when not given */
    int incomplete;     /* the scan reported errors: absent components are
                           not taken as removed */
    char format[64];    /* "defuse-scan-json", "cyclonedx-json", ... */
    char sources[512];  /* the file names */
} reg_obs;

/* Reads one file into o (scan JSON Lines, or an SBOM through sbom_parse()
 * when built in).  On a malformed file returns -1 with
 * "FILE:LINE:COL: what" in err and o unchanged in its components. */
int reg_obs_read_file(reg_obs *o, const char *path, char *err, size_t errlen);
void reg_obs_free(reg_obs *o);
/* Splits a purl "pkg:TYPE/NS/NAME@VERSION?q#s" into namespace (Maven
 * group), name and version (percent-decoded; each may be NULL).  OUT:
 * malloc'd strings.  Returns 0, -1 if s is not a purl. */
int reg_purl_split(const char *purl, char **ns, char **name, char **version);

/* An open register. */
typedef struct reg {
    reg_store *st;
    const defuse_vulndb *vdb; /* BORROWED, may be NULL until evaluate */
    reg_sla sla;
    int64_t now;
    const char *by; /* who (history) */
    char err[1024];
} reg;

int reg_open(reg *r, const char *target, int64_t now, const char *by);
void reg_close(reg *r);

/* Asset attributes; NULL fields are left as they are (or defaulted for a
 * new asset: kind host, exposure internal, owner ""; env is required). */
typedef struct reg_asset_attrs {
    const char *kind, *env, *owner, *exposure, *tags;
} reg_asset_attrs;

/* Valid values (tables in reg.c). */
int reg_valid_kind(const char *k);
int reg_valid_exposure(const char *e);

/* An exposure that evaluation opened, changed or closed. */
typedef struct reg_change {
    const char *asset, *ckey, *cve, *env, *severity;
    const char *old_state; /* NULL: newly opened */
    const char *new_state;
    int64_t opened_at, due_at;
} reg_change;
typedef void (*reg_change_cb)(const reg_change *c, void *user);

/* Ingests obs as the observed state of asset (one transaction): unchanged
 * if the same digest was ingested for it before (*unchanged = 1);
 * components absent from obs become gone at the scan's time; then the
 * asset is evaluated against r->vdb (required).  cb gets each change. */
int reg_ingest(reg *r, const char *asset, const reg_asset_attrs *a, const reg_obs *obs,
               reg_change_cb cb, void *user, int *unchanged);

/* What an evaluation read. */
typedef struct reg_eval_stats {
    size_t assets, components; /* evaluated */
    int full;                  /* 1: every component was read */
} reg_eval_stats;

/* Re-evaluates the register against r->vdb (one transaction); kev (may be
 * NULL) is a CISA KEV JSON file whose dueDate fields cap the clocks.
 * Reads only what can have changed -- the components whose (group, name,
 * version) matches differently now than when last evaluated, and the
 * assets whose controls expired since -- unless full, kev, or a change
 * since the last evaluation that moves every clock (an SLA rule, an
 * asset's environment, a register without match signatures) asks for
 * every component.  The result is the same either way.  OUT: *st. */
int reg_evaluate_all(reg *r, const char *kev, int full, reg_change_cb cb, void *user,
                     reg_eval_stats *st);

/* Records a mitigation (kind "mitigation", control from the table), an
 * accepted risk ("accepted") or a false positive ("false-positive") for
 * (asset, cve), then re-evaluates the asset.  A mitigation whose control
 * does not cover cve is refused (-1, nothing written). expires 0: never. */
int reg_record_control(reg *r, const char *asset, const char *cve, const char *kind,
                       const char *control, const char *evidence, int64_t expires,
                       reg_change_cb cb, void *user);

/* What `defuse probe` proved of an asset: "exploitable" (a callback
 * arrived: verified exploitable), "not-reached" (every request answered, no
 * callback), "blocked" (every request refused with 403) or "unreachable"
 * (no request answered).  Stored on the asset (the last verdict wins) and in
 * its history; at: when the probe ran; detail (may be NULL; cut to
 * REG_MAX_FIELD) what fired.  A new asset needs at->env. */
int reg_valid_verdict(const char *v);
int reg_record_verdict(reg *r, const char *asset, const reg_asset_attrs *at, const char *verdict,
                       int64_t at_time, const char *detail);

/* Sets an SLA rule (stored) and re-evaluates nothing (clocks move at the
 * next evaluate). */
int reg_set_sla(reg *r, const char *severity, const char *env, int64_t hours);

/* A vendor under review.  NULL text fields and 0 times keep what is
 * stored (or are empty for a new vendor); status one of reg_vendor_status. */
typedef struct reg_vendor {
    const char *name, *products, *data_access, *status, *statement, *access_limit, *owner;
    int64_t contacted_at, answered_at, limit_lifted_at, next_followup;
} reg_vendor;
int reg_valid_vendor_status(const char *s);
/* Adds or updates a vendor (history under "vendor:NAME"). */
int reg_vendor_put(reg *r, const reg_vendor *v);
/* Lists vendors; overdue: only those whose next follow-up is due by now.
 * Row columns: name products data_access status statement contacted_at
 * answered_at access_limit limit_lifted_at next_followup owner updated_at. */
int reg_vendor_list(reg *r, int overdue, reg_row_cb cb, void *user);

/* One exposure row of a query (BORROWED strings). */
typedef struct reg_exposure {
    const char *asset, *ckey, *cve, *env, *state, *evidence, *product, *version, *purl, *path,
        *owner, *exposure, *kind, *severity;
    int certain;
    double cvss;
    int64_t opened_at, due_at, closed_at, updated_at; /* closed_at 0: open */
} reg_exposure;
typedef int (*reg_exposure_cb)(const reg_exposure *e, void *user);

/* Filters: each NULL for "any"; open_only skips fixed ones. */
int reg_query_exposures(reg *r, const char *cve, const char *env, const char *asset,
                        const char *purl, int open_only, reg_exposure_cb cb, void *user);

#endif
