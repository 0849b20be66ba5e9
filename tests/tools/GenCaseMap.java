/*
 * GenCaseMap.java -- writes lib/casemap_jdk17.c, the case-mapping tables of
 * the JDK it runs on (see docs/decoding.md, "Case mapping").
 *
 * For every code point 0..0x10FFFF except the surrogates (which UTF-8 input
 * never yields) it records String.toLowerCase(Locale.US) and
 * String.toUpperCase(Locale.US) of the one-code-point string, as ranges of
 * equal delta (every code point, or every second one), plus the few
 * one-to-many mappings (U+00DF -> "SS", U+0130 -> "i\u0307", U+0390 -> three
 * code points, ...).  For Java's final-sigma rule it also records
 * java.lang.ConditionalSpecialCasing.isCased() (read by reflection, hence
 * --add-opens) and the classes of the JDK's word BreakIterator rules
 * (letters, digits, ignored marks, mid-word and mid-number punctuation),
 * derived from Character.getType() of the same JDK.
 *
 * Usage (scripts/gen-casemap.sh does this):
 *   javac -d DIR tests/tools/GenCaseMap.java
 *   java --add-opens java.base/java.lang=ALL-UNNAMED -cp DIR GenCaseMap > lib/casemap_jdk17.c
 */
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

public final class GenCaseMap {
    /* Word-break classes; must match enum cm_wclass in lib/casemap.c. */
    static final int W_OTHER = 0, W_LET = 1, W_DGT = 2, W_IGN = 3, W_MIDW = 4, W_MIDN = 5,
            W_MIDWN = 6, W_FMT = 7, W_DANDA = 8;

    static final StringBuilder out = new StringBuilder();

    static int[] cps(final String s) {
        return s.codePoints().toArray();
    }

    static int utf8len(final int cp) {
        return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }

    static double maxGrowth = 0;

    /* One map: ranges {lo, hi, delta, step} and expansions. */
    static void emitMap(final String name, final boolean upper) {
        final int[] delta = new int[0x110000];
        final boolean[] mapped = new boolean[0x110000];
        final List<int[]> exp = new ArrayList<>();
        for (int cp = 0; cp < 0x110000; cp++) {
            if (cp >= 0xD800 && cp <= 0xDFFF) {
                continue;
            }
            final String s = new String(Character.toChars(cp));
            final String m = upper ? s.toUpperCase(Locale.US) : s.toLowerCase(Locale.US);
            final int[] r = cps(m);
            int outlen = 0;
            for (final int c : r) {
                outlen += utf8len(c);
            }
            maxGrowth = Math.max(maxGrowth, (double) outlen / utf8len(cp));
            if (r.length == 1) {
                if (r[0] != cp) {
                    mapped[cp] = true;
                    delta[cp] = r[0] - cp;
                }
            } else {
                if (r.length > 3) {
                    throw new IllegalStateException("expansion longer than 3 at " + cp);
                }
                final int[] e = new int[4];
                e[0] = cp;
                System.arraycopy(r, 0, e, 1, r.length);
                exp.add(e);
            }
        }
        /* Greedy runs: equal delta, step 1 or 2; a step-2 run only skips
         * unmapped code points, so runs never interleave. */
        final List<int[]> runs = new ArrayList<>();
        int cp = 0;
        while (cp < 0x110000) {
            if (!mapped[cp]) {
                cp++;
                continue;
            }
            final int d = delta[cp];
            int step = 1;
            if (cp + 1 < 0x110000 && mapped[cp + 1] && delta[cp + 1] == d) {
                step = 1;
            } else if (cp + 2 < 0x110000 && !mapped[cp + 1] && mapped[cp + 2] && delta[cp + 2] == d) {
                step = 2;
            }
            int hi = cp;
            while (true) {
                final int nx = hi + step;
                if (nx >= 0x110000 || !mapped[nx] || delta[nx] != d) {
                    break;
                }
                if (step == 2 && mapped[hi + 1]) {
                    break;
                }
                hi = nx;
            }
            runs.add(new int[] {cp, hi, d, step});
            cp = hi + 1;
        }
        out.append(String.format("const defuse__cm_range defuse__cm_%s_ranges[] = {\n", name));
        for (final int[] r : runs) {
            out.append(String.format("    {0x%04X, 0x%04X, %d, %d},\n", r[0], r[1], r[2], r[3]));
        }
        out.append("};\n");
        out.append(String.format("const size_t defuse__cm_%s_nranges = %d;\n\n", name, runs.size()));
        out.append(String.format("const defuse__cm_expansion defuse__cm_%s_exp[] = {\n", name));
        for (final int[] e : exp) {
            out.append(String.format("    {0x%04X, {0x%04X, 0x%04X, 0x%04X}},\n", e[0], e[1], e[2], e[3]));
        }
        out.append("};\n");
        out.append(String.format("const size_t defuse__cm_%s_nexp = %d;\n\n", name, exp.size()));
    }

