//! Cross-check of `number::parse` against the `phonenumber` crate (libphonenumber port),
//! used only as an oracle: thousands of generated numbers of IT, US, CA, GB, FR, DE, ES,
//! AU and RU in national and international formats, from a fixed-seed splitmix64.
//! Every number the oracle calls valid must parse to the identical E.164.

use dialguard::number::{Country, locate, parse};
use phonenumber::country::Id;

struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
    /// `n` random digits, the first from `first` (e.g. b"23456789").
    fn digits(&mut self, n: usize, first: &[u8]) -> String {
        let mut s = String::with_capacity(n);
        for i in 0..n {
            let d = if i == 0 {
                first[self.below(first.len() as u64) as usize]
            } else {
                b'0' + self.below(10) as u8
            };
            s.push(char::from(d));
        }
        s
    }
}

const ANY: &[u8] = b"0123456789";
const TWO_NINE: &[u8] = b"23456789";

/// One country's generator: national significant number (without trunk prefix) and
/// the split point of the area code, for formatting.
struct Plan {
    iso: &'static str,
    id: Id,
    cc: &'static str,
    trunk: &'static str,
    idd: &'static str,
    make: fn(&mut SplitMix64) -> (String, usize),
}

fn it(r: &mut SplitMix64) -> (String, usize) {
    if r.below(3) == 0 {
        (format!("3{}", r.digits(9, b"123456789")), 3)
    } else {
        let area = r.pick(&[
            "02", "06", "011", "010", "055", "081", "041", "051", "0721", "0471", "0883", "0521",
        ]);
        let len = if r.below(2) == 0 { 10 } else { 9 };
        (
            format!("{area}{}", r.digits(len - area.len(), TWO_NINE)),
            area.len(),
        )
    }
}

fn nanp(npas: &[&str], r: &mut SplitMix64) -> (String, usize) {
    let npa = r.pick(npas);
    (
        format!("{npa}{}{}", r.digits(3, TWO_NINE), r.digits(4, ANY)),
        3,
    )
}

fn us(r: &mut SplitMix64) -> (String, usize) {
    nanp(
        &[
            "201", "202", "208", "212", "213", "305", "312", "407", "415", "512", "617", "702",
            "808", "907", "928", "689", "971",
        ],
        r,
    )
}

fn ca(r: &mut SplitMix64) -> (String, usize) {
    nanp(
        &[
            "416", "514", "604", "403", "902", "867", "709", "306", "613", "780",
        ],
        r,
    )
}

fn gb(r: &mut SplitMix64) -> (String, usize) {
    match r.below(4) {
        0 => (format!("20{}", r.digits(8, b"378")), 2),
        1 => (
            format!(
                "{}{}",
                r.pick(&["121", "161", "113", "117", "131", "141"]),
                r.digits(7, TWO_NINE)
            ),
            3,
        ),
        2 => (format!("1481{}", r.digits(6, TWO_NINE)), 4),
        _ => (format!("7{}", r.digits(9, b"45789")), 4),
    }
}

fn fr(r: &mut SplitMix64) -> (String, usize) {
    (r.digits(9, b"1234567"), 1)
}

fn de(r: &mut SplitMix64) -> (String, usize) {
    match r.below(3) {
        0 => {
            let area = r.pick(&["30", "40", "89", "69", "221", "211", "711", "351"]);
            let len = if r.below(2) == 0 { 7 } else { 8 };
            (format!("{area}{}", r.digits(len, TWO_NINE)), area.len())
        }
        1 => (
            format!(
                "{}{}",
                r.pick(&["151", "152", "160", "170", "171", "175", "176"]),
                r.digits(8, ANY)
            ),
            3,
        ),
        _ => (
            format!(
                "{}{}",
                r.pick(&["6131", "4121", "3541"]),
                r.digits(6, TWO_NINE)
            ),
            4,
        ),
    }
}

fn es(r: &mut SplitMix64) -> (String, usize) {
    match r.below(2) {
        0 => (
            format!(
                "{}{}",
                r.pick(&["91", "93", "95", "96", "922", "928", "971", "985"]),
                r.digits(7, TWO_NINE)
            )[..9]
                .to_string(),
            2,
        ),
        _ => (format!("{}{}", r.pick(&["6", "7"]), r.digits(8, ANY)), 3),
    }
}

