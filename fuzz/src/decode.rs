//! From the fuzzer's bytes to the checks' inputs. Numbers are drawn on
//! several scales (a few nanoseconds to years, and now and then any
//! value at all), so that short inputs reach both ordinary and extreme
//! configurations and times.

use crate::check::{detector, monitor, spec::ConfigSpec, trace, tune};
use arbitrary::{Result, Unstructured};
use std::time::Duration;

/// A count of nanoseconds on one of several scales.
pub fn nanos(u: &mut Unstructured) -> Result<u64> {
    Ok(match u.int_in_range(0..=7u8)? {
        0 => u64::from(u.arbitrary::<u8>()?),
        1 => u64::from(u.arbitrary::<u16>()?) * 1_000,
        2 => u64::from(u.arbitrary::<u16>()?) * 1_000_000,
        3 => u64::from(u.arbitrary::<u16>()?) * 100_000_000,
        4 => u64::from(u.arbitrary::<u16>()?) * 60_000_000_000,
        5 => u64::from(u.arbitrary::<u32>()?) * 1_000_000_000,
        6 => u64::MAX - u64::from(u.arbitrary::<u16>()?),
        _ => u.arbitrary()?,
    })
}

/// A duration on one of several scales, up to `Duration::MAX`.
pub fn duration(u: &mut Unstructured) -> Result<Duration> {
    Ok(match u.int_in_range(0..=3u8)? {
        0..=2 => Duration::from_nanos(nanos(u)?),
        _ => Duration::new(u.arbitrary()?, u.int_in_range(0..=999_999_999)?),
    })
}

/// A float: ordinary values, edges, or any bit pattern.
pub fn float(u: &mut Unstructured) -> Result<f64> {
    const EDGES: [f64; 12] = [
        0.0,
        -1.0,
        1e-300,
        f64::MIN_POSITIVE,
        0.5,
        1.0,
        8.0,
        1e9,
        1e300,
        f64::MAX,
        f64::INFINITY,
        f64::NAN,
    ];
    Ok(match u.int_in_range(0..=3u8)? {
        0 | 1 => f64::from(u.arbitrary::<u16>()?) / 1000.0,
        2 => *u.choose(&EDGES)?,
        _ => f64::from_bits(u.arbitrary()?),
    })
}

/// A size: mostly small, sometimes up to the window's limit and past it.
pub fn size(u: &mut Unstructured) -> Result<usize> {
    Ok(match u.int_in_range(0..=3u8)? {
        0..=2 => u.int_in_range(0..=64)?,
        _ => u.int_in_range(0..=(1 << 24) + 1)?,
    })
}

pub fn config(u: &mut Unstructured) -> Result<ConfigSpec> {
    Ok(ConfigSpec {
        model: u.arbitrary::<u8>()?.into(),
        threshold: float(u)?,
        max_sample_size: size(u)?,
        min_std_deviation: duration(u)?,
        acceptable_pause: duration(u)?,
        first_heartbeat_estimate: duration(u)?,
        interval_warning_fraction: float(u)?,
        short_window: size(u)?,
        bertier: [float(u)?, float(u)?, float(u)?],
        learning: u.arbitrary::<u8>()?.into(),
        period: u.arbitrary::<u8>()?.into(),
        bootstrap: u.arbitrary::<u8>()?.into(),
    })
}

fn at(u: &mut Unstructured) -> Result<detector::At> {
    Ok(if u.arbitrary()? {
        detector::At::After(nanos(u)?)
    } else {
        detector::At::Before(nanos(u)?)
    })
}

