/*
 * Calls every dg_* function with bad arguments and checks the exact status, and that
 * every decision written on failure is DENY (fail closed). Prints one line per failed
 * expectation and a summary; exits 1 on any failure. Run by tests/ffi_c.rs.
 * Usage: bad_args POLICY_PATH
 */
#include <stdio.h>
#include <string.h>

#include "dialguard.h"

static int checks, failures;

#define FRI_10_ROME_MS 1795770000000LL

static void expect_status(int line, const char *what, dg_status got, dg_status want) {
    checks++;
    if (got != want) {
        failures++;
        printf("line %d: %s: status %s, expected %s\n", line, what, dg_status_name(got),
               dg_status_name(want));
    }
}

/* A decision written on failure: DENY with the given reason, no rule. */
static void expect_deny(int line, const char *what, const dg_decision *d, uint32_t reason) {
    checks++;
    if (d->verdict != DG_VERDICT_DENY || d->reason != reason || d->rule != DG_RULE_NONE) {
        failures++;
        printf("line %d: %s: verdict %s reason %s rule %u, expected deny %s\n", line, what,
               dg_verdict_name(d->verdict), dg_reason_name(d->reason), d->rule,
               dg_reason_name(reason));
    }
}

/* Pre-fill a decision with ALLOW so a missing write would be caught. */
static void poison(dg_decision *d) {
    memset(d, 0, sizeof *d);
    d->verdict = DG_VERDICT_ALLOW;
}

