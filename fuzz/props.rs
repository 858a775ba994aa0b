//! The properties the fuzz targets check, shared with the bounded property tests of
//! `cargo test` (`tests/fuzz_props.rs` includes this file with `#[path]`), so both check
//! exactly the same thing. Each entry point takes the raw fuzz input (`&[u8]`) and
//! panics when a property does not hold.
//!
//! Only `dialguard` and `xxhash_rust` (a dependency of dialguard) are used, so the file
//! compiles in the fuzz crate and in the main crate's tests alike.

#![allow(dead_code)]

use std::ffi::{CStr, CString, c_char};
use std::path::Path;

use dialguard::Number;
use dialguard::ffi::*;
use dialguard::lists::open_compiled;
use dialguard::number::{Country, locate, parse};
use dialguard::policy::compile_str;

// ------------------------------------------------------------------------ parse_number

/// Default countries the first input byte selects (1..=len); 0 is none; larger values
/// read the next two bytes as an ISO code (which also fuzzes `Country::from_iso`).
const ISOS: [&str; 24] = [
    "IT", "US", "GB", "FR", "DE", "ES", "IE", "CA", "AU", "RU", "KZ", "BR", "MX", "AR", "IN", "JP",
    "CN", "NZ", "PT", "CL", "VA", "SM", "JE", "PR",
];

/// `parse_number`: `number::parse` never panics; an Ok number reparses from its E.164
/// text (without and with the default country) to itself, and `locate` answers.
pub fn parse_number(data: &[u8]) {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let country = match usize::from(sel) {
        0 => None,
        i if i <= ISOS.len() => Country::from_iso(ISOS[i - 1]),
        _ => rest
            .get(..2)
            .and_then(|b| std::str::from_utf8(b).ok())
            .and_then(Country::from_iso),
    };
    // Invalid UTF-8 cannot reach `parse` (it takes &str); the lossy text keeps the rest.
    let text = String::from_utf8_lossy(rest);
    check_parse(&text, country.as_ref());
}

/// The property of [`parse_number`] for one text and default country.
pub fn check_parse(text: &str, country: Option<&Country>) {
    let Ok(n) = parse(text, country) else {
        return;
    };
    let digits = n.get();
    assert!(
        (1..=Number::MAX).contains(&digits),
        "{text:?} parsed to {digits}"
    );
    let e164 = n.to_string();
    assert_eq!(e164, format!("+{digits}"), "{text:?}");
    assert_eq!(
        parse(&e164, None),
        Ok(n),
        "{text:?} (default {:?}) parsed to {e164}, which does not reparse to itself",
        country.map(|c| c.iso())
    );
    assert_eq!(
        parse(&e164, country),
        Ok(n),
        "{e164} with default country {:?}",
        country.map(|c| c.iso())
    );
    let loc = locate(n);
    assert!(!loc.zones.is_empty(), "{e164}: no candidate zone");
    let _ = (
        loc.region.code(),
        loc.region.country(),
        loc.region.subdivision(),
    );
    for z in loc.zones {
        assert!(!z.name().is_empty());
    }
}

// ---------------------------------------------------------------------- compile_policy

/// Longest policy text compiled (longer inputs are skipped: bounds the time per input).
pub const MAX_POLICY: usize = 16 * 1024;
/// The `now` every compile is stamped with (2026-06-01).
const NOW: i64 = 1_780_272_000;

/// `compile_policy`: compiling arbitrary text (read as a policy file in `dir`, which has
/// no list files) never panics; an error has at least one message; an Ok snapshot
/// answers its accessors and finds each of its rules by id.
pub fn compile_policy(data: &[u8], dir: &Path) {
    if data.len() > MAX_POLICY {
        return;
    }
    let text = String::from_utf8_lossy(data);
    check_policy(&text, dir);
}

