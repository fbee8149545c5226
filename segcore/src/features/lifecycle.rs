//! Lifecycle stage per customer from its first purchase and its last purchase or touchpoint,
//! with configurable day thresholds.
//!
//! Rules, tried in order, at the as-of date of the day counts:
//! 1. **prospect**: no purchase ever (touchpoints alone do not make a customer);
//! 2. **new**: first purchase at most `new_days` days ago (default 90);
//! 3. otherwise by the days since the last activity, the later of the last purchase and the last
//!    touchpoint (a visit, call or quote counts as a sign of life when given):
//!    **active** up to `active_days` (default 90), **at risk** up to `at_risk_days` (180),
//!    **lapsed** up to `lapsed_days` (365), **churned** beyond.
//!
//! Day counts come from [`behaviour_features`](crate::features::behaviour_features)
//! (`recency_days`, `tenure_days`); `NaN` means "never".

use crate::data::{Date, RawLog};
use crate::error::{Error, Result};
use crate::features::behaviour::{
    behaviour_features_of_raw, BehaviourFeature, BehaviourFeatures, BehaviourParams,
};

/// A customer's lifecycle stage.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum LifecycleStage {
    /// Never purchased.
    Prospect,
    /// First purchase within `new_days`.
    New,
    /// Last activity within `active_days`.
    Active,
    /// Last activity within `at_risk_days`.
    AtRisk,
    /// Last activity within `lapsed_days`.
    Lapsed,
    /// Last activity longer ago than `lapsed_days`.
    Churned,
}

impl LifecycleStage {
    /// Every stage, in order.
    pub const ALL: [LifecycleStage; 6] = [
        LifecycleStage::Prospect,
        LifecycleStage::New,
        LifecycleStage::Active,
        LifecycleStage::AtRisk,
        LifecycleStage::Lapsed,
        LifecycleStage::Churned,
    ];

    /// The stage's name: `prospect`, `new`, `active`, `at risk`, `lapsed`, `churned`.
    pub fn name(self) -> &'static str {
        match self {
            LifecycleStage::Prospect => "prospect",
            LifecycleStage::New => "new",
            LifecycleStage::Active => "active",
            LifecycleStage::AtRisk => "at risk",
            LifecycleStage::Lapsed => "lapsed",
            LifecycleStage::Churned => "churned",
        }
    }
}

/// Day thresholds of [`lifecycle_stages`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LifecycleParams {
    /// A first purchase at most this many days ago makes a customer new (default 90).
    pub new_days: u32,
    /// Last activity at most this many days ago: active (default 90).
    pub active_days: u32,
    /// ... at risk (default 180).
    pub at_risk_days: u32,
    /// ... lapsed (default 365); beyond: churned.
    pub lapsed_days: u32,
}

impl Default for LifecycleParams {
    fn default() -> Self {
        LifecycleParams {
            new_days: 90,
            active_days: 90,
            at_risk_days: 180,
            lapsed_days: 365,
        }
    }
}

impl LifecycleParams {
    /// Checks `active_days < at_risk_days < lapsed_days` and `new_days >= 1`.
    pub fn check(&self) -> Result<()> {
        if self.new_days == 0 {
            return Err(Error::invalid_parameter(
                "new_days",
                self.new_days,
                "at least 1 day",
            ));
        }
        if self.active_days == 0 {
            return Err(Error::invalid_parameter(
                "active_days",
                self.active_days,
                "at least 1 day",
            ));
        }
        if self.at_risk_days <= self.active_days {
            return Err(Error::invalid_parameter(
                "at_risk_days",
                self.at_risk_days,
                format!("more than active_days ({})", self.active_days),
            ));
        }
        if self.lapsed_days <= self.at_risk_days {
            return Err(Error::invalid_parameter(
                "lapsed_days",
                self.lapsed_days,
                format!("more than at_risk_days ({})", self.at_risk_days),
            ));
        }
        Ok(())
    }
}

