//! Trace files as users have them: spreadsheets' byte-order marks and
//! delimiters, quoted names, columns in any order, raw logs in other units,
//! sequence numbers; every trace written reads back exactly; every bad
//! input is an error that names its line, its column and its value.

use accrual::simulate::{self, Profile, Scenario};
use accrual::trace::{NodeTrace, ReadOptions, Reader, Record, TimeUnit, Trace, TraceError};
use accrual::Timestamp;
use std::io::{self, Read};

fn read(csv: &str) -> Result<Trace, TraceError> {
    Trace::read_csv(csv.as_bytes())
}

fn names(trace: &Trace) -> Vec<&str> {
    trace.nodes().iter().map(NodeTrace::name).collect()
}

fn ms(t: u64) -> Timestamp {
    Timestamp::from_millis(t)
}

/// The three-node trace of the other tests, as the reference to compare
/// every spelling of it with.
fn three_nodes() -> Trace {
    read("node,arrival_ms\na,0\nb,0\nc,5\na,100\nb,100\nc,105\n").expect("a plain trace")
}

#[test]
fn a_byte_order_mark_does_not_hide_the_node_column() {
    // Excel's "CSV UTF-8" starts the file with EF BB BF; a reader that kept
    // it would see a column named "\u{feff}node", merge the nodes into one
    // and find them out of order.
    let csv = "\u{feff}node,arrival_ms\na,0\nb,0\nc,5\na,100\nb,100\nc,105\n";
    assert_eq!(read(csv).unwrap(), three_nodes());
    // Excel in a locale with a decimal comma: BOM, semicolons, CRLF.
    let csv = "\u{feff}node;arrival_ms\r\na;0\r\nb;0\r\nc;5\r\na;100\r\nb;100\r\nc;105\r\n";
    assert_eq!(read(csv).unwrap(), three_nodes());
}

#[test]
fn semicolons_and_tabs_are_found_from_the_header() {
    let semicolons = "node;arrival_ms\na;0\nb;0\nc;5\na;100\nb;100\nc;105\n";
    let tabs = "node\tarrival_ms\na\t0\nb\t0\nc\t5\na\t100\nb\t100\nc\t105\n";
    for csv in [semicolons, tabs] {
        assert_eq!(read(csv).unwrap(), three_nodes(), "{csv:?}");
    }
    let given = ReadOptions::new().delimiter(b';');
    assert_eq!(
        Trace::read_csv_with(semicolons.as_bytes(), &given).unwrap(),
        three_nodes()
    );
    let mut reader = Reader::new(tabs.as_bytes(), &ReadOptions::new()).unwrap();
    assert_eq!(reader.delimiter(), b'\t');
    assert_eq!(reader.by_ref().count(), 6);
}

#[test]
fn a_wrong_delimiter_shows_the_fields_it_split() {
    let options = ReadOptions::new().delimiter(b',');
    let err = Trace::read_csv_with("node;arrival_ms\na;0\n".as_bytes(), &options).unwrap_err();
    assert_eq!(
        err,
        TraceError::MissingColumn {
            column: "arrival_ms".into(),
            line: 1,
            header: "node;arrival_ms".into(),
            delimiter: b','
        }
    );
    assert_eq!(
        err.to_string(),
        "line 1: the header has no `arrival_ms` column (split at `,`, its fields are \
         \"node;arrival_ms\"; is the delimiter `;`?)"
    );
    // A header that is simply wrong gets no such hint.
    let err = read("node,time\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 1: the header has no `arrival_ms` column (split at `,`, its fields are \
         \"node|time\")"
    );
    for bad in [b'"', b'\n', b'\r', 0xC3] {
        let options = ReadOptions::new().delimiter(bad);
        assert_eq!(
            Reader::new("arrival_ms\n".as_bytes(), &options).unwrap_err(),
            TraceError::BadDelimiter { delimiter: bad }
        );
    }
}