/// The property of [`compile_policy`] for one text.
pub fn check_policy(text: &str, dir: &Path) {
    let file = dir.join("policy.toml");
    match compile_str(text, &file, NOW) {
        Ok(snap) => {
            let _ = (snap.name(), snap.version(), snap.compiled_at());
            let _ = (snap.default_country(), snap.horizon(), snap.retention());
            let _ = (snap.consent_count(), snap.list_sizes().count());
            for (i, r) in snap.rules().iter().enumerate() {
                let id = snap.rule_id(&r.id);
                assert!(id.is_some(), "rule {i} {:?} not found by its id", r.id);
            }
        }
        Err(errors) => {
            assert!(errors.iter().next().is_some(), "an error without a message");
            for e in errors.iter() {
                assert!(!e.to_string().is_empty());
            }
        }
    }
}

// --------------------------------------------------------------------------- open_list

const HEADER_LEN: usize = 64;

/// `open_list`: the input written to `path` and opened as a compiled list file never
/// panics; an Ok list lists its entries and answers lookups without panicking, and
/// `contains`, `registered_on` and `contains_batch` agree on probes (plus, in strict
/// mode, every listed number is found: see [`strict_lists`]).
///
/// Random bytes almost never pass the two checksums, so when the input is at least a
/// header long it is opened a second time with magic, version, header length, body
/// length and both checksums made valid: that reaches the arena's structural checks.
pub fn open_list(data: &[u8], path: &Path) {
    check_list_file(data, path);
    if data.len() >= HEADER_LEN {
        check_list_file(&with_valid_header(data), path);
    }
}

/// `data` with a header that passes every check but the number count.
pub fn with_valid_header(data: &[u8]) -> Vec<u8> {
    use xxhash_rust::xxh3::xxh3_64;
    let mut f = data.to_vec();
    f[0..8].copy_from_slice(b"DGNUMSET");
    f[8..12].copy_from_slice(&1u32.to_le_bytes());
    f[12..16].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
    let body_len = (f.len() - HEADER_LEN) as u64;
    f[24..32].copy_from_slice(&body_len.to_le_bytes());
    let body_sum = xxh3_64(&f[HEADER_LEN..]);
    f[32..40].copy_from_slice(&body_sum.to_le_bytes());
    let head_sum = xxh3_64(&f[0..56]);
    f[56..64].copy_from_slice(&head_sum.to_le_bytes());
    f
}

/// `DIALGUARD_FUZZ_STRICT_LISTS=1` adds a property the format does not promise for
/// crafted files (checksums made valid by hand): every number `to_entries` lists is
/// found by `contains` with its date. The structure check at open guarantees memory
/// safety and bounded reads, not that a hand-made arena is consistent (that would need
/// a pass over every container at open); see fuzz/README.md for what strict runs find.
fn strict_lists() -> bool {
    static STRICT: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *STRICT
        .get_or_init(|| std::env::var_os("DIALGUARD_FUZZ_STRICT_LISTS").is_some_and(|v| v == "1"))
}

/// Writes `bytes` to `path`, opens it and checks the lookups. The list (and its
/// mapping) is dropped before returning, so the next write does not change a mapped file.
pub fn check_list_file(bytes: &[u8], path: &Path) {
    std::fs::write(path, bytes).expect("cannot write the fuzz list file");
    let Ok(list) = open_compiled(path) else {
        return;
    };
    let set = &list.set;
    let _ = (set.has_dates(), set.heap_bytes(), set.arena_bytes());
    let _ = (set.date_bytes(), set.partition_layouts(), set.is_empty());
    let entries = set.to_entries();
    if strict_lists() {
        for &(digits, date) in entries.iter().take(2_000) {
            let n = Number::from_e164_digits(digits)
                .unwrap_or_else(|| panic!("a listed value {digits} is not a number"));
            assert!(set.contains(n), "listed {digits} not found");
            assert_eq!(set.registered_on(n), Some(date), "date of {digits}");
        }
    }
    // Probes: numbers cut from the input, near and far from the listed ones.
    let probes: Vec<Number> = bytes
        .chunks(8)
        .take(64)
        .filter_map(|c| {
            let mut a = [0u8; 8];
            a[..c.len()].copy_from_slice(c);
            Number::from_e164_digits(u64::from_le_bytes(a) % (Number::MAX + 1))
        })
        .collect();
    let mut batch = vec![false; probes.len()];
    set.contains_batch(&probes, &mut batch);
    for (&n, &b) in probes.iter().zip(&batch) {
        let c = set.contains(n);
        assert_eq!(c, set.registered_on(n).is_some(), "{n}");
        assert_eq!(c, b, "contains_batch differs from contains for {n}");
    }
    drop(list);
}

