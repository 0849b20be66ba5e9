/*
 * inventory_facts.c -- identification: the facts gathered from the entries
 * of one container (an archive, a directory tree, a lone class file) and
 * the verdict drawn from them -- product, version, evidence, whether
 * JndiLookup was removed, and the CVEs that apply.
 *
 * Evidence, strongest first: pom.properties, MANIFEST.MF, SHA-256 of a
 * known class, string markers inside classes, class paths alone.  Class
 * hashes and markers narrow a set of candidate releases; a pom version
 * that the classes contradict loses to the classes (what runs is the
 * classes), and the evidence text says so.
 */
#include "inventory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The package root of each product when not relocated. */
static const char *const std_root[DEFUSE_PRODUCT_COUNT] = {
    "org/apache/logging/log4j/core/", "org/apache/log4j/", "org/apache/log4j/",
    "org/apache/commons/text/"};

/* log4j 1.x and reload4j share their classes: one family. */
static defuse_product family(defuse_product p) {
    return p == DEFUSE_PRODUCT_RELOAD4J ? DEFUSE_PRODUCT_LOG4J1 : p;
}

void defuse__facts_init(defuse__inv_facts *f, const defuse_vulndb *db, bool complete) {
    memset(f, 0, sizeof *f);
    f->db = db;
    f->complete = complete;
}

void defuse__facts_free(defuse__inv_facts *f) {
    for (size_t i = 0; i < f->nkeys; i++) {
        free(f->keys[i].key);
        free(f->keys[i].best_path);
    }
    for (size_t i = 0; i < f->npoms; i++) {
        free(f->poms[i].base);
        free(f->poms[i].version);
        free(f->poms[i].path);
    }
    f->nkeys = f->npoms = 0;
}

/* Appends "a b" (b may be NULL) to the evidence text of k. */
static void evtext_add(defuse__inv_key *k, const char *a, const char *b) {
    size_t n = strlen(k->evtext);
    if (n + 4 >= sizeof k->evtext)
        return;
    snprintf(k->evtext + n, sizeof k->evtext - n, "%s%s%s%s", n ? "; " : "", a, b ? " " : "",
             b ? b : "");
}

static void vset_all(defuse__vset *s, unsigned n) {
    memset(s, 0, sizeof *s);
    for (unsigned i = 0; i < n; i++)
        defuse__vset_add(s, i);
}

static unsigned vset_count(const defuse__vset *s, unsigned n) {
    unsigned c = 0;
    for (unsigned i = 0; i < n; i++)
        c += defuse__vset_has(s, i);
    return c;
}

/* Writes the releases of s as "a|b|c" (up to 6) or "first..last". */
static void vset_text(const defuse_vulndb *db, defuse_product p, const defuse__vset *s, char *out,
                      size_t outsz) {
    unsigned n = db->nreleases[p], c = vset_count(s, n), first = n, last = 0;
    size_t o = 0;
    out[0] = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!defuse__vset_has(s, i))
            continue;
        if (first == n)
            first = i;
        last = i;
        if (c <= 6 && o < outsz)
            o += (size_t)snprintf(out + o, outsz - o, "%s%s", o ? "|" : "", db->releases[p][i]);
    }
    if (c > 6)
        snprintf(out, outsz, "%s..%s", db->releases[p][first], db->releases[p][last]);
}

static defuse__inv_key *key_get(defuse__inv_facts *f, const char *name, size_t klen,
                                defuse_product p) {
    for (size_t i = 0; i < f->nkeys; i++) {
        defuse__inv_key *k = &f->keys[i];
        if (family(k->product) == family(p) && strlen(k->key) == klen &&
            !memcmp(k->key, name, klen))
            return k;
    }
    if (f->nkeys >= DEFUSE_INV_MAX_KEYS)
        return NULL;
    defuse__inv_key *k = &f->keys[f->nkeys];
    memset(k, 0, sizeof *k);
    if (!(k->key = strndup(name, klen)))
        return NULL;
    k->product = p;
    vset_all(&k->cand, f->db->nreleases[p]);
    f->nkeys++;
    return k;
}

static bool ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !memcmp(s + a - b, suf, b);
}

void defuse__facts_seen(defuse__inv_facts *f, const char *name) {
    for (unsigned p = 0; p < DEFUSE_PRODUCT_COUNT; p++) {
        if (f->pkg_seen & (1u << p))
            continue;
        const char *at = strstr(name, std_root[p]);
        if (at && (at == name || at[-1] == '/'))
            f->pkg_seen |= 1u << p | 1u << family((defuse_product)p);
    }
}

