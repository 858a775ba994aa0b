//! Broken policies, the way people break them: each one must come back with a clear
//! error naming the file, the line, the rule, the key, what is wrong and what would be
//! valid. Messages are asserted in full (with the temporary directory shown as `DIR`).

use std::path::Path;

use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::policy::{self, Snapshot};
use tempfile::TempDir;

/// Writes `files` and `name` (the policy) into a fresh directory and compiles it.
fn compile(
    name: &str,
    policy: &str,
    files: &[(&str, &str)],
) -> (TempDir, Result<Snapshot, String>) {
    let dir = tempfile::tempdir().unwrap();
    for (f, text) in files {
        std::fs::write(dir.path().join(f), text).unwrap();
    }
    let path = dir.path().join(name);
    std::fs::write(&path, policy).unwrap();
    let res = policy::compile_file(&path, 0).map_err(|e| {
        e.to_string()
            .replace(&dir.path().display().to_string(), "DIR")
    });
    (dir, res)
}

/// The full error text of a policy that must not compile.
fn error(policy: &str, files: &[(&str, &str)]) -> String {
    match compile("policy.toml", policy, files).1 {
        Ok(_) => panic!("the policy compiled but should not:\n{policy}"),
        Err(e) => e,
    }
}

const HEAD: &str = "[policy]\nname = \"p\"\ndefault_country = \"IT\"\n";

#[test]
fn unknown_key_says_did_you_mean() {
    let p = format!(
        "{HEAD}\n[[list]]\nid = \"rpo\"\nkind = \"registry\"\npath = \"rpo.txt\"\nmax_age_day = 15\n"
    );
    assert_eq!(
        error(&p, &[("rpo.txt", "+390212345678\n")]),
        "DIR/policy.toml:9: unknown field `max_age_day`, expected one of `id`, `applies_to`, \
         `purpose`, `mode`, `campaigns`, `valid_from`, `valid_until`, `source`, `confidence`, \
         `kind`, `path`, `prefixes`, `snapshot_date`, `max_age_days`, `exemptions` \
         (did you mean `max_age_days`?)"
    );
}

#[test]
fn unknown_table_says_did_you_mean() {
    let p = format!("{HEAD}\n[[windows]]\nid = \"w\"\nmon-fri = [\"09:00-20:00\"]\n");
    let e = error(&p, &[]);
    assert!(
        e.starts_with("DIR/policy.toml:5: unknown field `windows`, expected one of"),
        "{e}"
    );
    assert!(e.ends_with("(did you mean `window`?)"), "{e}");
}

#[test]
fn duplicate_id() {
    let p = format!(
        "{HEAD}\n[[window]]\nid = \"hours\"\nmon-fri = [\"09:00-20:00\"]\n\n\
         [[cap]]\nid = \"hours\"\nmax = 3\nwithin = \"24h\"\n"
    );
    assert_eq!(
        error(&p, &[]),
        "DIR/policy.toml:9: [[cap]] \"hours\", key `id`: duplicate id \"hours\" \
         (ids must be unique across all rules)"
    );
}

fn window(days: &str) -> String {
    format!("{HEAD}\n[[window]]\nid = \"w\"\napplies_to = [\"IT\"]\n{days}\n")
}

#[test]
fn window_that_ends_before_it_starts() {
    assert_eq!(
        error(&window("mon-fri = [\"09:00-08:00\"]"), &[]),
        "DIR/policy.toml:5: [[window]] \"w\", key `mon-fri`: bad window \"09:00-08:00\": \
         time span \"09:00-08:00\" ends before it starts: windows cannot cross midnight; \
         split it into \"..-24:00\" and \"00:00-..\""
    );
}

