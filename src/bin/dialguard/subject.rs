//! The data subject's side: `dialguard complaint` (a citizen's complaint: the number is
//! opted out at once and the complaint is logged with its evidence) and `dialguard
//! subject` (everything held about one number, the answer to an access request, which
//! GDPR art. 12(3) requires within one month).

use std::path::{Path, PathBuf};

use clap::Args;
use dialguard::audit::AuditConfig;
use dialguard::guard::{CallContext, Guard, GuardOptions};
use dialguard::history::{Event, FsyncPolicy, HistoryStore};
use dialguard::number::{self, Number};
use dialguard::policy::Snapshot;
use dialguard::policy::source::Vocabulary;
use jiff::Timestamp;
use serde::Serialize;

use crate::{Fail, parse_at, parse_fsync};

#[derive(Args)]
pub(crate) struct ComplaintArgs {
    /// The policy file (TOML or JSON; docs/policy.md).
    #[arg(long)]
    policy: PathBuf,
    /// Directory of the durable contact history (not needed with a [cluster] policy).
    #[arg(long)]
    state: Option<PathBuf>,
    /// When the complaint was received (RFC 3339); default now.
    #[arg(long)]
    at: Option<String>,
    /// phone | email | web | letter | app
    #[arg(long, default_value = "phone")]
    channel: String,
    /// The complaint's words, as received.
    #[arg(long)]
    text: Option<String>,
    /// The campaign the complaint names, if any.
    #[arg(long)]
    campaign: Option<String>,
    /// The caller ID the citizen saw, if given.
    #[arg(long)]
    caller_id: Option<String>,
    /// The decision log (else the policy's [audit]); required to keep the complaint.
    #[arg(long)]
    audit: Option<PathBuf>,
    /// When history writes reach the disk: record (default), never, or e.g. 100ms.
    #[arg(long)]
    fsync: Option<String>,
    /// The number the complaint is about.
    number: String,
}

#[derive(Args)]
pub(crate) struct SubjectArgs {
    /// The policy file (TOML or JSON; docs/policy.md).
    #[arg(long)]
    policy: PathBuf,
    /// Directory of the durable contact history (not needed with a [cluster] policy).
    #[arg(long)]
    state: Option<PathBuf>,
    /// The decision log (else the policy's [audit]).
    #[arg(long)]
    audit: Option<PathBuf>,
    /// The number asked about.
    number: String,
}

const CHANNELS: &[&str] = &["phone", "email", "web", "letter", "app"];

fn open(
    policy: &Path,
    state: Option<&Path>,
    audit: Option<&Path>,
    fsync: Option<FsyncPolicy>,
) -> Result<Guard, Fail> {
    let options = GuardOptions {
        state_dir: state.map(Path::to_owned),
        fsync,
        cluster: None,
        audit: audit.map(AuditConfig::new),
    };
    Ok(Guard::open(policy, options)?.0)
}

/// One contact-history event, as the subject reads it.
#[derive(Serialize)]
struct EventOut {
    at: String,
    outcome: Option<&'static str>,
    live_agent: bool,
}

fn events(history: &[Event]) -> Vec<EventOut> {
    history
        .iter()
        .map(|e| EventOut {
            at: Timestamp::from_second(e.instant())
                .map_or_else(|_| e.instant().to_string(), |t| t.to_string()),
            outcome: e.outcome().map(|o| o.name()),
            live_agent: e.live_agent(),
        })
        .collect()
}

