//! Churn risk and value in a segmentation: the probability that each customer is still alive,
//! the purchases they are expected to make and their lifetime value, as optional behaviour
//! features of the [`Segmenter`](super::Segmenter) and as value columns of its profile.
//!
//! With [`SegmenterParams::value`](super::SegmenterParams::value) set, the fit
//! 1. summarises the transaction log per customer ([`clv_summary`], in periods of
//!    [`ValueParams::freq`], observation end = the day before the as-of date);
//! 2. fits BG/NBD ([`BetaGeoParams`]) on every customer with a purchase, and Gamma-Gamma
//!    ([`GammaGammaParams`]) on those with repeat purchases and positive mean spend (the others
//!    are left out of that fit and counted);
//! 3. adds per customer `probability_alive`, `expected_purchases` (over [`ValueParams::horizon`]
//!    periods) and `clv` (lifetimes' discounted value over [`ValueParams::months`] months): the
//!    columns of [`ValueParams::features`] enter the clustering like any behaviour feature, all
//!    three enter the profile (means per segment, with the profile's privacy rules);
//! 4. tabulates per segment the total and mean CLV, the share of the base's CLV, the mean
//!    P(alive) and the customers likely to lapse (`P(alive) < lapse_threshold`, default 0.5),
//!    with [`segment_value`]'s privacy rules (no figure for a segment below `min_group_size`;
//!    lapse counts protected against recovery by subtraction);
//! 5. qualifies the segment names with a value tier and the risk ([`ValueNames`]):
//!    "Volume customers: high value, at risk";
//! 6. adds a `lifecycle_stage` column to the profile (its lifecycle mix per segment) with the
//!    stages by churn risk instead of fixed day thresholds ([`stage_by_alive`]).
//!
//! Current figure (docs/performance.md): on 20,000 customers / 734k log lines the value
//! features take the Segmenter fit from 0.72 s to 1.34 s on 2 cores.
//!
//! The fitted BG/NBD and Gamma-Gamma models are saved with the Segmenter, so predict on new
//! customers or a newer log recomputes the same three columns with the same parameters.
//! Customers without a purchase up to the observation end have no history: their three columns
//! are missing (NaN, imputed by the pipeline like their other behaviour features) and they are
//! left out of the value table (counted in [`ValueModel::n_without_history`]).
//!
//! ```
//! use segcore::datasets::{make_b2b, B2bParams};
//! use segcore::segmenter::{NClusters, SegmenterParams, ValueParams};
//!
//! let data = make_b2b(&B2bParams { n_customers: 300, ..B2bParams::default() })?;
//! let model = SegmenterParams::new()
//!     .n_clusters(NClusters::Fixed(4))
//!     .value(ValueParams::default())
//!     .fit(&data.customers, Some(&data.transactions))?;
//! let value = model.value().expect("fitted with value features");
//! assert_eq!(value.segments().len(), 4);
//! assert!(model.feature_names_in().iter().any(|c| c == "probability_alive"));
//! let shares: f64 = value.segments().iter().filter_map(|s| s.share_of_total_clv).sum();
//! assert!(shares <= 1.0 + 1e-9);
//! # Ok::<(), segcore::Error>(())
//! ```

use crate::clv::{
    clv_summary, segment_value, BetaGeo, BetaGeoParams, ClvOptions, GammaGamma, GammaGammaParams,
    PurchaseHistory, PurchaseModel, SegmentValue, TimeUnit,
};
use crate::data::{CustomerTable, Date, TransactionLog};
use crate::error::{Error, Result};
use crate::features::lifecycle::LifecycleStage;
use crate::profile::{Language, SegmentationProfile};
use serde::{Deserialize, Serialize};

/// One of the three per-customer value columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueFeature {
    /// `probability_alive`: BG/NBD probability that the customer is still a customer.
    ProbabilityAlive,
    /// `expected_purchases`: BG/NBD expected repeat purchases in the next `horizon` periods.
    ExpectedPurchases,
    /// `clv`: discounted lifetime value over `months` months (BG/NBD x Gamma-Gamma).
    Clv,
}

impl ValueFeature {
    /// The three, in column order.
    pub const ALL: [ValueFeature; 3] = [
        ValueFeature::ProbabilityAlive,
        ValueFeature::ExpectedPurchases,
        ValueFeature::Clv,
    ];

