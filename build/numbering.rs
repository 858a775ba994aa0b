//! Compiles `data/numbering/*.tsv` into static Rust tables: the committed
//! `src/number/generated.rs`, included by `src/number/tables.rs`. A maintainer tool, not
//! run at build time: `cargo run --example gen_numbering` rewrites the file, and
//! tests/numbering_tables.rs (which includes this file too) fails when the committed copy
//! differs from what the data gives now.
//!
//! What is generated, and the decisions taken on the data (mirrored in `src/number/mod.rs`):
//!
//! * `ZONE_NAMES`: every IANA zone named anywhere in the data, sorted; `ZoneId` = index.
//! * `ZONE_SETS`: deduplicated zone lists; set 0 is *all* zones (the answer when nothing
//!   is known, e.g. the non-geographic `+800` entities: a window must then hold everywhere).
//! * `REGIONS`: every region of regions.tsv (one `001` row for all non-geographic codes,
//!   calling code 0), `ZZ` (unknown), and `US-xx` / `CA-xx` for each single-subdivision
//!   NANP area code. Sorted by code; `RegionId` = index.
//! * `COUNTRIES`: per-region dialing rules (IDD literals, trunk prefix).
//! * `PL_ROOT` / `PL_NODE` / `PL_KIDS`: possible NSN lengths per calling code and leading
//!   digits (possible_lengths.tsv), a small trie; see `possible_lengths`.
//! * `SEG_START` / `SEG_ENTRY` / `ENTRIES`: longest-prefix-match structure over the padded
//!   15-digit space. Every prefix (tz rows and region rows) is an interval; the intervals
//!   nest, so they are flattened into disjoint segments each naming its deepest prefix.
//!   Lookup = one binary search; `parent` handles numbers shorter than the prefix.
//!
//! Zone data decisions:
//! * tz_errata.tsv `high` rows replace the libphonenumber value; `medium`/`low` rows use the
//!   union of both lists (a window must hold in all of them, so the union is the safe side).
//!   An erratum also applies to longer rows under its prefix that carry the same wrong
//!   value (e.g. `353539253` repeats the `353` London error).
//! * Non-geographic ranges of multi-zone countries (see `NON_GEOGRAPHIC`) get all zones of
//!   their region instead of the prefix rows, which only hold for fixed lines.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

/// Non-geographic (mobile, personal, toll-free, nationwide special-rate) ranges in
/// countries with several UTC offsets, as E.164 prefixes, with the region whose zones
/// apply. libphonenumber's prefix rows (e.g. `346` Europe/Madrid) only describe fixed
/// lines; a Spanish mobile may be on the Canaries. Countries not listed here either
/// have a single offset (IT, FR, GB, DE, IE, ...), locate mobiles geographically in
/// libphonenumber (NANP, MX, BR, AR, CN), or are not covered (GL, KI, FM, MN, PF, PG, UA).
const NON_GEOGRAPHIC: &[(&str, &str)] = &[
    ("346", "ES"),  // mobile 6xx
    ("347", "ES"),  // mobile 7xx
    ("3480", "ES"), // 80x special rate / freephone
    ("3490", "ES"), // 90x special rate / freephone
    ("614", "AU"),  // mobile 04
    ("615", "AU"),  // 05 personal numbers
    ("6113", "AU"), // 13 / 1300 local rate
    ("6118", "AU"), // 1800 freephone
    ("79", "RU"),   // mobile 9xx
    ("770", "KZ"),  // mobile 70x
    ("7747", "KZ"), // mobile 747
    ("777", "KZ"),  // mobile 77x
    ("3519", "PT"), // mobile 9x (Azores / Madeira)
    ("628", "ID"),  // mobile 08xx
    ("569", "CL"),  // mobile 9
    ("5939", "EC"), // mobile 9 (Galapagos)
    ("642", "NZ"),  // mobile 02 (Chatham)
    ("2438", "CD"), // mobile 8x
    ("2439", "CD"), // mobile 9x
];

/// Area-level rows outside NANP whose own value contradicts every exchange row under
/// them: `617` (Queensland) says Australia/Sydney while its 130 exchange rows say
/// Australia/Brisbane (no DST). Like a NANP NPA, such a row becomes the union of its
/// subtree (Brisbane, Sydney): conservative, and no zone invented. `612` is left alone
/// (its only other zone, Lord_Howe, is listed exchange by exchange).
const AREA_UNION: &[&str] = &["617"];

struct RegionRow {
    cc: u16,
    region: String,
    main: bool,
    leading: String,
    idd: String,
    pref_idd: String,
    national_prefix: String,
    tz: Vec<String>,
}