    static int wordClass(final int cp) {
        /* The mid-word and mid-number marks first: U+00AD is also Cf. */
        if (cp == '"' || cp == '\'' || cp == '.') {
            return W_MIDWN;
        }
        final int t = Character.getType(cp);
        if (t == Character.DASH_PUNCTUATION || t == Character.CONNECTOR_PUNCTUATION || cp == 0x00AD
                || cp == 0x2027) {
            return W_MIDW;
        }
        if (cp == ',' || cp == 0x066B) {
            return W_MIDN;
        }
        if (cp == 0x0964 || cp == 0x0965) {
            return W_DANDA;
        }
        switch (t) {
        case Character.NON_SPACING_MARK:
        case Character.ENCLOSING_MARK:
            return W_IGN;
        case Character.FORMAT:
            return W_FMT;
        case Character.UPPERCASE_LETTER:
        case Character.LOWERCASE_LETTER:
        case Character.TITLECASE_LETTER:
        case Character.MODIFIER_LETTER:
        case Character.OTHER_LETTER:
        case Character.COMBINING_SPACING_MARK:
            /* Kanji, katakana and hiragana letters form words of their
             * own in the JDK's rules, never one with cased letters. */
            if (cp == 0x3005 || (cp >= 0x4E00 && cp <= 0x9FA5) || (cp >= 0xF900 && cp <= 0xFA2D)
                    || (cp >= 0x3041 && cp <= 0x309E) || (cp >= 0x30A1 && cp <= 0x30FE)) {
                return W_OTHER;
            }
            return W_LET;
        case Character.DECIMAL_DIGIT_NUMBER:
        case Character.LETTER_NUMBER:
        case Character.OTHER_NUMBER:
            return W_DGT;
        default:
            return W_OTHER;
        }
    }

    public static void main(final String[] args) throws Exception {
        final Class<?> csc = Class.forName("java.lang.ConditionalSpecialCasing");
        final Method isCased = csc.getDeclaredMethod("isCased", int.class);
        isCased.setAccessible(true);
        final String jdk = System.getProperty("java.runtime.version");
        final String vendor = System.getProperty("java.vm.name");
        /* The JDK has no API for its Unicode version: the newest of these
         * letters it knows tells it. */
        final String unicode = Character.isDefined(0x1E030) ? "15.0"
                : Character.isDefined(0x2C2F) ? "14.0"
                : Character.isDefined(0xA7C7) ? "13.0" : "12.1 or older";

        out.append("/*\n");
        out.append(" * casemap_jdk17.c -- GENERATED by tests/tools/GenCaseMap.java (scripts/gen-casemap.sh)\n");
        out.append(String.format(" * from %s %s, Unicode %s.  DO NOT EDIT.\n", vendor, jdk, unicode));
        out.append(" *\n");
        out.append(" * String.toLowerCase/toUpperCase(Locale.US) of every single code point, the\n");
        out.append(" * cased letters of java.lang.ConditionalSpecialCasing and the classes of the\n");
        out.append(" * JDK's word BreakIterator, read by lib/casemap.c.  Regenerate with\n");
        out.append(" *   bash scripts/gen-casemap.sh          (needs javac/java of the JDK to mirror)\n");
        out.append(" */\n");
        out.append("#include \"casemap_tables.h\"\n\n");
        out.append("/* clang-format off */\n");
        out.append(String.format("const char defuse__cm_jdk[] = \"OpenJDK %s (Unicode %s)\";\n\n", jdk, unicode));

        emitMap("lower", false);
        emitMap("upper", true);

        /* isCased as ranges. */
        final List<int[]> cased = new ArrayList<>();
        for (int cp = 0; cp < 0x110000; cp++) {
            if ((Boolean) isCased.invoke(null, cp)) {
                if (!cased.isEmpty() && cased.get(cased.size() - 1)[1] == cp - 1) {
                    cased.get(cased.size() - 1)[1] = cp;
                } else {
                    cased.add(new int[] {cp, cp});
                }
            }
        }
        out.append("const defuse__cm_span defuse__cm_cased[] = {\n");
        for (final int[] r : cased) {
            out.append(String.format("    {0x%04X, 0x%04X, 0},\n", r[0], r[1]));
        }
        out.append("};\n");
        out.append(String.format("const size_t defuse__cm_ncased = %d;\n\n", cased.size()));

        /* Word classes as runs of one class (W_OTHER omitted). */
        final List<int[]> wc = new ArrayList<>();
        for (int cp = 0; cp < 0x110000; cp++) {
            final int c = wordClass(cp);
            if (c == W_OTHER) {
                continue;
            }
            final int[] last = wc.isEmpty() ? null : wc.get(wc.size() - 1);
            if (last != null && last[1] == cp - 1 && last[2] == c) {
                last[1] = cp;
            } else {
                wc.add(new int[] {cp, cp, c});
            }
        }
        out.append("const defuse__cm_span defuse__cm_word[] = {\n");
        for (final int[] r : wc) {
            out.append(String.format("    {0x%04X, 0x%04X, %d},\n", r[0], r[1], r[2]));
        }
        out.append("};\n");
        out.append(String.format("const size_t defuse__cm_nword = %d;\n\n", wc.size()));

        /* Bytes of UTF-8 out per byte in, over every code point (invalid
         * input bytes become U+FFFD: 3 bytes out of 1, the larger bound). */
        out.append(String.format("/* Largest UTF-8 growth of one code point's mapping: %.2fx. */\n", maxGrowth));
        out.append(String.format("const unsigned defuse__cm_growth_x100 = %d;\n", (int) Math.ceil(maxGrowth * 100)));
        System.out.print(out);
    }
}