    /// The column name: `probability_alive`, `expected_purchases`, `clv`.
    pub fn name(self) -> &'static str {
        match self {
            ValueFeature::ProbabilityAlive => "probability_alive",
            ValueFeature::ExpectedPurchases => "expected_purchases",
            ValueFeature::Clv => "clv",
        }
    }
}

/// How the value figures qualify the segment names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueNames {
    /// Keep the profile's names.
    Keep,
    /// Append the value tier and the risk: "Volume customers: high value, at risk" (default).
    #[default]
    Qualify,
    /// Name segments by value tier and risk only: "High value, at risk".
    Replace,
}

/// A segment whose mean CLV is at least this multiple of the base's mean is "high value".
pub const HIGH_VALUE_RATIO: f64 = 1.5;
/// A segment whose mean CLV is at most this multiple of the base's mean is "low value".
pub const LOW_VALUE_RATIO: f64 = 0.5;

/// Settings of the value features (see the [module documentation](self)).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ValueParams {
    /// The value columns the clustering reads (default all three); all three are profiled
    /// either way. Empty: value in the profile and names only.
    pub features: Vec<ValueFeature>,
    /// Period of recency, T and `horizon`: `"D"`, `"W"` (default) or `"M"`.
    #[serde(with = "unit_code")]
    pub freq: TimeUnit,
    /// Periods of `expected_purchases` (default 52: a year of weeks).
    pub horizon: f64,
    /// Months of the lifetime value (lifetimes' `time`, default 12).
    pub months: usize,
    /// Monthly discount rate of the lifetime value (default 0.01).
    pub discount_rate: f64,
    /// A customer with P(alive) below this is likely to lapse; a segment whose mean P(alive) is
    /// below it is "at risk" (default 0.5).
    pub lapse_threshold: f64,
    /// L2 penalty of both model fits (lifetimes' `penalizer_coef`, default 0).
    pub penalizer_coef: f64,
    /// How the names say value and risk (default [`ValueNames::Qualify`]).
    pub names: ValueNames,
    /// Lifecycle stage "new": first purchase at most this many periods before the observation
    /// end (default 13: a quarter of weeks). See [`stage_by_alive`].
    pub new_periods: f64,
    /// Lifecycle stage "active" from this P(alive) up (default 0.75); "at risk" from the lapse
    /// threshold up.
    pub active_alive: f64,
    /// Lifecycle stage "lapsed" from this P(alive) up to the lapse threshold (default 0.25);
    /// "churned" below.
    pub lapsed_alive: f64,
}

impl Default for ValueParams {
    fn default() -> Self {
        ValueParams {
            features: ValueFeature::ALL.to_vec(),
            freq: TimeUnit::Week,
            horizon: 52.0,
            months: 12,
            discount_rate: 0.01,
            lapse_threshold: 0.5,
            penalizer_coef: 0.0,
            names: ValueNames::Qualify,
            new_periods: 13.0,
            active_alive: 0.75,
            lapsed_alive: 0.25,
        }
    }
}

