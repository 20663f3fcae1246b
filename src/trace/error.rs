//! Why a trace could not be read: one error type for the whole module,
//! each variant naming the line, the column and the value at fault.

use super::unit::TimeUnit;
use crate::time::Timestamp;
use std::fmt;

/// How many characters of a bad value an error keeps: enough to recognise
/// it, while a runaway field (a file with no line breaks, a binary blob)
/// does not fill the terminal.
const EXCERPT_CHARS: usize = 48;

/// Why a trace could not be read.
///
/// Line numbers count from 1 from the start of the input (a byte-order mark
/// and any comment lines before the header included), as an editor shows
/// them; a row with a quoted line break is named by its first line. Values
/// quoted back in errors are cut to their first 48 characters, followed by
/// `…`, when longer.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TraceError {
    /// The input has no header line (it is empty, or holds only blank and
    /// comment lines).
    NoHeader,
    /// The header lacks a required column.
    MissingColumn {
        /// The column's name.
        column: String,
        /// The header's line.
        line: usize,
        /// The header's fields as they were split, joined by `|` (cut like
        /// any quoted value): shows a wrong delimiter at a glance.
        header: String,
        /// The delimiter the header was split at.
        delimiter: u8,
    },
    /// The header names a column the reader uses twice.
    DuplicateColumn {
        /// The column's name.
        column: String,
        /// The header's line.
        line: usize,
    },
    /// The delimiter cannot separate fields: a quote, a line break or a
    /// byte outside ASCII.
    BadDelimiter {
        /// The byte given.
        delimiter: u8,
    },
    /// A row has fewer fields than the column it needs.
    MissingField {
        /// Line number, from 1.
        line: usize,
        /// The missing column.
        column: String,
    },
    /// A row has more fields than the header: usually a value holding the
    /// delimiter without quotes around it.
    ExtraFields {
        /// Line number, from 1.
        line: usize,
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// An arrival time that is not a non-negative decimal number in the
    /// time column's unit, or beyond [`Timestamp::MAX`].
    BadNumber {
        /// Line number, from 1.
        line: usize,
        /// The time column.
        column: String,
        /// The time column's unit.
        unit: TimeUnit,
        /// The text found (cut when long).
        value: String,
    },
    /// A `seq` value that is neither empty nor a non-negative integer.
    BadSeq {
        /// Line number, from 1.
        line: usize,
        /// The sequence-number column.
        column: String,
        /// The text found (cut when long).
        value: String,
    },
    /// A node name that is not UTF-8.
    NotUtf8 {
        /// Line number, from 1.
        line: usize,
        /// The column.
        column: String,
        /// The text found, invalid bytes replaced by `�` (cut when long).
        value: String,
    },
    /// A node with a sequence number on some rows and none on others.
    MixedSeq {
        /// Line number of the first row that differs from the node's first.
        line: usize,
        /// The node.
        node: String,
    },
    /// A time unit other than `ns`, `us`, `ms` or `s`.
    UnknownTimeUnit {
        /// The name given (cut when long).
        name: String,
    },
    /// A node's sequence numbers are not one per arrival.
    SeqCount {
        /// The node.
        node: String,
        /// Its arrivals.
        arrivals: usize,
        /// Its sequence numbers.
        seqs: usize,
    },
    /// An arrival earlier than the same node's previous one.
    OutOfOrder {
        /// Line number, from 1.
        line: usize,
        /// The node.
        node: String,
        /// The node's previous arrival.
        previous: Timestamp,
        /// The offending arrival.
        arrival: Timestamp,
    },
    /// The reader failed.
    Io {
        /// Line number, from 1.
        line: usize,
        /// The error's description.
        message: String,
    },
}

