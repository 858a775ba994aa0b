/*
 * dialguard as an Asterisk dialplan function: DIALGUARD() asks before a call, and
 * DIALGUARD_OUTCOME() records how it ended. Asterisk is not packaged here, so the few
 * Asterisk declarations this needs are stand-ins below (marked): in a real module,
 * include <asterisk/module.h>, <asterisk/pbx.h>, <asterisk/logger.h> instead and drop the
 * stand-ins and main(). The dialguard part is exactly what runs in Asterisk; tests/ffi_c.rs
 * compiles this file and runs main() against the example policy.
 *
 * Dialplan (extensions.conf):
 *   exten => _X.,1,Set(DG=${DIALGUARD(${EXTEN},${CALLERID(num)},winter-offers)})
 *    same => n,GotoIf($["${CUT(DG,\ ,1)}" != "allow"]?refused)
 *    same => n,Set(CHANNEL(hangup_handler_push)=dg-outcome,s,1(${EXTEN},${CUT(DG,\ ,5)}))
 *    same => n,Dial(PJSIP/${EXTEN}@carrier,30)
 *    same => n(refused),Hangup(21)
 *   [dg-outcome]
 *   exten => s,1,Set(DIALGUARD_OUTCOME(${ARG1},${ARG2})=${IF($["${DIALSTATUS}" = "BUSY"]?busy:${IF($["${DIALSTATUS}" = "ANSWER"]?answered:no_answer)})})
 *    same => n,Return()
 * DIALGUARD() reads "<verdict> <reason> <rule> <retry-after seconds> <attempt id>"; on
 * any error it reads "deny <reason> - 0 0" (fail closed: never "allow").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialguard.h"

/* ---- stand-ins for <asterisk/pbx.h>, <asterisk/logger.h>, <asterisk/module.h> ------- */
struct ast_channel;
struct ast_custom_function {
    const char *name;
    int (*read)(struct ast_channel *chan, const char *cmd, char *data, char *buf, size_t len);
    int (*write)(struct ast_channel *chan, const char *cmd, char *data, const char *value);
};
#define AST_MODULE_LOAD_SUCCESS 0
#define AST_MODULE_LOAD_DECLINE 1
static int ast_custom_function_register(struct ast_custom_function *f) { (void)f; return 0; }
static int ast_custom_function_unregister(struct ast_custom_function *f) { (void)f; return 0; }
#define ast_log_warning(...) fprintf(stderr, __VA_ARGS__)
/* ---- end of stand-ins ----------------------------------------------------------------- */

/* One guard for the whole module: opened at load, shared by every channel thread. */
static dg_guard *guard;
/* 0 = the library's clock. Only the stand-alone main() below pins it. */
static int64_t example_now_ms;

/* Splits "a,b,c" in place into at most `max` fields; missing ones are NULL. */
static void split(char *data, char **field, int max) {
    int i;
    for (i = 0; i < max; i++) {
        field[i] = data;
        if (data != NULL) {
            data = strchr(data, ',');
            if (data != NULL) {
                *data++ = '\0';
            }
        }
    }
}

/* DIALGUARD(number,caller_id,campaign): decides and reserves the attempt. */
static int dialguard_read(struct ast_channel *chan, const char *cmd, char *data, char *buf,
                          size_t len) {
    char *arg[3];
    char rule[128] = "-";
    dg_context ctx;
    dg_decision d;
    uint64_t attempt = 0;
    long long retry = 0;
    dg_status st;
    (void)chan;
    (void)cmd;
    split(data, arg, 3);
    memset(&ctx, 0, sizeof ctx);
    ctx.now_unix_ms = example_now_ms;
    /* An empty argument is an absent one (the caller-ID rules then decide). */
    ctx.caller_id = arg[1] != NULL && *arg[1] != '\0' ? arg[1] : NULL;
    ctx.campaign = arg[2] != NULL && *arg[2] != '\0' ? arg[2] : NULL;
    ctx.purpose = DG_PURPOSE_SALES;
    ctx.mode = DG_MODE_PREVIEW; /* an agent is on the channel before Dial() */
    st = dg_check_and_reserve(guard, arg[0], &ctx, &d, &attempt);
    if (st != DG_STATUS_OK) {
        char msg[256];
        dg_last_error(msg, sizeof msg, NULL);
        ast_log_warning("DIALGUARD(%s): %s: %s\n", arg[0] ? arg[0] : "", dg_status_name(st), msg);
        /* d is a DENY whenever the status is not OK */
    }
    if (d.rule != DG_RULE_NONE && dg_rule_name(guard, d.rule, rule, sizeof rule, NULL) != DG_STATUS_OK) {
        strcpy(rule, "?");
    }
    if (d.verdict == DG_VERDICT_DEFER) {
        int64_t now = ctx.now_unix_ms;
        retry = (long long)((d.until_unix_ms - now + 999) / 1000);
    }
    snprintf(buf, len, "%s %s %s %lld %llu", dg_verdict_name(d.verdict),
             dg_reason_name(d.reason), rule, retry,
             (unsigned long long)(d.verdict == DG_VERDICT_ALLOW ? attempt : 0));
    return 0;
}

