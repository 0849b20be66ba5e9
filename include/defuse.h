/*
 * defuse.h -- the one public header of libdefuse.
 *
 * libdefuse answers two questions:
 *   1. Detection: for any text (a log line, an HTTP request), would log4j 2.x
 *      have turned it into a JNDI lookup (or another dangerous lookup), and
 *      what would it have fetched?  It emulates log4j's StrSubstitutor and
 *      Interpolator after undoing transport encodings, and reports findings
 *      through a callback.
 *   2. Inventory: where inside files, archives and directory trees are
 *      log4j-core, log4j 1.x, reload4j and commons-text, which versions, and
 *      which CVEs apply (see the "Inventory" section).
 *
 * Conventions (as in libuv and curl):
 *   - Functions that can fail return 0 or a negative defuse_err; use
 *     defuse_strerror() for text.  The library never exits and never prints.
 *   - Every pointer in a struct handed to a callback is BORROWED: valid only
 *     until the callback returns.  Copy what you keep.
 *   - Handles are opaque; *_new() has a matching *_free() that accepts NULL.
 *   - A defuse_scanner is not thread-safe: use one per thread.
 *   - Every quantity the input controls is bounded (see defuse_limits).
 */
#ifndef DEFUSE_H
#define DEFUSE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DEFUSE_VERSION "0.1.0"

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

typedef enum defuse_err {
    DEFUSE_OK = 0,
    DEFUSE_ENOMEM = -1,   /* allocation failed */
    DEFUSE_EINVAL = -2,   /* invalid argument */
    DEFUSE_ELIMIT = -3,   /* an input-controlled limit was reached */
    DEFUSE_EIO = -4,      /* read or write failed (errno may say more) */
    DEFUSE_EFORMAT = -5,  /* malformed or unsupported input */
    DEFUSE_ESTOPPED = -6, /* a callback asked to stop */
    DEFUSE_ENOENT = -7,   /* no such file or entry */
    DEFUSE_EINTERNAL = -8 /* a bug: please report */
} defuse_err;

/* Returns a static, never-NULL English description of err. */
const char *defuse_strerror(int err);

/* Returns the library version string (DEFUSE_VERSION of the build). */
const char *defuse_version(void);

/* ------------------------------------------------------------------------ */
/* Detection                                                                 */
/* ------------------------------------------------------------------------ */

/* What a finding is.  Ordered from most to least severe. */
typedef enum defuse_kind {
    DEFUSE_KIND_JNDI = 0,       /* log4j would perform a JNDI lookup */
    DEFUSE_KIND_TEXT4SHELL = 1, /* commons-text script/dns/url lookup */
    DEFUSE_KIND_RECURSION = 2,  /* CVE-2021-45105 shape: cyclic or runaway
                                   substitution (or nesting past the limit) */
    DEFUSE_KIND_LOOKUP = 3,     /* other lookups, no JNDI (recon probes such
                                   as ${env:USER} or ${java:version}) */
    DEFUSE_KIND_INERT = 4       /* looks like an attempt but would not fire,
                                   e.g. $${jndi:...} or ${base64:...} on 2.x */
} defuse_kind;
#define DEFUSE_KIND_COUNT 5

/* Returns "jndi", "text4shell", "recursion", "lookup" or "inert";
 * "unknown" for out-of-range values. */
const char *defuse_kind_name(defuse_kind k);

/* Techniques: how a payload was obfuscated or what it does.  A finding's
 * `techniques` is a bit set of these. */
enum defuse_technique {
    DEFUSE_TECH_CASE = 1u << 0,        /* mixed-case prefix: ${JnDi: */
    DEFUSE_TECH_LOWER = 1u << 1,       /* ${lower:...} */
    DEFUSE_TECH_UPPER = 1u << 2,       /* ${upper:...} */
    DEFUSE_TECH_UNICODE_CASE = 1u << 3,/* case mapping of non-ASCII letters
                                          (U+0131, U+017F, U+212A, ...) */
    DEFUSE_TECH_DEFAULT = 1u << 4,     /* ":-" default values: ${::-j} */
    DEFUSE_TECH_DATE = 1u << 5,        /* ${date:'j'} literals */
    DEFUSE_TECH_NESTED = 1u << 6,      /* lookups inside a lookup's name */
    DEFUSE_TECH_ESCAPE = 1u << 7,      /* "$$" escapes */
    DEFUSE_TECH_EXFIL = 1u << 8,       /* victim data in the callback name */
    DEFUSE_TECH_HASH_BYPASS = 1u << 9, /* ldap://127.0.0.1#evil (45046) */
    DEFUSE_TECH_JNDIEXPLOIT = 1u << 10,/* command in the path (JNDIExploit) */
    DEFUSE_TECH_ENCODED = 1u << 11,    /* a transport encoding was undone */
    DEFUSE_TECH_BASE64 = 1u << 12,     /* Base64 was undone (Basic auth,
                                          ${base64:...}) */
    DEFUSE_TECH_UNKNOWN_LOOKUP = 1u << 13, /* unknown or victim-state prefix
                                          used only for its default */
    DEFUSE_TECH_DEPTH_LIMIT = 1u << 14,/* evaluation stopped at a limit */
    DEFUSE_TECH_WHITESPACE = 1u << 15, /* whitespace or control chars
                                          inside the lookup */
    /* Conditions: the finding holds only if this is true of the victim or
     * of the way the text was logged. */
    DEFUSE_TECH_UNIX_ONLY = 1u << 16,  /* fires (with this callback) only on
                                          a Unix JVM: ${sys:path.separator},
                                          file.separator, line.separator */
    DEFUSE_TECH_WINDOWS_ONLY = 1u << 17, /* ... only on a Windows JVM */
    DEFUSE_TECH_CLOCK = 1u << 18,      /* depends on when the event was
                                          logged (a ${date:...} value) */
    DEFUSE_TECH_FIELD_SPLIT = 1u << 19 /* judged as the message of its own
                                          field: as one message the whole
                                          buffer would stop log4j before it
                                          (an unclosed "${" or an exception
                                          earlier in the same text) */
};
#define DEFUSE_TECH_COUNT 20

