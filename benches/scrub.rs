//! `dialguard check --csv-column` from a file to a file, JSON Lines out, on a generated
//! 1,000,000-row CRM export (tests/common/crm.rs: a quarter of the cells messy, blank
//! and garbage cells, quoted commas and line breaks), against reading the same export with
//! the `csv` crate alone (the floor any scrub pays). Rows/s is the figure the README
//! cites; the ratio to the floor is what to compare across machines.
//!
//! Run: `cargo bench --bench scrub`

#[path = "../tests/common/crm.rs"]
mod crm;

use std::process::Command;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const ROWS: usize = 1_000_000;

fn scrub(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("export.csv");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&input).expect("create"));
    crm::write_csv(&mut file, ROWS, 0x00C0_FFEE);
    drop(file);
    let output = dir.path().join("out.jsonl");
    let policy = concat!(env!("CARGO_MANIFEST_DIR"), "/policies/it/policy.toml");

    let mut g = c.benchmark_group("scrub");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(ROWS as u64));
    g.bench_function("check_csv_column/1M_rows", |b| {
        b.iter(|| {
            let st = Command::new(env!("CARGO_BIN_EXE_dialguard"))
                .args([
                    "check",
                    "--policy",
                    policy,
                    "--at",
                    "2026-11-27T10:00:00+01:00",
                ])
                .args(["--caller-id", "+39 0844 000 0000", "--csv-column", "phone"])
                .arg(&input)
                .stdout(std::fs::File::create(&output).expect("output"))
                .status()
                .expect("run dialguard");
            assert!(st.success());
        })
    });
    g.bench_function("csv_read_only/1M_rows", |b| {
        b.iter(|| {
            let mut r = csv::Reader::from_path(&input).expect("open");
            let mut rec = csv::ByteRecord::new();
            let mut bytes = 0usize;
            while r.read_byte_record(&mut rec).expect("read") {
                bytes += rec.get(2).map_or(0, <[u8]>::len);
            }
            bytes
        })
    });
    g.finish();
}

criterion_group!(benches, scrub);
criterion_main!(benches);
