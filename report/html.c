/*
 * html.c -- the report page: one HTML file, inline CSS and SVG, no script
 * (the Content-Security-Policy forbids any), readable without JS, printable.
 *
 * Size is bounded whatever the input: charts have at most MAX_BINS bins
 * (drawn as one SVG path per series), tables at most TOP_ROWS rows of
 * values cut at REP_MAX_VALUE bytes (and VALUE_SHOWN shown), so the page
 * stays well under 2 MB.  Every input-derived text goes through
 * rep_html_esc() (and defuse_defang() first for what an attacker chose:
 * hosts, keys, commands), so no input byte reaches the page as markup.
 */
#include "report.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BINS 360
#define TOP_ROWS 20
#define VALUE_SHOWN 160u

/* ---- escaping ------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s[0..n), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t l;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf)
        l = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        l = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        l = 4, min = 0x10000;
    else
        return 0;
    if (l > n)
        return 0;
    unsigned cp = c & (0x7f >> l);
    for (size_t i = 1; i < l; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return l;
}

/* Code points shown as "\u{...}" rather than rendered: C1 controls,
 * bidirectional overrides and isolates, zero-width characters, BOM. */
static int invisible(unsigned cp) {
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x200b && cp <= 0x200f) ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff ||
           cp == 0x2028 || cp == 0x2029;
}

static unsigned decode_cp(const unsigned char *s, size_t l) {
    unsigned cp = s[0] & (0x7f >> l);
    for (size_t i = 1; i < l; i++)
        cp = (cp << 6) | (s[i] & 0x3f);
    return cp;
}

void rep_html_esc(FILE *out, const char *str, size_t n, size_t max) {
    const unsigned char *s = (const unsigned char *)str;
    size_t lim = n > max ? max : n;
    for (size_t i = 0; i < lim;) {
        unsigned c = s[i];
        if (c < 0x80) {
            switch (c) {
            case '&': fputs("&amp;", out); break;
            case '<': fputs("&lt;", out); break;
            case '>': fputs("&gt;", out); break;
            case '"': fputs("&quot;", out); break;
            case '\'': fputs("&#39;", out); break;
            default:
                if (c < 0x20 || c == 0x7f)
                    fprintf(out, "\\x%02X", c);
                else
                    fputc((int)c, out);
            }
            i++;
            continue;
        }
        size_t l = utf8_len(s + i, lim - i);
        if (!l) {
            fprintf(out, "\\x%02X", c);
            i++;
            continue;
        }
        unsigned cp = decode_cp(s + i, l);
        if (invisible(cp))
            fprintf(out, "\\u{%X}", cp);
        else
            fwrite(s + i, 1, l, out);
        i += l;
    }
    if (n > max)
        fputs("\xe2\x80\xa6", out); /* "…" */
}

void rep_html_defanged(FILE *out, const char *s, size_t n, size_t max) {
    char small[1024];
    size_t need = defuse_defang(s, n, small, sizeof small);
    if (need < sizeof small) {
        rep_html_esc(out, small, need, max);
        return;
    }
    char *big = malloc(need + 1);
    if (!big) {
        fputs("(out of memory)", out);
        return;
    }
    defuse_defang(s, n, big, need + 1);
    rep_html_esc(out, big, need, max);
    free(big);
}

/* ---- small helpers ------------------------------------------------------------- */

static void fmt_time(char *buf, size_t sz, int64_t sec, int with_min) {
    time_t t = (time_t)sec;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        snprintf(buf, sz, "?");
        return;
    }
    strftime(buf, sz, with_min ? "%Y-%m-%d %H:%M" : "%Y-%m-%d", &tm);
}

/* n with thin-space thousands separators. */
static void num(FILE *o, uint64_t n) {
    char d[32];
    int l = snprintf(d, sizeof d, "%" PRIu64, n);
    for (int i = 0; i < l; i++) {
        if (i && (l - i) % 3 == 0)
            fputs("&#8201;", o);
        fputc(d[i], o);
    }
}

/* <span data-n="N" id="ID">N</span> */
static void numid(FILE *o, const char *id, uint64_t n) {
    fprintf(o, "<span class=\"num\" id=\"%s\" data-n=\"%" PRIu64 "\">", id, n);
    num(o, n);
    fputs("</span>", o);
}

static const char *const kind_color[REP_KINDS] = {"#c0392b", "#8e44ad", "#d35400", "#2e86c1",
                                                  "#95a5a6"};
static const char *const act_name[REP_ACTS] = {"blocked", "detected", "passed"};
static const char *const act_color[REP_ACTS] = {"#27ae60", "#e67e22", "#7f8c8d"};

/* ---- bins ---------------------------------------------------------------------- */

typedef struct bin {
    uint64_t kind[REP_KINDS], lines, act[REP_ACTS], hp;
    uint8_t src[REP_BUCKET_BITS / 8];
} bin;

typedef struct bins {
    bin *b;
    int n;
    int64_t k0;    /* first bucket key */
    int64_t g;     /* buckets per bin */
    int64_t unit;  /* seconds per bucket (60 or 3600) */
    uint64_t outside; /* weight outside the charted range */
} bins;

/* What a chart counts: the range it draws is that of its own data. */
enum { W_SPIKE, W_NGINX, W_HP };

static uint64_t weight(const rep_bucket *k, int what) {
    switch (what) {
    case W_NGINX: return k->act[0] + k->act[1] + k->act[2];
    case W_HP: return k->hp_events;
    default: {
        uint64_t s = 0;
        for (int j = 0; j < REP_KINDS; j++)
            s += k->kind[j];
        return s ? s : (k->lines ? 1 : 0); /* log volume alone still places the range */
    }
    }
}

typedef struct kw {
    int64_t key;
    uint64_t w;
} kw;

