//! Rule packs shipped with the library: the law of a country as policy data, pulled in
//! with `include = ["builtin:it"]`. A policy rule with the same id as a pack rule
//! replaces it, so any pack value can be overridden rule by rule.

use super::source::PolicySource;

/// (name, TOML text) of every pack compiled in (data/packs/*.toml; see docs/packs.md).
const PACKS: &[(&str, &str)] = &[
    ("builtin:it", include_str!("../../data/packs/it.toml")),
    ("builtin:us", include_str!("../../data/packs/us.toml")),
    ("builtin:uk", include_str!("../../data/packs/uk.toml")),
    ("builtin:fr", include_str!("../../data/packs/fr.toml")),
    ("builtin:es", include_str!("../../data/packs/es.toml")),
    ("builtin:ca", include_str!("../../data/packs/ca.toml")),
    ("builtin:au", include_str!("../../data/packs/au.toml")),
];

/// Names that `include` accepts.
pub fn names() -> Vec<&'static str> {
    PACKS.iter().map(|(n, _)| *n).collect()
}

/// The TOML text of a pack, for `dialguard rules`.
pub fn text(name: &str) -> Option<&'static str> {
    PACKS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Parses a pack by its `include` name.
pub(crate) fn load(name: &str) -> Result<(String, PolicySource), String> {
    let Some(text) = text(name) else {
        return Err(format!("unknown rule pack \"{name}\""));
    };
    let src: PolicySource =
        toml::from_str(text).map_err(|e| format!("rule pack {name} is broken: {e}"))?;
    Ok((text.to_owned(), src))
}
