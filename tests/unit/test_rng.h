/*
 * test_rng.h -- the tests' random numbers: xorshift64, seeded by each test
 * so that every run checks the same cases (a failure names its iteration).
 */
#ifndef DEFUSE_TEST_RNG_H
#define DEFUSE_TEST_RNG_H

#include <stdint.h>

/* A number in [0, n) (n > 0) from the generator state *s (not 0). */
static inline unsigned test_rnd(uint64_t *s, unsigned n) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (unsigned)(*s % n);
}

#endif
