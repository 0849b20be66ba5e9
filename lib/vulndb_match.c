/*
 * vulndb_match.c -- evaluates a component known only by its name and
 * version (an SBOM entry, a record stored by the exposure register)
 * against the vulnerability data, without the archive in hand.
 *
 * The inventory (inventory_facts.c) decides versions from class evidence;
 * here the version is whatever a producer wrote: exact ("2.14.1"), the
 * scanner's candidate list ("2.14.0|2.14.1") or range ("2.4..2.12.1"),
 * a version range of another notation ("[2.0,2.15)", ">=2.0", "2.x"), or
 * nothing.  Only an exact version can give `certain`; a candidate list or
 * scanner range is judged release by release as the inventory does; any
 * other notation, and no version, is unknown: every CVE of the product is
 * returned with certain = 0 (needs review), never "not affected".
 *
 * Products are recognised by Maven coordinates or a bare name in one
 * table.  Not-vulnerable lookalikes (log4j-api, log4j-to-slf4j,
 * log4j-1.2-api, org.slf4j:log4j-over-slf4j, ...) are absent from the
 * table on purpose and give DEFUSE_ENOENT.  Class-dependent CVEs
 * (requires_class) are returned: whether the class is still there is a
 * fact of the host, which the caller records as a mitigation.
 */
#include "inventory.h"

#include <stdlib.h>
#include <string.h>

/* Coordinates of each product: group NULL means "the bare name alone". */
static const struct {
    const char *group;
    const char *name;
    defuse_product product;
} products[] = {
    {"org.apache.logging.log4j", "log4j-core", DEFUSE_PRODUCT_LOG4J_CORE},
    {"log4j", "log4j", DEFUSE_PRODUCT_LOG4J1},
    {"ch.qos.reload4j", "reload4j", DEFUSE_PRODUCT_RELOAD4J},
    {"org.apache.commons", "commons-text", DEFUSE_PRODUCT_COMMONS_TEXT},
    /* bare names (SPDX packages, scanner product names) */
    {NULL, "log4j-core", DEFUSE_PRODUCT_LOG4J_CORE},
    {NULL, "log4j", DEFUSE_PRODUCT_LOG4J1},
    {NULL, "reload4j", DEFUSE_PRODUCT_RELOAD4J},
    {NULL, "commons-text", DEFUSE_PRODUCT_COMMONS_TEXT},
};

int defuse_product_identify(const char *group, const char *name) {
    if (!name || !*name)
        return DEFUSE_EINVAL;
    for (size_t i = 0; i < sizeof products / sizeof products[0]; i++) {
        if (strcmp(products[i].name, name) != 0)
            continue;
        if (group && *group ? (products[i].group && !strcmp(products[i].group, group))
                            : !products[i].group)
            return (int)products[i].product;
    }
    return DEFUSE_ENOENT;
}

/* Characters that only a range notation of another tool uses. */
static int foreign_range(const char *v) {
    return strpbrk(v, "[]()<>=,*^~ ") != NULL || !strcmp(v, "x") ||
           (strlen(v) >= 2 && !strcmp(v + strlen(v) - 2, ".x"));
}

/* Marks in *set the releases of p that v names: "a|b|c" or "a..b".
 * Returns the number marked (0: none of them is a known release). */
static unsigned candidates(const defuse_vulndb *db, defuse_product p, const char *v,
                           defuse__vset *set) {
    unsigned n = 0;
    const char *dots = strstr(v, "..");
    if (dots) {
        char lo[64], hi[64];
        size_t ll = (size_t)(dots - v), hl = strlen(dots + 2);
        if (ll == 0 || ll >= sizeof lo || hl == 0 || hl >= sizeof hi)
            return 0;
        memcpy(lo, v, ll), lo[ll] = 0;
        memcpy(hi, dots + 2, hl + 1);
        for (unsigned r = 0; r < db->nreleases[p]; r++)
            if (defuse__vercmp(db->releases[p][r], lo) >= 0 &&
                defuse__vercmp(db->releases[p][r], hi) <= 0)
                defuse__vset_add(set, r), n++;
        return n;
    }
    const char *s = v;
    while (*s) {
        const char *e = strchr(s, '|');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        for (unsigned r = 0; r < db->nreleases[p]; r++)
            if (strlen(db->releases[p][r]) == len && !strncmp(db->releases[p][r], s, len) &&
                !defuse__vset_has(set, r))
                defuse__vset_add(set, r), n++;
        s += len + (e ? 1 : 0);
    }
    return n;
}

int defuse_vulndb_match(const defuse_vulndb *db, const char *group, const char *name,
                        const char *version, defuse_component_vuln *out, size_t max, size_t *n,
                        int *exact) {
    if (!db || !name || (!out && max) || !n)
        return DEFUSE_EINVAL;
    *n = 0;
    if (exact)
        *exact = 0;
    int pi = defuse_product_identify(group, name);
    if (pi < 0)
        return pi;
    defuse_product p = (defuse_product)pi;
    /* 0 unknown, 1 exact, 2 candidates */
    int how = 0;
    defuse__vset set;
    memset(&set, 0, sizeof set);
    if (version && *version && strlen(version) < 256 && !foreign_range(version)) {
        if (strchr(version, '|') || strstr(version, ".."))
            how = candidates(db, p, version, &set) ? 2 : 0;
        else
            how = 1;
    }
    if (exact)
        *exact = how == 1;
    for (size_t i = 0; i < db->nvulns; i++) {
        const defuse__vuln *vu = &db->vulns[i];
        if (vu->product != p)
            continue;
        int certain = 0;
        if (how == 1) {
            if (!defuse__vuln_affects(vu, version))
                continue;
            certain = 1;
        } else if (how == 2) {
            unsigned hit = 0, tot = 0;
            for (unsigned r = 0; r < db->nreleases[p]; r++) {
                if (!defuse__vset_has(&set, r))
                    continue;
                tot++;
                hit += defuse__vuln_affects(vu, db->releases[p][r]);
            }
            if (!hit)
                continue;
            certain = hit == tot;
        }
        if (*n >= max)
            return DEFUSE_ELIMIT;
        defuse_component_vuln *o = &out[(*n)++];
        o->id = vu->id;
        o->severity = vu->severity;
        o->cvss = vu->cvss;
        o->fixed = vu->fixed_text;
        o->summary = vu->summary;
        o->certain = certain;
    }
    return pi;
}
