//! RFC 4180 rows of an input, each with the line it starts on.
//!
//! The parsing is `csv-core`'s (the `csv` crate's own parser: quoting,
//! doubled quotes, line breaks in quoted fields, blank lines skipped, `\n`,
//! `\r\n` or `\r` line ends). The line numbers are counted here from the
//! bytes themselves, because the `csv` crate's `Position::line` names the
//! line after the previous record, which is wrong after a blank line or a
//! `\r\n` line end, and errors must name the line an editor shows.

use std::io::{self, BufRead};

/// The rows of a buffered input, one at a time, in one reused buffer.
pub(super) struct Rows<R> {
    input: R,
    parser: csv_core::Reader,
    /// The current row's fields, end to end.
    bytes: Vec<u8>,
    /// Where each field of the current row ends in `bytes`.
    ends: Vec<usize>,
    /// Fields in the current row.
    fields: usize,
    /// The line of the next byte of `input`, from 1.
    line: usize,
    /// Bytes of `input` parsed so far.
    consumed: u64,
}

impl<R: BufRead> Rows<R> {
    /// Rows of `input`, whose first byte is on line `line`.
    pub(super) fn new(input: R, delimiter: u8, line: usize) -> Self {
        Rows {
            input,
            parser: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            bytes: vec![0; 1024],
            ends: vec![0; 16],
            fields: 0,
            line,
            consumed: 0,
        }
    }

    /// Reads the next row and returns the line it starts on, or `None` at
    /// the end of the input.
    ///
    /// # Errors
    ///
    /// An error of the input, with the line it happened on.
    pub(super) fn next_row(&mut self) -> Result<Option<usize>, (usize, io::Error)> {
        use csv_core::ReadRecordResult as Step;
        let (mut written, mut ended) = (0, 0);
        let mut start = None;
        loop {
            let input = match self.input.fill_buf() {
                Ok(input) => input,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err((self.line, e)),
            };
            let (step, read, out, end) =
                self.parser
                    .read_record(input, &mut self.bytes[written..], &mut self.ends[ended..]);
            let consumed = &input[..read];
            // A row starts at its first byte that is not a line end: line
            // ends before it close the previous row or are blank lines.
            if start.is_none() {
                if let Some(k) = consumed.iter().position(|&b| b != b'\n' && b != b'\r') {
                    start = Some(self.line + newlines(&consumed[..k]));
                }
            }
            self.line += newlines(consumed);
            self.input.consume(read);
            self.consumed += read as u64;
            written += out;
            ended += end;
            match step {
                Step::InputEmpty => {}
                Step::OutputFull => {
                    let len = self.bytes.len();
                    self.bytes.resize(2 * len, 0);
                }
                Step::OutputEndsFull => {
                    let len = self.ends.len();
                    self.ends.resize(2 * len, 0);
                }
                Step::Record => {
                    self.fields = ended;
                    return Ok(Some(start.unwrap_or(self.line)));
                }
                Step::End => {
                    self.fields = 0;
                    return Ok(None);
                }
            }
        }
    }

    /// Bytes of the input parsed so far.
    pub(super) fn bytes_read(&self) -> u64 {
        self.consumed
    }

    /// Fields in the current row.
    pub(super) fn len(&self) -> usize {
        self.fields
    }

    /// Field `i` of the current row, unquoted.
    pub(super) fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.fields {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.bytes[start..self.ends[i]])
    }

    /// The fields of the current row, unquoted.
    pub(super) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.fields).filter_map(|i| self.get(i))
    }
}

/// The fields of the first row of `line`, split at `delimiter`.
pub(super) fn split(line: &[u8], delimiter: u8) -> Vec<Vec<u8>> {
    let mut rows = Rows::new(line, delimiter, 1);
    match rows.next_row() {
        Ok(Some(_)) => rows.iter().map(<[u8]>::to_vec).collect(),
        _ => Vec::new(),
    }
}

fn newlines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row's line and fields.
    fn rows(text: &str) -> Vec<(usize, Vec<String>)> {
        let mut rows = Rows::new(text.as_bytes(), b',', 1);
        let mut out = Vec::new();
        while let Some(line) = rows.next_row().unwrap() {
            let fields = rows
                .iter()
                .map(|f| String::from_utf8(f.to_vec()).unwrap())
                .collect();
            out.push((line, fields));
        }
        out
    }

    fn row(line: usize, fields: &[&str]) -> (usize, Vec<String>) {
        (line, fields.iter().map(|f| f.to_string()).collect())
    }

    #[test]
    fn lines_count_blank_lines_and_every_line_end() {
        assert_eq!(
            rows("h\na\n\nb\n\n\nc"),
            [
                row(1, &["h"]),
                row(2, &["a"]),
                row(4, &["b"]),
                row(7, &["c"])
            ]
        );
        assert_eq!(
            rows("h\r\na\r\n\r\nb\r\n"),
            [row(1, &["h"]), row(2, &["a"]), row(4, &["b"])]
        );
        assert_eq!(rows("\n\nh\n"), [row(3, &["h"])]);
    }

    #[test]
    fn quoted_fields_keep_delimiters_quotes_and_line_breaks() {
        assert_eq!(
            rows("\"a,b\",\"say \"\"hi\"\"\"\n\"x\ny\"\n\nz,\n"),
            [
                row(1, &["a,b", "say \"hi\""]),
                row(2, &["x\ny"]),
                row(5, &["z", ""]),
            ]
        );
    }

    #[test]
    fn rows_longer_than_the_buffers_grow_them() {
        let long = "x".repeat(10_000);
        let many = vec!["f"; 100].join(",");
        let text = format!("{long},1\n{many}\n");
        let parsed = rows(&text);
        assert_eq!(parsed[0], row(1, &[&long, "1"]));
        assert_eq!(parsed[1].1.len(), 100);
    }

    #[test]
    fn split_reads_one_line() {
        assert_eq!(
            split(b"a;\"b;c\"\n", b';'),
            [b"a".to_vec(), b"b;c".to_vec()]
        );
        assert!(split(b"", b',').is_empty());
    }
}
