/*
 * limits.h -- every limit that input controls, in one place.
 *
 * Each is a default; the detection limits can be overridden per scanner
 * through struct defuse_limits, the inventory limits per walk through
 * struct defuse_inv_limits.  Keep each with a sentence on why its value.
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
#define DEFUSE_DEFAULT_MAX_STEPS 8u
#define DEFUSE_STEPS_CONSTANT (1u << 20)

/* Findings reported for one buffer. */
#define DEFUSE_DEFAULT_MAX_FINDINGS 256u

/* ---- transport decoding of tokens and mail (lib/decode.c) ----------------
 * Bounds of the first-round rules of docs/decoding.md; every one only ever
 * shrinks its input. */

/* Longest JWT (three segments and the dots) decoded: real tokens are a few
 * KiB; a longer run of "eyJ..." is left as it is. */
#define DEFUSE_JWT_MAX (64u * 1024u)
/* A cookie value is taken for Base64 when its Base64 part is this long at
 * least (shorter values: "true", "en-US", ids) and at most the second. */
#define DEFUSE_COOKIE_B64_MIN 8u
#define DEFUSE_COOKIE_B64_MAX (64u * 1024u)
/* An RFC 2047 encoded-word: charset name and encoded text.  RFC 2047 caps
 * a word at 75 bytes; JavaMail decodes longer ones, so we do up to this. */
#define DEFUSE_MIME_CHARSET_MAX 40u
#define DEFUSE_MIME_WORD_MAX (16u * 1024u)
/* Whitespace between two adjacent encoded-words that is dropped. */
#define DEFUSE_MIME_GAP_MAX 256u

/* ---- inventory (defaults of struct defuse_inv_limits) ---------------------
 * Every quantity an archive controls, with why its value. */

/* Nesting below a file: real deployments nest war > jar > jar (3); Spring
 * Boot and docker layers add two more.  16 matches google/log4jscanner. */
#define DEFUSE_INV_MAX_DEPTH 16u
/* Entries per archive: the biggest real fat jars hold ~200k entries. */
#define DEFUSE_INV_MAX_ENTRIES 1000000u
/* Bytes decompressed per top-level file (nested archives, class files,
 * heads sniffed, tar streams): 4 GiB covers a large image layer. */
#define DEFUSE_INV_MAX_EXPANDED (4ull << 30)
/* Declared expansion / compressed size of one zip.  Deflate cannot exceed
 * about 1032:1, so a zip declaring more than 2000:1 overlaps its entries
 * (a zip bomb such as zbsm) and is refused before anything is inflated. */
#define DEFUSE_INV_MAX_RATIO 2000u
/* Below this total declared size a zip is never a ratio bomb. */
#define DEFUSE_INV_RATIO_FLOOR (64ull << 20)
/* A nested zip (which needs seeking for its central directory) up to this
 * size is held in memory; a larger one spills to an unlinked temp file. */
#define DEFUSE_INV_MAX_MEMORY_ARCHIVE (16u << 20)
/* Largest nested archive spilled to disk. */
#define DEFUSE_INV_MAX_SPILL (2ull << 30)
/* Bytes read of one class, pom.properties or MANIFEST.MF: the largest
 * log4j class is ~60 KiB. */
#define DEFUSE_INV_MAX_CLASS (4u << 20)
/* Wall time per top-level file. */
#define DEFUSE_INV_MAX_SECONDS 300u
/* Component package roots tracked per container (a fat jar shading many
 * copies is still far below this). */
#define DEFUSE_INV_MAX_KEYS 64u
/* pom.properties files remembered per container. */
#define DEFUSE_INV_MAX_POMS 32u
/* Longest nested path reported. */
#define DEFUSE_INV_MAX_PATH 8192u
/* Bytes sniffed at the start of a file or entry to recognise its type. */
#define DEFUSE_INV_SNIFF 512u
/* Bytes read at once from the start of a walked file: a file shorter than
 * this is then wholly in memory, so its size (and its end, for the zip
 * directory check) is known without fstat() or a second read. */
#define DEFUSE_INV_HEAD 4096u
/* Bytes searched at the end of a file for a zip end-of-central-directory
 * record (a zip comment may be up to 65535 bytes). */
#define DEFUSE_INV_TAIL (65535u + 22u)
/* Largest zip central directory read by the bomb pre-check. */
#define DEFUSE_INV_MAX_CENTRAL_DIR (256u << 20)
/* Evidence text per component. */
#define DEFUSE_INV_MAX_EVIDENCE 2048u

/* Limits of the vulnerability data (checked at load). */
#define DEFUSE_VDB_MAX_RELEASES 128u
#define DEFUSE_VDB_MAX_MARKERS 64u
/* Distribution patches known per CVE (vulndb "fixed_by"), and the classes
 * each is recognised by (all must match their SHA-256). */
#define DEFUSE_VDB_MAX_PATCHES 8u
#define DEFUSE_VDB_MAX_PATCH_CLASSES 4u
#define DEFUSE_VDB_MAX_FILE (16u << 20)

/* ---- output --------------------------------------------------------------- */

/* Bytes of one string field of a finding (payload, decoded, callback, host,
 * path, command, each exfil value) written by defuse_finding_to_json().  A
 * longer field keeps its first bytes (cut on a UTF-8 boundary) and is
 * identified by "FIELD_length" and "FIELD_sha256" members, with
 * "truncated": true: a 1 MiB body must not make a 4 MB log line in every
 * front end.  4 KiB holds every real payload in the corpus many times over. */
#define DEFUSE_JSON_MAX_FIELD 4096u

#endif /* DEFUSE_LIMITS_H */
