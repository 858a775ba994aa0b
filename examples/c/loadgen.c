/*
 * dialguard load generator: N threads share one guard and call dg_check_e164 in a loop
 * for S seconds over a fixed set of 1024 Italian numbers at a pinned instant, then print
 * one JSON line with the total checks per second.
 *
 * Usage: loadgen POLICY THREADS SECONDS
 * Build: cc -std=c11 -O2 -pthread -Iinclude examples/c/loadgen.c -Ltarget/release \
 *           -ldialguard -Wl,-rpath,$PWD/target/release -o loadgen
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dialguard.h"

#define NUMBERS 1024
/* 2026-11-27T10:00:00+01:00: a Friday, inside the Italian calling hours. */
#define FRI_10_ROME_MS 1795770000000LL

static uint64_t numbers[NUMBERS];
static atomic_bool stop;

struct worker {
    pthread_t thread;
    const dg_guard *guard;
    uint64_t checks, allow, deny, defer, errors;
};

/* The same numbers as benches/ffi.rs: Milan 02 5555 xxxx, every 16th on the RPO. */
static void fill_numbers(void) {
    for (int i = 0; i < NUMBERS; i++) {
        numbers[i] = (i % 16 == 15) ? 390212345678ULL : 390255550000ULL + (uint64_t)i * 7;
    }
}

static void *run(void *arg) {
    struct worker *w = arg;
    dg_context ctx;
    dg_decision d;
    memset(&ctx, 0, sizeof ctx);
    ctx.now_unix_ms = FRI_10_ROME_MS;
    ctx.campaign = "winter-offers";
    ctx.caller_id_e164 = 390299990000ULL;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        /* Check the flag every 1024 calls, not on every one. */
        for (int i = 0; i < NUMBERS; i++) {
            if (dg_check_e164(w->guard, numbers[i], &ctx, &d) != DG_STATUS_OK) {
                w->errors++;
            } else if (d.verdict == DG_VERDICT_ALLOW) {
                w->allow++;
            } else if (d.verdict == DG_VERDICT_DENY) {
                w->deny++;
            } else {
                w->defer++;
            }
        }
        w->checks += NUMBERS;
    }
    return NULL;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    dg_guard *g = NULL;
    struct worker *workers;
    int threads;
    double seconds, start, elapsed;
    uint64_t checks = 0, allow = 0, deny = 0, defer = 0, errors = 0;

    if (argc != 4 || (threads = atoi(argv[2])) < 1 || (seconds = atof(argv[3])) <= 0) {
        fprintf(stderr, "usage: %s POLICY THREADS SECONDS\n", argv[0]);
        return 2;
    }
    if (dg_guard_open(argv[1], NULL, &g) != DG_STATUS_OK) {
        char msg[2048];
        dg_last_error(msg, sizeof msg, NULL);
        fprintf(stderr, "dg_guard_open: %s\n", msg);
        return 1;
    }
    fill_numbers();
    workers = calloc((size_t)threads, sizeof *workers);
    if (workers == NULL) {
        return 1;
    }
    start = now_s();
    for (int t = 0; t < threads; t++) {
        workers[t].guard = g;
        if (pthread_create(&workers[t].thread, NULL, run, &workers[t]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            return 1;
        }
    }
    struct timespec pause = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
    nanosleep(&pause, NULL);
    atomic_store(&stop, true);
    for (int t = 0; t < threads; t++) {
        pthread_join(workers[t].thread, NULL);
        checks += workers[t].checks;
        allow += workers[t].allow;
        deny += workers[t].deny;
        defer += workers[t].defer;
        errors += workers[t].errors;
    }
    elapsed = now_s() - start;
    printf("{\"threads\":%d,\"seconds\":%.3f,\"checks\":%llu,\"checks_per_sec\":%.0f,"
           "\"allow\":%llu,\"deny\":%llu,\"defer\":%llu,\"errors\":%llu}\n",
           threads, elapsed, (unsigned long long)checks, (double)checks / elapsed,
           (unsigned long long)allow, (unsigned long long)deny, (unsigned long long)defer,
           (unsigned long long)errors);
    free(workers);
    dg_guard_close(g);
    return errors == 0 ? 0 : 1;
}
