/*
 * Minimal dialguard client: open the bundled Italian example policy, check a few numbers
 * at a pinned instant, and show how errors come back.
 *
 * Build (from the repository root, after `cargo build --release`):
 *   cc -std=c99 -Wall -Iinclude examples/c/minimal.c -Ltarget/release -ldialguard \
 *      -Wl,-rpath,$PWD/target/release -o minimal
 *   ./minimal policies/it/policy.toml
 * or, with the library installed: cc examples/c/minimal.c $(pkg-config --cflags --libs dialguard)
 */
#include <stdio.h>
#include <string.h>

#include "dialguard.h"

/* 2026-11-27T10:00:00+01:00: a Friday, inside the Italian calling hours. */
#define FRI_10_ROME_MS 1795770000000LL
/* 2026-11-28T19:30:00+01:00: Saturday evening, after the 19:00 close. */
#define SAT_1930_ROME_MS 1795890600000LL

static void show(const dg_guard *g, const char *number, const dg_context *ctx) {
    dg_decision d;
    char rule[128] = "-";
    dg_status st = dg_check(g, number, ctx, &d);
    if (d.rule != DG_RULE_NONE && dg_rule_name(g, d.rule, rule, sizeof rule, NULL) != DG_STATUS_OK) {
        strcpy(rule, "?");
    }
    printf("%-14s status=%s verdict=%s reason=%s rule=%s until_ms=%lld\n", number,
           dg_status_name(st), dg_verdict_name(d.verdict), dg_reason_name(d.reason), rule,
           (long long)d.until_unix_ms);
}

static void show_error(const char *call, dg_status st, const dg_decision *d) {
    char msg[512];
    dg_last_error(msg, sizeof msg, NULL);
    printf("%s -> %s, verdict=%s reason=%s: %s\n", call, dg_status_name(st),
           dg_verdict_name(d->verdict), dg_reason_name(d->reason), msg);
}

int main(int argc, char **argv) {
    const char *policy = argc > 1 ? argv[1] : "policies/it/policy.toml";
    dg_guard *g = NULL;
    dg_context ctx;
    dg_decision d;
    dg_status st;

    if (dg_abi_version() != DG_ABI_VERSION) {
        fprintf(stderr, "header ABI %d, library ABI %u\n", DG_ABI_VERSION, dg_abi_version());
        return 1;
    }
    printf("dialguard %s (ABI %u)\n", dg_version(), dg_abi_version());

    st = dg_guard_open(policy, NULL, &g);
    if (st != DG_STATUS_OK) {
        char msg[2048];
        dg_last_error(msg, sizeof msg, NULL);
        fprintf(stderr, "dg_guard_open: %s: %s\n", dg_status_name(st), msg);
        return 1;
    }

    memset(&ctx, 0, sizeof ctx); /* now = clock, sales, predictive, no ids */
    ctx.now_unix_ms = FRI_10_ROME_MS;
    ctx.campaign = "winter-offers";
    ctx.caller_id = "+39 02 9999 0000";

    show(g, "02 5555 1234", &ctx);   /* not listed, inside the hours */
    show(g, "02 1234 5678", &ctx);   /* on the RPO registry, no consent */
    show(g, "06 1234 5678", &ctx);   /* on the RPO, consent given after registering */
    show(g, "02 8765 4321", &ctx);   /* internal opt-out beats its consent */
    show(g, "899 123 456", &ctx);    /* premium prefix suppressed */
    ctx.now_unix_ms = SAT_1930_ROME_MS;
    show(g, "02 5555 1234", &ctx);   /* Saturday after 19:00: defer to Monday 09:00 */
    ctx.now_unix_ms = FRI_10_ROME_MS;

    /* Bad arguments come back as a status, and the decision is always DENY. */
    st = dg_check(g, "12", &ctx, &d);
    show_error("dg_check(\"12\")", st, &d);
    st = dg_check(g, NULL, &ctx, &d);
    show_error("dg_check(NULL)", st, &d);
    ctx.purpose = 9;
    st = dg_check_e164(g, 390255551234ULL, &ctx, &d);
    show_error("dg_check_e164(purpose 9)", st, &d);

    st = dg_guard_close(g);
    printf("dg_guard_close -> %s\n", dg_status_name(st));
    return 0;
}
