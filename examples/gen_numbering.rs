//! Maintainer tool: regenerates `src/number/generated.rs` from `data/numbering/*.tsv`
//! (`cargo run --example gen_numbering`). Run it after changing the data, and commit both;
//! tests/numbering_tables.rs fails while the committed tables differ from the data.

use std::path::Path;
use std::process::ExitCode;

#[path = "../build/numbering.rs"]
mod numbering;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = match numbering::generate(&root.join("data/numbering")) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("gen_numbering: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out = root.join("src/number/generated.rs");
    if let Err(e) = std::fs::write(&out, text) {
        eprintln!("gen_numbering: cannot write {}: {e}", out.display());
        return ExitCode::FAILURE;
    }
    println!("wrote {}", out.display());
    ExitCode::SUCCESS
}
