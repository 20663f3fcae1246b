//! The inverse of [`decode`](crate::decode) for the inputs it reads: a
//! plain input written as the bytes that decode to it, so that the seed
//! corpus can hold hand-written cases (`examples/write_seeds.rs`). Each
//! number is written on `decode`'s widest scale, which holds any value.

use crate::check::{detector, monitor, spec::ConfigSpec, tune};
use std::time::Duration;

#[derive(Default)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    /// A choice read by `int_in_range` over a `u8` range (one byte).
    fn tag(&mut self, choice: u8) {
        self.0.push(choice);
    }
    fn le(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
    pub fn nanos(&mut self, ns: u64) {
        self.tag(7);
        self.le(&ns.to_le_bytes());
    }
    pub fn duration(&mut self, d: Duration) {
        self.tag(3);
        self.le(&d.as_secs().to_le_bytes());
        // `int_in_range` over a `u32` range reads big-endian.
        self.0.extend_from_slice(&d.subsec_nanos().to_be_bytes());
    }
    pub fn float(&mut self, x: f64) {
        self.tag(3);
        self.le(&x.to_bits().to_le_bytes());
    }
    pub fn size(&mut self, n: usize) {
        self.tag(3);
        let n = u32::try_from(n).expect("a size below 2^24 + 2");
        self.0.extend_from_slice(&n.to_be_bytes());
    }
    fn index(&mut self, i: usize) {
        self.0.push(u8::try_from(i).expect("a small index"));
    }
    pub fn config(&mut self, c: &ConfigSpec) {
        self.index(c.model);
        self.float(c.threshold);
        self.size(c.max_sample_size);
        self.duration(c.min_std_deviation);
        self.duration(c.acceptable_pause);
        self.duration(c.first_heartbeat_estimate);
        self.float(c.interval_warning_fraction);
        self.size(c.short_window);
        for x in c.bertier {
            self.float(x);
        }
        self.index(c.learning);
        self.index(c.period);
        self.index(c.bootstrap);
    }
    fn at(&mut self, at: detector::At) {
        match at {
            detector::At::After(d) => {
                self.tag(1);
                self.nanos(d);
            }
            detector::At::Before(d) => {
                self.tag(0);
                self.nanos(d);
            }
        }
    }
}

pub fn detector_ops(spec: &ConfigSpec, start: u64, ops: &[detector::Op]) -> Vec<u8> {
    use detector::Op;
    let mut b = Bytes::default();
    b.config(spec);
    b.nanos(start);
    for op in ops {
        match *op {
            Op::Heartbeat(d) => {
                b.tag(0);
                b.nanos(d);
            }
            Op::Late(d) => {
                b.tag(3);
                b.nanos(d);
            }
            Op::Numbered { after, step } => {
                b.tag(4);
                b.nanos(after);
                b.tag(u8::try_from(step).expect("a step of 0 to 3"));
            }
            Op::Phi(at) => {
                b.tag(5);
                b.at(at);
            }
            Op::IsAvailable(at) => {
                b.tag(6);
                b.at(at);
            }
            Op::Deadline => b.tag(7),
            Op::DeadlineFor(phi) => {
                b.tag(8);
                b.float(phi);
            }
            Op::Reset => b.tag(9),
        }
    }
    b.0
}

pub fn monitor_ops(setup: &monitor::Setup, ops: &[monitor::Op]) -> Vec<u8> {
    use monitor::Op;
    let mut b = Bytes::default();
    b.config(&setup.config);
    // `int_in_range(1..=4)` over `usize`: one byte, 1 + byte % 4.
    b.tag(u8::try_from(setup.thresholds.len() - 1).expect("1 to 4 thresholds"));
    for &t in &setup.thresholds {
        b.float(t);
    }
    b.duration(setup.expected_response_after);
    b.tag(setup.shards_log2);
    b.nanos(setup.start);
    for op in ops {
        let (peer, tag) = match *op {
            Op::Beat(p, _) => (p, 0),
            Op::Late(p, _) => (p, 5),
            Op::Tick(_) => (0, 6),
            Op::LateTick(_) => (0, 9),
            Op::Watch(p) => (p, 10),
            Op::Remove(p) => (p, 11),
            Op::Reset => (0, 11),
            Op::Numbered { peer, .. } => (peer, 12),
        };
        b.index(peer);
        b.tag(tag);
        match *op {
            Op::Beat(_, d) | Op::Late(_, d) | Op::Tick(d) | Op::LateTick(d) => b.nanos(d),
            Op::Watch(_) => {}
            Op::Remove(_) => b.tag(1),
            Op::Reset => b.tag(0),
            Op::Numbered { after, step, .. } => {
                b.nanos(after);
                b.tag(u8::try_from(step).expect("a step of 0 to 3"));
            }
        }
    }
    b.0
}

pub fn tune_case(case: &tune::Case) -> Vec<u8> {
    let mut b = Bytes::default();
    b.config(&case.config);
    b.tag(u8::try_from(case.thresholds.len()).expect("at most 6 thresholds"));
    for &t in &case.thresholds {
        b.float(t);
    }
    b.tag(u8::try_from(case.warmup).expect("a warm-up of 0 to 4"));
    match case.train_fraction {
        None => b.tag(0),
        Some(f) => {
            b.tag(1);
            b.float(f);
        }
    }
    b.tag(u8::from(case.seqs.is_some()));
    // The first arrival is the start; each next is a step from the one
    // before, back or forth.
    let mut previous = case.arrivals.first().copied().unwrap_or(0);
    b.nanos(previous);
    let seqs = case
        .seqs
        .clone()
        .unwrap_or_else(|| vec![0; case.arrivals.len()]);
    let mut last_seq = 0;
    for (&a, &s) in case.arrivals.iter().zip(&seqs) {
        if a >= previous {
            b.tag(1);
            b.nanos(a - previous);
        } else {
            b.tag(0);
            b.nanos(previous - a);
        }
        b.tag(u8::try_from(s - last_seq).expect("numbers 0 to 2 apart"));
        previous = a;
        last_seq = s;
    }
    b.0
}
