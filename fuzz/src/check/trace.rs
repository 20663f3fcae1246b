//! The trace CSV reader on arbitrary bytes: it never panics; the records
//! it yields keep the documented order (line numbers increasing, a node's
//! arrivals never going backwards, node indices given in order of first
//! appearance, sequence numbers on all of a node's rows or none); an
//! error names a line of the input (its message says which) and ends the
//! stream; the in-memory reader agrees with the streaming one; and a trace
//! read successfully writes back to CSV that reads back the same.

use accrual::trace::{ReadOptions, Reader, TimeUnit, Trace, TraceError};
use accrual::Timestamp;

/// How the bytes are read.
#[derive(Clone, Debug)]
pub struct Options {
    /// A delimiter to use instead of finding one from the header.
    pub delimiter: Option<u8>,
    /// Another time column than `arrival_ms`: its name and unit (index
    /// into `TimeUnit::ALL`).
    pub time_column: Option<(String, usize)>,
}

impl Options {
    fn read_options(&self) -> ReadOptions {
        let mut options = ReadOptions::new();
        if let Some(d) = self.delimiter {
            options = options.delimiter(d);
        }
        if let Some((name, unit)) = &self.time_column {
            options = options.time_column(name.clone(), TimeUnit::ALL[unit % TimeUnit::ALL.len()]);
        }
        options
    }
}

/// The line an error names, if it names one.
fn error_line(e: &TraceError) -> Option<usize> {
    match e {
        TraceError::MissingColumn { line, .. }
        | TraceError::DuplicateColumn { line, .. }
        | TraceError::MissingField { line, .. }
        | TraceError::ExtraFields { line, .. }
        | TraceError::BadNumber { line, .. }
        | TraceError::BadSeq { line, .. }
        | TraceError::NotUtf8 { line, .. }
        | TraceError::MixedSeq { line, .. }
        | TraceError::OutOfOrder { line, .. }
        | TraceError::Io { line, .. } => Some(*line),
        _ => None,
    }
}

/// Reads `bytes` with `options` and checks everything above.
pub fn check(options: &Options, bytes: &[u8]) {
    let read_options = options.read_options();
    // A line starts after each line break, `\r` alone included.
    let lines = 1 + bytes.iter().filter(|&&b| b == b'\n' || b == b'\r').count();
    let names_a_line = |e: &TraceError| {
        if let Some(line) = error_line(e) {
            assert!(
                (1..=lines).contains(&line),
                "{e:?} names line {line} of {lines}"
            );
            assert!(
                e.to_string().contains(&format!("line {line}")),
                "the message does not name the line: {e}"
            );
        }
    };
    let streamed = match Reader::new(bytes, &read_options) {
        Err(e) => {
            names_a_line(&e);
            let in_memory = Trace::read_csv_with(bytes, &read_options);
            assert_eq!(in_memory, Err(e), "the two readers disagree on the header");
            return;
        }
        Ok(mut reader) => {
            let mut per_node: Vec<Vec<Timestamp>> = Vec::new();
            let mut seqs: Vec<Option<Vec<u64>>> = Vec::new();
            let mut last_line = 0;
            let mut failed = None;
            for record in reader.by_ref() {
                match record {
                    Err(e) => {
                        names_a_line(&e);
                        assert!(error_line(&e).is_none_or(|l| l > last_line));
                        failed = Some(e);
                        break;
                    }
                    Ok(r) => {
                        assert!(r.line > last_line, "line {} after line {last_line}", r.line);
                        assert!(r.line <= lines, "line {} of {lines}", r.line);
                        last_line = r.line;
                        assert!(r.node <= per_node.len(), "node {} out of order", r.node);
                        if r.node == per_node.len() {
                            per_node.push(Vec::new());
                            seqs.push(r.seq.map(|_| Vec::new()));
                        }
                        if let Some(&previous) = per_node[r.node].last() {
                            assert!(
                                r.at >= previous,
                                "line {}: a node went back in time",
                                r.line
                            );
                        }
                        per_node[r.node].push(r.at);
                        match (&mut seqs[r.node], r.seq) {
                            (Some(s), Some(seq)) => s.push(seq),
                            (None, None) => {}
                            _ => panic!("line {}: a node's rows mix sequence numbers", r.line),
                        }
                    }
                }
            }
            assert!(reader.next().is_none(), "the reader went on after its end");
            let read = reader.bytes_read();
            assert!(
                read <= bytes.len() as u64,
                "read {read} of {} bytes",
                bytes.len()
            );
            assert_eq!(reader.nodes().len(), per_node.len());
            match failed {
                Some(e) => Err(e),
                None => Ok((reader.nodes().to_vec(), per_node, seqs)),
            }
        }
    };
    let in_memory = Trace::read_csv_with(bytes, &read_options);
    match (streamed, in_memory) {
        (Err(a), Err(b)) => assert_eq!(a, b, "the two readers fail differently"),
        (Ok((names, arrivals, seqs)), Ok(trace)) => {
            assert_eq!(trace.nodes().len(), names.len());
            for (k, node) in trace.nodes().iter().enumerate() {
                assert_eq!(node.name(), names[k]);
                assert_eq!(node.arrivals(), arrivals[k].as_slice());
                assert_eq!(node.seqs(), seqs[k].as_deref());
            }
            round_trip(&trace);
        }
        (a, b) => panic!("the two readers disagree: {a:?} against {b:?}"),
    }
}

/// A trace written as CSV reads back with the same names, arrivals and
/// sequence numbers; the nodes come back in the order of their first
/// arrival (the writer writes rows in time order), so they are compared by
/// name.
fn round_trip(trace: &Trace) {
    let mut csv = Vec::new();
    trace.write_csv(&mut csv).expect("writing to memory");
    let back = Trace::read_csv(csv.as_slice()).unwrap_or_else(|e| {
        panic!(
            "a written trace does not read back: {e}\n{}",
            String::from_utf8_lossy(&csv)
        )
    });
    let by_name = |t: &Trace| {
        let mut nodes = t.nodes().to_vec();
        nodes.sort_by(|a, b| a.name().cmp(b.name()));
        nodes
    };
    assert_eq!(
        by_name(&back),
        by_name(trace),
        "a trace changed in a CSV round trip"
    );
}