/// The detector target's input: a configuration, a start and operations.
pub fn detector_ops(u: &mut Unstructured) -> Result<(ConfigSpec, u64, Vec<detector::Op>)> {
    use detector::Op;
    let spec = config(u)?;
    let start = nanos(u)?;
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < 256 {
        ops.push(match u.int_in_range(0..=9u8)? {
            0..=2 => Op::Heartbeat(nanos(u)?),
            3 => Op::Late(nanos(u)?),
            4 => Op::Numbered {
                after: nanos(u)?,
                step: u.int_in_range(0..=3)?,
            },
            5 => Op::Phi(at(u)?),
            6 => Op::IsAvailable(at(u)?),
            7 => Op::Deadline,
            8 => Op::DeadlineFor(float(u)?),
            _ => Op::Reset,
        });
    }
    Ok((spec, start, ops))
}

/// The monitor target's input.
pub fn monitor_ops(u: &mut Unstructured) -> Result<(monitor::Setup, Vec<monitor::Op>)> {
    use monitor::Op;
    let config = config(u)?;
    let levels = u.int_in_range(1..=4)?;
    let thresholds = (0..levels).map(|_| float(u)).collect::<Result<_>>()?;
    let setup = monitor::Setup {
        config,
        thresholds,
        expected_response_after: duration(u)?,
        shards_log2: u.arbitrary()?,
        start: nanos(u)?,
    };
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < 256 {
        let peer = usize::from(u.arbitrary::<u8>()?);
        ops.push(match u.int_in_range(0..=13u8)? {
            0..=4 => Op::Beat(peer, nanos(u)?),
            5 => Op::Late(peer, nanos(u)?),
            6..=8 => Op::Tick(nanos(u)?),
            9 => Op::LateTick(nanos(u)?),
            10 => Op::Watch(peer),
            11 => match u.int_in_range(0..=7u8)? {
                0 => Op::Reset,
                _ => Op::Remove(peer),
            },
            _ => Op::Numbered {
                peer,
                after: nanos(u)?,
                step: u.int_in_range(0..=3)?,
            },
        });
    }
    Ok((setup, ops))
}

/// The trace target's input: options, then the bytes of the file.
pub fn trace_input<'a>(u: &mut Unstructured<'a>) -> Result<(trace::Options, &'a [u8])> {
    let delimiter = match u.int_in_range(0..=5u8)? {
        0..=2 => None,
        3 => Some(*u.choose(b",;\t|")?),
        _ => Some(u.arbitrary()?),
    };
    let time_column = match u.int_in_range(0..=3u8)? {
        0..=2 => None,
        _ => Some((
            (*u.choose(&["t_ns", "arrival_ms", "seq", "node", " Time "])?).to_string(),
            usize::from(u.arbitrary::<u8>()?),
        )),
    };
    let rest = u.bytes(u.len())?;
    Ok((
        trace::Options {
            delimiter,
            time_column,
        },
        rest,
    ))
}

/// The scorer target's input: a configuration, thresholds and a short
/// trace, sorted or not, with or without sequence numbers.
pub fn tune_case(u: &mut Unstructured) -> Result<tune::Case> {
    let config = config(u)?;
    let count = u.int_in_range(0..=6)?;
    let thresholds = (0..count).map(|_| float(u)).collect::<Result<_>>()?;
    let warmup = u.int_in_range(0..=4)?;
    let train_fraction = if u.arbitrary()? {
        Some(float(u)?)
    } else {
        None
    };
    let numbered: bool = u.arbitrary()?;
    let mut t = nanos(u)?;
    let mut seq = 0u64;
    let mut arrivals = Vec::new();
    let mut seqs = Vec::new();
    while !u.is_empty() && arrivals.len() < 200 {
        // Mostly forward; now and then a step back (a reordered row).
        t = match u.int_in_range(0..=15u8)? {
            0 => t.saturating_sub(nanos(u)?),
            _ => t.saturating_add(nanos(u)?),
        };
        seq = seq.saturating_add(u.int_in_range(0..=2)?);
        arrivals.push(t);
        seqs.push(seq);
    }
    Ok(tune::Case {
        config,
        thresholds,
        warmup,
        train_fraction,
        arrivals,
        seqs: numbered.then_some(seqs),
    })
}
