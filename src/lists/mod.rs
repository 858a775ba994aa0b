//! Do-not-call lists: exact number sets with registration dates ([`NumberSet`]),
//! prefix entries ([`PrefixSet`]), the text list and consent CSV loaders, and the live
//! opt-out overlay ([`OptOutOverlay`]). Everything here is built off the hot path;
//! the lookups (`contains`, `registered_on`, `matches`, `lookup`) never allocate.
//!
//! Loaders take a number-parsing callback so that national formats follow the
//! policy's `default_country` without this module depending on the parser.

mod consent;
mod date;
mod error;
mod overlay;
mod prefix;
mod set;
mod text;

pub use consent::{ConsentIndex, ConsentKind, ConsentRecord};
pub use error::{BadLine, ListError};
pub use overlay::OptOutOverlay;
pub use prefix::{PrefixSet, parse_prefix};
pub use set::NumberSet;
pub use text::{BadLinePolicy, TextList, read_text_list};
