//! Behaviour features per customer from the transaction log: recency, frequency, monetary value
//! (RFM) and friends, at an as-of date.
//!
//! Definitions (all at the as-of date; transactions dated on or after it are ignored, so an
//! earlier as-of date reproduces what was known then):
//! - an **order** is a distinct day on which the customer has at least one line with a positive
//!   amount. Returns and credit notes (negative amounts) and zero lines never count as orders;
//! - `recency_days`: days from the last order to the as-of date (>= 1 with the default as-of);
//! - `frequency`: number of orders;
//! - `monetary`: net revenue, the sum of all amounts including returns;
//! - `margin`: net gross margin, the sum of the margin column (needs one in the log);
//! - `average_order_value`: `monetary / frequency`;
//! - `tenure_days`: days from the first order to the as-of date;
//! - `product_categories`: number of distinct product categories among lines with a positive
//!   amount (needs a product category column);
//! - `return_rate`: returned amount / gross ordered amount (0 when nothing was returned);
//! - `interpurchase_mean_days`: mean number of days between consecutive orders,
//!   `(last order - first order) / (frequency - 1)`; undefined with fewer than 2 orders;
//! - `interpurchase_std_days`: sample standard deviation (ddof = 1, as pandas' `std`) of the days
//!   between consecutive orders; undefined with fewer than 3 orders (2 gaps), since one gap says
//!   nothing about regularity;
//! - `revenue_last_window` / `revenue_previous_window`: net revenue (returns included) dated in
//!   `[as_of - m months, as_of)` and in `[as_of - 2m months, as_of - m months)`, with
//!   `m = trend_window_months` (default 12); a month back from the 31st lands on the month's last
//!   day (2025-03-31 - 1 month = 2025-02-28);
//! - `revenue_trend`: `(last - previous) / (|last| + |previous|)`, bounded in `[-1, 1]`: 1 = all
//!   revenue in the last window (new or growing from nothing), -1 = none left, 0 = flat, and 0
//!   when both windows are empty (flat at zero);
//! - `channel_share_<channel>`: one column per sales channel (in the channel column's category
//!   order): the channel's share of the gross ordered amount; lines without a channel count in
//!   the gross amount only, so shares can sum below 1 (needs a channel column).
//!
//! Every customer of the table gets a row, in table order. A customer without orders gets
//! `frequency` 0, `monetary`/`margin` as the sum of its lines (0 without any), `product_categories`
//! 0, and `NaN` (undefined) for `recency_days`, `tenure_days`, `average_order_value`,
//! `return_rate`, the inter-purchase figures and the channel shares: impute them before
//! clustering. Revenue windows and trend are defined for every customer.
//!
//! The as-of date must be after the first transaction (an earlier one describes nobody and is an
//! error naming the first transaction's row).

use crate::data::{CustomerTable, Date, TransactionLog};
use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView1, Axis};
use rayon::prelude::*;

/// One behaviour feature; see the [module documentation](self) for the exact definitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum BehaviourFeature {
    /// Days since the last order.
    RecencyDays,
    /// Number of distinct order days with a positive amount.
    Frequency,
    /// Net revenue after returns.
    Monetary,
    /// Net gross margin (needs a margin column).
    Margin,
    /// Net revenue per order.
    AverageOrderValue,
    /// Days since the first order.
    TenureDays,
    /// Distinct product categories ordered (needs a product category column).
    ProductCategories,
    /// Returned amount over gross ordered amount.
    ReturnRate,
    /// Mean days between consecutive orders.
    InterpurchaseMeanDays,
    /// Sample standard deviation of the days between consecutive orders.
    InterpurchaseStdDays,
    /// Net revenue in the last trend window.
    RevenueLastWindow,
    /// Net revenue in the trend window before the last one.
    RevenuePreviousWindow,
    /// Revenue trend between the two windows, in `[-1, 1]`.
    RevenueTrend,
    /// Share of gross ordered amount per sales channel: one column per channel (needs a channel
    /// column).
    ChannelMix,
}

impl BehaviourFeature {
    /// Every feature, in output order.
    pub const ALL: [BehaviourFeature; 14] = [
        BehaviourFeature::RecencyDays,
        BehaviourFeature::Frequency,
        BehaviourFeature::Monetary,
        BehaviourFeature::Margin,
        BehaviourFeature::AverageOrderValue,
        BehaviourFeature::TenureDays,
        BehaviourFeature::ProductCategories,
        BehaviourFeature::ReturnRate,
        BehaviourFeature::InterpurchaseMeanDays,
        BehaviourFeature::InterpurchaseStdDays,
        BehaviourFeature::RevenueLastWindow,
        BehaviourFeature::RevenuePreviousWindow,
        BehaviourFeature::RevenueTrend,
        BehaviourFeature::ChannelMix,
    ];