/// Data rows of the TSV file `name` in `dir` (comment and blank lines skipped), each
/// split on tabs. A row with fewer than `cols` fields is an error naming file and line, so
/// the indexing below cannot go out of bounds.
fn rows(dir: &Path, name: &str, cols: usize) -> Result<Vec<Vec<String>>, String> {
    let path = dir.join(name);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, l) in text.lines().enumerate() {
        if l.starts_with('#') || l.trim().is_empty() {
            continue;
        }
        let fields: Vec<String> = l.split('\t').map(str::to_owned).collect();
        if fields.len() < cols {
            return Err(format!(
                "{}:{}: {} tab-separated fields, expected at least {cols}",
                path.display(),
                i + 1,
                fields.len()
            ));
        }
        out.push(fields);
    }
    Ok(out)
}

fn list(field: &str) -> Vec<String> {
    if field == "-" || field == "*" {
        Vec::new()
    } else {
        field.split(',').map(str::to_owned).collect()
    }
}

/// Expands the small regex subset libphonenumber uses for leading digits and IDD
/// prefixes (digits, `\d`, `[..]`, `(?:..)`, `(..)`, `|`, postfix `?`) into the finite
/// set of literal strings it matches as a prefix. `None` when the pattern uses anything
/// else or expands to more than 512 strings.
pub fn expand(re: &str) -> Option<Vec<String>> {
    let chars: Vec<char> = re.chars().collect();
    let mut pos = 0;
    let out = alt(&chars, &mut pos)?;
    if pos != chars.len() {
        return None;
    }
    Some(out)
}

const CAP: usize = 512;

fn alt(c: &[char], pos: &mut usize) -> Option<Vec<String>> {
    let mut all = seq(c, pos)?;
    while *pos < c.len() && c[*pos] == '|' {
        *pos += 1;
        all.extend(seq(c, pos)?);
        if all.len() > CAP {
            return None;
        }
    }
    Some(all)
}

fn seq(c: &[char], pos: &mut usize) -> Option<Vec<String>> {
    let mut acc = vec![String::new()];
    while *pos < c.len() && c[*pos] != '|' && c[*pos] != ')' {
        let mut atom: Vec<String> = match c[*pos] {
            '0'..='9' => {
                *pos += 1;
                vec![c[*pos - 1].to_string()]
            }
            '\\' if c.get(*pos + 1) == Some(&'d') => {
                *pos += 2;
                (0..10).map(|d| d.to_string()).collect()
            }
            '[' => {
                *pos += 1;
                let mut set = Vec::new();
                while *pos < c.len() && c[*pos] != ']' {
                    let a = c[*pos];
                    if c.get(*pos + 1) == Some(&'-') && c.get(*pos + 2).is_some_and(|x| *x != ']') {
                        let b = c[*pos + 2];
                        for x in a..=b {
                            set.push(x.to_string());
                        }
                        *pos += 3;
                    } else {
                        set.push(a.to_string());
                        *pos += 1;
                    }
                }
                *pos += 1;
                if set.iter().any(|s| !s.chars().all(|x| x.is_ascii_digit())) {
                    return None;
                }
                set
            }
            '(' => {
                *pos += 1;
                if c.get(*pos) == Some(&'?') {
                    if c.get(*pos + 1) != Some(&':') {
                        return None;
                    }
                    *pos += 2;
                }
                let inner = alt(c, pos)?;
                if c.get(*pos) != Some(&')') {
                    return None;
                }
                *pos += 1;
                inner
            }
            _ => return None,
        };
        if c.get(*pos) == Some(&'?') {
            *pos += 1;
            atom.push(String::new());
        }
        let mut next = Vec::new();
        for a in &acc {
            for b in &atom {
                next.push(format!("{a}{b}"));
            }
        }
        if next.len() > CAP {
            return None;
        }
        acc = next;
    }
    Some(acc)
}

/// Zone-id interning while generating.
struct Zones {
    names: Vec<String>,
    index: HashMap<String, u16>,
    sets: Vec<Vec<u16>>,
    set_index: HashMap<Vec<u16>, u16>,
}

impl Zones {
    fn set(&mut self, names: &[String]) -> u16 {
        let mut ids: Vec<u16> = names.iter().map(|n| self.index[n]).collect();
        ids.sort_unstable();
        ids.dedup();
        if let Some(&i) = self.set_index.get(&ids) {
            return i;
        }
        let i = self.sets.len() as u16;
        self.sets.push(ids.clone());
        self.set_index.insert(ids, i);
        i
    }
}

const NONE: u16 = u16::MAX;

