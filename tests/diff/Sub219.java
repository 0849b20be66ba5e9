/*
 * Sub219.java -- makes log4j-core 2.19's StrSubstitutor evaluate as 2.14.1 does.
 *
 * Part of the differential test (tests/diff/README in docs/differential-testing.md).
 * Loaded by Log4jDiff only when the runtime log4j-core has LookupResult (2.17+);
 * with the real 2.14.1 jars on the class path the plain StrSubstitutor is used.
 *
 * Differences between rel/2.14.1 and rel/2.19.0 of StrSubstitutor that this
 * class neutralises (facts read from both tags of apache/logging-log4j2):
 *
 *  1. Recursion into resolved values.  2.19 substitutes a resolved value again
 *     only if its LookupResult says isLookupEvaluationAllowedInValue() (true
 *     only for configuration properties), and never substitutes a ":-" default
 *     value again.  2.14.1 substitutes every value and every default again.
 *     Here resolveVariable() returns the value -- or, when the lookup gives
 *     null, the default value -- as a result that allows evaluation, so the
 *     StrSubstitutor loop recurses into both exactly as 2.14.1 does.  The
 *     default is not passed to resolveVariable(), so a tap around the ":-"
 *     matcher remembers where the loop split the (already substituted) name
 *     expression; the split itself is still done by log4j's own loop.
 *  2. Exceptions.  2.19's replace() and resolveVariable() catch every
 *     Throwable and return the input unchanged; 2.14.1 lets them escape.
 *     run() calls the protected substitute() (no catch) and resolveVariable()
 *     here calls the lookup without a catch.
 *  3. Cycles.  2.19 logs "Infinite loop in property interpolation of ..." on
 *     the StatusLogger and carries on with the default value; 2.14.1 throws
 *     IllegalStateException.  Log4jDiff registers a status listener that
 *     throws a LoggingException (the one exception AbstractLogger rethrows)
 *     on that message, so evaluation stops at the same point.
 *
 * Not neutralised (measured in docs/differential-testing.md against the real
 * 2.14.1 jar): 2.19 shares the cycle-detection stack with the substitution of
 * nested variable names, 2.14.1 starts a fresh one, so a name that repeats an
 * enclosing variable inside a recursively evaluated value is a cycle on 2.19
 * only.
 */
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.lookup.LookupResult;
import org.apache.logging.log4j.core.lookup.StrLookup;
import org.apache.logging.log4j.core.lookup.StrMatcher;
import org.apache.logging.log4j.core.lookup.StrSubstitutor;

public final class Sub219 extends StrSubstitutor implements Log4jDiff.Substituter {

    /* Wraps the ":-" matcher and remembers the first match in the last array
     * it was asked about: that array is the substituted name expression of
     * the variable about to be resolved. */
    private static final class DelimiterTap extends StrMatcher {
        private final StrMatcher delegate;
        char[] array;
        int at = -1;
        int len;

        DelimiterTap(final StrMatcher delegate) {
            this.delegate = delegate;
        }

        @Override
        public int isMatch(final char[] buffer, final int pos, final int bufferStart, final int bufferEnd) {
            final int n = delegate.isMatch(buffer, pos, bufferStart, bufferEnd);
            if (buffer != array) {
                array = buffer;
                at = -1;
            }
            if (n != 0 && at < 0) {
                at = pos;
                len = n;
            }
            return n;
        }

        void reset() {
            array = null;
            at = -1;
        }

        String takeDefault() {
            String d = null;
            if (array != null && at >= 0) {
                d = new String(array, at + len, array.length - at - len);
            }
            reset();
            return d;
        }
    }

    private static final class Result implements LookupResult {
        private final String value;

        Result(final String value) {
            this.value = value;
        }

        @Override
        public String value() {
            return value;
        }

        @Override
        public boolean isLookupEvaluationAllowedInValue() {
            return true;
        }
    }

    private final DelimiterTap tap;

    public Sub219(final StrLookup resolver) {
        super(resolver);
        tap = new DelimiterTap(StrSubstitutor.DEFAULT_VALUE_DELIMITER);
        setValueDelimiterMatcher(tap);
    }

    /* Called at the start of every (nested) substitute() pass: forget any
     * array of an enclosing level. */
    @Override
    public StrMatcher getValueDelimiterMatcher() {
        if (tap != null) {
            tap.reset();
        }
        return super.getValueDelimiterMatcher();
    }

    @Override
    protected LookupResult resolveVariable(final LogEvent event, final String variableName, final StringBuilder buf,
            final int startPos, final int endPos) {
        final String dflt = tap.takeDefault();
        final StrLookup resolver = getVariableResolver();
        String value = resolver == null ? null : resolver.lookup(event, variableName);
        if (value == null) {
            value = dflt;
        }
        return value == null ? null : new Result(value);
    }

    @Override
    public String run(final LogEvent event, final String text) {
        final StringBuilder buf = new StringBuilder(text);
        if (!substitute(event, buf, 0, text.length())) {
            return text;
        }
        return buf.toString();
    }
}