fn au(r: &mut SplitMix64) -> (String, usize) {
    match r.below(2) {
        0 => (
            format!("{}{}", r.pick(&["2", "3", "7", "8"]), r.digits(8, TWO_NINE)),
            1,
        ),
        _ => (format!("4{}", r.digits(8, ANY)), 3),
    }
}

fn ru(r: &mut SplitMix64) -> (String, usize) {
    match r.below(2) {
        0 => (
            format!(
                "{}{}",
                r.pick(&["495", "499", "812", "343", "383"]),
                r.digits(7, TWO_NINE)
            ),
            3,
        ),
        _ => (format!("9{}", r.digits(9, ANY)), 3),
    }
}

/// Separator-laden rendering of `nsn` split after `split` digits, then in pairs/triples.
fn grouped(r: &mut SplitMix64, nsn: &str, split: usize) -> String {
    let sep = r.pick(&[" ", "-", ".", " ", "/"]);
    let (area, rest) = nsn.split_at(split.min(nsn.len()));
    let mut out = String::from(area);
    for (i, ch) in rest.chars().enumerate() {
        if i % 3 == 0 {
            out.push_str(sep);
        }
        out.push(ch);
    }
    out
}

/// Renders a number in one of the supported formats; returns the input string.
fn render(r: &mut SplitMix64, p: &Plan, nsn: &str, split: usize) -> String {
    match r.below(6) {
        0 => format!("+{}{nsn}", p.cc),
        1 => format!("+{} {}", p.cc, grouped(r, nsn, split)),
        2 if p.trunk == "0" && r.below(2) == 0 => {
            format!("+{} (0){}", p.cc, grouped(r, nsn, split))
        }
        2 => format!("{} {} {}", p.idd, p.cc, grouped(r, nsn, split)),
        3 if p.cc == "1" => {
            let (a, rest) = nsn.split_at(3);
            let (b, c) = rest.split_at(3);
            let lead = r.pick(&["", "1 ", "1-", "+1 "]);
            match r.below(3) {
                0 => format!("{lead}({a}) {b}-{c}"),
                1 => format!("{lead}{a}.{b}.{c}"),
                _ => format!("{lead}{a}{b}{c}"),
            }
        }
        _ => {
            let national = format!("{}{nsn}", p.trunk);
            let split = split + p.trunk.len();
            if r.below(2) == 0 {
                national
            } else {
                grouped(r, &national, split)
            }
        }
    }
}

/// Known `phonenumber` 0.3.10 error: after an IDD prefix and a calling code it strips the
/// *default* country's trunk prefix from the foreign number ("011 49 175 ..." from the US
/// loses the 1 of the German mobile 0175: +49 75...). libphonenumber strips the trunk
/// prefix of the number's own country (0 for DE), which is what `parse` does. Only this
/// exact shape is excused: ours = +cc, trunk, rest and oracle = +cc, rest.
fn oracle_strips_default_trunk(ours: &str, oracle: &str, cc: &str, from: &Country) -> bool {
    let Some(trunk) = from.trunk_prefix() else {
        return false;
    };
    let ours = ours
        .strip_prefix('+')
        .and_then(|s| s.strip_prefix(cc))
        .and_then(|s| s.strip_prefix(trunk));
    let oracle = oracle.strip_prefix('+').and_then(|s| s.strip_prefix(cc));
    from.calling_code().to_string() != cc && matches!((ours, oracle), (Some(a), Some(b)) if a == b)
}

