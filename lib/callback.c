/*
 * callback.c -- what a JNDI name means: defuse__callback_parse() splits the
 * name log4j would pass to InitialContext.lookup() into URL parts, lists the
 * victim data it would exfiltrate, and decodes a JNDIExploit command from
 * its path.
 *
 * The name still holds the victim's values as their ${...} text (the
 * emulator cannot know them), so every split below skips over ${...}
 * groups: a ':' or '}' or '/' inside "${env:USER}" never ends a host or a
 * port.  Decisions (docs/decoding.md, "Callback names"):
 *   - scheme: the text before the first ':' when it is a URL scheme
 *     ([A-Za-z][A-Za-z0-9+.-]*), lower-cased; else NULL ("foo", "${x}:y").
 *     "java:comp/env/x" has scheme "java", no host, path "comp/env/x".
 *   - authority after "//" (or after a single "/" for the network schemes
 *     ldap, ldaps, rmi, dns, iiop, iiopname, corbaname, corba, nds, nis,
 *     http, https, as "ldap:/host/a" also reaches the host); it ends at the
 *     first '/' or '?' outside ${...}.  User info before '@' is dropped.
 *   - port: digits after the last ':' outside ${...} and [...], at most
 *     65535.  A port that is not a number ("x.com:${env:P}", "x.com:abc")
 *     gives port -1 and stays in the host, so nothing is lost.
 *   - host keeps IPv6 brackets ("[::1]") and a '#' (2.15.0 allow-list bypass,
 *     CVE-2021-45046: "127.0.0.1#evil.com" -> DEFUSE_TECH_HASH_BYPASS).
 *   - path: after the authority, without the leading '/'; NULL if empty.
 * Exfiltration keys: every outermost ${...} left in the name, normalised as
 * "<prefix lower-cased>:<key>" or the bare property name ("hostName"), with
 * a ":-default" removed; deduplicated, at most DEFUSE_MAX_REPORTED_EXFIL.
 *
 * Hand-written: the name is not a valid URI (it holds ${...}, '#', spaces),
 * so libcurl's URL parser rejects exactly the names that matter.
 */
#include "internal.h"

#include <string.h>

/* Network schemes for which "scheme:/host" is taken as an authority. */
static const char *const net_schemes[] = {"ldap", "ldaps", "rmi",  "dns",  "iiop", "iiopname",
                                          "corba", "corbaname", "nds", "nis", "http", "https"};

static unsigned char lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 0x20) : c; }

static bool ieq(const char *s, size_t n, const char *lit) {
    size_t l = strlen(lit);
    if (n != l)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != (unsigned char)lit[i])
            return false;
    return true;
}

/* If s[i..) starts "${", returns the index just past its matching '}' (or
 * n if unclosed); otherwise i. */
static size_t skip_lookup(const char *s, size_t n, size_t i) {
    if (i + 1 >= n || s[i] != '$' || s[i + 1] != '{')
        return i;
    size_t depth = 0;
    while (i < n) {
        if (s[i] == '$' && i + 1 < n && s[i + 1] == '{') {
            depth++;
            i += 2;
            continue;
        }
        if (s[i] == '}' && --depth == 0)
            return i + 1;
        i++;
    }
    return n;
}

/* First index in [i, n) of a byte in set outside ${...}; n if none. */
static size_t find_outside(const char *s, size_t n, size_t i, const char *set) {
    while (i < n) {
        size_t j = skip_lookup(s, n, i);
        if (j != i) {
            i = j;
            continue;
        }
        if (strchr(set, s[i]) && s[i])
            return i;
        i++;
    }
    return n;
}

/* Last index in [i, n) of byte c outside ${...} and [...]; n if none. */
static size_t rfind_outside(const char *s, size_t n, size_t i, char c) {
    size_t last = n;
    bool br = false;
    while (i < n) {
        size_t j = skip_lookup(s, n, i);
        if (j != i) {
            i = j;
            continue;
        }
        if (s[i] == '[')
            br = true;
        else if (s[i] == ']')
            br = false;
        else if (s[i] == c && !br)
            last = i;
        i++;
    }
    return last;
}