#[test]
fn window_outside_the_day() {
    assert_eq!(
        error(&window("sat = [\"25:00-26:00\"]"), &[]),
        "DIR/policy.toml:5: [[window]] \"w\", key `sat`: bad window \"25:00-26:00\": \
         malformed time span \"25:00-26:00\": expected HH:MM-HH:MM with two-digit hours 00-24 \
         and minutes 00-59, e.g. \"09:00-20:00\""
    );
}

#[test]
fn overlapping_windows() {
    assert_eq!(
        error(&window("mon-fri = [\"09:00-13:00\", \"12:00-18:00\"]"), &[]),
        "DIR/policy.toml:5: [[window]] \"w\": windows 09:00-13:00 and 12:00-18:00 on mon \
         overlap: merge them into one window \
         (windows are half-open HH:MM-HH:MM within 00:00-24:00, not overlapping)"
    );
}

#[test]
fn a_day_given_twice() {
    assert_eq!(
        error(
            &window("mon-fri = [\"09:00-20:00\"]\nmon = [\"10:00-20:00\"]"),
            &[]
        ),
        "DIR/policy.toml:5: [[window]] \"w\", key `mon`: mon is already given by `mon-fri` \
         (give each day once)"
    );
}

#[test]
fn unknown_calendar_id() {
    let p = format!(
        "{HEAD}\n[[calendar]]\nid = \"it-holidays\"\nfixed = [\"12-25\"]\n\n\
         [[window]]\nid = \"w\"\ncalendar = \"it-holiday\"\nmon-fri = [\"09:00-20:00\"]\nholiday = []\n"
    );
    assert_eq!(
        error(&p, &[]),
        "DIR/policy.toml:9: [[window]] \"w\", key `calendar`: no calendar \"it-holiday\" \
         (did you mean \"it-holidays\"?)"
    );
}

#[test]
fn duration_without_unit() {
    let p = format!("{HEAD}\n[[cap]]\nid = \"c\"\nmax = 4\nwithin = \"30\"\n");
    assert_eq!(
        error(&p, &[]),
        "DIR/policy.toml:5: [[cap]] \"c\", key `within`: bad duration \"30\": \
         a number needs a unit (d, h, m or s) (write e.g. \"24h\", \"7d\", \"30d\")"
    );
}

#[test]
fn date_that_does_not_exist() {
    let p = format!(
        "{HEAD}\n[[consent_required]]\nid = \"fr\"\napplies_to = [\"FR\"]\nvalid_from = \"2026-02-30\"\n"
    );
    assert_eq!(
        error(&p, &[]),
        "DIR/policy.toml:5: [[consent_required]] \"fr\", key `valid_from`: bad date \
         \"2026-02-30\": invalid date \"2026-02-30\": expected YYYY-MM-DD naming a real day, \
         e.g. \"2026-10-04\" (write a real date as YYYY-MM-DD)"
    );
}

#[test]
fn unknown_outcome() {
    let p = format!("{HEAD}\n[[cooloff]]\nid = \"c\"\nafter = \"hung_up\"\nfor = \"5d\"\n");
    assert_eq!(
        error(&p, &[]),
        "DIR/policy.toml:5: [[cooloff]] \"c\", key `after`: unknown outcome \"hung_up\" \
         (no_answer | busy | answered | abandoned | machine | refused | opt_out | wrong_number)"
    );
}

#[test]
fn unknown_region() {
    let p = format!(
        "{HEAD}\n[[window]]\nid = \"w\"\napplies_to = [\"Italy\"]\nmon-fri = [\"09:00-20:00\"]\n"
    );
    assert_eq!(
        error(&p, &[]),
        "DIR/policy.toml:5: [[window]] \"w\", key `applies_to`: unknown region \"Italy\" \
         (use a country (\"IT\"), a subdivision (\"US-FL\", \"CA-ON\"), a group (\"FR+DOM\", \"US+territories\"), an E.164 prefix \
         (\"+1212\") or \"*\")"
    );
}

