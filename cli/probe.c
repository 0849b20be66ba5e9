/*
 * probe.c -- `defuse probe`: proves which of our own HTTP services are
 * exploitable by sending each injection point a JNDI payload whose name
 * carries a token, and recording which tokens call back to our own
 * listener (probe/probe_listen.c, the honeypot's protocol code).
 *
 * Safety before anything is sent: every target must lie inside --scope
 * (its host name listed, or every address it resolves to inside a listed
 * CIDR); the address checked is the one connected to (CURLOPT_RESOLVE), no
 * proxy, no redirect.  Every request carries the banner (User-Agent suffix
 * and X-Defuse-Probe).  Payloads read nothing of the target.
 * HTTP with libcurl's multi interface (Debian libcurl4-openssl-dev): per
 * host at most --concurrency requests at once, at most --rate per second.
 */
#include "cli.h"
#include "probe.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

const char cli_help_probe[] =
    "usage: defuse probe --scope LIST --callback HOST:PORT [options] URL...\n"
    "\n"
    "Proves which of your own HTTP services are exploitable through\n"
    "Log4Shell (CVE-2021-44228): sends each injection point of each target a\n"
    "${jndi:...} payload whose name carries a unique token, listens for the\n"
    "callbacks itself (LDAP and RMI over TCP, DNS over UDP, all on the\n"
    "callback port) and reports which target, injection point and variant\n"
    "called back.  The listener never serves an object or a class.\n"
    "\n"
    "Injection points (--points, default all):\n"
    "  path     the payload as a last path segment (percent-encoded)\n"
    "  query    ?NAME=PAYLOAD for each parameter name (--params)\n"
    "  header   each header of the header list (--headers, --add-header)\n"
    "  form     POST NAME=PAYLOAD (application/x-www-form-urlencoded)\n"
    "  json     POST {\"NAME\": \"PAYLOAD\"} (application/json)\n"
    "  multipart  POST multipart/form-data, one part named NAME\n"
    "  xml      POST <request><NAME>PAYLOAD</NAME></request> (application/xml)\n"
    "One request per injection point and variant; nothing else of the\n"
    "request carries a payload, so a callback names exactly one point.\n"
    "\n"
    "Scope and safety:\n"
    "  --scope LIST        comma-separated CIDRs, addresses, host names and\n"
    "                      *.domain entries (required, repeatable).  A target\n"
    "                      whose host is not listed by name and does not\n"
    "                      resolve only to addresses inside a listed CIDR is\n"
    "                      refused, and then nothing at all is sent (exit 2)\n"
    "  --rate N            requests per second per host (default 20)\n"
    "  --concurrency N     requests at once per host (default 4)\n"
    "  --max-connections N requests at once in all (default 256)\n"
    "  --timeout SEC       per request (default 10)\n"
    "  --wait SEC          how long to wait for late callbacks after the last\n"
    "                      response (default 10)\n"
    "  --contact TEXT      who runs the probe (put in the banner)\n"
    "  --dry-run           print the requests, send nothing, listen on nothing\n"
    "  --insecure          do not verify HTTPS certificates\n"
    "Every request carries `X-Defuse-Probe: run=ID; token=TOKEN; contact=TEXT`\n"
    "and ends its User-Agent with `defuse-probe/VERSION (+TEXT)`.\n"
    "\n"
    "Callback:\n"
    "  --callback HOST:PORT  the address the targets reach us at (written\n"
    "                        into the payloads; required)\n"
    "  --listen ADDR[:PORT]  where the listener binds (default: HOST when\n"
    "                        it is an address, else 0.0.0.0; the PORT of\n"
    "                        --callback)\n"
    "\n";
/* printed after cli_help_probe (one C string may hold 4,095 bytes) */
const char cli_help_probe_more[] =
    "Payloads:\n"
    "  --variants LIST     plain, lower, upper, default, nested, rmi, dns\n"
    "                      (default all; each built payload is checked with\n"
    "                      libdefuse's emulator before it is sent)\n"
    "  --params LIST       parameter names (default q,id,search,user,username,\n"
    "                      name,email)\n"
    "  --headers LIST      replace the header list; --add-header NAME adds one.\n"
    "                      Default: User-Agent, Referer, X-Forwarded-For,\n"
    "                      X-Real-IP, X-Client-IP, True-Client-IP, Forwarded,\n"
    "                      X-Api-Version, Authorization, Cookie,\n"
    "                      Accept-Language, Origin, X-Request-Id, From,\n"
    "                      Contact, X-Wap-Profile, X-Forwarded-Host, Host\n"
    "                      (Host: the connection still goes to the URL's\n"
    "                      address, checked against --scope)\n"
    "  --points LIST       injection point kinds (above)\n"
    "  --targets FILE      more URLs, one per line (# comments)\n"
    "\n"
    "Output:\n"
    "  --format table|json|sarif   (default table; --json = --format json)\n"
    "  --register DB [--asset NAME] [--env ENV]\n"
    "                      record each asset's verdict in the exposure register\n"
    "                      DB (SQLite file or postgresql://...): exploitable,\n"
    "                      not-reached, blocked or unreachable, with what fired\n"
    "                      (`defuse register assets` and `history` show it).\n"
    "                      The asset is NAME for every target, else each\n"
    "                      target's host name; --env for assets not yet there\n"
    "\n"
    "Exit status: 0 nothing exploitable, 1 something exploitable, 2 errors\n"
    "(including a target outside --scope).  See docs/probe.md.\n";

enum { PT_PATH, PT_QUERY, PT_HEADER, PT_FORM, PT_JSON, PT_MULTIPART, PT_XML, PT_COUNT };
static const char *const point_kind[PT_COUNT] = {"path", "query",     "header", "form",
                                                 "json", "multipart", "xml"};

static const char *const default_headers[] = {
    "User-Agent",    "Referer",        "X-Forwarded-For", "X-Real-IP",
    "X-Client-IP",   "True-Client-IP", "Forwarded",       "X-Api-Version",
    "Authorization", "Cookie",         "Accept-Language", "Origin",
    "X-Request-Id",  "From",           "Contact",         "X-Wap-Profile",
    "X-Forwarded-Host", "Host"};
static const char *const default_params[] = {"q",        "id",   "search", "user",
                                             "username", "name", "email"};

#define MAX_NAMES 128
#define MAX_TARGETS 100000

