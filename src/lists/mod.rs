//! Do-not-call lists: exact number sets with registration dates ([`NumberSet`]),
//! prefix entries ([`PrefixSet`]), the text list and consent CSV loaders, and the live
//! opt-out overlay ([`OptOutOverlay`]), and compiled list files ([`write_compiled`],
//! [`open_compiled`], [`compile_text_list`]) for national-scale registries. Everything here is built off the hot path;
//! the lookups (`contains`, `registered_on`, `matches`, `lookup`) never allocate.
//!
//! Loaders take a number-parsing callback so that national formats follow the
//! policy's `default_country` without this module depending on the parser.

mod compiled;
mod consent;
mod date;
mod error;
mod input;
mod overlay;
mod prefix;
mod set;
pub mod synthetic;
mod text;

pub use compiled::{
    CompileStats, CompiledList, FORMAT_VERSION, LineFormat, MAGIC, compile_list_file,
    compile_text_list, open_compiled, write_compiled,
};
pub use consent::{ConsentIndex, ConsentKind, ConsentRecord};
pub use error::{BadLine, CompiledProblem, ListError};
pub use input::DEFAULT_MAX_LIST_BYTES;
pub(crate) use input::{bounded, open_regular};
pub use overlay::OptOutOverlay;
pub use prefix::{PrefixSet, parse_prefix};
pub(crate) use set::Probe;
pub use set::{NumberSet, Tuning as SetTuning};
pub use text::{BadLinePolicy, MAX_LINE_BYTES, ParseFn, TextList, read_text_list};

/// A list file loaded for a policy: text or compiled, told apart by the compiled magic.
pub struct LoadedList {
    /// The numbers (with registration dates where the file has them).
    pub set: NumberSet,
    /// When the registry copy was taken, if the file says (compiled files do).
    pub snapshot_date: Option<i32>,
    /// Text lines skipped under [`BadLinePolicy::Skip`].
    pub skipped: Vec<BadLine>,
}

/// Loads a list file for a policy: a compiled list file (copied into private memory)
/// when it starts with [`MAGIC`], else a text list read with `parse`.
pub fn load_list(
    path: &std::path::Path,
    parse: &ParseFn,
    bad_lines: BadLinePolicy,
) -> Result<LoadedList, ListError> {
    load_list_limited(path, parse, bad_lines, DEFAULT_MAX_LIST_BYTES)
}

/// [`load_list`] with the policy's size limit. The file is opened once and read from
/// that one handle, so it cannot be swapped between telling its kind and reading it.
pub(crate) fn load_list_limited(
    path: &std::path::Path,
    parse: &ParseFn,
    bad_lines: BadLinePolicy,
    limit: u64,
) -> Result<LoadedList, ListError> {
    use std::io::{Read, Seek};
    let (mut file, size) = open_regular(path, limit, input::RAISE_LIST_LIMIT)?;
    let mut head = Vec::with_capacity(MAGIC.len());
    (&mut file)
        .take(MAGIC.len() as u64)
        .read_to_end(&mut head)
        .map_err(|e| ListError::io(path, e))?;
    file.rewind().map_err(|e| ListError::io(path, e))?;
    if head == MAGIC {
        let c = compiled::read_compiled(path, file, size)?;
        return Ok(LoadedList {
            set: c.set,
            snapshot_date: c.snapshot_date,
            skipped: Vec::new(),
        });
    }
    let text = text::read_text_from(path, bounded(file, size), parse, bad_lines)?;
    Ok(LoadedList {
        set: NumberSet::from_dated(text.entries),
        snapshot_date: None,
        skipped: text.skipped,
    })
}
