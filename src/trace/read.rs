//! Reading a trace as a stream of arrivals: the header, the delimiter, the
//! columns and each row's values, with per-node name interning, holding one
//! row at a time whatever the size of the input.

use super::error::{excerpt, TraceError};
use super::rows::{split, Rows};
use super::unit::{parse_time, TimeUnit};
use crate::time::Timestamp;
use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};

/// The delimiters tried, in this order, when none is given.
const SNIFFED: [u8; 3] = [b',', b';', b'\t'];

/// The longest line read before the header is found. Lines before the
/// header are read whole to find it, so this bounds the memory a file
/// without line breaks can take before it is refused.
const MAX_HEADER_LINE: u64 = 1 << 20;

/// How to read a trace: the delimiter and the time column.
///
/// The default reads the `arrival_ms` column in milliseconds and finds the
/// delimiter from the header line.
///
/// ```
/// use accrual::trace::{ReadOptions, TimeUnit, Trace};
///
/// let log = "recv_ns;host\n1500000000;a\n1600000000;a\n";
/// let options = ReadOptions::new().time_column("recv_ns", TimeUnit::Nanos);
/// let trace = Trace::read_csv_with(log.as_bytes(), &options)?;
/// assert_eq!(trace.nodes()[0].arrivals()[1].as_millis_f64(), 1600.0);
/// # Ok::<(), accrual::trace::TraceError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOptions {
    delimiter: Option<u8>,
    time_column: String,
    time_unit: TimeUnit,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            delimiter: None,
            time_column: "arrival_ms".to_string(),
            time_unit: TimeUnit::Millis,
        }
    }
}

impl ReadOptions {
    /// The default options (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Splits fields at `delimiter` (`b','`, `b';'`, `b'\t'`, …) instead
    /// of finding it from the header. [`Reader::new`] refuses a quote, a
    /// line break or a byte outside ASCII.
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = Some(delimiter);
        self
    }

    /// Reads arrival times from the column `name` (matched ignoring ASCII
    /// case and surrounding spaces), in `unit`.
    pub fn time_column(mut self, name: impl Into<String>, unit: TimeUnit) -> Self {
        self.time_column = name.into();
        self.time_unit = unit;
        self
    }
}

/// One row of a trace, as [`Reader`] yields it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Record {
    /// The node, as an index into [`Reader::nodes`].
    pub node: usize,
    /// The sender's sequence number, when the trace has a `seq` column and
    /// this row a value in it.
    pub seq: Option<u64>,
    /// The arrival time.
    pub at: Timestamp,
    /// The row's line in the input, from 1.
    pub line: usize,
}

/// What the reader keeps per node: enough to check each new row.
#[derive(Clone, Copy, Debug)]
struct NodeState {
    /// The latest arrival, which the next one may not precede.
    last: Timestamp,
    /// Whether the node's rows carry a sequence number (decided by its
    /// first row, so that a node's `seqs` are one per arrival or absent).
    has_seq: bool,
}

/// Where the columns the reader uses sit in each row.
#[derive(Clone, Copy, Debug)]
struct Columns {
    time: usize,
    node: Option<usize>,
    seq: Option<usize>,
    /// Fields in the header: a row with more is refused.
    width: usize,
}

/// A streaming trace reader: an iterator of [`Record`]s over any
/// [`Read`], in file order.
///
/// It holds one row at a time plus, per node, its name, its latest arrival
/// and whether it has sequence numbers, so its memory grows with the number
/// of nodes and not with the input. It checks each row as
/// [`Trace::read_csv`](super::Trace::read_csv) does (which is built on it);
/// after the first error it yields nothing more.
///
/// ```
/// use accrual::trace::{ReadOptions, Reader};
///
/// let csv = "node,arrival_ms,seq\na,100,1\nb,150,1\na,200,2\n";
/// let mut reader = Reader::new(csv.as_bytes(), &ReadOptions::new())?;
/// let mut per_node = vec![];
/// for record in reader.by_ref() {
///     let record = record?;
///     if record.node == per_node.len() {
///         per_node.push(0);
///     }
///     per_node[record.node] += 1;
/// }
/// assert_eq!(reader.nodes(), ["a", "b"]);
/// assert_eq!(per_node, [2, 1]);
/// # Ok::<(), accrual::trace::TraceError>(())
/// ```
pub struct Reader<R: Read> {
    rows: Rows<BufReader<R>>,
    columns: Columns,
    /// The time column's name and unit, for messages and parsing.
    time_column: String,
    time_unit: TimeUnit,
    delimiter: u8,
    /// Bytes read up to the end of the header line.
    header_bytes: u64,
    names: Vec<String>,
    index: HashMap<String, usize>,
    nodes: Vec<NodeState>,
    /// The node of the previous row: consecutive rows of one node (the
    /// common layout) skip the name lookup.
    previous: Option<usize>,
    done: bool,
}

