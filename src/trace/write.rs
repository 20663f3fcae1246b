//! Writing a trace as CSV that [`Trace::read_csv`] reads back exactly: the
//! same nodes with the same names, arrivals and sequence numbers (in the
//! order of their first arrival).

use super::Trace;
use crate::time::Timestamp;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, BufWriter, Write};

/// Writes `trace` (see [`Trace::write_csv`]).
pub(super) fn write_csv(trace: &Trace, writer: impl Write) -> io::Result<()> {
    let mut out = BufWriter::new(writer);
    let nodes = trace.nodes();
    let with_seq = nodes.iter().any(|n| n.seqs().is_some());
    out.write_all(if with_seq {
        b"node,arrival_ms,seq\n"
    } else {
        b"node,arrival_ms\n"
    })?;
    let names: Vec<String> = nodes.iter().map(|n| quoted(n.name())).collect();
    // Rows in time order across nodes (ties by node), merged from the
    // nodes' sorted arrivals: memory for one cursor per node, not one entry
    // per row.
    let mut next: BinaryHeap<Reverse<(Timestamp, usize, usize)>> = nodes
        .iter()
        .enumerate()
        .filter_map(|(n, node)| node.arrivals().first().map(|&t| Reverse((t, n, 0))))
        .collect();
    while let Some(Reverse((t, n, i))) = next.pop() {
        let node = &nodes[n];
        out.write_all(names[n].as_bytes())?;
        out.write_all(b",")?;
        write_millis(&mut out, t)?;
        if with_seq {
            out.write_all(b",")?;
            if let Some(seqs) = node.seqs() {
                write!(out, "{}", seqs[i])?;
            }
        }
        out.write_all(b"\n")?;
        if let Some(&t) = node.arrivals().get(i + 1) {
            next.push(Reverse((t, n, i + 1)));
        }
    }
    out.flush()
}

/// `t` in milliseconds with up to six decimals: exact to the nanosecond,
/// without trailing zeros.
fn write_millis(out: &mut impl Write, t: Timestamp) -> io::Result<()> {
    let ns = t.as_nanos();
    let (ms, frac) = (ns / 1_000_000, ns % 1_000_000);
    if frac == 0 {
        write!(out, "{ms}")
    } else {
        let digits = format!("{frac:06}");
        write!(out, "{ms}.{}", digits.trim_end_matches('0'))
    }
}

/// A node name as a CSV field: as it is when a reader cannot mistake it,
/// else in double quotes with its quotes doubled (RFC 4180).
///
/// Quoted: names holding a quote, a line break or any of the delimiters
/// the reader finds by itself (`,` `;` tab), so the file also opens in a
/// spreadsheet set to another one; names with spaces at either end or
/// starting with `#`, which other tools trim or skip as comments; names
/// starting with U+FEFF, which a CSV parser takes for a byte order mark and
/// drops at the start of its input (the first row); and the empty name, so
/// that the row visibly has one.
fn quoted(name: &str) -> String {
    let needs_quotes = name.is_empty()
        || name.starts_with('#')
        || name.starts_with('\u{feff}')
        || name.trim() != name
        || name
            .bytes()
            .any(|b| matches!(b, b',' | b';' | b'\t' | b'"' | b'\n' | b'\r'));
    if needs_quotes {
        format!("\"{}\"", name.replace('"', "\"\""))
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn plain_names_stay_bare() {
        for name in ["node0", "db-1.eu", "a b", "ünïcode", "7#"] {
            assert_eq!(quoted(name), name);
        }
    }

    #[test]
    fn names_a_reader_could_mistake_are_quoted() {
        assert_eq!(quoted("db-1,eu"), "\"db-1,eu\"");
        assert_eq!(quoted("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quoted("#7"), "\"#7\"");
        assert_eq!(quoted(" padded "), "\" padded \"");
        assert_eq!(quoted("a;b"), "\"a;b\"");
        assert_eq!(quoted("a\tb"), "\"a\tb\"");
        assert_eq!(quoted("two\nlines"), "\"two\nlines\"");
        assert_eq!(quoted(""), "\"\"");
    }
}