pub(crate) fn complaint(a: &ComplaintArgs) -> Result<(), Fail> {
    if !CHANNELS.contains(&a.channel.as_str()) {
        return Err(Fail(format!(
            "--channel {:?}: use one of {}",
            a.channel,
            CHANNELS.join(", ")
        )));
    }
    let now = parse_at(a.at.as_deref())?;
    let fsync = a.fsync.as_deref().map(parse_fsync).transpose()?;
    let guard = open(&a.policy, a.state.as_deref(), a.audit.as_deref(), fsync)?;
    require_keeping(&guard, a.state.is_some())?;
    let snap = guard.snapshot();
    let n = parse(&a.number, &snap)?;
    let caller_id = a
        .caller_id
        .as_deref()
        .map(|c| parse(c, &snap))
        .transpose()?;
    let mut ctx = CallContext::new(now);
    ctx.campaign = a.campaign.as_deref();
    ctx.caller_id = caller_id;
    let receipt = guard.record_complaint(n, &ctx, &a.channel, a.text.as_deref())?;
    if let Some(log) = guard.audit_log() {
        log.sync().map_err(|e| Fail(format!("decision log: {e}")))?;
    }
    let out = serde_json::json!({
        "number": n.to_string(),
        "received": now.to_string(),
        "channel": a.channel,
        "text": a.text,
        "opted_out": true,
        "logged": receipt.logged,
        "history": events(&receipt.history),
        "evidence": receipt.evidence,
    });
    println!("{out}");
    Ok(())
}

/// A complaint must outlive the command: a history that is kept, and a decision log.
fn require_keeping(guard: &Guard, has_state: bool) -> Result<(), Fail> {
    if !has_state && guard.shared_store().is_none() {
        return Err(Fail(
            "complaint needs --state DIR (or a policy with [cluster]): the opt-out must be kept"
                .into(),
        ));
    }
    if guard.audit_log().is_none() {
        return Err(Fail(
            "complaint needs a decision log to keep the complaint and its evidence: give \
             --audit DIR or an [audit] table in the policy"
                .into(),
        ));
    }
    Ok(())
}

fn parse(s: &str, snap: &Snapshot) -> Result<Number, Fail> {
    number::parse(s, snap.default_country()).map_err(|e| Fail(format!("{s:?}: {e}")))
}

pub(crate) fn subject(a: &SubjectArgs) -> Result<(), Fail> {
    let guard = open(&a.policy, a.state.as_deref(), a.audit.as_deref(), None)?;
    let snap = guard.snapshot();
    let n = parse(&a.number, &snap)?;
    let day = |d: i32| {
        jiff::civil::Date::new(1970, 1, 1)
            .ok()
            .and_then(|e| e.checked_add(jiff::Span::new().days(i64::from(d))).ok())
            .map_or_else(|| d.to_string(), |d| d.to_string())
    };
    let lists: Vec<serde_json::Value> = snap
        .lists_holding(n)
        .into_iter()
        .map(|(id, kind, registered)| {
            serde_json::json!({"list": id, "kind": kind.name(), "registered": registered.map(day)})
        })
        .collect();
    let ts = |t: i64| Timestamp::from_second(t).map_or_else(|_| t.to_string(), |t| t.to_string());
    let consents: Vec<serde_json::Value> = snap
        .consents_of(n)
        .iter()
        .map(|c| {
            serde_json::json!({
                "kind": c.kind.name(),
                "granted_at": ts(c.granted_at),
                "expires_at": c.expires_at.map(ts),
                "revoked_at": c.revoked_at.map(ts),
                "campaign": c.campaign.as_deref(),
            })
        })
        .collect();
    let mut history = Vec::new();
    let _ = guard
        .history()
        .read(n, &mut |evs| history.extend_from_slice(evs));
    let opted_out = guard
        .history()
        .opted_out()
        .into_iter()
        .find(|(d, _)| *d == n.get())
        .map(|(_, t)| ts(t));
    let records = match guard.audit_log() {
        None => None,
        Some(log) => Some(
            dialguard::audit::records_for(log.dir(), n.get())
                .map_err(|e| Fail(format!("decision log: {e}")))?,
        ),
    };
    let out = serde_json::json!({
        "number": n.to_string(),
        "region": number::locate(n).region.code(),
        "lists": lists,
        "consents": consents,
        "opted_out_at": opted_out,
        "contacts": events(&history),
        "log": records,
    });
    println!("{out}");
    Ok(())
}