static int kw_cmp(const void *a, const void *b) {
    int64_t x = ((const kw *)a)->key, y = ((const kw *)b)->key;
    return x < y ? -1 : x > y;
}

#define CLUSTER_GAP 168 /* hours: a longer silence separates two incidents */

/* Bins of one chart.  The range is the heaviest cluster of the data's hours
 * (clusters split at silences over CLUSTER_GAP hours), so that a stray
 * timestamp or an older incident in the same input does not flatten the
 * chart; out->outside counts what lies outside.  Per minute when that
 * range is under 6 hours. */
static int make_bins(const rep *r, bins *out, int what) {
    memset(out, 0, sizeof *out);
    out->unit = 3600;
    const rep_buckets *hs = &r->hours;
    kw *kv = malloc((hs->n ? hs->n : 1) * sizeof *kv);
    if (!kv)
        return -1;
    size_t nk = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < hs->n; i++) {
        uint64_t x = weight(&hs->b[i], what);
        if (x) {
            kv[nk++] = (kw){hs->b[i].key, x};
            total += x;
        }
    }
    qsort(kv, nk, sizeof *kv, kw_cmp);
    if (!nk) {
        free(kv);
        return 0;
    }
    size_t best_a = 0, best_b = 0, a = 0;
    uint64_t best = 0, cur = 0;
    for (size_t i = 0; i <= nk; i++) {
        if (i == nk || (i > a && kv[i].key - kv[i - 1].key > CLUSTER_GAP)) {
            if (cur > best) {
                best = cur;
                best_a = a;
                best_b = i - 1;
            }
            a = i;
            cur = 0;
        }
        if (i < nk)
            cur += kv[i].w;
    }
    int64_t lo = kv[best_a].key, hi = kv[best_b].key;
    out->outside = total - best;
    free(kv);
    const rep_buckets *bs = hs;
    if (hi - lo < 6 && !r->minutes.dropped && r->minutes.n) {
        bs = &r->minutes; /* a short span: per minute */
        out->unit = 60;
        int64_t mlo = INT64_MAX, mhi = INT64_MIN;
        for (size_t i = 0; i < bs->n; i++) {
            const rep_bucket *k = &bs->b[i];
            if (k->key < lo * 60 || k->key >= (hi + 1) * 60 || !weight(k, what))
                continue;
            if (k->key < mlo)
                mlo = k->key;
            if (k->key > mhi)
                mhi = k->key;
        }
        if (mlo <= mhi) {
            lo = mlo;
            hi = mhi;
        } else { /* no minute of the cluster carries the data: hours then */
            bs = hs;
            out->unit = 3600;
        }
    }
    uint64_t span = (uint64_t)(hi - lo) + 1;
    out->g = (int64_t)((span + MAX_BINS - 1) / MAX_BINS);
    out->n = (int)((span + (uint64_t)out->g - 1) / (uint64_t)out->g);
    out->k0 = lo;
    out->b = calloc((size_t)out->n, sizeof *out->b);
    if (!out->b)
        return -1;
    for (size_t i = 0; i < bs->n; i++) {
        const rep_bucket *k = &bs->b[i];
        if (k->key < lo || k->key > hi)
            continue;
        bin *b = &out->b[(k->key - lo) / out->g];
        for (int j = 0; j < REP_KINDS; j++)
            b->kind[j] += k->kind[j];
        for (int j = 0; j < REP_ACTS; j++)
            b->act[j] += k->act[j];
        b->lines += k->lines;
        b->hp += k->hp_events;
        for (size_t j = 0; j < sizeof b->src; j++)
            b->src[j] |= k->src[j];
    }
    return 0;
}

static int64_t bin_start(const bins *bs, int i) { return (bs->k0 + i * bs->g) * bs->unit; }

static uint64_t bin_findings(const bin *b) {
    uint64_t s = 0;
    for (int j = 0; j < REP_KINDS; j++)
        s += b->kind[j];
    return s;
}

/* Linear counting over a bin's bitmap: distinct sources, estimated. */
static uint64_t bin_distinct(const bin *b) {
    unsigned zeros = 0;
    for (size_t j = 0; j < sizeof b->src; j++)
        zeros += (unsigned)(8 - __builtin_popcount(b->src[j]));
    const double m = REP_BUCKET_BITS;
    if (zeros == 0)
        return (uint64_t)(m * log(m)); /* saturated */
    return (uint64_t)llround(m * log(m / zeros));
}

/* ---- charts -------------------------------------------------------------------- */

#define CW 960
#define CH 230
#define PL 56
#define PR 56
#define PT 22
#define PB 30

typedef struct series {
    const char *name, *color;
    const uint64_t *v; /* n values */
} series;

typedef struct chart {
    const char *id, *label;
    int n;
    const series *s;
    int ns;
    int logscale;
    const uint64_t *overlay; /* a line on its own right-hand scale, or NULL */
    const char *overlay_name;
    int mark[3]; /* first, peak, last bin or -1 */
    const bins *bs;
} chart;

static double yscale(double v, double max, int logscale) {
    double h = CH - PT - PB;
    if (max <= 0)
        return CH - PB;
    if (logscale)
        return CH - PB - h * log10(1 + v) / log10(1 + max);
    return CH - PB - h * v / max;
}