fn check_days(what: &str, days: &[f64], expected: usize) -> Result<()> {
    if days.len() != expected {
        return Err(Error::ShapeMismatch {
            what: format!("`{what}` (one value per customer)"),
            expected,
            got: days.len(),
        });
    }
    // NaN = never; anything else must be a non-negative day count.
    if let Some(row) = days.iter().position(|d| d.is_infinite() || *d < 0.0) {
        return Err(Error::NonFiniteValue {
            what: format!("{what} (days must be >= 0, NaN = never)"),
            row,
            column: 0,
            value: days[row],
        });
    }
    Ok(())
}

/// Lifecycle stage per customer (input order) from days since the last purchase
/// (`recency_days`), days since the first purchase (`tenure_days`) and optionally days since
/// the last touchpoint; `NaN` = never.
///
/// ```
/// use segcore::features::lifecycle::{lifecycle_stages, LifecycleParams, LifecycleStage};
/// let nan = f64::NAN;
/// let recency = [10.0, 10.0, 120.0, 300.0, 800.0, nan];
/// let tenure = [30.0, 400.0, 900.0, 900.0, 1000.0, nan];
/// let stages = lifecycle_stages(&recency, &tenure, None, &LifecycleParams::default())?;
/// use LifecycleStage::*;
/// assert_eq!(stages, [New, Active, AtRisk, Lapsed, Churned, Prospect]);
/// // A call 20 days ago brings the lapsed customer back to active.
/// let touch = [nan, nan, nan, 20.0, nan, 5.0];
/// let stages = lifecycle_stages(&recency, &tenure, Some(&touch), &LifecycleParams::default())?;
/// assert_eq!(stages[3], Active);
/// assert_eq!(stages[5], Prospect);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn lifecycle_stages(
    days_since_last_purchase: &[f64],
    days_since_first_purchase: &[f64],
    days_since_last_touchpoint: Option<&[f64]>,
    params: &LifecycleParams,
) -> Result<Vec<LifecycleStage>> {
    params.check()?;
    let n = days_since_last_purchase.len();
    check_days("days_since_last_purchase", days_since_last_purchase, n)?;
    check_days("days_since_first_purchase", days_since_first_purchase, n)?;
    if let Some(touch) = days_since_last_touchpoint {
        check_days("days_since_last_touchpoint", touch, n)?;
    }
    let stages = (0..n)
        .map(|i| {
            let (last, first) = (days_since_last_purchase[i], days_since_first_purchase[i]);
            if last.is_nan() || first.is_nan() {
                return LifecycleStage::Prospect;
            }
            if first <= f64::from(params.new_days) {
                return LifecycleStage::New;
            }
            let touch = days_since_last_touchpoint.map_or(f64::NAN, |t| t[i]);
            // f64::min ignores a NaN operand: no touchpoint leaves the purchase recency.
            let since_activity = last.min(touch);
            if since_activity <= f64::from(params.active_days) {
                LifecycleStage::Active
            } else if since_activity <= f64::from(params.at_risk_days) {
                LifecycleStage::AtRisk
            } else if since_activity <= f64::from(params.lapsed_days) {
                LifecycleStage::Lapsed
            } else {
                LifecycleStage::Churned
            }
        })
        .collect();
    Ok(stages)
}

/// The lifecycle stages of the customers of a purchase log (or of `customer_ids`), with the
/// date and the rows skipped: see [`lifecycle_of_logs`].
#[derive(Debug, Clone, PartialEq)]
pub struct LifecycleOfLogs {
    /// Stage of every customer (the log's customers in code order, or `customer_ids`' order).
    pub stages: Vec<LifecycleStage>,
    /// The as-of date of the day counts.
    pub as_of: Date,
    /// Purchase rows skipped under the skip policy.
    pub skipped: usize,
    /// Touchpoint rows skipped under the skip policy.
    pub skipped_touchpoints: usize,
}