impl<R: Read> fmt::Debug for Reader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("delimiter", &(self.delimiter as char))
            .field("time_column", &self.time_column)
            .field("time_unit", &self.time_unit)
            .field("nodes", &self.names.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl<R: Read> Reader<R> {
    /// Reads the header of `input` and gets ready to yield its rows.
    ///
    /// # Errors
    ///
    /// [`TraceError::NoHeader`] for an input without a header line,
    /// [`TraceError::MissingColumn`] or [`TraceError::DuplicateColumn`] for
    /// a header without the time column or with one of the columns read
    /// twice, [`TraceError::BadDelimiter`] and [`TraceError::Io`].
    pub fn new(input: R, options: &ReadOptions) -> Result<Self, TraceError> {
        if let Some(d) = options.delimiter {
            if !d.is_ascii() || matches!(d, b'"' | b'\n' | b'\r') {
                return Err(TraceError::BadDelimiter { delimiter: d });
            }
        }
        let mut input = BufReader::with_capacity(64 * 1024, input);
        let (skipped_lines, header, header_bytes) = find_header(&mut input)?;
        let delimiter = options
            .delimiter
            .unwrap_or_else(|| sniff(&header, &options.time_column));
        let line = skipped_lines + 1;
        let columns = Columns::find(
            &split(&header, delimiter),
            line,
            &options.time_column,
            delimiter,
        )?;
        Ok(Reader {
            rows: Rows::new(input, delimiter, line + 1),
            columns,
            time_column: options.time_column.trim().to_string(),
            time_unit: options.time_unit,
            delimiter,
            header_bytes,
            names: Vec::new(),
            index: HashMap::new(),
            nodes: Vec::new(),
            previous: None,
            done: false,
        })
    }

    /// The delimiter fields are split at: the one given, or the one found
    /// from the header.
    pub fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// Bytes of the input read so far, up to the end of the last row
    /// yielded: with the input's size, how far a replay has gone.
    pub fn bytes_read(&self) -> u64 {
        self.header_bytes + self.rows.bytes_read()
    }

    /// Whether the header has a `seq` column.
    pub fn has_seq_column(&self) -> bool {
        self.columns.seq.is_some()
    }

    /// The names of the nodes read so far, in order of first appearance:
    /// [`Record::node`] indexes this. Without a `node` column, every row
    /// belongs to one node named `node`.
    pub fn nodes(&self) -> &[String] {
        &self.names
    }

    /// The current row, which starts on `line`, checked.
    fn parse(&mut self, line: usize) -> Result<Record, TraceError> {
        let Columns {
            time,
            node,
            seq,
            width,
        } = self.columns;
        if self.rows.len() > width {
            return Err(TraceError::ExtraFields {
                line,
                expected: width,
                found: self.rows.len(),
            });
        }
        let field = |col: usize, name: &str| {
            self.rows.get(col).ok_or_else(|| TraceError::MissingField {
                line,
                column: name.to_string(),
            })
        };
        let raw = field(time, &self.time_column)?;
        let at = parse_time(raw, self.time_unit).ok_or_else(|| TraceError::BadNumber {
            line,
            column: self.time_column.clone(),
            unit: self.time_unit,
            value: excerpt(raw),
        })?;
        let seq = match seq {
            None => None,
            Some(col) => {
                let raw = field(col, "seq")?;
                parse_seq(raw).ok_or_else(|| TraceError::BadSeq {
                    line,
                    column: "seq".to_string(),
                    value: excerpt(raw),
                })?
            }
        };
        let name: &[u8] = match node {
            None => b"node",
            Some(col) => field(col, "node")?,
        };
        let index = match self.previous {
            Some(i) if self.names[i].as_bytes() == name => i,
            _ => {
                let name = std::str::from_utf8(name).map_err(|_| TraceError::NotUtf8 {
                    line,
                    column: "node".to_string(),
                    value: excerpt(name),
                })?;
                match self.index.get(name) {
                    Some(&i) => i,
                    None => {
                        let i = self.names.len();
                        self.names.push(name.to_string());
                        self.index.insert(name.to_string(), i);
                        self.nodes.push(NodeState {
                            last: at,
                            has_seq: seq.is_some(),
                        });
                        i
                    }
                }
            }
        };
        let state = &mut self.nodes[index];
        if seq.is_some() != state.has_seq {
            return Err(TraceError::MixedSeq {
                line,
                node: self.names[index].clone(),
            });
        }
        if at < state.last {
            return Err(TraceError::OutOfOrder {
                line,
                node: self.names[index].clone(),
                previous: state.last,
                arrival: at,
            });
        }
        state.last = at;
        self.previous = Some(index);
        Ok(Record {
            node: index,
            seq,
            at,
            line,
        })
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Record, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = match self.rows.next_row() {
            Ok(None) => {
                self.done = true;
                return None;
            }
            Ok(Some(line)) => self.parse(line),
            Err((line, e)) => Err(TraceError::Io {
                line,
                message: e.to_string(),
            }),
        };
        self.done = result.is_err();
        Some(result)
    }
}

impl Columns {
    /// The columns of `header` (on `line`), by name.
    fn find(
        header: &[Vec<u8>],
        line: usize,
        time_column: &str,
        delimiter: u8,
    ) -> Result<Self, TraceError> {
        let position = |name: &str| -> Result<Option<usize>, TraceError> {
            let mut hits = header
                .iter()
                .enumerate()
                .filter(|(_, field)| same_name(field, name))
                .map(|(i, _)| i);
            let first = hits.next();
            if hits.next().is_some() {
                return Err(TraceError::DuplicateColumn {
                    column: name.trim().to_string(),
                    line,
                });
            }
            Ok(first)
        };
        let time = position(time_column)?.ok_or_else(|| {
            let fields: Vec<String> = header.iter().map(|f| excerpt(f)).collect();
            TraceError::MissingColumn {
                column: time_column.trim().to_string(),
                line,
                header: excerpt(fields.join("|").as_bytes()),
                delimiter,
            }
        })?;
        Ok(Columns {
            time,
            node: position("node")?,
            seq: position("seq")?,
            width: header.len(),
        })
    }
}

/// Whether a header field names the column `name`: ASCII case and
/// surrounding spaces do not matter in a header.
fn same_name(field: &[u8], name: &str) -> bool {
    field
        .trim_ascii()
        .eq_ignore_ascii_case(name.trim().as_bytes())
}

/// Reads up to and including the header line, skipping a UTF-8 byte-order
/// mark, blank lines and `#` comment lines before it. Returns the number of
/// lines skipped, the header line's bytes, and the bytes read.
fn find_header(input: &mut impl BufRead) -> Result<(usize, Vec<u8>, u64), TraceError> {
    let mut skipped = 0;
    let mut consumed = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = (&mut *input)
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)
            .map_err(|e| TraceError::Io {
                line: skipped + 1,
                message: e.to_string(),
            })?;
        if read == 0 {
            return Err(TraceError::NoHeader);
        }
        consumed += read as u64;
        if read as u64 == MAX_HEADER_LINE && line.last() != Some(&b'\n') {
            return Err(TraceError::Io {
                line: skipped + 1,
                message: format!("no line break in the first {MAX_HEADER_LINE} bytes"),
            });
        }
        if skipped == 0 && line.starts_with(b"\xEF\xBB\xBF") {
            line.drain(..3);
        }
        match line.trim_ascii_start().first() {
            None | Some(b'#') => skipped += 1,
            Some(_) => return Ok((skipped, line, consumed)),
        }
    }
}

