/*
 * tool_hex.h -- hex digits for the test tools, whose inputs and outputs are
 * the hex of arbitrary bytes (so any byte survives a line-based pipe).
 */
#ifndef DEFUSE_TOOL_HEX_H
#define DEFUSE_TOOL_HEX_H

/* The value of one hex digit, or -1. */
static inline int hexval(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif /* DEFUSE_TOOL_HEX_H */
