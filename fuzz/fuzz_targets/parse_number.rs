//! `number::parse` on arbitrary text and default country: no panic; an Ok number
//! round-trips through its E.164 text and `locate` answers (see `props.rs`).
#![no_main]

#[path = "../props.rs"]
mod props;

libfuzzer_sys::fuzz_target!(|data: &[u8]| props::parse_number(data));
