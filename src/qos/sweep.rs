//! The one-pass sweep over many thresholds of one model, arrival by
//! arrival: the core that [`sweep_split`](super::sweep_split) runs over a
//! node's arrivals in memory and that `tune`'s streaming replay feeds one
//! row at a time, so that both give the same numbers by construction.
//!
//! Detectors that differ only by threshold keep identical windows until
//! one of them stops learning an interval that the others learn, so they
//! share one state ([`Group`]) until then, and join again once the
//! difference has left the window.

use super::SplitQos;
use crate::config::{Config, ConfigError};
use crate::detector::{Params, State};

/// Which part of a node the gap after an arrival is scored in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// Replayed, not scored (the warm-up).
    Warmup,
    /// The part a configuration is chosen on.
    Fit,
    /// The held-out rest.
    HeldOut,
}

impl SplitQos {
    /// Records detection time `d` and the following gap in `part`.
    #[inline]
    pub(crate) fn record_part(&mut self, part: Part, d: u64, gap: u64) {
        match part {
            Part::Warmup => {}
            Part::Fit => self.fit.record(d, gap),
            Part::HeldOut => self.held_out.record(d, gap),
        }
    }
}

/// What every node's sweep of one configuration shares: the derived
/// parameters and the thresholds in ascending order.
#[derive(Clone, Debug)]
pub(crate) struct Sweep {
    params: Params,
    capacity: usize,
    /// `order[m]` is the index in the caller's thresholds of the `m`-th
    /// smallest.
    order: Vec<usize>,
    /// The standardised silence of each sorted threshold.
    ys: Vec<f64>,
}

impl Sweep {
    /// The sweep of `thresholds` for the model and settings of `base` (its
    /// own threshold is ignored).
    pub(crate) fn new(base: &Config, thresholds: &[f64]) -> Result<Sweep, ConfigError> {
        let mut order: Vec<usize> = (0..thresholds.len()).collect();
        order.sort_by(|&a, &b| thresholds[a].total_cmp(&thresholds[b]));
        let model = base.model();
        let mut ys = Vec::with_capacity(order.len());
        for &k in &order {
            // Validates the threshold with the configuration's own rules.
            base.to_builder().threshold(thresholds[k]).build()?;
            ys.push(model.y_from_phi(thresholds[k]));
        }
        Ok(Sweep {
            params: Params::new(base.clone()),
            capacity: base.max_sample_size(),
            order,
            ys,
        })
    }

    /// A node before its first arrival.
    pub(crate) fn node(&self) -> SweepNode {
        SweepNode {
            groups: vec![Group {
                state: State::new(&self.params),
                members: (0..self.order.len()).collect(),
                learnt_since_skip: 0,
            }],
            deadlines: vec![u64::MAX; self.order.len()],
            sorted: vec![SplitQos::default(); self.order.len()],
            previous: None,
            last_seq: None,
            pending: None,
            index: 0,
        }
    }

    /// Adds `node`'s recorded scores to `totals` (in the caller's threshold
    /// order). The observed time is the caller's: it is the same for every
    /// threshold.
    pub(crate) fn add_to(&self, node: &SweepNode, totals: &mut [SplitQos]) {
        for (m, &k) in self.order.iter().enumerate() {
            totals[k].merge(&node.sorted[m]);
        }
    }
}

/// One node's sweep in progress.
pub(crate) struct SweepNode {
    groups: Vec<Group>,
    /// Deadline (silence, ns) of each sorted threshold after the last
    /// arrival taken.
    deadlines: Vec<u64>,
    /// Scores of each sorted threshold (samples and mistakes only).
    sorted: Vec<SplitQos>,
    /// The last arrival taken, in ns.
    previous: Option<u64>,
    /// The sender's number of the last arrival taken, if it had one.
    last_seq: Option<u64>,
    /// The last arrival taken and its part, while its gap is not known yet.
    pending: Option<(u64, Part)>,
    /// Arrivals pushed so far (taken or not).
    index: usize,
}

