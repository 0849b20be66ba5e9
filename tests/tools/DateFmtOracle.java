/*
 * DateFmtOracle.java -- the real JDK side of tests/e2e/datefmt_jdk.sh: what
 * log4j 2.14.1's DateLookup prints for a pattern, with java.text itself.
 *
 *   java -Duser.language=en -Duser.country=US DateFmtOracle < in.tsv
 *       reads lines "MS<TAB>TZMIN<TAB>HEX(pattern as UTF-8)" and prints per
 *       line the lower-case hex of the UTF-8 of
 *           new SimpleDateFormat(pattern).format(new Date(MS))
 *       or, when the constructor throws, of DateFormat.getInstance().format
 *       (DateLookup.formatDate()), with the default zone "UTC" for TZMIN 0
 *       and the custom zone "GMT+hh:mm" otherwise (lib/datefmt.c's model).
 *   java DateFmtOracle gen COUNT SEED
 *       prints COUNT random input lines (patterns with every letter, counts
 *       1..6 and large ones, quotes, '', unterminated quotes, illegal
 *       letters, non-ASCII, punctuation) over a set of edge times.
 */
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.text.DateFormat;
import java.text.SimpleDateFormat;
import java.util.Date;
import java.util.Random;
import java.util.TimeZone;

public final class DateFmtOracle {
    private static final String LETTERS = "GyMdkHmsSEDFwWahKzZYuXL";
    private static final String ILLEGAL = "ABCIJNOPQRTUVbcefgijlnopqrtvx";
    private static final String[] LITERALS = {" ",      "-",  ":",      "/",      ".",
                                              ",",      "$",  "{",      "}",      "#",
                                              "0",      "9",  "\u00e9", "\u4e2d", "\ud83d\ude00",
                                              "\u0130", "\t", "\"",     "\\"};
    private static final long DAY = 86_400_000L;
    /* Edge times: 1970-01-02 (the differential oracle's), 1234567890 s,
     * leap days, year ends and ISO/US week edges, 2038+, before 1970, the
     * Julian calendar and the 1582 cutover, 1 BC / 1 AD, Long extremes. */
    private static final long[] TIMES = {0L,
                                         DAY,
                                         1_234_567_890_123L,
                                         951_782_400_000L,
                                         1_078_012_800_000L,
                                         4_107_542_399_999L,
                                         1_704_067_199_999L,
                                         1_704_067_200_000L,
                                         1_609_372_800_000L,
                                         1_609_459_200_000L,
                                         1_293_753_600_000L,
                                         1_293_840_000_000L,
                                         1_230_681_600_000L,
                                         1_230_768_000_000L,
                                         2_147_483_647_000L,
                                         2_147_483_648_000L,
                                         4_102_444_800_000L,
                                         4_102_444_799_999L,
                                         253_402_300_799_999L,
                                         -1L,
                                         -DAY,
                                         -999L,
                                         -1_000_000_000_000L,
                                         -2_208_988_800_000L,
                                         -12_219_292_800_000L,
                                         -12_219_292_800_001L,
                                         -12_244_000_000_000L,
                                         -12_250_000_000_000L,
                                         -12_200_000_000_000L,
                                         -12_212_553_600_000L,
                                         -30_000_000_000_000L,
                                         -62_135_596_800_000L,
                                         -62_135_596_800_001L,
                                         -62_140_000_000_000L,
                                         -100_000_000_000_000L,
                                         Long.MAX_VALUE,
                                         Long.MIN_VALUE};
    private static final int[] ZONES = {0, 0, 0, 0, 330, -180, -720, 840, 60, -1439, 1439, 45};

    private static String zoneId(int tz) {
        if (tz == 0) {
            return "UTC";
        }
        int a = Math.abs(tz);
        return String.format("GMT%c%02d:%02d", tz < 0 ? '-' : '+', a / 60, a % 60);
    }

