/*
 * model.c -- the register's rules without a database (model.h): states,
 * the control coverage table, verdict precedence, SLA policy and time.
 * Everything here is a table or a pure function so the unit test
 * (tests/unit/test_register_model.c) pins it down.
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const state_names[REG_ST_COUNT] = {
    [REG_ST_AFFECTED] = "affected",   [REG_ST_REVIEW] = "review",
    [REG_ST_MITIGATED] = "mitigated", [REG_ST_ACCEPTED] = "accepted",
    [REG_ST_FALSE_POSITIVE] = "false-positive", [REG_ST_FIXED] = "fixed",
};

const char *reg_state_name(reg_state s) {
    return (unsigned)s < REG_ST_COUNT ? state_names[s] : "unknown";
}
int reg_state_by_name(const char *name) {
    for (int i = 0; i < REG_ST_COUNT; i++)
        if (name && !strcmp(state_names[i], name))
            return i;
    return -1;
}
int reg_state_open(reg_state s) {
    return s == REG_ST_AFFECTED || s == REG_ST_REVIEW;
}

/* What each control covers, from shared/docs/LOG4J.md and REGISTER.md.
 * A control absent from a CVE's row never closes it: formatMsgNoLookups
 * leaves CVE-2021-45046 (context lookups) open; removing JndiLookup
 * leaves 45105 and 44832; trustURLCodebase=false covers nothing (it does
 * not stop deserialization gadgets nor DNS/LDAP exfiltration). */
static const reg_control controls[] = {
    {REG_CONTROL_JNDILOOKUP_REMOVED, "JndiLookup.class removed from log4j-core",
     {"CVE-2021-44228", "CVE-2021-45046", NULL}},
    {"formatMsgNoLookups", "log4j2.formatMsgNoLookups=true / LOG4J_FORMAT_MSG_NO_LOOKUPS (2.10+)",
     {"CVE-2021-44228", NULL}},
    {"security-manager-no-network",
     "a Java Security Manager policy denying outbound connections blocks the JNDI fetch",
     {"CVE-2021-44228", "CVE-2021-45046", NULL}},
    {"trustURLCodebase-false", "JDK com.sun.jndi.*.object.trustURLCodebase=false (covers no CVE)",
     {NULL}},
    {"jmsappender-removed", "log4j 1.x JMSAppender.class removed", {"CVE-2021-4104", NULL}},
    {"socketserver-removed", "log4j 1.x SocketServer/SimpleSocketServer removed",
     {"CVE-2019-17571", NULL}},
    {"jmssink-removed", "log4j 1.x JMSSink.class removed", {"CVE-2022-23302", NULL}},
    {"jdbcappender-removed", "log4j 1.x JDBCAppender.class removed", {"CVE-2022-23305", NULL}},
    {"chainsaw-removed", "log4j 1.x org/apache/log4j/chainsaw/ removed", {"CVE-2022-23307", NULL}},
};

const reg_control *reg_controls(size_t *n) {
    *n = sizeof controls / sizeof controls[0];
    return controls;
}

const reg_control *reg_control_find(const char *name) {
    for (size_t i = 0; name && i < sizeof controls / sizeof controls[0]; i++)
        if (!strcasecmp(controls[i].name, name))
            return &controls[i];
    return NULL;
}

int reg_control_covers(const reg_control *c, const char *cve) {
    for (size_t i = 0; c && cve && i < REG_CONTROL_MAX_CVES && c->covers[i]; i++)
        if (!strcasecmp(c->covers[i], cve))
            return 1;
    return 0;
}

reg_state reg_decide(const char *cve, int certain, const reg_verdicts *v, const char **why) {
    const char *w = certain ? "affected" : "version unknown or a range: needs review";
    reg_state st = certain ? REG_ST_AFFECTED : REG_ST_REVIEW;
    const reg_control *removed = reg_control_find(REG_CONTROL_JNDILOOKUP_REMOVED);
    if (v && v->false_positive) {
        st = REG_ST_FALSE_POSITIVE, w = v->false_positive;
    } else if (v && v->accepted) {
        st = REG_ST_ACCEPTED, w = v->accepted;
    } else if (v && v->mitigation && reg_control_covers(reg_control_find(v->mitigation), cve)) {
        st = REG_ST_MITIGATED, w = v->mitigation;
    } else if (v && v->jndilookup_removed && reg_control_covers(removed, cve)) {
        st = REG_ST_MITIGATED, w = REG_CONTROL_JNDILOOKUP_REMOVED;
    }
    if (why)
        *why = w;
    return st;
}