impl SweepNode {
    /// Feeds the node's next arrival, `a` ns, with the sender's number
    /// `seq` if the trace has one, whose following gap is scored in `part`.
    /// An arrival earlier than the last one taken is skipped, as the
    /// detector refuses it. Otherwise the gap after the last one taken is
    /// scored first; an arrival with a stale number is then skipped.
    pub(crate) fn push(&mut self, sweep: &Sweep, a: u64, seq: Option<u64>, part: Part) {
        let i = self.index;
        self.index += 1;
        if matches!(self.previous, Some(p) if a < p) {
            return;
        }
        if let Some((p, pending_part)) = self.pending.take() {
            let gap = a - p;
            if pending_part != Part::Warmup {
                for (q, &d) in self.sorted.iter_mut().zip(&self.deadlines) {
                    q.record_part(pending_part, d, gap);
                }
            }
        }
        if let (Some(s), Some(l)) = (seq, self.last_seq) {
            if s <= l {
                return;
            }
        }
        // Sending periods since the last arrival, when both are numbered.
        let steps = seq.zip(self.last_seq).map(|(s, l)| s - l);
        // A duplicate time without that is ignored, its number too.
        if self.previous != Some(a) || steps.is_some() {
            self.last_seq = seq;
        }
        let params = &sweep.params;
        let gap = self.previous.map(|p| a - p);
        self.previous = Some(a);
        let groups = &mut self.groups;
        let deadlines = &self.deadlines;
        let mut split_off = Vec::new();
        for group in groups.iter_mut() {
            let Some(gap) = gap else {
                group.state.replay(params, a, true, None);
                continue;
            };
            // Each member decides by the detector's learning rule, on
            // whether it still trusted the node at this arrival. Deadlines
            // grow with the threshold and the rule never learns less for a
            // member that trusted the node, so the members that do not
            // learn the interval form a prefix.
            let skipped_last = group.state.skipped_last();
            let skipping = group
                .members
                .iter()
                .take_while(|&&m| !params.learns(gap < deadlines[m], skipped_last))
                .count();
            if skipping == group.members.len() {
                group.decline(params, a, steps);
            } else if skipping == 0 {
                group.learn(params, a, gap, steps);
            } else {
                let mut skipped = Group {
                    state: group.state.clone(),
                    members: group.members.drain(..skipping).collect(),
                    learnt_since_skip: 0,
                };
                skipped.decline(params, a, steps);
                group.learn(params, a, gap, steps);
                split_off.push(skipped);
            }
        }
        groups.extend(split_off);
        merge_converged(groups, sweep.capacity);
        // Groups can also end up with the same window by different routes
        // (both declined the intervals that told them apart, which then left
        // their windows). Look for those now and then; merging later than
        // possible only costs time, never accuracy.
        if groups.len() > 1 && i % 64 == 0 {
            merge_identical(groups);
        }
        // Deadlines after this arrival, scored when the next one comes.
        for group in groups.iter() {
            // One fit per group; each threshold is then a multiply-add and
            // the same rounding steps as the detector's own deadline.
            let fit = group.state.fit(params);
            for &m in &group.members {
                // As `Detector::suspicion_deadline` (saturating at the
                // clock's end), relative to this arrival.
                self.deadlines[m] = group
                    .state
                    .elapsed_at(params, &fit, sweep.ys[m])
                    .min(u64::MAX - a);
            }
        }
        self.pending = Some((a, part));
    }
}

/// A group of thresholds whose detectors have identical state.
struct Group {
    state: State,
    /// Indices into the sorted thresholds, ascending.
    members: Vec<usize>,
    /// Intervals learnt since the group last declined one (or since the
    /// bootstrap): once it reaches the window size, the window holds exactly
    /// the most recent intervals, whatever happened before.
    learnt_since_skip: usize,
}

impl Group {
    fn learn(&mut self, params: &Params, at_ns: u64, gap: u64, steps: Option<u64>) {
        self.state.replay(params, at_ns, true, steps);
        // A duplicate arrival (gap 0 without numbers) adds nothing to the
        // window.
        if gap > 0 || steps.is_some() {
            self.learnt_since_skip += 1;
        }
    }

    fn decline(&mut self, params: &Params, at_ns: u64, steps: Option<u64>) {
        self.state.replay(params, at_ns, false, steps);
        self.learnt_since_skip = 0;
    }
}

/// Joins the groups whose windows hold exactly the last `capacity`
/// intervals: those that learnt at least `capacity` intervals in a row.
/// Their statistics are then equal (the window is a multiset of the same
/// intervals, only its ring position may differ), and so is every later
/// decision, provided the model keeps no estimate older than the window
/// (Bertier's must match too).
fn merge_converged(groups: &mut Vec<Group>, capacity: usize) {
    let converged = |g: &Group| g.learnt_since_skip >= capacity;
    if groups.iter().filter(|g| converged(g)).count() < 2 {
        return;
    }
    let mut keeper: Option<usize> = None;
    let mut j = 0;
    while j < groups.len() {
        if !converged(&groups[j]) {
            j += 1;
            continue;
        }
        match keeper {
            None => {
                keeper = Some(j);
                j += 1;
            }
            Some(k) if groups[k].state.estimates() != groups[j].state.estimates() => {
                j += 1;
            }
            Some(k) => {
                let absorbed = groups.swap_remove(j);
                groups[k].members.extend(absorbed.members);
                groups[k].members.sort_unstable();
            }
        }
    }
}

/// Joins the groups whose windows hold the same intervals in the same order
/// and that agree on whether the last interval was left out (which decides
/// the next one under [`Learning::SkipSuspected`](crate::Learning)); all
/// groups share the last arrival. Candidates are found by their exact
/// sums, then confirmed sample by sample, so a merge is never a guess.
fn merge_identical(groups: &mut Vec<Group>) {
    let key = |g: &Group| {
        let w = g.state.window();
        (w.len(), w.sum_micros(), w.sum_sq_micros())
    };
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&g| key(&groups[g]));
    let mut absorbed: Vec<(usize, usize)> = Vec::new(); // (into, from)
    let mut run_start = 0;
    for j in 1..=order.len() {
        let same = j < order.len() && key(&groups[order[j]]) == key(&groups[order[run_start]]);
        if same {
            let (into, from) = (order[run_start], order[j]);
            if groups[into]
                .state
                .window()
                .iter()
                .eq(groups[from].state.window().iter())
                && groups[into].state.same_history(&groups[from].state)
                && groups[into].state.skipped_last() == groups[from].state.skipped_last()
            {
                absorbed.push((into, from));
                continue;
            }
        }
        run_start = j;
    }
    if absorbed.is_empty() {
        return;
    }
    // Move the members first (a run's first group is never absorbed), then
    // drop the emptied groups.
    for &(into, from) in &absorbed {
        let members = std::mem::take(&mut groups[from].members);
        let learnt = groups[from].learnt_since_skip;
        groups[into].members.extend(members);
        groups[into].members.sort_unstable();
        groups[into].learnt_since_skip = groups[into].learnt_since_skip.min(learnt);
    }
    groups.retain(|g| !g.members.is_empty());
}