/* Returns the stable name of one technique bit ("lower", "default-value",
 * ...), or NULL if `bit` is not exactly one known bit. */
const char *defuse_technique_name(unsigned bit);

/* Transport decoding layers, in the order they were applied. */
typedef enum defuse_layer {
    DEFUSE_LAYER_PERCENT = 0,   /* %XX (also catches double, triple, ...) */
    DEFUSE_LAYER_PERCENT_U = 1, /* %uXXXX */
    DEFUSE_LAYER_UNICODE = 2,   /* \uXXXX */
    DEFUSE_LAYER_HEX = 3,       /* \xHH */
    DEFUSE_LAYER_OCTAL = 4,     /* \NNN */
    DEFUSE_LAYER_HTML = 5,      /* &#36; &#x24; &dollar; &lbrace; ... */
    DEFUSE_LAYER_JSON = 6,      /* JSON string escapes \" \\ \/ \n ... */
    DEFUSE_LAYER_BASE64 = 7,    /* Basic credentials, ${base64:...} */
    DEFUSE_LAYER_PLUS = 8,      /* '+' as space in form-encoded queries and bodies */
    /* Transport encodings of mail and tokens (docs/decoding.md). */
    DEFUSE_LAYER_JWT = 9,     /* base64url JSON segments of a JWT (eyJ...) */
    DEFUSE_LAYER_MIME_B = 10, /* RFC 2047 encoded-word =?charset?B?...?= */
    DEFUSE_LAYER_MIME_Q = 11, /* RFC 2047 encoded-word =?charset?Q?...?= */
    DEFUSE_LAYER_QP = 12      /* quoted-printable =XX, soft line breaks */
} defuse_layer;
#define DEFUSE_LAYER_COUNT 13

/* Returns "percent", "percent-u", "unicode", "hex", "octal", "html",
 * "json", "base64", "plus", "jwt", "mime-b", "mime-q", "quoted-printable";
 * "unknown" otherwise. */
const char *defuse_layer_name(defuse_layer l);

#define DEFUSE_MAX_REPORTED_LAYERS 16
#define DEFUSE_MAX_REPORTED_EXFIL 16

/*
 * One finding.  All pointers BORROWED, valid only during the callback.
 * String fields are NUL-terminated; the *_len fields give their length
 * (payload and decoded may contain NUL bytes from decoding).
 */
typedef struct defuse_finding {
    defuse_kind kind;
    unsigned techniques;          /* bit set of enum defuse_technique */

    /* The payload as it appears in the scanned buffer (raw, still encoded)
     * and where: buf[offset .. offset+payload_len). */
    const char *payload;
    size_t payload_len;
    size_t offset;

    /* The payload after transport decoding (equal to payload if no layer
     * applied) and the layers applied to it, outermost first. */
    const char *decoded;
    size_t decoded_len;
    defuse_layer layers[DEFUSE_MAX_REPORTED_LAYERS];
    size_t nlayers;

    /* The name log4j would pass to the JNDI lookup (kind jndi), or the
     * lookup key for text4shell (e.g. "script:javascript:..."), or the
     * would-be name for an inert payload; NULL when there is none.
     * Values of the victim (env, sys, hostName, ...) are left as their
     * original ${...} text. */
    const char *callback;
    size_t callback_len; /* the callback may hold NUL bytes: its length */

    /* The callback split as a URL.  scheme is lower-case ("ldap", "rmi",
     * "dns", ...); host/path may be NULL.  port is -1 when absent. */
    const char *scheme;
    const char *host;
    int port;
    const char *path;

    /* Victim data the payload tries to exfiltrate, normalised as
     * "env:AWS_SECRET_ACCESS_KEY", "sys:java.version", "hostName", ... */
    const char *exfil[DEFUSE_MAX_REPORTED_EXFIL];
    size_t nexfil;

    /* The decoded JNDIExploit command when the path carries one
     * ("Basic/Command/Base64/aWQ=" gives "id"), a description for other
     * gadgets ("reverse shell to 10.0.0.1:4444"), else NULL. */
    const char *command;
} defuse_finding;

