//! Recorded heartbeat arrivals: what replays, tuning and simulations share.
//!
//! A [`Trace`] holds, for each monitored node, the arrival times of its
//! heartbeats in order. It is read from and written to CSV with a header
//! line: a required `arrival_ms` column (decimal milliseconds) and an
//! optional `node` column (a name; all rows belong to one node named `node`
//! when it is absent). Other columns are ignored. Rows of different nodes may
//! interleave, but each node's arrivals must not go backwards: such a row is
//! an error naming its line, because a replay of it would not be the run
//! that was recorded. Equal arrival times (duplicate deliveries) are kept.

use crate::time::Timestamp;
use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, Write};

/// Heartbeat arrivals of one node, in non-decreasing order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeTrace {
    name: String,
    arrivals: Vec<Timestamp>,
}

impl NodeTrace {
    /// A node's arrivals.
    ///
    /// # Errors
    ///
    /// [`TraceError::OutOfOrder`] (with `line` the index in `arrivals`,
    /// counted from 1) if an arrival is earlier than the one before it.
    pub fn new(name: impl Into<String>, arrivals: Vec<Timestamp>) -> Result<Self, TraceError> {
        let name = name.into();
        if let Some(i) = arrivals.windows(2).position(|w| w[1] < w[0]) {
            return Err(TraceError::OutOfOrder {
                line: i + 2,
                node: name,
                previous: arrivals[i],
                arrival: arrivals[i + 1],
            });
        }
        Ok(NodeTrace { name, arrivals })
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Arrival times, in order.
    pub fn arrivals(&self) -> &[Timestamp] {
        &self.arrivals
    }
}

/// Heartbeat arrivals of several nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    nodes: Vec<NodeTrace>,
}

impl Trace {
    /// A trace of the given nodes, in the given order.
    pub fn new(nodes: Vec<NodeTrace>) -> Self {
        Trace { nodes }
    }

    /// The nodes, in the order of their first appearance.
    pub fn nodes(&self) -> &[NodeTrace] {
        &self.nodes
    }

    /// Total number of arrivals over all nodes.
    pub fn len(&self) -> usize {
        self.nodes.iter().map(|n| n.arrivals.len()).sum()
    }

    /// Whether the trace has no arrival.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads a CSV trace (see the module documentation for the format).
    ///
    /// # Errors
    ///
    /// [`TraceError`] naming the line for a missing header or column, a bad
    /// number, or an arrival earlier than the same node's previous one.
    pub fn read_csv(reader: impl BufRead) -> Result<Trace, TraceError> {
        let mut lines = reader.lines().enumerate();
        let header = loop {
            match lines.next() {
                None => {
                    return Err(TraceError::MissingColumn {
                        column: "arrival_ms",
                    })
                }
                Some((i, line)) => {
                    let line = line.map_err(|e| TraceError::Io {
                        line: i + 1,
                        message: e.to_string(),
                    })?;
                    if !is_blank_or_comment(&line) {
                        break line;
                    }
                }
            }
        };
        let columns: Vec<String> = split_fields(&header)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let arrival_col =
            columns
                .iter()
                .position(|c| c == "arrival_ms")
                .ok_or(TraceError::MissingColumn {
                    column: "arrival_ms",
                })?;
        let node_col = columns.iter().position(|c| c == "node");

        let mut index: HashMap<String, usize> = HashMap::new();
        let mut nodes: Vec<NodeTrace> = Vec::new();
        for (i, line) in lines {
            let line_no = i + 1;
            let line = line.map_err(|e| TraceError::Io {
                line: line_no,
                message: e.to_string(),
            })?;
            if is_blank_or_comment(&line) {
                continue;
            }
            let fields: Vec<&str> = split_fields(&line).collect();
            let field = |col: usize, name: &'static str| {
                fields.get(col).copied().ok_or(TraceError::MissingField {
                    line: line_no,
                    column: name,
                })
            };
            let raw = field(arrival_col, "arrival_ms")?;
            let arrival = raw
                .parse::<f64>()
                .ok()
                .and_then(|ms| Timestamp::try_from_millis_f64(ms).ok())
                .ok_or_else(|| TraceError::BadNumber {
                    line: line_no,
                    value: raw.to_string(),
                })?;
            let name = match node_col {
                Some(col) => field(col, "node")?,
                None => "node",
            };
            let slot = match index.get(name) {
                Some(&slot) => slot,
                None => {
                    index.insert(name.to_string(), nodes.len());
                    nodes.push(NodeTrace {
                        name: name.to_string(),
                        arrivals: Vec::new(),
                    });
                    nodes.len() - 1
                }
            };
            let node = &mut nodes[slot];
            if let Some(&previous) = node.arrivals.last() {
                if arrival < previous {
                    return Err(TraceError::OutOfOrder {
                        line: line_no,
                        node: node.name.clone(),
                        previous,
                        arrival,
                    });
                }
            }
            node.arrivals.push(arrival);
        }
        Ok(Trace { nodes })
    }

    /// Writes the trace as CSV with the header `node,arrival_ms`, rows in
    /// time order across nodes, times in milliseconds with up to six
    /// decimals (exact to the nanosecond).
    ///
    /// # Errors
    ///
    /// Any error of `writer`.
    pub fn write_csv(&self, mut writer: impl Write) -> io::Result<()> {
        writeln!(writer, "node,arrival_ms")?;
        let mut rows: Vec<(Timestamp, usize)> = self
            .nodes
            .iter()
            .enumerate()
            .flat_map(|(n, node)| node.arrivals.iter().map(move |&t| (t, n)))
            .collect();
        rows.sort_unstable();
        for (t, n) in rows {
            let ns = t.as_nanos();
            let (ms, frac) = (ns / 1_000_000, ns % 1_000_000);
            if frac == 0 {
                writeln!(writer, "{},{}", self.nodes[n].name, ms)?;
            } else {
                let digits = format!("{frac:06}");
                writeln!(
                    writer,
                    "{},{}.{}",
                    self.nodes[n].name,
                    ms,
                    digits.trim_end_matches('0')
                )?;
            }
        }
        Ok(())
    }
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with('#')
}