#[test]
fn columns_come_in_any_order_case_and_spacing() {
    let reordered = "arrival_ms,extra,node\n0,x,a\n0,y,b\n5,,c\n100,,a\n100,,b\n105,,c\n";
    assert_eq!(read(reordered).unwrap(), three_nodes());
    let spelled = " ARRIVAL_MS , Node \n0,a\n0,b\n5,c\n100,a\n100,b\n105,c\n";
    assert_eq!(read(spelled).unwrap(), three_nodes());
}

#[test]
fn a_quoted_header_is_read_like_a_bare_one() {
    let csv = "\"node\",\"arrival_ms\"\na,0\nb,0\nc,5\na,100\nb,100\nc,105\n";
    assert_eq!(read(csv).unwrap(), three_nodes());
}

#[test]
fn quoted_names_keep_delimiters_quotes_and_line_breaks() {
    let csv =
        "node,arrival_ms\n\"db-1,eu\",0\n\"say \"\"hi\"\"\",1\n\"two\nlines\",2\n\"db-1,eu\",3\n";
    let trace = read(csv).unwrap();
    assert_eq!(names(&trace), ["db-1,eu", "say \"hi\"", "two\nlines"]);
    assert_eq!(trace.nodes()[0].arrivals(), [ms(0), ms(3)]);
    // The quoted line break counts: the row added after the five lines
    // above (six with the break) is on line 7.
    let err = read(&format!("{csv}x,oops\n")).unwrap_err();
    assert!(
        matches!(err, TraceError::BadNumber { line: 7, .. }),
        "{err:?}"
    );
}

#[test]
fn names_are_taken_exactly_as_written() {
    // Not trimmed, and `#` starts a name, not a comment, after the header.
    let csv = "node,arrival_ms\n#7,0\n a ,0\na,1\n#7,10\n";
    let trace = read(csv).unwrap();
    assert_eq!(names(&trace), ["#7", " a ", "a"]);
    assert_eq!(trace.nodes()[0].arrivals(), [ms(0), ms(10)]);
}

#[test]
fn blank_lines_anywhere_and_comments_before_the_header_are_skipped() {
    let csv = "\u{feff}# exported by a probe\n\n  # another note\nnode,arrival_ms\n\na,0\n\n\nb,0\nc,5\na,100\nb,100\r\n\r\nc,105\n\n";
    assert_eq!(read(csv).unwrap(), three_nodes());
    // Line numbers count the skipped lines: the bad row is on line 6.
    let err = read("# note\n\nnode,arrival_ms\na,0\n\na,x\n").unwrap_err();
    assert!(
        matches!(err, TraceError::BadNumber { line: 6, .. }),
        "{err:?}"
    );
    for empty in ["", "\u{feff}", "\n\n", "# only a comment\n"] {
        assert_eq!(read(empty).unwrap_err(), TraceError::NoHeader, "{empty:?}");
    }
}

#[test]
fn simulated_names_round_trip_exactly() {
    let scenario = Scenario::builder(Profile::Wan)
        .duration_s(60.0)
        .nodes(8)
        .seed(16)
        .build()
        .unwrap();
    let simulated = simulate::generate(&scenario);
    let tricky = [
        "db-1,eu",
        "#7",
        " leading",
        "trailing ",
        "say \"hi\"",
        "",
        "two\nlines",
        "a;b\tc",
    ];
    let renamed = Trace::new(
        simulated
            .nodes()
            .iter()
            .zip(tricky)
            .map(|(node, name)| NodeTrace::new(name, node.arrivals().to_vec()).unwrap())
            .collect(),
    );
    let mut csv = Vec::new();
    renamed.write_csv(&mut csv).unwrap();
    let back = Trace::read_csv(csv.as_slice()).unwrap();
    // The nodes come back in the order of their first arrival (the file is
    // in time order), each with its name and arrivals unchanged.
    assert_eq!(back.len(), renamed.len());
    let mut by_first_arrival = renamed.nodes().to_vec();
    by_first_arrival.sort_by_key(|n| n.arrivals()[0]);
    assert_eq!(back.nodes(), by_first_arrival);
    let mut back_names = names(&back);
    back_names.sort_unstable();
    let mut expected = tricky.to_vec();
    expected.sort_unstable();
    assert_eq!(back_names, expected);
    // The same file read as semicolon-separated by a spreadsheet would
    // not split any name: every name holding `;` or a tab is quoted.
    let text = String::from_utf8(csv).unwrap();
    assert!(text.contains("\"a;b\tc\","), "{text}");
}