/* Applies the class hash and the markers of role to k. */
static void class_evidence(const defuse_vulndb *db, defuse__inv_key *k, defuse__role role,
                           const uint8_t *data, size_t len, const defuse__hash *h,
                           const uint8_t sha[32]) {
    const char *rn = defuse__role_name(role);
    char hex[65], buf[1200];
    if (h && h->product == k->product && h->role == role) {
        defuse__vset c = k->cand;
        uint64_t any = 0;
        for (size_t w = 0; w < sizeof c.w / sizeof c.w[0]; w++)
            any |= c.w[w] &= h->versions.w[w];
        if (!any) {
            /* contradicts earlier class evidence: keep that, note this */
            defuse__sha256_hex(sha, hex);
            hex[16] = 0;
            snprintf(buf, sizeof buf, "%s.class sha256 %s... (known, contradicts the other classes)",
                     rn, hex);
            evtext_add(k, buf, NULL);
            goto markers;
        }
        defuse__sha256_hex(sha, hex);
        hex[16] = 0;
        vset_text(db, k->product, &h->versions, buf, sizeof buf);
        char what[160];
        snprintf(what, sizeof what, "%s.class sha256 %s...", rn, hex);
        strncat(what, " =", sizeof what - strlen(what) - 1);
        evtext_add(k, what, buf);
        k->cand = c;
        k->constrained = true;
        k->by_hash = true;
        k->evidence |= DEFUSE_EVID_HASH;
    }
markers:;
    /* one clause per class: which marker strings it has and lacks */
    char has[512] = "", lacks[512] = "";
    for (size_t i = 0; i < db->nmarkers; i++) {
        const defuse__marker *m = &db->markers[i];
        if (m->role != role || family(m->product) != family(k->product))
            continue;
        if (m->string && !data)
            continue; /* content not read: the marker says nothing */
        bool present = !m->string || memmem(data, len, m->string, m->len) != NULL;
        defuse__vset t = k->cand;
        uint64_t any = 0;
        for (size_t w = 0; w < sizeof t.w / sizeof t.w[0]; w++)
            any |= t.w[w] &= present ? m->present.w[w] : ~m->present.w[w];
        if (any)
            k->cand = t; /* a marker that contradicts everything else is only noted */
        k->constrained = true;
        k->evidence |= DEFUSE_EVID_MARKER;
        if (m->string) {
            char *dst = present ? has : lacks;
            size_t dl = strlen(dst);
            snprintf(dst + dl, 512 - dl, "%s\"%s\"%s", dl ? ", " : "", m->string,
                     any ? "" : " (contradicts the rest)");
        }
    }
    if (has[0] || lacks[0]) {
        snprintf(buf, sizeof buf, "%s.class%s%s%s%s", rn, has[0] ? " has " : "", has,
                 has[0] && lacks[0] ? ", lacks " : lacks[0] ? " lacks " : "", lacks);
        evtext_add(k, buf, NULL);
    }
}

static int add_pom(defuse__inv_facts *f, const char *name, const char *full,
                   const defuse__classify *c, const uint8_t *data, size_t len) {
    char ver[128], v2[256];
    defuse_product p = c->product;
    bool mf = c->role == DEFUSE__R_MANIFEST;
    const char *t = (const char *)data;
    if (!data || f->npoms >= DEFUSE_INV_MAX_POMS)
        return 0;
    if (mf) {
        /* which product the manifest describes, if any */
        static const struct {
            const char *key, *value;
            defuse_product p;
        } mfp[] = {
            {"Bundle-SymbolicName", "org.apache.logging.log4j.core", DEFUSE_PRODUCT_LOG4J_CORE},
            {"Implementation-Title", "Apache Log4j Core", DEFUSE_PRODUCT_LOG4J_CORE},
            {"Bundle-SymbolicName", "ch.qos.reload4j", DEFUSE_PRODUCT_RELOAD4J},
            {"Implementation-Title", "reload4j", DEFUSE_PRODUCT_RELOAD4J},
            {"Bundle-SymbolicName", "log4j", DEFUSE_PRODUCT_LOG4J1},
            {"Implementation-Title", "log4j", DEFUSE_PRODUCT_LOG4J1},
            {"Bundle-SymbolicName", "org.apache.commons.commons-text", DEFUSE_PRODUCT_COMMONS_TEXT},
            {"Implementation-Title", "Apache Commons Text", DEFUSE_PRODUCT_COMMONS_TEXT},
        };
        size_t i;
        for (i = 0; i < sizeof mfp / sizeof mfp[0]; i++) {
            if (defuse__prop_get(t, len, mfp[i].key, true, v2, sizeof v2)) {
                char *semi = strchr(v2, ';');
                if (semi)
                    *semi = 0;
                if (!strcmp(v2, mfp[i].value))
                    break;
            }
        }
        if (i == sizeof mfp / sizeof mfp[0])
            return 0;
        p = mfp[i].p;
        if (!defuse__prop_get(t, len, "Bundle-Version", true, ver, sizeof ver) &&
            !defuse__prop_get(t, len, "Implementation-Version", true, ver, sizeof ver))
            return 0;
    } else if (!defuse__prop_get(t, len, "version", false, ver, sizeof ver)) {
        return 0;
    }
    defuse__inv_pom *pm = &f->poms[f->npoms];
    pm->product = p;
    pm->manifest = mf;
    pm->base = strndup(name, c->key_len);
    pm->version = strdup(ver);
    pm->path = strdup(full);
    f->npoms++;
    return pm->base && pm->version && pm->path ? 0 : DEFUSE_ENOMEM;
}