#[test]
fn missing_list_file_names_its_path() {
    let p =
        format!("{HEAD}\n[[list]]\nid = \"rpo\"\nkind = \"registry\"\npath = \"lists/rpo.txt\"\n");
    assert_eq!(
        error(&p, &[]),
        "DIR/policy.toml:5: [[list]] \"rpo\", key `path`: DIR/lists/rpo.txt: \
         No such file or directory (os error 2) (check the path and its permissions)"
    );
}

const BAD_LIST: &str =
    "# registry extract\n+390212345678\n+39 02 bad\n+390212345679,2025-13-01\n+390212345670\n";

#[test]
fn list_file_with_a_bad_line_fails_with_file_and_line() {
    let p = format!("{HEAD}\n[[list]]\nid = \"rpo\"\nkind = \"registry\"\npath = \"rpo.txt\"\n");
    assert_eq!(
        error(&p, &[("rpo.txt", BAD_LIST)]),
        "DIR/policy.toml:5: [[list]] \"rpo\", key `path`: DIR/rpo.txt:3: letter 'b' at position 8: \
         a number may carry a label before it (Tel:, Phone:), an extension after it \
         (ext. 12, x12) or vanity letters after three digits (1-800-FLOWERS); this is none of \
         them (line: \"+39 02 bad\"); \
         fix or remove the line, or set bad lines to be skipped"
    );
    // Saying `fail` explicitly is the same.
    let explicit = p.replace("[policy]\n", "[policy]\nbad_lines = \"fail\"\n");
    assert!(error(&explicit, &[("rpo.txt", BAD_LIST)]).contains("DIR/rpo.txt:3: "));
}

#[test]
fn list_file_bad_lines_can_be_skipped() {
    let p = "[policy]\nname = \"p\"\ndefault_country = \"IT\"\nbad_lines = \"skip\"\n\n\
             [[list]]\nid = \"rpo\"\nkind = \"registry\"\npath = \"rpo.txt\"\n";
    let (_dir, snap) = compile("policy.toml", p, &[("rpo.txt", BAD_LIST)]);
    let snap = snap.expect("bad lines are skipped");
    // Two good lines are kept; the bad number and the bad date are skipped.
    assert_eq!(
        snap.list_sizes()
            .map(|(id, _, n)| (id.to_owned(), n))
            .collect::<Vec<_>>(),
        [("rpo".to_owned(), 2)]
    );
    let (g, _) = Guard::with_snapshot(snap, GuardOptions::default()).unwrap();
    let ctx = CallContext::new("2026-11-27T10:00:00+01:00".parse().unwrap());
    assert_eq!(
        g.check("+390212345678", &ctx).reason().map(|r| r.name()),
        Some("registry")
    );
    assert_eq!(
        g.check("+390212345670", &ctx).reason().map(|r| r.name()),
        Some("registry")
    );
    assert!(g.check("+390212345679", &ctx).is_allow());
}

#[test]
fn an_unknown_bad_lines_value() {
    let p = "[policy]\nname = \"p\"\nbad_lines = \"ignore\"\n";
    assert_eq!(
        error(p, &[]),
        "DIR/policy.toml: [policy], key `bad_lines`: unknown bad_lines \"ignore\" \
         (use \"fail\" or \"skip\")"
    );
}

#[test]
fn broken_toml_syntax_gives_the_line() {
    let p = format!("{HEAD}\n[[window]]\nid = \"w\"\nmon-fri = [\"09:00-20:00\"\nsat = []\n");
    // The bracket opened on line 7 is unclosed; the parser notices on line 8.
    assert_eq!(
        error(&p, &[]),
        "DIR/policy.toml:8: missing comma between array elements, expected `,`"
    );
}