    private static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder(b.length * 2);
        for (byte x : b) {
            sb.append(Character.forDigit((x >> 4) & 15, 16)).append(Character.forDigit(x & 15, 16));
        }
        return sb.toString();
    }

    private static byte[] unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte)Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    private static String run(String pattern, long ms) {
        DateFormat f;
        try {
            f = new SimpleDateFormat(pattern);
        } catch (Exception ex) {
            f = DateFormat.getInstance();
        }
        return f.format(new Date(ms));
    }

    private static long randomTime(Random r) {
        switch (r.nextInt(5)) {
        case 0:
        case 1:
            return TIMES[r.nextInt(TIMES.length)] +
                (r.nextBoolean() ? 0 : r.nextInt(7) * DAY - 3 * DAY);
        case 2: /* 1970..2100 */
            return (long)(r.nextDouble() * 4_102_444_800_000L);
        case 3: /* 1583..9999 */
            return -12_212_553_600_000L + (long)(r.nextDouble() * 265_615_000_000_000L);
        default: /* 9000 BC .. 1581, Julian */
            return -346_000_000_000_000L + (long)(r.nextDouble() * 333_790_000_000_000L);
        }
    }

    private static String randomPattern(Random r) {
        StringBuilder sb = new StringBuilder();
        int parts = 1 + r.nextInt(6);
        for (int i = 0; i < parts; i++) {
            int k = r.nextInt(100);
            if (k < 55) {
                char c = LETTERS.charAt(r.nextInt(LETTERS.length()));
                int n = r.nextInt(20) == 0 ? 7 + r.nextInt(20) : 1 + r.nextInt(6);
                if (c == 'X' && r.nextInt(4) != 0) {
                    n = 1 + r.nextInt(3);
                }
                if (r.nextInt(400) == 0) {
                    n = 300 + r.nextInt(100);
                }
                sb.append(String.valueOf(c).repeat(n));
            } else if (k < 75) {
                sb.append(LITERALS[r.nextInt(LITERALS.length)]);
            } else if (k < 83) {
                sb.append('\'');
                int m = r.nextInt(4);
                for (int j = 0; j < m; j++) {
                    sb.append(r.nextBoolean() ? LETTERS.charAt(r.nextInt(LETTERS.length()))
                                              : LITERALS[r.nextInt(LITERALS.length)].charAt(0));
                }
                if (r.nextInt(4) == 0) {
                    sb.append("''");
                }
                sb.append('\'');
            } else if (k < 90) {
                sb.append("''");
            } else if (k < 94) {
                sb.append('\''); /* maybe unterminated */
            } else {
                sb.append(ILLEGAL.charAt(r.nextInt(ILLEGAL.length())));
            }
        }
        return sb.toString();
    }

    public static void main(String[] args) throws Exception {
        PrintWriter out = new PrintWriter(System.out, false, StandardCharsets.UTF_8);
        if (args.length == 3 && args[0].equals("gen")) {
            int count = Integer.parseInt(args[1]);
            Random r = new Random(Long.parseLong(args[2]));
            for (int i = 0; i < count; i++) {
                String p = randomPattern(r);
                int tz = ZONES[r.nextInt(ZONES.length)];
                out.println(randomTime(r) + "\t" + tz + "\t" +
                            hex(p.getBytes(StandardCharsets.UTF_8)));
            }
            /* Huge counts: Java pads numbers to at most 309 digits. */
            out.println(DAY + "\t0\t" + hex("y".repeat(10000).getBytes(StandardCharsets.UTF_8)));
            out.println("-1\t0\t" + hex("Y".repeat(500).getBytes(StandardCharsets.UTF_8)));
            out.flush();
            return;
        }
        BufferedReader in =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        int lastTz = Integer.MIN_VALUE;
        while ((line = in.readLine()) != null) {
            String[] f = line.split("\t", -1);
            int tz = Integer.parseInt(f[1]);
            if (tz != lastTz) {
                TimeZone.setDefault(TimeZone.getTimeZone(zoneId(tz)));
                lastTz = tz;
            }
            String pattern = new String(unhex(f[2]), StandardCharsets.UTF_8);
            out.println(hex(run(pattern, Long.parseLong(f[0])).getBytes(StandardCharsets.UTF_8)));
        }
        out.flush();
    }
}
