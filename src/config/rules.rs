//! The engine's own rules as settings: which intervals the window learns
//! ([`Learning`]), which sending period the margin models expect
//! ([`Period`]), and how the window starts ([`Bootstrap`]).
//!
//! The defaults are Akka's learning rule (but for Chen's detector, which
//! learns every interval) and bootstrap, and an estimated period; the other
//! choice of each is the papers'. `papers/fidelity.md` measures each. "Paper mode" is [`Learning::All`], [`Period::Fixed`],
//! [`Bootstrap::Growing`] with sequence numbers given
//! ([`Detector::heartbeat_seq`](crate::Detector::heartbeat_seq)).

use super::ConfigError;
use crate::model::Model;
use std::fmt;
use std::str::FromStr;

/// Which inter-arrival intervals the window learns.
///
/// The default depends on the model ([`Learning::default_for`]):
/// [`All`](Learning::All) for [`Model::Chen`], [`SkipSuspected`](Learning::SkipSuspected)
/// for every other model.
///
/// * [`SkipSuspected`](Learning::SkipSuspected) is Akka's
///   rule: an interval that ends a suspicion (the peer was suspected when
///   its heartbeat arrived) is not learnt, but never two in a row. One
///   outage then does not inflate the mean and spread for as many
///   heartbeats as the window holds; the price is that the window knows
///   less of the link's real tail, so a link with frequent long gaps is
///   suspected more often.
/// * [`All`](Learning::All) learns every interval, as Hayashibara et al.
///   (2004) and Chen, Toueg and Aguilera (2002) do: the window is the
///   link's true recent history, outages included.
///
/// Cassandra's rule (intervals above a fixed maximum, `fd_max_interval_ms`,
/// are never learnt) is not offered: it needs a second duration to tune,
/// and it would leave out intervals at which the peer was *available*,
/// while the heartbeat's fast path records every arrival within the sure
/// horizon (surely available) without looking at its length; offering it
/// would put a test on that path for every detector. Where the horizon
/// passes the cap the two rules differ only for intervals longer than the
/// cap that still arrived in time, which
/// [`SkipSuspected`](Learning::SkipSuspected) learns and Cassandra drops.
/// The rule itself lives in `detector::learning`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum Learning {
    /// Akka's rule: an interval that ends a suspicion is not learnt, unless
    /// the previous interval was not learnt either. Named `skip-suspected`.
    SkipSuspected,
    /// Every interval is learnt, as in the papers. Named `all`.
    All,
}

impl Learning {
    /// The rule a configuration uses when none is set:
    /// [`All`](Learning::All) for [`Model::Chen`], whose expected arrival
    /// has a constant margin, [`SkipSuspected`](Learning::SkipSuspected)
    /// for the others.
    ///
    /// Chen's detector with Akka's rule and the estimated period feeds on
    /// itself: a heartbeat later than `EA + α` is not learnt, so the
    /// window's period `Σx/Σs` is biased short, `EA` comes earlier, and more
    /// heartbeats are late. At small margins on real traces that made 4 to
    /// 11 times the mistakes of Chen's own algorithm at the same detection
    /// time; learning every interval made fewer than it
    /// (`papers/fidelity.md`). Bertier's margin learns the bias back
    /// (its delay estimate) and 2W-FD's short window bounds it, and the
    /// distribution models are where Akka's reason holds: one outage
    /// learnt would inflate their spread for a whole window.
    ///
    /// Chen's default is not best everywhere: with a wide margin (30 ms
    /// and more on a 100 ms link) and a sender that stalls and numbers its
    /// heartbeats, one stall learnt shifts the expected arrival for a
    /// whole window, and Akka's rule made over 100 times fewer mistakes on
    /// those traces. `accrual tune` scores both rules on a trace.
    pub const fn default_for(model: Model) -> Learning {
        match model {
            Model::Chen => Learning::All,
            _ => Learning::SkipSuspected,
        }
    }
}