/// Fields separated by commas (surrounding spaces trimmed).
fn split_fields(line: &str) -> impl Iterator<Item = &str> {
    line.split(',').map(str::trim)
}

/// Why a trace could not be read.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TraceError {
    /// The header lacks a required column.
    MissingColumn {
        /// The column's name.
        column: &'static str,
    },
    /// A row has fewer fields than the column it needs.
    MissingField {
        /// Line number, from 1.
        line: usize,
        /// The missing column.
        column: &'static str,
    },
    /// An arrival time that is not a non-negative decimal number of milliseconds.
    BadNumber {
        /// Line number, from 1.
        line: usize,
        /// The text found.
        value: String,
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

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceError::MissingColumn { column } => {
                write!(f, "the header line has no `{column}` column")
            }
            TraceError::MissingField { line, column } => {
                write!(f, "line {line}: no value for column `{column}`")
            }
            TraceError::BadNumber { line, value } => write!(
                f,
                "line {line}: {value:?} is not a non-negative number of milliseconds"
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

    fn ms(t: u64) -> Timestamp {
        Timestamp::from_millis(t)
    }

    #[test]
    fn reads_interleaved_nodes_in_order_of_appearance() {
        let csv = "# a comment\nnode,arrival_ms,extra\nb,100,x\na,100.5,y\n\nb,200,z\na,201,w\n";
        let trace = Trace::read_csv(csv.as_bytes()).unwrap();
        let names: Vec<&str> = trace.nodes().iter().map(|n| n.name()).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(trace.nodes()[0].arrivals(), [ms(100), ms(200)]);
        assert_eq!(
            trace.nodes()[1].arrivals(),
            [Timestamp::from_micros(100_500), ms(201)]
        );
        assert_eq!(trace.len(), 4);
    }

    #[test]
    fn node_column_is_optional() {
        let trace = Trace::read_csv("arrival_ms\n1\n2\n".as_bytes()).unwrap();
        assert_eq!(trace.nodes().len(), 1);
        assert_eq!(trace.nodes()[0].name(), "node");
    }

    #[test]
    fn errors_name_the_line() {
        let err = Trace::read_csv("node,arrival_ms\na,5\na,4\n".as_bytes()).unwrap_err();
        assert!(
            matches!(err, TraceError::OutOfOrder { line: 3, .. }),
            "{err:?}"
        );
        assert!(err.to_string().starts_with("line 3:"));
        let err = Trace::read_csv("node,arrival_ms\na,five\n".as_bytes()).unwrap_err();
        assert_eq!(
            err,
            TraceError::BadNumber {
                line: 2,
                value: "five".into()
            }
        );
        let err = Trace::read_csv("node,arrival_ms\na,-1\n".as_bytes()).unwrap_err();
        assert!(matches!(err, TraceError::BadNumber { line: 2, .. }));
        let err = Trace::read_csv("node,arrival_ms\na\n".as_bytes()).unwrap_err();
        assert_eq!(
            err,
            TraceError::MissingField {
                line: 2,
                column: "arrival_ms"
            }
        );
        let err = Trace::read_csv("node,time\n".as_bytes()).unwrap_err();
        assert_eq!(
            err,
            TraceError::MissingColumn {
                column: "arrival_ms"
            }
        );
        assert!(Trace::read_csv("".as_bytes()).is_err());
    }

    #[test]
    fn csv_round_trips_to_the_nanosecond() {
        let trace = Trace::new(vec![
            NodeTrace::new("a", vec![ms(1), Timestamp::from_nanos(1_500_001)]).unwrap(),
            NodeTrace::new("b", vec![Timestamp::from_micros(1_250)]).unwrap(),
        ]);
        let mut out = Vec::new();
        trace.write_csv(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "node,arrival_ms\na,1\nb,1.25\na,1.500001\n");
        let back = Trace::read_csv(text.as_bytes()).unwrap();
        assert_eq!(back, trace);
    }

    #[test]
    fn node_trace_rejects_backward_arrivals() {
        let err = NodeTrace::new("x", vec![ms(2), ms(3), ms(1)]).unwrap_err();
        assert!(matches!(err, TraceError::OutOfOrder { line: 3, .. }));
        assert!(NodeTrace::new("x", vec![ms(2), ms(2)]).is_ok());
    }
}
