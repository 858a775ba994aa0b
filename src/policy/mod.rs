//! Policies: the TOML (or JSON) file people write ([`source`]), its validation and
//! compilation into an immutable [`Snapshot`] ([`compile_file`], [`compile_str`]), and
//! the rule packs shipped with the library (`include = ["builtin:it"]`).
//!
//! ```
//! let policy = r#"
//! [policy]
//! name = "demo"
//! default_country = "IT"
//!
//! [[window]]
//! id = "hours"
//! applies_to = ["IT"]
//! mon-fri = ["09:00-20:00"]
//! "#;
//! let snap = dialguard::policy::compile_str(policy, "demo.toml".as_ref(), 1_780_000_000).unwrap();
//! assert_eq!(snap.name(), "demo");
//! assert!(snap.rule_id("hours").is_some());
//!
//! // Mistakes come back with file, line, rule, key and a hint.
//! let bad = policy.replace("09:00-20:00", "20:00-09:00");
//! let err = dialguard::policy::compile_str(&bad, "demo.toml".as_ref(), 1_780_000_000).err().unwrap();
//! assert!(err.to_string().starts_with("demo.toml:6: [[window]] \"hours\", key `mon-fri`"), "{err}");
//! ```

mod compile;
mod error;
pub mod packs;
mod snapshot;
pub mod source;

use std::path::Path;

pub use error::{PolicyError, PolicyErrors};
pub use snapshot::{ListKind, Mode, Purpose, RuleKind, RuleMeta, Snapshot};

pub(crate) use compile::kind_bit;
pub(crate) use snapshot::*;

/// Reads and compiles a policy file (TOML; JSON when the name ends in `.json`). List files
/// are resolved relative to the policy's directory. `now` (Unix seconds) stamps the snapshot.
pub fn compile_file(path: &Path, now: i64) -> Result<Snapshot, PolicyErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        PolicyError::new(path, format!("cannot read the policy: {e}"))
            .hint("check the path and permissions")
    })?;
    compile_str(&text, path, now)
}

/// Compiles policy text as if read from `file` (used for error messages and relative paths).
pub fn compile_str(text: &str, file: &Path, now: i64) -> Result<Snapshot, PolicyErrors> {
    let json = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with('{');
    let (src, converted) = compile::parse_source(file, text, json)?;
    let origin = compile::Origin {
        file,
        text: converted.as_deref().unwrap_or(text),
        has_lines: !json,
        label: file.display().to_string(),
    };
    compile::compile(src, &origin, now)
}