/* Called once per finding.  Return 0 to continue, non-zero to stop the scan
 * (the scan then returns DEFUSE_ESTOPPED). */
typedef int (*defuse_finding_cb)(const defuse_finding *f, void *user);

/* Every input-controlled quantity of a scan.  defuse_limits_default() fills
 * the defaults of lib/limits.h; zero fields passed to defuse_scanner_new()
 * also mean "default". */
typedef struct defuse_limits {
    size_t max_input;         /* bytes of one buffer examined; the rest is
                                 ignored and flagged (DEFUSE_TECH_DEPTH_LIMIT) */
    unsigned max_layers;      /* transport decoding rounds */
    unsigned max_depth;       /* lookup nesting / recursion depth */
    unsigned max_passes;      /* MessagePatternConverter re-substitutions */
    size_t max_expansion;     /* bytes an evaluated message may grow to */
    size_t max_steps;         /* emulator work units per buffer, as a
                                 multiple of its length (plus a constant) */
    size_t max_findings;      /* findings reported per buffer */
} defuse_limits;

void defuse_limits_default(defuse_limits *out);

/* Scan flags. */
enum defuse_scan_flag {
    /* Do not undo transport encodings: emulate the bytes as given. */
    DEFUSE_SCAN_NO_DECODE = 1u << 0,
    /* Evaluate the whole buffer as exactly one log4j 2.14.1 message
     * (MessagePatternConverter + StrSubstitutor) on one victim (a Unix JVM;
     * the time set with defuse_scanner_set_time()), as the differential
     * test against real log4j does.  Without it (normal mode), the buffer
     * is still evaluated as one message first -- contiguous text is one
     * message -- and then each unclosed "${" (and each expression that
     * ended the evaluation in a cycle or at a limit) also starts a message
     * of its own field: what only those fire carries
     * DEFUSE_TECH_FIELD_SPLIT.  Normal mode also evaluates the raw bytes
     * and every decoding round (findings of a decoded layer carry their
     * layers and DEFUSE_TECH_ENCODED), both platforms, and several times
     * when the time is unknown. */
    DEFUSE_SCAN_EXACT = 1u << 1,
    /* The buffer is an HTTP header value or similar where Base64 after
     * "Basic " should be decoded.  (Detected automatically in log lines.) */
    DEFUSE_SCAN_BASIC_AUTH = 1u << 2
};

typedef struct defuse_scanner defuse_scanner;

/* Creates a scanner.  limits may be NULL (defaults).
 * OUT: *out, owned by the caller, free with defuse_scanner_free().
 * Returns 0, DEFUSE_ENOMEM or DEFUSE_EINVAL. */
int defuse_scanner_new(defuse_scanner **out, const defuse_limits *limits);
void defuse_scanner_free(defuse_scanner *s);

/* Scans buf[0..len) (one log line, one header value, one request) and calls
 * cb for each finding, most severe kind first within one payload.
 * buf need not be NUL-terminated; it is BORROWED for the call.
 * Returns the number of findings reported (>= 0), DEFUSE_ESTOPPED if cb
 * asked to stop, or another negative defuse_err.  Work is linear in len and
 * bounded by the scanner's limits. */
int defuse_scan(defuse_scanner *s, const char *buf, size_t len, unsigned flags,
                defuse_finding_cb cb, void *user);

/* When the text scanned next was logged, for ${date:...}: log4j formats the
 * event's time with the lookup's SimpleDateFormat pattern (on the victim's
 * JDK, assumed JDK 17 with locale en_US), so a date value is known only
 * with the time.  event_ms: milliseconds since 1970-01-01T00:00Z, or
 * DEFUSE_TIME_UNKNOWN (the default); tz_minutes: the victim's UTC offset.
 * With an unknown time a date value is formatted at several times, and a
 * request that only some of them make carries DEFUSE_TECH_CLOCK. */
#define DEFUSE_TIME_UNKNOWN INT64_MIN
void defuse_scanner_set_time(defuse_scanner *s, int64_t event_ms, int tz_minutes);