fn plans() -> [Plan; 9] {
    [
        Plan {
            iso: "IT",
            id: Id::IT,
            cc: "39",
            trunk: "",
            idd: "00",
            make: it,
        },
        Plan {
            iso: "US",
            id: Id::US,
            cc: "1",
            trunk: "1",
            idd: "011",
            make: us,
        },
        Plan {
            iso: "CA",
            id: Id::CA,
            cc: "1",
            trunk: "",
            idd: "011",
            make: ca,
        },
        Plan {
            iso: "GB",
            id: Id::GB,
            cc: "44",
            trunk: "0",
            idd: "00",
            make: gb,
        },
        Plan {
            iso: "FR",
            id: Id::FR,
            cc: "33",
            trunk: "0",
            idd: "00",
            make: fr,
        },
        Plan {
            iso: "DE",
            id: Id::DE,
            cc: "49",
            trunk: "0",
            idd: "00",
            make: de,
        },
        Plan {
            iso: "ES",
            id: Id::ES,
            cc: "34",
            trunk: "",
            idd: "00",
            make: es,
        },
        Plan {
            iso: "AU",
            id: Id::AU,
            cc: "61",
            trunk: "0",
            idd: "0011",
            make: au,
        },
        Plan {
            iso: "RU",
            id: Id::RU,
            cc: "7",
            trunk: "8",
            idd: "810",
            make: ru,
        },
    ]
}

#[test]
fn agrees_with_libphonenumber() {
    let plans = plans();
    const PER_COUNTRY: usize = 400;
    let mut rng = SplitMix64(0x5EED_D1A1_6A4D);
    let mut checked = 0usize;
    let mut oracle_invalid = 0usize;
    let mut oracle_bug = 0usize;
    // Inputs the oracle calls invalid that `parse` still accepts (its checks are lengths
    // per leading digits, not libphonenumber's full patterns): reported, not asserted.
    let mut accepted_oracle_invalid = 0usize;
    let mut region_mismatches: Vec<String> = Vec::new();
    let mut mismatches: Vec<String> = Vec::new();
    for p in &plans {
        let mut valid_here = 0;
        for _ in 0..PER_COUNTRY {
            let (nsn, split) = (p.make)(&mut rng);
            // One in four numbers is dialled from another country, through its IDD prefix.
            let from = &plans[rng.below(plans.len() as u64) as usize];
            let (input, from) = if rng.below(4) == 0 {
                let grouped = grouped(&mut rng, &nsn, split);
                (
                    format!("{}{}{} {grouped}", from.idd, rng.pick(&["", " "]), p.cc),
                    from,
                )
            } else {
                (render(&mut rng, p, &nsn, split), p)
            };
            let country = Country::from_iso(from.iso).unwrap();
            let (oracle, oracle_region) = match phonenumber::parse(Some(from.id), &input) {
                Ok(n) if phonenumber::is_valid(&n) => (
                    n.format().mode(phonenumber::Mode::E164).to_string(),
                    n.country().id().map(|id| format!("{id:?}")),
                ),
                _ => {
                    oracle_invalid += 1;
                    if parse(&input, Some(&country)).is_ok() {
                        accepted_oracle_invalid += 1;
                    }
                    continue;
                }
            };
            checked += 1;
            valid_here += 1;
            if valid_here <= 3 {
                eprintln!("  sample {} from {} {input:?} -> {oracle}", p.iso, from.iso);
            }
            let ours = parse(&input, Some(&country));
            // Country of the region: libphonenumber tells GG/JE apart from GB by full
            // number patterns that the data does not carry (documented: they stay GB).
            if let (Ok(n), Some(want)) = (ours, &oracle_region) {
                let got = locate(n).region.country();
                if got != want && !(got == "GB" && (want == "GG" || want == "JE")) {
                    region_mismatches.push(format!("{input:?} ({n}): oracle {want}, ours {got}"));
                }
            }
            match ours {
                Ok(n) if n.to_string() == oracle => {}
                Ok(n) if oracle_strips_default_trunk(&n.to_string(), &oracle, p.cc, &country) => {
                    oracle_bug += 1;
                }
                other => mismatches.push(format!(
                    "{} from {} {input:?}: oracle {oracle}, ours {other:?}",
                    p.iso, from.iso
                )),
            }
        }
        // The generators aim at valid ranges: most numbers must count.
        assert!(
            valid_here > PER_COUNTRY / 2,
            "{}: only {valid_here} oracle-valid numbers",
            p.iso
        );
    }
    eprintln!(
        "oracle cross-check: {checked} compared, {oracle_invalid} skipped (oracle: invalid), \
         {oracle_bug} known oracle errors (default trunk stripped after IDD), {} mismatches; \
         of the oracle-invalid inputs, {accepted_oracle_invalid} accepted by parse",
        mismatches.len()
    );
    for m in mismatches.iter().take(30) {
        eprintln!("  {m}");
    }
    eprintln!("region cross-check: {} mismatches", region_mismatches.len());
    for m in region_mismatches.iter().take(30) {
        eprintln!("  {m}");
    }
    // The excused oracle error needs a foreign number starting with the default trunk
    // digit dialled via IDD: rare by construction; many would hide a real problem.
    assert!(
        oracle_bug * 50 < checked,
        "{oracle_bug} excused oracle errors is too many"
    );
    assert!(
        region_mismatches.is_empty(),
        "{} region mismatches",
        region_mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches against libphonenumber",
        mismatches.len()
    );
}

