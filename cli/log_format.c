/*
 * log_format.c -- who sent a log line and when: the src_ip and time fields
 * of `defuse logs --json` and of the --summary tables.
 *
 * One table of line formats, tried in order; the first that recognises the
 * line wins.  Each is a small hand-written recogniser (a regex engine buys
 * nothing here and the lines are attacker-controlled, so every loop is
 * bounded by the line length or a small constant):
 *   json          {"remote_addr":..,"@timestamp":..} (jansson)
 *   combined      Apache/nginx common and combined access logs
 *   nginx-error   2021/12/10 12:00:00 [error] ... client: 1.2.3.4, ...
 *   rfc5424       <PRI>1 2021-12-10T12:00:00Z host app ...
 *   syslog        <PRI>Dec 10 12:00:00 host app: ... (year from the caller)
 *   log4j         [2021-12-10 12:00:00,123] or 2021-12-10 12:00:00,123 ...
 *   iso8601       a line starting with an ISO 8601 timestamp
 * Times with a zone are converted to UTC ("...Z"); times without one are
 * reported as written, without a zone designator.
 */
#include "logs.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>


typedef struct ltime {
    int y, mo, d, h, mi, s, ms; /* ms < 0: no fraction */
    int zoned;                  /* offset known */
    int off_min;                /* minutes east of UTC */
} ltime;

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* n digits at p as a number, or -1. */
static int num(const char *p, size_t avail, size_t n) {
    if (avail < n)
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil; hand-written because timegm() depends on TZ state). */
static long long days_from_civil(long long y, unsigned m, unsigned d) {
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static void civil_from_days(long long z, int *y, int *m, int *d) {
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long yy = (long long)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

static int valid(const ltime *t) {
    return t->y >= 1970 && t->y <= 9999 && t->mo >= 1 && t->mo <= 12 && t->d >= 1 &&
           t->d <= 31 && t->h >= 0 && t->h <= 23 && t->mi >= 0 && t->mi <= 59 && t->s >= 0 &&
           t->s <= 60 && t->off_min > -24 * 60 && t->off_min < 24 * 60;
}

/* Writes t into out (converted to UTC when zoned). */
static void put_time(const ltime *t, lf_fields *out) {
    long long secs = days_from_civil(t->y, (unsigned)t->mo, (unsigned)t->d) * 86400LL +
                     t->h * 3600LL + t->mi * 60LL + t->s;
    if (t->zoned)
        secs -= t->off_min * 60LL;
    long long days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    long long rem = secs - days * 86400;
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    int h = (int)(rem / 3600), mi = (int)(rem % 3600 / 60), s = (int)(rem % 60);
    char frac[16] = "";
    if (t->ms >= 0)
        snprintf(frac, sizeof frac, ".%03d", t->ms % 1000);
    snprintf(out->time, sizeof out->time, "%04d-%02d-%02dT%02d:%02d:%02d%s%s", y, m, d, h, mi, s,
             frac, t->zoned ? "Z" : "");
    out->hour = secs >= 0 ? secs / 3600 : (secs - 3599) / 3600;
}

static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int month_of(const char *p, size_t avail) {
    if (avail < 3)
        return -1;
    for (int i = 0; i < 12; i++)
        if (strncmp(p, months[i], 3) == 0)
            return i + 1;
    return -1;
}

/* "HH:MM:SS" at p.  Returns 8 or 0. */
static size_t parse_hms(const char *p, size_t n, ltime *t) {
    if (n < 8 || p[2] != ':' || p[5] != ':')
        return 0;
    t->h = num(p, n, 2), t->mi = num(p + 3, n - 3, 2), t->s = num(p + 6, n - 6, 2);
    return t->h < 0 || t->mi < 0 || t->s < 0 ? 0 : 8;
}

/* Optional fraction ".123" / ",123456" (kept to milliseconds). */
static size_t parse_frac(const char *p, size_t n, ltime *t) {
    t->ms = -1;
    if (n < 2 || (p[0] != '.' && p[0] != ',') || !is_digit(p[1]))
        return 0;
    size_t i = 1;
    int ms = 0, digits = 0;
    while (i < n && is_digit(p[i]) && i < 16) {
        if (digits < 3)
            ms = ms * 10 + (p[i] - '0'), digits++;
        i++;
    }
    while (digits < 3)
        ms *= 10, digits++;
    t->ms = ms;
    return i;
}

/* Optional zone: "Z", "+HH:MM", "+HHMM", "+HH", " +0000" (with one space).
 * Returns bytes consumed. */
static size_t parse_zone(const char *p, size_t n, ltime *t, int allow_space) {
    size_t i = 0;
    t->zoned = 0, t->off_min = 0;
    if (allow_space && n > 0 && p[0] == ' ')
        i = 1;
    if (i < n && (p[i] == 'Z' || p[i] == 'z')) {
        t->zoned = 1;
        return i + 1;
    }
    if (i < n && (p[i] == '+' || p[i] == '-')) {
        int sign = p[i] == '-' ? -1 : 1;
        int hh = num(p + i + 1, n - i - 1, 2);
        if (hh < 0)
            return 0;
        size_t j = i + 3;
        int mm = 0;
        if (j < n && p[j] == ':')
            j++;
        int m2 = num(p + j, n - j, 2);
        if (m2 >= 0)
            mm = m2, j += 2;
        else if (p[j - 1] == ':')
            return 0;
        t->zoned = 1;
        t->off_min = sign * (hh * 60 + mm);
        return j;
    }
    return 0;
}

/* "YYYY-MM-DD[T ]HH:MM:SS[.fff][zone]" or with '/' as date separator
 * (nginx).  Returns bytes consumed or 0. */
static size_t parse_iso(const char *p, size_t n, ltime *t, char datesep) {
    memset(t, 0, sizeof *t);
    t->ms = -1;
    if (n < 19 || p[4] != datesep || p[7] != datesep || (p[10] != 'T' && p[10] != ' '))
        return 0;
    t->y = num(p, n, 4), t->mo = num(p + 5, n - 5, 2), t->d = num(p + 8, n - 8, 2);
    if (t->y < 0 || t->mo < 0 || t->d < 0 || !parse_hms(p + 11, n - 11, t))
        return 0;
    size_t i = 19;
    i += parse_frac(p + i, n - i, t);
    i += parse_zone(p + i, n - i, t, datesep == '-' && p[10] == ' ');
    return valid(t) ? i : 0;
}

/* CLF "10/Dec/2021:12:00:00 +0000". */
static size_t parse_clf(const char *p, size_t n, ltime *t) {
    memset(t, 0, sizeof *t);
    t->ms = -1;
    if (n < 20 || p[2] != '/' || p[6] != '/' || p[11] != ':')
        return 0;
    t->d = num(p, n, 2), t->mo = month_of(p + 3, n - 3), t->y = num(p + 7, n - 7, 4);
    if (t->d < 0 || t->mo < 0 || t->y < 0 || !parse_hms(p + 12, n - 12, t))
        return 0;
    size_t i = 20;
    i += parse_zone(p + i, n - i, t, 1);
    return valid(t) ? i : 0;
}

/* RFC 3164 "Dec 10 12:00:00" (day may be space-padded). */
static size_t parse_3164(const char *p, size_t n, int year, ltime *t) {
    memset(t, 0, sizeof *t);
    t->ms = -1;
    if (n < 15 || p[3] != ' ')
        return 0;
    t->mo = month_of(p, n);
    int d = p[4] == ' ' ? num(p + 5, n - 5, 1) : num(p + 4, n - 4, 2);
    if (t->mo < 0 || d < 0 || p[6] != ' ' || !parse_hms(p + 7, n - 7, t))
        return 0;
    t->d = d;
    t->y = year;
    return valid(t) ? 15 : 0;
}

/* Any of the above; for values of JSON time keys. */
static int parse_any_time(const char *p, size_t n, int year, ltime *t) {
    return parse_iso(p, n, t, '-') || parse_iso(p, n, t, '/') || parse_clf(p, n, t) ||
           parse_3164(p, n, year, t);
}

/* Copies p[0..n) into out->src_ip if it is an IPv4 or IPv6 address
 * (brackets around IPv6 allowed).  Returns 1 if it was. */
static int put_ip(const char *p, size_t n, lf_fields *out) {
    if (n >= 2 && p[0] == '[' && p[n - 1] == ']')
        p++, n -= 2;
    if (n == 0 || n >= sizeof out->src_ip)
        return 0;
    char buf[sizeof out->src_ip];
    memcpy(buf, p, n);
    buf[n] = '\0';
    unsigned char addr[16];
    if (inet_pton(AF_INET, buf, addr) != 1 && inet_pton(AF_INET6, buf, addr) != 1)
        return 0;
    memcpy(out->src_ip, buf, n + 1);
    return 1;
}

static size_t token_len(const char *p, size_t n, const char *stops) {
    size_t i = 0;
    while (i < n && !strchr(stops, p[i]) && p[i] != '\0')
        i++;
    return i;
}

/* Looks for an address after a marker word ("client: ", " from ",
 * "rhost=", ...) in p[0..n) and stores the first valid one. */
static void ip_after_markers(const char *p, size_t n, lf_fields *out) {
    static const char *const markers[] = {"client: ", " from ", "rhost=", "src=",
                                          "client=", "remote_addr=", "clientip="};
    for (size_t m = 0; m < sizeof markers / sizeof markers[0]; m++) {
        size_t ml = strlen(markers[m]);
        const char *q = p;
        size_t left = n;
        while (left >= ml) {
            const char *hit = memmem(q, left, markers[m], ml);
            if (!hit)
                break;
            const char *v = hit + ml;
            size_t vl = token_len(v, n - (size_t)(v - p), " ,;\"'\t]");
            if (put_ip(v, vl, out))
                return;
            left -= (size_t)(v - q);
            q = v;
        }
    }
}

/* ---- the formats --------------------------------------------------------- */

static const char *const json_ip_keys[] = {
    "src_ip",   "remote_addr", "client_ip", "clientip", "client_addr", "remote_ip",
    "source_ip", "real_ip",    "x_forwarded_for", "ip", "remote", "host"};
static const char *const json_time_keys[] = {"@timestamp", "timestamp", "time", "time_local",
                                             "time_iso8601", "ts", "datetime", "date"};

/* Value of key in obj, also under a nested object ("source":{"ip":..}). */
static json_t *json_nested(json_t *obj, const char *outer, const char *inner) {
    json_t *o = json_object_get(obj, outer);
    return json_is_object(o) ? json_object_get(o, inner) : NULL;
}

static int fmt_json(const char *p, size_t n, int year, lf_fields *out) {
    size_t i = 0;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i >= n || p[i] != '{' || n - i > LF_MAX_JSON)
        return 0;
    json_t *root = json_loadb(p + i, n - i, JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        return 0;
    }
    for (size_t k = 0; k < sizeof json_ip_keys / sizeof json_ip_keys[0] && !out->src_ip[0]; k++) {
        json_t *v = json_object_get(root, json_ip_keys[k]);
        if (json_is_string(v)) {
            const char *s = json_string_value(v);
            size_t sl = json_string_length(v);
            put_ip(s, token_len(s, sl, ", "), out); /* first of a forwarded list */
        }
    }
    static const char *const nested[][2] = {{"source", "ip"}, {"source", "address"},
                                            {"client", "ip"}, {"client", "address"},
                                            {"http", "client_ip"}, {"request", "remote_addr"}};
    for (size_t k = 0; k < sizeof nested / sizeof nested[0] && !out->src_ip[0]; k++) {
        json_t *v = json_nested(root, nested[k][0], nested[k][1]);
        if (json_is_string(v))
            put_ip(json_string_value(v), json_string_length(v), out);
    }
    for (size_t k = 0; k < sizeof json_time_keys / sizeof json_time_keys[0] && !out->time[0];
         k++) {
        json_t *v = json_object_get(root, json_time_keys[k]);
        ltime t;
        if (json_is_string(v) &&
            parse_any_time(json_string_value(v), json_string_length(v), year, &t)) {
            put_time(&t, out);
        } else if (json_is_number(v)) {
            double x = json_number_value(v);
            if (x > 1e11)
                x /= 1000.0; /* epoch milliseconds */
            if (x >= 0 && x < 253402300800.0) {
                long long secs = (long long)x;
                long long days = secs / 86400, rem = secs % 86400;
                memset(&t, 0, sizeof t);
                civil_from_days(days, &t.y, &t.mo, &t.d);
                t.h = (int)(rem / 3600), t.mi = (int)(rem % 3600 / 60), t.s = (int)(rem % 60);
                t.ms = (int)((x - (double)secs) * 1000.0);
                if (t.ms < 0 || t.ms > 999)
                    t.ms = -1;
                t.zoned = 1;
                put_time(&t, out);
            }
        }
    }
    json_decref(root);
    return 1;
}

static int fmt_combined(const char *p, size_t n, int year, lf_fields *out) {
    (void)year;
    const char *br = memchr(p, '[', n < 512 ? n : 512);
    if (!br || br == p || br[-1] != ' ')
        return 0;
    ltime t;
    size_t off = (size_t)(br - p) + 1;
    if (!parse_clf(br + 1, n - off, &t) || off + 20 >= n)
        return 0;
    /* host ident user [time]: the address is the first token (or the
     * second, after a virtual host in vhost_combined). */
    size_t pos = 0;
    for (int tok = 0; tok < 2 && pos < off; tok++) {
        size_t tl = token_len(p + pos, off - 1 - pos, " ");
        if (put_ip(p + pos, tl, out))
            break;
        pos += tl + 1;
    }
    put_time(&t, out);
    return 1;
}

static int fmt_nginx_error(const char *p, size_t n, int year, lf_fields *out) {
    (void)year;
    ltime t;
    size_t k = parse_iso(p, n, &t, '/');
    if (!k || k + 2 > n || p[k] != ' ' || p[k + 1] != '[')
        return 0;
    put_time(&t, out);
    ip_after_markers(p, n, out);
    return 1;
}

static int fmt_rfc5424(const char *p, size_t n, int year, lf_fields *out) {
    (void)year;
    if (n < 4 || p[0] != '<')
        return 0;
    size_t i = 1;
    while (i < n && i < 5 && is_digit(p[i]))
        i++;
    if (i == 1 || i + 3 > n || p[i] != '>' || p[i + 1] != '1' || p[i + 2] != ' ')
        return 0;
    i += 3;
    ltime t;
    size_t k = parse_iso(p + i, n - i, &t, '-');
    if (!k)
        return 0;
    put_time(&t, out);
    ip_after_markers(p + i + k, n - i - k, out);
    return 1;
}

static int fmt_syslog(const char *p, size_t n, int year, lf_fields *out) {
    size_t i = 0;
    if (n > 0 && p[0] == '<') {
        i = 1;
        while (i < n && i < 5 && is_digit(p[i]))
            i++;
        if (i == 1 || i >= n || p[i] != '>')
            return 0;
        i++;
    }
    ltime t;
    if (!parse_3164(p + i, n - i, year, &t))
        return 0;
    put_time(&t, out);
    ip_after_markers(p + i + 15, n - i - 15, out);
    return 1;
}

static int fmt_log4j(const char *p, size_t n, int year, lf_fields *out) {
    (void)year;
    size_t i = n > 0 && p[0] == '[' ? 1 : 0;
    ltime t;
    size_t k = parse_iso(p + i, n - i, &t, '-');
    if (!k || p[i + 10] != ' ')
        return 0;
    put_time(&t, out);
    ip_after_markers(p + i + k, n - i - k, out);
    return 1;
}

static int fmt_iso(const char *p, size_t n, int year, lf_fields *out) {
    (void)year;
    ltime t;
    size_t k = parse_iso(p, n, &t, '-');
    if (!k)
        return 0;
    put_time(&t, out);
    ip_after_markers(p + k, n - k, out);
    return 1;
}

static const struct lformat {
    const char *name;
    int (*match)(const char *p, size_t n, int year, lf_fields *out);
} formats[] = {
    {"json", fmt_json},       {"combined", fmt_combined}, {"nginx-error", fmt_nginx_error},
    {"rfc5424", fmt_rfc5424}, {"syslog", fmt_syslog},     {"log4j", fmt_log4j},
    {"iso8601", fmt_iso},
};

const char *lf_extract(const char *line, size_t len, int default_year, lf_fields *out) {
    memset(out, 0, sizeof *out);
    out->hour = LF_NO_HOUR;
    if (default_year < 1970 || default_year > 9999)
        default_year = 1970;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        /* JSON may need the whole line; the others only its start. */
        size_t n = len;
        if (i > 0 && n > LF_MAX_SCAN)
            n = LF_MAX_SCAN;
        if (formats[i].match(line, n, default_year, out))
            return formats[i].name;
        memset(out, 0, sizeof *out);
        out->hour = LF_NO_HOUR;
    }
    return NULL;
}

void lf_format_hour(long long hour, char *buf, size_t bufsz) {
    long long days = hour >= 0 ? hour / 24 : (hour - 23) / 24;
    int h = (int)(hour - days * 24), y, m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, bufsz, "%04d-%02d-%02dT%02d:00", y, m, d, h);
}
