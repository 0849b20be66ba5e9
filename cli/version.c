/*
 * version.c -- the `--version` text of defuse and its sibling programs:
 * the program's version, the vulnerability data it was built with and the
 * JDK case mapping of the decoder.
 *
 * The data's identity (format, sha256 prefix, number of CVEs, date) is
 * read from data/vulndb.json when CMake configures (cmake/vulndb_info.cmake)
 * and handed in as DEFUSE_VULNDB_* definitions: the data file carries no
 * version field of its own, and its hash names it exactly.
 */
#include "cli.h"

#include <stdio.h>

#ifndef DEFUSE_VULNDB_FORMAT
#define DEFUSE_VULNDB_FORMAT "unknown"
#endif
#ifndef DEFUSE_VULNDB_SHA256
#define DEFUSE_VULNDB_SHA256 "unknown"
#endif
#ifndef DEFUSE_VULNDB_DATE
#define DEFUSE_VULNDB_DATE "unknown"
#endif
#ifndef DEFUSE_VULNDB_CVES
#define DEFUSE_VULNDB_CVES "?"
#endif

void cli_print_version(const char *prog) {
    printf("%s %s\n"
           "vulndb %s sha256:%s of %s (%s vulnerabilities)\n"
           "case mapping of %s\n",
           prog, defuse_version(), DEFUSE_VULNDB_FORMAT, DEFUSE_VULNDB_SHA256,
           DEFUSE_VULNDB_DATE, DEFUSE_VULNDB_CVES, defuse_casemap_jdk());
}