#[test]
fn a_json_policy_is_accepted() {
    let json = r#"{
  "policy": { "name": "json-demo", "default_country": "IT" },
  "window": [
    { "id": "hours", "applies_to": ["IT"], "mon-fri": ["09:00-20:00"] }
  ]
}"#;
    let (_dir, snap) = compile("policy.json", json, &[]);
    let snap = snap.expect("JSON policy compiles");
    assert_eq!(snap.name(), "json-demo");
    let (g, _) = Guard::with_snapshot(snap, GuardOptions::default()).unwrap();
    let sunday = CallContext::new("2026-11-29T10:00:00+01:00".parse().unwrap());
    let d = g.check("02 5555 1234", &sunday);
    assert_eq!(d.until().map(|t| t.as_second()), Some(1_796_025_600)); // Mon 2026-11-30T08:00:00Z
    assert_eq!(
        g.snapshot().rule(d.rule().unwrap()).map(|m| m.id.as_str()),
        Some("hours")
    );
}

#[test]
fn a_json_policy_error_names_the_rule_without_a_line() {
    let json = r#"{"policy": {"name": "j"}, "cap": [{"id": "c", "max": 3, "within": "30"}]}"#;
    let (_dir, res) = compile("policy.json", json, &[]);
    assert_eq!(
        res.err().unwrap(),
        "DIR/policy.json: [[cap]] \"c\", key `within`: bad duration \"30\": \
         a number needs a unit (d, h, m or s) (write e.g. \"24h\", \"7d\", \"30d\")"
    );
}

#[test]
fn an_unknown_rule_pack() {
    let p = "[policy]\nname = \"p\"\ninclude = [\"builtin:xx\"]\n";
    assert_eq!(
        error(p, &[]),
        "DIR/policy.toml: [policy], key `include`: unknown rule pack \"builtin:xx\" \
         (available packs: builtin:it, builtin:us, builtin:uk, builtin:fr, builtin:es, builtin:ca, builtin:au)"
    );
}

#[test]
fn the_documented_builtin_it_pack_is_available() {
    let p = "[policy]\nname = \"p\"\ndefault_country = \"IT\"\ninclude = [\"builtin:it\"]\n";
    let (_dir, snap) = compile("policy.toml", p, &[]);
    let snap = snap.expect("builtin:it is documented in docs/policy.md");
    assert!(policy::packs::names().contains(&"builtin:it"));
    assert!(snap.rules().iter().any(|r| r.origin == "builtin:it"));
}

#[test]
fn several_problems_are_reported_at_once_in_file_order() {
    let p = format!(
        "{HEAD}\n[[window]]\nid = \"w\"\nmon-fri = [\"09:00-08:00\"]\n\n\
         [[cap]]\nid = \"c\"\nmax = 4\nwithin = \"30\"\n"
    );
    let e = error(&p, &[]);
    let lines: Vec<&str> = e.lines().collect();
    assert_eq!(lines.len(), 2, "{e}");
    assert!(
        lines[0].starts_with("DIR/policy.toml:5: [[window]] \"w\""),
        "{e}"
    );
    assert!(
        lines[1].starts_with("DIR/policy.toml:9: [[cap]] \"c\""),
        "{e}"
    );
}

#[test]
fn compile_file_of_a_missing_policy() {
    let e = policy::compile_file(Path::new("/nonexistent/policy.toml"), 0)
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        e,
        "/nonexistent/policy.toml: cannot read the policy: No such file or directory \
         (os error 2) (check the path and permissions)"
    );
}