/// Issue 9 item 2: the calling code typed without '+' in front of a national number, with
/// that country as the default ("39 02 1234 5678", "390212345678" from IT), plus the same
/// shape with random digit strings of every length after the code. libphonenumber strips
/// the code when the number is invalid with it and valid without it; `parse` must never
/// read a number the oracle calls valid into a different one, and what it accepts must be
/// of a length that a valid number starting with the same digits can have.
#[test]
fn country_code_without_plus_agrees_with_libphonenumber() {
    let plans = plans();
    let mut rng = SplitMix64(0x000C_0DE0_F1A5);
    let (mut same, mut both_invalid, mut oracle_only, mut ours_only) = (0, 0, 0, 0);
    let mut wrong: Vec<String> = Vec::new();
    let mut ours_only_samples: Vec<String> = Vec::new();
    let mut oracle_only_samples: Vec<String> = Vec::new();
    for p in &plans {
        let country = Country::from_iso(p.iso).unwrap();
        for i in 0..300 {
            let nsn = if i % 3 == 2 {
                // Anything: random length 1-12, random digits.
                let len = 1 + rng.below(12) as usize;
                rng.digits(len, ANY)
            } else {
                (p.make)(&mut rng).0
            };
            let sep = rng.pick(&["", " ", "-"]);
            let input = format!("{}{sep}{nsn}", p.cc);
            let oracle = match phonenumber::parse(Some(p.id), &input) {
                Ok(n) if phonenumber::is_valid(&n) => {
                    Some(n.format().mode(phonenumber::Mode::E164).to_string())
                }
                _ => None,
            };
            let ours = parse(&input, Some(&country)).ok().map(|n| n.to_string());
            match (&ours, &oracle) {
                (Some(a), Some(b)) if a == b => same += 1,
                (None, None) => both_invalid += 1,
                (None, Some(b)) => {
                    oracle_only += 1;
                    oracle_only_samples.push(format!("{} {input:?}: oracle {b}", p.iso));
                }
                (Some(a), None) => {
                    ours_only += 1;
                    ours_only_samples.push(format!("{} {input:?}: ours {a}", p.iso));
                }
                (Some(a), Some(b)) => {
                    wrong.push(format!("{} {input:?}: ours {a}, oracle {b}", p.iso))
                }
            }
        }
    }
    eprintln!(
        "cc without '+': {same} same number, {both_invalid} both invalid, {oracle_only} only \
         the oracle valid, {ours_only} only ours accepted, {} different numbers",
        wrong.len()
    );
    for m in ours_only_samples.iter().take(15) {
        eprintln!("  accepted, oracle invalid: {m}");
    }
    for m in oracle_only_samples.iter().take(15) {
        eprintln!("  rejected, oracle valid: {m}");
    }
    for m in wrong.iter().take(30) {
        eprintln!("  DIFFERENT: {m}");
    }
    assert!(wrong.is_empty(), "{} numbers read differently", wrong.len());
}

/// A tenth country for the messy-input cross-check: Swiss mobiles (+41 7[5-9] and seven
/// digits), written with the trunk 0 nationally.
fn ch(r: &mut SplitMix64) -> (String, usize) {
    (format!("7{}", r.digits(8, b"56789")), 2)
}

/// How a CRM export or a person messes up a number: (kind, rewrite). Each rewrite keeps
/// the number libphonenumber reads.
const MESSES: [&str; 9] = [
    "nbsp",
    "thin-space",
    "en-dash",
    "fullwidth",
    "arabic-indic",
    "label",
    "extension",
    "double-plus",
    "tel-uri",
];

