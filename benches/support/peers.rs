//! Adapters that give `accrual` and the other Rust phi crates one interface,
//! so the comparison bench and the silence-tail example drive them alike.
//!
//! Time is a simulated millisecond counter: no adapter reads a system clock.

use accrual::{Config, Detector, Timestamp};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

/// The window size every configurable implementation gets.
pub const WINDOW: usize = 1000;

/// One failure detector under test, fed arrival times in milliseconds.
pub trait Subject {
    /// Display name.
    const NAME: &'static str;
    /// A fresh detector (window 1000, no acceptable pause, 1 ms std floor
    /// where these can be configured).
    fn new() -> Self;
    /// Records a heartbeat that arrived at `t_ms`.
    fn heartbeat(&mut self, t_ms: u64);
    /// Phi at `t_ms`.
    fn phi(&mut self, t_ms: u64) -> f64;
}

/// `accrual` with the model `Model::ALL[M]`; window, pause, floor and first
/// estimate as for every subject.
pub struct Accrual<const M: usize>(Detector);

/// `accrual`, normal model (exact tail).
pub type AccrualNormal = Accrual<0>;
/// `accrual`, Akka's logistic approximation.
pub type AccrualAkka = Accrual<1>;

impl<const M: usize> Subject for Accrual<M> {
    const NAME: &'static str = [
        "accrual (normal)",
        "accrual (akka)",
        "accrual (exponential)",
    ][M];
    fn new() -> Self {
        Accrual(Detector::new(
            Config::builder()
                .model(accrual::Model::ALL[M])
                .max_sample_size(WINDOW)
                .acceptable_pause(Duration::ZERO)
                .min_std_deviation(Duration::from_millis(1))
                .first_heartbeat_estimate(Duration::from_millis(100))
                .build()
                .expect("valid configuration"),
        ))
    }
    #[inline]
    fn heartbeat(&mut self, t_ms: u64) {
        let _ = self.0.heartbeat(Timestamp::from_millis(t_ms));
    }
    #[inline]
    fn phi(&mut self, t_ms: u64) -> f64 {
        self.0.phi(Timestamp::from_millis(t_ms))
    }
}

/// `phi-detector` 0.4: the caller keeps the last arrival and passes
/// intervals; its window is fixed (10 000, exponential forgetting).
pub struct PhiDetector {
    window: phi_detector::PingWindow,
    last_ms: Option<u64>,
}

impl Subject for PhiDetector {
    const NAME: &'static str = "phi-detector 0.4";
    fn new() -> Self {
        PhiDetector {
            window: phi_detector::PingWindow::new(Duration::from_millis(100)),
            last_ms: None,
        }
    }
    #[inline]
    fn heartbeat(&mut self, t_ms: u64) {
        if let Some(last) = self.last_ms {
            self.window
                .add_ping(Duration::from_millis(t_ms.saturating_sub(last)));
        }
        self.last_ms = Some(t_ms);
    }
    #[inline]
    fn phi(&mut self, t_ms: u64) -> f64 {
        let last = self.last_ms.unwrap_or(t_ms);
        self.window
            .normal_dist()
            .phi(Duration::from_millis(t_ms.saturating_sub(last)))
    }
}

/// A clock the benchmark sets by hand, for `phi-accrual-failure-detector`.
#[derive(Clone, Default)]
pub struct SimClock(Rc<Cell<u64>>);

impl phi_accrual_failure_detector::Clock for SimClock {
    type Timestamp = u64;
    fn timestamp(&self) -> u64 {
        self.0.get()
    }
    fn elapsed(before: &u64, after: &u64) -> Duration {
        Duration::from_millis(after.saturating_sub(*before))
    }
}

type PafdInner = phi_accrual_failure_detector::FailureDetector<
    phi_accrual_failure_detector::UnsyncState<SimClock>,
>;

/// `phi-accrual-failure-detector` 0.1 (a Pekko port), unsynchronised variant.
pub struct Pafd {
    detector: PafdInner,
    clock: SimClock,
}

impl Subject for Pafd {
    const NAME: &'static str = "phi-accrual-failure-detector 0.1";
    fn new() -> Self {
        let clock = SimClock::default();
        let detector = phi_accrual_failure_detector::UnsyncDetector::builder()
            .threshold(8.0)
            .max_sample_size(WINDOW)
            .min_std_deviation(Duration::from_millis(1))
            .acceptable_heartbeat_pause(Duration::ZERO)
            .first_heartbeat_estimate(Duration::from_millis(100))
            .unsync()
            .clock(clock.clone())
            .build()
            .expect("valid configuration");
        Pafd { detector, clock }
    }
    #[inline]
    fn heartbeat(&mut self, t_ms: u64) {
        use phi_accrual_failure_detector::Detector as _;
        self.clock.0.set(t_ms);
        self.detector.heartbeat();
    }
    #[inline]
    fn phi(&mut self, t_ms: u64) -> f64 {
        use phi_accrual_failure_detector::Detector as _;
        self.clock.0.set(t_ms);
        self.detector.phi()
    }
}

/// `phi-accrual` 0.1: stores raw timestamps, O(window) per query.
pub struct PhiAccrual(phi_accrual::PhiFailureDetector);

impl Subject for PhiAccrual {
    const NAME: &'static str = "phi-accrual 0.1";
    fn new() -> Self {
        PhiAccrual(
            phi_accrual::PhiFailureDetector::new()
                .history_size(WINDOW + 1)
                .min_stddev(1.0),
        )
    }
    #[inline]
    fn heartbeat(&mut self, t_ms: u64) {
        self.0.heartbeat(t_ms);
    }
    #[inline]
    fn phi(&mut self, t_ms: u64) -> f64 {
        self.0.phi(t_ms)
    }
}

/// The same arrival stream for everyone: 100 ms mean, jitter the sum of four
/// uniform ±10 ms draws (σ ≈ 11.5 ms), whole milliseconds, fixed seed.
pub fn arrivals_ms(count: usize) -> Vec<u64> {
    let mut x: u64 = 0x2004_0C0F_FEE0_0001;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..count as u64)
        .map(|k| {
            let jitter: f64 = (0..4).map(|_| next() * 20.0 - 10.0).sum();
            (10_000.0 + k as f64 * 100.0 + 40.0 + jitter).round() as u64
        })
        .collect()
}
