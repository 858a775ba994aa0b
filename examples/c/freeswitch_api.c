/*
 * dialguard as a FreeSWITCH API command: `dialguard <number> <caller_id> [campaign]`
 * answers "<verdict> <reason> <rule> <retry-after seconds> <attempt id>" and reserves the
 * attempt; `dialguard_outcome <number> <attempt> <outcome>` records how the call ended.
 * FreeSWITCH is not packaged here, so the few FreeSWITCH declarations this needs are
 * stand-ins below (marked): in a real module, include <switch.h>, use
 * SWITCH_MODULE_LOAD_FUNCTION / SWITCH_ADD_API, and drop the stand-ins and main(). The
 * dialguard part is what would run in FreeSWITCH; tests/ffi_c.rs compiles this file and
 * runs main() against the example policy.
 *
 * Dialplan (XML):
 *   <action application="set" data="dg=${dialguard(${destination_number} ${caller_id_number} winter)}"/>
 *   <action application="execute_extension" data="dg_refused XML default" ...
 * or from ESL / Lua: api dialguard +390255551234 +390299990000 winter
 * Any error answers "deny <reason> - 0 0": fail closed, never "allow".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialguard.h"

/* ---- stand-ins for <switch.h> ---------------------------------------------------------- */
typedef enum { SWITCH_STATUS_SUCCESS = 0, SWITCH_STATUS_FALSE = 1 } switch_status_t;
typedef struct switch_core_session switch_core_session_t;
typedef struct switch_stream_handle switch_stream_handle_t;
struct switch_stream_handle {
    int (*write_function)(switch_stream_handle_t *handle, const char *fmt, ...);
};
#define SWITCH_STANDARD_API(name) \
    static switch_status_t name(const char *cmd, switch_core_session_t *session, \
                                switch_stream_handle_t *stream)
/* ---- end of stand-ins ------------------------------------------------------------------ */

/* One guard for the module: opened at module load, shared by every session thread. */
static dg_guard *guard;
/* 0 = the library's clock. Only the stand-alone main() below pins it. */
static int64_t example_now_ms;

/* dialguard <number> <caller_id> [campaign] */
SWITCH_STANDARD_API(dialguard_api) {
    char args[256], rule[128] = "-";
    char *number, *caller, *campaign;
    dg_context ctx;
    dg_decision d;
    uint64_t attempt = 0;
    long long retry = 0;
    (void)session;
    if (cmd == NULL || strlen(cmd) >= sizeof args) {
        stream->write_function(stream, "deny invalid_number - 0 0\n");
        return SWITCH_STATUS_SUCCESS;
    }
    strcpy(args, cmd);
    number = strtok(args, " ");
    caller = strtok(NULL, " ");
    campaign = strtok(NULL, " ");
    memset(&ctx, 0, sizeof ctx);
    ctx.now_unix_ms = example_now_ms;
    ctx.caller_id = caller;
    ctx.campaign = campaign;
    ctx.purpose = DG_PURPOSE_SALES;
    ctx.mode = DG_MODE_PREDICTIVE;
    if (dg_check_and_reserve(guard, number, &ctx, &d, &attempt) != DG_STATUS_OK) {
        char msg[256];
        dg_last_error(msg, sizeof msg, NULL);
        fprintf(stderr, "dialguard: %s\n", msg); /* switch_log_printf in FreeSWITCH */
    }
    if (d.rule != DG_RULE_NONE && dg_rule_name(guard, d.rule, rule, sizeof rule, NULL) != DG_STATUS_OK) {
        strcpy(rule, "?");
    }
    if (d.verdict == DG_VERDICT_DEFER) {
        retry = (long long)((d.until_unix_ms - ctx.now_unix_ms + 999) / 1000);
    }
    stream->write_function(stream, "%s %s %s %lld %llu\n", dg_verdict_name(d.verdict),
                           dg_reason_name(d.reason), rule, retry,
                           (unsigned long long)(d.verdict == DG_VERDICT_ALLOW ? attempt : 0));
    return SWITCH_STATUS_SUCCESS;
}

/* dialguard_outcome <number> <attempt> <outcome code 1-8, see dg_outcome> */
SWITCH_STANDARD_API(dialguard_outcome_api) {
    char number[64];
    unsigned long long attempt;
    unsigned outcome;
    dg_context ctx;
    (void)session;
    if (cmd == NULL || sscanf(cmd, "%63s %llu %u", number, &attempt, &outcome) != 3) {
        stream->write_function(stream, "-ERR usage: dialguard_outcome <number> <attempt> <1-8>\n");
        return SWITCH_STATUS_SUCCESS;
    }
    memset(&ctx, 0, sizeof ctx);
    ctx.now_unix_ms = example_now_ms;
    if (dg_record_outcome(guard, number, attempt, outcome, &ctx, NULL) != DG_STATUS_OK) {
        char msg[256];
        dg_last_error(msg, sizeof msg, NULL);
        stream->write_function(stream, "-ERR %s\n", msg);
        return SWITCH_STATUS_SUCCESS;
    }
    stream->write_function(stream, "+OK\n");
    return SWITCH_STATUS_SUCCESS;
}

/* Stand-alone run: a stream that prints, and the commands a dialplan would send. */
static char last[256];

static int print_stream(switch_stream_handle_t *handle, const char *fmt, ...) {
    va_list ap;
    (void)handle;
    va_start(ap, fmt);
    vsnprintf(last, sizeof last, fmt, ap);
    va_end(ap);
    return 0;
}

int main(int argc, char **argv) {
    const char *calls[] = {"0255554321 +390299990000 winter", "0212345678 +390299990000 winter",
                           "899123456 +390299990000 winter", "12 +390299990000"};
    switch_stream_handle_t stream = {print_stream};
    char cmd[128], *space;
    size_t i;
    example_now_ms = 1795770000000LL; /* Friday 10:00 Rome */
    if (dg_guard_open(argc > 1 ? argv[1] : "policies/it/policy.toml", NULL, &guard) != DG_STATUS_OK) {
        return 1;
    }
    for (i = 0; i < sizeof calls / sizeof *calls; i++) {
        dialguard_api(calls[i], NULL, &stream);
        space = strrchr(last, ' ');
        printf("api dialguard %s -> %.*s attempt=%s\n", calls[i], (int)(space - last), last,
               strcmp(space, " 0\n") != 0 ? "yes" : "no");
        if (i == 0) {
            snprintf(cmd, sizeof cmd, "0255554321 %.*s 3", (int)strcspn(space + 1, "\n"), space + 1);
            dialguard_outcome_api(cmd, NULL, &stream);
            printf("api dialguard_outcome 0255554321 <attempt> 3 -> %s", last);
        }
    }
    return (int)dg_guard_close(guard);
}