static void draw_chart(FILE *o, const chart *c) {
    double max = 0, omax = 0;
    for (int i = 0; i < c->n; i++) {
        double t = 0;
        for (int s = 0; s < c->ns; s++)
            t += (double)c->s[s].v[i];
        if (t > max)
            max = t;
        if (c->overlay && (double)c->overlay[i] > omax)
            omax = (double)c->overlay[i];
    }
    double bw = (double)(CW - PL - PR) / c->n;
    fprintf(o, "<figure class=\"chart\" id=\"%s\"><div class=\"sc\"><svg viewBox=\"0 0 %d %d\" role=\"img\" "
               "aria-label=\"%s\">",
            c->id, CW, CH, c->label);
    /* grid and left axis */
    if (c->logscale) {
        for (double t = 1; t <= max; t *= 10) {
            double y = yscale(t, max, 1);
            fprintf(o, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                       "<text class=\"ax\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>",
                    PL, CW - PR, y, y, PL - 4, y + 4, t);
        }
    } else {
        for (int k = 0; k <= 2; k++) {
            double t = max * k / 2;
            double y = yscale(t, max, 0);
            fprintf(o, "<line class=\"grid\" x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\"/>"
                       "<text class=\"ax\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>",
                    PL, CW - PR, y, y, PL - 4, y + 4, t);
        }
    }
    /* stacked series: one path each */
    double *base = calloc((size_t)c->n, sizeof *base);
    for (int s = 0; s < c->ns && base; s++) {
        fprintf(o, "<path fill=\"%s\" d=\"", c->s[s].color);
        for (int i = 0; i < c->n; i++) {
            if (!c->s[s].v[i])
                continue;
            double y0 = yscale(base[i], max, c->logscale);
            base[i] += (double)c->s[s].v[i];
            double y1 = yscale(base[i], max, c->logscale);
            if (c->logscale && y0 - y1 < 1.5)
                y1 = y0 - 1.5; /* a stacked segment on a log scale stays visible */
            fprintf(o, "M%.1f %.1fh%.2fV%.1fh%.2fz", PL + i * bw, y0, bw > 1.5 ? bw - 0.5 : bw,
                    y1, -(bw > 1.5 ? bw - 0.5 : bw));
        }
        fputs("\"/>", o);
    }
    free(base);
    if (c->overlay && omax > 0) {
        fputs("<polyline class=\"overlay\" points=\"", o);
        for (int i = 0; i < c->n; i++)
            fprintf(o, "%.1f,%.1f ", PL + (i + 0.5) * bw, yscale((double)c->overlay[i], omax, c->logscale));
        fputs("\"/>", o);
        fprintf(o, "<text class=\"ax\" x=\"%d\" y=\"%d\">%.0f</text>", CW - PR + 4, PT + 4, omax);
    }
    /* first / peak / last */
    static const char *const mname[3] = {"first", "peak", "last"};
    for (int m = 0; m < 3; m++) {
        if (c->mark[m] < 0 || (m == 1 && (c->mark[1] == c->mark[0] || c->mark[1] == c->mark[2])))
            continue; /* the peak shares the first or last attempt's bin: one label */
        int shared = m != 1 && c->mark[m] == c->mark[1];
        double x = PL + (c->mark[m] + 0.5) * bw;
        fprintf(o, "<line class=\"mark\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\"/>"
                   "<text class=\"mk\" x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>",
                x, x, PT - 6, CH - PB, x, PT - 8 + (m == 1 ? 0 : 0),
                m == 0 ? "start" : m == 2 ? "end" : "middle",
                shared ? (m == 0 ? "first, peak" : "peak, last") : mname[m]);
    }
    /* x labels */
    int lab[3] = {0, c->n / 2, c->n - 1};
    for (int k = 0; k < 3; k++) {
        if (k && lab[k] == lab[k - 1])
            continue;
        char t[40];
        fmt_time(t, sizeof t, bin_start(c->bs, lab[k]), 1);
        fprintf(o, "<text class=\"ax\" x=\"%.1f\" y=\"%d\" text-anchor=\"%s\">%s</text>",
                PL + (lab[k] + 0.5) * bw, CH - 10, k == 0 ? "start" : k == 2 ? "end" : "middle", t);
    }
    /* tooltips: one transparent column per non-empty bin */
    for (int i = 0; i < c->n; i++) {
        uint64_t t = 0;
        for (int s = 0; s < c->ns; s++)
            t += c->s[s].v[i];
        if (!t && !(c->overlay && c->overlay[i]))
            continue;
        char ts[40];
        fmt_time(ts, sizeof ts, bin_start(c->bs, i), 1);
        fprintf(o, "<rect class=\"hit\" x=\"%.1f\" y=\"%d\" width=\"%.2f\" height=\"%d\"><title>%s: %" PRIu64,
                PL + i * bw, PT, bw, CH - PT - PB, ts, t);
        if (c->overlay)
            fprintf(o, "; %s %" PRIu64, c->overlay_name, c->overlay[i]);
        fputs("</title></rect>", o);
    }
    fputs("</svg></div><figcaption>", o);
    for (int s = 0; s < c->ns; s++)
        fprintf(o, "<span class=\"key\"><i style=\"background:%s\"></i>%s</span>", c->s[s].color,
                c->s[s].name);
    if (c->overlay)
        fprintf(o, "<span class=\"key\"><i class=\"ov\"></i>%s (right scale)</span>", c->overlay_name);
    fprintf(o, "<span class=\"cap\">%s</span></figcaption></figure>\n", c->label);
}

/* ---- tables ---------------------------------------------------------------------- */

enum { COL_PLAIN = 0, COL_DEFANG = 1 };

/* A table of the first `rows` entries of t.  Keys split at \x1f into
 * columns (heads[0..ncol)); the count column is `count_head`. */
