//! `dialguard audit verify|show` and `dialguard report`: the decision log read back.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use dialguard::audit::{self, Filter, ReportFormat};

use crate::Fail;

#[derive(Subcommand)]
pub(crate) enum AuditCommand {
    /// Walk the hash chain: exit 0 and "ok: N records in M files, last hash …", or exit 1
    /// naming the file and the record of the first break.
    Verify { dir: PathBuf },
    /// Print the logged records (JSON Lines, as written), optionally one number's or a
    /// period's (--from/--to: YYYY-MM-DD, UTC days, inclusive; or RFC 3339 instants).
    Show {
        dir: PathBuf,
        /// E.164, e.g. +390212345678 (found through its pseudonym when the log keeps
        /// numbers pseudonymized).
        #[arg(long)]
        number: Option<String>,
        /// First day (YYYY-MM-DD, UTC) or instant (RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// Last day (YYYY-MM-DD, UTC, inclusive) or instant (RFC 3339, exclusive).
        #[arg(long)]
        to: Option<String>,
    },
}

#[derive(Args)]
pub(crate) struct ReportArgs {
    /// The decision log's directory.
    #[arg(long)]
    audit: PathBuf,
    /// First day (YYYY-MM-DD, UTC) or instant (RFC 3339).
    #[arg(long)]
    from: String,
    /// Last day (YYYY-MM-DD, UTC, inclusive) or instant (RFC 3339, exclusive).
    #[arg(long)]
    to: String,
    /// json | csv | html (fields in docs/report.md).
    #[arg(long, default_value = "json")]
    format: String,
    /// Write here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub(crate) fn run(cmd: &AuditCommand) -> Result<(), Fail> {
    match cmd {
        AuditCommand::Verify { dir } => verify(dir),
        AuditCommand::Show {
            dir,
            number,
            from,
            to,
        } => {
            let filter = Filter {
                number: number.as_deref().map(e164).transpose()?,
                from: from
                    .as_deref()
                    .map(|s| audit::report::parse_bound(s, false))
                    .transpose()?,
                to: to
                    .as_deref()
                    .map(|s| audit::report::parse_bound(s, true))
                    .transpose()?,
            };
            let mut out = std::io::stdout().lock();
            audit::show(dir, &filter, &mut out)?;
            out.flush()
                .map_err(|e| Fail(format!("cannot write stdout: {e}")))
        }
    }
}

fn verify(dir: &std::path::Path) -> Result<(), Fail> {
    match audit::verify(dir) {
        Ok(r) => {
            let mut line = format!(
                "ok: {} records in {} files, last hash {}",
                r.records, r.files, r.last_hash
            );
            if !r.sealed {
                line.push_str(" (not closed: the writer is running or died; records after this hash cannot be vouched for)");
            }
            if r.recoveries > 0 {
                line.push_str(&format!(", {} unclean stop(s) recorded", r.recoveries));
            }
            if r.dropped > 0 {
                line.push_str(&format!(
                    ", {} record(s) dropped with the queue full",
                    r.dropped
                ));
            }
            if !r.pruned.is_empty() {
                line.push_str(&format!(
                    ", {} file(s) deleted by retention",
                    r.pruned.len()
                ));
            }
            println!("{line}");
            Ok(())
        }
        Err(e @ audit::VerifyError::Break { .. }) => {
            println!("broken: {e}");
            let _ = std::io::stdout().flush();
            std::process::exit(1);
        }
        Err(e) => Err(Fail(e.to_string())),
    }
}

/// `+390212345678` (or its digits) as E.164 digits.
fn e164(s: &str) -> Result<u64, Fail> {
    let digits: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    digits
        .strip_prefix('+')
        .unwrap_or(&digits)
        .parse::<u64>()
        .ok()
        .and_then(dialguard::Number::from_e164_digits)
        .map(dialguard::Number::get)
        .ok_or_else(|| {
            Fail(format!(
                "--number {s:?} is not an E.164 number; write it as +CC… e.g. +390212345678"
            ))
        })
}

pub(crate) fn report(args: &ReportArgs) -> Result<(), Fail> {
    let format = match args.format.as_str() {
        "json" => ReportFormat::Json,
        "csv" => ReportFormat::Csv,
        "html" => ReportFormat::Html,
        f => {
            return Err(Fail(format!(
                "--format {f:?} is not valid; use json, csv or html"
            )));
        }
    };
    let from = audit::report::parse_bound(&args.from, false)?;
    let to = audit::report::parse_bound(&args.to, true)?;
    if to <= from {
        return Err(Fail(format!(
            "--to {} is not after --from {}",
            args.to, args.from
        )));
    }
    let text = audit::report(&args.audit, from, to)?.render(format);
    match &args.out {
        Some(p) => {
            std::fs::write(p, text).map_err(|e| Fail(format!("cannot write {}: {e}", p.display())))
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .map_err(|e| Fail(format!("cannot write stdout: {e}")))
        }
    }
}
