//! Rows waiting for one `Guard::check_batch` call: the stdin and CSV scrubs parse a
//! few thousand rows, decide them in one batch (software-pipelined: docs/performance.md)
//! and print them in input order. `--reserve` records each attempt as it is allowed,
//! so it is decided one row at a time.

use dialguard::Decision;
use dialguard::number::{self, Extension, Number};

use super::{CheckLine, Checker, invalid};
use crate::Fail;

/// Rows per batch: enough to amortise a batch's per-place judgements, small enough
/// that output starts at once and memory stays flat.
const BATCH: usize = 4096;

/// The inputs of the rows not yet printed, their parse results and, once decided,
/// their decisions.
pub(super) struct Pending {
    /// Every pending input, one after the other (no allocation per row).
    text: String,
    rows: Vec<Row>,
    numbers: Vec<Number>,
    decisions: Vec<Decision>,
}

struct Row {
    row: Option<u64>,
    /// End of this row's input in `text` (it starts where the previous one ends).
    end: usize,
    parsed: Parsed,
}

enum Parsed {
    /// The number is `numbers[i]` of the batch.
    Number(usize, Option<Extension>),
    Invalid(String),
}

impl Pending {
    pub(super) fn new() -> Pending {
        Pending {
            text: String::with_capacity(BATCH * 16),
            rows: Vec::with_capacity(BATCH),
            numbers: Vec::with_capacity(BATCH),
            decisions: Vec::with_capacity(BATCH),
        }
    }

    /// Adds a row; decides and prints the batch when it is full. With `--reserve` the
    /// row is decided and printed at once.
    pub(super) fn add(
        &mut self,
        checker: &mut Checker<'_>,
        row: Option<u64>,
        input: &str,
        emit: &mut impl FnMut(CheckLine<'_>) -> Result<(), Fail>,
    ) -> Result<(), Fail> {
        if checker.reserve {
            return emit(checker.line(row, input));
        }
        let parsed = match number::parse_with_extension(input, checker.snap.default_country()) {
            Ok((n, ext)) => {
                self.numbers.push(n);
                Parsed::Number(self.numbers.len() - 1, ext)
            }
            Err(e) => Parsed::Invalid(e.to_string()),
        };
        self.push(row, input, parsed);
        if self.rows.len() >= BATCH {
            self.flush(checker, emit)?;
        }
        Ok(())
    }

    /// Adds a row that cannot be a number (denied `invalid_number` with `error`), kept
    /// in its place in the output.
    pub(super) fn add_invalid(
        &mut self,
        checker: &mut Checker<'_>,
        row: Option<u64>,
        input: &str,
        error: &str,
        emit: &mut impl FnMut(CheckLine<'_>) -> Result<(), Fail>,
    ) -> Result<(), Fail> {
        self.push(row, input, Parsed::Invalid(error.to_owned()));
        if self.rows.len() >= BATCH {
            self.flush(checker, emit)?;
        }
        Ok(())
    }

    fn push(&mut self, row: Option<u64>, input: &str, parsed: Parsed) {
        self.text.push_str(input);
        self.rows.push(Row {
            row,
            end: self.text.len(),
            parsed,
        });
    }

    /// Decides every pending number in one batch and prints the rows in input order.
    pub(super) fn flush(
        &mut self,
        checker: &mut Checker<'_>,
        emit: &mut impl FnMut(CheckLine<'_>) -> Result<(), Fail>,
    ) -> Result<(), Fail> {
        // Every slot starts as a deny: a slot the batch did not fill can never allow.
        self.decisions.clear();
        self.decisions.resize(
            self.numbers.len(),
            Decision::deny(dialguard::Reason::Internal),
        );
        checker
            .guard
            .check_batch(&self.numbers, &checker.ctx, &mut self.decisions);
        let mut start = 0;
        for r in self.rows.drain(..) {
            let input = &self.text[start..r.end];
            start = r.end;
            let line = match r.parsed {
                Parsed::Number(i, ext) => {
                    let n = self.numbers[i];
                    checker.render(r.row, input, n, ext, self.decisions[i], None)
                }
                Parsed::Invalid(e) => invalid(r.row, input, e),
            };
            emit(line)?;
        }
        self.text.clear();
        self.numbers.clear();
        Ok(())
    }
}