/// possible_lengths_extra.tsv: ranges assigned after (or missing from) the
/// libphonenumber metadata, each with its source; their lengths are added to those of
/// their prefix, which must have no longer row.
fn add_extra_lengths(
    dir: &Path,
    root: &[u16],
    all: &mut [u16],
    nodes: &mut Vec<[u16; 2]>,
    kids: &mut Vec<[u16; 10]>,
) -> Result<(), String> {
    // Ranges assigned after (or missing from) the libphonenumber metadata, each with its
    // source: their lengths are added to those of the prefix (which has no longer row).
    for r in rows(dir, "possible_lengths_extra.tsv", 3)? {
        let cc: usize = r[0].parse().expect("numeric calling code");
        let mut mask = 0u16;
        for l in r[2].split(',') {
            let l: u32 = l.parse().expect("numeric length");
            assert!(
                l < 16,
                "possible_lengths_extra.tsv: NSN length {l} of +{cc}"
            );
            mask |= 1 << l;
        }
        all[cc] |= mask;
        let mut node = root[cc];
        assert_ne!(node, NONE, "possible_lengths_extra.tsv: +{cc} has no data");
        for b in r[1].bytes() {
            let d = usize::from(b.wrapping_sub(b'0'));
            assert!(d < 10, "possible_lengths_extra.tsv: prefix {}", r[1]);
            let n = usize::from(node);
            if nodes[n][1] == NONE {
                nodes[n][1] = kids.len() as u16;
                kids.push([NONE; 10]);
            }
            let slot = usize::from(nodes[n][1]);
            if kids[slot][d] == NONE {
                kids[slot][d] = nodes.len() as u16;
                nodes.push([nodes[n][0], NONE]);
            }
            node = kids[slot][d];
        }
        let n = usize::from(node);
        assert_eq!(
            nodes[n][1], NONE,
            "possible_lengths_extra.tsv: +{cc} {} has longer rows",
            r[1]
        );
        nodes[n][0] |= mask;
    }
    Ok(())
}

/// possible_lengths.tsv → a trie per calling code over the first NSN digits, each node
/// `[lengths, kids]`: bit `l` of `lengths` = an NSN of `l` digits whose longest listed
/// prefix is this one can be valid; `kids` = first of the node's ten child slots in
/// `PL_KIDS` (divided by 10), `NONE` when no longer prefix is listed.
/// * `PL_ROOT[cc]`: the calling code's node (`[0, NONE]`: no data, see `check`);
/// * `PL_ALL[cc]`: every length of the code (union of its rows);
/// * `PL_KIDS[kids * 10 + digit]`: the child's node (the parent's lengths when the
///   child is not listed).
///
/// The levels between a listed prefix and its nearest listed ancestor are created here
/// with the ancestor's lengths (the file is in depth-first order). Then the rows of
/// possible_lengths_extra.tsv (ranges the libphonenumber metadata lacks, with their
/// source) add their lengths to their prefix.
fn possible_lengths(dir: &Path, o: &mut String) -> Result<(), String> {
    let mut root = vec![NONE; 1000];
    let mut all = vec![0u16; 1000];
    let mut nodes: Vec<[u16; 2]> = Vec::new();
    let mut kids: Vec<[u16; 10]> = Vec::new();
    let data = rows(dir, "possible_lengths.tsv", 3)?;
    for r in &data {
        let cc: usize = r[0].parse().expect("numeric calling code");
        let mut mask = 0u16;
        if r[2] != "-" {
            for l in r[2].split(',') {
                let l: u32 = l.parse().expect("numeric length");
                assert!(l < 16, "possible_lengths.tsv: NSN length {l} of +{cc}");
                mask |= 1 << l;
            }
        }
        all[cc] |= mask;
        if r[1] == "-" {
            assert_eq!(root[cc], NONE, "possible_lengths.tsv: +{cc} twice");
            root[cc] = nodes.len() as u16;
            nodes.push([mask, NONE]);
            continue;
        }
        let mut node = root[cc];
        assert_ne!(
            node, NONE,
            "possible_lengths.tsv: +{cc} {} before +{cc} -",
            r[1]
        );
        let digits: Vec<usize> = r[1].bytes().map(|b| usize::from(b - b'0')).collect();
        // src/number/parse.rs names at most 3 leading digits in its errors.
        assert!(digits.len() <= 3, "possible_lengths.tsv: prefix {}", r[1]);
        for (i, &d) in digits.iter().enumerate() {
            assert!(d < 10, "possible_lengths.tsv: prefix {}", r[1]);
            let n = usize::from(node);
            if nodes[n][1] == NONE {
                nodes[n][1] = kids.len() as u16;
                kids.push([NONE; 10]);
            }
            let slot = usize::from(nodes[n][1]);
            let last = i + 1 == digits.len();
            let child = kids[slot][d];
            node = if child == NONE {
                let c = nodes.len() as u16;
                nodes.push([if last { mask } else { nodes[n][0] }, NONE]);
                kids[slot][d] = c;
                c
            } else {
                assert!(!last, "possible_lengths.tsv: +{cc} {} twice", r[1]);
                child
            };
        }
    }
    add_extra_lengths(dir, &root, &mut all, &mut nodes, &mut kids)?;
    assert!(nodes.len() < usize::from(NONE) && kids.len() < usize::from(NONE));
    // Emitted with each child's entry in its slot (a slot without a child repeats the
    // parent's lengths), so a lookup is one load per digit.
    let top: Vec<[u16; 2]> = root
        .iter()
        .map(|&r| {
            if r == NONE {
                [0, NONE]
            } else {
                nodes[usize::from(r)]
            }
        })
        .collect();
    let mut slots: Vec<[u16; 2]> = vec![[0, NONE]; kids.len() * 10];
    for node in &nodes {
        if node[1] != NONE {
            let k = usize::from(node[1]);
            for (d, &child) in kids[k].iter().enumerate() {
                slots[k * 10 + d] = if child == NONE {
                    [node[0], NONE]
                } else {
                    nodes[usize::from(child)]
                };
            }
        }
    }
    let _ = writeln!(o, "pub(crate) static PL_ROOT: [[u16; 2]; 1000] = {top:?};");
    let _ = writeln!(o, "pub(crate) static PL_ALL: [u16; 1000] = {all:?};");
    let _ = writeln!(
        o,
        "pub(crate) static PL_KIDS: [[u16; 2]; {}] = {slots:?};",
        slots.len()
    );
    Ok(())
}