// --------------------------------------------------------------------------------- ffi

/// Inputs decoded from fuzz bytes; reads 0 once the bytes run out.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }
    fn bytes(&mut self, max: usize) -> &[u8] {
        let n = usize::from(self.u8()).min(max).min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
}

/// Numbers the IT policy knows (on its lists, its caller-ID prefixes, other countries).
const NUMBERS: [&str; 10] = [
    "+39 02 1234 5678",
    "02 1234 5678",
    "+390844123456",
    "333 123 4567",
    "+1 (201) 555-0123",
    "+44 20 7946 0018",
    "+39899123456",
    "0039 06 6982",
    "+",
    "+39 02 1234 5678 x1",
];
const E164: [u64; 6] = [
    390212345678,
    390844123456,
    12015550123,
    393331234567,
    0,
    1_000_000_000_000_000,
];

/// A string argument: NULL, empty, a known number, over-long, invalid UTF-8 or raw
/// bytes (cut at the first NUL, as C would read them).
fn str_arg(r: &mut Reader) -> Option<CString> {
    let tag = r.u8();
    let bytes: Vec<u8> = match tag % 8 {
        0 => return None,
        1 => Vec::new(),
        2 | 3 => NUMBERS[usize::from(r.u8()) % NUMBERS.len()].into(),
        4 => vec![b'1'; DG_MAX_ID_LEN + usize::from(r.u8() % 3)],
        5 => vec![b'+', b'3', b'9', 0xff, 0xfe, b'0', 0xc3],
        _ => r.bytes(300).to_vec(),
    };
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    Some(CString::new(&bytes[..end]).expect("cut at the first NUL"))
}

fn ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// A `dg_context` and the strings it points to.
struct Ctx {
    ctx: dg_context,
    _strings: [Option<CString>; 3],
    null: bool,
}

impl Ctx {
    fn decode(r: &mut Reader) -> Ctx {
        let flags = r.u8();
        let now_unix_ms = match r.u8() % 4 {
            0 => 0,
            // Spread over a year of times of day and weekdays from 2026-06-01.
            1 | 2 => 1_780_272_000_000 + i64::from(r.u32() % 31_536_000) * 1000,
            _ => r.u64() as i64,
        };
        let campaign = if flags & 2 != 0 { str_arg(r) } else { None };
        let subject = if flags & 4 != 0 { str_arg(r) } else { None };
        let caller = if flags & 8 != 0 { str_arg(r) } else { None };
        let caller_id_e164 = match (flags >> 4) & 3 {
            0 => 0,
            1 => E164[usize::from(r.u8()) % E164.len()],
            _ => r.u64(),
        };
        let purpose = if flags & 64 != 0 {
            r.u32()
        } else {
            u32::from(r.u8() % 4)
        };
        let mode = if flags & 128 != 0 {
            r.u32()
        } else {
            u32::from(r.u8() % 3)
        };
        let ctx = dg_context {
            now_unix_ms,
            campaign: ptr(&campaign),
            subject: ptr(&subject),
            caller_id: ptr(&caller),
            caller_id_e164,
            purpose,
            mode,
        };
        Ctx {
            ctx,
            _strings: [campaign, subject, caller],
            null: flags & 1 != 0 && flags & 0x30 == 0x30,
        }
    }
    fn ptr(&self) -> *const dg_context {
        if self.null {
            std::ptr::null()
        } else {
            &self.ctx
        }
    }
}

/// What every check writes first: an ALLOW no real decision can equal (constraints
/// all ones), so a decision left unwritten is seen.
const SENTINEL: dg_decision = dg_decision {
    verdict: 0,
    reason: 0,
    rule: 0,
    constraints: u32::MAX,
    until_unix_ms: 0,
    policy_version: 0,
};

/// Readable memory that is not a handle (no magic word).
static NOT_A_HANDLE: [u64; 64] = [0; 64];