/* Finds when a log line was written, for defuse_scanner_set_time(): an ISO
 * 8601 / RFC 3339 timestamp (log4j's "yyyy-MM-dd HH:mm:ss,SSS" included) or
 * a common-log-format one ("[10/Dec/2021:10:00:00 +0000]") among the first
 * 160 bytes.  On success returns 0 and sets *event_ms (ms since the epoch,
 * UTC), *tz_minutes (the line's offset east of UTC) and, if flags is not
 * NULL, *flags (DEFUSE_TIME_NO_ZONE: the line gave no zone, UTC assumed).
 * Returns DEFUSE_ENOENT if there is none, DEFUSE_EINVAL for NULL pointers. */
#define DEFUSE_TIME_NO_ZONE 1u
int defuse_log_time(const char *line, size_t len, int64_t *event_ms, int *tz_minutes,
                    unsigned *flags);

/* Fast pre-filter for bulk input: returns the offset of the first byte in
 * buf[0..len) at which something that could decode to a lookup starts
 * ("${", "%24", "\u0024", "&#36;", "Basic ", ...), or len if there is none.
 * A line that holds no candidate can never produce a finding, so callers
 * may skip it.  Thread-safe (no scanner needed). */
size_t defuse_candidate(const char *buf, size_t len);

/* One step of an evaluation, for `defuse explain`.  BORROWED fields. */
typedef struct defuse_step {
    unsigned depth;      /* nesting depth, 0 = top */
    const char *action;  /* "decode", "pass", "lookup", "default", "escape",
                            "unresolved", "jndi", "text4shell", "cycle",
                            "limit", "result"; "inert": the steps after it
                            evaluate an inert payload's text only to name
                            what it carries (log4j does not) */
    const char *input;   /* the expression or text the step starts from */
    size_t input_len;
    const char *output;  /* what it became; NULL if nothing */
    size_t output_len;
    const char *note;    /* short explanation, may be NULL */
} defuse_step;

typedef void (*defuse_step_cb)(const defuse_step *st, void *user);

/* Installs (or with cb NULL removes) a trace callback that receives every
 * step of later defuse_scan() calls on s. */
void defuse_scanner_trace(defuse_scanner *s, defuse_step_cb cb, void *user);

/* Renders f as one JSON object on one line (no trailing newline) with the
 * fields kind, payload, decoded, layers, techniques, callback, scheme, host,
 * port, path, exfil, command.  `extra` is NULL or the text of a JSON object
 * whose members are placed first (e.g. {"file":"a.log","line":3}).
 * Every "$" is written as \u0024 so no consumer that handles the line as
 * text sees a live "${".
 * Returns malloc'd text, freed by the caller with free(); NULL on ENOMEM or
 * if extra is not a JSON object. */
char *defuse_finding_to_json(const defuse_finding *f, const char *extra);

/* Writes a defanged copy of s[0..len) into out[0..outsz) (always
 * NUL-terminated when outsz > 0): "${" -> "$\{", "://" -> "[:]//",
 * "." in host names -> "[.]" (not in a lookup's argument: "${sys:user.name}"),
 * control bytes and terminal-active UTF-8 -> "\xHH", and, so that the
 * result reads back exactly, "\" -> "\\" and a '[' starting "[.]" or "[:]"
 * -> "\[".  Safe for terminals, syslog and chat.  Returns the length the
 * full result needs (excluding the NUL), as snprintf does. */
size_t defuse_defang(const char *s, size_t len, char *out, size_t outsz);

/* Reads defuse_defang() output back: refang(defang(s)) == s for every s
 * (the result may hold NUL bytes: use the returned length).  Same
 * conventions as defuse_defang(). */
size_t defuse_refang(const char *s, size_t len, char *out, size_t outsz);

/* ---- request bodies as an application reads them (lib/bodytext.c) -------- */

/* The Unicode encoding forms a Java application decodes a body with. */
typedef enum defuse_charset {
    DEFUSE_CHARSET_UTF8 = 0, /* also: anything else (bytes scanned as they are) */
    DEFUSE_CHARSET_UTF16BE = 1,
    DEFUSE_CHARSET_UTF16LE = 2,
    DEFUSE_CHARSET_UTF32BE = 3,
    DEFUSE_CHARSET_UTF32LE = 4,
    DEFUSE_CHARSET_EBCDIC = 5  /* IBM037 and its kin (IBM500, IBM1047, IBM1140:
                                  the same codes for every character of a
                                  lookup) */
} defuse_charset;
#define DEFUSE_CHARSET_COUNT 6

/* Returns "utf-8", "utf-16be", "utf-16le", "utf-32be", "utf-32le",
 * "ebcdic"; "unknown" otherwise. */
const char *defuse_charset_name(defuse_charset cs);