/// Lifecycle stages from logs: recency and tenure from a behaviour pass over the `purchases`
/// ([`behaviour_features_of_raw`]), the days since the last contact from a pass over the
/// `touchpoints` (amounts ignored) for the same customers at the same date, then
/// [`lifecycle_stages`]. `as_of` None: the day after the last purchase.
pub fn lifecycle_of_logs(
    purchases: RawLog,
    touchpoints: Option<RawLog>,
    customer_ids: Option<Vec<String>>,
    as_of: Option<Date>,
    params: &LifecycleParams,
) -> Result<LifecycleOfLogs> {
    let column = |f: &BehaviourFeatures, feature: BehaviourFeature| -> Vec<f64> {
        let j = f.features.iter().position(|&g| g == feature).unwrap_or(0);
        f.values.column(j).to_vec()
    };
    let pass = |as_of: Option<Date>, features: Vec<BehaviourFeature>| BehaviourParams {
        as_of,
        features: Some(features),
        trend_window_months: 12,
    };
    let recency_and_tenure = pass(
        as_of,
        vec![BehaviourFeature::RecencyDays, BehaviourFeature::TenureDays],
    );
    let (f, skipped, customers) =
        behaviour_features_of_raw(purchases, customer_ids, &recency_and_tenure)?;
    let (touch, skipped_touchpoints) = match touchpoints {
        None => (None, 0),
        Some(log) => {
            let contacts = pass(Some(f.as_of), vec![BehaviourFeature::RecencyDays]);
            let ids = Some(customers.ids().to_vec());
            let (t, skipped, _) = behaviour_features_of_raw(log, ids, &contacts)?;
            (Some(column(&t, BehaviourFeature::RecencyDays)), skipped)
        }
    };
    let stages = lifecycle_stages(
        &column(&f, BehaviourFeature::RecencyDays),
        &column(&f, BehaviourFeature::TenureDays),
        touch.as_deref(),
        params,
    )?;
    Ok(LifecycleOfLogs {
        stages,
        as_of: f.as_of,
        skipped,
        skipped_touchpoints,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use LifecycleStage::*;

    #[test]
    fn thresholds_are_inclusive_and_configurable() {
        let p = LifecycleParams::default();
        let recency = [90.0, 91.0, 180.0, 181.0, 365.0, 366.0];
        let tenure = [1000.0; 6];
        assert_eq!(
            lifecycle_stages(&recency, &tenure, None, &p).unwrap(),
            [Active, AtRisk, AtRisk, Lapsed, Lapsed, Churned]
        );
        let short = LifecycleParams {
            new_days: 30,
            active_days: 30,
            at_risk_days: 60,
            lapsed_days: 120,
        };
        assert_eq!(
            lifecycle_stages(&[45.0, 10.0], &[400.0, 30.0], None, &short).unwrap(),
            [AtRisk, New]
        );
    }

    #[test]
    fn touchpoints_refresh_but_never_create_customers() {
        let p = LifecycleParams::default();
        let stages = lifecycle_stages(
            &[400.0, 400.0, f64::NAN],
            &[800.0, 800.0, f64::NAN],
            Some(&[100.0, 500.0, 1.0]),
            &p,
        )
        .unwrap();
        // A touchpoint older than the last purchase changes nothing.
        assert_eq!(stages, [AtRisk, Churned, Prospect]);
    }

    #[test]
    fn bad_input_and_parameters_are_named() {
        let p = LifecycleParams::default();
        let err = lifecycle_stages(&[1.0, -3.0], &[1.0, 1.0], None, &p).unwrap_err();
        assert!(matches!(err, Error::NonFiniteValue { row: 1, .. }), "{err}");
        assert!(lifecycle_stages(&[1.0], &[1.0, 2.0], None, &p).is_err());
        assert!(lifecycle_stages(&[1.0], &[1.0], Some(&[]), &p).is_err());
        let bad = LifecycleParams {
            at_risk_days: 90,
            ..p
        };
        assert!(bad
            .check()
            .unwrap_err()
            .to_string()
            .contains("at_risk_days"));
        let bad = LifecycleParams {
            lapsed_days: 100,
            ..p
        };
        assert!(bad.check().unwrap_err().to_string().contains("lapsed_days"));
        assert!(LifecycleParams { new_days: 0, ..p }.check().is_err());
        assert_eq!(LifecycleStage::AtRisk.name(), "at risk");
    }

    #[test]
    fn types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<LifecycleParams>();
        assert_send_sync::<LifecycleStage>();
    }
}