/// `TimeUnit` saved as lifetimes' codes (`"D"`, `"W"`, `"M"`).
mod unit_code {
    use crate::clv::TimeUnit;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(unit: &TimeUnit, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match unit {
            TimeUnit::Day => "D",
            TimeUnit::Week => "W",
            TimeUnit::Month => "M",
            TimeUnit::Hour => "H",
        })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TimeUnit, D::Error> {
        let text = String::deserialize(d)?;
        TimeUnit::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl ValueParams {
    /// Checks every setting, naming it (`value.horizon`, ...).
    pub fn check(&self) -> Result<()> {
        if self.freq == TimeUnit::Hour {
            return Err(Error::invalid_parameter(
                "value.freq",
                "\"H\"",
                "\"D\", \"W\" or \"M\" (log dates have no time of day)",
            ));
        }
        for (j, f) in self.features.iter().enumerate() {
            if self.features[..j].contains(f) {
                return Err(Error::invalid_parameter(
                    "value.features",
                    format!("{} twice", f.name()),
                    "each of probability_alive, expected_purchases, clv at most once",
                ));
            }
        }
        if !(self.horizon.is_finite() && self.horizon > 0.0) {
            return Err(Error::invalid_parameter(
                "value.horizon",
                self.horizon,
                "a finite number of periods > 0",
            ));
        }
        if self.months == 0 || self.months > 1200 {
            return Err(Error::invalid_parameter(
                "value.months",
                self.months,
                "1..=1200 months",
            ));
        }
        if !(self.discount_rate.is_finite() && self.discount_rate > -1.0) {
            return Err(Error::invalid_parameter(
                "value.discount_rate",
                self.discount_rate,
                "a finite monthly rate > -1",
            ));
        }
        if !(0.0..=1.0).contains(&self.lapse_threshold) {
            return Err(Error::invalid_parameter(
                "value.lapse_threshold",
                self.lapse_threshold,
                "a probability in [0, 1]",
            ));
        }
        if !(self.new_periods.is_finite() && self.new_periods >= 0.0) {
            return Err(Error::invalid_parameter(
                "value.new_periods",
                self.new_periods,
                "a finite number of periods >= 0",
            ));
        }
        if !(0.0 <= self.lapsed_alive
            && self.lapsed_alive <= self.lapse_threshold
            && self.lapse_threshold <= self.active_alive
            && self.active_alive <= 1.0)
        {
            return Err(Error::invalid_parameter(
                "value.active_alive",
                format!(
                    "lapsed_alive {}, lapse_threshold {}, active_alive {}",
                    self.lapsed_alive, self.lapse_threshold, self.active_alive
                ),
                "0 <= lapsed_alive <= lapse_threshold <= active_alive <= 1",
            ));
        }
        if !(self.penalizer_coef.is_finite() && self.penalizer_coef >= 0.0) {
            return Err(Error::invalid_parameter(
                "value.penalizer_coef",
                self.penalizer_coef,
                "a finite number >= 0",
            ));
        }
        Ok(())
    }

    fn clv_options(&self) -> ClvOptions {
        ClvOptions {
            months: self.months,
            discount_rate: self.discount_rate,
            time_unit: self.freq,
        }
    }
}

/// The fitted value models of a [`Segmenter`](super::Segmenter) and the value figures of its
/// training segments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueModel {
    beta_geo: BetaGeo,
    gamma_gamma: GammaGamma,
    segments: Vec<SegmentValue>,
    n_with_history: usize,
    n_without_history: usize,
}

impl ValueModel {
    /// The BG/NBD purchase model fitted on the training log.
    pub fn beta_geo(&self) -> &BetaGeo {
        &self.beta_geo
    }
    /// The Gamma-Gamma spend model (its `n_excluded` counts the customers left out of its fit:
    /// no repeat purchase or a mean repeat spend <= 0).
    pub fn gamma_gamma(&self) -> &GammaGamma {
        &self.gamma_gamma
    }
    /// Per segment: CLV total, mean and share, mean P(alive), customers likely to lapse
    /// (`None` where the privacy rules hide a figure).
    pub fn segments(&self) -> &[SegmentValue] {
        &self.segments
    }
    /// Training customers with a purchase history (those the value table counts).
    pub fn n_with_history(&self) -> usize {
        self.n_with_history
    }
    /// Training customers without a purchase up to the observation end (not in the table).
    pub fn n_without_history(&self) -> usize {
        self.n_without_history
    }
    /// What a user should be told about the fits: one sentence per model whose optimiser
    /// stopped before its tolerance (its parameters are the best found).
    pub fn warnings(&self) -> Vec<String> {
        let fits = [
            ("beta_geo", self.beta_geo.converged()),
            ("gamma_gamma", self.gamma_gamma.converged()),
        ];
        fits.into_iter()
            .filter(|&(_, converged)| !converged)
            .map(|(name, _)| {
                format!(
                    "value features: the {name} fit did not converge; its parameters are the \
                     best found (try value={{'penalizer_coef': 0.001}})"
                )
            })
            .collect()
    }

