//! The report as one static HTML page: inline SVG bar charts and plain tables, no script,
//! nothing fetched (a Content-Security-Policy forbids it), readable offline and printable.
//! Every figure is also in a `data-value` attribute and an element id, which the tests
//! read back from the page as a browser rendered it.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::report::Report;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:60em;color:#222}\
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}\
.kpi{display:inline-block;margin:0 2em 1em 0}.kpi b{display:block;font-size:1.8em}\
.bad b{color:#b00}.ok b{color:#070}table{border-collapse:collapse}\
td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}td.n{text-align:right}\
svg text{font:12px system-ui,sans-serif}";

/// A horizontal bar chart of `m` (id `chart-<id>`), largest first unless `ordered`.
fn chart(out: &mut String, id: &str, title: &str, m: &BTreeMap<String, u64>, ordered: bool) {
    let _ = write!(out, "<h2>{}</h2>", esc(title));
    if m.is_empty() {
        let _ = write!(out, "<p id=\"chart-{id}\">none</p>");
        return;
    }
    let mut rows: Vec<(&String, &u64)> = m.iter().collect();
    if !ordered {
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    }
    let max = rows.iter().map(|r| *r.1).max().unwrap_or(1).max(1);
    let h = rows.len() * 22 + 4;
    let _ = write!(
        out,
        "<svg id=\"chart-{id}\" role=\"img\" aria-label=\"{}\" width=\"640\" height=\"{h}\" \
         xmlns=\"http://www.w3.org/2000/svg\">",
        esc(title)
    );
    for (i, (k, v)) in rows.iter().enumerate() {
        let y = i * 22 + 2;
        // Bar widths are pixels out of 380: the ratio of two counts, rounded.
        let w = (u128::from(**v) * 380 / u128::from(max)).max(1);
        let _ = write!(
            out,
            "<g class=\"bar\" data-key=\"{k}\" data-value=\"{v}\">\
             <text x=\"0\" y=\"{ty}\">{k}</text>\
             <rect x=\"180\" y=\"{y}\" width=\"{w}\" height=\"18\" fill=\"#3b6ea5\"></rect>\
             <text class=\"value\" x=\"{tx}\" y=\"{ty}\">{v}</text></g>",
            k = esc(k),
            ty = y + 14,
            tx = 180 + w + 6,
        );
    }
    out.push_str("</svg>");
}

fn kpi(out: &mut String, id: &str, label: &str, value: &str, good: Option<bool>) {
    let class = match good {
        Some(true) => "kpi ok",
        Some(false) => "kpi bad",
        None => "kpi",
    };
    let _ = write!(
        out,
        "<div class=\"{class}\"><b id=\"{id}\" data-value=\"{v}\">{v}</b>{}</div>",
        esc(label),
        v = esc(value)
    );
}

/// The page.
pub(crate) fn page(r: &Report) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <title>dialguard compliance report {f} to {t}</title><style>{STYLE}</style></head><body>\
         <h1>Compliance report</h1><p>From <time id=\"from\">{f}</time> to <time id=\"to\">{t}</time> (UTC), \
         from the dialguard decision log.</p>",
        f = esc(&r.from),
        t = esc(&r.to)
    );
    let d = &r.decisions;
    let v = |k: &str| d.by_verdict.get(k).copied().unwrap_or(0).to_string();
    kpi(&mut o, "total", "decisions", &d.total.to_string(), None);
    kpi(&mut o, "allow", "allowed", &v("allow"), None);
    kpi(&mut o, "deny", "denied", &v("deny"), None);
    kpi(&mut o, "defer", "deferred", &v("defer"), None);
    let n = r.violations.count;
    kpi(
        &mut o,
        "violations",
        "calls placed without an allowing decision (must be 0)",
        &n.to_string(),
        Some(n == 0),
    );
    kpi(
        &mut o,
        "complaints",
        "complaints",
        &r.complaints.len().to_string(),
        None,
    );
    kpi(
        &mut o,
        "dropped",
        "log records dropped",
        &r.dropped.to_string(),
        Some(r.dropped == 0),
    );
    chart(
        &mut o,
        "by_verdict",
        "Decisions by verdict",
        &d.by_verdict,
        false,
    );
    chart(
        &mut o,
        "by_reason",
        "Denials and deferrals by reason",
        &d.by_reason,
        false,
    );
    chart(
        &mut o,
        "by_rule",
        "Denials and deferrals by rule",
        &d.by_rule,
        false,
    );
    chart(
        &mut o,
        "by_campaign",
        "Decisions by campaign",
        &d.by_campaign,
        false,
    );
    chart(&mut o, "by_day", "Decisions by day", &d.by_day, true);
    violations(&mut o, r);
    ages(&mut o, r);
    abandon(&mut o, r);
    complaints(&mut o, r);
    o.push_str("</body></html>\n");
    o
}