int defuse__facts_add(defuse__inv_facts *f, const char *name, const char *full,
                      const defuse__classify *c, const uint8_t *data, size_t len) {
    if (c->role == DEFUSE__R_POM || c->role == DEFUSE__R_MANIFEST)
        return add_pom(f, name, full, c, data, len);
    uint8_t sha[32];
    const defuse__hash *h = NULL;
    if (data) {
        /* a failed digest (zeros) matches no known class: judged by name */
        if (defuse__sha256_once(data, len, sha))
            h = defuse__vdb_hash(f->db, sha);
    }
    /* A JndiLookup/JndiManager outside a ".../core/" package counts only if
     * its bytes are known or name log4j (google's relocated vuln-class.jar
     * keeps the original bytes). */
    if (c->product == DEFUSE_PRODUCT_LOG4J_CORE && c->role != DEFUSE__R_CORE) {
        char kb[DEFUSE_INV_MAX_PATH];
        size_t kl = c->key_len < sizeof kb - 1 ? c->key_len : sizeof kb - 1;
        memcpy(kb, name, kl);
        kb[kl] = 0;
        if (!ends_with(kb, "core/") && !h && !(data && memmem(data, len, "log4j", 5)))
            return 0;
    }
    defuse__inv_key *k = key_get(f, name, c->key_len, c->product);
    if (!k)
        return f->nkeys >= DEFUSE_INV_MAX_KEYS ? 0 : DEFUSE_ENOMEM;
    bool first_of_role = !(k->roles & (1u << c->role));
    k->roles |= 1u << c->role;
    if (c->role == DEFUSE__R_CHAINSAW_RECV) /* a class of the chainsaw package too */
        k->roles |= 1u << DEFUSE__R_CHAINSAW;
    k->evidence |= DEFUSE_EVID_CLASS;
    int slot = data ? defuse__patch_slot(c->role, NULL) : -1;
    if (slot >= 0) {
        /* the bytes that decide whether a distribution patch is there; two
         * different copies of one class (duplicate entries) prove nothing */
        if (!(k->patch_seen & (1u << slot))) {
            memcpy(k->patch_sha[slot], sha, 32);
            k->patch_seen |= (uint8_t)(1u << slot);
        } else if (memcmp(k->patch_sha[slot], sha, 32) != 0) {
            k->patch_dup |= (uint8_t)(1u << slot);
        }
    }
    if (!k->best_path || (c->role == DEFUSE__R_JNDILOOKUP && k->best_role != DEFUSE__R_JNDILOOKUP)) {
        char *bp = strdup(full);
        if (!bp)
            return DEFUSE_ENOMEM;
        free(k->best_path);
        k->best_path = bp;
        k->best_role = c->role;
    }
    if (first_of_role)
        class_evidence(f->db, k, c->role, data, len, h, sha);
    return 0;
}