typedef struct names {
    char *v[MAX_NAMES];
    size_t n;
} names;

typedef struct target {
    char *url;
    char host[256]; /* as in the URL (IPv6 without brackets) */
    char addr[INET6_ADDRSTRLEN];
    long port;
    char resolve[600];
    size_t host_slot; /* index into the hosts table */
    size_t first, nreq;
} target;

typedef struct request {
    size_t target;
    int kind;
    const char *name; /* parameter or header */
    const probe_variant *v;
    char token[PROBE_TOKEN_LEN + 1];
    char payload[PROBE_MAX_PAYLOAD];
    /* results */
    int started, done;
    long status;
    char error[96];
    double sent;
    int hit; /* index into hits + 1, 0 none */
    CURL *easy;
    struct curl_slist *hdrs, *resolve_list;
    char *url, *body;
} request;

typedef struct hostq {
    char key[300];
    size_t *queue, nq, qpos; /* request indices */
    unsigned inflight;
    double next;
} hostq;

typedef struct opts {
    probe_scope scope;
    int have_scope;
    char callback[300], cb_host[256], listen_addr[256];
    unsigned cb_port, listen_port;
    int points[PT_COUNT];
    names headers, params;
    const probe_variant *variants[16];
    size_t nvariants;
    double rate, timeout, wait;
    unsigned conc, maxconn;
    const char *contact, *format;
    const char *reg_db, *reg_asset, *reg_env; /* --register, --asset, --env */
    int dry_run, insecure;
} opts;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int split_names(names *ns, const char *s, const char *what) {
    while (*s) {
        size_t l = strcspn(s, ",");
        if (l) {
            if (ns->n >= MAX_NAMES) {
                fprintf(stderr, "defuse probe: more than %d %s\n", MAX_NAMES, what);
                return -1;
            }
            for (size_t i = 0; i < l; i++)
                if ((unsigned char)s[i] <= ' ' || s[i] == ':' || (unsigned char)s[i] >= 0x7f) {
                    fprintf(stderr, "defuse probe: %s: '%.*s' is not a valid name\n", what, (int)l,
                            s);
                    return -1;
                }
            ns->v[ns->n++] = strndup(s, l);
        }
        s += l;
        if (*s)
            s++;
    }
    return 0;
}

/* A parameter name usable as an XML element name and inside a multipart
 * part's name="..." as it is (no quoting or escaping needed): the ASCII
 * subset of XML's Name without ':'. */
static int xml_name(const char *s) {
    if (!isalpha((unsigned char)*s) && *s != '_')
        return 0;
    for (s++; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_-.", *s))
            return 0;
    return 1;
}

static void free_names(names *ns) {
    for (size_t i = 0; i < ns->n; i++)
        free(ns->v[i]);
    ns->n = 0;
}

/* Percent-encodes everything but RFC 3986 unreserved characters. */
static void pct(const char *s, char *out, size_t outsz) {
    static const char hx[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < outsz; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hx[c >> 4];
            out[o++] = hx[c & 15];
        }
    }
    out[o] = '\0';
}

/* Splits HOST:PORT ([v6]:PORT).  Returns 0 or -1. */
static int host_port(const char *s, char *host, size_t hsz, unsigned *port) {
    const char *colon;
    const char *h = s;
    size_t hl;
    if (s[0] == '[') {
        const char *e = strchr(s, ']');
        if (!e || e[1] != ':')
            return -1;
        h = s + 1;
        hl = (size_t)(e - h);
        colon = e + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return -1;
        hl = (size_t)(colon - s);
    }
    char *end;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (!hl || hl >= hsz || *end || end == colon + 1 || p == 0 || p > 65535)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (unsigned)p;
    return 0;
}

/* The scope check of one target: fills t (host, port, the pinned address).
 * Returns 0, or -1 with the reason printed. */