static void top_table(FILE *o, const char *id, rep_top *t, size_t rows, const char *const *heads,
                      const int *mode, int ncol, const char *count_head, int mark_internal) {
    size_t n = rep_top_sorted(t);
    fprintf(o, "<table id=\"%s\"><thead><tr>", id);
    for (int c = 0; c < ncol; c++)
        fprintf(o, "<th>%s</th>", heads[c]);
    fprintf(o, "<th class=\"n\">%s</th></tr></thead><tbody>", count_head);
    for (size_t i = 0; i < n && i < rows; i++) {
        const rep_top_ent *e = &t->e[i];
        int internal = mark_internal && (e->flags & REP_F_INTERNAL);
        fprintf(o, "<tr%s>", internal ? " class=\"internal\"" : "");
        const char *k = e->key;
        for (int c = 0; c < ncol; c++) {
            const char *end = c < ncol - 1 ? strchr(k, '\x1f') : NULL;
            size_t l = end ? (size_t)(end - k) : strlen(k);
            fputs("<td class=\"v\">", o);
            if (mode[c] == COL_DEFANG)
                rep_html_defanged(o, k, l, VALUE_SHOWN);
            else
                rep_html_esc(o, k, l, VALUE_SHOWN);
            if (c == 0 && internal)
                fputs(" <b class=\"tag\">internal</b>", o);
            fputs("</td>", o);
            k = end ? end + 1 : k + l;
        }
        fprintf(o, "<td class=\"n\" data-n=\"%" PRIu64 "\">", e->n);
        num(o, e->n);
        fputs("</td></tr>", o);
    }
    fputs("</tbody></table>", o);
    if (n > rows || t->err)
        fprintf(o, "<p class=\"note\">%zu of %s%zu values shown%s", rows < n ? rows : n,
                t->err ? "more than " : "", n, t->err ? "; counts may be high by at most " : ".");
    if (t->err) {
        num(o, t->err);
        fputs(" (bounded table).", o);
    }
    if (n > rows || t->err)
        fputs("</p>", o);
    fputc('\n', o);
}

static void simple_table(FILE *o, const char *id, rep_top *t, size_t rows, const char *head,
                         int defang) {
    const int mode[1] = {defang ? COL_DEFANG : COL_PLAIN};
    const char *heads[1] = {head};
    top_table(o, id, t, rows, heads, mode, 1, "count", 0);
}

/* ---- the page -------------------------------------------------------------------- */

static const char css[] =
    ":root{--fg:#1d232a;--mut:#5d6873;--bg:#fff;--card:#f4f6f8;--acc:#c0392b}"
    "*{box-sizing:border-box}body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
    "sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1100px;padding:1rem;"
    "overflow-wrap:anywhere}"
    "h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.25rem;border-bottom:2px solid #dde2e6;"
    "padding-bottom:.2rem;margin-top:2rem}h3{font-size:1rem;margin:1.2rem 0 .4rem}"
    ".meta,.note,.cap{color:var(--mut);font-size:.85rem}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.6rem}"
    ".card{background:var(--card);border-radius:6px;padding:.6rem .8rem}"
    ".card .num{font-size:1.5rem;font-weight:600;display:block}"
    ".card small{color:var(--mut)}"
    "#next{background:#fff6e5;border-left:5px solid #e67e22;padding:.6rem 1rem;margin:1rem 0;"
    "border-radius:4px}#next h2{border:0;margin:.2rem 0}#next li{margin:.25rem 0}"
    ".chart{margin:.5rem 0 1rem}.chart .sc{overflow-x:auto}.chart svg{width:100%;min-width:600px;height:auto;display:block;"
    "background:#fbfcfd;border:1px solid #e3e7ea;border-radius:4px}"
    ".grid{stroke:#e3e7ea;stroke-width:1}.ax{font-size:11px;fill:#5d6873}"
    ".mark{stroke:#1d232a;stroke-dasharray:3 3;stroke-width:1}.mk{font-size:11px;fill:#1d232a;"
    "font-weight:600}.overlay{fill:none;stroke:#34495e;stroke-width:1.5;stroke-opacity:.7}"
    ".hit{fill:transparent}.hit:hover{fill:rgba(0,0,0,.06)}"
    "figcaption{font-size:.85rem;margin-top:.3rem}.key{margin-right:1rem;white-space:nowrap}"
    ".key i{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:-1px}"
    ".key i.ov{border-top:2px solid #34495e;height:0;vertical-align:middle}"
    ".cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:1rem}"
    "table{border-collapse:collapse;width:100%;font-size:.9rem}"
    "th,td{text-align:left;padding:.2rem .4rem;border-bottom:1px solid #e3e7ea;vertical-align:top}"
    "td.v{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}"
    ".n{text-align:right;white-space:nowrap}tr.internal{background:#fdecea}"
    ".tag{background:var(--acc);color:#fff;border-radius:3px;padding:0 .3em;font-size:.75rem;"
    "font-family:system-ui,sans-serif}"
    "details{margin:.5rem 0}summary{cursor:pointer;color:var(--mut)}"
    "@media (max-width:600px){body{font-size:14px;padding:.6rem}.card .num{font-size:1.2rem}}"
    "@media print{details{display:none}}";