/// After a failed call the decision must be a DENY with a reason; after a successful one
/// a real decision.
fn check_decision(status: dg_status, d: &dg_decision, what: &str) {
    assert_ne!(status, dg_status::Panic, "{what}: a panic was caught");
    if status == dg_status::Ok {
        assert_ne!(*d, SENTINEL, "{what}: OK without a decision");
        assert!(d.verdict <= 2, "{what}: verdict {}", d.verdict);
        if d.verdict == 0 {
            assert_eq!(d.reason, 0, "{what}: ALLOW with a reason");
        } else {
            assert_ne!(d.reason, 0, "{what}: a refusal without a reason");
        }
    } else {
        assert_eq!(
            d.verdict, 1,
            "{what}: status {status:?} but verdict {} ({d:?})",
            d.verdict
        );
        assert_ne!(d.reason, 0, "{what}: failed DENY without a reason");
        assert_eq!(d.constraints, 0, "{what}: failed DENY with constraints");
    }
}

/// `ffi`: a guard opened once (from the IT example policy, history in memory) and
/// sequences of C calls decoded from the input, with NULL, closed and bogus handles,
/// NULL / empty / over-long / non-UTF-8 strings and out-of-range values. No panic
/// escapes (none is even caught: status `DG_STATUS_PANIC` fails the property), every
/// failed check leaves DENY in `*out` and 0 in `*out_attempt`.
pub struct FfiFixture {
    policy: CString,
    live: *mut dg_guard,
    closed: *mut dg_guard,
    runs: u64,
    last_attempt: u64,
}

// SAFETY: handles may be used from any thread (docs of dg_guard_open); the fixture is
// used by one thread at a time behind a Mutex.
unsafe impl Send for FfiFixture {}

fn open_guard(policy: &CStr) -> *mut dg_guard {
    let mut g = std::ptr::null_mut();
    // SAFETY: valid string, NULL state dir, writable out.
    let st = unsafe { dg_guard_open(policy.as_ptr(), std::ptr::null(), &mut g) };
    assert_eq!(st, dg_status::Ok, "cannot open the fuzz guard");
    g
}

/// Open/close cycles are bounded: the in-memory history (which reservations grow) is
/// replaced by a fresh guard this often.
const REOPEN_EVERY: u64 = 20_000;

impl FfiFixture {
    pub fn new(policy_path: &str) -> FfiFixture {
        let policy = CString::new(policy_path).unwrap();
        let live = open_guard(&policy);
        let closed = open_guard(&policy);
        // SAFETY: a handle just opened.
        assert_eq!(unsafe { dg_guard_close(closed) }, dg_status::Ok);
        FfiFixture {
            policy,
            live,
            closed,
            runs: 0,
            last_attempt: 0,
        }
    }

    fn guard(&self, r: &mut Reader) -> *const dg_guard {
        match r.u8() % 16 {
            0 => std::ptr::null(),
            1 => self.closed,
            2 => NOT_A_HANDLE.as_ptr().cast(),
            _ => self.live,
        }
    }

    pub fn run(&mut self, data: &[u8]) {
        self.runs += 1;
        if self.runs.is_multiple_of(REOPEN_EVERY) {
            // SAFETY: our own open handle, not in use.
            assert_eq!(unsafe { dg_guard_close(self.live) }, dg_status::Ok);
            self.live = open_guard(&self.policy);
        }
        let mut r = Reader(data);
        for _ in 0..16 {
            if r.0.is_empty() {
                break;
            }
            self.call(&mut r);
        }
    }