static int check_target(const opts *o, target *t) {
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    int rc = -1;
    if (!u || curl_url_set(u, CURLUPART_URL, t->url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        fprintf(stderr, "defuse probe: %s: not a URL\n", t->url);
        goto out;
    }
    if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https")) {
        fprintf(stderr, "defuse probe: %s: only http and https targets\n", t->url);
        goto out;
    }
    size_t hl = strlen(host);
    const char *h = host;
    if (h[0] == '[' && hl > 2) {
        h++;
        hl -= 2;
    }
    if (hl >= sizeof t->host) {
        fprintf(stderr, "defuse probe: %s: host name too long\n", t->url);
        goto out;
    }
    memcpy(t->host, h, hl);
    t->host[hl] = '\0';
    t->port = strtol(port, NULL, 10);
    int by_name = probe_scope_name(&o->scope, t->host);
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(t->host, NULL, &hints, &ai);
    if (g != 0 || !ai) {
        fprintf(stderr, "defuse probe: %s: cannot resolve %s: %s\n", t->url, t->host,
                gai_strerror(g));
        goto out;
    }
    int inside = 1;
    char bad[INET6_ADDRSTRLEN] = "";
    for (struct addrinfo *a = ai; a; a = a->ai_next) {
        if (!by_name && !probe_scope_addr(&o->scope, a->ai_addr)) {
            inside = 0;
            getnameinfo(a->ai_addr, a->ai_addrlen, bad, sizeof bad, NULL, 0, NI_NUMERICHOST);
            break;
        }
    }
    getnameinfo(ai->ai_addr, ai->ai_addrlen, t->addr, sizeof t->addr, NULL, 0, NI_NUMERICHOST);
    freeaddrinfo(ai);
    if (!inside) {
        fprintf(stderr, "defuse probe: %s: refused: %s (%s) is outside --scope; nothing was sent\n",
                t->url, t->host, bad);
        goto out;
    }
    int v6 = strchr(t->addr, ':') != NULL;
    snprintf(t->resolve, sizeof t->resolve, "%s:%ld:%s%s%s", t->host, t->port, v6 ? "[" : "",
             t->addr, v6 ? "]" : "");
    rc = 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

/* The request's URL (path or query injection applied). malloc'd. */
static char *request_url(const target *t, const request *r) {
    char enc[PROBE_MAX_PAYLOAD * 3 + 1];
    CURLU *u = curl_url();
    char *path = NULL, *url = NULL, *res = NULL;
    if (!u || curl_url_set(u, CURLUPART_URL, t->url, 0) != CURLUE_OK)
        goto out;
    pct(r->payload, enc, sizeof enc);
    if (r->kind == PT_PATH) {
        if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
            goto out;
        size_t pl = strlen(path);
        size_t nl = pl + strlen(enc) + 2;
        char *np = malloc(nl);
        if (!np)
            goto out;
        snprintf(np, nl, "%s%s%s", path, pl && path[pl - 1] == '/' ? "" : "/", enc);
        CURLUcode c = curl_url_set(u, CURLUPART_PATH, np, 0);
        free(np);
        if (c != CURLUE_OK)
            goto out;
    } else if (r->kind == PT_QUERY) {
        size_t ql = strlen(r->name) + strlen(enc) + 2;
        char *q = malloc(ql);
        if (!q)
            goto out;
        snprintf(q, ql, "%s=%s", r->name, enc);
        CURLUcode c = curl_url_set(u, CURLUPART_QUERY, q, CURLU_APPENDQUERY);
        free(q);
        if (c != CURLUE_OK)
            goto out;
    }
    if (curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK)
        goto out;
    res = strdup(url);
out:
    curl_free(path);
    curl_free(url);
    curl_url_cleanup(u);
    return res;
}

/* Fills r->url, r->hdrs, r->body. Returns 0 or -1. */
static int build_request(const opts *o, uint32_t run_id, const target *t, request *r) {
    char line[PROBE_MAX_PAYLOAD + 800];
    char banner[400];
    snprintf(banner, sizeof banner, "defuse-probe/%s (+%s)", defuse_version(),
             o->contact ? o->contact : "authorized Log4Shell test");
    r->url = request_url(t, r);
    if (!r->url)
        return -1;
    int ua_injected = r->kind == PT_HEADER && !strcasecmp(r->name, "User-Agent");
    snprintf(line, sizeof line, "User-Agent: %s%s%s", ua_injected ? r->payload : "Mozilla/5.0", " ",
             banner);
    r->hdrs = curl_slist_append(r->hdrs, line);
    snprintf(line, sizeof line, "X-Defuse-Probe: run=%08x; token=%s; contact=%s", run_id, r->token,
             o->contact ? o->contact : "-");
    r->hdrs = curl_slist_append(r->hdrs, line);
    if (r->kind == PT_HEADER && !ua_injected) {
        snprintf(line, sizeof line, "%s: %s", r->name, r->payload);
        r->hdrs = curl_slist_append(r->hdrs, line);
    }
    if (r->kind == PT_FORM) {
        char enc[PROBE_MAX_PAYLOAD * 3 + 1];
        pct(r->payload, enc, sizeof enc);
        size_t bl = strlen(r->name) + strlen(enc) + 2;
        r->body = malloc(bl);
        if (!r->body)
            return -1;
        snprintf(r->body, bl, "%s=%s", r->name, enc);
        r->hdrs = curl_slist_append(r->hdrs, "Content-Type: application/x-www-form-urlencoded");
    } else if (r->kind == PT_MULTIPART) {
        /* one part; the boundary carries the token (unique, never in the payload) */
        char boundary[64];
        snprintf(boundary, sizeof boundary, "defuse-probe-%s", r->token);
        size_t bl = 2 * strlen(boundary) + strlen(r->name) + strlen(r->payload) + 128;
        r->body = malloc(bl);
        if (!r->body)
            return -1;
        snprintf(r->body, bl,
                 "--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n--%s--\r\n",
                 boundary, r->name, r->payload, boundary);
        snprintf(line, sizeof line, "Content-Type: multipart/form-data; boundary=%s", boundary);
        r->hdrs = curl_slist_append(r->hdrs, line);
    } else if (r->kind == PT_XML) {
        /* the payload as an element's text; & < > escaped (payloads hold none
         * today, a custom variant might) */
        char esc[PROBE_MAX_PAYLOAD * 5 + 1];
        size_t n = 0;
        for (const char *c = r->payload; *c && n + 6 < sizeof esc; c++) {
            const char *e = *c == '&' ? "&amp;" : *c == '<' ? "&lt;" : *c == '>' ? "&gt;" : NULL;
            if (e) {
                memcpy(esc + n, e, strlen(e));
                n += strlen(e);
            } else {
                esc[n++] = *c;
            }
        }
        esc[n] = 0;
        size_t bl = 2 * strlen(r->name) + n + 64;
        r->body = malloc(bl);
        if (!r->body)
            return -1;
        snprintf(r->body, bl, "<?xml version=\"1.0\"?><request><%s>%s</%s></request>", r->name,
                 esc, r->name);
        r->hdrs = curl_slist_append(r->hdrs, "Content-Type: application/xml");
    } else if (r->kind == PT_JSON) {
        json_t *j = json_pack("{ss}", r->name, r->payload);
        r->body = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!r->body)
            return -1;
        r->hdrs = curl_slist_append(r->hdrs, "Content-Type: application/json");
    }
    return r->hdrs ? 0 : -1;
}

static void print_request(const request *r) {
    printf("%s %s\n", r->body ? "POST" : "GET", r->url);
    for (const struct curl_slist *h = r->hdrs; h; h = h->next)
        printf("  %s\n", h->data);
    if (r->body) { /* each body line indented, CRLF shown as line ends */
        printf("  \n  ");
        for (const char *c = r->body; *c; c++)
            if (*c == '\n')
                fputs(c[1] ? "\n  " : "", stdout);
            else if (*c != '\r')
                putchar(*c);
        putchar('\n');
    }
    printf("\n");
}

static size_t discard(char *p, size_t sz, size_t n, void *u) {
    (void)p;
    (void)u;
    return sz * n;
}

static CURL *make_easy(const opts *o, const target *t, request *r) {
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    struct curl_slist *res = NULL;
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(o->timeout * 1000));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    res = curl_slist_append(NULL, t->resolve); /* connect to the address checked */
    curl_easy_setopt(e, CURLOPT_RESOLVE, res);
    if (o->insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (r->body)
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
    r->easy = e;
    r->resolve_list = res; /* must outlive the transfer: freed with it */
    r->started = 1;
    r->sent = now_s();
    return e;
}

static void request_free(request *r) {
    if (r->easy)
        curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->hdrs);
    curl_slist_free_all(r->resolve_list);
    free(r->url);
    free(r->body);
    r->easy = NULL;
    r->hdrs = r->resolve_list = NULL;
    r->url = r->body = NULL;
}

