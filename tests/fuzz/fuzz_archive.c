/*
 * fuzz_archive.c -- fuzz target of the inventory's input parsing: the
 * archive walk (zip pre-check, libarchive zip/tar, nesting, limits), entry
 * classification, pom/manifest reading, the class-file reader and the
 * identification, through defuse_inventory_scan_memory(), and the SBOM
 * sniff of a top-level file's head.  Small limits
 * keep each run fast.  Also builds with gcc (replay over corpus/archive/).
 */
#include "inventory.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static defuse_vulndb *db;

static int sink(const defuse_component *c, void *user) {
    size_t *n = user;
    *n += strlen(c->path) + (c->reason ? strlen(c->reason) : 0) +
          (c->evidence_text ? strlen(c->evidence_text) : 0);
    return 0;
}

static void load_db(void) {
    char path[4096], err[256];
    const char *src = getenv("DEFUSE_SRC");
    snprintf(path, sizeof path, "%s/data/vulndb.json", src ? src : ".");
    if (defuse_vulndb_load(&db, path, err, sizeof err) != 0) {
        /* a minimal db so the target runs anywhere */
        static const char mini[] =
            "{\"format\":\"defuse-vulndb/1\",\"products\":{"
            "\"log4j-core\":{\"releases\":[\"2.14.1\"]},\"log4j\":{\"releases\":[\"1.2.17\"]},"
            "\"reload4j\":{\"releases\":[]},\"commons-text\":{\"releases\":[\"1.9\"]}},"
            "\"vulnerabilities\":[{\"id\":\"CVE-2021-44228\",\"product\":\"log4j-core\","
            "\"cvss\":10,\"requires_class\":\"JndiLookup\",\"affected\":[{\"fixed\":\"2.15.0\"}]}]}";
        defuse_vulndb_parse(&db, mini, sizeof mini - 1, err, sizeof err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!db)
        load_db();
    if (!db)
        return 0;
    defuse_inv_limits lim = {0};
    lim.max_depth = 4;
    lim.max_expanded = 8u << 20;
    lim.max_memory_archive = 1u << 20;
    lim.max_spill = 4u << 20;
    lim.max_entries = 10000;
    lim.max_seconds = 5;
    defuse_inventory *inv;
    if (defuse_inventory_new(&inv, db, &lim))
        return 0;
    size_t n = 0;
    defuse_inventory_scan_memory(inv, data, size, "fuzz", sink, &n);
    defuse_inventory_free(inv);
    /* the class reader on its own, too */
    char name[512];
    size_t off;
    defuse__class_name(data, size, name, sizeof name, &off);
    char v[128];
    defuse__prop_get((const char *)data, size, "version", false, v, sizeof v);
    defuse__prop_get((const char *)data, size, "Bundle-Version", true, v, sizeof v);
    /* the SBOM sniff of a top-level file's head */
    (void)defuse__sbom_sniff(data, size < DEFUSE_INV_HEAD ? size : DEFUSE_INV_HEAD);
    return 0;
}
