//! Bounded property tests of the four fuzz targets of `fuzz/` (issue 9): the very same
//! properties (`fuzz/props.rs`, included below), checked on every committed seed of
//! `fuzz/corpus/<target>/` and on a bounded number of generated inputs: random bytes,
//! phone-like text, and seeds with a few random edits. The long runs are the fuzzers
//! (`fuzz/README.md`); these keep the properties in every `cargo test`.

#[path = "../fuzz/props.rs"]
mod props;

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};

/// The committed seeds of a fuzz target.
fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("seed-"))
        })
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no seeds in {}", dir.display());
    paths.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// A seed with up to `max_edits` random byte edits (insert, delete, replace, duplicate a
/// run): the cheap mutator that keeps inputs close to valid ones.
fn mutated(seeds: Vec<Vec<u8>>, max_edits: usize) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len();
    (
        0..n,
        prop::collection::vec((any::<Index>(), 0u8..4, any::<u8>()), 0..=max_edits),
    )
        .prop_map(move |(i, edits)| {
            let mut v = seeds[i].clone();
            for (at, op, b) in edits {
                let len = v.len();
                match op {
                    0 => v.insert(at.index(len + 1), b),
                    1 if len > 0 => {
                        v.remove(at.index(len));
                    }
                    2 if len > 0 => v[at.index(len)] = b,
                    3 if len > 0 => {
                        let from = at.index(len);
                        let run: Vec<u8> = v[from..(from + usize::from(b % 16)).min(len)].to_vec();
                        v.splice(from..from, run);
                    }
                    _ => v.push(b),
                }
            }
            v
        })
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

// ------------------------------------------------------------------------ parse_number

#[test]
fn parse_number_seeds_hold_the_fuzz_properties() {
    for s in seeds("parse_number") {
        props::parse_number(&s);
    }
}

#[test]
fn parse_number_generated_inputs_hold_the_fuzz_properties() {
    let phone_like = (0u8..=30, "[+() 0-9.x/-]{0,24}").prop_map(|(sel, text)| {
        let mut v = vec![sel];
        v.extend_from_slice(text.as_bytes());
        v
    });
    let strategy = prop_oneof![bytes(40), phone_like, mutated(seeds("parse_number"), 4)];
    runner(200_000)
        .run(&strategy, |data| {
            props::parse_number(&data);
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------- compile_policy

#[test]
fn compile_policy_seeds_and_edits_hold_the_fuzz_properties() {
    let dir = tempfile::tempdir().unwrap();
    for s in seeds("compile_policy") {
        props::compile_policy(&s, dir.path());
    }
    let strategy = prop_oneof![bytes(200), mutated(seeds("compile_policy"), 6)];
    runner(2_000)
        .run(&strategy, |data| {
            props::compile_policy(&data, dir.path());
            Ok(())
        })
        .unwrap();
}

// --------------------------------------------------------------------------- open_list

/// A scratch directory on tmpfs when there is one: rewriting a list file on ext4 costs a
/// device flush each time.
fn scratch_dir() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    tempfile::tempdir_in(shm)
        .or_else(|_| tempfile::tempdir())
        .unwrap()
}

#[test]
fn open_list_seeds_and_edits_hold_the_fuzz_properties() {
    let dir = scratch_dir();
    let path = dir.path().join("fuzz.dgl");
    for s in seeds("open_list") {
        props::open_list(&s, &path);
    }
    let strategy = prop_oneof![bytes(300), mutated(seeds("open_list"), 6)];
    runner(20_000)
        .run(&strategy, |data| {
            props::open_list(&data, &path);
            Ok(())
        })
        .unwrap();
}

// --------------------------------------------------------------------------------- ffi

#[test]
fn ffi_seeds_and_random_calls_hold_the_fuzz_properties() {
    let policy = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/it/policy.toml");
    let fixture = RefCell::new(props::FfiFixture::new(policy));
    for s in seeds("ffi") {
        fixture.borrow_mut().run(&s);
    }
    let strategy = prop_oneof![bytes(400), mutated(seeds("ffi"), 8)];
    runner(30_000)
        .run(&strategy, |data| {
            fixture.borrow_mut().run(&data);
            Ok(())
        })
        .unwrap();
}
