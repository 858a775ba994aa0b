//! `data/numbering/possible_lengths.tsv`: generator and freshness check.
//!
//! For every calling code and every prefix (up to [`DEPTH`] digits) of the national
//! significant number (NSN), the table lists the NSN lengths that a *valid* number of any
//! type can have, as libphonenumber decides validity: the general descriptor and one of
//! fixed line, mobile, toll free, premium rate, shared cost, personal, VoIP, pager, UAN
//! or voicemail must match the whole NSN (pattern and possible lengths). Codes shared by
//! several regions (+1, +7, +44, ...) get the union over the regions.
//!
//! How: each descriptor's national-number pattern is compiled, anchored at both ends, to a
//! DFA over bytes (regex-automata, Unicode off, so `\d` is `[0-9]`). For each DFA state,
//! the set of digit counts that lead from it to a match is computed once; a prefix's
//! lengths are then those of the state the prefix leads to, shifted by the prefix length.
//!
//! The table is a longest-prefix-match table per calling code: the lengths for an NSN are
//! those of the longest listed prefix of its first 3 digits (`-` = the code itself, always
//! listed). The rows are the fewest that give every 3-digit prefix its exact lengths (the
//! ORTC construction), so a listed value holds for the prefix minus its listed longer
//! prefixes. No valid NSN is shorter than 3 digits (checked), so shorter ones never match.
//!
//! Regenerate with `DIALGUARD_REGEN_LENGTHS=1 cargo test --test number_lengths`; the test
//! fails when the committed file differs from what the metadata gives.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::util::primitives::StateID;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input};

/// Prefix digits per trie level.
const DEPTH: usize = 3;
/// Longest NSN the generator looks at (E.164: 15 digits with a calling code of one).
const MAX_NSN: usize = 14;
/// E.164 digits in all.
const E164_MAX: usize = 15;

const FILE: &str = "data/numbering/possible_lengths.tsv";
const SOURCE: &str = "libphonenumber metadata v9.0.33, as shipped in the Rust crate phonenumber 0.3.10+9.0.33 (assets/PhoneNumberMetadata.xml)";

/// Lengths, bit `l` = an NSN of `l` digits.
type Mask = u32;

/// Lengths per NSN prefix (`""` and every digit string up to `DEPTH` digits) of one
/// descriptor's pattern, restricted to its possible lengths.
fn descriptor_lengths(desc: &Descriptor, fallback: &[u16]) -> HashMap<String, Mask> {
    let pattern = desc.national_number().as_str();
    let dfa = dense::Builder::new()
        .configure(dense::Config::new().start_kind(StartKind::Anchored))
        .syntax(
            syntax::Config::new()
                .unicode(false)
                .utf8(false)
                .ignore_whitespace(true),
        )
        .build(&format!(r"^(?:{pattern})$"))
        .unwrap_or_else(|e| panic!("pattern {pattern:?}: {e}"));
    let start = dfa
        .start_state_forward(&Input::new("").anchored(Anchored::Yes))
        .expect("anchored start state");
    // Every state reachable over digits.
    let mut states = vec![start];
    let mut seen: HashMap<StateID, usize> = HashMap::from([(start, 0)]);
    let mut i = 0;
    while i < states.len() {
        for d in b'0'..=b'9' {
            let t = dfa.next_state(states[i], d);
            if let Entry::Vacant(e) = seen.entry(t) {
                e.insert(states.len());
                states.push(t);
            }
        }
        i += 1;
    }
    // reach[s] bit k: k more digits lead from s to a match.
    let mut reach: Vec<Mask> = states
        .iter()
        .map(|&s| Mask::from(dfa.is_match_state(dfa.next_eoi_state(s))))
        .collect();
    let next: Vec<[usize; 10]> = states
        .iter()
        .map(|&s| std::array::from_fn(|d| seen[&dfa.next_state(s, b'0' + d as u8)]))
        .collect();
    for k in 1..=MAX_NSN {
        let bit = 1 << (k - 1);
        let add: Vec<bool> = next
            .iter()
            .map(|n| n.iter().any(|&t| reach[t] & bit != 0))
            .collect();
        for (r, a) in reach.iter_mut().zip(add) {
            if a {
                *r |= 1 << k;
            }
        }
    }
    let possible = if desc.possible_length().is_empty() {
        fallback
    } else {
        desc.possible_length()
    };
    // No list (the crate leaves the general descriptor's empty): the pattern alone decides.
    let allowed: Mask = if possible.is_empty() {
        !0
    } else {
        possible
            .iter()
            .filter(|&&l| usize::from(l) <= MAX_NSN)
            .fold(0, |m, &l| m | 1 << l)
    };
    let mut out = HashMap::new();
    let mut frontier = vec![(String::new(), 0usize)];
    while let Some((prefix, s)) = frontier.pop() {
        let mask = (reach[s] << prefix.len()) & allowed;
        if prefix.len() < DEPTH {
            for d in 0..10u8 {
                let mut p = prefix.clone();
                p.push(char::from(b'0' + d));
                frontier.push((p, next[s][usize::from(d)]));
            }
        }
        out.insert(prefix, mask);
    }
    out
}