#[test]
fn sequence_numbers_are_kept_per_node_and_round_trip() {
    // b's heartbeats 2 and 3 arrive swapped: sequence numbers are kept in
    // arrival order, as received.
    let csv = "seq,node,arrival_ms\n1,a,0\n1,b,1\n2,a,100\n3,b,150\n2,b,160\n3,a,200\n";
    let trace = read(csv).unwrap();
    assert_eq!(trace.nodes()[0].seqs(), Some(&[1, 2, 3][..]));
    assert_eq!(trace.nodes()[1].seqs(), Some(&[1, 3, 2][..]));
    let mut out = Vec::new();
    trace.write_csv(&mut out).unwrap();
    assert_eq!(
        String::from_utf8(out.clone()).unwrap(),
        "node,arrival_ms,seq\na,0,1\nb,1,1\na,100,2\nb,150,3\nb,160,2\na,200,3\n"
    );
    assert_eq!(Trace::read_csv(out.as_slice()).unwrap(), trace);

    // A node with no sequence numbers beside one with them.
    let mixed = Trace::new(vec![
        NodeTrace::with_seqs("a", vec![ms(0), ms(100)], vec![7, 8]).unwrap(),
        NodeTrace::new("b", vec![ms(50)]).unwrap(),
    ]);
    let mut out = Vec::new();
    mixed.write_csv(&mut out).unwrap();
    assert_eq!(
        String::from_utf8(out.clone()).unwrap(),
        "node,arrival_ms,seq\na,0,7\nb,50,\na,100,8\n"
    );
    let back = Trace::read_csv(out.as_slice()).unwrap();
    assert_eq!(back, mixed);
    assert_eq!(back.nodes()[1].seqs(), None);
    // Without a seq column there are none.
    assert_eq!(three_nodes().nodes()[0].seqs(), None);
    assert_eq!(
        NodeTrace::with_seqs("a", vec![ms(0)], vec![]).unwrap_err(),
        TraceError::SeqCount {
            node: "a".into(),
            arrivals: 1,
            seqs: 0
        }
    );
}

#[test]
fn raw_logs_in_other_columns_and_units() {
    // Nanoseconds since 1970: 19 digits, beyond f64's exact integers.
    let log = "host\trecv_ns\nx\t1765000000000000001\nx\t1765000000100000003\n";
    let options = ReadOptions::new().time_column("recv_ns", TimeUnit::Nanos);
    let trace = Trace::read_csv_with(log.as_bytes(), &options).unwrap();
    // No `node` column: one node named `node`; `host` is ignored.
    assert_eq!(names(&trace), ["node"]);
    assert_eq!(
        trace.nodes()[0].arrivals(),
        [
            Timestamp::from_nanos(1_765_000_000_000_000_001),
            Timestamp::from_nanos(1_765_000_000_100_000_003)
        ]
    );
    let seconds = "node,t\na,1.5\na,2.25\n";
    let options = ReadOptions::new().time_column("T", TimeUnit::Secs);
    let trace = Trace::read_csv_with(seconds.as_bytes(), &options).unwrap();
    assert_eq!(trace.nodes()[0].arrivals(), [ms(1500), ms(2250)]);
    let micros = "node,at_us\na,1500\na,2250.5\n";
    let options = ReadOptions::new().time_column("at_us", TimeUnit::Micros);
    let trace = Trace::read_csv_with(micros.as_bytes(), &options).unwrap();
    assert_eq!(
        trace.nodes()[0].arrivals(),
        [
            Timestamp::from_micros(1500),
            Timestamp::from_nanos(2_250_500)
        ]
    );
    // With another time column, `arrival_ms` is just another column.
    let err = Trace::read_csv_with("arrival_ms\n5\n".as_bytes(), &options).unwrap_err();
    assert!(matches!(err, TraceError::MissingColumn { ref column, .. } if column == "at_us"));
}