/* The pom (or manifest) describing key k, or NULL. */
static const defuse__inv_pom *pom_for(const defuse__inv_facts *f, const defuse__inv_key *k,
                                      bool want_manifest) {
    const defuse__inv_pom *best = NULL;
    for (size_t i = 0; i < f->npoms; i++) {
        const defuse__inv_pom *pm = &f->poms[i];
        if (pm->manifest != want_manifest || family(pm->product) != family(k->product))
            continue;
        size_t bl = strlen(pm->base);
        if (strncmp(k->key, pm->base, bl) != 0)
            continue;
        if (!strcmp(k->key + bl, std_root[pm->product]))
            return pm; /* exact: the standard package below the pom's root */
        /* otherwise the only key of the family below that root (shaded) */
        size_t same = 0;
        for (size_t j = 0; j < f->nkeys; j++)
            same += family(f->keys[j].product) == family(k->product) &&
                    !strncmp(f->keys[j].key, pm->base, bl);
        if (same == 1)
            best = pm;
    }
    return best;
}

static bool pom_used(const defuse__inv_facts *f, const defuse__inv_pom *pm) {
    for (size_t j = 0; j < f->nkeys; j++)
        if (pom_for(f, &f->keys[j], pm->manifest) == pm)
            return true;
    return false;
}

typedef struct verdict_in {
    defuse_product product;
    const char *key;           /* NULL for a pom-only component */
    const defuse__inv_key *k;  /* NULL for a pom-only component */
    const defuse__inv_pom *pom, *mf;
} verdict_in;

/* Is one of vu's distribution patches in copy k: every class it lists
 * present with exactly its SHA-256 (vulndb "fixed_by")?  Then true, and the
 * evidence (evid[*eo..]) names the patch and its classes.  Otherwise, if a
 * hardening class of a patch is present (the copy looks patched but is not
 * proven so), the evidence says why the CVE still applies: which classes
 * are absent, unknown (hash prefix) or duplicated.  A class's presence
 * alone never counts: a copy with an added class of that name would hide
 * the CVE. */
static bool patch_evidence(const defuse__vuln *vu, const defuse__inv_key *k, char *evid,
                           size_t evsz, size_t *eo) {
    const defuse__patch *best = NULL;
    size_t best_hits = 0;
    defuse__role added_present = DEFUSE__R_NONE;
    for (size_t i = 0; i < vu->npatches; i++) {
        const defuse__patch *pt = &vu->patches[i];
        size_t hits = 0;
        for (size_t j = 0; j < pt->nclasses; j++) {
            bool added = false;
            int s = defuse__patch_slot(pt->role[j], &added);
            bool have = s >= 0 && (k->patch_seen & (1u << s));
            if (added && have && added_present == DEFUSE__R_NONE)
                added_present = pt->role[j];
            hits += have && !(k->patch_dup & (1u << s)) && !memcmp(k->patch_sha[s], pt->sha256[j], 32);
        }
        if (hits == pt->nclasses) {
            if (*eo < evsz) {
                *eo += (size_t)snprintf(evid + *eo, evsz - *eo,
                                        "; %s fixed by a distribution patch (%s:", vu->id, pt->name);
                for (size_t j = 0; j < pt->nclasses && *eo < evsz; j++)
                    *eo += (size_t)snprintf(evid + *eo, evsz - *eo, "%s %s.class", j ? "," : "",
                                            defuse__role_name(pt->role[j]));
                if (*eo < evsz)
                    *eo += (size_t)snprintf(evid + *eo, evsz - *eo, " match its SHA-256)");
            }
            return true;
        }
        if (!best || hits > best_hits) {
            best = pt;
            best_hits = hits;
        }
    }
    if (added_present == DEFUSE__R_NONE || !best || *eo >= evsz)
        return false;
    *eo += (size_t)snprintf(evid + *eo, evsz - *eo,
                            "; %s still applies: %s.class present but the classes are not a "
                            "known distribution patch's (%s:",
                            vu->id, defuse__role_name(added_present), best->name);
    for (size_t j = 0, n = 0; j < best->nclasses && *eo < evsz; j++) {
        int s = defuse__patch_slot(best->role[j], NULL);
        const char *rn = defuse__role_name(best->role[j]);
        char hex[65];
        if (s < 0 || !(k->patch_seen & (1u << s))) {
            *eo += (size_t)snprintf(evid + *eo, evsz - *eo, "%s %s.class absent", n++ ? "," : "", rn);
        } else if (k->patch_dup & (1u << s)) {
            *eo += (size_t)snprintf(evid + *eo, evsz - *eo, "%s %s.class twice, different bytes",
                                    n++ ? "," : "", rn);
        } else if (memcmp(k->patch_sha[s], best->sha256[j], 32) != 0) {
            defuse__sha256_hex(k->patch_sha[s], hex);
            hex[16] = 0;
            *eo += (size_t)snprintf(evid + *eo, evsz - *eo, "%s %s.class sha256 %s... unknown",
                                    n++ ? "," : "", rn, hex);
        }
    }
    if (*eo < evsz)
        *eo += (size_t)snprintf(evid + *eo, evsz - *eo, ")");
    return false;
}