/* Sends every request: per host at most o->conc at once, o->rate a second. */
static int send_all(const opts *o, target *tg, size_t nt, request *rq, hostq *hosts, size_t nh) {
    CURLM *m = curl_multi_init();
    if (!m)
        return -1;
    size_t left = 0;
    for (size_t i = 0; i < nh; i++)
        left += hosts[i].nq;
    unsigned running = 0;
    double gap = o->rate > 0 ? 1.0 / o->rate : 0;
    while (left || running) {
        double t = now_s(), wake = t + 0.1;
        for (size_t i = 0; i < nh; i++) {
            hostq *h = &hosts[i];
            while (h->qpos < h->nq && h->inflight < o->conc && t >= h->next &&
                   running < o->maxconn) {
                request *r = &rq[h->queue[h->qpos++]];
                left--;
                CURL *e = make_easy(o, &tg[r->target], r);
                if (!e || curl_multi_add_handle(m, e) != CURLM_OK) {
                    snprintf(r->error, sizeof r->error, "cannot start the request");
                    r->done = 1;
                    continue;
                }
                h->inflight++;
                running++;
                h->next = (h->next > t - gap ? h->next : t) + gap;
            }
            if (h->qpos < h->nq && h->inflight < o->conc && h->next < wake)
                wake = h->next;
        }
        int still;
        curl_multi_perform(m, &still);
        CURLMsg *msg;
        int q;
        while ((msg = curl_multi_info_read(m, &q))) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            request *r = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
            if (!r)
                continue;
            if (msg->data.result == CURLE_OK)
                curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &r->status);
            else
                snprintf(r->error, sizeof r->error, "%s", curl_easy_strerror(msg->data.result));
            r->done = 1;
            curl_multi_remove_handle(m, msg->easy_handle);
            hosts[tg[r->target].host_slot].inflight--;
            running--;
            request_free(r);
        }
        double ms = (wake - now_s()) * 1000;
        if (running || left)
            curl_multi_poll(m, NULL, 0, ms < 1 ? 1 : ms > 100 ? 100 : (int)ms, NULL);
    }
    curl_multi_cleanup(m);
    (void)nt;
    return 0;
}

/* ---- verdicts and output ------------------------------------------------------ */

typedef struct point_sum {
    size_t first; /* a request of the point */
    char variants[200];
    int hit;
    size_t nreq, blocked, errors;
} point_sum;

static const char *point_label(const request *r, char *buf, size_t sz) {
    if (r->kind == PT_PATH)
        snprintf(buf, sz, "path");
    else
        snprintf(buf, sz, "%s:%s", point_kind[r->kind], r->name);
    return buf;
}

static int same_point(const request *a, const request *b) {
    return a->target == b->target && a->kind == b->kind &&
           (a->kind == PT_PATH || !strcmp(a->name, b->name));
}

typedef struct tsum {
    size_t nreq, blocked, errors, exploitable_points;
    const char *verdict;
} tsum;

static tsum target_sum(const target *t, const request *rq) {
    tsum s = {0};
    s.nreq = t->nreq;
    for (size_t i = t->first; i < t->first + t->nreq; i++) {
        const request *r = &rq[i];
        if (r->error[0])
            s.errors++;
        else if (r->status == 403)
            s.blocked++;
    }
    for (size_t i = t->first; i < t->first + t->nreq;) {
        size_t j = i;
        int hit = 0;
        while (j < t->first + t->nreq && same_point(&rq[i], &rq[j]))
            hit |= rq[j++].hit != 0;
        s.exploitable_points += (size_t)hit;
        i = j;
    }
    s.verdict = s.exploitable_points            ? "exploitable"
                : s.nreq && s.blocked == s.nreq ? "blocked"
                : s.nreq && s.errors == s.nreq  ? "unreachable"
                                                : "no-callback";
    return s;
}

static json_t *results_json(const opts *o, uint32_t run_id, const target *tg, size_t nt,
                            const request *rq, const probe_hit *hits, unsigned long foreign) {
    json_t *root = json_object();
    char rid[16];
    snprintf(rid, sizeof rid, "%08x", run_id);
    json_object_set_new(root, "run_id", json_string(rid));
    json_object_set_new(root, "callback", json_string(o->callback));
    json_t *ta = json_array();
    for (size_t k = 0; k < nt; k++) {
        const target *t = &tg[k];
        tsum s = target_sum(t, rq);
        json_t *jt = json_object();
        json_object_set_new(jt, "url", json_string(t->url));
        json_object_set_new(jt, "address", json_string(t->addr));
        json_object_set_new(jt, "verdict", json_string(s.verdict));
        json_object_set_new(jt, "requests", json_integer((json_int_t)s.nreq));
        json_object_set_new(jt, "blocked", json_integer((json_int_t)s.blocked));
        json_object_set_new(jt, "errors", json_integer((json_int_t)s.errors));
        json_t *pts = json_array();
        for (size_t i = t->first; i < t->first + t->nreq;) {
            size_t j = i;
            json_t *vs = json_array(), *cbs = json_array();
            json_t *statuses = json_object();
            while (j < t->first + t->nreq && same_point(&rq[i], &rq[j])) {
                const request *r = &rq[j++];
                json_object_set_new(statuses, r->v->name,
                                    r->error[0] ? json_string(r->error) : json_integer(r->status));
                if (!r->hit)
                    continue;
                const probe_hit *h = &hits[r->hit - 1];
                json_array_append_new(vs, json_string(r->v->name));
                json_array_append_new(
                    cbs, json_pack("{ss ss ss ss sf sf}", "variant", r->v->name, "token", r->token,
                                   "protocol", probe_cb_proto_name(h->proto), "source", h->src,
                                   "time", h->when, "delay_s", h->when - r->sent));
            }
            char lab[200];
            json_t *p = json_pack("{ss so so}", "point", point_label(&rq[i], lab, sizeof lab),
                                  "status", statuses, "variants_fired", vs);
            json_object_set_new(p, "exploitable", json_boolean(json_array_size(cbs) > 0));
            json_object_set_new(p, "callbacks", cbs);
            json_array_append_new(pts, p);
            i = j;
        }
        json_object_set_new(jt, "points", pts);
        json_array_append_new(ta, jt);
    }
    json_object_set_new(root, "targets", ta);
    json_object_set_new(root, "foreign_callbacks", json_integer((json_int_t)foreign));
    return root;
}