static void section_next(FILE *o, rep *r) {
    fputs("<section id=\"next\"><h2>What to do next</h2><ul>", o);
    int any = 0;
    size_t ni = rep_top_sorted(&r->internal_src);
    for (size_t i = 0; i < ni && i < 5; i++, any++) {
        fputs("<li class=\"todo\">Investigate internal host <code>", o);
        rep_html_esc(o, r->internal_src.e[i].key, strlen(r->internal_src.e[i].key), VALUE_SHOWN);
        fputs("</code>: ", o);
        num(o, r->internal_src.e[i].n);
        fputs(" attempts or honeypot contacts from inside the network.</li>", o);
    }
    size_t nh = rep_top_sorted(&r->cb_host);
    if (nh) {
        any++;
        fputs("<li class=\"todo\">Block egress to the callback hosts (and watch DNS for them): ", o);
        for (size_t i = 0; i < nh && i < 5; i++) {
            fputs(i ? ", <code>" : "<code>", o);
            rep_html_defanged(o, r->cb_host.e[i].key, strlen(r->cb_host.e[i].key), VALUE_SHOWN);
            fputs("</code>", o);
        }
        fputs(nh > 5 ? " and more (below).</li>" : ".</li>", o);
    }
    size_t nx = rep_top_sorted(&r->exfil);
    if (nx) {
        any++;
        fputs("<li class=\"todo\">Treat as exposed and rotate what was asked for, on hosts that "
              "ran a vulnerable log4j: ", o);
        for (size_t i = 0; i < nx && i < 6; i++) {
            fputs(i ? ", <code>" : "<code>", o);
            rep_html_defanged(o, r->exfil.e[i].key, strlen(r->exfil.e[i].key), VALUE_SHOWN);
            fputs("</code>", o);
        }
        fputs(".</li>", o);
    }
    if (rep_top_sorted(&r->command)) {
        any++;
        fputs("<li class=\"todo\">Look for the second stage on exposed hosts: the commands "
              "decoded below (downloads, shells) name files and hosts to hunt for.</li>", o);
    }
    double distinct = rep_hll_count(&r->src_hll);
    if (distinct >= 20) {
        any++;
        fputs("<li class=\"todo\">IP blocking will not keep up: about ", o);
        num(o, (uint64_t)llround(distinct));
        fputs(" distinct sources. Patch or mitigate the vulnerable services instead.</li>", o);
    }
    if (r->act[REP_ACT_DETECT] && !r->act[REP_ACT_BLOCK]) {
        any++;
        fputs("<li class=\"todo\">nginx only detects: set <code>defuse_mode block</code> once "
              "the detections are checked.</li>", o);
    }
    if (r->act[REP_ACT_PASS]) {
        any++;
        fputs("<li class=\"todo\">", o);
        num(o, r->act[REP_ACT_PASS]);
        fputs(" requests went through nginx partially scanned (limits): review "
              "<code>defuse_body_limit</code> and <code>defuse_body_overflow</code>.</li>", o);
    }
    size_t no = rep_top_sorted(&r->exp_overdue);
    if (no) {
        any++;
        fputs("<li class=\"todo\">Past their SLA: ", o);
        for (size_t i = 0; i < no && i < 8; i++) {
            const char *k = r->exp_overdue.e[i].key;
            const char *sep = strchr(k, '\x1f');
            fputs(i ? ", <code>" : "<code>", o);
            rep_html_esc(o, k, sep ? (size_t)(sep - k) : strlen(k), VALUE_SHOWN);
            fputs("</code>", o);
            if (sep) {
                const char *sep2 = strchr(sep + 1, '\x1f');
                fputs(" (", o);
                rep_html_esc(o, sep + 1, sep2 ? (size_t)(sep2 - sep - 1) : strlen(sep + 1), 40);
                fputs(")", o);
            }
        }
        fputs(no > 8 ? " and more.</li>" : ".</li>", o);
    }
    if (rep_top_sorted(&r->vendor_overdue)) {
        any++;
        fputs("<li class=\"todo\">Chase the vendors whose follow-up is due (Exposure, below).</li>", o);
    }
    if (!any)
        fputs("<li>Nothing in these inputs calls for action.</li>", o);
    fputs("</ul></section>\n", o);
}

static void section_summary(FILE *o, rep *r, const bins *bs, int peak) {
    fputs("<section id=\"summary\"><div class=\"cards\">", o);
    fputs("<div class=\"card\">", o);
    numid(o, "n-findings", r->findings);
    fputs("<small>findings</small></div>", o);
    for (int k = 0; k < REP_KINDS; k++) {
        char id[32];
        snprintf(id, sizeof id, "n-kind-%s", defuse_kind_name((defuse_kind)k));
        fprintf(o, "<div class=\"card\" style=\"border-top:3px solid %s\">", kind_color[k]);
        numid(o, id, r->kind[k]);
        fprintf(o, "<small>%s</small></div>", defuse_kind_name((defuse_kind)k));
    }
    if (r->src.total) {
        fputs("<div class=\"card\">", o);
        numid(o, "n-sources", (uint64_t)llround(rep_hll_count(&r->src_hll)));
        fputs("<small>distinct sources (&asymp;)</small></div>", o);
    }
    if (r->internal_src.total) {
        fputs("<div class=\"card\" style=\"border-top:3px solid #c0392b\">", o);
        numid(o, "n-internal", (uint64_t)llround(rep_hll_count(&r->internal_hll)));
        fputs("<small>internal sources (&asymp;)</small></div>", o);
    }
    uint64_t lines = r->in_lines[REP_IN_LOG] ? r->in_lines[REP_IN_LOG] : r->summary_lines;
    if (lines) {
        fputs("<div class=\"card\">", o);
        numid(o, "n-lines", lines);
        fputs("<small>log lines read</small></div>", o);
    }
    fputs("</div>", o);
    if (r->first_ms != INT64_MAX) {
        char a[40], b[40], c[40] = "";
        fmt_time(a, sizeof a, r->first_ms / 1000, 1);
        fmt_time(b, sizeof b, r->last_ms / 1000, 1);
        if (peak >= 0)
            fmt_time(c, sizeof c, bin_start(bs, peak), 1);
        fprintf(o, "<p class=\"meta\">First attempt <time id=\"t-first\">%s</time> UTC, "
                   "last <time id=\"t-last\">%s</time> UTC", a, b);
        if (peak >= 0) {
            fprintf(o, ", peak %s <time id=\"t-peak\">%s</time> (", bs->unit == 60 ? "minute" : "hour", c);
            num(o, bin_findings(&bs->b[peak]));
            fputs(" findings)", o);
            if (bs->g > 1)
                fprintf(o, " in bins of %" PRId64 " %s", bs->g, bs->unit == 60 ? "minutes" : "hours");
        }
        fputs(".</p>", o);
    }
    fputs("</section>\n", o);
}

