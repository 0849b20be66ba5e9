/*
 * model.h -- the rules of the exposure register that hold without a
 * database: exposure states, the table of controls and what each covers,
 * the SLA policy, the decision of an exposure's state, and time (UTC,
 * ISO 8601, injectable with DEFUSE_NOW).  register/model.c; docs/register.md.
 */
#ifndef DEFUSE_REGISTER_MODEL_H
#define DEFUSE_REGISTER_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* States of one exposure (asset, component, CVE).  AFFECTED and REVIEW
 * are open: their SLA clock runs.  REVIEW = the version is unknown or a
 * range (needs a person), never "not affected". */
typedef enum reg_state {
    REG_ST_AFFECTED = 0,
    REG_ST_REVIEW,
    REG_ST_MITIGATED,
    REG_ST_ACCEPTED,
    REG_ST_FALSE_POSITIVE,
    REG_ST_FIXED,
    REG_ST_COUNT
} reg_state;

const char *reg_state_name(reg_state s); /* "affected", "review", ... */
int reg_state_by_name(const char *name); /* reg_state, or -1 */
int reg_state_open(reg_state s);         /* 1 for AFFECTED and REVIEW */

/* A control that is not a patch, and the CVEs it covers.  A control
 * covers a CVE only if the CVE is listed: an unlisted one stays open. */
#define REG_CONTROL_MAX_CVES 6
typedef struct reg_control {
    const char *name;
    const char *what;                        /* one line for --help and docs */
    const char *covers[REG_CONTROL_MAX_CVES]; /* NULL-terminated */
} reg_control;

/* The control named name (case-insensitive), or NULL. */
const reg_control *reg_control_find(const char *name);
/* 1 if c covers cve. */
int reg_control_covers(const reg_control *c, const char *cve);
/* The whole table: OUT *n. */
const reg_control *reg_controls(size_t *n);
/* The control a scan records by itself when JndiLookup.class is absent. */
#define REG_CONTROL_JNDILOOKUP_REMOVED "jndilookup-removed"

/* What is recorded against (asset, CVE) when deciding a state: each
 * field NULL when absent or expired. */
typedef struct reg_verdicts {
    const char *false_positive; /* reason */
    const char *accepted;       /* reason */
    const char *mitigation;     /* control name */
    int jndilookup_removed;     /* the component's scan saw no JndiLookup.class */
} reg_verdicts;

/* The state of an exposure whose component is present.  A verdict ranks
 * above a mitigation, a mitigation above the base state (AFFECTED if
 * certain, else REVIEW); a mitigation whose control does not cover cve is
 * ignored.  OUT: *why (may be NULL): static text or a borrowed field. */
reg_state reg_decide(const char *cve, int certain, const reg_verdicts *v, const char **why);

/* ---- SLA ---------------------------------------------------------------------- */

#define REG_SLA_MAX_RULES 64
typedef struct reg_sla_rule {
    char severity[16]; /* "critical", ..., or "*" */
    char env[64];      /* an environment, or "*" */
    int64_t hours;
} reg_sla_rule;
typedef struct reg_sla {
    reg_sla_rule rule[REG_SLA_MAX_RULES];
    size_t n;
} reg_sla;

/* critical 48 h, everything else 7 days (168 h), every environment. */
void reg_sla_default(reg_sla *p);
/* Adds or replaces the rule (severity, env).  Returns 0, -1 when full or
 * an argument is too long or hours <= 0. */
int reg_sla_set(reg_sla *p, const char *severity, const char *env, int64_t hours);
/* Hours for (severity, env): the most specific rule wins -- (sev, env),
 * (sev, *), (*, env), (*, *). */
int64_t reg_sla_hours(const reg_sla *p, const char *severity, const char *env);
/* Due time: opened + hours, or kev_due when earlier (kev_due 0: none). */
int64_t reg_sla_due(int64_t opened, int64_t hours, int64_t kev_due);

typedef enum reg_clock { REG_CLOCK_ON_TRACK = 0, REG_CLOCK_DUE_SOON, REG_CLOCK_BREACHED } reg_clock;
#define REG_DUE_SOON_SECONDS (24 * 3600)
/* BREACHED when now > due, DUE_SOON when due - now <= 24 h. */
reg_clock reg_sla_clock(int64_t now, int64_t due);
const char *reg_clock_name(reg_clock c); /* "on-track", "due-soon", "breached" */

/* ---- time ----------------------------------------------------------------------- */

/* Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with "Z", "+HH:MM"
 * or no zone (UTC), a space for "T" accepted, or "@SECONDS".  Returns 0
 * and *out (seconds since the epoch), or -1. */
int reg_time_parse(const char *s, int64_t *out);
/* "YYYY-MM-DDTHH:MM:SSZ" into out[0..21). */
void reg_time_format(int64_t t, char out[32]);
/* Now: DEFUSE_NOW when set (an error if it does not parse), else the
 * clock.  Returns 0, or -1 with a message in err. */
int reg_now(int64_t *out, char *err, size_t errlen);

#endif
