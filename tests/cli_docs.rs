//! docs/cli.md must match `--help`: every subcommand and every long flag the binary
//! accepts is documented there, and every flag has a help line in `--help` itself.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_dialguard");

fn help(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).arg("--help").output().unwrap();
    assert!(out.status.success(), "{args:?} --help failed");
    String::from_utf8(out.stdout).unwrap()
}

/// The subcommands `dialguard --help` lists (without `help`).
fn subcommands() -> Vec<String> {
    let top = help(&[]);
    top.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|c| c != "help")
        .collect()
}

/// Each subcommand's path: `audit verify` style nested commands included.
fn command_paths() -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for c in subcommands() {
        let text = help(&[&c]);
        let nested: Vec<String> = text
            .lines()
            .skip_while(|l| !l.starts_with("Commands:"))
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
            .filter(|n| n != "help")
            .collect();
        if nested.is_empty() {
            paths.push(vec![c]);
        } else {
            paths.extend(nested.into_iter().map(|n| vec![c.clone(), n]));
        }
    }
    paths
}

/// Long flags of one `--help` page, and those without a help line.
fn flags(text: &str) -> (Vec<String>, Vec<String>) {
    let lines: Vec<&str> = text.lines().collect();
    let (mut all, mut bare) = (Vec::new(), Vec::new());
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim_start();
        if !t.starts_with('-') {
            continue;
        }
        let Some(flag) = t
            .split([' ', ','])
            .find(|w| w.starts_with("--"))
            .map(str::to_owned)
        else {
            continue;
        };
        if flag == "--help" || flag == "--version" {
            continue;
        }
        // Help on the same line (after two spaces) or on the next, deeper-indented line.
        let spec_end = t.find("  ").map(|i| t[i..].trim());
        let same_line = spec_end.is_some_and(|rest| !rest.is_empty() && !rest.starts_with('['));
        let indent = l.len() - t.len();
        let next_line = lines.get(i + 1).is_some_and(|n| {
            let nt = n.trim_start();
            !nt.is_empty() && !nt.starts_with('-') && n.len() - nt.len() > indent
        });
        if !(same_line || next_line) {
            bare.push(flag.clone());
        }
        all.push(flag);
    }
    (all, bare)
}

#[test]
fn every_command_and_flag_is_in_docs_cli_md_and_has_a_help_line() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/cli.md")).unwrap();
    let mut missing = Vec::new();
    let mut undocumented = Vec::new();
    let paths = command_paths();
    assert!(paths.len() >= 9, "{paths:?}");
    for path in paths {
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        let name = format!("dialguard {}", path.join(" "));
        if !doc.contains(&name) {
            missing.push(name.clone());
        }
        let (all, bare) = flags(&help(&args));
        for f in all {
            if !doc.contains(&f) {
                missing.push(format!("{name} {f}"));
            }
        }
        undocumented.extend(bare.into_iter().map(|f| format!("{name} {f}")));
    }
    assert!(missing.is_empty(), "not in docs/cli.md: {missing:#?}");
    assert!(
        undocumented.is_empty(),
        "no help line in --help: {undocumented:#?}"
    );
}

#[test]
fn the_flag_reader_sees_a_flag_without_help() {
    let page = "Options:\n      --policy <POLICY>\n      --at <AT>  The instant\n      --mode <MODE>  [default: preview]\n  -h, --help  Print help\n";
    let (all, bare) = flags(page);
    assert_eq!(all, ["--policy", "--at", "--mode"]);
    assert_eq!(bare, ["--policy", "--mode"]);
}