static void section_spike(FILE *o, rep *r, const bins *bs, const int mark[3]) {
    if (!bs->n || !r->findings)
        return;
    int n = bs->n;
    uint64_t *v = calloc((size_t)n * (REP_KINDS + 1), sizeof *v);
    if (!v)
        return;
    series s[REP_KINDS];
    int ns = 0;
    uint64_t *lines = v + (size_t)n * REP_KINDS;
    int have_lines = 0;
    for (int i = 0; i < n; i++) {
        lines[i] = bs->b[i].lines;
        have_lines |= lines[i] != 0;
    }
    for (int k = 0; k < REP_KINDS; k++) {
        if (!r->kind[k])
            continue;
        for (int i = 0; i < n; i++)
            v[(size_t)ns * n + i] = bs->b[i].kind[k];
        s[ns] = (series){defuse_kind_name((defuse_kind)k), kind_color[k], v + (size_t)ns * n};
        ns++;
    }
    const char *unit = bs->unit == 60 ? "minute" : "hour";
    fprintf(o, "<section id=\"spike\"><h2>The spike</h2><p class=\"meta\">Findings per %s%s by "
               "kind%s. The second panel uses a logarithmic scale so that one burst does not "
               "flatten the rest.</p>",
            bs->g > 1 ? "bin" : unit, bs->g > 1 ? "" : "", have_lines ? ", beside the volume of all log lines" : "");
    if (bs->outside) {
        fputs("<p class=\"note\">", o);
        num(o, bs->outside);
        fputs(" findings lie in another period (over a week apart) and are counted but not "
              "charted.</p>", o);
    }
    chart c = {"chart-spike", "findings over time (linear)", n, s, ns, 0,
               have_lines ? lines : NULL, "log lines", {mark[0], mark[1], mark[2]}, bs};
    draw_chart(o, &c);
    c.id = "chart-spike-log";
    c.label = "findings over time (log scale)";
    c.logscale = 1;
    draw_chart(o, &c);
    /* the numbers, for reading and for tests */
    fprintf(o, "<details><summary>The numbers per %s</summary><table id=\"spike-table\"><thead>"
               "<tr><th>%s (UTC)</th>",
            bs->g > 1 ? "bin" : unit, bs->g > 1 ? "bin start" : unit);
    for (int k = 0; k < REP_KINDS; k++)
        fprintf(o, "<th class=\"n\">%s</th>", defuse_kind_name((defuse_kind)k));
    fputs("<th class=\"n\">log lines</th></tr></thead><tbody>", o);
    for (int i = 0; i < n; i++) {
        if (!bin_findings(&bs->b[i]) && !bs->b[i].lines)
            continue;
        char t[40];
        fmt_time(t, sizeof t, bin_start(bs, i), 1);
        fprintf(o, "<tr><td>%s</td>", t);
        for (int k = 0; k < REP_KINDS; k++)
            fprintf(o, "<td class=\"n\" data-n=\"%" PRIu64 "\">%" PRIu64 "</td>", bs->b[i].kind[k],
                    bs->b[i].kind[k]);
        fprintf(o, "<td class=\"n\" data-n=\"%" PRIu64 "\">%" PRIu64 "</td></tr>", bs->b[i].lines,
                bs->b[i].lines);
    }
    fputs("</tbody></table></details></section>\n", o);
    free(v);
}

static void section_who(FILE *o, rep *r, const bins *bs) {
    if (!r->src.total && !r->internal_src.total)
        return;
    fputs("<section id=\"who\"><h2>Who</h2>", o);
    if (r->internal_src.total) {
        fputs("<h3>Internal sources</h3><p class=\"meta\">Attempts or honeypot contacts from "
              "addresses inside the network (RFC 1918, RFC 4193 and <code>--internal</code>): "
              "a compromised or scanning host of your own.</p>",
              o);
        const char *h[1] = {"source"};
        const int m[1] = {COL_PLAIN};
        top_table(o, "internal-sources", &r->internal_src, 50, h, m, 1, "events", 1);
    }
    if (r->src.total) {
        fputs("<div class=\"cols\"><div><h3>Top sources by attempts</h3>", o);
        const char *h[1] = {"source"};
        const int m[1] = {COL_PLAIN};
        top_table(o, "top-sources", &r->src, TOP_ROWS, h, m, 1, "attempts", 1);
        fputs("</div><div><h3>Distinct sources over time</h3><p class=\"meta\">Why blocking "
              "addresses failed: new ones every ",
              o);
        fputs(bs->unit == 60 ? "minute" : "hour", o);
        fputs(" (&asymp;, per bin).</p>", o);
        if (bs->n) {
            uint64_t *v = calloc((size_t)bs->n, sizeof *v);
            if (v) {
                for (int i = 0; i < bs->n; i++)
                    v[i] = bin_findings(&bs->b[i]) || bs->b[i].hp ? bin_distinct(&bs->b[i]) : 0;
                series s = {"distinct sources", "#16a085", v};
                chart c = {"chart-distinct", "distinct sources over time", bs->n, &s, 1, 0,
                           NULL, NULL, {-1, -1, -1}, bs};
                draw_chart(o, &c);
                free(v);
            }
        }
        fputs("</div></div>", o);
    }
    fputs("</section>\n", o);
}

static void section_what(FILE *o, rep *r) {
    if (!r->cb_host.total && !r->exfil.total && !r->command.total && !r->technique.total)
        return;
    fputs("<section id=\"what\"><h2>What they wanted</h2><p class=\"meta\">Every value is "
          "defanged (<code>[.]</code>, <code>[:]//</code>, <code>$\\{</code>): copy it into a "
          "blocklist or a search, not a browser.</p><div class=\"cols\">",
          o);
    if (r->cb_host.total) {
        fputs("<div><h3>Callback hosts</h3>", o);
        simple_table(o, "callback-hosts", &r->cb_host, TOP_ROWS, "host", 1);
        fputs("</div>", o);
    }
    if (r->cb_port.total) {
        fputs("<div><h3>Callback schemes and ports</h3>", o);
        simple_table(o, "callback-ports", &r->cb_port, TOP_ROWS, "scheme port", 1);
        fputs("</div>", o);
    }
    if (r->exfil.total) {
        fputs("<div><h3>Exfiltration keys tried</h3>", o);
        simple_table(o, "exfil-keys", &r->exfil, TOP_ROWS, "key", 1);
        fputs("</div>", o);
    }
    if (r->command.total) {
        fputs("<div><h3>Decoded JNDIExploit commands</h3>", o);
        simple_table(o, "commands", &r->command, TOP_ROWS, "command", 1);
        fputs("</div>", o);
    }
    if (r->technique.total) {
        fputs("<div><h3>Obfuscation techniques, ranked</h3>", o);
        simple_table(o, "techniques", &r->technique, TOP_ROWS, "technique", 1);
        fputs("</div>", o);
    }
    fputs("</div></section>\n", o);
}

