/*
 * limits.h -- every limit that input controls, in one place.
 *
 * Each is a default; the detection limits can be overridden per scanner
 * through struct defuse_limits.  Keep each with a sentence on why its value.
 */
#ifndef DEFUSE_LIMITS_H
#define DEFUSE_LIMITS_H

/* ---- detection ---------------------------------------------------------- */

/* Bytes of one buffer (line, header, body) examined by defuse_scan(). Lines
 * longer than this are examined in their first 16 MiB; real payloads are far
 * shorter and a longer "line" is almost always binary. */
#define DEFUSE_DEFAULT_MAX_INPUT (16u * 1024u * 1024u)

/* Transport decoding rounds.  Each round undoes one layer of every encoding
 * (percent, entities, escapes); attackers rarely stack more than three. */
#define DEFUSE_DEFAULT_MAX_LAYERS 8u

/* Lookup nesting depth (${${${...}}}) and value recursion.  Real log4j
 * overflows its stack in the thousands; obfuscated payloads in the wild use
 * fewer than ten.  Deeper input is reported as kind "recursion", and its
 * innermost expressions are still judged so a callback inside is reported
 * (technique "limit"; lib/detect.c salvage()). */
#define DEFUSE_DEFAULT_MAX_DEPTH 32u

/* MessagePatternConverter re-runs substitution once for every later "${";
 * only passes that change the text matter (a fixpoint ends the loop), and
 * each strips at least one "$" escape.  The work budget below is the real
 * bound on a long line; this one only stops a short line from looping. */
#define DEFUSE_DEFAULT_MAX_PASSES 256u

/* An evaluated message may grow (upper-casing "ß" doubles it): bound it. */
#define DEFUSE_DEFAULT_MAX_EXPANSION (64u * 1024u * 1024u)

/* Emulator work per buffer: max_steps * len + DEFUSE_STEPS_CONSTANT units
 * (one unit ~ one byte scanned or copied). */
#define DEFUSE_DEFAULT_MAX_STEPS 64u
#define DEFUSE_STEPS_CONSTANT (1u << 20)

/* Findings reported for one buffer. */
#define DEFUSE_DEFAULT_MAX_FINDINGS 256u

#endif /* DEFUSE_LIMITS_H */
