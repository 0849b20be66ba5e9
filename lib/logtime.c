/*
 * logtime.c -- defuse_log_time(): the time a log line was written, for
 * ${date:...} lookups (log4j formats the event's time with the lookup's
 * pattern, so a payload such as ${${date:...}:-j} can depend on it).
 *
 * Hand-written because the job is narrow and specific: find one timestamp
 * of a few well-known shapes near the start of a line, in time linear in a
 * bounded window, with no locale and no allocation (strptime() needs the
 * format known in advance and obeys the process locale).  Shapes:
 *
 *   ISO 8601 / RFC 3339 / log4j's %d{ISO8601} and "yyyy-MM-dd HH:mm:ss,SSS":
 *       2021-12-10T10:00:00Z   2021-12-10 10:00:00,123   ...+01:00  ...-0500
 *   Common/combined log format (nginx, Apache): [10/Dec/2021:10:00:00 +0000]
 *
 * A time without a zone is taken as UTC and said to be (DEFUSE_TIME_NO_ZONE):
 * the victim's zone is unknown.  Syslog's "Dec 10 10:00:00" has no year and
 * is not used.
 */
#include "internal.h"

#include <stdint.h>

/* Bytes of a line searched for its timestamp: log formats put it first or
 * after a short prefix (a host, a level, a JSON key). */
#define LOGTIME_WINDOW 160u

static int digits(const char *s, size_t n, size_t at, size_t k) {
    if (at + k > n)
        return -1;
    int v = 0;
    for (size_t i = 0; i < k; i++) {
        char c = s[at + i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool valid(int y, int mo, int d, int h, int mi, int s) {
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return y >= 1970 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= mdays[mo - 1] &&
           h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 60;
}

/* "+HH:MM", "+HHMM", "+HH", "Z" at s[at]; minutes east of UTC into *tz.
 * Returns the bytes read (0: no zone). */
static size_t zone(const char *s, size_t n, size_t at, int *tz) {
    if (at < n && s[at] == 'Z') {
        *tz = 0;
        return 1;
    }
    if (at >= n || (s[at] != '+' && s[at] != '-'))
        return 0;
    int sign = s[at] == '-' ? -1 : 1;
    int hh = digits(s, n, at + 1, 2);
    if (hh < 0 || hh > 18)
        return 0;
    size_t k = at + 3;
    int mm = 0;
    if (k < n && s[k] == ':')
        k++;
    int m2 = digits(s, n, k, 2);
    if (m2 >= 0 && m2 < 60) {
        mm = m2;
        k += 2;
    } else if (s[k - 1] == ':') {
        return 0;
    }
    if (hh * 60 + mm > 18 * 60) /* java.time's (and RFC 3339's) range */
        return 0;
    *tz = sign * (hh * 60 + mm);
    return k - at;
}

/* ISO 8601 at s[at]: yyyy-MM-dd[T ]HH:mm:ss[.,fraction][zone]. */
static bool iso(const char *s, size_t n, size_t at, int64_t *ms, int *tz, unsigned *flags) {
    int y = digits(s, n, at, 4), mo = digits(s, n, at + 5, 2), d = digits(s, n, at + 8, 2);
    if (y < 0 || mo < 0 || d < 0 || s[at + 4] != '-' || s[at + 7] != '-')
        return false;
    if (at + 10 >= n || (s[at + 10] != 'T' && s[at + 10] != ' '))
        return false;
    int h = digits(s, n, at + 11, 2), mi = digits(s, n, at + 14, 2), se = digits(s, n, at + 17, 2);
    if (h < 0 || mi < 0 || se < 0 || s[at + 13] != ':' || s[at + 16] != ':')
        return false;
    if (!valid(y, mo, d, h, mi, se))
        return false;
    size_t k = at + 19;
    int frac = 0;
    if (k < n && (s[k] == '.' || s[k] == ',')) {
        size_t j = k + 1, nd = 0;
        while (j < n && s[j] >= '0' && s[j] <= '9') {
            if (nd < 3)
                frac = frac * 10 + (s[j] - '0');
            nd++;
            j++;
        }
        if (nd == 0)
            return false;
        for (; nd < 3; nd++)
            frac *= 10;
        k = j;
    }
    int z = 0;
    if (k < n && s[k] == ' ')
        k += zone(s, n, k + 1, &z) ? 1 : 0; /* "2021-12-10 10:00:00 +0100" */
    size_t zl = zone(s, n, k, &z);
    if (!zl)
        *flags |= DEFUSE_TIME_NO_ZONE;
    *tz = z;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    *ms = (secs - (int64_t)z * 60) * 1000 + frac;
    return true;
}

/* Common log format at s[at] (just after '['): dd/MMM/yyyy:HH:mm:ss zone. */
static bool clf(const char *s, size_t n, size_t at, int64_t *ms, int *tz) {
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int d = digits(s, n, at, 2);
    if (d < 0 || at + 20 >= n || s[at + 2] != '/' || s[at + 6] != '/')
        return false;
    int mo = 0;
    for (int i = 0; i < 12 && !mo; i++)
        if (memcmp(months + 3 * i, s + at + 3, 3) == 0)
            mo = i + 1;
    int y = digits(s, n, at + 7, 4), h = digits(s, n, at + 12, 2), mi = digits(s, n, at + 15, 2),
        se = digits(s, n, at + 18, 2);
    if (!mo || y < 0 || h < 0 || mi < 0 || se < 0 || s[at + 11] != ':' || s[at + 14] != ':' ||
        s[at + 17] != ':' || !valid(y, mo, d, h, mi, se))
        return false;
    int z = 0;
    if (at + 20 >= n || s[at + 20] != ' ' || !zone(s, n, at + 21, &z))
        return false;
    *tz = z;
    *ms = (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - (int64_t)z * 60) * 1000;
    return true;
}

int defuse_log_time(const char *line, size_t len, int64_t *event_ms, int *tz_minutes,
                    unsigned *flags) {
    if (!line || !event_ms || !tz_minutes)
        return DEFUSE_EINVAL;
    unsigned fl = 0;
    size_t n = len < LOGTIME_WINDOW ? len : LOGTIME_WINDOW;
    for (size_t i = 0; i + 10 <= n; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c == '[' && clf(line, len, i + 1, event_ms, tz_minutes)) {
            if (flags)
                *flags = 0;
            return 0;
        }
        /* A year starts an ISO timestamp: not preceded by a digit. */
        if (c >= '1' && c <= '9' && (i == 0 || line[i - 1] < '0' || line[i - 1] > '9') &&
            iso(line, len, i, event_ms, tz_minutes, &fl)) {
            if (flags)
                *flags = fl;
            return 0;
        }
    }
    return DEFUSE_ENOENT;
}
