//! Segment profiles: what sales and marketing read about a segmentation.
//!
//! - [`profile`] ([`stats`], its result types in [`types`]): per segment size and share; numeric columns against the base
//!   (quartiles, effect size, top distinguishing features); categorical composition and lift;
//!   value (revenue and margin shares, revenue per customer, concentration); behaviour mix of
//!   RFM segments and lifecycle stages ([`behaviour`]); speaking names ([`names`], English and
//!   German) that read feature labels and units ([`labels`]), never column names; fairness checks of sensitive columns ([`fairness`]).
//! - [`privacy`]: minimum group size (suppression, complementary suppression) and keyed-hash
//!   pseudonyms.
//! - [`explain()`]: distances of one customer to every segment centre and the features that pull
//!   it in; [`explain_mixture`]: the same for Gaussian mixtures, with membership probabilities; [`learn_rules`]: readable rules per segment with coverage and precision.
//! - [`membership`]: soft membership of mixture segmentations (mean uncertainty, customers with
//!   an uncertain segment per segment, privacy-protected).
//! - [`migration()`]: transition matrix, stayed share, adjusted Rand index, movers.
//! - Reports ([`report`]): JSON, Markdown, self-contained HTML.
//! - [`encode_labels`]: the one encoding of segment labels (numbers kept, names sorted).
//! - [`profile_segments`]: the first, minimal profile (means per segment), kept for its users.
//!
//! Profile RFM / lifecycle columns like any other: put them in the table (e.g. with
//! `BehaviourFeatures::add_to_table`) and they are profiled, and recognised for the names; an
//! RFM segment or lifecycle stage column also gets the behaviour-mix section.

mod basic;
pub mod behaviour;
pub mod explain;
pub mod fairness;
mod groups;
pub mod labels;
pub mod membership;
pub mod migration;
pub mod names;
pub mod privacy;
pub mod report;
pub mod rules;
mod segment_labels;
pub mod stats;
pub mod types;

pub use basic::{profile_segments, Profile, SegmentProfile};
pub use behaviour::{BehaviourKind, BehaviourMix, BehaviourSegment};
pub use explain::{explain, explain_mixture, CentroidModel, Explanation, FeatureContribution};
pub use fairness::{FairnessCheck, FairnessSegment};
pub use groups::MAX_SEGMENT_LABEL;
pub use membership::{Membership, SegmentMembership, DEFAULT_UNCERTAINTY_THRESHOLD};
pub use migration::{migration, migration_with, Migration, Transition, MAX_DENSE_CELLS};
pub use names::Language;
pub use privacy::{hidden_groups, protect_table, publishable, Pseudonymiser};
pub use rules::{learn_rules, Condition, RuleParams, SegmentRule};
pub use segment_labels::{encode_labels, Label, LabelCodes, LabelPolicy};
pub use stats::{profile, ProfileParams};
pub use types::{
    CategoricalColumnProfile, CategoryCell, CategoryComposition, DistinguishingFeature,
    NumericCell, NumericColumnProfile, NumericSummary, OverRepresentedCategory, SegmentSummary,
    SegmentValue, SegmentationProfile,
};