    pub(crate) fn validate(&self, n_segments: usize) -> Result<()> {
        BetaGeo::from_coefficients(self.beta_geo.coefficients())?;
        GammaGamma::from_coefficients(self.gamma_gamma.coefficients())?;
        if self.segments.len() != n_segments
            || self
                .segments
                .iter()
                .enumerate()
                .any(|(s, v)| v.segment != s)
        {
            return Err(Error::ModelFormat {
                reason: format!(
                    "segmenter: the value table has {} rows for {n_segments} segments",
                    self.segments.len()
                ),
            });
        }
        Ok(())
    }
}

/// The three value columns of every row of a customer table (NaN without a history).
#[derive(Debug, Clone, PartialEq)]
pub struct ValueColumns {
    /// P(alive) per row.
    pub probability_alive: Vec<f64>,
    /// Expected repeat purchases over the horizon per row.
    pub expected_purchases: Vec<f64>,
    /// Lifetime value per row.
    pub clv: Vec<f64>,
    /// Periods from the first purchase to the observation end (lifetimes' `T`) per row.
    pub age: Vec<f64>,
}

impl ValueColumns {
    /// The column of `feature`.
    pub fn column(&self, feature: ValueFeature) -> &[f64] {
        match feature {
            ValueFeature::ProbabilityAlive => &self.probability_alive,
            ValueFeature::ExpectedPurchases => &self.expected_purchases,
            ValueFeature::Clv => &self.clv,
        }
    }