/// The delimiter of a header line: the first of `,` `;` tab that splits it
/// into fields among which is the time column, or `,` if none does (the
/// header is then refused, with its fields as split at `,`).
fn sniff(header: &[u8], time_column: &str) -> u8 {
    SNIFFED
        .into_iter()
        .find(|&d| split(header, d).iter().any(|f| same_name(f, time_column)))
        .unwrap_or(b',')
}

/// A sequence number: empty (no number), or a non-negative integer,
/// surrounding spaces allowed. The outer `None` is a bad value.
fn parse_seq(field: &[u8]) -> Option<Option<u64>> {
    let text = field.trim_ascii();
    if text.is_empty() {
        return Some(None);
    }
    std::str::from_utf8(text).ok()?.parse().ok().map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seqs_are_empty_or_integers() {
        assert_eq!(parse_seq(b""), Some(None));
        assert_eq!(parse_seq(b" 42 "), Some(Some(42)));
        assert_eq!(parse_seq(b"-1"), None);
        assert_eq!(parse_seq(b"1.0"), None);
    }

    #[test]
    fn the_delimiter_is_the_one_that_finds_the_time_column() {
        assert_eq!(sniff(b"node,arrival_ms\n", "arrival_ms"), b',');
        assert_eq!(sniff(b"node;arrival_ms\r\n", "arrival_ms"), b';');
        assert_eq!(sniff(b"node\tarrival_ms\n", "arrival_ms"), b'\t');
        // A quoted name holding another candidate does not mislead it.
        assert_eq!(sniff(b"\"a;b\"\tarrival_ms\n", "arrival_ms"), b'\t');
        assert_eq!(sniff(b"node;time\n", "arrival_ms"), b',');
        assert_eq!(sniff(b"arrival_ms\n", "arrival_ms"), b',');
    }
}