/* How a Java application decodes buf[0..len): a declared UTF-16/UTF-32
 * charset first (hint[0..hint_len): a Content-Type charset parameter value
 * such as "utf-16" or "UTF-32LE", any case; NULL or another charset: none;
 * "utf-16"/"utf-32" take the byte order of a BOM, else big-endian), then a
 * BOM (Jackson, Xerces), then the zero bytes among the first four bytes as
 * Jackson detects JSON without a BOM (RFC 4627 section 3; this also
 * recognises "<?xml" in UTF-16/32, XML 1.0 Appendix F), or "<?xm" in EBCDIC
 * (4C 6F A7 94, Appendix F: Xerces then decodes with the declared EBCDIC
 * code page), else UTF-8.  Declared EBCDIC charsets: IBM037, cp037,
 * ebcdic-cp-us, IBM500, IBM1047, IBM1140 and their cp names.
 * *skip (may be NULL) receives the length of the BOM to skip.  Reads at
 * most the first four bytes. */
defuse_charset defuse_charset_detect(const char *buf, size_t len, const char *hint,
                                     size_t hint_len, size_t *skip);

/* Converts buf[0..len) from cs to UTF-8 into out[0..outsz), as Java's
 * decoders do: surrogate pairs combined, unpaired surrogates and code points
 * past U+10FFFF become U+FFFD, a trailing partial code unit is dropped.
 * Returns the bytes written; stops at a whole character when out is full.
 * out needs at most len / 2 * 3 bytes for UTF-16, len for UTF-32 and
 * 2 * len for EBCDIC. */
size_t defuse_charset_to_utf8(defuse_charset cs, const char *buf, size_t len, char *out,
                              size_t outsz);

/* The text content of an XML document buf[0..len) as a DOM parser gives the
 * application (Element.getTextContent() of the root): tags, comments,
 * processing instructions and the DOCTYPE removed, CDATA sections unwrapped,
 * character and predefined references replaced, and references to internal
 * entities of the DOCTYPE's internal subset replaced by their values
 * (expanded up to 8 levels deep); then every attribute value, expanded the
 * same way (Element.getAttribute()), each after a newline.  External entities are never resolved.
 * Malformed input is processed as far as it goes.  Work is bounded (about 8
 * units per input byte plus a constant) and the output by outsz: when either
 * ends the text early, *truncated (may be NULL) is set to 1.  Returns the
 * bytes written to out (not NUL-terminated). */
size_t defuse_xml_text(const char *buf, size_t len, char *out, size_t outsz, int *truncated);

/* ------------------------------------------------------------------------ */
/* Inventory (archives, versions, CVEs): see lib/inventory*.c               */
/* ------------------------------------------------------------------------ */

/* INVENTORY-API-BEGIN */

/* Products the inventory identifies.  log4j-api, log4j-1.2-api and the
 * slf4j bridges are deliberately not products: they are never findings. */
typedef enum defuse_product {
    DEFUSE_PRODUCT_LOG4J_CORE = 0,  /* org.apache.logging.log4j:log4j-core 2.x */
    DEFUSE_PRODUCT_LOG4J1 = 1,      /* log4j:log4j 1.x */
    DEFUSE_PRODUCT_RELOAD4J = 2,    /* ch.qos.reload4j:reload4j */
    DEFUSE_PRODUCT_COMMONS_TEXT = 3 /* org.apache.commons:commons-text */
} defuse_product;
#define DEFUSE_PRODUCT_COUNT 4

/* Returns "log4j-core", "log4j", "reload4j", "commons-text"; "unknown"
 * for out-of-range values. */
const char *defuse_product_name(defuse_product p);

/* Kinds of evidence.  A component's `evidence` is a bit set of these;
 * `decided_by` is the one bit that fixed the reported version. */
enum defuse_evidence {
    DEFUSE_EVID_POM = 1u << 0,      /* META-INF/maven/.../pom.properties */
    DEFUSE_EVID_MANIFEST = 1u << 1, /* META-INF/MANIFEST.MF */
    DEFUSE_EVID_HASH = 1u << 2,     /* SHA-256 of a class in the vulnerability data */
    DEFUSE_EVID_MARKER = 1u << 3,   /* string literals inside a class */
    DEFUSE_EVID_CLASS = 1u << 4     /* class names/paths only (version unknown) */
};
/* Returns "pom", "manifest", "hash", "marker", "class", or NULL if bit is
 * not exactly one known bit. */
const char *defuse_evidence_name(unsigned bit);

/* SHA-256 of the regular file at path as 64 lower-case hex digits and a
 * NUL in out, read in bounded chunks (a file of any size).  Returns 0,
 * DEFUSE_EIO (errno set) if it cannot be opened or read, or DEFUSE_ENOMEM
 * if libcrypto cannot hash. */
int defuse_sha256_file(const char *path, char out[65]);
/* SHA-256 of buf[0..len) as hex, as defuse_sha256_file(); out is "" if
 * libcrypto cannot hash. */
void defuse_sha256_hex(const void *buf, size_t len, char out[65]);

/* Immutable vulnerability data (CVE ranges, class hashes, markers), loaded
 * once and shared by any number of threads. */
