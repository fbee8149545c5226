//! Behaviour mix: when the table holds an RFM segment or a lifecycle stage per customer (as
//! segcore's `rfm` / `lifecycle_stages` produce them), each segment's mix of it against the base:
//! "segment 3 is 41 % Champions (lift 2.3)", "segment 5 is mostly at risk or lapsed".
//!
//! Recognised columns: `rfm_segment`, and `segment` when every category is a name of the
//! default RFM rule table (the column `segcore.rfm` returns); `lifecycle_stage` (the series
//! `segcore.lifecycle_stages` returns). Other columns: name them with
//! [`ProfileParams::behaviour`](super::ProfileParams::behaviour). The figures are the column's
//! categorical profile (same suppression), gathered in one place for the reports.

use super::types::CategoricalColumnProfile;
use crate::features::rfm::RfmRules;
use serde::{Deserialize, Serialize};

/// What a behaviour column describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BehaviourKind {
    /// RFM segment (Champions, Loyal, At risk, ...).
    Rfm,
    /// Lifecycle stage (prospect, new, active, at risk, lapsed, churned).
    Lifecycle,
}

impl BehaviourKind {
    /// The kind of a column segcore's own functions produce, recognised by its name (and, for
    /// the ambiguous `segment`, its categories); `None` for any other column.
    pub fn detect(column: &str, categories: &[String]) -> Option<BehaviourKind> {
        match column.to_ascii_lowercase().as_str() {
            "rfm_segment" => Some(BehaviourKind::Rfm),
            "lifecycle_stage" => Some(BehaviourKind::Lifecycle),
            "segment" => {
                let rules = RfmRules::default();
                let known = |c: &String| {
                    rules.rules.iter().any(|r| &r.segment == c)
                        || c == &rules.unmatched
                        || c == &rules.no_orders
                };
                (!categories.is_empty() && categories.iter().all(known))
                    .then_some(BehaviourKind::Rfm)
            }
            _ => None,
        }
    }

    /// Heading of the section in a report.
    pub fn title(self, german: bool) -> &'static str {
        match (self, german) {
            (BehaviourKind::Rfm, false) => "RFM segments",
            (BehaviourKind::Rfm, true) => "RFM-Segmente",
            (BehaviourKind::Lifecycle, false) => "Lifecycle stages",
            (BehaviourKind::Lifecycle, true) => "Lebenszyklusphasen",
        }
    }
}

/// One segment's mix of a behaviour column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BehaviourSegment {
    /// Segment label.
    pub segment: usize,
    /// Share of each category (column order); `None` where suppressed.
    pub shares: Vec<Option<f64>>,
    /// Share over the base share; `None` where suppressed.
    pub lifts: Vec<Option<f64>>,
    /// The category with the largest printed share (first on ties); `None` when all are hidden.
    pub dominant: Option<String>,
}

/// The mix of one behaviour column across the segments, against the base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BehaviourMix {
    /// Column name.
    pub column: String,
    /// RFM segment or lifecycle stage.
    pub kind: BehaviourKind,
    /// Categories, in column order.
    pub categories: Vec<String>,
    /// Share of each category in the whole base; `None` where suppressed.
    pub base_shares: Vec<Option<f64>>,
    /// One entry per segment, in segment order.
    pub segments: Vec<BehaviourSegment>,
}

/// The behaviour mix of a profiled categorical column.
pub(crate) fn behaviour_mix(
    column: &CategoricalColumnProfile,
    kind: BehaviourKind,
) -> BehaviourMix {
    let categories: Vec<String> = column
        .base
        .cells
        .iter()
        .map(|c| c.category.clone())
        .collect();
    let segments = column
        .segments
        .iter()
        .map(|comp| {
            let shares: Vec<Option<f64>> = comp.cells.iter().map(|c| c.share).collect();
            let mut dominant: Option<(usize, f64)> = None;
            for (c, share) in shares.iter().enumerate() {
                if let Some(s) = *share {
                    if dominant.is_none_or(|(_, best)| s > best) {
                        dominant = Some((c, s));
                    }
                }
            }
            BehaviourSegment {
                segment: comp
                    .segment
                    .expect("segment compositions carry their label"),
                shares,
                lifts: comp.cells.iter().map(|c| c.lift).collect(),
                dominant: dominant.map(|(c, _)| categories[c].clone()),
            }
        })
        .collect();
    BehaviourMix {
        column: column.column.clone(),
        kind,
        base_shares: column.base.cells.iter().map(|c| c.share).collect(),
        categories,
        segments,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn detects_segcore_columns_only() {
        assert_eq!(
            BehaviourKind::detect("lifecycle_stage", &names(&["new", "active"])),
            Some(BehaviourKind::Lifecycle)
        );
        assert_eq!(
            BehaviourKind::detect("RFM_segment", &names(&["anything"])),
            Some(BehaviourKind::Rfm)
        );
        assert_eq!(
            BehaviourKind::detect("segment", &names(&["Champions", "Lost", "No orders"])),
            Some(BehaviourKind::Rfm)
        );
        // A `segment` column of something else (e.g. the user's own labels) is not RFM.
        assert_eq!(
            BehaviourKind::detect("segment", &names(&["Champions", "key account"])),
            None
        );
        assert_eq!(BehaviourKind::detect("industry", &names(&["Lost"])), None);
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<BehaviourMix>();
        is::<BehaviourKind>();
    }
}
