//! The phases of a Segmenter fit: their wall times, a progress fraction weighted by each
//! phase's expected cost (so a progress bar's estimate of the time left is meaningful), and a
//! cancellation check between phases.
//!
//! Invariants: the fraction reported never decreases and reaches 1 at the end; the weights only
//! shape the progress bar, never a result; [`PhaseTime`]s are measurements, kept next to the
//! model but never in its saved document (which stays bit-identical for the same data and seed).

use crate::error::Result;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// The wall time of one phase of a fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseTime {
    /// The phase: `behaviour`, `features`, `reduction`, `select_k`, `cluster`, `profile`.
    pub phase: String,
    /// Seconds spent in it.
    pub seconds: f64,
}

/// Expected cost of each phase in arbitrary units, from the sizes of the job: per customer row,
/// per log line, and a fixed part for the choice of k on its sample. Shaped after the phase
/// times of `benches/compare_segmenter.py` (make_b2b, 50k to 1M customers).
fn weights(n_rows: usize, n_lines: usize, choose_k: bool, sample_rows: usize) -> [f64; 6] {
    let n = n_rows as f64;
    let lines = n_lines as f64;
    let evaluated = n.min(sample_rows as f64);
    [
        // behaviour: one pass over the log
        0.05 + 0.25e-6 * lines,
        // features: pipeline fit and transform
        0.02 + 1.0e-6 * n,
        // reduction (cheap without PCA)
        0.01 + 0.1e-6 * n,
        // select_k: the criteria on at most `sample_rows` rows
        if choose_k {
            0.2 + 2.5e-4 * evaluated
        } else {
            0.0
        },
        // cluster: the final fit on every row
        0.02 + 4.0e-6 * n,
        // profile and names
        0.02 + 2.0e-6 * n,
    ]
}

/// Names of the phases, in order.
pub(crate) const PHASES: [&str; 6] = [
    "behaviour",
    "features",
    "reduction",
    "select_k",
    "cluster",
    "profile",
];

/// The running fit's clock and progress reporter.
pub(crate) struct Phases<'p> {
    /// Start fraction of each phase, and 1 at the end.
    starts: [f64; 7],
    current: Option<(usize, Instant)>,
    times: Vec<PhaseTime>,
    progress: &'p mut dyn FnMut(&str, f64),
    last: f64,
}

impl<'p> Phases<'p> {
    /// A plan for a fit of `n_rows` customers and `n_lines` log lines; `choose_k` when k is
    /// chosen on at most `sample_rows` rows.
    pub fn new(
        n_rows: usize,
        n_lines: usize,
        choose_k: bool,
        sample_rows: usize,
        progress: &'p mut dyn FnMut(&str, f64),
    ) -> Self {
        let w = weights(n_rows, n_lines, choose_k, sample_rows);
        let total: f64 = w.iter().sum();
        let mut starts = [0.0; 7];
        for i in 0..6 {
            starts[i + 1] = starts[i] + w[i] / total;
        }
        starts[6] = 1.0;
        Phases {
            starts,
            current: None,
            times: Vec::with_capacity(6),
            progress,
            last: 0.0,
        }
    }

    /// Ends the running phase (recording its time) and starts `phase`, after checking the
    /// cancellation flag: a cancelled fit stops here with [`Error::Cancelled`](crate::Error).
    pub fn begin(&mut self, phase: &'static str) -> Result<()> {
        self.end_current();
        crate::cancel::check()?;
        let index = PHASES
            .iter()
            .position(|p| *p == phase)
            .expect("phase names come from PHASES");
        self.current = Some((index, Instant::now()));
        self.report(phase, self.starts[index]);
        Ok(())
    }

    /// Reports that `done` (in `[0, 1]`) of the running phase is done.
    pub fn within(&mut self, done: f64) {
        if let Some((index, _)) = self.current {
            let fraction = self.starts[index]
                + (self.starts[index + 1] - self.starts[index]) * done.clamp(0.0, 1.0);
            self.report(PHASES[index], fraction);
        }
    }

    /// Ends the last phase, reports 1 and returns the phase times.
    pub fn finish(mut self) -> Vec<PhaseTime> {
        let last = self.current.map_or("profile", |(i, _)| PHASES[i]);
        self.end_current();
        self.report(last, 1.0);
        self.times
    }

    fn end_current(&mut self) {
        if let Some((index, started)) = self.current.take() {
            self.times.push(PhaseTime {
                phase: PHASES[index].to_string(),
                seconds: started.elapsed().as_secs_f64(),
            });
        }
    }

    fn report(&mut self, phase: &str, fraction: f64) {
        let fraction = fraction.clamp(self.last, 1.0);
        self.last = fraction;
        (self.progress)(phase, fraction);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_grow_to_one_and_every_phase_is_timed() {
        let mut seen: Vec<(String, f64)> = Vec::new();
        let mut record = |stage: &str, f: f64| seen.push((stage.to_string(), f));
        let mut phases = Phases::new(500_000, 18_000_000, true, 20_000, &mut record);
        for phase in PHASES {
            phases.begin(phase).unwrap();
            phases.within(0.5);
            phases.within(2.0);
        }
        let times = phases.finish();
        assert_eq!(
            times.iter().map(|t| t.phase.as_str()).collect::<Vec<_>>(),
            PHASES
        );
        assert!(times.iter().all(|t| t.seconds >= 0.0));
        assert!(seen.windows(2).all(|w| w[0].1 <= w[1].1), "{seen:?}");
        assert_eq!(seen.first().unwrap().1, 0.0);
        assert_eq!(seen.last().unwrap().1, 1.0);
        // The choice of k is a real share of the bar, not a sliver.
        let w = weights(500_000, 18_000_000, true, 20_000);
        let share = w[3] / w.iter().sum::<f64>();
        assert!(share > 0.1 && share < 0.9, "{share}");
    }

    #[test]
    fn a_cancelled_fit_stops_at_the_next_phase() {
        let flag = crate::cancel::CancelFlag::new();
        let mut ignore = |_: &str, _: f64| {};
        let mut phases = Phases::new(10, 0, false, 10, &mut ignore);
        crate::cancel::with_flag(&flag, || {
            phases.begin("behaviour").unwrap();
            flag.cancel();
            assert!(matches!(
                phases.begin("features"),
                Err(crate::Error::Cancelled)
            ));
        });
    }
}