#[test]
fn more_mistakes_each_with_rule_key_and_hint() {
    let cases: &[(&str, &str)] = &[
        (
            "[policy]\nname = \"p\"\nhorizon_days = 0\n",
            "DIR/policy.toml: [policy], key `horizon_days`: horizon_days = 0 is out of range (use 1 to 3660 days)",
        ),
        (
            "[policy]\nname = \"p\"\ndefault_country = \"Italy\"\n",
            "DIR/policy.toml: [policy], key `default_country`: unknown default_country \"Italy\" (use an ISO 3166-1 alpha-2 code such as \"IT\" or \"US\")",
        ),
        (
            "[policy]\nname = \"p\"\n\n[[cap]]\nid = \"c\"\nmax = 0\nwithin = \"1d\"\n",
            "DIR/policy.toml:4: [[cap]] \"c\", key `max`: max = 0 would forbid every call (to forbid calls use a list or a blackout)",
        ),
        (
            "[policy]\nname = \"p\"\n\n[[cooloff]]\nid = \"c\"\nafter = \"busy\"\nfor = \"1d\"\nfor_calendar_days = 2\n",
            "DIR/policy.toml:4: [[cooloff]] \"c\", key `for`: give `for` or `for_calendar_days`, not both",
        ),
        (
            "[policy]\nname = \"p\"\n\n[[cooloff]]\nid = \"c\"\nafter = \"busy\"\n",
            "DIR/policy.toml:4: [[cooloff]] \"c\", key `for`: missing duration (add for = \"5d\" (elapsed), for_calendar_days = 7, or for = \"forever\")",
        ),
        (
            "[policy]\nname = \"p\"\n\n[[caller_id]]\nid = \"c\"\n",
            "DIR/policy.toml:4: [[caller_id]] \"c\", key `allow_prefixes`: nothing is allowed (give allow_prefixes and/or allow_list)",
        ),
        (
            "[policy]\nname = \"p\"\n\n[[list]]\nid = \"o\"\nkind = \"optout\"\nprefixes = [\"+39899\"]\nexemptions = [\"consent\"]\n",
            "DIR/policy.toml:4: [[list]] \"o\", key `exemptions`: only a registry can be exempted by consent (an opt-out beats every consent; remove `exemptions`)",
        ),
        (
            "[policy]\nname = \"p\"\n\n[[list]]\nid = \"o\"\nkind = \"blacklist\"\nprefixes = [\"+39899\"]\n",
            "DIR/policy.toml:4: [[list]] \"o\", key `kind`: unknown list kind \"blacklist\" (use registry | optout | suppression | directory)",
        ),
        (
            "[policy]\nname = \"p\"\n\n[[list]]\nid = \"r\"\nkind = \"registry\"\nprefixes = [\"+39899\"]\nmax_age_days = 15\n",
            "DIR/policy.toml:4: [[list]] \"r\", key `snapshot_date`: max_age_days needs to know when the registry copy was taken (add snapshot_date = \"YYYY-MM-DD\" (a compiled list file carries it))",
        ),
        (
            "[policy]\nname = \"p\"\n\n[[window]]\nid = \"w\"\nmon-fri = [\"09:00-20:00\"]\nholiday = []\n",
            "DIR/policy.toml:4: [[window]] \"w\", key `calendar`: holiday / pre_holiday windows need a calendar (name a [[calendar]] id in `calendar`)",
        ),
        (
            "[policy]\nname = \"p\"\n\n[[blackout]]\nid = \"b\"\nfrom = \"2026-08-28\"\n",
            "DIR/policy.toml:4: [[blackout]] \"b\", key `from`: bad instant \"2026-08-28\": failed to find time component, which is required for parsing a timestamp (an RFC 3339 instant such as \"2026-08-28T00:00:00-05:00\")",
        ),
        (
            "[policy]\nname = \"p\"\n\n[[blackout]]\nid = \"b\"\nfrom = \"2026-08-28T00:00:00Z\"\nuntil = \"2026-08-27T00:00:00Z\"\n",
            "DIR/policy.toml:4: [[blackout]] \"b\", key `until`: until is not after from (swap the instants)",
        ),
        (
            "[policy]\nname = \"p\"\n\n[[window]]\nid = \"w\"\nconfidence = \"high\"\nmon-fri = [\"09:00-20:00\"]\n",
            "DIR/policy.toml:4: [[window]] \"w\", key `confidence`: unknown confidence \"high\" (use P (primary), S (secondary), V (vendor) or M (unverified))",
        ),
        (
            "[policy]\nname = \"p\"\n\n[[window]]\nmon-fri = [\"09:00-20:00\"]\n",
            "DIR/policy.toml:4: missing field `id`",
        ),
        (
            "[policy]\nname = \"p\"\n\n[[calendar]]\nid = \"c\"\ndated = [{ date = \"10-04\", form = 2026 }]\n",
            "DIR/policy.toml:6: unknown field `form`, expected one of `date`, `from`, `until` (did you mean `from`?)",
        ),
        (
            "[policy]\nname = \"p\"\n\n[[abandon_limit]]\nid = \"a\"\nmax_rate = 3\nwithin = \"30d\"\n",
            "DIR/policy.toml:4: [[abandon_limit]] \"a\", key `max_rate`: max_rate = 3 is not a rate (a fraction between 0 and 1, e.g. 0.03 for 3%)",
        ),
        (
            "[policy]\nname = \"p\"\n\n[[window]]\nid = \"w\"\nmode = [\"robot\"]\nmon-fri = [\"09:00-20:00\"]\n",
            "DIR/policy.toml:4: [[window]] \"w\", key `mode`: unknown mode \"robot\" (valid: predictive | preview | manual)",
        ),
        (
            "[policy]\nname = \"p\"\n\n[[window]]\nid = \"w\"\nvalid_from = \"2026-09-01\"\nvalid_until = \"2026-08-01\"\nmon-fri = [\"09:00-20:00\"]\n",
            "DIR/policy.toml:4: [[window]] \"w\", key `valid_until`: valid_until is before valid_from (swap the dates)",
        ),
    ];
    let mut got = Vec::new();
    for (policy, _) in cases {
        got.push(error(policy, &[]));
    }
    let want: Vec<&str> = cases.iter().map(|(_, w)| *w).collect();
    assert_eq!(got, want);
}