static char *dup_or_null(defuse__arena *a, const char *s, size_t n, int *err) {
    if (n == 0)
        return NULL;
    char *p = defuse__arena_strndup(a, s, n);
    if (!p)
        *err = DEFUSE_ENOMEM;
    return p;
}

/* ---- exfiltration keys --------------------------------------------------- */

static int add_exfil(defuse__callback_info *out, defuse__arena *a, const char *in, size_t n) {
    if (out->nexfil == DEFUSE_MAX_REPORTED_EXFIL)
        return 0; /* bounded: later keys are not reported */
    /* Cut at the first ":-" outside nested lookups. */
    size_t cut = n;
    for (size_t i = 0; i < n;) {
        size_t j = skip_lookup(in, n, i);
        if (j != i) {
            i = j;
            continue;
        }
        if (in[i] == ':' && i + 1 < n && in[i + 1] == '-') {
            cut = i;
            break;
        }
        i++;
    }
    if (cut == 0)
        return 0;
    size_t colon = find_outside(in, cut, 0, ":");
    char *k = defuse__arena_alloc(a, cut + 1);
    if (!k)
        return DEFUSE_ENOMEM;
    for (size_t i = 0; i < cut; i++)
        k[i] = i < colon ? (char)lower((unsigned char)in[i]) : in[i];
    if (colon == cut)
        memcpy(k, in, cut); /* a bare property name keeps its case */
    k[cut] = '\0';
    for (size_t e = 0; e < out->nexfil; e++)
        if (strcmp(out->exfil[e], k) == 0)
            return 0;
    if (out->nexfil < DEFUSE_MAX_REPORTED_EXFIL)
        out->exfil[out->nexfil++] = k;
    return 0;
}

static int scan_exfil(const char *s, size_t n, defuse__arena *a, defuse__callback_info *out) {
    for (size_t i = 0; i < n;) {
        size_t j = skip_lookup(s, n, i);
        if (j == i) {
            i++;
            continue;
        }
        /* s[i..j) is "${...}" (j == n and no '}' if unclosed: skipped). */
        if (s[j - 1] == '}' && j - i >= 3) {
            int rc = add_exfil(out, a, s + i + 2, j - i - 3);
            if (rc < 0)
                return rc;
        }
        i = j;
    }
    if (out->nexfil)
        out->techniques |= DEFUSE_TECH_EXFIL;
    return 0;
}

/* ---- JNDIExploit commands ------------------------------------------------ */

/* Percent-decodes s[0..n) into o (capacity n); returns the length. */
static size_t pct_decode(const char *s, size_t n, char *o) {
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && n - i >= 3 && (hi = defuse__hexval((unsigned char)s[i + 1])) >= 0 &&
            (lo = defuse__hexval((unsigned char)s[i + 2])) >= 0) {
            o[w++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            o[w++] = s[i];
        }
    }
    return w;
}

/* Renders s[0..n) for people: valid printable UTF-8 as is, every other byte
 * as \xHH.  Returns an arena string or NULL on ENOMEM. */
static char *render(defuse__arena *a, const unsigned char *s, size_t n) {
    char *o = defuse__arena_alloc(a, n * 4 + 1);
    if (!o)
        return NULL;
    static const char hx[] = "0123456789abcdef";
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t k = 0;
        if (c >= 0x20 && c < 0x7F) {
            k = 1;
        } else if (c >= 0xC2 && c <= 0xF4) {
            size_t need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
            bool ok = need <= n - i;
            for (size_t j = 1; ok && j < need; j++)
                ok = (s[i + j] & 0xC0) == 0x80;
            /* Reject overlong 3/4-byte forms, surrogates, > U+10FFFF. */
            if (ok && need == 3 && ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0)))
                ok = false;
            if (ok && need == 4 && ((c == 0xF0 && s[i + 1] < 0x90) || (c == 0xF4 && s[i + 1] >= 0x90)))
                ok = false;
            if (ok && need == 2 && c == 0xC2 && s[i + 1] < 0xA0)
                ok = false; /* C1 controls */
            k = ok ? need : 0;
        }
        if (k) {
            memcpy(o + w, s + i, k);
            w += k;
            i += k;
        } else {
            o[w++] = '\\';
            o[w++] = 'x';
            o[w++] = hx[c >> 4];
            o[w++] = hx[c & 15];
            i++;
        }
    }
    o[w] = '\0';
    return o;
}

