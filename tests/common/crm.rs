//! A synthetic CRM export (issue 11): numbers of six countries written the ways real
//! exports hold them (Excel's non-breaking spaces, other Unicode spaces, zero-width and
//! direction marks, Unicode dashes, fullwidth and Arabic-Indic digits, brackets, labels,
//! `tel:` URIs, `++` and `00` prefixes, extensions in five languages, vanity letters),
//! plus blank and garbage cells, in an RFC 4180 CSV whose other columns hold commas,
//! quotes and line breaks. Deterministic; shared by tests/crm_scrub.rs and
//! benches/scrub.rs.

use std::io::Write;

/// splitmix64: the same rows on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// One generated cell: what is written, and the clean international form it encodes
/// (`None` for blank and garbage cells).
#[allow(dead_code)] // the bench reads only the text
pub struct Cell {
    pub text: String,
    pub clean: Option<String>,
    pub kind: &'static str,
}

/// A clean international number and a way to group it: (+cc, national groups).
fn base(r: &mut Rng) -> (&'static str, Vec<String>) {
    match r.below(6) {
        0 => {
            let area = r.pick(&["2", "6", "11", "55", "81", "51"]);
            let rest = if area.len() == 1 { 8 } else { 7 };
            (
                "39",
                vec![format!("0{area}"), r.digits(4), r.digits(rest - 4)],
            )
        }
        1 => {
            let mobile = format!("3{}{}", 2 + r.below(8), r.below(10));
            ("39", vec![mobile, r.digits(3), r.digits(4)])
        }
        2 => {
            let npa = r.pick(&["201", "212", "305", "312", "415", "617", "713", "917"]);
            let nxx = format!("{}{}", 2 + r.below(8), r.digits(2));
            ("1", vec![npa.into(), nxx, r.digits(4)])
        }
        3 => (
            "33",
            vec![
                format!("{}", 1 + r.below(7)),
                r.digits(2),
                r.digits(2),
                r.digits(2),
                r.digits(2),
            ],
        ),
        4 => ("44", vec![format!("7{}", 400 + r.below(600)), r.digits(6)]),
        _ => ("49", vec!["30".into(), r.digits(8)]),
    }
}

fn map_digits(s: &str, zero: u32) -> String {
    s.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_u32(zero + d).unwrap_or(c),
            None => c,
        })
        .collect()
}

/// How the cell is written, with its kind name.
const KINDS: &[&str] = &[
    "clean",
    "clean",
    "clean",
    "clean",
    "nbsp",
    "narrow-nbsp",
    "ideographic-space",
    "zero-width",
    "direction-marks",
    "en-dash",
    "minus",
    "fullwidth",
    "arabic-indic",
    "brackets",
    "label",
    "tel-uri",
    "double-plus",
    "00-prefix",
    "ext",
    "x",
    "hash",
    "int",
    "interno",
    "poste",
    "vanity",
    "blank",
    "garbage",
];

pub fn cell(r: &mut Rng) -> Cell {
    let kind = KINDS[r.below(KINDS.len() as u64) as usize];
    if kind == "blank" {
        return Cell {
            text: String::new(),
            clean: None,
            kind,
        };
    }
    if kind == "garbage" {
        let text = r
            .pick(&["n/a", "-", "unknown", "123", "ask reception", "0"])
            .to_owned();
        return Cell {
            text,
            clean: None,
            kind,
        };
    }
    if kind == "vanity" {
        let (text, clean) = *[
            ("+1-800-FLOWERS", "+18003569377"),
            ("+1 (800) GOT-JUNK", "+18004685865"),
            ("+1-888-NEW-CARS", "+18886392277"),
        ]
        .get(r.below(3) as usize)
        .unwrap_or(&("+1-800-FLOWERS", "+18003569377"));
        return Cell {
            text: text.into(),
            clean: Some(clean.into()),
            kind,
        };
    }
    let (cc, groups) = base(r);
    let clean = format!("+{cc}{}", groups.concat());
    let spaced = format!("+{cc} {}", groups.join(" "));
    let text = match kind {
        "nbsp" => spaced.replace(' ', "\u{a0}"),
        "narrow-nbsp" => spaced.replace(' ', "\u{202f}"),
        "ideographic-space" => spaced.replace(' ', "\u{3000}"),
        "zero-width" => format!("\u{feff}{}", spaced.replace(' ', " \u{200b}")),
        "direction-marks" => format!("\u{200e}{spaced}\u{200f}"),
        "en-dash" => format!("+{cc} {}", groups.join("\u{2013}")),
        "minus" => format!("+{cc} {}", groups.join("\u{2212}")),
        "fullwidth" => map_digits(&spaced, 0xFF10).replace('+', "\u{ff0b}"),
        "arabic-indic" => map_digits(&spaced, 0x0660),
        "brackets" => format!("+{cc} [{}] {}", groups[0], groups[1..].join(" ")),
        "label" => format!("{} {spaced}", r.pick(&["Tel.:", "Phone:", "Tel:", "Cell:"])),
        "tel-uri" => format!("tel:+{cc}-{}", groups.join("-")),
        "double-plus" => format!("+{spaced}"),
        "00-prefix" => format!("00{cc} {}", groups.join(" ")),
        "ext" => format!("{spaced} ext. {}", 1 + r.below(999)),
        "x" => format!("{spaced} x{}", 1 + r.below(999)),
        "hash" => format!("{spaced} #{}", 1 + r.below(99)),
        "int" => format!("{spaced} int. {}", 1 + r.below(99)),
        "interno" => format!("{spaced} interno {}", 1 + r.below(99)),
        "poste" => format!("{spaced} poste {}", 1 + r.below(99)),
        _ => spaced,
    };
    Cell {
        text,
        clean: Some(clean),
        kind,
    }
}

/// Writes `rows` data rows (and a header) to `out`: id, name, phone, email, notes. Returns
/// the cells of the phone column in row order.
pub fn write_csv(out: &mut impl Write, rows: usize, seed: u64) -> Vec<Cell> {
    let mut r = Rng(seed);
    let mut w = csv::Writer::from_writer(out);
    w.write_record(["id", "name", "phone", "email", "notes"])
        .unwrap();
    let mut cells = Vec::with_capacity(rows);
    for i in 0..rows {
        let c = cell(&mut r);
        let notes = match r.below(8) {
            0 => "called twice, \"prefers\" mornings".to_owned(),
            1 => "line one\nline two".to_owned(),
            _ => String::new(),
        };
        let id = i.to_string();
        let email = format!("c{i}@example.com");
        w.write_record([id.as_str(), "Rossi, Mario", &c.text, &email, &notes])
            .unwrap();
        cells.push(c);
    }
    w.flush().unwrap();
    cells
}