static int emit_one(defuse__inv_facts *f, const verdict_in *in, const char *container,
                    const char *sep, defuse_component_cb cb, void *user, unsigned *nvuln) {
    const defuse_vulndb *db = f->db;
    defuse_component c;
    char version[512], evid[DEFUSE_INV_MAX_EVIDENCE + 512], path[DEFUSE_INV_MAX_PATH];
    const defuse__inv_key *k = in->k;
    defuse_product p = in->product;
    const char *exact = NULL;
    defuse__vset cand;
    bool use_cand = false;
    memset(&c, 0, sizeof c);
    version[0] = 0;
    evid[0] = 0;
    size_t eo = 0;
    c.product = p;
    c.jndilookup = -1;
    if (in->pom) {
        eo += (size_t)snprintf(evid + eo, sizeof evid - eo, "pom.properties version=%s",
                               in->pom->version);
        c.evidence |= DEFUSE_EVID_POM;
        exact = in->pom->version;
        c.decided_by = DEFUSE_EVID_POM;
    }
    if (in->mf) {
        eo += (size_t)snprintf(evid + eo, sizeof evid - eo, "%sMANIFEST.MF version %s",
                               eo ? "; " : "", in->mf->version);
        c.evidence |= DEFUSE_EVID_MANIFEST;
        if (!exact) {
            exact = in->mf->version;
            c.decided_by = DEFUSE_EVID_MANIFEST;
        }
    }
    if (k) {
        c.evidence |= k->evidence;
        if (k->evtext[0] && eo < sizeof evid)
            eo += (size_t)snprintf(evid + eo, sizeof evid - eo, "%s%s", eo ? "; " : "", k->evtext);
        if (k->constrained) {
            cand = k->cand;
            unsigned n = vset_count(&cand, db->nreleases[p]);
            int idx = exact ? defuse__vdb_release(db, p, exact) : -1;
            if (n > 0 && exact && idx >= 0 && !defuse__vset_has(&cand, (unsigned)idx)) {
                char ct[256];
                vset_text(db, p, &cand, ct, sizeof ct);
                if (eo < sizeof evid)
                    eo += (size_t)snprintf(evid + eo, sizeof evid - eo,
                                           "; CONFLICT: %s says %s but the classes are %s",
                                           in->pom ? "pom.properties" : "MANIFEST.MF", exact, ct);
                exact = NULL;
            }
            if (!exact && n > 0) {
                use_cand = true;
                c.decided_by = k->by_hash ? DEFUSE_EVID_HASH : DEFUSE_EVID_MARKER;
                if (n == 1) {
                    for (unsigned i = 0; i < db->nreleases[p]; i++)
                        if (defuse__vset_has(&cand, i))
                            exact = db->releases[p][i];
                    use_cand = false;
                } else {
                    vset_text(db, p, &cand, version, sizeof version);
                }
            }
        }
        if (p == DEFUSE_PRODUCT_LOG4J_CORE) {
            if (k->roles & (1u << DEFUSE__R_JNDILOOKUP))
                c.jndilookup = 1;
            else if (f->complete)
                c.jndilookup = 0;
            if (c.jndilookup == 0 && eo < sizeof evid)
                eo += (size_t)snprintf(evid + eo, sizeof evid - eo,
                                       "; JndiLookup.class absent (removed: mitigated)");
        }
    }
    /* a pom whose product's classes are present, none of them a known role:
     * every dangerous class was removed (e.g. by --fix) */
    bool pkg_classes = !k && f->complete && (f->pkg_seen & (1u << family(p)));
    if (pkg_classes && p == DEFUSE_PRODUCT_LOG4J_CORE)
        c.jndilookup = 0;
    if (pkg_classes && eo < sizeof evid)
        eo += (size_t)snprintf(evid + eo, sizeof evid - eo,
                               "; classes of the product present, none of its vulnerable ones");
    if (exact)
        snprintf(version, sizeof version, "%s", exact);
    if (!c.decided_by)
        c.decided_by = DEFUSE_EVID_CLASS;
    c.version = version[0] ? version : NULL;
    (void)eo;

    /* CVEs */
    for (size_t i = 0; i < db->nvulns && c.nvulns < DEFUSE_INV_MAX_VULNS; i++) {
        const defuse__vuln *vu = &db->vulns[i];
        if (vu->product != p)
            continue;
        if (vu->requires && k && f->complete && !(k->roles & vu->requires))
            continue; /* no class it needs is there (removed or never was) */
        if (vu->npatches && k && patch_evidence(vu, k, evid, sizeof evid, &eo))
            continue; /* a distribution's patch, proven by its classes' bytes */
        if (vu->requires && !k && pkg_classes)
            continue; /* pom with classes of the product but none it needs */
        int certain;
        if (exact) {
            if (!defuse__vuln_affects(vu, exact))
                continue;
            certain = 1;
        } else if (use_cand) {
            unsigned hit = 0, tot = 0;
            for (unsigned r = 0; r < db->nreleases[p]; r++) {
                if (!defuse__vset_has(&cand, r))
                    continue;
                tot++;
                hit += defuse__vuln_affects(vu, db->releases[p][r]);
            }
            if (!hit)
                continue;
            certain = hit == tot;
        } else {
            certain = 0; /* version unknown: every CVE of the product may apply */
        }
        defuse_component_vuln *o = &c.vulns[c.nvulns++];
        o->id = vu->id;
        o->severity = vu->severity;
        o->cvss = vu->cvss;
        o->fixed = vu->fixed_text;
        o->summary = vu->summary;
        o->certain = certain;
    }

    /* where */
    if (in->key) {
        c.package = in->key;
        size_t kl = strlen(in->key), sl = strlen(std_root[p]);
        bool std = kl >= sl && !strcmp(in->key + kl - sl, std_root[p]);
        if (!strcmp(sep, "!/")) {
            c.shaded = !(std && kl == sl);
            snprintf(path, sizeof path, "%s", container);
        } else {
            /* directory: the component is the class root below it */
            c.shaded = !std;
            size_t rl = std ? kl - sl : kl;
            while (rl > 0 && in->key[rl - 1] == '/')
                rl--;
            /* "/" as the root: "/opt/x", not "//opt/x" */
            size_t cl = strlen(container);
            bool slash = rl && !(cl && container[cl - 1] == '/');
            snprintf(path, sizeof path, "%s%s%.*s", container, slash ? "/" : "", (int)rl, in->key);
        }
    } else {
        snprintf(path, sizeof path, "%s", container);
    }
    c.path = path;
    c.class_path = k && k->best_path ? k->best_path : in->pom ? in->pom->path
                                                   : in->mf   ? in->mf->path
                                                              : NULL;
    c.evidence_text = evid;
    if (c.nvulns)
        (*nvuln)++;
    return cb && cb(&c, user) ? DEFUSE_ESTOPPED : 0;
}

