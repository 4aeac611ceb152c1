#!/usr/bin/env bash
# Counts the heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc) a
# command makes, through a small LD_PRELOAD interposer; prints the count on stderr at exit.
# Running a command twice with different amounts of work (e.g. `charrnn sample --length
# 1000` and `--length 2000`) shows the allocations per unit of work: the difference over
# the extra work.
# Usage: scripts/count-allocations.sh COMMAND [ARGS...]
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/count.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <unistd.h>
static atomic_long count;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
/* dlsym itself may call calloc: serve that from a static buffer. */
static char early[4096]; static size_t early_used;
static void *early_alloc(size_t n) { void *p = early + early_used; early_used += (n + 15) & ~(size_t)15; return p; }
void *malloc(size_t n) { if (!real_malloc) real_malloc = dlsym(RTLD_NEXT, "malloc"); atomic_fetch_add(&count, 1); return real_malloc(n); }
void *calloc(size_t a, size_t b) {
    if (!real_calloc) { static int busy; if (busy) return early_alloc(a * b); busy = 1; real_calloc = dlsym(RTLD_NEXT, "calloc"); busy = 0; }
    atomic_fetch_add(&count, 1); return real_calloc(a, b);
}
void *realloc(void *p, size_t n) { if (!real_realloc) real_realloc = dlsym(RTLD_NEXT, "realloc"); atomic_fetch_add(&count, 1); return real_realloc(p, n); }
int posix_memalign(void **p, size_t a, size_t n) { if (!real_posix_memalign) real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign"); atomic_fetch_add(&count, 1); return real_posix_memalign(p, a, n); }
void *aligned_alloc(size_t a, size_t n) { if (!real_aligned_alloc) real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc"); atomic_fetch_add(&count, 1); return real_aligned_alloc(a, n); }
void free(void *p) { static void (*real_free)(void *); if ((char *)p >= early && (char *)p < early + sizeof early) return; if (!real_free) real_free = dlsym(RTLD_NEXT, "free"); real_free(p); }
__attribute__((destructor)) static void report(void) { fprintf(stderr, "allocations: %ld\n", atomic_load(&count)); }
C
cc -shared -fPIC -O2 -o "$dir/count.so" "$dir/count.c" -ldl
LD_PRELOAD="$dir/count.so" "$@"