/// The text of a field for an error message: lossy UTF-8, cut to
/// [`EXCERPT_CHARS`] characters with `…` when longer.
pub(super) fn excerpt(bytes: &[u8]) -> String {
    // Decode a bounded prefix only. A character takes at most 4 bytes, so
    // a longer input still shows more than EXCERPT_CHARS characters here
    // and gets its ellipsis.
    let head = &bytes[..bytes.len().min(4 * (EXCERPT_CHARS + 1))];
    let text = String::from_utf8_lossy(head);
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

/// A delimiter as a person would name it.
fn delimiter_name(delimiter: u8) -> String {
    match delimiter {
        b'\t' => "tab".to_string(),
        b' ' => "space".to_string(),
        d if d.is_ascii_graphic() => format!("`{}`", d as char),
        d => format!("byte {d:#04x}"),
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::NoHeader => write!(
                f,
                "no header line: the input is empty or holds only blank and `#` comment lines"
            ),
            TraceError::MissingColumn {
                column,
                line,
                header,
                delimiter,
            } => {
                write!(
                    f,
                    "line {line}: the header has no `{column}` column (split at {}, its \
                     fields are {header:?}",
                    delimiter_name(*delimiter)
                )?;
                // One field that holds another usual delimiter: the file
                // was most likely split at the wrong one.
                let other = [',', ';', '\t']
                    .into_iter()
                    .find(|&d| d != *delimiter as char && header.contains(d));
                match other {
                    Some(d) if !header.contains('|') => {
                        write!(f, "; is the delimiter {}?)", delimiter_name(d as u8))
                    }
                    _ => write!(f, ")"),
                }
            }
            TraceError::DuplicateColumn { column, line } => {
                write!(f, "line {line}: the header has two `{column}` columns")
            }
            TraceError::BadDelimiter { delimiter } => write!(
                f,
                "{} cannot be a delimiter (use a single ASCII character other than a quote \
                 or a line break)",
                delimiter_name(*delimiter)
            ),
            TraceError::MissingField { line, column } => {
                write!(f, "line {line}: no value for column `{column}`")
            }
            TraceError::ExtraFields {
                line,
                expected,
                found,
            } => write!(
                f,
                "line {line}: {found} fields where the header has {expected} (a value holding \
                 the delimiter must be in double quotes)"
            ),
            TraceError::BadNumber {
                line,
                column,
                unit,
                value,
            } => write!(
                f,
                "line {line}, column `{column}`: {value:?} is not a non-negative number of {}",
                unit.plural()
            ),
            TraceError::BadSeq {
                line,
                column,
                value,
            } => write!(
                f,
                "line {line}, column `{column}`: {value:?} is not a sequence number (a \
                 non-negative integer, or empty)"
            ),
            TraceError::NotUtf8 {
                line,
                column,
                value,
            } => write!(f, "line {line}, column `{column}`: {value:?} is not UTF-8"),
            TraceError::MixedSeq { line, node } => write!(
                f,
                "line {line}: node {node:?} has a sequence number on some rows and not on \
                 others"
            ),
            TraceError::UnknownTimeUnit { name } => {
                write!(f, "unknown time unit {name:?} (expected ns, us, ms or s)")
            }
            TraceError::SeqCount {
                node,
                arrivals,
                seqs,
            } => write!(
                f,
                "node {node:?} has {arrivals} arrivals but {seqs} sequence numbers"
            ),
            TraceError::OutOfOrder {
                line,
                node,
                previous,
                arrival,
            } => write!(
                f,
                "line {line}: arrival {arrival} of node {node:?} is earlier than its previous \
                 arrival {previous}; a node's rows must be in time order"
            ),
            TraceError::Io { line, message } => write!(f, "line {line}: {message}"),
        }
    }
}

impl std::error::Error for TraceError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_kept_whole() {
        assert_eq!(excerpt(b"five"), "five");
        assert_eq!(excerpt(b""), "");
        let exact = "x".repeat(EXCERPT_CHARS);
        assert_eq!(excerpt(exact.as_bytes()), exact);
    }

    #[test]
    fn long_values_are_cut_with_an_ellipsis() {
        let long = "7".repeat(100_000_000 / 1000);
        let cut = excerpt(long.as_bytes());
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        let wide = "é".repeat(1000);
        assert_eq!(excerpt(wide.as_bytes()).chars().count(), EXCERPT_CHARS + 1);
    }
}
