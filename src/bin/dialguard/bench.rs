//! `dialguard bench` (to be written).
use clap::Args;
#[derive(Args)]
pub(crate) struct BenchArgs {}
pub(crate) fn run(_: &BenchArgs) -> Result<(), String> {
    Err("not yet".into())
}
