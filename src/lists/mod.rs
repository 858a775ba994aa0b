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
mod overlay;
mod prefix;
mod set;
mod text;

pub use compiled::{
    CompileStats, CompiledList, FORMAT_VERSION, MAGIC, compile_text_list, open_compiled,
    write_compiled,
};
pub use consent::{ConsentIndex, ConsentKind, ConsentRecord};
pub use error::{BadLine, CompiledProblem, ListError};
pub use overlay::OptOutOverlay;
pub use prefix::{PrefixSet, parse_prefix};
pub use set::NumberSet;
pub use text::{BadLinePolicy, ParseFn, TextList, read_text_list};