/// The sending period that the margin models ([`Model::Chen`],
/// [`Model::TwoWindow`], [`Model::Bertier`]) use for Chen's expected
/// arrival `EA = (1/n)·Σ(A_i − η·s_i) + η·(s_last + 1)`.
///
/// * [`Estimated`](Period::Estimated) (the default): `η = Σx / Σs` over the
///   window, the mean time per sending period. It follows a sender whose
///   clock runs a little fast or slow, or that was configured with another
///   period than the one the detector was told.
/// * [`Fixed`](Period::Fixed): `η` is the configured
///   [`first_heartbeat_estimate`](crate::ConfigBuilder::first_heartbeat_estimate),
///   as in Chen's paper, where the period is a parameter of the sender. It
///   does not drift with the window, but a wrong value biases every
///   expected arrival by the error times the window's mean lag.
///
/// The other models do not read this setting.
///
/// [`Model::Chen`]: crate::Model::Chen
/// [`Model::TwoWindow`]: crate::Model::TwoWindow
/// [`Model::Bertier`]: crate::Model::Bertier
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum Period {
    /// The period estimated from the window, `Σx / Σs`. Named `estimated`.
    #[default]
    Estimated,
    /// The configured first heartbeat estimate, as in Chen's paper. Named
    /// `fixed`.
    Fixed,
}

/// How the window starts.
///
/// * [`Seeds`](Bootstrap::Seeds) (the default) is Akka's: at the first
///   heartbeat the window is seeded with two intervals, `estimate −
///   estimate/4` and `estimate + estimate/4` (the estimate being
///   [`first_heartbeat_estimate`](crate::ConfigBuilder::first_heartbeat_estimate)),
///   which stay until real intervals push them out. A peer that sends a
///   single heartbeat is still suspected, and the first intervals are
///   judged against a spread of half the estimate; the price is that the
///   seeds weigh on the statistics for a whole window.
/// * [`Growing`](Bootstrap::Growing) is the papers': the window holds only
///   real intervals and grows from the first one. Between the first
///   heartbeat and the second, the detector answers as if its window held
///   exactly one interval equal to the estimate: for the normal model
///   phi's location is `estimate + pause` and its scale the minimum
///   standard deviation (a single interval has no spread), for Chen's the
///   expected arrival is one estimate after the heartbeat. Phi, the
///   deadline and availability then follow the same formulas as always,
///   so every invariant (finite, monotone, the deadline where phi reaches
///   the threshold) holds from the first heartbeat on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "kebab-case"))]
#[non_exhaustive]
pub enum Bootstrap {
    /// Akka's two seed intervals, `estimate ± estimate/4`. Named `seeds`.
    #[default]
    Seeds,
    /// No seeds: the window grows from the first real interval. Named
    /// `growing`.
    Growing,
}

/// The names of each setting's values, in declaration order.
macro_rules! named {
    ($ty:ident, $field:literal, $($variant:ident => $name:literal),+) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The value's name, as parsed by `FromStr` and on the command line.
            pub const fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $ty {
            type Err = ConfigError;
            /// Parses a name (ASCII case ignored).
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $ty::ALL
                    .iter()
                    .copied()
                    .find(|v| v.name().eq_ignore_ascii_case(s.trim()))
                    .ok_or_else(|| ConfigError::UnknownValue {
                        field: $field,
                        name: s.to_string(),
                        expected: concat!($("`", $name, "` "),+),
                    })
            }
        }
    };
}

named!(Learning, "learning", SkipSuspected => "skip-suspected", All => "all");
named!(Period, "period", Estimated => "estimated", Fixed => "fixed");
named!(Bootstrap, "bootstrap", Seeds => "seeds", Growing => "growing");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_defaults_are_the_measured_ones() {
        for &l in Learning::ALL {
            assert_eq!(l.to_string().parse::<Learning>(), Ok(l));
        }
        for &p in Period::ALL {
            assert_eq!(p.to_string().parse::<Period>(), Ok(p));
        }
        for &b in Bootstrap::ALL {
            assert_eq!(b.to_string().parse::<Bootstrap>(), Ok(b));
        }
        assert_eq!(
            Learning::default_for(Model::Normal),
            Learning::SkipSuspected
        );
        assert_eq!(Learning::default_for(Model::Chen), Learning::All);
        for model in Model::ALL {
            if model != Model::Chen {
                assert_eq!(Learning::default_for(model), Learning::SkipSuspected);
            }
        }
        assert_eq!(Period::default(), Period::Estimated);
        assert_eq!(Bootstrap::default(), Bootstrap::Seeds);
        assert_eq!("ALL".parse::<Learning>(), Ok(Learning::All));
    }

    #[test]
    fn an_unknown_name_says_which_setting_and_what_is_accepted() {
        let err = "sometimes".parse::<Learning>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("learning"), "{msg}");
        assert!(msg.contains("sometimes"), "{msg}");
        assert!(
            msg.contains("skip-suspected") && msg.contains("all"),
            "{msg}"
        );
    }
}