int defuse__facts_emit(defuse__inv_facts *f, const char *container, const char *sep,
                       defuse_component_cb cb, void *user, unsigned *nvuln) {
    int rc;
    for (size_t i = 0; i < f->nkeys; i++) {
        defuse__inv_key *k = &f->keys[i];
        verdict_in in = {k->product, k->key, k, pom_for(f, k, false), pom_for(f, k, true)};
        if (in.pom)
            in.product = in.pom->product;
        else if (in.mf)
            in.product = in.mf->product;
        /* a log4j-1.x family key with no pom and no JMS/Socket/JDBC/chainsaw
         * classes of 1.x is not a finding (bridges carry org/apache/log4j) */
        if (family(k->product) == DEFUSE_PRODUCT_LOG4J1 && !in.pom && !in.mf && !k->roles)
            continue;
        /* commons-text: StringSubstitutor alone exists since 1.0 */
        if ((rc = emit_one(f, &in, container, sep, cb, user, nvuln)))
            return rc;
    }
    /* pom-only components: a pom whose classes were not seen */
    for (size_t i = 0; i < f->npoms; i++) {
        const defuse__inv_pom *pm = &f->poms[i];
        if (pom_used(f, pm))
            continue;
        /* a manifest next to a pom of the same product adds nothing */
        bool dup = false;
        for (size_t j = 0; j < f->npoms && !dup; j++)
            dup = j != i && pm->manifest && !f->poms[j].manifest &&
                  family(f->poms[j].product) == family(pm->product) &&
                  !strcmp(f->poms[j].base, pm->base);
        if (dup)
            continue;
        verdict_in in = {pm->product, NULL, NULL, pm->manifest ? NULL : pm, pm->manifest ? pm : NULL};
        if ((rc = emit_one(f, &in, container, sep, cb, user, nvuln)))
            return rc;
    }
    return 0;
}