/* "<prefix>(<what>)" style descriptions. */
static char *describe(defuse__arena *a, const char *pre, const char *s, size_t n, const char *post) {
    size_t lp = strlen(pre), lq = strlen(post);
    char *tmp = defuse__arena_alloc(a, lp + n + lq + 1);
    if (!tmp)
        return NULL;
    memcpy(tmp, pre, lp);
    memcpy(tmp + lp, s, n);
    memcpy(tmp + lp + n, post, lq);
    return render(a, (const unsigned char *)tmp, lp + n + lq);
}

/* Percent-decodes the rest of the path, then Base64-decodes it if asked.
 * *cmd: the command, or NULL when there is none: text that is not Base64
 * ("XXXXX", a kit's placeholder) makes JNDIExploit's Base64.getDecoder()
 * throw, and nothing runs.  Returns 0 or DEFUSE_ENOMEM. */
static int command_from(defuse__arena *a, const char *s, size_t n, bool b64, char **cmd) {
    *cmd = NULL;
    char *pd = defuse__arena_alloc(a, n + 1);
    if (!pd)
        return DEFUSE_ENOMEM;
    size_t pl = pct_decode(s, n, pd);
    if (b64) {
        unsigned char *bd = defuse__arena_alloc(a, pl * 3 / 4 + 4);
        if (!bd)
            return DEFUSE_ENOMEM;
        long bl = defuse__base64_decode(pd, pl, bd);
        if (bl <= 0)
            return 0;
        *cmd = render(a, bd, (size_t)bl);
    } else {
        *cmd = render(a, (const unsigned char *)pd, pl);
    }
    return *cmd ? 0 : DEFUSE_ENOMEM;
}

#define MAX_SEGMENTS 64

static int parse_exploit(const char *p, size_t n, defuse__arena *a, defuse__callback_info *out) {
    size_t segs[MAX_SEGMENTS], sege[MAX_SEGMENTS], ns = 0;
    for (size_t i = 0; i <= n && ns < MAX_SEGMENTS;) {
        size_t j = i;
        while (j < n && p[j] != '/')
            j++;
        segs[ns] = i;
        sege[ns] = j;
        ns++;
        i = j + 1;
    }
    char *cmd = NULL;
    bool kit = false; /* a JNDIExploit command path, even one that runs nothing */
    for (size_t i = 0; i < ns && !cmd && !kit; i++) {
        const char *s = p + segs[i];
        size_t l = sege[i] - segs[i];
        int rc;
        if (ieq(s, l, "command") && i + 1 < ns) {
            if (ieq(p + segs[i + 1], sege[i + 1] - segs[i + 1], "base64") && i + 2 < ns)
                rc = command_from(a, p + segs[i + 2], n - segs[i + 2], true, &cmd);
            else
                rc = command_from(a, p + segs[i + 1], n - segs[i + 1], false, &cmd);
            if (rc)
                return rc;
            kit = true;
            continue;
        } else if (ieq(s, l, "base64") && i + 2 < ns && sege[i + 1] == segs[i + 1]) {
            rc = command_from(a, p + segs[i + 2], n - segs[i + 2], true, &cmd); /* Base64//x */
            if (rc)
                return rc;
            kit = true;
            continue;
        } else if (ieq(s, l, "reverseshell") && i + 2 < ns) {
            size_t hl = sege[i + 1] - segs[i + 1], pl = sege[i + 2] - segs[i + 2];
            char *t = defuse__arena_alloc(a, hl + pl + 2);
            if (!t)
                return DEFUSE_ENOMEM;
            memcpy(t, p + segs[i + 1], hl);
            t[hl] = ':';
            memcpy(t + hl + 1, p + segs[i + 2], pl);
            cmd = describe(a, "reverse shell to ", t, hl + 1 + pl, "");
        } else if ((ieq(s, l, "dnslog") || ieq(s, l, "urldns")) && i + 1 < ns) {
            cmd = describe(a, "dns log to ", p + segs[i + 1], sege[i + 1] - segs[i + 1], "");
        } else {
            /* Segment names such as TomcatMemshell1, SpringEcho. */
            bool mem = false, echo = false;
            for (size_t k = 0; k + 8 <= l && !mem; k++)
                mem = ieq(s + k, 8, "memshell");
            echo = l >= 4 && ieq(s + l - 4, 4, "echo");
            if (mem)
                cmd = describe(a, "memory shell (", s, l, ")");
            else if (echo)
                cmd = describe(a, "echo (", s, l, ")");
            else
                continue;
        }
        if (!cmd)
            return DEFUSE_ENOMEM;
    }
    if (cmd || kit) {
        out->command = cmd;
        out->techniques |= DEFUSE_TECH_JNDIEXPLOIT;
    }
    return 0;
}