static const char *const outcome_names[] = {"", "no_answer", "busy", "answered", "abandoned",
                                            "machine", "refused", "opt_out", "wrong_number"};

/* Set(DIALGUARD_OUTCOME(number,attempt)=busy): records the outcome of the attempt. */
static int dialguard_write(struct ast_channel *chan, const char *cmd, char *data,
                           const char *value) {
    char *arg[2];
    dg_context ctx;
    uint32_t outcome;
    uint64_t attempt, recorded = 0;
    (void)chan;
    (void)cmd;
    split(data, arg, 2);
    for (outcome = 1; outcome < sizeof outcome_names / sizeof *outcome_names; outcome++) {
        if (value != NULL && strcmp(value, outcome_names[outcome]) == 0) {
            break;
        }
    }
    if (outcome == sizeof outcome_names / sizeof *outcome_names) {
        ast_log_warning("DIALGUARD_OUTCOME: unknown outcome '%s'\n", value ? value : "");
        return -1;
    }
    attempt = arg[1] ? strtoull(arg[1], NULL, 10) : 0;
    memset(&ctx, 0, sizeof ctx);
    ctx.now_unix_ms = example_now_ms;
    if (dg_record_outcome(guard, arg[0], attempt, outcome, &ctx, &recorded) != DG_STATUS_OK) {
        char msg[256];
        dg_last_error(msg, sizeof msg, NULL);
        ast_log_warning("DIALGUARD_OUTCOME: %s\n", msg);
        return -1;
    }
    return 0;
}

static struct ast_custom_function dialguard_function = {"DIALGUARD", dialguard_read, NULL};
static struct ast_custom_function outcome_function = {"DIALGUARD_OUTCOME", NULL, dialguard_write};

static int load_module(const char *policy, const char *state_dir) {
    if (dg_guard_open(policy, state_dir, &guard) != DG_STATUS_OK) {
        char msg[512];
        dg_last_error(msg, sizeof msg, NULL);
        ast_log_warning("dialguard: %s\n", msg);
        return AST_MODULE_LOAD_DECLINE; /* no guard, no function: dialplans fail closed */
    }
    ast_custom_function_register(&dialguard_function);
    ast_custom_function_register(&outcome_function);
    return AST_MODULE_LOAD_SUCCESS;
}

static int unload_module(void) {
    ast_custom_function_unregister(&dialguard_function);
    ast_custom_function_unregister(&outcome_function);
    return (int)dg_guard_close(guard);
}

/* Stand-alone run: what the dialplan above would do, at Friday 10:00 Rome. */
int main(int argc, char **argv) {
    const char *calls[] = {"02 5555 1234,+390299990000,winter", "02 1234 5678,+390299990000,winter",
                           "02 5555 1234,,winter", "12,+390299990000,winter"};
    char data[128], buf[256];
    size_t i;
    example_now_ms = 1795770000000LL;
    if (load_module(argc > 1 ? argv[1] : "policies/it/policy.toml", NULL) != AST_MODULE_LOAD_SUCCESS) {
        return 1;
    }
    for (i = 0; i < sizeof calls / sizeof *calls; i++) {
        char *last;
        strcpy(data, calls[i]);
        dialguard_function.read(NULL, "DIALGUARD", data, buf, sizeof buf);
        last = strrchr(buf, ' ');
        /* the attempt id is not the same from run to run: show whether there is one */
        printf("DIALGUARD(%s) = %.*s attempt=%s\n", calls[i], (int)(last - buf), buf,
               strcmp(last, " 0") != 0 ? "yes" : "no");
        if (i == 0) {
            char arg[128];
            snprintf(arg, sizeof arg, "02 5555 1234,%s", last + 1);
            printf("DIALGUARD_OUTCOME(02 5555 1234,<attempt>)=busy -> %d\n",
                   outcome_function.write(NULL, "DIALGUARD_OUTCOME", arg, "busy"));
        }
    }
    return unload_module();
}