fn violations(o: &mut String, r: &Report) {
    o.push_str("<h2>Calls placed without an allowing decision</h2>");
    if r.violations.calls.is_empty() {
        o.push_str("<p>None.</p>");
    } else {
        o.push_str("<table id=\"violation-list\"><tr><th>when</th><th>number</th><th>attempt</th><th>outcome</th><th>reservation</th></tr>");
        for c in &r.violations.calls {
            let e = &c.outcome;
            let res = c.reservation.as_ref().map_or_else(
                || "none".to_owned(),
                |x| {
                    format!(
                        "{} {} ({})",
                        x.verdict.as_deref().unwrap_or(""),
                        x.reason.as_deref().unwrap_or(""),
                        x.rule.as_deref().unwrap_or("")
                    )
                },
            );
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(e.at.as_deref().unwrap_or("")),
                esc(e.number_key().unwrap_or("")),
                e.attempt.map_or_else(String::new, |a| a.to_string()),
                esc(e.outcome.as_deref().unwrap_or("")),
                esc(&res)
            );
        }
        o.push_str("</table>");
    }
    let _ = write!(
        o,
        "<p>Outcomes logged without an attempt id (not matched): <span id=\"outcomes-without-attempt\">{}</span></p>",
        r.violations.outcomes_without_attempt
    );
}

fn ages(o: &mut String, r: &Report) {
    o.push_str("<h2>Registry age at each call placed</h2>");
    if r.registry_age.is_empty() {
        o.push_str("<p>No call placed consulted a dated list.</p>");
        return;
    }
    o.push_str("<table id=\"registry-age\"><tr><th>list</th><th>calls</th><th>oldest (days)</th><th>mean (days)</th><th>by age</th></tr>");
    for (list, s) in &r.registry_age {
        let buckets: Vec<String> = s
            .buckets
            .iter()
            .map(|(b, n)| format!("{b} d: {n}"))
            .collect();
        let _ = write!(
            o,
            "<tr data-list=\"{l}\"><td>{l}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            s.calls,
            s.max_days,
            s.mean_days,
            esc(&buckets.join(", ")),
            l = esc(list)
        );
    }
    o.push_str("</table>");
}

fn abandon(o: &mut String, r: &Report) {
    o.push_str("<h2>Abandon rate per campaign</h2>");
    if r.abandon.is_empty() {
        o.push_str("<p>No outcomes in the period.</p>");
        return;
    }
    o.push_str("<table id=\"abandon\"><tr><th>campaign</th><th>connected</th><th>abandoned</th><th>rate</th></tr>");
    for (c, a) in &r.abandon {
        let _ = write!(
            o,
            "<tr data-campaign=\"{c}\"><td>{c}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\" data-value=\"{r}\">{pct:.2} %</td></tr>",
            a.connected,
            a.abandoned,
            // The JSON's spelling of the number, so a reader can match the two.
            r = serde_json::to_string(&a.rate).unwrap_or_default(),
            pct = a.rate * 100.0,
            c = esc(c)
        );
    }
    o.push_str("</table>");
}

fn complaints(o: &mut String, r: &Report) {
    o.push_str("<h2>Complaints and their evidence</h2>");
    if r.complaints.is_empty() {
        o.push_str("<p>None in the period.</p>");
        return;
    }
    for c in &r.complaints {
        let _ = write!(
            o,
            "<h3>{} — received {} by {}</h3><p>{}</p>",
            esc(&c.number),
            esc(c.received.as_deref().unwrap_or("")),
            esc(c.channel.as_deref().unwrap_or("")),
            esc(c.text.as_deref().unwrap_or(""))
        );
        let _ = write!(
            o,
            "<table class=\"contacts\" data-contacts=\"{}\"><tr><th>when</th><th>campaign</th><th>caller ID</th><th>outcome</th><th>allowed by</th></tr>",
            c.contacts.len()
        );
        for k in &c.contacts {
            let by = k.decision.as_ref().map_or_else(
                || "no reservation in the log".to_owned(),
                |d| {
                    format!(
                        "record {} ({})",
                        d.seq,
                        d.policy_version.as_deref().unwrap_or("")
                    )
                },
            );
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(k.at.as_deref().unwrap_or("")),
                esc(k.campaign.as_deref().unwrap_or("")),
                esc(k.caller_id.as_deref().unwrap_or("")),
                esc(k.outcome.as_deref().unwrap_or("")),
                esc(&by)
            );
        }
        o.push_str("</table>");
    }
}