    /// The feature's column name (`recency_days`, `frequency`, ...); for
    /// [`ChannelMix`](Self::ChannelMix) the prefix `channel_share` of its columns
    /// (`channel_share_<channel>`).
    pub fn name(self) -> &'static str {
        match self {
            BehaviourFeature::RecencyDays => "recency_days",
            BehaviourFeature::Frequency => "frequency",
            BehaviourFeature::Monetary => "monetary",
            BehaviourFeature::Margin => "margin",
            BehaviourFeature::AverageOrderValue => "average_order_value",
            BehaviourFeature::TenureDays => "tenure_days",
            BehaviourFeature::ProductCategories => "product_categories",
            BehaviourFeature::ReturnRate => "return_rate",
            BehaviourFeature::InterpurchaseMeanDays => "interpurchase_mean_days",
            BehaviourFeature::InterpurchaseStdDays => "interpurchase_std_days",
            BehaviourFeature::RevenueLastWindow => "revenue_last_window",
            BehaviourFeature::RevenuePreviousWindow => "revenue_previous_window",
            BehaviourFeature::RevenueTrend => "revenue_trend",
            BehaviourFeature::ChannelMix => "channel_share",
        }
    }

    /// The log column the feature needs beyond customer, date and amount, if any.
    fn required_column(self) -> Option<&'static str> {
        match self {
            BehaviourFeature::Margin => Some("margin"),
            BehaviourFeature::ProductCategories => Some("product_category"),
            BehaviourFeature::ChannelMix => Some("channel"),
            _ => None,
        }
    }

    fn available_in(self, log: &TransactionLog) -> bool {
        match self {
            BehaviourFeature::Margin => log.margin().is_some(),
            BehaviourFeature::ProductCategories => log.product_category().is_some(),
            BehaviourFeature::ChannelMix => log.channel().is_some(),
            _ => true,
        }
    }
}

/// Parameters of [`behaviour_features`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BehaviourParams {
    /// The date the features describe; transactions on or after it are ignored.
    /// Default (`None`): the day after the last transaction.
    pub as_of: Option<Date>,
    /// Features to compute, in this order. Default (`None`): every feature the log supports, in
    /// [`BehaviourFeature::ALL`] order (margin only with a margin column, product categories only
    /// with a product category column, channel mix only with a channel column).
    pub features: Option<Vec<BehaviourFeature>>,
    /// Length in calendar months of each of the two revenue-trend windows (default 12: the last
    /// 12 months against the 12 before). At least 1.
    pub trend_window_months: u32,
}

impl Default for BehaviourParams {
    fn default() -> Self {
        BehaviourParams {
            as_of: None,
            features: None,
            trend_window_months: 12,
        }
    }
}

impl BehaviourParams {
    /// Sets [`as_of`](Self::as_of).
    pub fn as_of(mut self, date: Date) -> Self {
        self.as_of = Some(date);
        self
    }

    /// Sets [`features`](Self::features).
    pub fn features(mut self, features: &[BehaviourFeature]) -> Self {
        self.features = Some(features.to_vec());
        self
    }

    /// Sets [`trend_window_months`](Self::trend_window_months).
    pub fn trend_window_months(mut self, months: u32) -> Self {
        self.trend_window_months = months;
        self
    }

