//! The published result of [`profile`](super::profile): what a segment profile says, as plain
//! serde types (the JSON, Markdown and HTML reports and the Python binding read these).
//!
//! Invariant: every figure describing fewer customers than the profile's `min_group_size` is
//! `None` ("suppressed"), never a number.

use super::behaviour::BehaviourMix;
use super::fairness::FairnessCheck;
use super::names::Language;
use serde::{Deserialize, Serialize};

/// Summary statistics of one numeric column over one group of customers (missing values
/// excluded); quartiles interpolate linearly (numpy's and pandas' default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericSummary {
    /// Customers with a value.
    pub count: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (ddof = 1; 0 for a single value).
    pub std: f64,
    /// First quartile.
    pub q1: f64,
    /// Median.
    pub median: f64,
    /// Third quartile.
    pub q3: f64,
}

/// One numeric column in one segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericCell {
    /// Segment label.
    pub segment: usize,
    /// The statistics; `None` when fewer than `min_group_size` customers have a value.
    pub summary: Option<NumericSummary>,
    /// Standardised difference `(segment mean - base mean) / base std`; `None` when suppressed
    /// or the base has no spread.
    pub effect_size: Option<f64>,
}

/// Profile of one numeric column: the base and every segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumericColumnProfile {
    /// Column name.
    pub column: String,
    /// Statistics over all customers (`None` when fewer than `min_group_size` have a value).
    pub base: Option<NumericSummary>,
    /// One cell per segment, in segment order.
    pub segments: Vec<NumericCell>,
}

/// One category in one group: count, share and lift; `None` when suppressed (1 to
/// `min_group_size - 1` customers, a suppressed segment, or hidden so that it cannot be recovered
/// from the other printed counts; see [`crate::profile::privacy::protect_table`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryCell {
    /// The category.
    pub category: String,
    /// Customers of the group in this category; `None` when suppressed.
    pub count: Option<usize>,
    /// Share of the group's customers (missing values included in the denominator, so a share
    /// reveals no more than its count).
    pub share: Option<f64>,
    /// Share in the group over share in the base (1 = as in the base); `None` for the base row.
    pub lift: Option<f64>,
}

/// Composition of one categorical column in one group (base or segment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryComposition {
    /// Segment label; `None` for the whole base.
    pub segment: Option<usize>,
    /// Customers of the group without a value; `None` when suppressed.
    pub missing: Option<usize>,
    /// One cell per category, in the column's category order.
    pub cells: Vec<CategoryCell>,
}

/// Profile of one categorical column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoricalColumnProfile {
    /// Column name.
    pub column: String,
    /// Composition of the whole base.
    pub base: CategoryComposition,
    /// Composition of each segment, in segment order.
    pub segments: Vec<CategoryComposition>,
}

/// A numeric column that sets a segment apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistinguishingFeature {
    /// Column name.
    pub column: String,
    /// Its effect size in the segment.
    pub effect_size: f64,
}

/// A category over-represented in a segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverRepresentedCategory {
    /// Column name.
    pub column: String,
    /// The category.
    pub category: String,
    /// Share in the segment.
    pub share: f64,
    /// Share in the segment over share in the base.
    pub lift: f64,
}

/// What a segment is worth: its part of revenue and margin and how evenly its customers share it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentValue {
    /// Segment revenue over total revenue.
    pub revenue_share: f64,
    /// Mean revenue per customer (missing revenue counts as 0).
    pub revenue_per_customer: f64,
    /// Gini coefficient of revenue inside the segment (negative revenue counted as 0):
    /// 0 = every customer the same, towards 1 = a few customers carry everything.
    pub revenue_gini: f64,
    /// Share of the segment's revenue from its top 20 % customers.
    pub top20_revenue_share: f64,
    /// Segment margin over total margin (with a margin column).
    pub margin_share: Option<f64>,
    /// Mean margin per customer (with a margin column).
    pub margin_per_customer: Option<f64>,
    /// Lorenz curve (customer share, revenue share) at 0, 5, ..., 100 % of customers, poorest
    /// first; only when every 5 % step holds at least `min_group_size` customers.
    pub lorenz: Option<Vec<(f64, f64)>>,
}

/// One segment: who, how many, what it is called, what sets it apart, what it is worth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentSummary {
    /// Segment label as given.
    pub segment: usize,
    /// Short speaking name (generated or user-given), unique within the profile.
    pub name: String,
    /// One-line description from the profile.
    pub description: String,
    /// `true` when the segment has fewer than `min_group_size` customers: every figure is hidden.
    pub suppressed: bool,
    /// Number of customers; `None` when suppressed.
    pub size: Option<usize>,
    /// Share of all customers; `None` when suppressed.
    pub share: Option<f64>,
    /// Numeric columns with the largest absolute effect sizes (at least 0.2), largest first.
    pub distinguishing_features: Vec<DistinguishingFeature>,
    /// Categories over-represented in the segment (lift >= `min_lift`), highest lift first.
    pub over_represented: Vec<OverRepresentedCategory>,
    /// Value figures (with a revenue column); `None` when suppressed or without revenue.
    pub value: Option<SegmentValue>,
}

/// The whole profile of a segmentation; see [`profile`](super::profile()).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentationProfile {
    /// Format version of this document.
    pub version: u32,
    /// Number of customers profiled.
    pub n_customers: usize,
    /// The privacy threshold the figures were published under.
    pub min_group_size: usize,
    /// Language of names and descriptions.
    pub language: Language,
    /// Revenue column, if any.
    pub revenue_column: Option<String>,
    /// Margin column, if any.
    pub margin_column: Option<String>,
    /// One summary per segment, in ascending label order.
    pub segments: Vec<SegmentSummary>,
    /// Numeric columns, in profiling order.
    pub numeric: Vec<NumericColumnProfile>,
    /// Categorical columns, in profiling order.
    pub categorical: Vec<CategoricalColumnProfile>,
    /// Lorenz curve of revenue over the whole base (see [`SegmentValue::lorenz`]).
    pub lorenz: Option<Vec<(f64, f64)>>,
    /// Gini coefficient of revenue over the whole base.
    pub revenue_gini: Option<f64>,
    /// One fairness check per sensitive column.
    pub fairness: Vec<FairnessCheck>,
    /// Behaviour mix (RFM segments, lifecycle stages) of each segment against the base, in
    /// profiling order; empty when the table has no such column.
    #[serde(default)]
    pub behaviour: Vec<BehaviourMix>,
    /// Soft membership (segmentations with segment probabilities, e.g. Gaussian mixtures): how
    /// sure each segment's assignments are; see
    /// [`add_membership`](SegmentationProfile::add_membership).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub membership: Option<super::membership::Membership>,
    /// Things the reader should know (suppressed segments, fairness warnings).
    pub warnings: Vec<String>,
}