#define STATUS(call, want) expect_status(__LINE__, #call, (call), (want))
#define CHECK_FAILS(call, want, reason)                   \
    do {                                                  \
        poison(&d);                                       \
        expect_status(__LINE__, #call, (call), (want));   \
        expect_deny(__LINE__, #call, &d, (reason));       \
    } while (0)

int main(int argc, char **argv) {
    dg_guard *g = NULL, *closed = NULL;
    dg_context ctx, bad;
    dg_decision d, batch[4];
    uint64_t attempt = 99;
    char buf[64], long_number[DG_MAX_NUMBER_LEN + 2], long_id[DG_MAX_ID_LEN + 2];
    size_t n = 0;
    uint32_t rpo = DG_RULE_NONE;
    char msg[512];
    const uint64_t mixed[4] = {390255551234ULL, 0, 390212345678ULL, 10000000000000000ULL};

    if (argc != 2) {
        return 2;
    }
    memset(buf, 0, sizeof buf); /* also used as a fake handle: readable, no magic word */
    memset(long_number, '1', sizeof long_number - 1);
    long_number[sizeof long_number - 1] = 0;
    memset(long_id, 'c', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = 0;

    /* Opening. */
    STATUS(dg_guard_open(NULL, NULL, &g), DG_STATUS_NULL_PARAMETER);
    STATUS(dg_guard_open(argv[1], NULL, NULL), DG_STATUS_NULL_PARAMETER);
    g = (dg_guard *)&n;
    STATUS(dg_guard_open("/nonexistent/policy.toml", NULL, &g), DG_STATUS_POLICY_ERROR);
    checks++;
    if (g != NULL) {
        failures++;
        printf("failed dg_guard_open left *out non-NULL\n");
    }
    STATUS(dg_guard_open("\xff\xfe", NULL, &g), DG_STATUS_INVALID_UTF8);
    STATUS(dg_guard_open(argv[1], NULL, &g), DG_STATUS_OK);
    STATUS(dg_guard_open(argv[1], NULL, &closed), DG_STATUS_OK);

    memset(&ctx, 0, sizeof ctx);
    ctx.now_unix_ms = FRI_10_ROME_MS;
    ctx.caller_id = "+39 02 9999 0000";

    /* A good call first, so the failures below are the arguments' fault. */
    poison(&d);
    STATUS(dg_check(g, "02 1234 5678", &ctx, &d), DG_STATUS_OK);
    checks++;
    if (d.verdict != DG_VERDICT_DENY || d.reason != DG_REASON_REGISTRY || d.rule == DG_RULE_NONE ||
        d.policy_version != dg_policy_version(g)) {
        failures++;
        printf("good check: unexpected decision\n");
    }
    rpo = d.rule;

    /* dg_check: every kind of bad argument. */
    CHECK_FAILS(dg_check(NULL, "02 5555 1234", &ctx, &d), DG_STATUS_NULL_PARAMETER, DG_REASON_INTERNAL);
    CHECK_FAILS(dg_check(g, NULL, &ctx, &d), DG_STATUS_NULL_PARAMETER, DG_REASON_INVALID_NUMBER);
    CHECK_FAILS(dg_check(g, "02 5555 1234", NULL, &d), DG_STATUS_NULL_PARAMETER, DG_REASON_INTERNAL);
    STATUS(dg_check(g, "02 5555 1234", &ctx, NULL), DG_STATUS_NULL_PARAMETER);
    CHECK_FAILS(dg_check(g, "02 \xff 1234", &ctx, &d), DG_STATUS_INVALID_UTF8, DG_REASON_INVALID_NUMBER);
    CHECK_FAILS(dg_check(g, long_number, &ctx, &d), DG_STATUS_TOO_LONG, DG_REASON_INVALID_NUMBER);
    CHECK_FAILS(dg_check(g, "12", &ctx, &d), DG_STATUS_INVALID_NUMBER, DG_REASON_INVALID_NUMBER);
    CHECK_FAILS(dg_check(g, "02 5555 1234 ext five", &ctx, &d), DG_STATUS_INVALID_NUMBER, DG_REASON_INVALID_NUMBER);
    CHECK_FAILS(dg_check(g, "", &ctx, &d), DG_STATUS_INVALID_NUMBER, DG_REASON_INVALID_NUMBER);

    bad = ctx;
    bad.purpose = 4;
    CHECK_FAILS(dg_check(g, "02 5555 1234", &bad, &d), DG_STATUS_INVALID_ARGUMENT, DG_REASON_INTERNAL);
    bad = ctx;
    bad.mode = 3;
    CHECK_FAILS(dg_check(g, "02 5555 1234", &bad, &d), DG_STATUS_INVALID_ARGUMENT, DG_REASON_INTERNAL);
    bad = ctx;
    bad.mode = 0xFFFFFFFFu;
    CHECK_FAILS(dg_check_e164(g, 390255551234ULL, &bad, &d), DG_STATUS_INVALID_ARGUMENT, DG_REASON_INTERNAL);
    bad = ctx;
    bad.now_unix_ms = INT64_MAX;
    CHECK_FAILS(dg_check(g, "02 5555 1234", &bad, &d), DG_STATUS_INVALID_ARGUMENT, DG_REASON_INTERNAL);
    bad = ctx;
    bad.campaign = long_id;
    CHECK_FAILS(dg_check(g, "02 5555 1234", &bad, &d), DG_STATUS_TOO_LONG, DG_REASON_INTERNAL);
    bad = ctx;
    bad.subject = "\xc3\x28";
    CHECK_FAILS(dg_check(g, "02 5555 1234", &bad, &d), DG_STATUS_INVALID_UTF8, DG_REASON_INTERNAL);
    bad = ctx;
    bad.caller_id = "abc";
    CHECK_FAILS(dg_check(g, "02 5555 1234", &bad, &d), DG_STATUS_INVALID_NUMBER, DG_REASON_CALLER_ID);
    bad = ctx;
    bad.caller_id_e164 = 390299990000ULL; /* both caller-ID forms set */
    CHECK_FAILS(dg_check(g, "02 5555 1234", &bad, &d), DG_STATUS_INVALID_ARGUMENT, DG_REASON_INTERNAL);
    bad = ctx;
    bad.caller_id = NULL;
    bad.caller_id_e164 = 1000000000000000ULL; /* 16 digits */
    CHECK_FAILS(dg_check(g, "02 5555 1234", &bad, &d), DG_STATUS_INVALID_NUMBER, DG_REASON_CALLER_ID);

    /* dg_check_e164. */
    CHECK_FAILS(dg_check_e164(g, 0, &ctx, &d), DG_STATUS_INVALID_NUMBER, DG_REASON_INVALID_NUMBER);
    CHECK_FAILS(dg_check_e164(g, 1000000000000000ULL, &ctx, &d), DG_STATUS_INVALID_NUMBER, DG_REASON_INVALID_NUMBER);
    CHECK_FAILS(dg_check_e164(NULL, 390255551234ULL, &ctx, &d), DG_STATUS_NULL_PARAMETER, DG_REASON_INTERNAL);
    CHECK_FAILS(dg_check_e164((const dg_guard *)((const char *)&n + 1), 390255551234ULL, &ctx, &d),
                DG_STATUS_INVALID_ARGUMENT, DG_REASON_INTERNAL);
    CHECK_FAILS(dg_check_e164((const dg_guard *)buf, 390255551234ULL, &ctx, &d),
                DG_STATUS_INVALID_ARGUMENT, DG_REASON_INTERNAL);

    /* dg_check_batch: a bad entry is denied alone; a bad call denies every entry. */
    for (int i = 0; i < 4; i++) poison(&batch[i]);
    STATUS(dg_check_batch(g, mixed, 4, &ctx, batch), DG_STATUS_OK);
    checks++;
    if (batch[0].verdict != DG_VERDICT_ALLOW || batch[2].reason != DG_REASON_REGISTRY) {
        failures++;
        printf("batch: valid entries not decided\n");
    }
    expect_deny(__LINE__, "batch[1] = 0", &batch[1], DG_REASON_INVALID_NUMBER);
    expect_deny(__LINE__, "batch[3] = 17 digits", &batch[3], DG_REASON_INVALID_NUMBER);
    for (int i = 0; i < 4; i++) poison(&batch[i]);
    STATUS(dg_check_batch(g, NULL, 4, &ctx, batch), DG_STATUS_NULL_PARAMETER);
    for (int i = 0; i < 4; i++) expect_deny(__LINE__, "batch NULL numbers", &batch[i], DG_REASON_INTERNAL);
    for (int i = 0; i < 4; i++) poison(&batch[i]);
    bad = ctx;
    bad.purpose = 77;
    STATUS(dg_check_batch(g, mixed, 4, &bad, batch), DG_STATUS_INVALID_ARGUMENT);
    for (int i = 0; i < 4; i++) expect_deny(__LINE__, "batch bad ctx", &batch[i], DG_REASON_INTERNAL);
    STATUS(dg_check_batch(g, mixed, 4, &ctx, NULL), DG_STATUS_NULL_PARAMETER);
    STATUS(dg_check_batch(g, NULL, 0, &ctx, NULL), DG_STATUS_OK);
    STATUS(dg_check_batch(g, mixed, SIZE_MAX, &ctx, batch), DG_STATUS_INVALID_ARGUMENT);

    /* dg_check_and_reserve. */
    CHECK_FAILS(dg_check_and_reserve(g, "02 5555 1234", &ctx, &d, NULL), DG_STATUS_NULL_PARAMETER, DG_REASON_INTERNAL);
    attempt = 99;
    CHECK_FAILS(dg_check_and_reserve(g, "x", &ctx, &d, &attempt), DG_STATUS_INVALID_NUMBER, DG_REASON_INVALID_NUMBER);
    checks++;
    if (attempt != 0) {
        failures++;
        printf("failed reserve left attempt %llu\n", (unsigned long long)attempt);
    }
    bad = ctx;
    bad.mode = 5;
    CHECK_FAILS(dg_check_and_reserve(g, "02 5555 1234", &bad, &d, &attempt), DG_STATUS_INVALID_ARGUMENT, DG_REASON_INTERNAL);

    /* dg_record_outcome. */
    STATUS(dg_record_outcome(g, "02 5555 1234", 0, 0, &ctx, NULL), DG_STATUS_INVALID_ARGUMENT);
    STATUS(dg_record_outcome(g, "02 5555 1234", 0, 9, &ctx, NULL), DG_STATUS_INVALID_ARGUMENT);
    STATUS(dg_record_outcome(g, "02 5555 1234", 0, 256 + DG_OUTCOME_BUSY, &ctx, NULL), DG_STATUS_INVALID_ARGUMENT);
    STATUS(dg_record_outcome(g, NULL, 0, DG_OUTCOME_BUSY, &ctx, NULL), DG_STATUS_NULL_PARAMETER);
    STATUS(dg_record_outcome(g, "02 5555 1234", 0, DG_OUTCOME_BUSY, NULL, NULL), DG_STATUS_NULL_PARAMETER);
    bad = ctx;
    bad.now_unix_ms = 1000; /* 1970: before the history's range */
    attempt = 99;
    STATUS(dg_record_outcome(g, "02 5555 1234", 0, DG_OUTCOME_BUSY, &bad, &attempt), DG_STATUS_INVALID_ARGUMENT);
    checks++;
    if (attempt != 0) {
        failures++;
        printf("failed record_outcome left attempt %llu\n", (unsigned long long)attempt);
    }

    /* dg_opt_out. */
    STATUS(dg_opt_out(g, NULL, 0), DG_STATUS_NULL_PARAMETER);
    STATUS(dg_opt_out(g, "not a number", 0), DG_STATUS_INVALID_NUMBER);
    STATUS(dg_opt_out(g, long_number, 0), DG_STATUS_TOO_LONG);
    STATUS(dg_opt_out(g, "02 5555 1234", INT64_MIN), DG_STATUS_INVALID_ARGUMENT);

    /* Names, buffers, errors. */
    STATUS(dg_rule_name(g, DG_RULE_NONE, buf, sizeof buf, &n), DG_STATUS_NOT_FOUND);
    STATUS(dg_rule_name(g, 60000, buf, sizeof buf, &n), DG_STATUS_NOT_FOUND);
    STATUS(dg_rule_name(g, 0xFFFFFFFFu, buf, sizeof buf, &n), DG_STATUS_NOT_FOUND);
    STATUS(dg_rule_name(g, rpo, buf, 3, &n), DG_STATUS_BUFFER_TOO_SMALL);
    checks++;
    if (n != 3 || buf[0] != 0) { /* "rpo" needs 4 bytes */
        failures++;
        printf("too-small rule buffer: n=%zu buf[0]=%d\n", n, buf[0]);
    }
    STATUS(dg_rule_name(g, rpo, NULL, 0, &n), DG_STATUS_BUFFER_TOO_SMALL);
    STATUS(dg_rule_name(g, rpo, NULL, 10, &n), DG_STATUS_NULL_PARAMETER);
    STATUS(dg_rule_name(g, rpo, buf, 4, NULL), DG_STATUS_OK);
    checks++;
    if (strcmp(buf, "rpo") != 0) {
        failures++;
        printf("rule name %s, expected rpo\n", buf);
    }
    STATUS(dg_last_error(buf, 1, &n), DG_STATUS_BUFFER_TOO_SMALL);
    STATUS(dg_last_error(NULL, 0, NULL), DG_STATUS_BUFFER_TOO_SMALL);
    checks++;
    if (strcmp(dg_reason_name(12345), "unknown") != 0 || strcmp(dg_status_name(1), "unknown") != 0 ||
        strcmp(dg_verdict_name(3), "unknown") != 0) {
        failures++;
        printf("unknown codes not named \"unknown\"\n");
    }

    /* Reload: a bad policy keeps the old one serving. */
    {
        uint64_t before = dg_policy_version(g);
        STATUS(dg_guard_reload(g, "/nonexistent/policy.toml"), DG_STATUS_POLICY_ERROR);
        STATUS(dg_guard_reload(g, NULL), DG_STATUS_NULL_PARAMETER);
        STATUS(dg_guard_reload(NULL, argv[1]), DG_STATUS_NULL_PARAMETER);
        checks++;
        if (dg_policy_version(g) != before) {
            failures++;
            printf("failed reload changed the policy version\n");
        }
    }

    /* A closed handle: every function says so and denies. */
    STATUS(dg_guard_close(closed), DG_STATUS_OK);
    STATUS(dg_guard_close(closed), DG_STATUS_CLOSED_HANDLE);
    STATUS(dg_guard_close(NULL), DG_STATUS_OK);
    CHECK_FAILS(dg_check(closed, "02 5555 1234", &ctx, &d), DG_STATUS_CLOSED_HANDLE, DG_REASON_INTERNAL);
    CHECK_FAILS(dg_check_e164(closed, 390255551234ULL, &ctx, &d), DG_STATUS_CLOSED_HANDLE, DG_REASON_INTERNAL);
    CHECK_FAILS(dg_check_and_reserve(closed, "02 5555 1234", &ctx, &d, &attempt), DG_STATUS_CLOSED_HANDLE, DG_REASON_INTERNAL);
    for (int i = 0; i < 4; i++) poison(&batch[i]);
    STATUS(dg_check_batch(closed, mixed, 4, &ctx, batch), DG_STATUS_CLOSED_HANDLE);
    for (int i = 0; i < 4; i++) expect_deny(__LINE__, "batch closed", &batch[i], DG_REASON_INTERNAL);
    STATUS(dg_record_outcome(closed, "02 5555 1234", 0, DG_OUTCOME_BUSY, &ctx, NULL), DG_STATUS_CLOSED_HANDLE);
    STATUS(dg_opt_out(closed, "02 5555 1234", 0), DG_STATUS_CLOSED_HANDLE);
    STATUS(dg_rule_name(closed, 0, buf, sizeof buf, &n), DG_STATUS_CLOSED_HANDLE);
    STATUS(dg_guard_reload(closed, argv[1]), DG_STATUS_CLOSED_HANDLE);
    checks++;
    if (dg_policy_version(closed) != 0) {
        failures++;
        printf("closed handle has a policy version\n");
    }
    STATUS(dg_last_error(msg, sizeof msg, &n), DG_STATUS_OK);
    checks++;
    if (strcmp(msg, "dg_policy_version: the guard handle was closed by dg_guard_close; "
                     "open a new one with dg_guard_open") != 0 || n != strlen(msg)) {
        failures++;
        printf("last error after closed use: %s\n", msg);
    }

    STATUS(dg_guard_close(g), DG_STATUS_OK);
    printf("bad_args: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