    fn call(&mut self, r: &mut Reader) {
        let kind = r.u8();
        let g = self.guard(r);
        match kind % 11 {
            0 => {
                let number = str_arg(r);
                let ctx = Ctx::decode(r);
                let null_out = r.u8().is_multiple_of(16);
                let mut d = SENTINEL;
                let out = if null_out {
                    std::ptr::null_mut()
                } else {
                    &mut d
                };
                // SAFETY: every pointer is NULL or valid for the call.
                let st = unsafe { dg_check(g, ptr(&number), ctx.ptr(), out) };
                if null_out {
                    assert_eq!(st, dg_status::NullParameter);
                } else {
                    check_decision(st, &d, "dg_check");
                    if st == dg_status::InvalidNumber {
                        let reasons = [dg_reason::InvalidNumber as u32, dg_reason::CallerId as u32];
                        assert!(reasons.contains(&d.reason), "dg_check: {d:?}");
                    }
                }
            }
            1 => {
                let digits = if r.u8().is_multiple_of(2) {
                    E164[usize::from(r.u8()) % E164.len()]
                } else {
                    r.u64()
                };
                let ctx = Ctx::decode(r);
                let mut d = SENTINEL;
                // SAFETY: as above.
                let st = unsafe { dg_check_e164(g, digits, ctx.ptr(), &mut d) };
                check_decision(st, &d, "dg_check_e164");
                if Number::from_e164_digits(digits).is_none() {
                    assert_ne!(st, dg_status::Ok, "dg_check_e164 accepted {digits}");
                }
            }
            2 => {
                let len = usize::from(r.u8()) + usize::from(r.u8() % 2) * 100;
                let numbers: Vec<u64> = (0..len)
                    .map(|i| match r.u8() % 4 {
                        0 => r.u64(),
                        _ => E164[(i + usize::from(r.u8())) % E164.len()],
                    })
                    .collect();
                let ctx = Ctx::decode(r);
                let null_numbers = r.u8().is_multiple_of(32);
                let mut out = vec![SENTINEL; len];
                let np = if null_numbers {
                    std::ptr::null()
                } else {
                    numbers.as_ptr()
                };
                // SAFETY: `len` elements (or NULL numbers).
                let st = unsafe { dg_check_batch(g, np, len, ctx.ptr(), out.as_mut_ptr()) };
                for (i, d) in out.iter().enumerate() {
                    if st == dg_status::Ok && Number::from_e164_digits(numbers[i]).is_none() {
                        assert_eq!(d.verdict, 1, "batch entry {i} {}", numbers[i]);
                        assert_eq!(d.reason, dg_reason::InvalidNumber as u32);
                    } else {
                        check_decision(st, d, "dg_check_batch");
                    }
                }
            }
            3 => {
                let number = str_arg(r);
                let ctx = Ctx::decode(r);
                let nulls = r.u8();
                let mut d = SENTINEL;
                let mut attempt = u64::MAX;
                let out = if nulls.is_multiple_of(16) {
                    std::ptr::null_mut()
                } else {
                    &mut d as *mut _
                };
                let out_attempt = if nulls % 16 == 1 {
                    std::ptr::null_mut()
                } else {
                    &mut attempt as *mut _
                };
                // SAFETY: as above.
                let st =
                    unsafe { dg_check_and_reserve(g, ptr(&number), ctx.ptr(), out, out_attempt) };
                if !out.is_null() {
                    check_decision(st, &d, "dg_check_and_reserve");
                }
                if !out_attempt.is_null() {
                    if st == dg_status::Ok && d.verdict == 0 {
                        assert_ne!(attempt, 0, "ALLOW reserved nothing");
                        self.last_attempt = attempt;
                    } else {
                        assert_eq!(attempt, 0, "status {st:?} {d:?} but attempt {attempt}");
                    }
                }
                if out.is_null() || out_attempt.is_null() {
                    assert_eq!(st, dg_status::NullParameter);
                }
            }
            4 => {
                let number = str_arg(r);
                let attempt = match r.u8() % 3 {
                    0 => 0,
                    1 => self.last_attempt,
                    _ => r.u64(),
                };
                let outcome = if r.u8().is_multiple_of(2) {
                    u32::from(r.u8() % 10)
                } else {
                    r.u32()
                };
                let ctx = Ctx::decode(r);
                let mut id = u64::MAX;
                let out_id = if r.u8().is_multiple_of(8) {
                    std::ptr::null_mut()
                } else {
                    &mut id as *mut _
                };
                // SAFETY: as above.
                let st = unsafe {
                    dg_record_outcome(g, ptr(&number), attempt, outcome, ctx.ptr(), out_id)
                };
                assert_ne!(st, dg_status::Panic, "dg_record_outcome");
                if !out_id.is_null() && st != dg_status::Ok {
                    assert_eq!(
                        id, 0,
                        "dg_record_outcome failed with {st:?} but gave id {id}"
                    );
                }
                if !(1..=8).contains(&outcome) {
                    assert_ne!(st, dg_status::Ok, "outcome {outcome} recorded");
                }
            }
            5 => {
                let number = str_arg(r);
                let at = match r.u8() % 3 {
                    0 => 0,
                    1 => 1_780_272_000_000 + i64::from(r.u32()) * 1000,
                    _ => r.u64() as i64,
                };
                // SAFETY: as above.
                let st = unsafe { dg_opt_out(g, ptr(&number), at) };
                assert_ne!(st, dg_status::Panic, "dg_opt_out");
            }
            6 => {
                let rule = match r.u8() % 3 {
                    0 => u32::from(r.u8() % 16),
                    1 => DG_RULE_NONE,
                    _ => r.u32(),
                };
                self.copy_out_call(r, |buf, len, out_len| {
                    // SAFETY: `buf` writable for `len` bytes or NULL.
                    unsafe { dg_rule_name(g, rule, buf, len, out_len) }
                });
            }
            7 => {
                self.copy_out_call(r, |buf, len, out_len| {
                    // SAFETY: as above.
                    unsafe { dg_last_error(buf, len, out_len) }
                });
            }
            8 => {
                let code = if r.u8().is_multiple_of(2) {
                    u32::from(r.u8() % 20) + if r.u8().is_multiple_of(2) { 7000 } else { 0 }
                } else {
                    r.u32()
                };
                for p in [
                    dg_reason_name(code),
                    dg_status_name(code),
                    dg_verdict_name(code),
                    dg_version(),
                ] {
                    assert!(!p.is_null());
                    // SAFETY: static NUL-terminated strings.
                    let s = unsafe { CStr::from_ptr(p) };
                    assert!(s.to_str().is_ok_and(|s| !s.is_empty()));
                }
                assert_eq!(dg_abi_version(), DG_ABI_VERSION);
            }
            9 => {
                // SAFETY: as above.
                let v = unsafe { dg_policy_version(g) };
                assert_eq!(v != 0, g == self.live.cast_const(), "version {v}");
            }
            _ => {
                // Closing NULL, a closed handle or a non-handle never frees anything.
                let target = match r.u8() % 3 {
                    0 => std::ptr::null_mut(),
                    1 => self.closed,
                    _ => NOT_A_HANDLE.as_ptr().cast_mut().cast(),
                };
                // SAFETY: NULL, a tombstone, or readable memory without the magic word.
                let st = unsafe { dg_guard_close(target) };
                let want = if target.is_null() {
                    dg_status::Ok
                } else if target == self.closed {
                    dg_status::ClosedHandle
                } else {
                    dg_status::InvalidArgument
                };
                assert_eq!(st, want, "dg_guard_close");
            }
        }
    }