/* ---- SLA --------------------------------------------------------------------------- */

void reg_sla_default(reg_sla *p) {
    memset(p, 0, sizeof *p);
    reg_sla_set(p, "critical", "*", 48);
    reg_sla_set(p, "*", "*", 7 * 24);
}

int reg_sla_set(reg_sla *p, const char *severity, const char *env, int64_t hours) {
    if (!severity || !env || hours <= 0 || hours > 24 * 366 * 10 ||
        strlen(severity) >= sizeof p->rule[0].severity || strlen(env) >= sizeof p->rule[0].env)
        return -1;
    size_t i;
    for (i = 0; i < p->n; i++)
        if (!strcmp(p->rule[i].severity, severity) && !strcmp(p->rule[i].env, env))
            break;
    if (i == p->n) {
        if (p->n == REG_SLA_MAX_RULES)
            return -1;
        p->n++;
        snprintf(p->rule[i].severity, sizeof p->rule[i].severity, "%s", severity);
        snprintf(p->rule[i].env, sizeof p->rule[i].env, "%s", env);
    }
    p->rule[i].hours = hours;
    return 0;
}

int64_t reg_sla_hours(const reg_sla *p, const char *severity, const char *env) {
    const char *sv[4] = {severity, severity, "*", "*"}, *ev[4] = {env, "*", env, "*"};
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < p->n; i++)
            if (sv[k] && ev[k] && !strcmp(p->rule[i].severity, sv[k]) &&
                !strcmp(p->rule[i].env, ev[k]))
                return p->rule[i].hours;
    return 7 * 24;
}

int64_t reg_sla_due(int64_t opened, int64_t hours, int64_t kev_due) {
    int64_t due = opened + hours * 3600;
    return kev_due > 0 && kev_due < due ? kev_due : due;
}

reg_clock reg_sla_clock(int64_t now, int64_t due) {
    if (now > due)
        return REG_CLOCK_BREACHED;
    return due - now <= REG_DUE_SOON_SECONDS ? REG_CLOCK_DUE_SOON : REG_CLOCK_ON_TRACK;
}

const char *reg_clock_name(reg_clock c) {
    static const char *const n[] = {"on-track", "due-soon", "breached"};
    return (unsigned)c < 3 ? n[c] : "unknown";
}

/* ---- time -------------------------------------------------------------------------- */

/* Reads exactly n digits at *s. */
static int digits(const char **s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*s)[i] < '0' || (*s)[i] > '9')
            return -1;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

int reg_time_parse(const char *s, int64_t *out) {
    if (!s)
        return -1;
    if (s[0] == '@') {
        char *end;
        long long v = strtoll(s + 1, &end, 10);
        if (end == s + 1 || *end)
            return -1;
        *out = v;
        return 0;
    }
    int Y, M, D, h = 0, m = 0, sec = 0;
    if (digits(&s, 4, &Y) || *s++ != '-' || digits(&s, 2, &M) || *s++ != '-' ||
        digits(&s, 2, &D))
        return -1;
    if (*s == 'T' || *s == 't' || *s == ' ') {
        s++;
        if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &m))
            return -1;
        if (*s == ':') {
            s++;
            if (digits(&s, 2, &sec))
                return -1;
            if (*s == '.' || *s == ',') {
                s++;
                if (*s < '0' || *s > '9')
                    return -1;
                while (*s >= '0' && *s <= '9')
                    s++;
            }
        }
    }
    int off = 0;
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s++ == '-' ? -1 : 1, oh, om = 0;
        if (digits(&s, 2, &oh))
            return -1;
        if (*s == ':')
            s++;
        if (*s && digits(&s, 2, &om))
            return -1;
        off = sign * (oh * 60 + om);
    }
    if (*s || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
        return -1;
    struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h,
                    .tm_min = m, .tm_sec = sec};
    time_t t = timegm(&tm);
    if (tm.tm_mday != D) /* 2021-02-30 */
        return -1;
    *out = (int64_t)t - (int64_t)off * 60;
    return 0;
}

void reg_time_format(int64_t t, char out[32]) {
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) {
        snprintf(out, 32, "@%lld", (long long)t);
        return;
    }
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int reg_now(int64_t *out, char *err, size_t errlen) {
    const char *e = getenv("DEFUSE_NOW");
    if (e && *e) {
        if (reg_time_parse(e, out)) {
            snprintf(err, errlen, "DEFUSE_NOW: \"%.64s\" is not an ISO 8601 time", e);
            return -1;
        }
        return 0;
    }
    *out = (int64_t)time(NULL);
    return 0;
}