/* ---- the parser ---------------------------------------------------------- */

int defuse__callback_parse(const char *name, size_t len, defuse__arena *a,
                           defuse__callback_info *out) {
    int err = 0;
    memset(out, 0, sizeof *out);
    out->port = -1;
    if (!name || len == 0)
        return 0;

    /* Scheme. */
    size_t i = 0, rest = 0;
    if ((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z')) {
        i = 1;
        while (i < len && ((name[i] >= 'A' && name[i] <= 'Z') || (name[i] >= 'a' && name[i] <= 'z') ||
                           (name[i] >= '0' && name[i] <= '9') || name[i] == '+' || name[i] == '-' ||
                           name[i] == '.'))
            i++;
        if (i < len && name[i] == ':') {
            char *sc = defuse__arena_alloc(a, i + 1);
            if (!sc)
                return DEFUSE_ENOMEM;
            for (size_t k = 0; k < i; k++)
                sc[k] = (char)lower((unsigned char)name[k]);
            sc[i] = '\0';
            out->scheme = sc;
            rest = i + 1;
        }
    }

    size_t ps = rest; /* start of the path */
    if (out->scheme) {
        bool net = false;
        for (size_t k = 0; k < DEFUSE_ARRAY_LEN(net_schemes); k++)
            net = net || strcmp(out->scheme, net_schemes[k]) == 0;
        size_t as = 0;
        bool auth = false;
        if (len - rest >= 2 && name[rest] == '/' && name[rest + 1] == '/') {
            auth = true;
            as = rest + 2;
        } else if (net && rest < len && name[rest] == '/') {
            auth = true;
            as = rest + 1;
        }
        if (auth) {
            size_t ae = find_outside(name, len, as, "/?");
            /* User info. */
            size_t at = rfind_outside(name, ae, as, '@');
            size_t hs = at < ae ? at + 1 : as;
            size_t colon = rfind_outside(name, ae, hs, ':');
            size_t he = ae;
            if (colon < ae) {
                size_t pl = ae - colon - 1;
                bool digits = pl > 0 && pl <= 5;
                unsigned long v = 0;
                for (size_t k = colon + 1; digits && k < ae; k++) {
                    digits = name[k] >= '0' && name[k] <= '9';
                    v = v * 10 + (unsigned long)(name[k] - '0');
                }
                if (pl == 0) {
                    he = colon;
                } else if (digits && v <= 65535) {
                    out->port = (int)v;
                    he = colon;
                }
            }
            out->host = dup_or_null(a, name + hs, he - hs, &err);
            if (err)
                return err;
            if (find_outside(name, he, hs, "#") < he)
                out->techniques |= DEFUSE_TECH_HASH_BYPASS;
            ps = ae;
        } else {
            ps = rest;
        }
    }
    if (ps < len && name[ps] == '/')
        ps++;
    out->path = dup_or_null(a, name + ps, len - ps, &err);
    if (err)
        return err;

    if ((err = scan_exfil(name, len, a, out)) < 0)
        return err;
    if (out->path && (err = parse_exploit(name + ps, len - ps, a, out)) < 0)
        return err;
    return 0;
}