static void print_table(const target *tg, size_t nt, const request *rq, const probe_hit *hits,
                        unsigned long foreign) {
    printf("%-40s %-28s %-12s %s\n", "TARGET", "INJECTION POINT", "VERDICT", "DETAIL");
    for (size_t k = 0; k < nt; k++) {
        const target *t = &tg[k];
        tsum s = target_sum(t, rq);
        for (size_t i = t->first; i < t->first + t->nreq;) {
            size_t j = i;
            char vs[256] = "";
            size_t vl = 0;
            const probe_hit *first = NULL;
            const request *fr = NULL;
            while (j < t->first + t->nreq && same_point(&rq[i], &rq[j])) {
                const request *r = &rq[j++];
                if (!r->hit)
                    continue;
                const probe_hit *h = &hits[r->hit - 1];
                if (!first || h->when < first->when) {
                    first = h;
                    fr = r;
                }
                int n = snprintf(vs + vl, sizeof vs - vl, "%s%s", vl ? "," : "", r->v->name);
                if (n > 0 && (size_t)n < sizeof vs - vl)
                    vl += (size_t)n;
            }
            if (first) {
                char lab[200];
                printf("%-40s %-28s %-12s variants %s; %s callback from %s after %.1f s\n", t->url,
                       point_label(&rq[i], lab, sizeof lab), "EXPLOITABLE", vs,
                       probe_cb_proto_name(first->proto), first->src, first->when - fr->sent);
            }
            i = j;
        }
        printf("%-40s %-28s %-12s %zu requests, %zu answered 403, %zu errors\n", t->url, "(all)",
               s.verdict, s.nreq, s.blocked, s.errors);
    }
    if (foreign)
        printf("%lu callbacks carried no token of this run (ignored)\n", foreign);
}

static json_t *sarif(const target *tg, size_t nt, const request *rq, const probe_hit *hits) {
    json_t *results = json_array();
    for (size_t k = 0; k < nt; k++) {
        const target *t = &tg[k];
        for (size_t i = t->first; i < t->first + t->nreq; i++) {
            const request *r = &rq[i];
            if (!r->hit)
                continue;
            char lab[200], msg[600];
            const probe_hit *h = &hits[r->hit - 1];
            snprintf(msg, sizeof msg,
                     "%s of %s made the service perform a JNDI lookup (variant %s, %s callback "
                     "from %s, token %s): exploitable through CVE-2021-44228",
                     point_label(r, lab, sizeof lab), t->url, r->v->name,
                     probe_cb_proto_name(h->proto), h->src, r->token);
            json_array_append_new(results,
                                  json_pack("{ss ss s{ss} s[{s{s{ss}}}] s{ss ss}}", "ruleId",
                                            "log4shell-jndi-callback", "level", "error", "message",
                                            "text", msg, "locations", "physicalLocation",
                                            "artifactLocation", "uri", t->url, "properties",
                                            "injectionPoint", lab, "variant", r->v->name));
        }
    }
    return json_pack(
        "{ss ss s[{s{s{ss ss ss s[{ss s{ss} s{ss}}]}} so}]}", "$schema",
        "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0", "runs", "tool",
        "driver", "name", "defuse-probe", "version", defuse_version(), "informationUri",
        "https://github.com/defuse/defuse/blob/main/docs/probe.md", "rules", "id",
        "log4shell-jndi-callback", "shortDescription", "text",
        "A payload sent to the service called back to the probe's listener", "help", "text",
        "The service evaluated a ${jndi:...} lookup from request data: upgrade log4j-core to "
        "2.17.1 or later (docs/scan.md) and block the payloads meanwhile (docs/nginx.md).",
        "results", results);
}

static int parse_points(opts *o, const char *s) {
    memset(o->points, 0, sizeof o->points);
    while (*s) {
        size_t l = strcspn(s, ","), k;
        for (k = 0; k < PT_COUNT; k++)
            if (strlen(point_kind[k]) == l && !strncmp(s, point_kind[k], l))
                break;
        if (k == PT_COUNT) {
            fprintf(stderr,
                    "defuse probe: --points: unknown kind '%.*s' (path, query, header, "
                    "form, json, multipart, xml)\n",
                    (int)l, s);
            return -1;
        }
        o->points[k] = 1;
        s += l;
        if (*s)
            s++;
    }
    return 0;
}

static int parse_variants(opts *o, const char *s) {
    o->nvariants = 0;
    while (*s) {
        size_t l = strcspn(s, ",");
        char nm[32];
        snprintf(nm, sizeof nm, "%.*s", (int)(l < 31 ? l : 31), s);
        const probe_variant *v = probe_variant_find(nm);
        if (!v || o->nvariants >= 16) {
            fprintf(stderr, "defuse probe: --variants: unknown variant '%s'\n", nm);
            return -1;
        }
        o->variants[o->nvariants++] = v;
        s += l;
        if (*s)
            s++;
    }
    return 0;
}

static int parse_num(const char *opt, const char *s, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "defuse probe: %s: '%s' is not a number in %g..%g\n", opt, s, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

static int add_target(target **tg, size_t *nt, const char *url) {
    if (*nt >= MAX_TARGETS) {
        fprintf(stderr, "defuse probe: more than %d targets\n", MAX_TARGETS);
        return -1;
    }
    if (*nt % 64 == 0) {
        target *n = realloc(*tg, (*nt + 64) * sizeof **tg);
        if (!n)
            return -1;
        *tg = n;
    }
    memset(&(*tg)[*nt], 0, sizeof **tg);
    (*tg)[*nt].url = strdup(url);
    return (*tg)[(*nt)++].url ? 0 : -1;
}

static int read_targets(const char *path, target **tg, size_t *nt) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "defuse probe: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[4096];
    int ln = 0, rc = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        size_t l = strlen(line);
        if (l == sizeof line - 1 && line[l - 1] != '\n') {
            fprintf(stderr, "defuse probe: %s:%d: line too long\n", path, ln);
            rc = -1;
            break;
        }
        char *s = line + strspn(line, " \t");
        s[strcspn(s, "\r\n#")] = '\0';
        for (l = strlen(s); l && (s[l - 1] == ' ' || s[l - 1] == '\t');)
            s[--l] = '\0';
        if (*s && add_target(tg, nt, s) != 0) {
            rc = -1;
            break;
        }
    }
    fclose(f);
    return rc;
}