/// The longest of `p`'s prefixes (`p` itself included) for which `set` holds.
fn deepest(p: &str, set: &dyn Fn(&str) -> bool) -> Option<String> {
    (1..=p.len())
        .rev()
        .map(|l| &p[..l])
        .find(|q| set(q))
        .map(str::to_owned)
}

/// A prefix padded with zeros to 15 digits: the first number of its interval.
fn pad(p: &str) -> u64 {
    format!("{p:0<15}").parse().expect("digits")
}

/// Flattens nested prefix intervals over the 15-digit space into disjoint segments:
/// `starts[i]` is the first number of segment `i`, `entries[i]` the index (in `index`) of
/// the deepest prefix covering it, `NONE` where no prefix does. Neighbouring segments
/// never name the same entry. Every prefix is 1 to 15 digits.
fn segments(prefixes: &BTreeSet<String>, index: &HashMap<String, u16>) -> (Vec<u64>, Vec<u16>) {
    // The first number after the interval of `p`; none when `p` is all nines. Leading
    // zeros are kept (`09` is followed by `10`, `009` by `01`).
    let next = |p: &str| -> Option<u64> {
        let v: u64 = p.parse().expect("digits");
        let hi = format!("{:0>w$}", v + 1, w = p.len());
        if hi.len() > p.len() {
            None
        } else {
            Some(pad(&hi))
        }
    };
    let mut bounds: BTreeSet<u64> = BTreeSet::new();
    bounds.insert(0);
    for p in prefixes {
        bounds.insert(pad(p));
        if let Some(h) = next(p) {
            bounds.insert(h);
        }
    }
    let mut starts: Vec<u64> = Vec::new();
    let mut entries: Vec<u16> = Vec::new();
    for b in bounds {
        let s = format!("{b:015}");
        let e = deepest(&s, &|q| prefixes.contains(q)).map_or(NONE, |q| index[&q]);
        if entries.last() != Some(&e) {
            starts.push(b);
            entries.push(e);
        }
    }
    (starts, entries)
}

/// A prefix of the longest-prefix-match structure, as emitted in `ENTRIES`.
struct Entry {
    len: u8,
    parent: u16,
    zones: u16,
    region: u16,
}

