/*
 * casemap_tables.h -- the shape of the generated JDK case-mapping tables
 * (lib/casemap_jdk17.c, written by tests/tools/GenCaseMap.java) that
 * lib/casemap.c reads.  Internal; every array is sorted by code point and
 * its ranges are disjoint.
 */
#ifndef DEFUSE_CASEMAP_TABLES_H
#define DEFUSE_CASEMAP_TABLES_H

#include <stddef.h>
#include <stdint.h>

/* Code points lo, lo+step, ..., hi map to cp + delta (step 1 or 2; the code
 * points a step-2 range skips map to themselves). */
typedef struct defuse__cm_range {
    uint32_t lo, hi;
    int32_t delta;
    uint32_t step;
} defuse__cm_range;

/* A one-to-many mapping: cp -> out[0..] (unused slots are 0). */
typedef struct defuse__cm_expansion {
    uint32_t cp;
    uint32_t out[3];
} defuse__cm_expansion;

/* Code points lo..hi have class cls (for defuse__cm_cased, cls is 0). */
typedef struct defuse__cm_span {
    uint32_t lo, hi;
    uint32_t cls;
} defuse__cm_span;

extern const char defuse__cm_jdk[];
extern const defuse__cm_range defuse__cm_lower_ranges[], defuse__cm_upper_ranges[];
extern const size_t defuse__cm_lower_nranges, defuse__cm_upper_nranges;
extern const defuse__cm_expansion defuse__cm_lower_exp[], defuse__cm_upper_exp[];
extern const size_t defuse__cm_lower_nexp, defuse__cm_upper_nexp;
extern const defuse__cm_span defuse__cm_cased[], defuse__cm_word[];
extern const size_t defuse__cm_ncased, defuse__cm_nword;
extern const unsigned defuse__cm_growth_x100;

#endif