/* ---- --register: each asset's verdict into the exposure register ---------------------- */

#define EVIDENCE_MAX 2048 /* bytes of evidence per asset (the register keeps 4096) */

static const char *asset_of(const opts *o, const target *tg, size_t k) {
    return o->reg_asset ? o->reg_asset : tg[k].host;
}

typedef struct regctx {
    const opts *o;
    const target *tg;
} regctx;

static int by_asset(const void *a, const void *b, void *u) {
    const regctx *x = u;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(asset_of(x->o, x->tg, i), asset_of(x->o, x->tg, j));
    return c ? c : (i > j) - (i < j);
}

/* Evidence text bounded by EVIDENCE_MAX; once full it ends with "...". */
typedef struct evbuf {
    char s[EVIDENCE_MAX];
    size_t len;
    int cut;
} evbuf;

static void ev_add(evbuf *e, const char *text) {
    size_t l = strlen(text);
    if (e->cut)
        return;
    if (e->len + l + 4 > sizeof e->s) {
        memcpy(e->s + e->len, "...", 4);
        e->len += 3;
        e->cut = 1;
        return;
    }
    memcpy(e->s + e->len, text, l + 1);
    e->len += l;
}

/* A batch line field: tabs and line ends (a list's separators) as spaces. */
static void put_field(FILE *f, const char *s) {
    for (; *s; s++)
        fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
}

/* One verdict per asset: exploitable if any of its targets called back;
 * blocked (or unreachable) if every target was; else not-reached.  The
 * evidence names the run and, per target, its verdict and what fired.  All
 * of them go to the register in one `register verify --batch` process. */
static int register_verdicts(const opts *o, uint32_t run_id, const target *tg, size_t nt,
                             const request *rq, const probe_hit *hits) {
    size_t *idx = malloc(nt * sizeof *idx);
    FILE *list = tmpfile();
    if (!idx || !list) {
        fprintf(stderr, "defuse probe: --register: %s\n", idx ? strerror(errno) : "out of memory");
        free(idx);
        if (list)
            fclose(list);
        return -1;
    }
    regctx x = {o, tg};
    for (size_t k = 0; k < nt; k++)
        idx[k] = k;
    qsort_r(idx, nt, sizeof *idx, by_asset, &x);
    for (size_t a = 0; a < nt;) {
        const char *asset = asset_of(o, tg, idx[a]);
        size_t b = a, nexp = 0, nblk = 0, nunr = 0;
        evbuf ev = {.len = 0};
        char line[600];
        snprintf(line, sizeof line, "defuse probe run %08x:", run_id);
        ev_add(&ev, line);
        for (; b < nt && !strcmp(asset_of(o, tg, idx[b]), asset); b++) {
            const target *t = &tg[idx[b]];
            tsum sm = target_sum(t, rq);
            nexp += !strcmp(sm.verdict, "exploitable");
            nblk += !strcmp(sm.verdict, "blocked");
            nunr += !strcmp(sm.verdict, "unreachable");
            snprintf(line, sizeof line, "%s %s %s", b > a ? ";" : "", t->url, sm.verdict);
            ev_add(&ev, line);
            for (size_t r = t->first; r < t->first + t->nreq; r++) {
                if (!rq[r].hit)
                    continue;
                char lab[200];
                snprintf(line, sizeof line, " [%s %s via %s]", point_label(&rq[r], lab, sizeof lab),
                         rq[r].v->name, probe_cb_proto_name(hits[rq[r].hit - 1].proto));
                ev_add(&ev, line);
            }
        }
        size_t n = b - a;
        const char *verdict = nexp          ? "exploitable"
                              : nblk == n   ? "blocked"
                              : nunr == n   ? "unreachable"
                                            : "not-reached";
        put_field(list, asset);
        fprintf(list, "\t-\t%s\t", verdict);
        put_field(list, ev.s);
        fputc('\n', list);
        a = b;
    }
    free(idx);
    int rc = probe_register_verdicts(o->reg_db, o->reg_env, list);
    fclose(list);
    if (rc != EXIT_CLEAN)
        fprintf(stderr, "defuse probe: --register: not every verdict was recorded (see above)\n");
    return rc == EXIT_CLEAN ? 0 : -1;
}