/// The text of `src/number/generated.rs` for the data files in `dir`.
pub fn generate(dir: &Path) -> Result<String, String> {
    let region_rows: Vec<RegionRow> = rows(dir, "regions.tsv", 10)?
        .into_iter()
        .map(|r| RegionRow {
            cc: r[0].parse().expect("numeric calling code"),
            region: r[1].clone(),
            main: r[2] == "Y",
            leading: r[3].clone(),
            idd: r[4].clone(),
            pref_idd: r[5].clone(),
            national_prefix: r[6].clone(),
            tz: list(&r[9]),
        })
        .collect();
    let nanp = rows(dir, "nanp_npa.tsv", 13)?;
    let mut tz_rows: BTreeMap<String, Vec<String>> = rows(dir, "tz_prefix.tsv", 2)?
        .into_iter()
        .map(|r| (r[0].clone(), list(&r[1])))
        .collect();
    let errata = rows(dir, "tz_errata.tsv", 4)?;
    // it_district.tsv is informational (Italy has one zone) and not read.

    // ---- zone names
    let mut names: BTreeSet<String> = BTreeSet::new();
    for v in tz_rows.values() {
        names.extend(v.iter().cloned());
    }
    for r in &region_rows {
        names.extend(r.tz.iter().cloned());
    }
    for e in &errata {
        names.extend(list(&e[2]));
    }
    for n in &nanp {
        names.extend(list(&n[8]));
    }
    let names: Vec<String> = names.into_iter().collect();
    let mut zones = Zones {
        index: names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as u16))
            .collect(),
        names,
        sets: Vec::new(),
        set_index: HashMap::new(),
    };
    let all: Vec<String> = zones.names.clone();
    let all_set = zones.set(&all);
    assert_eq!(all_set, 0);

    // The NPA-level union relies on nanp_npa.tsv `tz` being exactly the union of the
    // rows under `1NPA`: adjust_zones checks it.
    adjust_zones(&mut tz_rows, &nanp, &errata, &region_rows);

    let (regions, region_prefix) = regions(&region_rows, &nanp);
    let region_ids: HashMap<String, u16> = regions
        .keys()
        .enumerate()
        .map(|(i, k)| (k.clone(), i as u16))
        .collect();

    // ---- prefix entries and flattened segments
    let mut prefixes: BTreeSet<String> = tz_rows.keys().cloned().collect();
    prefixes.extend(region_prefix.keys().cloned());
    let mut entry_index: HashMap<String, u16> = HashMap::new();
    let mut entries: Vec<Entry> = Vec::new();
    for p in &prefixes {
        // BTreeSet order puts a prefix before everything under it: parents exist first.
        let parent =
            deepest(&p[..p.len() - 1], &|q| prefixes.contains(q)).map_or(NONE, |q| entry_index[&q]);
        let region = deepest(p, &|q| region_prefix.contains_key(q))
            .map_or("ZZ".to_string(), |q| region_prefix[&q].clone());
        let zone_set = match deepest(p, &|q| tz_rows.contains_key(q)) {
            Some(q) => zones.set(&tz_rows[&q]),
            None => {
                let tz = &regions[&region].tz;
                if tz.is_empty() { 0 } else { zones.set(tz) }
            }
        };
        entry_index.insert(p.clone(), entries.len() as u16);
        entries.push(Entry {
            len: p.len() as u8,
            parent,
            zones: zone_set,
            region: region_ids[&region],
        });
    }
    assert!(entries.len() < NONE as usize);
    let (seg_start, seg_entry) = segments(&prefixes, &entry_index);

    let countries = countries(&region_rows, &region_ids);

    // ---- calling codes -> main region
    let mut cc_tables = [vec![NONE; 10], vec![NONE; 100], vec![NONE; 1000]];
    for r in &region_rows {
        if r.main {
            let s = r.cc.to_string();
            cc_tables[s.len() - 1][r.cc as usize] = region_ids[&r.region];
        }
    }

    // ---- emit
    let mut o = String::new();
    let _ = writeln!(
        o,
        "// @generated by `cargo run --example gen_numbering` from data/numbering/*.tsv; do not edit."
    );
    emit_regions(
        &mut o,
        &zones,
        &regions,
        &region_ids,
        &region_rows,
        &countries,
    );
    emit_prefixes(&mut o, &cc_tables, &seg_start, &seg_entry, &entries);
    possible_lengths(dir, &mut o)?;
    Ok(o)
}

/// The union of the zones of every row under `prefix` (itself included).
fn subtree_union(rows: &BTreeMap<String, Vec<String>>, prefix: &str) -> Vec<String> {
    let mut u: BTreeSet<String> = BTreeSet::new();
    for (_, v) in rows
        .range(prefix.to_string()..)
        .take_while(|(k, _)| k.starts_with(prefix))
    {
        u.extend(v.iter().cloned());
    }
    u.into_iter().collect()
}

/// Applies the zone data decisions (module docs) to the tz_prefix.tsv rows: errata,
/// NPA-level unions, `AREA_UNION`, then the `NON_GEOGRAPHIC` ranges.
fn adjust_zones(
    tz_rows: &mut BTreeMap<String, Vec<String>>,
    nanp: &[Vec<String>],
    errata: &[Vec<String>],
    region_rows: &[RegionRow],
) {
    // The NPA-level union below relies on nanp_npa.tsv `tz` being exactly the union of
    // the rows under `1NPA`; check it so a data refresh that breaks this is noticed.
    for n in nanp {
        if n[7] == "lpn" {
            assert_eq!(
                subtree_union(tz_rows, &format!("1{}", n[0])),
                list(&n[6]),
                "NPA {}",
                n[0]
            );
        }
    }

    // ---- errata: high = replace, medium/low = union; same value below the prefix too
    for e in errata {
        let (prefix, wrong, suggested, confidence) = (&e[0], list(&e[1]), list(&e[2]), &e[3]);
        let value: Vec<String> = if confidence == "high" {
            suggested
        } else {
            let mut u: Vec<String> = wrong.iter().chain(suggested.iter()).cloned().collect();
            u.sort();
            u.dedup();
            u
        };
        let keys: Vec<String> = tz_rows
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(prefix.as_str()))
            .filter(|(_, v)| **v == wrong)
            .map(|(k, _)| k.clone())
            .collect();
        assert!(
            keys.contains(prefix),
            "erratum {prefix} does not match tz_prefix.tsv"
        );
        for k in keys {
            tz_rows.insert(k, value.clone());
        }
    }

    // ---- NANP: the NPA-level row (used when no exchange row matches) becomes the union
    // of every row under the NPA and under its overlay partners (same geography), after
    // errata. libphonenumber's bare `1NPA` row alone can be narrower than the area code
    // (1928 says Phoenix while Navajo Nation exchanges say Denver,Phoenix).
    let mut npa_rows: Vec<(String, Vec<String>)> = Vec::new();
    for n in nanp.iter().filter(|n| n[3] == "geo") {
        let mut partners: Vec<String> = n[12]
            .split('/')
            .filter(|p| *p != "-")
            .map(str::to_owned)
            .collect();
        partners.push(n[0].clone());
        let mut u: BTreeSet<String> = BTreeSet::new();
        for p in &partners {
            u.extend(subtree_union(tz_rows, &format!("1{p}")));
        }
        if !u.is_empty() {
            npa_rows.push((format!("1{}", n[0]), u.into_iter().collect()));
        }
    }
    for area in AREA_UNION {
        npa_rows.push((area.to_string(), subtree_union(tz_rows, area)));
    }
    tz_rows.extend(npa_rows);

    // ---- non-geographic ranges: whole subtree replaced by the region's zones
    let region_tz = |iso: &str| -> Vec<String> {
        region_rows
            .iter()
            .find(|r| r.region == iso)
            .map(|r| r.tz.clone())
            .unwrap_or_else(|| panic!("region {iso} missing from regions.tsv"))
    };
    for (prefix, iso) in NON_GEOGRAPHIC {
        let under: Vec<String> = tz_rows
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in under {
            tz_rows.remove(&k);
        }
        tz_rows.insert(prefix.to_string(), region_tz(iso));
    }
}

