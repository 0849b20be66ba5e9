/*
 * datefmt.c -- java.text.SimpleDateFormat, as log4j 2.14.1's DateLookup
 * uses it: new SimpleDateFormat(pattern).format(new Date(ms)), and for a
 * pattern SimpleDateFormat rejects, DateFormat.getInstance().format(...).
 *
 * The victim modelled: OpenJDK 17 (CLDR locale data), default locale en_US,
 * a GregorianCalendar (first day of week Sunday, minimal days in the first
 * week 1, Julian calendar before 1582-10-15) and a fixed-offset time zone:
 * offset 0 is Java's "UTC" zone (z "UTC", zzzz "Coordinated Universal
 * Time"), any other offset the custom zone "GMT+hh:mm".  Zones with daylight
 * saving time are not modelled.
 *
 * Exactness: byte-identical to JDK 17 for every pattern, checked by
 * tests/e2e/datefmt_jdk.sh against the real SimpleDateFormat, and by hand
 * for every day around every year end from 9000 BC to AD 3000, the 1582
 * cutover and Long.MIN/MAX_VALUE -- Julian dates, BC eras and Java's odd
 * week year before 1584 included (week_year()).
 *
 * Hand-written because no C library formats like Java: strftime() has other
 * letters, no Julian cutover and no Java week rules; ICU's SimpleDateFormat
 * differs from the JDK's in names, padding and errors.
 *
 * Bounds: Java pads a number to at most 309 digits (DecimalFormat's
 * DOUBLE_INTEGER_DIGITS), so the output never exceeds
 * DEFUSE__DATEFMT_MAX_OUT(n) and the work is linear in the pattern length.
 */
#include "internal.h"

#include <stdint.h>
#include <string.h>

/* DecimalFormat keeps at most this many integer digits when it formats a
 * long (NumberFormat caps minimumIntegerDigits at DOUBLE_INTEGER_DIGITS). */
#define JAVA_MAX_INT_DIGITS 309u

#define MS_PER_DAY INT64_C(86400000)
/* Days from 1970-01-01 to 1582-10-15, the first Gregorian day of Java's
 * default GregorianCalendar (its gregorianCutover, -12219292800000 ms). */
#define CUTOVER_DAY INT64_C(-141427)
#define CUTOVER_YEAR 1582

/* The pattern letters JDK 17 accepts (DateFormatSymbols.patternChars). */
typedef enum {
    F_ERA,           /* G */
    F_YEAR,          /* y */
    F_MONTH,         /* M */
    F_DAY,           /* d */
    F_HOUR1_24,      /* k: 1..24 */
    F_HOUR0_23,      /* H */
    F_MINUTE,        /* m */
    F_SECOND,        /* s */
    F_MILLI,         /* S */
    F_DOW_TEXT,      /* E */
    F_DAY_OF_YEAR,   /* D */
    F_DOW_IN_MONTH,  /* F */
    F_WEEK_OF_YEAR,  /* w */
    F_WEEK_OF_MONTH, /* W */
    F_AMPM,          /* a */
    F_HOUR1_12,      /* h: 1..12 */
    F_HOUR0_11,      /* K */
    F_ZONE_NAME,     /* z */
    F_ZONE_RFC822,   /* Z */
    F_WEEK_YEAR,     /* Y */
    F_ISO_DOW,       /* u */
    F_ZONE_ISO,      /* X: counts 1..3 only */
    F_MONTH_ALONE,   /* L */
    F_NONE
} field;

static const char PATTERN_CHARS[] = "GyMdkHmsSEDFwWahKzZYuXL";

static const char *const MONTHS[12] = {"January",   "February", "March",    "April",
                                       "May",       "June",     "July",     "August",
                                       "September", "October",  "November", "December"};
static const char *const WEEKDAYS[8] = {"",          "Sunday",   "Monday", "Tuesday",
                                        "Wednesday", "Thursday", "Friday", "Saturday"};
static const char *const ERAS[2] = {"BC", "AD"};
static const char *const AMPM[2] = {"AM", "PM"};

/* DateFormat.getInstance() = getDateTimeInstance(SHORT, SHORT); JDK 17's
 * CLDR 39 en_US pattern (a plain space before "a"; JDK 20+ has U+202F). */
static const char FALLBACK_PATTERN[] = "M/d/yy, h:mm a";

/* The calendar fields of one instant, as GregorianCalendar computes them. */
typedef struct jcal {
    int era;           /* 0 BC, 1 AD */
    int64_t year;      /* year of era (>= 1) */
    int64_t week_year; /* proleptic: 1 BC is 0 */
    int month;         /* 0..11 */
    int day, doy, dow; /* day of month; day of year; Sunday = 1 */
    int dow_in_month, week_of_year, week_of_month;
    int hour, minute, second, milli;
    int tz_min;
} jcal;

