/*
 * inventory_fix.c -- placeholder while the fixer is written.
 */
#include "inventory.h"

#include <stdio.h>

int defuse_inventory_fix(const char *path, unsigned flags, const defuse_inv_limits *limits,
                         const char *backup_dir, defuse_fix_cb cb, void *user, char *errbuf,
                         size_t errlen) {
    snprintf(errbuf, errlen, "%s: not implemented", path);
    return DEFUSE_EINTERNAL;
}

int defuse_inventory_restore(const char *backup_dir, defuse_fix_cb cb, void *user, char *errbuf,
                             size_t errlen) {
    snprintf(errbuf, errlen, "%s: not implemented", backup_dir);
    return DEFUSE_EINTERNAL;
}