/// A region of the table.
struct Region {
    country: String,
    subdivision: Option<String>,
    cc: u16,
    tz: Vec<String>,
}

/// The regions by code (regions.tsv, `ZZ`, and the NANP subdivisions), and the E.164
/// prefix → region code rows.
#[allow(clippy::type_complexity)]
fn regions(
    region_rows: &[RegionRow],
    nanp: &[Vec<String>],
) -> (BTreeMap<String, Region>, BTreeMap<String, String>) {
    // ---- regions
    let mut regions: BTreeMap<String, Region> = BTreeMap::new();
    for r in region_rows {
        let cc = if r.region == "001" { 0 } else { r.cc };
        let tz = if r.region == "001" {
            Vec::new()
        } else {
            r.tz.clone()
        };
        regions.entry(r.region.clone()).or_insert(Region {
            country: r.region.clone(),
            subdivision: None,
            cc,
            tz,
        });
    }
    regions.insert(
        "ZZ".into(),
        Region {
            country: "ZZ".into(),
            subdivision: None,
            cc: 0,
            tz: Vec::new(),
        },
    );
    // region prefix rows: E.164 prefix -> region code
    let mut region_prefix: BTreeMap<String, String> = BTreeMap::new();
    for r in region_rows {
        if r.main {
            region_prefix.insert(r.cc.to_string(), r.region.clone());
        }
    }
    for r in region_rows {
        if r.cc == 1 || r.leading == "-" {
            continue; // NANP regions come from nanp_npa.tsv
        }
        let lits = expand(&r.leading)
            .unwrap_or_else(|| panic!("leading digits of {} not expandable", r.region));
        for l in lits {
            region_prefix.insert(format!("{}{}", r.cc, l), r.region.clone());
        }
    }
    for n in nanp {
        let (npa, region, sub) = (&n[0], &n[1], &n[2]);
        let region = if region == "-" { "US" } else { region.as_str() };
        let code = if sub != "-" && !sub.contains(',') && sub != region {
            let code = format!("{region}-{sub}");
            regions.entry(code.clone()).or_insert(Region {
                country: region.to_string(),
                subdivision: Some(sub.clone()),
                cc: 1,
                tz: Vec::new(),
            });
            code
        } else {
            region.to_string()
        };
        assert!(regions.contains_key(&code), "NANP region {code} unknown");
        region_prefix.insert(format!("1{npa}"), code);
    }
    (regions, region_prefix)
}

/// Per-region dialing rules, as `CountryRules` source text by region code.
fn countries(
    region_rows: &[RegionRow],
    region_ids: &HashMap<String, u16>,
) -> BTreeMap<String, String> {
    // ---- countries (dialing rules)
    let mut countries: BTreeMap<String, String> = BTreeMap::new();
    for r in region_rows {
        if r.region == "001" || countries.contains_key(&r.region) {
            continue;
        }
        let idd: Vec<String> = if r.idd == "-" {
            Vec::new()
        } else {
            match expand(&r.idd) {
                Some(v) => v,
                // Not a finite pattern: the preferred prefix without its "wait" marks.
                None if r.pref_idd != "-" => vec![r.pref_idd.replace('~', "")],
                None => panic!("IDD of {} neither expandable nor preferred", r.region),
            }
        };
        let mut idd: Vec<String> = idd.into_iter().filter(|s| !s.is_empty()).collect();
        idd.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        idd.dedup();
        let np = if r.national_prefix.chars().all(|c| c.is_ascii_digit()) {
            r.national_prefix.clone()
        } else {
            String::new()
        };
        let idd_src: Vec<String> = idd.iter().map(|s| format!("b\"{s}\" as &[u8]")).collect();
        countries.insert(
            r.region.clone(),
            format!(
                "CountryRules {{ iso: {:?}, calling_code: {}, region: RegionId({}), idd: &[{}], trunk: b\"{}\" }}",
                r.region,
                r.cc,
                region_ids[&r.region],
                idd_src.join(", "),
                np
            ),
        );
    }
    countries
}