int cmd_probe(int argc, char **argv) {
    static const struct option lo[] = {{"scope", required_argument, 0, 's'},
                                       {"callback", required_argument, 0, 'c'},
                                       {"listen", required_argument, 0, 'l'},
                                       {"points", required_argument, 0, 'p'},
                                       {"headers", required_argument, 0, 'H'},
                                       {"add-header", required_argument, 0, 'a'},
                                       {"params", required_argument, 0, 'P'},
                                       {"variants", required_argument, 0, 'v'},
                                       {"rate", required_argument, 0, 'r'},
                                       {"concurrency", required_argument, 0, 'n'},
                                       {"timeout", required_argument, 0, 't'},
                                       {"wait", required_argument, 0, 'w'},
                                       {"contact", required_argument, 0, 'C'},
                                       {"format", required_argument, 0, 'f'},
                                       {"json", no_argument, 0, 'j'},
                                       {"dry-run", no_argument, 0, 'd'},
                                       {"insecure", no_argument, 0, 'k'},
                                       {"targets", required_argument, 0, 'T'},
                                       {"max-connections", required_argument, 0, 'm'},
                                       {"register", required_argument, 0, 'R'},
                                       {"asset", required_argument, 0, 'A'},
                                       {"env", required_argument, 0, 'E'},
                                       {0, 0, 0, 0}};
    static opts o; /* large (the scope table) */
    memset(&o, 0, sizeof o);
    o.rate = 20;
    o.conc = 4;
    o.maxconn = 256;
    o.timeout = 10;
    o.wait = 10;
    o.format = "table";
    for (int k = 0; k < PT_COUNT; k++)
        o.points[k] = 1;
    int rc = EXIT_ERROR, headers_set = 0, params_set = 0;
    target *tg = NULL;
    size_t nt = 0, nr = 0, nh = 0;
    request *rq = NULL;
    hostq *hosts = NULL;
    probe_hit *hits = NULL;
    probe_listener *lis = NULL;
    defuse_scanner *sc = NULL;
    names extra = {0};
    const char *listen_arg = NULL;
    char err[256];
    double d;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 's':
            if (probe_scope_add(&o.scope, optarg, err, sizeof err) != 0) {
                fprintf(stderr, "defuse probe: %s\n", err);
                goto out;
            }
            o.have_scope = 1;
            break;
        case 'c':
            if (host_port(optarg, o.cb_host, sizeof o.cb_host, &o.cb_port) != 0) {
                fprintf(stderr, "defuse probe: --callback: '%s' is not HOST:PORT\n", optarg);
                goto out;
            }
            snprintf(o.callback, sizeof o.callback, "%s", optarg);
            break;
        case 'l':
            listen_arg = optarg;
            break;
        case 'p':
            if (parse_points(&o, optarg) != 0)
                goto out;
            break;
        case 'H':
            free_names(&o.headers);
            headers_set = 1;
            if (split_names(&o.headers, optarg, "--headers") != 0)
                goto out;
            break;
        case 'a':
            if (split_names(&extra, optarg, "--add-header") != 0)
                goto out;
            break;
        case 'P':
            free_names(&o.params);
            params_set = 1;
            if (split_names(&o.params, optarg, "--params") != 0)
                goto out;
            break;
        case 'v':
            if (parse_variants(&o, optarg) != 0)
                goto out;
            break;
        case 'r':
            if (parse_num("--rate", optarg, 0.01, 100000, &o.rate) != 0)
                goto out;
            break;
        case 'n':
            if (parse_num("--concurrency", optarg, 1, 1000, &d) != 0)
                goto out;
            o.conc = (unsigned)d;
            break;
        case 'm':
            if (parse_num("--max-connections", optarg, 1, 10000, &d) != 0)
                goto out;
            o.maxconn = (unsigned)d;
            break;
        case 't':
            if (parse_num("--timeout", optarg, 0.1, 600, &o.timeout) != 0)
                goto out;
            break;
        case 'w':
            if (parse_num("--wait", optarg, 0, 3600, &o.wait) != 0)
                goto out;
            break;
        case 'C':
            o.contact = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "table") && strcmp(optarg, "json") && strcmp(optarg, "sarif")) {
                fprintf(stderr, "defuse probe: --format: table, json or sarif\n");
                goto out;
            }
            o.format = optarg;
            break;
        case 'j':
            o.format = "json";
            break;
        case 'd':
            o.dry_run = 1;
            break;
        case 'k':
            o.insecure = 1;
            break;
        case 'T':
            if (read_targets(optarg, &tg, &nt) != 0)
                goto out;
            break;
        case 'R':
            o.reg_db = optarg;
            break;
        case 'A':
            o.reg_asset = optarg;
            break;
        case 'E':
            o.reg_env = optarg;
            break;
        default:
            fprintf(stderr, "Try 'defuse probe --help'.\n");
            goto out;
        }
    }
    for (int i = optind; i < argc; i++)
        if (add_target(&tg, &nt, argv[i]) != 0)
            goto out;
    if (!o.have_scope || !o.scope.n) {
        fprintf(stderr, "defuse probe: --scope is required: the networks and hosts you are "
                        "allowed to probe\n");
        goto out;
    }
    if (!o.callback[0]) {
        fprintf(stderr, "defuse probe: --callback HOST:PORT is required: where the targets "
                        "reach the listener\n");
        goto out;
    }
    if (!nt) {
        fprintf(stderr, "defuse probe: no targets (URLs or --targets FILE)\n");
        goto out;
    }
    if ((o.reg_asset || o.reg_env) && !o.reg_db) {
        fprintf(stderr, "defuse probe: --asset and --env go with --register DB\n");
        goto out;
    }
    if (!headers_set)
        for (size_t i = 0; i < sizeof default_headers / sizeof *default_headers; i++)
            split_names(&o.headers, default_headers[i], "--headers");
    for (size_t i = 0; i < extra.n; i++)
        split_names(&o.headers, extra.v[i], "--add-header");
    if (!params_set)
        for (size_t i = 0; i < sizeof default_params / sizeof *default_params; i++)
            split_names(&o.params, default_params[i], "--params");
    for (size_t i = 0; (o.points[PT_MULTIPART] || o.points[PT_XML]) && i < o.params.n; i++)
        if (!xml_name(o.params.v[i])) {
            fprintf(stderr,
                    "defuse probe: --params: '%s' cannot name a multipart part or an XML "
                    "element (letters, digits, '_', '-', '.'; not first a digit, '-' or '.');"
                    " leave multipart,xml out of --points to send it\n",
                    o.params.v[i]);
            goto out;
        }
    if (!o.nvariants) {
        size_t n;
        const probe_variant *v = probe_variants(&n);
        for (size_t i = 0; i < n && i < 16; i++)
            o.variants[o.nvariants++] = &v[i];
    }
    /* listen address: --listen ADDR[:PORT], else the callback host if it is an address */
    o.listen_port = o.cb_port;
    if (listen_arg) {
        unsigned p;
        char hbuf[256];
        if (host_port(listen_arg, hbuf, sizeof hbuf, &p) == 0) {
            snprintf(o.listen_addr, sizeof o.listen_addr, "%s", hbuf);
            o.listen_port = p;
        } else {
            snprintf(o.listen_addr, sizeof o.listen_addr, "%s", listen_arg);
        }
    } else {
        unsigned char tmp[16];
        int lit =
            inet_pton(AF_INET, o.cb_host, tmp) == 1 || inet_pton(AF_INET6, o.cb_host, tmp) == 1;
        snprintf(o.listen_addr, sizeof o.listen_addr, "%s", lit ? o.cb_host : "0.0.0.0");
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        fprintf(stderr, "defuse probe: cannot initialise libcurl\n");
        goto out;
    }
    /* 1. the scope: every target, before anything is sent */
    int refused = 0;
    for (size_t i = 0; i < nt; i++)
        if (check_target(&o, &tg[i]) != 0)
            refused++;
    if (refused) {
        fprintf(stderr, "defuse probe: %d target%s refused; nothing was sent\n", refused,
                refused == 1 ? "" : "s");
        goto out_curl;
    }
    /* 2. the requests: per target, point, variant, each with its token */
    uint32_t run_id;
    if (getrandom(&run_id, sizeof run_id, 0) != (ssize_t)sizeof run_id)
        run_id = (uint32_t)time(NULL) ^ (uint32_t)getpid();
    size_t per =
        (o.points[PT_PATH] +
         o.params.n * (size_t)(o.points[PT_QUERY] + o.points[PT_FORM] + o.points[PT_JSON] +
                               o.points[PT_MULTIPART] + o.points[PT_XML]) +
         o.headers.n * (size_t)o.points[PT_HEADER]) *
        o.nvariants;
    if (!per || per * nt > PROBE_MAX_REQUESTS) {
        fprintf(stderr, "defuse probe: %zu requests: must be 1..%u\n", per * nt,
                PROBE_MAX_REQUESTS);
        goto out_curl;
    }
    rq = calloc(per * nt, sizeof *rq);
    hosts = calloc(nt, sizeof *hosts);
    if (!rq || !hosts || defuse_scanner_new(&sc, NULL) != 0) {
        fprintf(stderr, "defuse probe: out of memory\n");
        goto out_curl;
    }
    for (size_t k = 0; k < nt; k++) {
        target *t = &tg[k];
        char key[300];
        snprintf(key, sizeof key, "%s:%ld", t->addr, t->port);
        size_t hi;
        for (hi = 0; hi < nh && strcmp(hosts[hi].key, key); hi++)
            ;
        if (hi == nh) {
            snprintf(hosts[nh].key, sizeof hosts[nh].key, "%s", key);
            hosts[nh++].queue = NULL;
        }
        t->host_slot = hi;
        t->first = nr;
        for (int kind = 0; kind < PT_COUNT; kind++) {
            if (!o.points[kind])
                continue;
            const names *ns = kind == PT_HEADER ? &o.headers : &o.params;
            size_t count = kind == PT_PATH ? 1 : ns->n;
            for (size_t ni = 0; ni < count; ni++)
                for (size_t vi = 0; vi < o.nvariants; vi++) {
                    request *r = &rq[nr];
                    r->target = k;
                    r->kind = kind;
                    r->name = kind == PT_PATH ? "" : ns->v[ni];
                    r->v = o.variants[vi];
                    probe_token(run_id, (uint32_t)nr, r->token);
                    if (!probe_payload(r->v, o.callback, r->token, r->payload, sizeof r->payload) ||
                        probe_payload_verify(sc, r->payload, strlen(r->payload), r->v->scheme,
                                             o.callback, r->token, err, sizeof err) != 0) {
                        fprintf(stderr, "defuse probe: variant %s: %s\n", r->v->name,
                                r->payload[0] ? err : "payload too long");
                        goto out_curl;
                    }
                    if (build_request(&o, run_id, t, r) != 0) {
                        fprintf(stderr, "defuse probe: %s: cannot build a request\n", t->url);
                        goto out_curl;
                    }
                    nr++;
                }
        }
        t->nreq = nr - t->first;
    }
    for (size_t i = 0; i < nh; i++) {
        hosts[i].queue = calloc(nr, sizeof(size_t));
        if (!hosts[i].queue)
            goto out_curl;
    }
    for (size_t i = 0; i < nr; i++) {
        hostq *h = &hosts[tg[rq[i].target].host_slot];
        h->queue[h->nq++] = i;
    }
    if (o.dry_run) {
        printf("# defuse probe run %08x: %zu requests to %zu targets, callback %s (dry run: "
               "nothing sent)\n\n",
               run_id, nr, nt, o.callback);
        for (size_t i = 0; i < nr; i++)
            print_request(&rq[i]);
        rc = EXIT_CLEAN;
        goto out_curl;
    }
    /* 3. the listener, then the requests, then the wait window */
    if (probe_listen_start(&lis, o.listen_addr, o.listen_port, run_id, err, sizeof err) != 0) {
        fprintf(stderr, "defuse probe: %s\n", err);
        goto out_curl;
    }
    fprintf(stderr,
            "defuse probe: run %08x: %zu requests to %zu targets; listening on %s port %u "
            "(callback %s)\n",
            run_id, nr, nt, o.listen_addr, o.listen_port, o.callback);
    if (send_all(&o, tg, nt, rq, hosts, nh) != 0) {
        fprintf(stderr, "defuse probe: cannot start libcurl\n");
        goto out_curl;
    }
    struct timespec ws = {(time_t)o.wait, (long)((o.wait - (double)(time_t)o.wait) * 1e9)};
    if (o.wait > 0) {
        fprintf(stderr, "defuse probe: requests sent; waiting %.0f s for late callbacks\n", o.wait);
        nanosleep(&ws, NULL);
    }
    hits = calloc(PROBE_MAX_HITS, sizeof *hits);
    unsigned long foreign = 0;
    size_t nhits = hits ? probe_listen_hits(lis, hits, PROBE_MAX_HITS, &foreign) : 0;
    for (size_t i = 0; i < nhits; i++)
        if (hits[i].seq < nr && !rq[hits[i].seq].hit)
            rq[hits[i].seq].hit = (int)i + 1;
    int exploitable = 0;
    for (size_t i = 0; i < nr; i++)
        exploitable |= rq[i].hit != 0;
    if (!strcmp(o.format, "table")) {
        print_table(tg, nt, rq, hits, foreign);
    } else {
        json_t *j = !strcmp(o.format, "json") ? results_json(&o, run_id, tg, nt, rq, hits, foreign)
                                              : sarif(tg, nt, rq, hits);
        if (!j || json_dumpf(j, stdout, JSON_INDENT(2)) != 0) {
            json_decref(j);
            goto out_curl;
        }
        putchar('\n');
        json_decref(j);
    }
    rc = exploitable ? EXIT_FOUND : EXIT_CLEAN;
    if (o.reg_db && register_verdicts(&o, run_id, tg, nt, rq, hits) != 0)
        rc = EXIT_ERROR; /* the verdicts are on stdout; the register lacks some */
out_curl:
    probe_listen_stop(lis);
    for (size_t i = 0; i < nr; i++)
        request_free(&rq[i]);
    curl_global_cleanup();
out:
    for (size_t i = 0; i < nt; i++)
        free(tg[i].url);
    for (size_t i = 0; i < nh; i++)
        free(hosts[i].queue);
    free(hosts);
    free(tg);
    free(rq);
    free(hits);
    free_names(&o.headers);
    free_names(&o.params);
    free_names(&extra);
    defuse_scanner_free(sc);
    return rc;
}