/// Lengths per prefix of valid numbers of one region.
fn region_lengths(m: &Metadata) -> HashMap<String, Mask> {
    let ds = m.descriptors();
    let general_possible = ds.general().possible_length();
    let general = descriptor_lengths(ds.general(), &[]);
    let types = [
        ds.fixed_line(),
        ds.mobile(),
        ds.toll_free(),
        ds.premium_rate(),
        ds.shared_cost(),
        ds.personal_number(),
        ds.voip(),
        ds.pager(),
        ds.uan(),
        ds.voicemail(),
    ];
    let mut any: HashMap<String, Mask> = HashMap::new();
    for desc in types.into_iter().flatten() {
        for (p, mask) in descriptor_lengths(desc, general_possible) {
            *any.entry(p).or_default() |= mask;
        }
    }
    general
        .into_iter()
        .map(|(p, g)| {
            let t = any.get(&p).copied().unwrap_or(0);
            (p, g & t)
        })
        .collect()
}

fn lengths_text(mask: Mask) -> String {
    let ls: Vec<String> = (0..32)
        .filter(|l| mask & (1 << l) != 0)
        .map(|l| l.to_string())
        .collect();
    if ls.is_empty() {
        "-".to_string()
    } else {
        ls.join(",")
    }
}

/// Candidate values of the subtree under `prefix`: those that the most children can take.
fn candidates(
    lengths: &HashMap<String, Mask>,
    prefix: &str,
    memo: &mut HashMap<String, Vec<Mask>>,
) -> Vec<Mask> {
    let c = if prefix.len() == DEPTH {
        vec![lengths[prefix]]
    } else {
        let mut count: BTreeMap<Mask, usize> = BTreeMap::new();
        for d in '0'..='9' {
            for v in candidates(lengths, &format!("{prefix}{d}"), memo) {
                *count.entry(v).or_default() += 1;
            }
        }
        let best = count.values().copied().max().unwrap_or(0);
        count
            .into_iter()
            .filter(|&(_, n)| n == best)
            .map(|(v, _)| v)
            .collect()
    };
    memo.insert(prefix.to_string(), c.clone());
    c
}

/// The rows of one calling code: (prefix, lengths), depth first, the code's row first.
fn ortc(lengths: &HashMap<String, Mask>) -> Vec<(String, Mask)> {
    let mut memo = HashMap::new();
    candidates(lengths, "", &mut memo);
    fn emit(
        lengths: &HashMap<String, Mask>,
        memo: &HashMap<String, Vec<Mask>>,
        prefix: &str,
        inherited: Option<Mask>,
        rows: &mut Vec<(String, Mask)>,
    ) {
        let c = &memo[prefix];
        let value = match inherited {
            Some(v) if c.contains(&v) => v,
            _ => {
                // Prefer the true lengths of the prefix when they are a candidate.
                let v = if c.contains(&lengths[prefix]) {
                    lengths[prefix]
                } else {
                    c[0]
                };
                rows.push((prefix.to_string(), v));
                v
            }
        };
        if prefix.len() < DEPTH {
            for d in '0'..='9' {
                emit(lengths, memo, &format!("{prefix}{d}"), Some(value), rows);
            }
        }
    }
    let mut rows = Vec::new();
    emit(lengths, &memo, "", None, &mut rows);
    rows
}

/// The table text, from the metadata the `phonenumber` crate carries.
fn generate() -> String {
    let mut by_code: BTreeMap<u16, HashMap<String, Mask>> = BTreeMap::new();
    // By code, not `DATABASE.iter()`: that lists regions by id, and the non-geographic
    // entities (+800, +808, +870, ...) all have the id "001", so it yields only one.
    for cc in 1..1000u16 {
        let Some(regions) = DATABASE.by_code(&cc) else {
            continue;
        };
        let cc_len = cc.to_string().len();
        let keep: Mask = (1 << (E164_MAX - cc_len + 1)) - 1;
        let entry = by_code.entry(cc).or_default();
        for m in regions {
            for (p, mask) in region_lengths(m) {
                *entry.entry(p).or_default() |= mask & keep;
            }
        }
    }
    let mut o = String::new();
    let _ = writeln!(o, "#cc\tprefix\tnsn_lengths");
    let _ = writeln!(
        o,
        "#generated by tests/number_lengths.rs from {SOURCE}; the longest listed prefix of the NSN decides (`-` = none); nsn_lengths `-` = no valid number"
    );
    for (cc, lengths) in &by_code {
        // Shortest table that gives every 3-digit prefix its lengths under longest-prefix
        // lookup (ORTC: bottom-up, the values most children can take; top-down, a row only
        // where the inherited value is not one of them).
        assert!(
            lengths.values().all(|m| m & 0b1111 == 0),
            "+{cc}: a valid NSN shorter than {DEPTH} digits; the trie would lose it"
        );
        let rows = ortc(lengths);
        for (p, mask) in rows {
            let p = if p.is_empty() { "-".to_string() } else { p };
            let _ = writeln!(o, "{cc}\t{p}\t{}", lengths_text(mask));
        }
    }
    o
}

#[test]
fn possible_lengths_table_is_fresh() {
    let text = generate();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(FILE);
    if std::env::var("DIALGUARD_REGEN_LENGTHS").as_deref() == Ok("1") {
        std::fs::write(&path, &text).expect("write the table");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{FILE} is stale: regenerate it with DIALGUARD_REGEN_LENGTHS=1 cargo test --test number_lengths"
    );
}
