/*
 * dg_guard_open_with from C: a too-small struct_size and a NULL policy are refused with
 * *out set to NULL; fsync never with a state directory journals an opt-out that a guard
 * reopened with dg_guard_open still denies. Prints one line per failed expectation and
 * a summary; exits 1 on any failure. Run by tests/ffi_c.rs.
 * Usage: open_with POLICY_PATH STATE_DIR
 */
#include <stdio.h>
#include <string.h>

#include "dialguard.h"

static int checks, failures;

#define FRI_10_ROME_MS 1795770000000LL

static void expect(int line, const char *what, int ok) {
    checks++;
    if (!ok) {
        failures++;
        printf("line %d: %s failed\n", line, what);
    }
}

#define EXPECT(cond) expect(__LINE__, #cond, (cond))

int main(int argc, char **argv) {
    dg_open_options opts;
    dg_guard *g;
    dg_context ctx;
    dg_decision d;
    char msg[512];
    size_t n = 0;

    if (argc != 3) {
        return 2;
    }
    memset(&opts, 0, sizeof opts);
    opts.struct_size = sizeof opts;
    opts.policy_path = argv[1];

    /* A caller compiled against a smaller struct is refused, not read past its end. */
    opts.struct_size = sizeof opts - 1;
    g = (dg_guard *)&n;
    EXPECT(dg_guard_open_with(&opts, &g) == DG_STATUS_INVALID_ARGUMENT);
    EXPECT(g == NULL);
    EXPECT(dg_last_error(msg, sizeof msg, &n) == DG_STATUS_OK &&
           strstr(msg, "sizeof(dg_open_options)") != NULL);
    opts.struct_size = sizeof opts;

    opts.policy_path = NULL;
    g = (dg_guard *)&n;
    EXPECT(dg_guard_open_with(&opts, &g) == DG_STATUS_NULL_PARAMETER);
    EXPECT(g == NULL);
    EXPECT(dg_last_error(msg, sizeof msg, &n) == DG_STATUS_OK &&
           strstr(msg, "opts->policy_path") != NULL);
    opts.policy_path = argv[1];

    EXPECT(dg_guard_open_with(NULL, &g) == DG_STATUS_NULL_PARAMETER);
    EXPECT(dg_guard_open_with(&opts, NULL) == DG_STATUS_NULL_PARAMETER);

    /* fsync never, journaled to the state directory. */
    opts.state_dir = argv[2];
    opts.fsync = DG_FSYNC_NEVER;
    g = NULL;
    EXPECT(dg_guard_open_with(&opts, &g) == DG_STATUS_OK && g != NULL);
    EXPECT(dg_opt_out(g, "02 5555 4321", FRI_10_ROME_MS) == DG_STATUS_OK);
    EXPECT(dg_guard_close(g) == DG_STATUS_OK);

    g = NULL;
    EXPECT(dg_guard_open(argv[1], argv[2], &g) == DG_STATUS_OK && g != NULL);
    memset(&ctx, 0, sizeof ctx);
    ctx.now_unix_ms = FRI_10_ROME_MS;
    EXPECT(dg_check(g, "02 5555 4321", &ctx, &d) == DG_STATUS_OK);
    EXPECT(d.verdict == DG_VERDICT_DENY && d.reason == DG_REASON_OPT_OUT);
    EXPECT(dg_guard_close(g) == DG_STATUS_OK);

    printf("open_with: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