    /// `dg_rule_name` / `dg_last_error`: a result is NUL-terminated inside the buffer
    /// and `*out_len` gives its length (or the size needed).
    fn copy_out_call(
        &mut self,
        r: &mut Reader,
        f: impl FnOnce(*mut c_char, usize, *mut usize) -> dg_status,
    ) {
        let cap = usize::from(r.u8() % 80);
        let flags = r.u8();
        let mut buf = vec![0x55u8; cap];
        let bp = if flags & 1 != 0 {
            std::ptr::null_mut()
        } else {
            buf.as_mut_ptr().cast::<c_char>()
        };
        let len = if bp.is_null() { 0 } else { cap };
        let mut out_len = usize::MAX;
        let lp = if flags & 2 != 0 {
            std::ptr::null_mut()
        } else {
            &mut out_len as *mut usize
        };
        let st = f(bp, len, lp);
        assert_ne!(st, dg_status::Panic);
        if st == dg_status::Ok && !bp.is_null() {
            let nul = buf.iter().position(|&b| b == 0);
            assert!(nul.is_some(), "OK without a NUL in {cap} bytes");
            if !lp.is_null() {
                assert_eq!(Some(out_len), nul, "out_len");
            }
        }
        if st == dg_status::BufferTooSmall && !lp.is_null() {
            assert!(out_len >= len, "needs {out_len}, had {len}");
        }
    }
}

impl Drop for FfiFixture {
    fn drop(&mut self) {
        // SAFETY: our own open handle, no longer used.
        unsafe { dg_guard_close(self.live) };
    }
}
