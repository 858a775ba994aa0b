//! `dialguard compile-list`: a text list or a registry export (a CSV column, the US DNC
//! area-code split) compiled into a binary list file.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use dialguard::number;

use crate::{Fail, country};

/// Registry export layouts other than one number a line.
#[derive(Args, Clone, Default)]
pub(crate) struct ExportLayout {
    /// The number is in this CSV column (1-based), e.g. a CRM or registry export.
    #[arg(long)]
    csv_column: Option<usize>,
    /// The registration date (YYYY-MM-DD) is in this CSV column (1-based).
    #[arg(long)]
    date_column: Option<usize>,
    /// The number is split over two columns, area code then local number (the US
    /// National DNC download: `201,5550123`); NANP numbers get the +1.
    #[arg(long, conflicts_with = "csv_column")]
    area_code_split: bool,
    /// The CSV delimiter.
    #[arg(long, default_value = ",")]
    delimiter: char,
    /// Skip the first line (a header).
    #[arg(long)]
    skip_header: bool,
}

impl ExportLayout {
    fn is_plain(&self) -> bool {
        self.csv_column.is_none()
            && self.date_column.is_none()
            && !self.area_code_split
            && !self.skip_header
    }
}

/// Rewrites an export layout into the plain `number[,date]` form the list compiler
/// streams, next to the output (removed afterwards). One sequential pass.
fn flatten_export(input: &Path, output: &Path, layout: &ExportLayout) -> Result<PathBuf, Fail> {
    use std::io::BufWriter;
    let tmp = output.with_extension("plain.tmp");
    let file = std::fs::File::open(input).map_err(|e| Fail(format!("{}: {e}", input.display())))?;
    let mut out = BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(&tmp).map_err(|e| Fail(format!("{}: {e}", tmp.display())))?,
    );
    let mut reader = io::BufReader::with_capacity(1 << 20, file);
    let mut line = String::new();
    let mut no = 0usize;
    let field = |fields: &[&str], col: usize, no: usize, what: &str| -> Result<String, Fail> {
        fields
            .get(col.wrapping_sub(1))
            .map(|f| f.trim().trim_matches('"').to_owned())
            .ok_or_else(|| {
                Fail(format!(
                    "{}:{no}: no column {col} for the {what}",
                    input.display()
                ))
            })
    };
    loop {
        line.clear();
        if reader
            .read_line(&mut line)
            .map_err(|e| Fail(format!("{}: {e}", input.display())))?
            == 0
        {
            break;
        }
        no += 1;
        let text = line.trim_end_matches(['\n', '\r']);
        if (no == 1 && layout.skip_header) || text.trim().is_empty() || text.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = text.split(layout.delimiter).collect();
        let number = if layout.area_code_split {
            let (area, local) = (
                field(&fields, 1, no, "area code")?,
                field(&fields, 2, no, "local number")?,
            );
            if area.len() != 3
                || local.len() != 7
                || !area
                    .bytes()
                    .chain(local.bytes())
                    .all(|b| b.is_ascii_digit())
            {
                return Err(Fail(format!(
                    "{}:{no}: {text:?} is not an area code and a 7-digit number (e.g. 201,5550123)",
                    input.display()
                )));
            }
            format!("+1{area}{local}")
        } else {
            field(&fields, layout.csv_column.unwrap_or(1), no, "number")?
        };
        match layout.date_column {
            Some(c) => writeln!(out, "{number},{}", field(&fields, c, no, "date")?)?,
            None => writeln!(out, "{number}")?,
        }
    }
    out.flush()?;
    Ok(tmp)
}

pub(crate) fn compile_list(
    input: &Path,
    output: &Path,
    snapshot_date: Option<&str>,
    cc: Option<&str>,
    layout: &ExportLayout,
) -> Result<(), Fail> {
    let cc = country(cc)?;
    let date = snapshot_date
        .map(|d| {
            dialguard::calendar::Date::parse(d)
                .map(|d| d.to_days())
                .map_err(|e| Fail(format!("--snapshot-date {d:?}: {e}; write YYYY-MM-DD")))
        })
        .transpose()?;
    let started = std::time::Instant::now();
    let parse = move |s: &str| number::parse(s, cc.as_ref()).map_err(|e| e.to_string());
    // Plain text and the area-code split compile in one pass; other layouts (a CSV
    // column, a date column) are first rewritten as plain text.
    let format = if layout.area_code_split && layout.date_column.is_none() {
        let delimiter = u8::try_from(layout.delimiter)
            .ok()
            .filter(u8::is_ascii)
            .ok_or_else(|| {
                Fail(format!(
                    "--delimiter {:?}: give one ASCII character",
                    layout.delimiter
                ))
            })?;
        Some(dialguard::lists::LineFormat::AreaCodeSplit { delimiter })
    } else if layout.is_plain() {
        Some(dialguard::lists::LineFormat::E164)
    } else {
        None
    };
    let flat = match format {
        Some(_) => None,
        None => Some(flatten_export(input, output, layout)?),
    };
    let result = dialguard::lists::compile_list_file(
        flat.as_deref().unwrap_or(input),
        output,
        date,
        Some(&parse),
        format.unwrap_or(dialguard::lists::LineFormat::E164),
        flat.is_none() && layout.skip_header,
    );
    if let Some(tmp) = &flat {
        let _ = std::fs::remove_file(tmp);
    }
    let mut stats = result?;
    stats.input_bytes = std::fs::metadata(input)
        .map(|m| m.len())
        .unwrap_or(stats.input_bytes);
    let secs = started.elapsed().as_secs_f64();
    let line = serde_json::json!({
        "input": input.display().to_string(),
        "output": output.display().to_string(),
        "lines": stats.lines,
        "entries": stats.entries,
        "numbers": stats.distinct,
        "bytes_in": stats.input_bytes,
        "bytes_out": stats.output_bytes,
        "seconds": secs,
        "mb_per_s": stats.input_bytes as f64 / 1e6 / secs.max(1e-9),
    });
    println!("{line}");
    Ok(())
}