#[test]
fn consent_file_problems() {
    let p = "[policy]\nname = \"p\"\ndefault_country = \"IT\"\n\n[[consent]]\nid = \"crm\"\npath = \"c.csv\"\n";
    // (A bad header fails whatever `bad_lines` says, so "or set bad lines to be skipped"
    // does not apply to it: reported as a wording issue.)
    assert_eq!(
        error(p, &[("c.csv", "number,kind\n+390212345678,consent\n")]),
        "DIR/policy.toml:5: [[consent]] \"crm\", key `path`: DIR/c.csv:1: bad header: missing \
         column(s) granted_at,expires_at,campaign; the header must name \
         number,kind,granted_at,expires_at,campaign (line: \"number,kind\"); fix or remove the \
         line, or set bad lines to be skipped \
         (a CSV with header number,kind,granted_at,expires_at,campaign)"
    );
    assert_eq!(
        error(
            p,
            &[(
                "c.csv",
                "number,kind,granted_at,expires_at,campaign\n+390212345678,promise,2026-01-01,,*\n"
            )]
        ),
        "DIR/policy.toml:5: [[consent]] \"crm\", key `path`: DIR/c.csv:2: bad kind \"promise\": \
         expected consent, contract, ebr or outside_hours (line: \"+390212345678,promise,2026-01-01,,*\"); fix \
         or remove the line, or set bad lines to be skipped \
         (a CSV with header number,kind,granted_at,expires_at,campaign)"
    );
}