/// Emits the zone, region and country tables.
fn emit_regions(
    o: &mut String,
    zones: &Zones,
    regions: &BTreeMap<String, Region>,
    region_ids: &HashMap<String, u16>,
    region_rows: &[RegionRow],
    countries: &BTreeMap<String, String>,
) {
    let _ = writeln!(
        o,
        "pub(crate) const ZONE_COUNT: usize = {};",
        zones.names.len()
    );
    let _ = writeln!(
        o,
        "pub(crate) static ZONE_NAMES: [&str; {}] = [",
        zones.names.len()
    );
    for n in &zones.names {
        let _ = writeln!(o, "    {n:?},");
    }
    let _ = writeln!(o, "];");
    let _ = writeln!(
        o,
        "pub(crate) static ZONE_SETS: [&[ZoneId]; {}] = [",
        zones.sets.len()
    );
    for s in &zones.sets {
        let ids: Vec<String> = s.iter().map(|i| format!("ZoneId({i})")).collect();
        let _ = writeln!(o, "    &[{}],", ids.join(", "));
    }
    let _ = writeln!(o, "];");
    let _ = writeln!(
        o,
        "pub(crate) static REGIONS: [RegionRow; {}] = [",
        regions.len()
    );
    for (code, r) in regions {
        let _ = writeln!(
            o,
            "    RegionRow {{ code: {code:?}, country: {:?}, subdivision: {:?}, calling_code: {} }},",
            r.country, r.subdivision, r.cc
        );
    }
    let _ = writeln!(o, "];");
    let _ = writeln!(o, "pub(crate) const REGION_ZZ: u16 = {};", region_ids["ZZ"]);
    // Regions whose trunk prefix is "0": `+44 (0)20 ...` drops that 0 (see parse.rs).
    let trunk0: Vec<bool> = regions
        .keys()
        .map(|code| {
            region_rows
                .iter()
                .any(|r| &r.region == code && r.national_prefix == "0")
        })
        .collect();
    let _ = writeln!(
        o,
        "pub(crate) static REGION_TRUNK0: [bool; {}] = {:?};",
        trunk0.len(),
        trunk0
    );
    let _ = writeln!(
        o,
        "pub(crate) static COUNTRIES: [CountryRules; {}] = [",
        countries.len()
    );
    for c in countries.values() {
        let _ = writeln!(o, "    {c},");
    }
    let _ = writeln!(o, "];");
}

/// Emits the calling-code tables and the longest-prefix-match structure.
fn emit_prefixes(
    o: &mut String,
    cc_tables: &[Vec<u16>; 3],
    seg_start: &[u64],
    seg_entry: &[u16],
    entries: &[Entry],
) {
    for (i, t) in cc_tables.iter().enumerate() {
        let _ = writeln!(
            o,
            "pub(crate) static CC{}: [u16; {}] = {:?};",
            i + 1,
            t.len(),
            t
        );
    }
    let _ = writeln!(
        o,
        "pub(crate) static SEG_START: [u64; {}] = {:?};",
        seg_start.len(),
        seg_start
    );
    let _ = writeln!(
        o,
        "pub(crate) static SEG_ENTRY: [u16; {}] = {:?};",
        seg_entry.len(),
        seg_entry
    );
    // First-level index: for each 4-digit block k of the padded space, the segment that
    // contains k * 10^11; the binary search then runs only inside [SEG_BLOCK[k], SEG_BLOCK[k+1]].
    let block: Vec<u16> = (0..=10_000u64)
        .map(|k| {
            let v = k * 100_000_000_000;
            (seg_start.partition_point(|&s| s <= v) - 1) as u16
        })
        .collect();
    let _ = writeln!(
        o,
        "pub(crate) static SEG_BLOCK: [u16; {}] = {:?};",
        block.len(),
        block
    );
    let _ = writeln!(
        o,
        "pub(crate) static ENTRIES: [PrefixEntry; {}] = [",
        entries.len()
    );
    for e in entries {
        let _ = writeln!(
            o,
            "    PrefixEntry {{ len: {}, parent: {}, zones: {}, region: {} }},",
            e.len, e.parent, e.zones, e.region
        );
    }
    let _ = writeln!(o, "];");
}

