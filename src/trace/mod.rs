//! Recorded heartbeat arrivals: what replays, tuning and simulations share.
//!
//! A [`Trace`] holds, for each monitored node, the arrival times of its
//! heartbeats in order, and optionally the sender's sequence numbers.
//!
//! # The CSV format
//!
//! A header line names the columns, in any order; columns the reader does
//! not use are ignored.
//!
//! * `arrival_ms`, required: decimal milliseconds (another column and unit
//!   with [`ReadOptions::time_column`], e.g. nanoseconds from a raw log).
//!   Plain decimals are read exactly to the nanosecond.
//! * `node`, optional: the node's name, taken exactly as written (not
//!   trimmed; `#7` is a name). Without it, all rows belong to one node
//!   named `node`.
//! * `seq`, optional: the sender's sequence number, a non-negative integer
//!   or empty. It is kept per node ([`NodeTrace::seqs`]) for replays that
//!   will tell a lost heartbeat from a late one; no detector or replay uses
//!   it yet.
//!
//! Fields follow RFC 4180: a value holding the delimiter, a quote or a line
//! break is in double quotes, with its quotes doubled. The delimiter is `,`
//! `;` or tab, found from the header line (the first of these that splits
//! it into fields among which is the time column) unless
//! [`ReadOptions::delimiter`] gives one. Column names match ignoring ASCII
//! case and surrounding spaces. A UTF-8 byte-order mark (which Excel's "CSV
//! UTF-8" writes) is skipped.
//!
//! Blank lines are skipped anywhere, and lines starting with `#` only
//! before the header: after it, a row starting with `#` is data (a node
//! named `#7`), never a comment. A row with more fields than the header is
//! an error (usually a name holding the delimiter without quotes), as is
//! one without a value for a column the reader uses.
//!
//! Rows of different nodes may interleave, but each node's arrivals must not
//! go backwards: such a row is an error naming its line, because a replay of
//! it would not be the run that was recorded. Equal arrival times (duplicate
//! deliveries) are kept. A node's rows either all have a `seq` value or all
//! leave it empty.
//!
//! [`Trace::write_csv`] writes `node,arrival_ms` (and `seq` when a node has
//! sequence numbers), quoting names as needed, so that every trace reads
//! back with the same names, arrivals and sequence numbers; the nodes come
//! back in the order of their first arrival, as in any file read.
//!
//! # Streaming
//!
//! [`Trace::read_csv`] holds the whole trace in memory. [`Reader`], which it
//! is built on, yields the rows one at a time as [`Record`]s (node index,
//! sequence number, arrival) and keeps only a name and a few words per
//! node, for consumers that must not hold a multi-gigabyte file.

mod error;
mod read;
mod rows;
mod unit;
mod write;

pub use error::TraceError;
pub use read::{ReadOptions, Reader, Record};
pub use unit::TimeUnit;

use crate::time::Timestamp;
use std::io::{self, Read, Write};

/// Heartbeat arrivals of one node, in non-decreasing order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeTrace {
    name: String,
    arrivals: Vec<Timestamp>,
    /// The sender's sequence number of each arrival, when the trace had
    /// them: kept for the replays that will use them to tell loss from
    /// delay.
    seqs: Option<Vec<u64>>,
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
        Ok(NodeTrace {
            name,
            arrivals,
            seqs: None,
        })
    }

    /// A node's arrivals with the sender's sequence number of each.
    ///
    /// # Errors
    ///
    /// As [`NodeTrace::new`], and [`TraceError::SeqCount`] if there is not
    /// one sequence number per arrival.
    pub fn with_seqs(
        name: impl Into<String>,
        arrivals: Vec<Timestamp>,
        seqs: Vec<u64>,
    ) -> Result<Self, TraceError> {
        let mut node = NodeTrace::new(name, arrivals)?;
        if seqs.len() != node.arrivals.len() {
            return Err(TraceError::SeqCount {
                node: node.name,
                arrivals: node.arrivals.len(),
                seqs: seqs.len(),
            });
        }
        node.seqs = Some(seqs);
        Ok(node)
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Arrival times, in order.
    pub fn arrivals(&self) -> &[Timestamp] {
        &self.arrivals
    }

    /// The sender's sequence number of each arrival (same length as
    /// [`arrivals`](Self::arrivals)), if the trace had them. They are in
    /// arrival order, so they may repeat or go backwards where the network
    /// duplicated or reordered heartbeats.
    pub fn seqs(&self) -> Option<&[u64]> {
        self.seqs.as_deref()
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

    /// Every inter-arrival interval of every node, in nanoseconds (node by
    /// node, in arrival order).
    pub fn intervals_ns(&self) -> impl Iterator<Item = u64> + '_ {
        self.nodes.iter().flat_map(|n| {
            n.arrivals
                .windows(2)
                .map(|w| w[1].as_nanos() - w[0].as_nanos())
        })
    }

    /// Reads a CSV trace with the default [`ReadOptions`] (see the module
    /// documentation for the format).
    ///
    /// # Errors
    ///
    /// [`TraceError`] naming the line, the column and the value for a
    /// missing header or column, a bad value, or an arrival earlier than the
    /// same node's previous one.
    pub fn read_csv(reader: impl Read) -> Result<Trace, TraceError> {
        Trace::read_csv_with(reader, &ReadOptions::default())
    }

    /// Reads a CSV trace with the given delimiter and time column.
    ///
    /// # Errors
    ///
    /// As [`Trace::read_csv`].
    pub fn read_csv_with(reader: impl Read, options: &ReadOptions) -> Result<Trace, TraceError> {
        let mut rows = Reader::new(reader, options)?;
        let mut nodes: Vec<NodeTrace> = Vec::new();
        for row in rows.by_ref() {
            let Record { node, seq, at, .. } = row?;
            if node == nodes.len() {
                nodes.push(NodeTrace {
                    name: String::new(),
                    arrivals: Vec::new(),
                    seqs: seq.map(|_| Vec::new()),
                });
            }
            let trace = &mut nodes[node];
            trace.arrivals.push(at);
            // The reader has checked that a node's rows all have a sequence
            // number or none has.
            if let (Some(seqs), Some(seq)) = (&mut trace.seqs, seq) {
                seqs.push(seq);
            }
        }
        for (trace, name) in nodes.iter_mut().zip(rows.nodes()) {
            trace.name.clone_from(name);
        }
        Ok(Trace { nodes })
    }

    /// Writes the trace as CSV with the header `node,arrival_ms` (then
    /// `,seq` if a node has sequence numbers; nodes without leave it
    /// empty), rows in time order across nodes, times in milliseconds with
    /// up to six decimals (exact to the nanosecond). A name is quoted when a
    /// reader could mistake it: when it holds a quote, a line break, `,`,
    /// `;` or a tab, starts with `#`, has spaces at either end, or is empty.
    ///
    /// # Errors
    ///
    /// Any error of `writer`.
    pub fn write_csv(&self, writer: impl Write) -> io::Result<()> {
        write::write_csv(self, writer)
    }
}

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
                column: "arrival_ms".into(),
                unit: TimeUnit::Millis,
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
                column: "arrival_ms".into()
            }
        );
        let err = Trace::read_csv("node,time\n".as_bytes()).unwrap_err();
        assert_eq!(
            err,
            TraceError::MissingColumn {
                column: "arrival_ms".into(),
                line: 1,
                header: "node|time".into(),
                delimiter: b',',
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