fn mess(kind: &str, input: &str) -> Option<String> {
    let map_digits = |base: u32| -> String {
        input
            .chars()
            .map(|c| match c.to_digit(10) {
                Some(d) => char::from_u32(base + d).unwrap_or(c),
                None => c,
            })
            .collect()
    };
    Some(match kind {
        "nbsp" => input.replace(' ', "\u{a0}"),
        "thin-space" => input.replace(' ', "\u{2009}"),
        "en-dash" => input.replace(['-', ' '], "\u{2013}"),
        "fullwidth" => map_digits(0xFF10).replace('+', "\u{ff0b}"),
        "arabic-indic" => map_digits(0x0660),
        "label" => format!("Tel.: {input}"),
        "extension" => format!("{input} ext. 12"),
        "double-plus" => format!("+{}", input.strip_prefix('+')?),
        "tel-uri" => {
            let rest = input.strip_prefix('+')?;
            format!("tel:+{}", rest.replace([' ', '/', '(', ')'], "-"))
        }
        _ => return None,
    })
}

/// Issue 11: messy input as CRM exports hold it, ≥ 10,000 strings over 10 countries,
/// against the `phonenumber` crate. Where the oracle reads a valid number from the messy
/// string (from the clean one for other scripts' digits, which the crate does not map
/// as libphonenumber does), `parse` must read the same one; the agreement is printed per
/// kind and must be at least 99 %.
#[test]
fn messy_formats_agree_with_libphonenumber() {
    let mut plans: Vec<Plan> = plans().into_iter().collect();
    plans.push(Plan {
        iso: "CH",
        id: Id::CH,
        cc: "41",
        trunk: "0",
        idd: "00",
        make: ch,
    });
    let mut rng = SplitMix64(0x0BAD_F00D_5EED);
    let (mut strings, mut compared, mut agreed) = (0usize, 0usize, 0usize);
    let mut by_kind: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    let mut disagreements: Vec<String> = Vec::new();
    for p in &plans {
        let country = Country::from_iso(p.iso).unwrap();
        let mut made = 0;
        while made < 1_000 {
            let (nsn, split) = (p.make)(&mut rng);
            let clean = render(&mut rng, p, &nsn, split);
            let kind = MESSES[rng.below(MESSES.len() as u64) as usize];
            let Some(input) = mess(kind, &clean) else {
                continue;
            };
            made += 1;
            strings += 1;
            // The `phonenumber` crate does not read other scripts' digits, which
            // libphonenumber maps to ASCII: its reading of the clean string stands in.
            let oracle_input = if matches!(kind, "fullwidth" | "arabic-indic") {
                &clean
            } else {
                &input
            };
            let Ok(n) = phonenumber::parse(Some(p.id), oracle_input) else {
                continue;
            };
            if !phonenumber::is_valid(&n) {
                continue;
            }
            let oracle = n.format().mode(phonenumber::Mode::E164).to_string();
            compared += 1;
            let entry = by_kind.entry(kind).or_default();
            entry.0 += 1;
            match parse(&input, Some(&country)) {
                Ok(ours) if ours.to_string() == oracle => {
                    agreed += 1;
                    entry.1 += 1;
                }
                other => disagreements.push(format!(
                    "{kind} {} {input:?}: oracle {oracle}, ours {other:?}",
                    p.iso
                )),
            }
        }
    }
    eprintln!(
        "messy cross-check: {strings} strings in {} countries, {compared} the oracle reads as valid, {agreed} agree ({:.2} %)",
        plans.len(),
        100.0 * agreed as f64 / compared.max(1) as f64
    );
    for (kind, (n, ok)) in &by_kind {
        eprintln!("  {kind}: {ok} of {n}");
    }
    for d in disagreements.iter().take(30) {
        eprintln!("  {d}");
    }
    assert!(strings >= 10_000 && plans.len() >= 10);
    assert!(
        compared > strings / 2,
        "only {compared} oracle-valid inputs"
    );
    assert!(
        agreed * 100 >= compared * 99,
        "{} disagreements of {compared}",
        compared - agreed
    );
}
