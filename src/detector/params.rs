//! [`Params`]: a detector's configuration with the constants derived from it
//! once (the threshold in the model's units, the bootstrap seeds, the
//! warning limit, the sure-horizon bound). A monitor shares one copy across
//! all its peers; only [`State`](super::State) is per peer.

use super::horizon::{micros_saturating, QuickBound};
use super::learning;
use crate::config::{Bootstrap, Config};
use crate::model::history::History;
use crate::model::{FitParams, Model};
use crate::time::duration_nanos;
use crate::window::Window;

/// Configuration plus the constants derived from it once.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Params {
    pub(crate) config: Config,
    pub(crate) model: Model,
    pub(super) fit: FitParams,
    /// The configured threshold in the model's standardised units.
    pub(super) y_threshold: f64,
    /// Recorded intervals at or above this many nanoseconds carry a warning.
    pub(super) warn_ns: u64,
    /// A cheap sufficient test for availability on the heartbeat path.
    pub(super) quick: QuickBound,
    /// With [`Bootstrap::Growing`], what a state reads before its first
    /// interval: a window holding one interval equal to the estimate, and
    /// the model's history of it. `None` with the seeds bootstrap.
    pub(super) lone: Option<Box<(Window, Option<History>)>>,
}

impl Params {
    pub(crate) fn new(config: Config) -> Params {
        let model = config.model();
        let estimate = micros_saturating(duration_nanos(config.first_heartbeat_estimate()));
        let warn_ns = config
            .interval_warning_limit()
            .map_or(u64::MAX, duration_nanos);
        Params {
            model,
            fit: config.fit_params(),
            y_threshold: model.y_from_phi(config.threshold()),
            warn_ns,
            quick: QuickBound::new(
                model,
                &config.fit_params(),
                model.y_from_phi(config.threshold()),
                config.max_sample_size(),
            ),
            lone: (config.bootstrap() == Bootstrap::Growing)
                .then(|| Box::new(lone(&config, estimate))),
            config,
        }
    }

    /// Whether a detector with this configuration learns the interval that
    /// an arrival ends: the rule of [`learning::learns`] chosen by the
    /// configuration's [`Learning`](crate::Learning), read here so that the
    /// detector and the QoS replay cannot apply different rules.
    #[inline]
    pub(crate) fn learns(&self, available_at_arrival: bool, skipped_last: bool) -> bool {
        learning::learns(self.config.learning(), available_at_arrival, skipped_last)
    }

    /// The two bootstrap intervals of [`Bootstrap::Seeds`], in
    /// microseconds: Akka's seeding, in integer arithmetic, est − est/4 and
    /// est + est/4. Computed at each first heartbeat rather than stored,
    /// which keeps a detector's fixed size within its budget.
    pub(super) fn seeds(&self) -> [u32; 2] {
        let estimate = micros_saturating(duration_nanos(self.config.first_heartbeat_estimate()));
        [
            estimate - estimate / 4,
            estimate.saturating_add(estimate / 4),
        ]
    }

    /// A [`QuickBound`] for another standardised threshold (a monitor's
    /// levels), sharing this configuration's pause and floor.
    pub(crate) fn quick_bound(&self, y_threshold: f64) -> QuickBound {
        QuickBound::new(
            self.model,
            &self.fit,
            y_threshold,
            self.config.max_sample_size(),
        )
    }
}

/// A window of one interval of `estimate` microseconds, and the history of
/// `config`'s model fed with it.
fn lone(config: &Config, estimate: u32) -> (Window, Option<History>) {
    let mut window = Window::with_capacity(1);
    let mut history = History::for_config(config);
    if let Some(history) = &mut history {
        history.before_push(&window, estimate, None);
    }
    window.push(estimate);
    (window, history)
}