typedef struct defuse_vulndb defuse_vulndb;

/* Loads the JSON data file at path (format: docs/scan.md).
 * OUT: *out, owned by the caller, free with defuse_vulndb_free().
 * On error writes a message naming the file and field into errbuf
 * (may be NULL) and returns DEFUSE_EIO, DEFUSE_EFORMAT or DEFUSE_ENOMEM. */
int defuse_vulndb_load(defuse_vulndb **out, const char *path, char *errbuf, size_t errlen);
/* As defuse_vulndb_load() from json[0..len) (BORROWED for the call). */
int defuse_vulndb_parse(defuse_vulndb **out, const char *json, size_t len, char *errbuf,
                        size_t errlen);
/* As defuse_vulndb_load() from the copy of data/vulndb.json compiled into
 * the library (for installs without the data file). */
int defuse_vulndb_builtin(defuse_vulndb **out, char *errbuf, size_t errlen);
void defuse_vulndb_free(defuse_vulndb *db);

/* Every input-controlled quantity of an inventory scan (defaults in
 * lib/limits.h; zero fields mean "default"). */
typedef struct defuse_inv_limits {
    unsigned max_depth;          /* archive nesting levels below a file */
    uint64_t max_entries;        /* entries per archive */
    uint64_t max_expanded;       /* bytes decompressed per top-level file */
    unsigned max_ratio;          /* declared expansion / archive size */
    size_t max_memory_archive;   /* a nested zip up to this size is held in
                                    memory; larger ones spill to a temp file */
    uint64_t max_spill;          /* largest nested archive spilled to disk */
    size_t max_class;            /* bytes read of one class/pom/manifest */
    unsigned max_seconds;        /* wall time per top-level file */
    int no_hashes;               /* non-zero: components carry no sha256 or
                                    sha256_outer (not computed), for an output
                                    that shows none; 0 (default): hashed */
} defuse_inv_limits;

void defuse_inv_limits_default(defuse_inv_limits *out);

/* One CVE that applies to a component.  Strings BORROWED from the db. */
typedef struct defuse_component_vuln {
    const char *id;       /* "CVE-2021-44228" */
    const char *severity; /* "critical", "high", "medium", "low" */
    double cvss;          /* CVSS 3.1 base score of the advisory */
    const char *fixed;    /* "2.15.0 / 2.12.2 / 2.3.1", or "none" */
    const char *summary;  /* one line */
    int certain;          /* 1: every candidate version is affected;
                             0: only some (version not exactly known) */
} defuse_component_vuln;

#define DEFUSE_INV_MAX_VULNS 16

/*
 * One inventory record: a component found, or (err != 0) a file or entry
 * that could not be examined.  All pointers BORROWED, valid only during the
 * callback.  Paths are full nested paths: "app.war!/WEB-INF/lib/x.jar".
 */
typedef struct defuse_component {
    int err;                /* 0, or a negative defuse_err for an error */
    const char *reason;     /* error text (err != 0), else NULL */
    const char *path;       /* the file, archive entry or directory */

    defuse_product product;
    const char *package;    /* package root of the classes inside path
                               ("org/apache/logging/log4j/core/"), or NULL */
    int shaded;             /* classes sit under a relocated package */
    const char *class_path; /* full nested path of the deciding class or
                               pom.properties, or NULL */
    const char *version;    /* "2.14.1"; candidates "2.14.0|2.14.1" or a
                               range "2.4..2.12.1"; NULL if unknown */
    unsigned evidence;      /* bit set of enum defuse_evidence */
    unsigned decided_by;    /* one bit of enum defuse_evidence */
    const char *evidence_text; /* human-readable list of the evidence */
    int jndilookup;         /* log4j-core: 1 JndiLookup present, 0 removed
                               (mitigated), -1 not known; others -1 */
    defuse_component_vuln vulns[DEFUSE_INV_MAX_VULNS];
    size_t nvulns;          /* 0: no known vulnerability applies */
    /* ---- added for issue 10 ---- */
    int warning; /* err != 0 but the file or entry was examined
                    anyway (a wrong CRC, a second zip directory,
                    an entry skipped past a limit, a file that
                    vanished): counted in warnings, not errors */
    const char *sbom; /* NULL, or (err == 0, no product: not a component)
                         path is a top-level file that is a software bill of
                         materials, recognised by content; its format:
                         "cyclonedx-json", "cyclonedx-xml", "spdx-json" or
                         "spdx-tag-value".  It lists software but holds none,
                         so nothing in it was scanned (the exposure register,
                         `defuse register ingest`, reads it) */
    const char *sha256; /* NULL, or (a component in a nested zip: path has
                           "!/") the SHA-256 of that nested archive's bytes
                           as 64 hex digits.  NULL for a top-level file (the
                           caller has it) and for an archive streamed from
                           a tar, whose bytes are not held */
    const char *sha256_outer; /* NULL, or (a component) the SHA-256 of the
                                 top-level file that holds it -- the file
                                 given or found by the walk -- as 64 hex
                                 digits; hashed once per file, in the
                                 scanning thread, only if it holds a
                                 component.  NULL for errors and SBOM records,
                                 a stream (not a regular file) and a file
                                 that could not be read to its end */
} defuse_component;