static int64_t floordiv(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t greg_days(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = floordiv(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void greg_civil(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = floordiv(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* The same for the proleptic Julian calendar (every 4th year leap, 1 BC =
 * year 0 leap).  Julian 1582-10-05 is Gregorian 1582-10-15. */
#define JULIAN_SHIFT 719470
static int64_t jul_days(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t cyc = floordiv(y, 4);
    int64_t yoc = y - cyc * 4;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    return cyc * 1461 + yoc * 365 + doy - JULIAN_SHIFT;
}

static void jul_civil(int64_t z, int64_t *y, int *m, int *d) {
    z += JULIAN_SHIFT;
    int64_t cyc = floordiv(z, 1461);
    int64_t doc = z - cyc * 1461;
    int64_t yoc = doc / 365 < 3 ? doc / 365 : 3;
    int64_t doy = doc - 365 * yoc;
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoc + cyc * 4 + (*m <= 2);
}

/* Day number of year y's month m (1-based) day d in the calendar
 * GregorianCalendar uses for that date: Julian before the cutover year;
 * in the cutover year, January to the cutover is Julian. */
static int64_t cal_days(int64_t y, int m, int d) {
    if (y > CUTOVER_YEAR)
        return greg_days(y, m, d);
    if (y < CUTOVER_YEAR)
        return jul_days(y, m, d);
    int64_t g = greg_days(y, m, d);
    return g >= CUTOVER_DAY ? g : jul_days(y, m, d);
}

/* GregorianCalendar.getWeekNumber with first day Sunday, minimal days 1:
 * the week of `day` counted from the week holding `first`. */
static int week_number(int64_t first, int64_t day) {
    int64_t dow1 = floordiv(first + 4, 7) * -7 + first + 4; /* 0 = Sunday */
    int64_t start = first - dow1;                           /* Sunday on/before */
    return (int)(floordiv(day - start, 7) + 1);
}

static int64_t dow0(int64_t day) {
    return day + 4 - floordiv(day + 4, 7) * 7;
} /* 0 = Sunday */

/* GregorianCalendar.getWeekYear() for the proleptic year y (1 BC = 0).
 * After 1583 (its fast path): December days in week 1 belong to y + 1.
 * Up to 1583 its slow path looks at the weekday of the next year's
 * January 1 -- but for a BC date it sets YEAR to y + 1 while the era stays
 * BC, so the "next year" it looks at is year -y (e.g. AD 9001 for 9002 BC).
 * Modelled as Java does it, for byte-identical output. */
static int64_t week_year(int64_t y, int doy, int month, int week, int64_t jan1) {
    if (y > CUTOVER_YEAR + 1)
        return month == 11 && week == 1 ? y + 1 : y;
    int64_t maxdoy = cal_days(y + 1, 1, 1) - jan1;
    if (doy > 1 && doy < maxdoy - 6)
        return y;
    int64_t first_sunday = 1 + (7 - dow0(jan1)) % 7;
    if (doy < first_sunday)
        return y; /* minimal days 1: January never belongs to y - 1 */
    int64_t next1 = cal_days(y > 0 ? y + 1 : -y, 1, 1);
    int64_t delta = (7 - dow0(next1)) % 7;
    int64_t min_doy = delta ? delta : 7;
    return maxdoy - doy + 1 <= 7 - min_doy ? y + 1 : y;
}

static void compute(int64_t ms, int tz_min, jcal *c) {
    int64_t day = floordiv(ms, MS_PER_DAY);
    /* ms mod a day, without day * MS_PER_DAY (which overflows near
     * INT64_MIN: the floored day times a day is below it). */
    int64_t msd = ms % MS_PER_DAY;
    if (msd < 0)
        msd += MS_PER_DAY;
    msd += (int64_t)tz_min * 60000;
    day += floordiv(msd, MS_PER_DAY);
    msd -= floordiv(msd, MS_PER_DAY) * MS_PER_DAY;
    c->tz_min = tz_min;
    c->milli = (int)(msd % 1000);
    c->second = (int)(msd / 1000 % 60);
    c->minute = (int)(msd / 60000 % 60);
    c->hour = (int)(msd / 3600000);

    int64_t y;
    int m, d;
    if (day >= CUTOVER_DAY)
        greg_civil(day, &y, &m, &d);
    else
        jul_civil(day, &y, &m, &d);
    c->era = y > 0;
    c->year = y > 0 ? y : 1 - y;
    c->month = m - 1;
    c->day = d;
    c->dow = (int)(day + 4 - floordiv(day + 4, 7) * 7) + 1;

    int64_t jan1 = cal_days(y, 1, 1);
    int64_t month1 = cal_days(y, m, 1);
    c->doy = (int)(day - jan1 + 1);
    c->dow_in_month = (int)((day - month1) / 7 + 1);
    c->week_of_month = week_number(month1, day);
    c->week_of_year = week_number(jan1, day);
    if (c->month == 11) {
        /* The days of the week that holds next January 1 are week 1 of the
         * next year, unless that January 1 is itself a Sunday.  (Java tests
         * this for weeks >= 52 only, plus the short cutover year 1582.) */
        int64_t next1 = cal_days(y + 1, 1, 1);
        int64_t ndow = next1 + 4 - floordiv(next1 + 4, 7) * 7; /* 0 = Sunday */
        if (ndow != 0 && day >= next1 - ndow)
            c->week_of_year = 1;
    }
    c->week_year = week_year(y, c->doy, c->month, c->week_of_year, jan1);
}

/* ---- output -------------------------------------------------------------- */

typedef struct outbuf {
    char *p;
    size_t len, cap;
    bool trunc;
} outbuf;

static void put(outbuf *o, const char *s, size_t n) {
    size_t room = o->cap - o->len;
    if (n > room) {
        n = room;
        o->trunc = true;
    }
    if (n == 0)
        return;
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

static void puts_(outbuf *o, const char *s) {
    put(o, s, strlen(s));
}

/* SimpleDateFormat.zeroPaddingNumber: at least min digits (capped at 309),
 * at most max digits (the low-order ones), '-' before a negative value. */
static void number(outbuf *o, int64_t v, size_t min, size_t max) {
    char dig[24];
    size_t nd = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        dig[nd++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (min > JAVA_MAX_INT_DIGITS)
        min = JAVA_MAX_INT_DIGITS;
    if (nd > max)
        nd = max;
    if (v < 0)
        put(o, "-", 1);
    static const char zeros[] = "0000000000000000000000000000000000000000000000000000000000000000";
    for (size_t pad = min > nd ? min - nd : 0; pad;) {
        size_t k = pad < sizeof zeros - 1 ? pad : sizeof zeros - 1;
        put(o, zeros, k);
        pad -= k;
    }
    while (nd)
        put(o, &dig[--nd], 1);
}

static void zone_offset(outbuf *o, int tz, bool colon, bool minutes) {
    char b[8];
    int a = tz < 0 ? -tz : tz;
    size_t k = 0;
    b[k++] = tz < 0 ? '-' : '+';
    b[k++] = (char)('0' + a / 600);
    b[k++] = (char)('0' + a / 60 % 10);
    if (minutes) {
        if (colon)
            b[k++] = ':';
        b[k++] = (char)('0' + a % 60 / 10);
        b[k++] = (char)('0' + a % 10);
    }
    put(o, b, k);
}

/* SimpleDateFormat.subFormat for one field of count letters. */
static void subformat(outbuf *o, field f, size_t count, const jcal *c) {
    const size_t NOMAX = JAVA_MAX_INT_DIGITS;
    switch (f) {
    case F_ERA:
        puts_(o, ERAS[c->era]);
        break;
    case F_YEAR:
    case F_WEEK_YEAR: {
        int64_t v = f == F_YEAR ? c->year : c->week_year;
        if (count == 2)
            number(o, v, 2, 2); /* clips 1996 to 96 */
        else
            number(o, v, count, NOMAX);
        break;
    }
    case F_MONTH:
    case F_MONTH_ALONE: /* en_US: stand-alone names equal format names */
        if (count >= 4)
            puts_(o, MONTHS[c->month]);
        else if (count == 3)
            put(o, MONTHS[c->month], 3);
        else
            number(o, c->month + 1, count, NOMAX);
        break;
    case F_DOW_TEXT:
        if (count >= 4)
            puts_(o, WEEKDAYS[c->dow]);
        else
            put(o, WEEKDAYS[c->dow], 3);
        break;
    case F_AMPM:
        puts_(o, AMPM[c->hour >= 12]);
        break;
    case F_HOUR1_24:
        number(o, c->hour == 0 ? 24 : c->hour, count, NOMAX);
        break;
    case F_HOUR1_12:
        number(o, c->hour % 12 == 0 ? 12 : c->hour % 12, count, NOMAX);
        break;
    case F_HOUR0_11:
        number(o, c->hour % 12, count, NOMAX);
        break;
    case F_ZONE_NAME:
        if (c->tz_min == 0) {
            puts_(o, count >= 4 ? "Coordinated Universal Time" : "UTC");
        } else {
            puts_(o, "GMT");
            zone_offset(o, c->tz_min, true, true);
        }
        break;
    case F_ZONE_RFC822:
        zone_offset(o, c->tz_min, false, true);
        break;
    case F_ZONE_ISO:
        if (c->tz_min == 0)
            put(o, "Z", 1);
        else
            zone_offset(o, c->tz_min, count == 3, count >= 2);
        break;
    case F_ISO_DOW:
        number(o, c->dow == 1 ? 7 : c->dow - 1, count, NOMAX);
        break;
    case F_NONE:
        break;
    default: {
        /* The plain numeric fields, by letter. */
        static const size_t off[] = {
            [F_DAY] = offsetof(jcal, day),
            [F_HOUR0_23] = offsetof(jcal, hour),
            [F_MINUTE] = offsetof(jcal, minute),
            [F_SECOND] = offsetof(jcal, second),
            [F_MILLI] = offsetof(jcal, milli),
            [F_DAY_OF_YEAR] = offsetof(jcal, doy),
            [F_DOW_IN_MONTH] = offsetof(jcal, dow_in_month),
            [F_WEEK_OF_YEAR] = offsetof(jcal, week_of_year),
            [F_WEEK_OF_MONTH] = offsetof(jcal, week_of_month),
        };
        int v;
        memcpy(&v, (const char *)c + off[f], sizeof v);
        number(o, v, count, NOMAX);
        break;
    }
    }
}

static field letter_field(unsigned char ch) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
        return F_NONE;
    const char *p = strchr(PATTERN_CHARS, ch);
    return p ? (field)(p - PATTERN_CHARS) : F_NONE;
}

/* SimpleDateFormat.compile + format in one pass.  With o NULL only checks
 * the pattern.  Returns false where the constructor throws
 * IllegalArgumentException: a letter outside PATTERN_CHARS, 'X' four or
 * more times, or an unterminated quote.  *fields is set if a field was
 * formatted. */
static bool run(const char *pat, size_t n, const jcal *c, outbuf *o, bool *fields) {
    bool inquote = false;
    *fields = false;
    for (size_t i = 0; i < n;) {
        unsigned char ch = (unsigned char)pat[i];
        if (ch == '\'') {
            /* '' is a quote, in or out of quoted text */
            if (i + 1 < n && pat[i + 1] == '\'') {
                if (o)
                    put(o, "'", 1);
                i += 2;
                continue;
            }
            inquote = !inquote;
            i++;
            continue;
        }
        bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
        if (inquote || !letter) {
            /* Literal (non-ASCII bytes included: Java compares chars with
             * ASCII ranges only, so UTF-8 passes through unchanged). */
            size_t j = i + 1;
            while (j < n && pat[j] != '\'' &&
                   (inquote ||
                    !((pat[j] >= 'a' && pat[j] <= 'z') || (pat[j] >= 'A' && pat[j] <= 'Z'))))
                j++;
            if (o)
                put(o, pat + i, j - i);
            i = j;
            continue;
        }
        field f = letter_field(ch);
        if (f == F_NONE)
            return false; /* "Illegal pattern character" */
        size_t j = i + 1;
        while (j < n && (unsigned char)pat[j] == ch)
            j++;
        size_t count = j - i;
        if (f == F_ZONE_ISO && count >= 4)
            return false; /* "invalid ISO 8601 format: length=4" */
        *fields = true;
        if (o)
            subformat(o, f, count, c);
        i = j;
    }
    return !inquote; /* "Unterminated quote" */
}

size_t defuse__datefmt(const char *pat, size_t n, int64_t epoch_ms, int tz_offset_min, char *out,
                       size_t cap, unsigned *info) {
    if (tz_offset_min > DEFUSE__DATEFMT_MAX_TZ)
        tz_offset_min = DEFUSE__DATEFMT_MAX_TZ;
    if (tz_offset_min < -DEFUSE__DATEFMT_MAX_TZ)
        tz_offset_min = -DEFUSE__DATEFMT_MAX_TZ;
    jcal c;
    compute(epoch_ms, tz_offset_min, &c);
    outbuf o = {out, 0, cap, false};
    bool fields;
    unsigned inf = 0;
    if (!run(pat, n, &c, NULL, &fields)) {
        /* new SimpleDateFormat(pattern) threw: log4j falls back to
         * DateFormat.getInstance(). */
        inf |= DEFUSE__DATEFMT_FALLBACK | DEFUSE__DATEFMT_CLOCK;
        run(FALLBACK_PATTERN, sizeof FALLBACK_PATTERN - 1, &c, &o, &fields);
    } else {
        run(pat, n, &c, &o, &fields);
        if (fields)
            inf |= DEFUSE__DATEFMT_CLOCK;
    }
    if (o.trunc)
        inf |= DEFUSE__DATEFMT_TRUNCATED;
    if (info)
        *info = inf;
    return o.len;
}