/// The expander and the segment flattening on small hand-written inputs; run by
/// tests/numbering_tables.rs, which includes this file.
#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn literals_classes_and_groups_expand_to_every_prefix() {
        assert_eq!(expand("268"), Some(strs(&["268"])));
        assert_eq!(expand("[2-4]"), Some(strs(&["2", "3", "4"])));
        assert_eq!(expand("[135-7]"), Some(strs(&["1", "3", "5", "6", "7"])));
        assert_eq!(expand("3[0-1]|45"), Some(strs(&["30", "31", "45"])));
        assert_eq!(expand("(?:1|2)0"), Some(strs(&["10", "20"])));
        assert_eq!(expand("(1|2)0"), Some(strs(&["10", "20"])));
        assert_eq!(expand("1(?:2|3(?:4|5))"), Some(strs(&["12", "134", "135"])));
        assert_eq!(expand("\\d").map(|v| v.len()), Some(10));
        assert_eq!(
            expand("8\\d"),
            Some((0..10).map(|d| format!("8{d}")).collect())
        );
    }

    #[test]
    fn optional_atoms_give_both_forms() {
        assert_eq!(expand("00?1"), Some(strs(&["001", "01"])));
        assert_eq!(expand("(?:81)?0"), Some(strs(&["810", "0"])));
        // The empty pattern matches the empty prefix (an IDD `-` never reaches `expand`).
        assert_eq!(expand(""), Some(strs(&[""])));
    }

    #[test]
    fn anything_outside_the_subset_is_refused() {
        for re in [
            "1+", "1*", "1{2}", "a", "[a-c]", "(?=1)", "(?x)", "1)", "(1", "\\s", ".", "1$",
        ] {
            assert_eq!(expand(re), None, "{re:?} must not expand");
        }
    }

    #[test]
    fn more_than_512_strings_is_refused() {
        // 10^3 = 1000 > 512 in one sequence; 512 exactly is accepted.
        assert_eq!(expand("\\d\\d\\d"), None);
        assert_eq!(expand("[0-7][0-7][0-7]").map(|v| v.len()), Some(512));
        // The cap also holds across alternatives.
        let wide = ["[0-7][0-7][0-7]"; 2].join("|");
        assert_eq!(expand(&wide), None);
    }

    fn flatten(prefixes: &[&str]) -> Vec<(u64, Option<&'static str>)> {
        let set: BTreeSet<String> = prefixes.iter().map(|s| s.to_string()).collect();
        let index: HashMap<String, u16> = set
            .iter()
            .enumerate()
            .map(|(i, p)| (p.clone(), u16::try_from(i).expect("small")))
            .collect();
        let names: Vec<&'static str> = set
            .iter()
            .map(|p| &*Box::leak(p.clone().into_boxed_str()))
            .collect();
        let (starts, entries) = segments(&set, &index);
        assert_eq!(starts.len(), entries.len());
        starts
            .into_iter()
            .zip(entries)
            .map(|(s, e)| (s, (e != NONE).then(|| names[usize::from(e)])))
            .collect()
    }

    #[test]
    fn nested_prefixes_flatten_to_their_deepest_cover() {
        let t = 10u64.pow(13); // one step of the second digit in the 15-digit space
        assert_eq!(
            flatten(&["1", "12", "125"]),
            [
                (0, None),
                (10 * t, Some("1")),
                (12 * t, Some("12")),
                (125 * t / 10, Some("125")),
                (126 * t / 10, Some("12")),
                (13 * t, Some("1")),
                (20 * t, None),
            ]
        );
    }

    #[test]
    fn adjacent_prefixes_keep_their_own_segments_and_nines_end_the_space() {
        let t = 10u64.pow(13);
        assert_eq!(
            flatten(&["41", "42", "99"]),
            [
                (0, None),
                (41 * t, Some("41")),
                (42 * t, Some("42")),
                (43 * t, None),
                (99 * t, Some("99")),
            ]
        );
        assert_eq!(flatten(&[]), [(0, None)]);
    }

    #[test]
    fn leading_zeros_stay_inside_their_interval() {
        let t = 10u64.pow(13);
        assert_eq!(
            flatten(&["09"]),
            [(0, None), (9 * t, Some("09")), (10 * t, None)]
        );
    }

    #[test]
    fn short_rows_are_an_error_naming_file_and_line() {
        let dir = std::env::temp_dir().join(format!("dg-numbering-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("t.tsv"), "#a\tb\n1\t2\n\n3\n").expect("write");
        let err = rows(&dir, "t.tsv", 2).expect_err("row 4 has one field");
        assert!(
            err.ends_with("t.tsv:4: 1 tab-separated fields, expected at least 2"),
            "{err}"
        );
        assert_eq!(rows(&dir, "t.tsv", 1).map(|r| r.len()), Ok(2));
        let missing = rows(&dir, "none.tsv", 1).expect_err("no file");
        assert!(missing.starts_with("cannot read"), "{missing}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
