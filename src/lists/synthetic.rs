//! Synthetic registry-like numbers for benchmarks and load tests (`dialguard bench`,
//! `benches/`): deterministic, clustered the way real do-not-call registries are
//! (numbers gather in active exchanges of 10 000 numbers each: a NANP
//! exchange NPA-NXX, an Italian district block), or spread evenly over the same
//! exchanges (`uniform`, the layout's worst case).

/// A small deterministic generator (splitmix64), so every run sees the same data.
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Where synthetic numbers of a country live: calling code, leading national digits,
/// national length. NANP (the default) uses NPA and NXX in 200..=999.
fn plan(country: Option<&str>) -> (u64, u64, u32) {
    match country {
        Some("IT") => (39, 3, 10),
        Some("FR") => (33, 6, 9),
        Some("GB") => (44, 7, 10),
        Some("ES") => (34, 6, 9),
        Some("DE") => (49, 15, 11),
        Some("AU") => (61, 4, 9),
        _ => (1, 0, 10),
    }
}

/// About `n` E.164 numbers (as digits, unsorted, a few duplicates) of `country` (ISO code;
/// `None` or unknown: NANP, over the assigned geographic area codes), clustered like a
/// registry: blocks of 10 000 (NPA-NXX for NANP), half of the blocks active, each with a
/// density drawn from U(0, 16 %).
///
/// ```
/// use dialguard::lists::synthetic::{SplitMix, clustered};
/// let v = clustered(10_000, Some("IT"), &mut SplitMix(7));
/// assert_eq!(v.len(), 10_000);
/// assert!(v.iter().all(|&d| (393_000_000_000..394_000_000_000).contains(&d)));
/// ```
pub fn clustered(n: usize, country: Option<&str>, rng: &mut SplitMix) -> Vec<u64> {
    let (cc, _, len) = plan(country);
    let cc_scale = 10u64.pow(len);
    let mut blocks = Blocks::of(country);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let block = blocks.draw(rng);
        if rng.below(2) == 0 {
            continue;
        }
        let count = rng.below(1600);
        for _ in 0..count {
            out.push(cc * cc_scale + block * 10_000 + rng.below(10_000));
            if out.len() >= n {
                break;
            }
        }
    }
    out
}

/// About `n` numbers (as digits, unsorted, a few duplicates) spread evenly over the same
/// blocks as [`clustered`] (for NANP: every NXX 200..=999 of the assigned geographic
/// area codes): the shape of a scattered opt-out list, and the worst case for a
/// layout that relies on clustering.
///
/// ```
/// use dialguard::lists::synthetic::{SplitMix, uniform};
/// let v = uniform(10_000, None, &mut SplitMix(7));
/// assert_eq!(v.len(), 10_000);
/// assert!(v.iter().all(|&d| (12_000_000_000..20_000_000_000).contains(&d)));
/// ```
pub fn uniform(n: usize, country: Option<&str>, rng: &mut SplitMix) -> Vec<u64> {
    let (cc, _, len) = plan(country);
    let cc_scale = 10u64.pow(len);
    let mut blocks = Blocks::of(country);
    (0..n)
        .map(|_| cc * cc_scale + blocks.draw(rng) * 10_000 + rng.below(10_000))
        .collect()
}

/// The blocks of 10 000 numbers synthetic numbers of a country fall in.
struct Blocks {
    /// NANP: the assigned geographic area codes (one state or province, at most two
    /// zones), as in a real registry; unassigned codes would map to every NANP zone.
    npas: Vec<u64>,
    /// Elsewhere: the leading digits and how many free digits follow them.
    lead: u64,
    free: u32,
}

impl Blocks {
    fn of(country: Option<&str>) -> Blocks {
        let (cc, lead, len) = plan(country);
        if cc != 1 {
            let free = len - (lead.ilog10() + 1) - 4;
            return Blocks {
                npas: Vec::new(),
                lead,
                free,
            };
        }
        let npas = (200..1000)
            .filter(|&npa| {
                crate::Number::from_e164_digits(10_000_000_000 + npa * 10_000_000 + 5_550_000)
                    .is_some_and(|n| {
                        let loc = crate::number::locate(n);
                        loc.region.subdivision().is_some() && loc.zones.len() <= 2
                    })
            })
            .collect();
        Blocks {
            npas,
            lead: 0,
            free: 0,
        }
    }

    /// A block, uniformly: its number without the last four digits, national part only.
    fn draw(&mut self, rng: &mut SplitMix) -> u64 {
        if self.npas.is_empty() {
            self.lead * 10u64.pow(self.free) + rng.below(10u64.pow(self.free))
        } else {
            self.npas[rng.below(self.npas.len() as u64) as usize] * 1000 + 200 + rng.below(800)
        }
    }
}
