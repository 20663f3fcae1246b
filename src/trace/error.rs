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
    cut(&String::from_utf8_lossy(head), EXCERPT_CHARS)
}

/// [`excerpt`] of a name or a header kept whole in the error (the caller
/// may want all of it), for its message.
fn short(text: &str) -> String {
    excerpt(text.as_bytes())
}

/// The most characters of a header line shown in a message: enough for
/// the columns of a wide log, not a whole file without line breaks.
const HEADER_CHARS: usize = 400;

/// `text`, cut to `chars` characters with `…` when longer.
fn cut(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
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
                    "line {line}: the header has no `{}` column (split at {}, its \
                     fields are {:?}",
                    short(column),
                    delimiter_name(*delimiter),
                    cut(header, HEADER_CHARS)
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
            } => {
                let number = value.parse::<f64>().is_ok_and(|v| !v.is_nan());
                if number {
                    // A number, negative or past the clock's end.
                    let (whole, part) = (u64::MAX / unit.nanos(), u64::MAX % unit.nanos());
                    let places = unit.places();
                    write!(
                        f,
                        "line {line}, column `{column}`: {value:?} is out of range: times are \
                         {} from 0 to {whole}",
                        unit.plural()
                    )?;
                    if places > 0 {
                        write!(f, ".{part:0places$}")?;
                    }
                    write!(f, " (2^64 − 1 ns, about 584 years)")
                } else {
                    write!(
                        f,
                        "line {line}, column `{column}`: {value:?} is not a non-negative number \
                         of {}",
                        unit.plural()
                    )
                }
            }
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
                "line {line}: node {:?} has a sequence number on some rows and not on \
                 others",
                short(node)
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
                "node {:?} has {arrivals} arrivals but {seqs} sequence numbers",
                short(node)
            ),
            TraceError::OutOfOrder {
                line,
                node,
                previous,
                arrival,
            } => write!(
                f,
                "line {line}: arrival {arrival} of node {:?} is earlier than its previous \
                 arrival {previous}; a node's rows must be in time order",
                short(node)
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

    #[test]
    fn times_past_the_clock_say_its_limit() {
        let e = |value: &str, unit| TraceError::BadNumber {
            line: 2,
            column: "t".to_string(),
            unit,
            value: value.to_string(),
        };
        // u64::MAX ns = 18446744073709551615 ns = 18446744073709.551615 ms.
        assert_eq!(
            e("1e15", TimeUnit::Millis).to_string(),
            "line 2, column `t`: \"1e15\" is out of range: times are milliseconds from 0 to \
             18446744073709.551615 (2^64 − 1 ns, about 584 years)"
        );
        assert!(e("-5", TimeUnit::Nanos)
            .to_string()
            .contains("from 0 to 18446744073709551615 (2^64"));
        assert!(e("five", TimeUnit::Secs)
            .to_string()
            .contains("is not a non-negative number of seconds"));
    }

    #[test]
    fn long_node_names_are_cut_in_messages() {
        let e = TraceError::OutOfOrder {
            line: 3,
            node: "n".repeat(1_000_000),
            previous: crate::Timestamp::from_millis(5),
            arrival: crate::Timestamp::from_millis(3),
        };
        let message = e.to_string();
        assert!(message.len() < 300, "{} bytes", message.len());
        assert!(message.contains('…'), "{message}");
    }
}