#[test]
fn each_error_names_its_line_column_and_value() {
    let cases: [(&str, TraceError, &str); 8] = [
        (
            "node,arrival_ms\na,five\n",
            TraceError::BadNumber {
                line: 2,
                column: "arrival_ms".into(),
                unit: TimeUnit::Millis,
                value: "five".into(),
            },
            "line 2, column `arrival_ms`: \"five\" is not a non-negative number of milliseconds",
        ),
        (
            "node,arrival_ms,seq\na,1,one\n",
            TraceError::BadSeq {
                line: 2,
                column: "seq".into(),
                value: "one".into(),
            },
            "line 2, column `seq`: \"one\"",
        ),
        (
            "node,arrival_ms,seq\na,1,1\na,2,\n",
            TraceError::MixedSeq {
                line: 3,
                node: "a".into(),
            },
            "line 3: node \"a\"",
        ),
        (
            "node,arrival_ms\na\n",
            TraceError::MissingField {
                line: 2,
                column: "arrival_ms".into(),
            },
            "line 2: no value for column `arrival_ms`",
        ),
        (
            "node,arrival_ms\ndb-1,eu,5\n",
            TraceError::ExtraFields {
                line: 2,
                expected: 2,
                found: 3,
            },
            "line 2: 3 fields where the header has 2",
        ),
        (
            "node,arrival_ms,Node\na,1,b\n",
            TraceError::DuplicateColumn {
                column: "node".into(),
                line: 1,
            },
            "line 1: the header has two `node` columns",
        ),
        (
            "node,arrival_ms\na,5\nb,1\na,4\n",
            TraceError::OutOfOrder {
                line: 4,
                node: "a".into(),
                previous: ms(5),
                arrival: ms(4),
            },
            "line 4: arrival",
        ),
        (
            "node,time\na,1\n",
            TraceError::MissingColumn {
                column: "arrival_ms".into(),
                line: 1,
                header: "node|time".into(),
                delimiter: b',',
            },
            "line 1: the header has no `arrival_ms` column",
        ),
    ];
    for (csv, expected, message) in &cases {
        let err = read(csv).unwrap_err();
        assert_eq!(&err, expected, "{csv:?}");
        assert!(err.to_string().starts_with(message), "{err}");
    }

    let not_utf8 = b"node,arrival_ms\nok,1\n\xff\xfe,2\n";
    assert_eq!(
        Trace::read_csv(&not_utf8[..]).unwrap_err(),
        TraceError::NotUtf8 {
            line: 3,
            column: "node".into(),
            value: "\u{fffd}\u{fffd}".into()
        }
    );
    assert!(matches!(
        "fortnights".parse::<TimeUnit>(),
        Err(TraceError::UnknownTimeUnit { .. })
    ));
}

