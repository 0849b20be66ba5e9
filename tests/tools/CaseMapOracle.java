/*
 * CaseMapOracle.java -- the JDK's side of tests/e2e/casemap_jdk.sh: what
 * String.toLowerCase/toUpperCase(Locale.US) make of UTF-8 bytes decoded the
 * way the JVM decodes them (new String(bytes, UTF_8): one U+FFFD per
 * malformed subsequence).  Compared byte for byte with tests/tools/
 * casemap_eval.c, which runs lib/casemap.c.
 *
 *   java CaseMapOracle all           every code point but the surrogates:
 *                                    "CP LOWERHEX UPPERHEX" (UTF-8 hex)
 *   java CaseMapOracle gen SEED N    N random inputs, one hex line each
 *   java CaseMapOracle map           for each hex line on stdin:
 *                                    "LOWERHEX UPPERHEX"
 */
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.SplittableRandom;

public final class CaseMapOracle {
    static final char[] HEX = "0123456789abcdef".toCharArray();

    static String hex(final byte[] b) {
        final char[] c = new char[b.length * 2];
        for (int i = 0; i < b.length; i++) {
            c[2 * i] = HEX[(b[i] >> 4) & 15];
            c[2 * i + 1] = HEX[b[i] & 15];
        }
        return new String(c);
    }

    static byte[] unhex(final String s) {
        final byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    static String both(final String s) {
        return hex(s.toLowerCase(Locale.US).getBytes(StandardCharsets.UTF_8)) + " "
                + hex(s.toUpperCase(Locale.US).getBytes(StandardCharsets.UTF_8));
    }

    /* Pieces the random inputs are made of: each is a code point range or
     * raw bytes (invalid UTF-8 among them). */
    static final int[][] POOLS = {
        {0x20, 0x7E},        /* ASCII */
        {0x0386, 0x03CE},    /* Greek, sigma forms */
        {0x03A3, 0x03A3}, {0x03A3, 0x03A3}, {0x03C2, 0x03C3},
        {0x1F00, 0x1FFE},    /* Greek extended (iota subscripts: expansions) */
        {0x0300, 0x036F},    /* combining marks, U+0345 */
        {0x0130, 0x0131}, {0x0049, 0x0049}, {0x0069, 0x0069}, {0x0307, 0x0307},
        {0x10400, 0x1044F},  /* Deseret */
        {0x13A0, 0x13F5}, {0xAB70, 0xABBF}, /* Cherokee */
        {0x10A0, 0x10FF}, {0x1C90, 0x1CBF}, {0x2D00, 0x2D2D}, /* Georgian */
        {0xFF01, 0xFF5E},    /* fullwidth */
        {0xFB00, 0xFB17},    /* ligatures */
        {0x00DF, 0x00DF}, {0x0149, 0x0149}, {0x0390, 0x0390}, {0x1E9E, 0x1E9E},
        {0x2C2F, 0x2C2F}, {0x2C5F, 0x2C5F}, {0xA7C0, 0xA7C1}, {0xA7D0, 0xA7D9},
        {0x1E030, 0x1E08F}, {0x10570, 0x105BC}, /* Unicode 14/15 letters */
        {0x2C00, 0x2C7F}, {0xA640, 0xA69F}, {0x0400, 0x052F}, {0x0100, 0x024F},
        {0x0030, 0x0039}, {0x002D, 0x002E}, {0x0027, 0x0027}, {0x0020, 0x0020},
        {0x00AD, 0x00AD}, {0x200D, 0x200D}, {0x0964, 0x0964}, {0x3041, 0x3042},
        {0x1D400, 0x1D44F},  /* math letters (supplementary, cased) */
        {0x1F600, 0x1F600}, {0x24B6, 0x24E9}, {0x02B0, 0x02B8},
        {0x10000, 0x10FFFF}, {0x80, 0xFFFF},
        {-1, -1},            /* raw byte */
        {-2, -2},            /* a truncated or overlong multi-byte sequence */
    };

    static void gen(final long seed, final int n, final BufferedWriter w) throws Exception {
        final SplittableRandom r = new SplittableRandom(seed);
        final java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (int k = 0; k < n; k++) {
            b.reset();
            final int len = 1 + r.nextInt(12);
            for (int j = 0; j < len; j++) {
                final int[] p = POOLS[r.nextInt(POOLS.length)];
                if (p[0] == -1) {
                    b.write(r.nextInt(256));
                } else if (p[0] == -2) {
                    final int[] leads = {0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xF8, 0xFF};
                    b.write(leads[r.nextInt(leads.length)]);
                    final int m = r.nextInt(4);
                    for (int q = 0; q < m; q++) {
                        b.write(r.nextInt(4) == 0 ? r.nextInt(256) : 0x80 + r.nextInt(64));
                    }
                } else {
                    int cp = p[0] + r.nextInt(p[1] - p[0] + 1);
                    if (cp >= 0xD800 && cp <= 0xDFFF) {
                        cp = 0xFFFD;
                    }
                    b.write(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                }
            }
            w.write(hex(b.toByteArray()));
            w.write('\n');
        }
    }

    public static void main(final String[] args) throws Exception {
        final BufferedWriter w = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.US_ASCII), 1 << 16);
        switch (args.length > 0 ? args[0] : "") {
        case "all":
            for (int cp = 0; cp < 0x110000; cp++) {
                if (cp >= 0xD800 && cp <= 0xDFFF) {
                    continue;
                }
                w.write(Integer.toHexString(cp) + " " + both(new String(Character.toChars(cp))) + "\n");
            }
            break;
        case "gen":
            gen(Long.parseLong(args[1]), Integer.parseInt(args[2]), w);
            break;
        case "map": {
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
            String line;
            while ((line = in.readLine()) != null) {
                w.write(both(new String(unhex(line.trim()), StandardCharsets.UTF_8)) + "\n");
            }
            break;
        }
        default:
            System.err.println("usage: CaseMapOracle all | gen SEED N | map");
            System.exit(2);
        }
        w.flush();
    }
}
