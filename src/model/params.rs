//! The settings that belong to one model alone: 2W-FD's short window and
//! Bertier's constants, with their defaults.
//!
//! They live here, beside the estimators that read them, rather than in
//! `config`: `config` stores and validates them with the shared knobs
//! (it may import the model module; the model module never imports
//! `config`), and hands them over as a [`ModelParams`] when a detector
//! builds its model's history.

/// 2W-FD's short window by default: the last arrival alone, as in the paper's
/// experiments.
pub(crate) const DEFAULT_SHORT_WINDOW: usize = 1;

/// Bertier's constants `[β, φ, γ]` by default: β = 1, φ = 4, γ = 0.1, the
/// paper's.
pub(crate) const DEFAULT_BERTIER: [f64; 3] = [1.0, 4.0, 0.1];

/// The model-specific settings a history is built from. Only the model in
/// use reads its own; the others ignore theirs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ModelParams {
    /// 2W-FD's short window, in arrivals: 1 to the window's capacity.
    pub short_window: usize,
    /// Bertier's `[β, φ, γ]`: β and φ finite and non-negative, γ in (0, 1].
    pub bertier: [f64; 3],
}