#[test]
fn a_huge_bad_value_is_not_echoed_in_full() {
    // A 16 MB token (a file whose line breaks were lost, say): the error
    // quotes its first 48 characters.
    let token = "9".repeat(16 << 20) + "x";
    let csv = format!("node,arrival_ms\na,1\na,{token}\n");
    let err = read(&csv).unwrap_err();
    let TraceError::BadNumber {
        line, ref value, ..
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!(line, 3);
    assert_eq!(value, &format!("{}…", "9".repeat(48)));
    assert!(err.to_string().len() < 200, "{}", err.to_string().len());
}

#[test]
fn the_reader_streams_records_with_interned_nodes() {
    let csv = "node,seq,arrival_ms\nb,1,100\na,1,100.5\nb,2,200\n";
    let mut reader = Reader::new(csv.as_bytes(), &ReadOptions::new()).unwrap();
    assert_eq!(reader.bytes_read(), "node,seq,arrival_ms\n".len() as u64);
    assert!(reader.has_seq_column());
    let first = reader.next().unwrap().unwrap();
    assert_eq!(
        (first.node, first.seq, first.at, first.line),
        (0, Some(1), ms(100), 2)
    );
    assert_eq!(reader.nodes(), ["b"]);
    let rest: Vec<Record> = reader.by_ref().map(Result::unwrap).collect();
    let summary: Vec<(usize, Option<u64>, u64)> = rest
        .iter()
        .map(|r| (r.node, r.seq, r.at.as_nanos()))
        .collect();
    assert_eq!(
        summary,
        [(1, Some(1), 100_500_000), (0, Some(2), 200_000_000)]
    );
    assert_eq!(reader.nodes(), ["b", "a"]);
    assert!(reader.next().is_none());
    // Every byte was read, header included.
    assert_eq!(reader.bytes_read(), csv.len() as u64);
}

#[test]
fn the_reader_stops_at_the_first_error() {
    let csv = "node,arrival_ms\na,1\na,x\na,2\n";
    let results: Vec<_> = Reader::new(csv.as_bytes(), &ReadOptions::new())
        .unwrap()
        .collect();
    assert_eq!(results.len(), 2);
    assert!(results[0].is_ok() && results[1].is_err());
}

/// A reader that hands out one byte per call, as a slow pipe may.
struct Trickle<'a>(&'a [u8]);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn short_reads_split_nothing() {
    let csv = "\u{feff}# note\nnode;arrival_ms\n\"x;y\";0\na;0\nb;0\nc;5\na;100\nb;100\nc;105\n";
    let trace = Trace::read_csv(Trickle(csv.as_bytes())).unwrap();
    assert_eq!(names(&trace), ["x;y", "a", "b", "c"]);
}

/// Generates `rows` rows of `nodes` nodes on demand, never holding them.
struct Generated {
    row: u64,
    rows: u64,
    nodes: u64,
    pending: Vec<u8>,
}

impl Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pending.is_empty() && self.row <= self.rows {
            self.pending = if self.row == 0 {
                b"node,arrival_ms\n".to_vec()
            } else {
                let r = self.row - 1;
                format!("n{},{}\n", r % self.nodes, r / self.nodes * 100).into_bytes()
            };
            self.row += 1;
        }
        let n = self.pending.len().min(buf.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending.drain(..n);
        Ok(n)
    }
}

#[test]
fn the_reader_consumes_input_it_never_holds_whole() {
    // 200 000 rows of 4 nodes read as a stream: the reader sees them all,
    // in order, per node 50 000 arrivals 100 ms apart.
    let input = Generated {
        row: 0,
        rows: 200_000,
        nodes: 4,
        pending: Vec::new(),
    };
    let mut reader = Reader::new(input, &ReadOptions::new()).unwrap();
    let mut count = [0u64; 4];
    let mut last = [None; 4];
    for record in reader.by_ref() {
        let record = record.unwrap();
        count[record.node] += 1;
        last[record.node] = Some(record.at);
    }
    assert_eq!(reader.nodes(), ["n0", "n1", "n2", "n3"]);
    assert_eq!(count, [50_000; 4]);
    assert_eq!(last, [Some(ms(49_999 * 100)); 4]);
}

#[test]
fn a_name_starting_with_a_byte_order_mark_survives_a_round_trip() {
    // Written bare as the first row, U+FEFF would be taken for a byte order
    // mark and dropped by the parser: such a name is quoted.
    let trace = Trace::new(vec![
        NodeTrace::new("\u{feff}", vec![Timestamp::from_millis(1)]).unwrap(),
        NodeTrace::new("\u{feff}b", vec![Timestamp::from_millis(2)]).unwrap(),
    ]);
    let mut csv = Vec::new();
    trace.write_csv(&mut csv).unwrap();
    assert_eq!(Trace::read_csv(csv.as_slice()).unwrap(), trace);
}