static void section_edge(FILE *o, rep *r, const bins *bs, const bins *bh) {
    uint64_t acts = r->act[0] + r->act[1] + r->act[2];
    if (!acts && !r->in_lines[REP_IN_HONEYPOT])
        return;
    fputs("<section id=\"edge\"><h2>Edge</h2>", o);
    if (acts) {
        fputs("<h3>nginx</h3><div class=\"cards\">", o);
        for (int a = 0; a < REP_ACTS; a++) {
            char id[32];
            snprintf(id, sizeof id, "n-nginx-%s", act_name[a]);
            fprintf(o, "<div class=\"card\" style=\"border-top:3px solid %s\">", act_color[a]);
            numid(o, id, r->act[a]);
            fprintf(o, "<small>%s</small></div>", act_name[a]);
        }
        fputs("</div><p class=\"meta\">Lines of <code>defuse_log</code> (one per finding in a "
              "request; passed: partially scanned requests let through).</p>",
              o);
        if (bs->n) {
            uint64_t *v = calloc((size_t)bs->n * REP_ACTS, sizeof *v);
            if (v) {
                series s[REP_ACTS];
                int ns = 0;
                for (int a = 0; a < REP_ACTS; a++) {
                    if (!r->act[a])
                        continue;
                    for (int i = 0; i < bs->n; i++)
                        v[(size_t)ns * bs->n + i] = bs->b[i].act[a];
                    s[ns] = (series){act_name[a], act_color[a], v + (size_t)ns * bs->n};
                    ns++;
                }
                chart c = {"chart-nginx", "nginx blocked, detected and passed over time", bs->n,
                           s, ns, 0, NULL, NULL, {-1, -1, -1}, bs};
                draw_chart(o, &c);
                free(v);
            }
        }
    }
    if (r->in_lines[REP_IN_HONEYPOT]) {
        fputs("<h3>Honeypot</h3><div class=\"cards\"><div class=\"card\">", o);
        numid(o, "n-hp-events", r->in_lines[REP_IN_HONEYPOT]);
        fputs("<small>honeypot events</small></div></div>", o);
        if (bh->n) {
            uint64_t *v = calloc((size_t)bh->n, sizeof *v);
            if (v) {
                int any = 0;
                for (int i = 0; i < bh->n; i++)
                    any |= (v[i] = bh->b[i].hp) != 0;
                series s = {"honeypot events", "#2c3e50", v};
                chart c = {"chart-honeypot", "honeypot events over time", bh->n, &s, 1, 0,
                           NULL, NULL, {-1, -1, -1}, bh};
                if (any && bh->n >= 3) /* one or two bins: the tables say it */
                    draw_chart(o, &c);
                free(v);
            }
        }
        fputs("<div class=\"cols\">", o);
        if (r->hp_listener.total) {
            fputs("<div><h3>By listener</h3>", o);
            simple_table(o, "hp-listeners", &r->hp_listener, TOP_ROWS, "listener", 0);
            fputs("</div>", o);
        }
        if (r->hp_protocol.total) {
            fputs("<div><h3>By protocol</h3>", o);
            simple_table(o, "hp-protocols", &r->hp_protocol, TOP_ROWS, "protocol", 0);
            fputs("</div>", o);
        }
        fputs("<div><h3>By event</h3>", o);
        simple_table(o, "hp-events", &r->hp_event, TOP_ROWS, "event", 0);
        fputs("</div>", o);
        if (r->hp_src.total) {
            fputs("<div><h3>Honeypot contacts by source</h3>", o);
            const char *h[1] = {"source"};
            const int m[1] = {COL_PLAIN};
            top_table(o, "hp-sources", &r->hp_src, TOP_ROWS, h, m, 1, "events", 1);
            fputs("</div>", o);
        }
        fputs("</div>", o);
    }
    fputs("</section>\n", o);
}

