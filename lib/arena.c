/*
 * arena.c -- a bump allocator for the short-lived strings of one scan.
 *
 * Findings hand out many small strings (callback, host, path, exfil keys)
 * that all die when the callback returns; an arena reset per scan makes that
 * one pointer move instead of dozens of free() calls.  Hand-written because
 * it is twenty lines and no Debian library offers a plain C arena.
 */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

struct defuse__arena_block {
    defuse__arena_block *next;
    size_t cap, used;
    max_align_t data[]; /* aligned storage */
};

#define ARENA_MIN_BLOCK (16u * 1024u)

void defuse__arena_init(defuse__arena *a, size_t limit) {
    a->head = NULL;
    a->total = 0;
    a->limit = limit;
}

void *defuse__arena_alloc(defuse__arena *a, size_t n) {
    size_t al = sizeof(max_align_t);
    n = (n + al - 1) / al * al;
    if (n == 0)
        n = al;
    if (a->limit && (n > a->limit || a->total > a->limit - n))
        return NULL;
    defuse__arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_MIN_BLOCK ? n : ARENA_MIN_BLOCK;
        if (b && b->cap * 2 > cap && b->cap < (64u << 20))
            cap = b->cap * 2;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = a->head;
        b->cap = cap;
        b->used = 0;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    a->total += n;
    return p;
}

char *defuse__arena_strndup(defuse__arena *a, const char *s, size_t n) {
    char *p = defuse__arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void defuse__arena_reset(defuse__arena *a) {
    /* Keep the newest (largest) block, free the rest. */
    defuse__arena_block *b = a->head;
    if (b) {
        defuse__arena_block *rest = b->next;
        while (rest) {
            defuse__arena_block *n = rest->next;
            free(rest);
            rest = n;
        }
        b->next = NULL;
        b->used = 0;
    }
    a->total = 0;
}

void defuse__arena_free(defuse__arena *a) {
    defuse__arena_block *b = a->head;
    while (b) {
        defuse__arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
    a->total = 0;
}
