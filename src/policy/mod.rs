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
//! let err = dialguard::policy::compile_str(&bad, "demo.toml".as_ref(), 1_780_000_000).unwrap_err();
//! assert!(err.to_string().starts_with("demo.toml:6: [[window]] \"hours\", key `mon-fri`"), "{err}");
//! ```

// Policy values come from users: no cast may truncate or wrap one (issue 9: a span cast
// `as i32` went negative and switched a cap off). Use checked conversions.
#![deny(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_possible_wrap
)]

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
///
/// The policy must be a regular file of at most [`MAX_POLICY_BYTES`].
pub fn compile_file(path: &Path, now: i64) -> Result<Snapshot, PolicyErrors> {
    let text = read_policy(path)?;
    compile_str(&text, path, now)
}

/// The largest policy file accepted (64 MiB): far above any hand-written policy, and
/// small enough that parsing one stays within seconds.
pub const MAX_POLICY_BYTES: u64 = 64 << 20;

fn read_policy(path: &Path) -> Result<String, PolicyErrors> {
    use std::io::Read;
    let (file, size) = crate::lists::open_regular(path, MAX_POLICY_BYTES, "split the policy")
        .map_err(|e| match e {
            crate::lists::ListError::Io { source, .. } => {
                PolicyError::new(path, format!("cannot read the policy: {source}"))
                    .hint("check the path and permissions")
            }
            crate::lists::ListError::BadFile { what, .. } => {
                PolicyError::new(path, format!("cannot read the policy: it {what}"))
            }
            other => PolicyError::new(path, format!("cannot read the policy: {other}")),
        })?;
    let mut text = String::new();
    crate::lists::bounded(file, size)
        .read_to_string(&mut text)
        .map_err(|e| {
            PolicyError::new(path, format!("cannot read the policy: {e}"))
                .hint("check the path and permissions; the file must be UTF-8 text")
        })?;
    Ok(text)
}

/// Compiles policy text as if read from `file` (used for error messages and relative paths).
pub fn compile_str(text: &str, file: &Path, now: i64) -> Result<Snapshot, PolicyErrors> {
    let json = file
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with('{');
    let (src, converted) = compile::parse_source(file, text, json)?;
    let origin = compile::Origin::new(
        file,
        converted.as_deref().unwrap_or(text),
        !json,
        file.display().to_string(),
    );
    compile::compile(src, &origin, now)
}