static void section_exposure(FILE *o, rep *r) {
    if (!r->have_register)
        return;
    fputs("<section id=\"exposure\"><h2>Exposure</h2><div class=\"cards\"><div class=\"card\">", o);
    numid(o, "n-exp-open", r->exp_open);
    fputs("<small>open exposures</small></div><div class=\"card\">", o);
    numid(o, "n-exp-closed", r->exp_closed);
    fputs("<small>closed (mitigated, fixed, accepted, false positive)</small></div>", o);
    rep_top_sorted(&r->exp_sla);
    for (size_t i = 0; i < r->exp_sla.n; i++) {
        char id[64];
        snprintf(id, sizeof id, "n-sla-%.40s", r->exp_sla.e[i].key);
        for (char *p = id; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
                *p = '_';
        fprintf(o, "<div class=\"card\"%s>",
                strcmp(r->exp_sla.e[i].key, "breached") ? "" : " style=\"border-top:3px solid #c0392b\"");
        numid(o, id, r->exp_sla.e[i].n);
        fputs("<small>SLA ", o);
        rep_html_esc(o, r->exp_sla.e[i].key, strlen(r->exp_sla.e[i].key), 40);
        fputs("</small></div>", o);
    }
    fputs("</div>", o);
    /* burndown */
    enum { BD = sizeof r->burn_open / sizeof r->burn_open[0] };
    uint64_t v[BD];
    int any = 0;
    for (int i = 0; i < BD; i++)
        any |= (v[i] = r->burn_open[i]) != 0;
    if (any) {
        int from = 0; /* from the day before the first exposure, 14 days at least */
        while (from < BD - 14 && !v[from + 1])
            from++;
        bins bs = {NULL, BD - from, r->burn_start + from, 1, 86400, 0};
        series s = {"open exposures at the end of the day", "#c0392b", v + from};
        chart c = {"chart-burndown", "burndown: open exposures per day", BD - from, &s, 1, 0,
                   NULL, NULL, {-1, -1, -1}, &bs};
        fputs("<h3>Burndown</h3>", o);
        draw_chart(o, &c);
    }
    fputs("<div class=\"cols\">", o);
    if (r->exp_env_cve.total) {
        const char *h[2] = {"environment", "CVE"};
        const int m[2] = {COL_PLAIN, COL_PLAIN};
        fputs("<div><h3>Open exposures by environment and CVE</h3>", o);
        top_table(o, "exp-env-cve", &r->exp_env_cve, 40, h, m, 2, "open", 0);
        fputs("</div>", o);
    }
    if (r->exp_state.total) {
        fputs("<div><h3>By state (mitigated vs fixed)</h3>", o);
        simple_table(o, "exp-states", &r->exp_state, TOP_ROWS, "state", 0);
        fputs("</div>", o);
    }
    if (r->exp_overdue.total) {
        const char *h[3] = {"asset", "CVE", "environment"};
        const int m[3] = {COL_PLAIN, COL_PLAIN, COL_PLAIN};
        fputs("<div><h3>Past their SLA</h3>", o);
        top_table(o, "exp-overdue", &r->exp_overdue, 40, h, m, 3, "hours late", 0);
        fputs("</div>", o);
    }
    if (r->vendor_status.total) {
        fputs("<div><h3>Vendors by status</h3>", o);
        simple_table(o, "vendor-status", &r->vendor_status, TOP_ROWS, "status", 0);
        fputs("</div>", o);
    }
    if (r->vendor_overdue.total) {
        fputs("<div><h3>Vendor follow-ups due</h3>", o);
        simple_table(o, "vendor-overdue", &r->vendor_overdue, 40, "vendor", 0);
        fputs("</div>", o);
    }
    fputs("</div></section>\n", o);
}

int rep_write_html(rep *r, FILE *o) {
    bins bs, bn, bh;
    memset(&bn, 0, sizeof bn);
    memset(&bh, 0, sizeof bh);
    if (make_bins(r, &bs, W_SPIKE) || make_bins(r, &bn, W_NGINX) || make_bins(r, &bh, W_HP)) {
        free(bs.b);
        free(bn.b);
        snprintf(r->err, sizeof r->err, "out of memory");
        return -1;
    }
    int mark[3] = {-1, -1, -1};
    uint64_t peakv = 0;
    for (int i = 0; i < bs.n; i++) {
        uint64_t f = bin_findings(&bs.b[i]);
        if (!f)
            continue;
        if (mark[0] < 0)
            mark[0] = i;
        mark[2] = i;
        if (f > peakv) {
            peakv = f;
            mark[1] = i;
        }
    }
    const char *title = r->o.title ? r->o.title : "defuse report";
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"referrer\" content=\"no-referrer\">\n<title>",
          o);
    rep_html_esc(o, title, strlen(title), 120);
    fprintf(o, "</title>\n<style>%s</style></head><body>\n<header><h1>", css);
    rep_html_esc(o, title, strlen(title), 120);
    char now[40];
    fmt_time(now, sizeof now, r->o.now, 1);
    fprintf(o, "</h1><p class=\"meta\">Generated %s UTC by defuse %s from ", now, defuse_version());
    static const char *const in_name[REP_INS] = {"finding lines (defuse logs --json)",
                                                 "summary lines", "nginx defuse_log lines",
                                                 "honeypot events", "raw log lines"};
    int first = 1;
    for (int i = 0; i < REP_INS; i++) {
        if (!r->in_lines[i])
            continue;
        fputs(first ? "" : ", ", o);
        first = 0;
        fprintf(o, "<span id=\"in-%d\" data-n=\"%" PRIu64 "\">", i, r->in_lines[i]);
        num(o, r->in_lines[i]);
        fprintf(o, "</span> %s", in_name[i]);
    }
    if (first)
        fputs("no input lines", o);
    if (r->have_register)
        fputs(" and the exposure register", o);
    fputs(".", o);
    if (r->no_time) {
        fputs(" ", o);
        num(o, r->no_time);
        fputs(" findings had no time (counted, not charted).", o);
    }
    if (r->hours.dropped) {
        fputs(" Times past the charted range: ", o);
        num(o, r->hours.dropped);
        fputs(".", o);
    }
    fputs("</p></header>\n", o);
    uint64_t nin = 0;
    for (int i = 0; i < REP_INS; i++)
        nin += r->in_lines[i];
    if (nin || !r->have_register)
        section_summary(o, r, &bs, mark[1]);
    section_next(o, r);
    section_spike(o, r, &bs, mark);
    section_who(o, r, &bs);
    section_what(o, r);
    section_edge(o, r, &bn, &bh);
    section_exposure(o, r);
    fputs("<footer class=\"note\"><p>Self-contained page: no script, no request leaves it "
          "(Content-Security-Policy). Counts marked &asymp; are estimates (distinct counting "
          "sketches); top lists are bounded tables.</p></footer>\n</body></html>\n",
          o);
    free(bs.b);
    free(bn.b);
    free(bh.b);
    return ferror(o) ? -1 : 0;
}
