/*
 * test_inventory_fix.c -- unit tests of defuse_inventory_fix() on archives
 * built here: a file replaced between the read and the rename (a package
 * upgrade racing --fix) is left alone and the failure says so; on that
 * failure no "removed" entry is reported and no manifest record written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "inventory.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char jndi[] = "org/apache/logging/log4j/core/lookup/JndiLookup.class";

/* Writes a zip holding JndiLookup.class and one other entry to path. */
static void write_jar(const char *path) {
    struct archive *w = archive_write_new();
    archive_write_set_format_zip(w);
    assert_int_equal(archive_write_open_filename(w, path), ARCHIVE_OK);
    const char *names[] = {jndi, "org/apache/logging/log4j/core/LoggerContext.class"};
    for (size_t i = 0; i < 2; i++) {
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_pathname(ae, names[i]);
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0644);
        archive_entry_set_size(ae, 8);
        assert_int_equal(archive_write_header(w, ae), ARCHIVE_OK);
        assert_int_equal(archive_write_data(w, "\xCA\xFE\xBA\xBE\0\0\0\x34", 8), 8);
        archive_entry_free(ae);
    }
    archive_write_close(w);
    archive_write_free(w);
}

typedef struct race {
    const char *path;
    int calls;
} race;

static race *the_race;

/* Called by the fixer just before its rename: an "upgrade" replaces the
 * file by a new one, as dpkg does (write + rename). */
static void replace_during_fix(const char *entry) {
    race *r = the_race;
    (void)entry;
    if (r->calls++)
        return;
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.dpkg-new", r->path);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs("the upgraded file", f);
    fclose(f);
    assert_int_equal(rename(tmp, r->path), 0);
}

static void on_removed(const char *entry, void *user) {
    (void)entry;
    (*(int *)user)++;
}

static void test_replaced_during_fix(void **state) {
    (void)state;
    char dir[] = "/tmp/defuse-fix-XXXXXX", path[512], bk[512], mf[600];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/core.jar", dir);
    snprintf(bk, sizeof bk, "%s/bk", dir);
    snprintf(mf, sizeof mf, "%s/manifest.jsonl", bk);
    assert_int_equal(mkdir(bk, 0700), 0);
    write_jar(path);
    race r = {path, 0};
    char err[512];
    int removed = 0;
    the_race = &r;
    defuse__fix_before_rename = replace_during_fix;
    int rc = defuse_inventory_fix(path, 0, NULL, bk, on_removed, &removed, err, sizeof err);
    defuse__fix_before_rename = NULL;
    /* the race happened and the fix failed, naming it, with no "removed" */
    assert_int_equal(r.calls, 1);
    assert_true(rc < 0);
    assert_int_equal(removed, 0);
    assert_non_null(strstr(err, "replaced"));
    /* the new file is left alone */
    char buf[64] = {0};
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "the upgraded file");
    /* no manifest record for a file not fixed */
    struct stat st;
    assert_true(stat(mf, &st) != 0 || st.st_size == 0);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replaced_during_fix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