    /// Adds the columns of `features` to `table` (a column the table already has is an error).
    pub(crate) fn add_to(
        &self,
        table: &mut CustomerTable,
        features: &[ValueFeature],
    ) -> Result<()> {
        for &f in features {
            table.add_numeric(f.name(), self.column(f).to_vec())?;
        }
        Ok(())
    }
}

/// The lifecycle stage of one customer by churn risk: **prospect** without a purchase history
/// (`alive` NaN); **new** when the first purchase is at most `new_periods` periods before the
/// observation end (`age` = lifetimes' `T`); else by P(alive): **active** from `active_alive`
/// up, **at risk** from `lapse_threshold`, **lapsed** from `lapsed_alive`, **churned** below.
///
/// ```
/// use segcore::features::lifecycle::LifecycleStage;
/// use segcore::segmenter::value::stage_by_alive;
/// use segcore::segmenter::ValueParams;
/// let p = ValueParams::default(); // new 13 periods; 0.75 / 0.5 / 0.25
/// assert_eq!(stage_by_alive(40.0, 0.9, &p), LifecycleStage::Active);
/// assert_eq!(stage_by_alive(40.0, 0.6, &p), LifecycleStage::AtRisk);
/// assert_eq!(stage_by_alive(40.0, 0.3, &p), LifecycleStage::Lapsed);
/// assert_eq!(stage_by_alive(40.0, 0.1, &p), LifecycleStage::Churned);
/// assert_eq!(stage_by_alive(5.0, 0.1, &p), LifecycleStage::New);
/// assert_eq!(stage_by_alive(f64::NAN, f64::NAN, &p), LifecycleStage::Prospect);
/// ```
pub fn stage_by_alive(age: f64, alive: f64, params: &ValueParams) -> LifecycleStage {
    if !alive.is_finite() {
        LifecycleStage::Prospect
    } else if age <= params.new_periods {
        LifecycleStage::New
    } else if alive >= params.active_alive {
        LifecycleStage::Active
    } else if alive >= params.lapse_threshold {
        LifecycleStage::AtRisk
    } else if alive >= params.lapsed_alive {
        LifecycleStage::Lapsed
    } else {
        LifecycleStage::Churned
    }
}

/// Adds the `lifecycle_stage` column by churn risk ([`stage_by_alive`]) to a profile table.
pub(crate) fn add_lifecycle_stage(
    table: &mut CustomerTable,
    values: &ValueColumns,
    params: &ValueParams,
) -> Result<()> {
    let stages: Vec<Option<&str>> = values
        .age
        .iter()
        .zip(&values.probability_alive)
        .map(|(&age, &alive)| Some(stage_by_alive(age, alive, params).name()))
        .collect();
    table.add_categorical(LIFECYCLE_COLUMN, &stages)
}

/// The profile column of [`add_lifecycle_stage`] (the name the profile's behaviour mix reads).
pub const LIFECYCLE_COLUMN: &str = "lifecycle_stage";

/// The observation end of the value summary: the day before the as-of date (behaviour features
/// measure from the as-of date, which defaults to the day after the last transaction).
pub(crate) fn observation_end(as_of: Date) -> Result<Date> {
    as_of.checked_add_days(-1).ok_or_else(|| {
        Error::invalid_parameter("as_of", as_of.to_string(), "a date after 0001-01-01")
    })
}

/// Per customer of the log (in `table` row order): frequency, recency, T and mean spend, NaN
/// for rows without a history.
struct Histories {
    rows: Vec<usize>,
    frequency: Vec<f64>,
    recency: Vec<f64>,
    age: Vec<f64>,
    monetary_value: Vec<f64>,
}

fn histories(
    params: &ValueParams,
    table: &CustomerTable,
    log: &TransactionLog,
    end: Date,
) -> Result<Histories> {
    let summary = clv_summary(log, Some(end), params.freq)?;
    let ids = log.customer_ids();
    let mut order: Vec<(usize, usize)> = summary
        .customer_index
        .iter()
        .enumerate()
        .filter_map(|(i, &c)| table.index_of_id(&ids[c as usize]).map(|row| (row, i)))
        .collect();
    order.sort_unstable();
    let pick = |v: &[f64]| order.iter().map(|&(_, i)| v[i]).collect::<Vec<f64>>();
    Ok(Histories {
        rows: order.iter().map(|&(row, _)| row).collect(),
        frequency: pick(&summary.frequency),
        recency: pick(&summary.recency),
        age: pick(&summary.age),
        monetary_value: pick(&summary.monetary_value),
    })
}

/// The three columns of `table`'s rows from fitted models.
fn columns(
    params: &ValueParams,
    beta_geo: &BetaGeo,
    gamma_gamma: &GammaGamma,
    h: &Histories,
    n_rows: usize,
) -> Result<ValueColumns> {
    let mut out = ValueColumns {
        probability_alive: vec![f64::NAN; n_rows],
        expected_purchases: vec![f64::NAN; n_rows],
        clv: vec![f64::NAN; n_rows],
        age: vec![f64::NAN; n_rows],
    };
    if h.rows.is_empty() {
        return Ok(out);
    }
    let history = PurchaseHistory::new(&h.frequency, &h.recency, &h.age)?;
    let alive = beta_geo.probability_alive(&history);
    let purchases = beta_geo.predict_purchases(params.horizon, &history)?;
    let clv = gamma_gamma.customer_lifetime_value(
        beta_geo,
        &history,
        &h.monetary_value,
        params.clv_options(),
    )?;
    for (i, &row) in h.rows.iter().enumerate() {
        out.probability_alive[row] = alive[i];
        out.expected_purchases[row] = purchases[i];
        out.clv[row] = clv[i];
        out.age[row] = h.age[i];
    }
    Ok(out)
}

/// Fits BG/NBD and Gamma-Gamma on the histories of `table`'s customers in `log` and returns the
/// models with the three columns (the value table comes later, from the labels).
pub(crate) fn fit_value(
    params: &ValueParams,
    table: &CustomerTable,
    log: &TransactionLog,
    as_of: Date,
) -> Result<(FittedValue, ValueColumns)> {
    params.check()?;
    let h = histories(params, table, log, observation_end(as_of)?)?;
    let history = PurchaseHistory::new(&h.frequency, &h.recency, &h.age).map_err(|e| match e {
        Error::EmptyInput { .. } => Error::EmptyInput {
            what: "value features: no customer of the table has a purchase up to the as-of date"
                .into(),
        },
        other => other,
    })?;
    let beta_geo = BetaGeoParams::new()
        .penalizer_coef(params.penalizer_coef)
        .fit(&history)?;
    let gamma_gamma = GammaGammaParams::new()
        .penalizer_coef(params.penalizer_coef)
        .exclude_invalid(true)
        .fit(&h.frequency, &h.monetary_value)?;
    let values = columns(params, &beta_geo, &gamma_gamma, &h, table.n_customers())?;
    Ok((
        FittedValue {
            beta_geo,
            gamma_gamma,
        },
        values,
    ))
}

/// The fitted models before the segments are known.
pub(crate) struct FittedValue {
    beta_geo: BetaGeo,
    gamma_gamma: GammaGamma,
}

impl FittedValue {
    /// The value table of the training segmentation (customers with a history only).
    pub(crate) fn with_segments(
        self,
        values: &ValueColumns,
        labels: &[usize],
        n_segments: usize,
        lapse_threshold: f64,
        min_group_size: usize,
    ) -> Result<ValueModel> {
        let rows: Vec<usize> = (0..labels.len())
            .filter(|&r| values.clv[r].is_finite() && values.probability_alive[r].is_finite())
            .collect();
        let pick = |v: &[f64]| rows.iter().map(|&r| v[r]).collect::<Vec<f64>>();
        let segment_labels: Vec<usize> = rows.iter().map(|&r| labels[r]).collect();
        let segments = segment_value(
            &segment_labels,
            n_segments,
            &pick(&values.clv),
            &pick(&values.probability_alive),
            lapse_threshold,
            min_group_size,
        )?;
        Ok(ValueModel {
            beta_geo: self.beta_geo,
            gamma_gamma: self.gamma_gamma,
            segments,
            n_with_history: rows.len(),
            n_without_history: labels.len() - rows.len(),
        })
    }
}

/// The three columns for `table`'s customers from a fitted model (the predict path).
pub(crate) fn predict_value(
    params: &ValueParams,
    model: &ValueModel,
    table: &CustomerTable,
    log: &TransactionLog,
    as_of: Date,
) -> Result<ValueColumns> {
    let h = histories(params, table, log, observation_end(as_of)?)?;
    columns(
        params,
        &model.beta_geo,
        &model.gamma_gamma,
        &h,
        table.n_customers(),
    )
}

/// The value tier and risk of one segment ("high value, at risk"), `None` for a hidden segment.
fn qualifier(
    segment: &SegmentValue,
    base_mean_clv: f64,
    lapse_threshold: f64,
    language: Language,
) -> Option<(String, String)> {
    let mean = segment.mean_clv?;
    let alive = segment.mean_probability_alive?;
    let ratio = if base_mean_clv > 0.0 {
        mean / base_mean_clv
    } else {
        1.0
    };
    let tier = if ratio >= HIGH_VALUE_RATIO {
        language.pick("high value", "hoher Wert")
    } else if ratio <= LOW_VALUE_RATIO {
        language.pick("low value", "geringer Wert")
    } else {
        language.pick("mid value", "mittlerer Wert")
    };
    let risk = if alive < lapse_threshold {
        language.pick("at risk", "abwanderungsgefährdet")
    } else {
        language.pick("active", "aktiv")
    };
    Some((tier.to_string(), risk.to_string()))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Qualifies `names` (and the profile's segment names) with each segment's value tier and risk,
/// per [`ValueNames`]. The tier compares the segment's mean CLV with the base's mean over the
/// customers with a history: at least [`HIGH_VALUE_RATIO`] times it "high value", at most
/// [`LOW_VALUE_RATIO`] times it "low value", else "mid value"; the risk is "at risk" when the
/// segment's mean P(alive) is below the lapse threshold, else "active". Segments whose figures
/// the privacy rules hide keep their names.
pub(crate) fn qualify_names(
    params: &ValueParams,
    model: &ValueModel,
    language: Language,
    names: &mut [String],
    profile: &mut SegmentationProfile,
) {
    if params.names == ValueNames::Keep || model.n_with_history == 0 {
        return;
    }
    let total: f64 = model.segments.iter().filter_map(|s| s.total_clv).sum();
    let counted: usize = model.segments.iter().filter_map(|s| s.n_customers).sum();
    let base_mean = if counted > 0 {
        total / counted as f64
    } else {
        0.0
    };
    for s in &model.segments {
        let Some((tier, risk)) = qualifier(s, base_mean, params.lapse_threshold, language) else {
            continue;
        };
        let Some(name) = names.get_mut(s.segment) else {
            continue;
        };
        *name = match params.names {
            ValueNames::Replace => format!("{}, {risk}", capitalised(&tier)),
            _ => format!("{name}: {tier}, {risk}"),
        };
    }
    super::model::make_unique(names);
    for s in &mut profile.segments {
        if let Some(name) = names.get(s.segment) {
            s.name.clone_from(name);
        }
    }
}

/// The "Value and churn risk" section of the Segmenter's text summary.
pub(crate) fn write_summary(
    f: &mut std::fmt::Formatter<'_>,
    segmenter: &super::Segmenter,
    model: &ValueModel,
) -> std::fmt::Result {
    let Some(settings) = &segmenter.params().value else {
        return Ok(());
    };
    let bg = model.beta_geo.coefficients();
    let gg = model.gamma_gamma.coefficients();
    writeln!(
        f,
        "\nValue and churn risk ({} customers with a purchase history, {} without; \
         BG/NBD r {:.3}, alpha {:.3}, a {:.3}, b {:.3}; Gamma-Gamma p {:.3}, q {:.3}, v {:.3}, \
         {} left out of its fit):",
        model.n_with_history,
        model.n_without_history,
        bg.r,
        bg.alpha,
        bg.a,
        bg.b,
        gg.p,
        gg.q,
        gg.v,
        model.gamma_gamma.n_excluded()
    )?;
    writeln!(
        f,
        "  CLV over {} months; likely to lapse: P(alive) < {}",
        settings.months, settings.lapse_threshold
    )?;
    let opt = |x: Option<f64>, scale: f64, digits: usize| {
        x.map_or("-".to_string(), |v| format!("{:.digits$}", v * scale))
    };
    for s in &model.segments {
        writeln!(
            f,
            "  {} {}: CLV total {}, mean {}, share {} %; mean P(alive) {}; likely to lapse {}",
            s.segment,
            segmenter
                .segment_names()
                .get(s.segment)
                .map_or("", String::as_str),
            opt(s.total_clv, 1.0, 0),
            opt(s.mean_clv, 1.0, 1),
            opt(s.share_of_total_clv, 100.0, 1),
            opt(s.mean_probability_alive, 1.0, 2),
            s.n_likely_to_lapse
                .map_or("-".to_string(), |n| n.to_string())
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::{make_b2b, B2bParams};
    use crate::segmenter::{NClusters, Segmenter, SegmenterParams};

    fn data(n: usize) -> crate::datasets::B2bDataset {
        make_b2b(&B2bParams {
            n_customers: n,
            ..B2bParams::default()
        })
        .unwrap()
    }

    #[test]
    fn features_profile_and_table_from_the_core_models() {
        let d = data(400);
        let model = SegmenterParams::new()
            .n_clusters(NClusters::Fixed(4))
            .min_group_size(5)
            .value(ValueParams::default())
            .fit(&d.customers, Some(&d.transactions))
            .unwrap();
        let value = model.value().unwrap();
        for f in ValueFeature::ALL {
            assert!(model.feature_names_in().iter().any(|c| c == f.name()));
            // Profiled like any numeric column.
            assert!(model.profile().numeric.iter().any(|c| c.column == f.name()));
        }
        // The columns equal the clv models applied by hand to clv_summary.
        let as_of = d
            .transactions
            .date_range()
            .unwrap()
            .1
            .checked_add_days(1)
            .unwrap();
        let summary = clv_summary(
            &d.transactions,
            Some(observation_end(as_of).unwrap()),
            TimeUnit::Week,
        )
        .unwrap();
        let history =
            PurchaseHistory::new(&summary.frequency, &summary.recency, &summary.age).unwrap();
        let refit = BetaGeoParams::new().fit(&history).unwrap();
        assert_eq!(refit.coefficients(), value.beta_geo().coefficients());
        let columns = model
            .customer_value(&d.customers, Some(&d.transactions))
            .unwrap();
        let alive = refit.probability_alive(&history);
        for (i, &c) in summary.customer_index.iter().enumerate().take(50) {
            let row = d
                .customers
                .index_of_id(&d.transactions.customer_ids()[c as usize])
                .unwrap();
            assert_eq!(columns.probability_alive[row], alive[i]);
        }
        // The value table: totals add up over the published segments.
        let published: f64 = value.segments().iter().filter_map(|s| s.total_clv).sum();
        let all: f64 = columns.clv.iter().filter(|v| v.is_finite()).sum();
        assert!((published - all).abs() <= 1e-9 * all.abs().max(1.0));
        assert_eq!(
            value.n_with_history() + value.n_without_history(),
            d.customers.n_customers()
        );
        // Names say value and risk.
        for (s, name) in model.segment_names().iter().enumerate() {
            if value.segments()[s].mean_clv.is_some() {
                assert!(name.contains(" value, "), "{name}");
            }
        }
        assert!(model.to_string().contains("Value and churn risk"));
        // Converged fits: nothing to warn about; a fit stopped early is named.
        assert!(value.warnings().is_empty());
        let mut document = serde_json::to_value(value).unwrap();
        document["gamma_gamma"]["report"]["converged"] = false.into();
        let stopped: ValueModel = serde_json::from_value(document).unwrap();
        assert_eq!(stopped.warnings().len(), 1);
        assert!(stopped.warnings()[0].contains("the gamma_gamma fit did not converge"));
        // The profile's lifecycle mix comes from the stages by P(alive).
        assert!(model
            .profile()
            .behaviour
            .iter()
            .any(|b| b.column == LIFECYCLE_COLUMN));
    }

    #[test]
    fn saved_model_reproduces_the_value_columns_at_predict() {
        let d = data(300);
        let params = ValueParams {
            features: vec![ValueFeature::ProbabilityAlive],
            names: ValueNames::Replace,
            ..ValueParams::default()
        };
        let model = SegmenterParams::new()
            .n_clusters(NClusters::Fixed(3))
            .value(params)
            .fit(&d.customers, Some(&d.transactions))
            .unwrap();
        assert!(model
            .feature_names_in()
            .iter()
            .any(|c| c == "probability_alive"));
        assert!(!model.feature_names_in().iter().any(|c| c == "clv"));
        assert!(model.profile().numeric.iter().any(|c| c.column == "clv"));
        for name in model.segment_names() {
            assert!(
                name.starts_with("High value")
                    || name.starts_with("Mid value")
                    || name.starts_with("Low value")
                    || name.starts_with("Segment"),
                "{name}"
            );
        }
        let document = crate::persist::to_json(&model).unwrap();
        let loaded: Segmenter = crate::persist::from_json(&document).unwrap();
        assert_eq!(loaded, model);
        let assigned = loaded.predict(&d.customers, Some(&d.transactions)).unwrap();
        let labels: Vec<usize> = assigned.iter().map(|a| a.segment.unwrap()).collect();
        assert_eq!(labels, model.labels());
        let a = model
            .customer_value(&d.customers, Some(&d.transactions))
            .unwrap();
        let b = loaded
            .customer_value(&d.customers, Some(&d.transactions))
            .unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a.clv), bits(&b.clv));
    }

    #[test]
    fn bad_settings_and_inputs_are_clear_errors() {
        let d = data(100);
        for (params, name) in [
            (
                ValueParams {
                    horizon: 0.0,
                    ..ValueParams::default()
                },
                "value.horizon",
            ),
            (
                ValueParams {
                    lapse_threshold: 1.5,
                    ..ValueParams::default()
                },
                "value.lapse_threshold",
            ),
            (
                ValueParams {
                    features: vec![ValueFeature::Clv, ValueFeature::Clv],
                    ..ValueParams::default()
                },
                "value.features",
            ),
            (
                ValueParams {
                    freq: TimeUnit::Hour,
                    ..ValueParams::default()
                },
                "value.freq",
            ),
        ] {
            match SegmenterParams::new().value(params).check() {
                Err(Error::InvalidParameter { name: got, .. }) => assert_eq!(got, name),
                other => panic!("{name}: {other:?}"),
            }
        }
        // Value features need a log.
        let err = SegmenterParams::new()
            .n_clusters(NClusters::Fixed(2))
            .value(ValueParams::default())
            .fit(&d.customers, None)
            .unwrap_err();
        assert!(err.to_string().contains("transaction log"), "{err}");
        // A JSON spelling error names the field.
        assert!(serde_json::from_str::<ValueParams>(r#"{"horizn": 3}"#).is_err());
        let p: ValueParams = serde_json::from_str(r#"{"freq": "D", "features": ["clv"]}"#).unwrap();
        assert_eq!(
            (p.freq, p.features),
            (TimeUnit::Day, vec![ValueFeature::Clv])
        );
        assert!(serde_json::from_str::<ValueParams>(r#"{"freq": "Y"}"#).is_err());
    }

    #[test]
    fn names_follow_the_tiers_and_hide_with_the_figures() {
        let value = |mean: Option<f64>, alive: f64| SegmentValue {
            segment: 0,
            n_customers: mean.map(|_| 10),
            total_clv: mean.map(|m| m * 10.0),
            mean_clv: mean,
            share_of_total_clv: None,
            mean_probability_alive: mean.map(|_| alive),
            n_likely_to_lapse: None,
        };
        let q = |mean, alive| qualifier(&value(mean, alive), 100.0, 0.5, Language::English);
        assert_eq!(
            q(Some(150.0), 0.3),
            Some(("high value".into(), "at risk".into()))
        );
        assert_eq!(
            q(Some(50.0), 0.9),
            Some(("low value".into(), "active".into()))
        );
        assert_eq!(q(Some(100.0), 0.5).unwrap().0, "mid value");
        assert_eq!(q(None, 0.1), None);
        assert_eq!(capitalised("high value"), "High value");
    }
}