    /// Checks the parameters: a given feature list is non-empty and has no duplicates; the trend
    /// window is 1 to 1200 months.
    pub fn check(&self) -> Result<()> {
        if !(1..=1200).contains(&self.trend_window_months) {
            return Err(Error::invalid_parameter(
                "trend_window_months",
                self.trend_window_months,
                "1..=1200 calendar months",
            ));
        }
        if let Some(features) = &self.features {
            if features.is_empty() {
                return Err(Error::invalid_parameter(
                    "features",
                    "[]",
                    "at least one behaviour feature (or None for all available)",
                ));
            }
            for (i, f) in features.iter().enumerate() {
                if features[..i].contains(f) {
                    return Err(Error::invalid_parameter(
                        "features",
                        format!("{} listed twice", f.name()),
                        "each feature at most once",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Behaviour features of every customer of a table: an `n_customers x n_features` matrix in
/// table order, with its column names.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BehaviourFeatures {
    /// The as-of date used.
    pub as_of: Date,
    /// Which feature each column holds (channel mix once per channel column).
    pub features: Vec<BehaviourFeature>,
    /// Column names, in column order.
    pub names: Vec<String>,
    /// The values, one row per customer in table order.
    pub values: Array2<f64>,
}

impl BehaviourFeatures {
    /// Column names, in column order.
    pub fn feature_names(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Result<ArrayView1<'_, f64>> {
        match self.names.iter().position(|n| n == name) {
            Some(j) => Ok(self.values.column(j)),
            None => Err(Error::UnknownColumn {
                name: name.to_string(),
                available: self.feature_names().join(", "),
            }),
        }
    }

    /// Adds every feature as a numeric column of `table` (the table the features were computed
    /// for: same number of customers), under the feature names.
    pub fn add_to_table(&self, table: &mut CustomerTable) -> Result<()> {
        if table.n_customers() != self.values.nrows() {
            return Err(Error::ShapeMismatch {
                what: "customer table for behaviour features (number of customers)".into(),
                expected: self.values.nrows(),
                got: table.n_customers(),
            });
        }
        for name in self.feature_names() {
            if table.column(name).is_ok() {
                return Err(Error::invalid_parameter(
                    "name",
                    format!("`{name}`"),
                    "a column name not already in the table",
                ));
            }
        }
        for (j, name) in self.feature_names().into_iter().enumerate() {
            table.add_numeric(name, self.values.column(j).to_vec())?;
        }
        Ok(())
    }
}

/// Customers handled per parallel task: fixed, so results never depend on the thread count.
const CUSTOMERS_PER_TASK: usize = 2048;

/// Computes behaviour features for every customer of `customers` from `log`.
///
/// Fails when a log customer with transactions is not in the table (naming the id), when a
/// requested feature needs a column the log lacks, or when the default as-of date is needed
/// but the log is empty.
///
/// ```
/// use segcore::data::{CustomerTable, Date, TransactionLog};
/// use segcore::features::behaviour::{behaviour_features, BehaviourParams};
/// let d = |s| Date::parse(s).unwrap();
/// let customers = CustomerTable::new(vec!["A".into(), "B".into(), "C".into()])?;
/// let log = TransactionLog::from_ids(
///     &["A", "A", "A", "B"],
///     vec![d("2025-01-01"), d("2025-01-01"), d("2025-03-01"), d("2025-02-01")],
///     vec![100.0, 50.0, 200.0, 80.0],
/// )?;
/// let f = behaviour_features(&customers, &log, &BehaviourParams::default())?;
/// assert_eq!(f.as_of, d("2025-03-02")); // the day after the last transaction
/// assert_eq!(f.column("frequency")?.to_vec(), [2.0, 1.0, 0.0]); // two lines on one day = one order
/// assert_eq!(f.column("monetary")?.to_vec(), [350.0, 80.0, 0.0]);
/// assert_eq!(f.column("recency_days")?[0], 1.0);
/// assert!(f.column("recency_days")?[2].is_nan()); // C never ordered
/// # Ok::<(), segcore::Error>(())
/// ```
///
/// Without `as_of`, a latest transaction more than a year after 99.9 % of the log (a mistyped
/// "2099") is an error naming it: it would move the default as-of date and every recency.
pub fn behaviour_features(
    customers: &CustomerTable,
    log: &TransactionLog,
    params: &BehaviourParams,
) -> Result<BehaviourFeatures> {
    params.check()?;
    let features: Vec<BehaviourFeature> = match &params.features {
        Some(f) => f.clone(),
        None => BehaviourFeature::ALL
            .into_iter()
            .filter(|f| f.available_in(log))
            .collect(),
    };
    for f in &features {
        if !f.available_in(log) {
            return Err(Error::UnknownColumn {
                name: f.required_column().unwrap_or("").to_string(),
                available: available_log_columns(log),
            });
        }
    }
    let as_of = match params.as_of {
        Some(d) => d,
        None => {
            let (_, last) = log.date_range().ok_or_else(|| Error::EmptyInput {
                what:
                    "the transaction log has no rows, so there is no default as-of date; set as_of"
                        .into(),
            })?;
            check_latest_date(log, last)?;
            last.checked_add_days(1).ok_or_else(|| {
                Error::invalid_parameter("as_of", last, "a last transaction before 9999-12-31")
            })?
        }
    };
    if let Some((first_row, first)) = log.dates().iter().enumerate().min_by_key(|(_, d)| **d) {
        if as_of <= *first {
            // Every customer would be empty: almost certainly a wrong date, not a wish.
            return Err(Error::invalid_parameter(
                "as_of",
                as_of,
                format!("a date after the first transaction ({first}, row {first_row} of the log)"),
            ));
        }
    }
    if log.n_transactions() >= u32::MAX as usize {
        return Err(Error::invalid_parameter(
            "log",
            format!("{} transactions", log.n_transactions()),
            format!("fewer than {} transactions", u32::MAX),
        ));
    }
    let window_start = |months: u32| {
        months_before(as_of, months).ok_or_else(|| {
            Error::invalid_parameter(
                "trend_window_months",
                params.trend_window_months,
                format!("windows that start after year 1 (as_of is {as_of})"),
            )
        })
    };
    let last_window_start = window_start(params.trend_window_months)?;
    let previous_window_start = window_start(2 * params.trend_window_months)?;

    // Expand channel mix into one column per channel.
    let channels = log.channel().map_or(&[][..], |c| &c.categories[..]);
    let mut columns = Vec::with_capacity(features.len() + channels.len());
    let mut names = Vec::with_capacity(columns.capacity());
    for &f in &features {
        if f == BehaviourFeature::ChannelMix {
            for channel in channels {
                columns.push(f);
                names.push(format!("{}_{channel}", f.name()));
            }
        } else {
            columns.push(f);
            names.push(f.name().to_string());
        }
    }

    let rows_by_customer = group_rows_by_customer(customers, log)?;
    let n_customers = customers.n_customers();
    let mut values = Array2::<f64>::zeros((n_customers, columns.len()));
    let context = Context {
        log,
        as_of,
        last_window_start,
        previous_window_start,
        columns: &columns,
        n_channels: channels.len(),
        rows: &rows_by_customer,
    };
    values
        .axis_chunks_iter_mut(Axis(0), CUSTOMERS_PER_TASK)
        .into_par_iter()
        .enumerate()
        .for_each(|(task, mut block)| {
            let mut scratch = Scratch::default();
            for (i, mut row) in block.outer_iter_mut().enumerate() {
                let customer = task * CUSTOMERS_PER_TASK + i;
                context.customer_features(
                    customer,
                    &mut scratch,
                    row.as_slice_mut()
                        .expect("rows of a standard-layout matrix are contiguous"),
                );
            }
        });
    Ok(BehaviourFeatures {
        as_of,
        features: columns,
        names,
        values,
    })
}

/// The date `months` calendar months before `date`, the day clamped to the target month's length
/// (March 31 minus one month is February 28 or 29); `None` before year 1.
fn months_before(date: Date, months: u32) -> Option<Date> {
    let (year, month, day) = date.to_ymd();
    let index = i64::from(year) * 12 + i64::from(month - 1) - i64::from(months);
    let target_year = i32::try_from(index.div_euclid(12)).ok()?;
    let target_month = index.rem_euclid(12) as u32 + 1;
    // The first valid day at or below `day` (at most three tries: 31 -> 28).
    (0..4)
        .filter_map(|back| day.checked_sub(back))
        .find_map(|d| Date::from_ymd(target_year, target_month, d).ok())
}

fn available_log_columns(log: &TransactionLog) -> String {
    let mut names = vec!["customer", "date", "amount"];
    if log.margin().is_some() {
        names.push("margin");
    }
    if log.quantity().is_some() {
        names.push("quantity");
    }
    if log.product_category().is_some() {
        names.push("product_category");
    }
    if log.channel().is_some() {
        names.push("channel");
    }
    names.join(", ")
}

/// Log rows grouped by table row (a stable counting sort): the rows of customer `c` are
/// `order[offsets[c]..offsets[c + 1]]`, in log order, so sums run in a fixed order.
struct RowsByCustomer {
    /// `u32` like the row numbers: the log has fewer than `u32::MAX` rows (checked).
    offsets: Vec<u32>,
    order: Vec<u32>,
}

fn group_rows_by_customer(
    customers: &CustomerTable,
    log: &TransactionLog,
) -> Result<RowsByCustomer> {
    const UNKNOWN: u32 = u32::MAX;
    // A table of the log's own customers (the usual case without a customer master) maps code i
    // to row i: skip a million hash lookups.
    let same_ids = customers
        .interned_ids()
        .is_shared_with(log.interned_customer_ids())
        || customers.ids() == log.customer_ids();
    let table_row: Vec<u32> = if same_ids {
        (0..log.customer_ids().len() as u32).collect()
    } else {
        log.customer_ids()
            .iter()
            .map(|id| customers.index_of_id(id).map_or(UNKNOWN, |r| r as u32))
            .collect()
    };
    // offsets[c + 1] counts customer c's rows, then becomes the end of its range.
    let mut offsets = vec![0u32; customers.n_customers() + 1];
    for (i, &code) in log.customer_codes().iter().enumerate() {
        let row = table_row[code as usize];
        if row == UNKNOWN {
            // Silently dropping revenue of customers missing from the table would bias every
            // feature; the user decides whether to add them or filter the log.
            return Err(Error::UnknownCategory {
                column: format!(
                    "customer_id (transaction log row {i}: customer missing from the customer table)"
                ),
                value: log.customer_ids()[code as usize].clone(),
            });
        }
        offsets[row as usize + 1] += 1;
    }
    for c in 1..offsets.len() {
        offsets[c] += offsets[c - 1];
    }
    // Fill each range from its start; `next` ends equal to offsets[1..].
    let mut next = offsets[..offsets.len() - 1].to_vec();
    let mut order = vec![0u32; log.n_transactions()];
    for (i, &code) in log.customer_codes().iter().enumerate() {
        let row = table_row[code as usize] as usize;
        order[next[row] as usize] = i as u32;
        next[row] += 1;
    }
    drop(next);
    Ok(RowsByCustomer { offsets, order })
}

struct Context<'a> {
    log: &'a TransactionLog,
    as_of: Date,
    last_window_start: Date,
    previous_window_start: Date,
    columns: &'a [BehaviourFeature],
    n_channels: usize,
    rows: &'a RowsByCustomer,
}

/// Per-task buffers reused across customers.
#[derive(Default)]
struct Scratch {
    order_days: Vec<i32>,
    categories: Vec<u32>,
    channel_amounts: Vec<f64>,
}

impl Context<'_> {
    fn customer_features(&self, customer: usize, scratch: &mut Scratch, out: &mut [f64]) {
        let log = self.log;
        let (start, end) = (self.rows.offsets[customer], self.rows.offsets[customer + 1]);
        let rows = &self.rows.order[start as usize..end as usize];
        let (dates, amounts) = (log.dates(), log.amounts());
        let margin = log.margin();
        let categories = log.product_category();
        let channels = log.channel();
        scratch.order_days.clear();
        scratch.categories.clear();
        scratch.channel_amounts.clear();
        scratch.channel_amounts.resize(self.n_channels, 0.0);
        let (mut net, mut gross, mut returned, mut net_margin) = (0.0, 0.0, 0.0, 0.0);
        let (mut last_window, mut previous_window) = (0.0, 0.0);
        for &r in rows {
            let r = r as usize;
            let date = dates[r];
            if date >= self.as_of {
                continue;
            }
            let amount = amounts[r];
            net += amount;
            if date >= self.last_window_start {
                last_window += amount;
            } else if date >= self.previous_window_start {
                previous_window += amount;
            }
            if let Some(m) = margin {
                net_margin += m[r];
            }
            if amount > 0.0 {
                gross += amount;
                scratch.order_days.push(date.days_since_epoch());
                if let Some(c) = categories {
                    let code = c.codes[r];
                    if code != crate::data::CategoricalColumn::MISSING {
                        scratch.categories.push(code);
                    }
                }
                if let Some(c) = channels {
                    let code = c.codes[r];
                    if code != crate::data::CategoricalColumn::MISSING {
                        scratch.channel_amounts[code as usize] += amount;
                    }
                }
            } else {
                returned -= amount;
            }
        }
        scratch.order_days.sort_unstable();
        scratch.order_days.dedup();
        scratch.categories.sort_unstable();
        scratch.categories.dedup();
        let order_days = &scratch.order_days;
        let frequency = order_days.len();
        let days_to_as_of = |day: Option<&i32>| {
            day.map_or(f64::NAN, |&d| f64::from(self.as_of.days_since_epoch() - d))
        };
        let mut channel = 0;
        for (slot, feature) in out.iter_mut().zip(self.columns) {
            *slot = match feature {
                BehaviourFeature::RecencyDays => days_to_as_of(order_days.last()),
                BehaviourFeature::Frequency => frequency as f64,
                BehaviourFeature::Monetary => net,
                BehaviourFeature::Margin => net_margin,
                BehaviourFeature::AverageOrderValue => {
                    if frequency == 0 {
                        f64::NAN
                    } else {
                        net / frequency as f64
                    }
                }
                BehaviourFeature::TenureDays => days_to_as_of(order_days.first()),
                BehaviourFeature::ProductCategories => scratch.categories.len() as f64,
                BehaviourFeature::ReturnRate => {
                    if gross > 0.0 {
                        returned / gross
                    } else {
                        f64::NAN
                    }
                }
                BehaviourFeature::InterpurchaseMeanDays => interpurchase_mean(order_days),
                BehaviourFeature::InterpurchaseStdDays => interpurchase_std(order_days),
                BehaviourFeature::RevenueLastWindow => last_window,
                BehaviourFeature::RevenuePreviousWindow => previous_window,
                BehaviourFeature::RevenueTrend => {
                    let scale = f64::abs(last_window) + f64::abs(previous_window);
                    if scale > 0.0 {
                        (last_window - previous_window) / scale
                    } else {
                        0.0
                    }
                }
                BehaviourFeature::ChannelMix => {
                    let share = if gross > 0.0 {
                        scratch.channel_amounts[channel] / gross
                    } else {
                        f64::NAN
                    };
                    channel += 1;
                    share
                }
            };
        }
    }
}

/// Mean gap between consecutive sorted distinct order days; `NaN` with fewer than 2 orders.
fn interpurchase_mean(order_days: &[i32]) -> f64 {
    match (order_days.first(), order_days.last()) {
        (Some(first), Some(last)) if order_days.len() >= 2 => {
            f64::from(last - first) / (order_days.len() - 1) as f64
        }
        _ => f64::NAN,
    }
}

/// Sample standard deviation (ddof = 1) of the gaps; `NaN` with fewer than 2 gaps.
fn interpurchase_std(order_days: &[i32]) -> f64 {
    let n_gaps = order_days.len().saturating_sub(1);
    if n_gaps < 2 {
        return f64::NAN;
    }
    let mean = interpurchase_mean(order_days);
    let sum_sq: f64 = order_days
        .windows(2)
        .map(|w| {
            let deviation = f64::from(w[1] - w[0]) - mean;
            deviation * deviation
        })
        .sum();
    (sum_sq / (n_gaps - 1) as f64).sqrt()
}

/// Days by which the latest transaction may follow 99.9 % of the log before it is taken for a
/// mistyped date rather than the end of the history.
const LATEST_DATE_GAP_DAYS: i32 = 366;

/// The default as-of date is the day after the latest transaction: refuse a latest date that
/// lies far beyond the rest of the log (a typo such as 2099), which would otherwise shift every
/// recency and the lifecycle of every customer without a word.
fn check_latest_date(log: &TransactionLog, last: Date) -> Result<()> {
    let dates = log.dates();
    let n = dates.len();
    if n < 20 {
        return Ok(());
    }
    let mut days: Vec<i32> = dates.iter().map(|d| d.days_since_epoch()).collect();
    // At least the second-latest row: one mistyped date among a few thousand is found too.
    let bulk_index = (((n - 1) as f64 * 0.999).floor() as usize).min(n - 2);
    let (_, &mut bulk_end, _) = days.select_nth_unstable(bulk_index);
    let gap = last.days_since_epoch() - bulk_end;
    if gap <= LATEST_DATE_GAP_DAYS {
        return Ok(());
    }
    let row = dates
        .iter()
        .position(|&d| d == last)
        .expect("the latest date is a date of the log");
    let bulk_end = Date::from_days_since_epoch(bulk_end)?;
    Err(Error::invalid_parameter(
        "as_of",
        format!(
            "not set, so the day after the latest transaction, {last} (row {row} of the log), \
             {gap} days after 99.9 % of the log"
        ),
        format!(
            "a latest transaction within {LATEST_DATE_GAP_DAYS} days of the rest of the log \
             (which ends by {bulk_end}): a mistyped date would shift every recency; fix or drop \
             that row, or set as_of"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::CategoricalColumn;

    fn d(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn a_mistyped_future_date_is_an_error_not_a_new_as_of_date() {
        let ids: Vec<String> = (0..10).map(|i| format!("C{i}")).collect();
        let customers = CustomerTable::new(ids.clone()).unwrap();
        let n = 200;
        let codes: Vec<u32> = (0..n).map(|i| (i % 10) as u32).collect();
        let mut dates: Vec<Date> = (0..n)
            .map(|i| d("2024-01-01").checked_add_days(i as i32 * 2).unwrap())
            .collect();
        dates[77] = d("2099-03-01");
        let log = TransactionLog::new(ids, codes, dates, vec![10.0; n]).unwrap();
        let err = behaviour_features(&customers, &log, &BehaviourParams::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("2099-03-01") && err.contains("row 77"),
            "{err}"
        );
        // An explicit as_of is the user's decision.
        let params = BehaviourParams::default().as_of(d("2025-06-01"));
        assert!(behaviour_features(&customers, &log, &params).is_ok());
    }

    fn fixture() -> (CustomerTable, TransactionLog) {
        let customers =
            CustomerTable::new(vec!["B".into(), "A".into(), "none".into(), "R".into()]).unwrap();
        let log = TransactionLog::from_ids(
            &["A", "B", "A", "A", "A", "R"],
            vec![
                d("2025-01-10"),
                d("2025-02-01"),
                d("2025-01-10"),
                d("2025-01-20"),
                d("2025-03-01"),
                d("2025-02-15"),
            ],
            vec![100.0, 80.0, 50.0, -30.0, 200.0, -10.0],
        )
        .unwrap()
        .with_margin(vec![30.0, 10.0, 15.0, -9.0, 60.0, -2.0])
        .unwrap()
        .with_product_category(CategoricalColumn::from_values(&[
            Some("x"),
            Some("y"),
            Some("x"),
            Some("z"),
            None,
            Some("x"),
        ]))
        .unwrap();
        (customers, log)
    }

    #[test]
    fn computes_documented_definitions_in_table_order() {
        let (customers, log) = fixture();
        let f = behaviour_features(&customers, &log, &BehaviourParams::default()).unwrap();
        assert_eq!(f.as_of, d("2025-03-02"));
        assert_eq!(
            f.feature_names()[..8],
            [
                "recency_days",
                "frequency",
                "monetary",
                "margin",
                "average_order_value",
                "tenure_days",
                "product_categories",
                "return_rate"
            ]
        );
        assert_eq!(f.values.ncols(), 13); // + 5 inter-purchase and trend columns, no channel
        let row = |i: usize| f.values.row(i).to_vec();
        // A: orders on 01-10 (two lines), 03-01; the -30 return is not an order.
        let a = row(1);
        assert_eq!(a[..4], [1.0, 2.0, 320.0, 96.0]);
        assert_eq!(a[4], 160.0);
        assert_eq!(a[5], 51.0);
        assert_eq!(a[6], 1.0); // x twice, the return's z is not ordered, the last line has none
        assert_eq!(a[7], 30.0 / 350.0);
        // B: one order.
        assert_eq!(row(0)[..3], [29.0, 1.0, 80.0]);
        // No transactions: frequency 0, monetary 0, undefined recency/tenure/AOV.
        let none = row(2);
        assert_eq!((none[1], none[2], none[3], none[6]), (0.0, 0.0, 0.0, 0.0));
        assert!(none[0].is_nan() && none[4].is_nan() && none[5].is_nan() && none[7].is_nan());
        // Only a return: no order, negative monetary.
        let r = row(3);
        assert_eq!((r[1], r[2]), (0.0, -10.0));
        assert!(r[0].is_nan());
    }

    #[test]
    fn as_of_ignores_later_transactions() {
        let (customers, log) = fixture();
        let params = BehaviourParams::default()
            .as_of(d("2025-02-01"))
            .features(&[BehaviourFeature::Monetary, BehaviourFeature::RecencyDays]);
        let f = behaviour_features(&customers, &log, &params).unwrap();
        assert_eq!(f.column("monetary").unwrap().to_vec()[..2], [0.0, 120.0]);
        assert_eq!(f.column("recency_days").unwrap()[1], 22.0);
        assert!(f.column("frequency").is_err());
    }

    #[test]
    fn errors_name_the_problem() {
        let (customers, log) = fixture();
        let small = CustomerTable::new(vec!["A".into(), "B".into()]).unwrap();
        let err = behaviour_features(&small, &log, &BehaviourParams::default()).unwrap_err();
        assert!(err.to_string().contains("`R`"), "{err}");
        assert!(err.to_string().contains("row 5"), "{err}");
        let plain = TransactionLog::from_ids(&["A"], vec![d("2025-01-01")], vec![1.0]).unwrap();
        let err = behaviour_features(
            &customers,
            &plain,
            &BehaviourParams::default().features(&[BehaviourFeature::Margin]),
        )
        .unwrap_err();
        assert!(
            matches!(&err, Error::UnknownColumn { name, .. } if name == "margin"),
            "{err}"
        );
        let defaults = behaviour_features(&customers, &plain, &BehaviourParams::default()).unwrap();
        assert!(!defaults.feature_names().contains(&"margin"));
        let empty = TransactionLog::from_ids(&[], vec![], vec![]).unwrap();
        assert!(matches!(
            behaviour_features(&customers, &empty, &BehaviourParams::default()),
            Err(Error::EmptyInput { .. })
        ));
        assert!(BehaviourParams::default().features(&[]).check().is_err());
        assert!(BehaviourParams::default()
            .features(&[BehaviourFeature::Frequency, BehaviourFeature::Frequency])
            .check()
            .is_err());
    }

    #[test]
    fn adds_columns_to_the_table() {
        let (mut customers, log) = fixture();
        let f = behaviour_features(&customers, &log, &BehaviourParams::default()).unwrap();
        f.add_to_table(&mut customers).unwrap();
        assert_eq!(
            customers.numeric("frequency").unwrap(),
            [1.0, 2.0, 0.0, 0.0]
        );
        assert!(f.add_to_table(&mut customers).is_err());
    }

    #[test]
    fn same_result_for_many_customers_across_tasks() {
        // More customers than one task holds, so several tasks run; compare with a serial sum.
        let n = 3 * CUSTOMERS_PER_TASK + 17;
        let ids: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
        let customers = CustomerTable::new(ids.clone()).unwrap();
        let refs: Vec<&str> = (0..4 * n).map(|i| ids[(i * 7919) % n].as_str()).collect();
        let dates = (0..4 * n)
            .map(|i| Date::from_days_since_epoch(20_000 + (i % 365) as i32).unwrap())
            .collect();
        let amounts: Vec<f64> = (0..4 * n).map(|i| (i % 97) as f64 - 5.0).collect();
        let log = TransactionLog::from_ids(&refs, dates, amounts.clone()).unwrap();
        let f = behaviour_features(&customers, &log, &BehaviourParams::default()).unwrap();
        let mut expected = vec![0.0; n];
        for (r, id) in refs.iter().enumerate() {
            expected[customers.index_of_id(id).unwrap()] += amounts[r];
        }
        assert_eq!(f.column("monetary").unwrap().to_vec(), expected);
    }

    #[test]
    fn interpurchase_trend_and_channel_mix() {
        let customers = CustomerTable::new(vec!["A".into(), "B".into(), "none".into()]).unwrap();
        // A orders on days 0, 10, 30, 60 (gaps 10, 20, 30) of 2024 and once more in 2025.
        let log = TransactionLog::from_ids(
            &["A", "A", "A", "A", "A", "A", "B"],
            vec![
                d("2024-01-01"),
                d("2024-01-11"),
                d("2024-01-31"),
                d("2024-03-01"),
                d("2024-03-01"),
                d("2025-03-01"),
                d("2025-03-01"),
            ],
            vec![100.0, 100.0, 100.0, 50.0, -20.0, 200.0, 10.0],
        )
        .unwrap()
        .with_channel(CategoricalColumn::from_values(&[
            Some("EDI"),
            Some("web"),
            Some("EDI"),
            None,
            Some("web"),
            Some("EDI"),
            Some("web"),
        ]))
        .unwrap();
        let params = BehaviourParams::default().as_of(d("2025-03-31"));
        let f = behaviour_features(&customers, &log, &params).unwrap();
        assert_eq!(
            f.feature_names()[6..],
            [
                "interpurchase_mean_days",
                "interpurchase_std_days",
                "revenue_last_window",
                "revenue_previous_window",
                "revenue_trend",
                "channel_share_EDI",
                "channel_share_web",
            ]
        );
        let col = |name: &str| f.column(name).unwrap().to_vec();
        // A: order days 2024-01-01, 01-11, 01-31, 03-01, 2025-03-01: gaps 10, 20, 30, 365.
        let gaps = [10.0, 20.0, 30.0, 365.0];
        let mean = gaps.iter().sum::<f64>() / 4.0;
        assert_eq!(col("interpurchase_mean_days")[0], mean);
        let var = gaps.iter().map(|g| (g - mean) * (g - mean)).sum::<f64>() / 3.0;
        assert_eq!(col("interpurchase_std_days")[0], var.sqrt());
        // B has one order: mean and std undefined.
        assert!(col("interpurchase_mean_days")[1].is_nan());
        assert!(col("interpurchase_std_days")[1].is_nan());
        // Windows at 2025-03-31: last = [2024-03-31, 2025-03-31), previous = [2023-03-31, ...).
        assert_eq!(col("revenue_last_window")[..2], [200.0, 10.0]);
        assert_eq!(col("revenue_previous_window")[..2], [330.0, 0.0]);
        assert_eq!(col("revenue_trend")[..2], [(200.0 - 330.0) / 530.0, 1.0]);
        assert_eq!(col("revenue_trend")[2], 0.0); // no revenue in either window: flat
                                                  // Channel shares of the gross ordered amount 550 (the return does not count).
        assert_eq!(col("channel_share_EDI")[0], 400.0 / 550.0);
        assert_eq!(col("channel_share_web")[0], 100.0 / 550.0); // 50 without channel
        assert_eq!(col("channel_share_web")[1], 1.0);
        assert!(col("channel_share_EDI")[2].is_nan());
        // A 6-month window moves March 2024 out of the previous window.
        let f6 =
            behaviour_features(&customers, &log, &params.clone().trend_window_months(6)).unwrap();
        assert_eq!(f6.column("revenue_previous_window").unwrap()[0], 0.0);
        assert!(BehaviourParams::default()
            .trend_window_months(0)
            .check()
            .is_err());
    }

    #[test]
    fn months_before_clamps_to_month_end() {
        assert_eq!(months_before(d("2025-03-31"), 1), Some(d("2025-02-28")));
        assert_eq!(months_before(d("2024-03-31"), 1), Some(d("2024-02-29")));
        assert_eq!(months_before(d("2025-01-15"), 13), Some(d("2023-12-15")));
        assert_eq!(months_before(d("2025-05-31"), 24), Some(d("2023-05-31")));
        assert_eq!(months_before(d("0001-06-01"), 12), None);
    }

    #[test]
    fn as_of_on_or_before_the_first_transaction_is_an_error() {
        let (customers, log) = fixture();
        for as_of in ["2025-01-10", "2024-12-31"] {
            let err = behaviour_features(
                &customers,
                &log,
                &BehaviourParams::default().as_of(d(as_of)),
            )
            .unwrap_err();
            let msg = err.to_string();
            assert!(matches!(err, Error::InvalidParameter { name: "as_of", .. }));
            assert!(msg.contains("2025-01-10") && msg.contains("row 0"), "{msg}");
        }
    }

    #[test]
    fn types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<BehaviourParams>();
        assert_send_sync::<BehaviourFeatures>();
    }
}