/* Called once per record.  Return 0 to continue, non-zero to stop
 * (the scan then returns DEFUSE_ESTOPPED). */
typedef int (*defuse_component_cb)(const defuse_component *c, void *user);

/* A per-thread inventory scanner over one immutable db. */
typedef struct defuse_inventory defuse_inventory;

/* Creates a scanner; db is BORROWED and must outlive it; limits may be NULL.
 * OUT: *out, free with defuse_inventory_free().  Returns 0, DEFUSE_ENOMEM
 * or DEFUSE_EINVAL. */
int defuse_inventory_new(defuse_inventory **out, const defuse_vulndb *db,
                         const defuse_inv_limits *limits);
void defuse_inventory_free(defuse_inventory *inv);

/* Examines one file (archive by content, class file, or anything else) and
 * reports components and errors through cb.  `display` names the file in
 * reported paths (NULL: path).  Returns the number of components with at
 * least one vulnerability (>= 0), DEFUSE_ESTOPPED, or a negative defuse_err
 * if the file could not be opened (also reported through cb). */
int defuse_inventory_scan_file(defuse_inventory *inv, const char *path, const char *display,
                               defuse_component_cb cb, void *user);
/* As defuse_inventory_scan_file() for buf[0..len) (BORROWED) named name. */
int defuse_inventory_scan_memory(defuse_inventory *inv, const void *buf, size_t len,
                                 const char *name, defuse_component_cb cb, void *user);

/* Directory walk flags. */
enum defuse_walk_flag {
    DEFUSE_WALK_FOLLOW_SYMLINKS = 1u << 0, /* follow symlinks (loop-safe) */
    DEFUSE_WALK_ONE_FS = 1u << 1,          /* stay on each root's file system */
    DEFUSE_WALK_ALL_FS = 1u << 2           /* also /proc, /sys, /dev and
                                              network file systems */
};

typedef struct defuse_walk_stats {
    uint64_t files;      /* regular files examined */
    uint64_t bytes;      /* their total size */
    uint64_t archives;   /* archives opened (any depth) */
    uint64_t components; /* records with err == 0 and sbom == NULL */
    uint64_t vulnerable; /* components with nvulns > 0 */
    uint64_t errors;     /* records with err != 0 and warning == 0 */
    double seconds;      /* wall time so far */
    uint64_t warnings;   /* records with err != 0 and warning != 0 */
    uint64_t sboms;      /* records with sbom != NULL (not in components) */
} defuse_walk_stats;

typedef void (*defuse_progress_cb)(const defuse_walk_stats *st, void *user);

typedef struct defuse_walk_options {
    unsigned flags;             /* enum defuse_walk_flag */
    unsigned threads;           /* workers; 0 = one per online CPU */
    const defuse_inv_limits *limits; /* NULL = defaults */
    defuse_progress_cb progress;     /* NULL, or called ~5 times a second
                                        from the walking thread */
    void *progress_user;
    /* ---- added for issue 10 ---- */
    const char *const *exclude; /* BORROWED, nexclude fnmatch() globs: a
                                   file or directory below a root that one
                                   names is pruned (never opened); a glob
                                   with a '/' is matched against the whole
                                   path, one without against the name, one
                                   ending in '/' names directories only */
    size_t nexclude;
    const char *skip_dir; /* NULL, or a directory left out of the walk
                             wherever it appears (matched by device and
                             inode, so any path or link to it): --fix's
                             backup directory inside the scanned tree */
} defuse_walk_options;

/* Walks paths[0..npaths) (files or directories) with a pool of worker
 * threads, each with its own scanner over db.  cb is called under a lock,
 * one record at a time; stats (may be NULL) receive the totals.  Exploded
 * class directories are recognised by their class paths.  Returns 0,
 * DEFUSE_ESTOPPED, or a negative defuse_err for a setup failure; per-file
 * errors are records, not return values. */
int defuse_inventory_walk(const defuse_vulndb *db, const char *const *paths, size_t npaths,
                          const defuse_walk_options *opt, defuse_component_cb cb, void *user,
                          defuse_walk_stats *stats);

/* --fix ------------------------------------------------------------------ */

enum defuse_fix_flag {
    DEFUSE_FIX_LOG4J1 = 1u << 0, /* also remove log4j 1.x JMSAppender,
                                    SocketServer, SMTPAppender, JMSSink,
                                    JDBCAppender and chainsaw classes */
    DEFUSE_FIX_DRY_RUN = 1u << 1 /* report what would change, write nothing */
};