/// Every key with a closed vocabulary names the rule, the key and the closest valid word
/// when the written one is a near miss.
#[test]
fn near_misses_in_closed_vocabularies_say_did_you_mean() {
    let rule = |table: &str, body: &str| format!("{HEAD}\n[[{table}]]\nid = \"r\"\n{body}\n");
    let cases: Vec<(String, &str)> = vec![
        (
            rule("list", "kind = \"opt_out\"\nprefixes = [\"+39899\"]"),
            "DIR/policy.toml:5: [[list]] \"r\", key `kind`: unknown list kind \"opt_out\" (did you mean \"optout\"? use registry | optout | suppression | directory)",
        ),
        (
            rule("cap", "max = 3\nwithin = \"1d\"\nkey = \"number+campain\""),
            "DIR/policy.toml:5: [[cap]] \"r\", key `key`: unknown key \"number+campain\" (did you mean \"number+campaign\"? use number | number+campaign | number+subject)",
        ),
        (
            rule("cap", "max = 3\nwithin = \"1d\"\ncount = \"connect\""),
            "DIR/policy.toml:5: [[cap]] \"r\", key `count`: unknown count \"connect\" (did you mean \"connected\"? use attempts | connected)",
        ),
        (
            rule(
                "cooloff",
                "after = \"busy\"\nfor = \"1d\"\nthen = \"live-agent\"",
            ),
            "DIR/policy.toml:5: [[cooloff]] \"r\", key `then`: unknown requirement \"live-agent\" (did you mean \"live_agent\"? valid: live_agent)",
        ),
        (
            rule(
                "window",
                "mon-fri = [\"09:00-20:00\"]\nmode = [\"preveiw\"]",
            ),
            "DIR/policy.toml:5: [[window]] \"r\", key `mode`: unknown mode \"preveiw\" (did you mean \"preview\"? valid: predictive | preview | manual)",
        ),
        (
            rule(
                "window",
                "mon-fri = [\"09:00-20:00\"]\npurpose = [\"sale\"]",
            ),
            "DIR/policy.toml:5: [[window]] \"r\", key `purpose`: unknown purpose \"sale\" (did you mean \"sales\"? valid: sales | survey | collection | informational)",
        ),
        (
            rule(
                "abandon_limit",
                "max_rate = 0.03\nwithin = \"30d\"\nblocks = \"al\"",
            ),
            "DIR/policy.toml:5: [[abandon_limit]] \"r\", key `blocks`: unknown value \"al\" (did you mean \"all\"? use predictive | all)",
        ),
        (
            rule("consent_required", "kinds = [\"contrat\"]"),
            "DIR/policy.toml:5: [[consent_required]] \"r\", key `kinds`: unknown consent kind \"contrat\" (did you mean \"contract\"? use consent | contract | ebr)",
        ),
        (
            rule("cooloff", "after = \"no-answer\"\nfor = \"1d\""),
            "DIR/policy.toml:5: [[cooloff]] \"r\", key `after`: unknown outcome \"no-answer\" (did you mean \"no_answer\"? no_answer | busy | answered | abandoned | machine | refused | opt_out | wrong_number)",
        ),
        (
            rule(
                "list",
                "kind = \"registry\"\nprefixes = [\"+39899\"]\nexemptions = [\"contracts\"]",
            ),
            "DIR/policy.toml:5: [[list]] \"r\", key `exemptions`: unknown exemption \"contracts\" (did you mean \"contract\"? valid: consent | consent_after_registration | contract | contract_within_30d | ebr)",
        ),
        (
            "[policy]\nname = \"p\"\nbad_lines = \"skp\"\n".to_owned(),
            "DIR/policy.toml: [policy], key `bad_lines`: unknown bad_lines \"skp\" (did you mean \"skip\"? use \"fail\" or \"skip\")",
        ),
    ];
    let got: Vec<String> = cases.iter().map(|(p, _)| error(p, &[])).collect();
    let want: Vec<&str> = cases.iter().map(|(_, w)| *w).collect();
    assert_eq!(got, want);
}

/// A word of the wrong type is still a serde error with its line, not an unknown word.
#[test]
fn a_vocabulary_word_of_the_wrong_type_gives_the_line() {
    let p = format!("{HEAD}\n[[list]]\nid = \"r\"\nkind = 3\nprefixes = [\"+39899\"]\n");
    let e = error(&p, &[]);
    assert!(
        e.starts_with("DIR/policy.toml:7: invalid type: integer `3`"),
        "{e}"
    );
}