/* Called for each entry removed (or, with DRY_RUN, to be removed); path is
 * the full nested path, BORROWED. */
typedef void (*defuse_fix_cb)(const char *path, void *user);

/* Removes JndiLookup (and with DEFUSE_FIX_LOG4J1 the log4j 1.x classes)
 * from the zip-family or tar archive at path (same format and compression
 * filter), nested archives included, and drops
 * the signature files of every archive it changes.  If path is a directory
 * (an exploded class tree) the loose class files are removed instead, each
 * backed up and recorded like an archive.  The new file replaces
 * the old atomically (temp file + rename) with the same owner, mode and
 * mtime and extended attributes (POSIX ACLs, SELinux label).  A symbolic
 * link is resolved and its target fixed; the link is kept.  A file with
 * more than one hard link is refused (DEFUSE_EINVAL), as is one replaced
 * between the read and the rename (the new file is left alone).  Removed
 * entries are reported to cb only once the new file is in place.  If
 * backup_dir is non-NULL the original bytes are first copied
 * there and recorded in backup_dir/manifest.jsonl for
 * defuse_inventory_restore().  Returns the number of entries removed (0:
 * file unchanged), or a negative defuse_err with a message in errbuf; on
 * error the original file is untouched. */
int defuse_inventory_fix(const char *path, unsigned flags, const defuse_inv_limits *limits,
                         const char *backup_dir, defuse_fix_cb cb, void *user, char *errbuf,
                         size_t errlen);

enum defuse_restore_flag {
    DEFUSE_RESTORE_FORCE = 1u << 0 /* re-create files deleted since the fix */
};

/* Restores every file recorded in backup_dir/manifest.jsonl whose current
 * content is still the fixed one (else it is skipped with an error),
 * atomically and with owner, mode, mtime and extended attributes (ACLs,
 * security label).  A file deleted since the fix is not re-created unless
 * flags has DEFUSE_RESTORE_FORCE (errcb is told).  A missing or tampered
 * backup fails that record only: the others are still restored.  cb (may
 * be NULL) receives each restored path, errcb (may be NULL) each failure
 * or skipped record as a message, both with user.  Returns the number
 * restored, or a negative defuse_err (first message in errbuf) if any
 * record failed. */
int defuse_inventory_restore(const char *backup_dir, unsigned flags, defuse_fix_cb cb,
                             defuse_fix_cb errcb, void *user, char *errbuf, size_t errlen);

/* INVENTORY-API-END */

/* ---- matching named components (SBOM entries, the exposure register) --------- */

/* The product a component named by Maven coordinates (group may be NULL or
 * "" for a bare name such as an SPDX package name or the scanner's product
 * name) is: "org.apache.logging.log4j"/"log4j-core", "log4j"/"log4j",
 * "ch.qos.reload4j"/"reload4j", "org.apache.commons"/"commons-text", or
 * those bare names.  Returns a defuse_product (>= 0), DEFUSE_ENOENT for
 * anything else -- log4j-api, log4j-to-slf4j, log4j-1.2-api and the slf4j
 * bridges included, on purpose -- or DEFUSE_EINVAL (name NULL or empty). */
int defuse_product_identify(const char *group, const char *name);

/* Evaluates the component (group, name) at `version` against db (lib/vulndb_match.c).
 * version: exact ("2.14.1"), the scanner's candidates ("2.14.0|2.14.1") or
 * range ("2.4..2.12.1"), judged release by release; NULL, "", or a range
 * of another notation ("[2.0,2.15)", ">=2.0", "2.x") is unknown: every CVE
 * of the product is reported with certain = 0 (needs review), never none.
 * CVEs that need a class (JndiLookup, JMSAppender) are reported: whether
 * the class was removed is the caller's fact.
 * OUT: out[0..*n) (strings BORROWED from db), *exact (may be NULL): 1 if
 * the version was exact.  Returns the product (>= 0), DEFUSE_ENOENT (not a
 * product: no CVE applies), DEFUSE_ELIMIT (more than max CVEs), or
 * DEFUSE_EINVAL. */
int defuse_vulndb_match(const defuse_vulndb *db, const char *group, const char *name,
                        const char *version, defuse_component_vuln *out, size_t max, size_t *n,
                        int *exact);

/* ---- case mapping ------------------------------------------------------------ */

/* The JDK whose String.toLowerCase/toUpperCase(Locale.US) the emulator
 * reproduces for ${lower:...}, ${upper:...} and lookup prefixes: its tables
 * were generated from it, e.g. "OpenJDK 17.0.15+6-Debian-1deb12u1 (Unicode
 * 13.0)".  A static string. */
const char *defuse_casemap_jdk(void);

#ifdef __cplusplus
}
#endif
#endif /* DEFUSE_H */
