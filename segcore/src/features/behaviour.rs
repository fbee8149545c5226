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
//!
//! One pass: customers are split into ranges of about equal row counts; each range gathers its
//! rows' days and amounts by customer (a stable counting sort, so every sum runs in log order
//! and the split never changes a bit) and computes its customers from them. 10M lines of 1M
//! customers with integer ids: 13x polars and 28x pandas in one run (docs/performance.md).

use crate::data::{CustomerTable, Date, RawLog, TransactionLog};
use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView1};
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

    let n_customers = customers.n_customers();
    let mut values = Array2::<f64>::zeros((n_customers, columns.len()));
    let groups = CustomerGroups::new(customers, log)?;
    let context = Context {
        log,
        as_of,
        last_window_start,
        previous_window_start,
        columns: &columns,
        n_channels: channels.len(),
        needs_rows: columns.iter().any(|f| f.required_column().is_some()),
    };
    let width = columns.len();
    if width == 0 {
        // Only a channel mix, and the channel column names no channel: nothing to compute.
        return Ok(BehaviourFeatures {
            as_of,
            features: columns,
            names,
            values,
        });
    }
    let out = values
        .as_slice_mut()
        .expect("a new matrix is in standard layout");
    // Customer ranges with about the same number of log rows each; every range gathers its own
    // rows (a scan of the customer codes) and computes its customers. A customer's rows are
    // always summed in log order, so the split never changes a result.
    let n_ranges = if log.n_transactions() < ROWS_PER_RANGE_MIN {
        1
    } else {
        2 * rayon::current_num_threads()
    };
    let bounds = groups.balanced_bounds(n_ranges);
    let mut tasks = Vec::with_capacity(bounds.len());
    let mut rest = out;
    for w in bounds.windows(2) {
        let (head, tail) = rest.split_at_mut((w[1] - w[0]) * width);
        tasks.push((w[0], w[1], head));
        rest = tail;
    }
    tasks.into_par_iter().for_each(|(lo, hi, block)| {
        let gathered = groups.gather(log, lo, hi, context.needs_rows);
        let mut scratch = Scratch::default();
        for (i, row) in block.chunks_exact_mut(width).enumerate() {
            let (start, end) = gathered.range(i);
            context.customer_features(
                &gathered.days[start..end],
                &gathered.amounts[start..end],
                gathered.rows.get(start..end).unwrap_or(&[]),
                &mut scratch,
                row,
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

/// Below this many log rows one range does all customers (a scan per range is not worth it).
const ROWS_PER_RANGE_MIN: usize = 1 << 20;

/// Log rows per customer of the table: `offsets[c]..offsets[c + 1]` counts customer `c`'s rows
/// in the order a stable counting sort puts them.
struct CustomerGroups<'a> {
    /// `u32` like the row numbers: the log has fewer than `u32::MAX` rows (checked).
    offsets: Vec<u32>,
    /// Table row of each log customer code; `None` when the table is the log's own customers
    /// (code `i` is row `i`: skips a million lookups).
    table_row: Option<Vec<u32>>,
    codes: &'a [u32],
}

/// One range's rows, gathered by customer: days and amounts side by side, so the per-customer
/// pass reads them in sequence instead of jumping through the log.
struct Gathered {
    /// Start of each customer's rows in the gathered arrays, relative to the range (+ one end).
    starts: Vec<u32>,
    days: Vec<i32>,
    amounts: Vec<f64>,
    /// The log row of each gathered row, only when a feature reads another column.
    rows: Vec<u32>,
}

impl Gathered {
    fn range(&self, i: usize) -> (usize, usize) {
        (self.starts[i] as usize, self.starts[i + 1] as usize)
    }
}

impl<'a> CustomerGroups<'a> {
    fn new(customers: &CustomerTable, log: &'a TransactionLog) -> Result<CustomerGroups<'a>> {
        const UNKNOWN: u32 = u32::MAX;
        let codes = log.customer_codes();
        let same_ids = customers
            .interned_ids()
            .is_shared_with(log.interned_customer_ids())
            || customers.ids() == log.customer_ids();
        let table_row: Option<Vec<u32>> = if same_ids {
            None
        } else {
            let map: Vec<u32> = log
                .customer_ids()
                .iter()
                .map(|id| customers.index_of_id(id).map_or(UNKNOWN, |r| r as u32))
                .collect();
            if map.contains(&UNKNOWN) {
                if let Some(i) = codes.iter().position(|&c| map[c as usize] == UNKNOWN) {
                    // Silently dropping revenue of customers missing from the table would bias
                    // every feature; the user decides whether to add them or filter the log.
                    return Err(Error::UnknownCategory {
                        column: format!(
                            "customer_id (transaction log row {i}: customer missing from the customer table)"
                        ),
                        value: log.customer_ids()[codes[i] as usize].clone(),
                    });
                }
            }
            Some(map)
        };
        let n_customers = customers.n_customers();
        let row_of = |code: u32| match &table_row {
            Some(map) => map[code as usize],
            None => code,
        };
        // Counts per customer over fixed row chunks, added up (integer sums: any order).
        let count = |chunk: &[u32]| {
            let mut counts = vec![0u32; n_customers + 1];
            for &code in chunk {
                counts[row_of(code) as usize + 1] += 1;
            }
            counts
        };
        let mut offsets = if codes.len() < ROWS_PER_RANGE_MIN {
            count(codes)
        } else {
            let chunk = codes.len().div_ceil(rayon::current_num_threads().max(1));
            codes
                .par_chunks(chunk)
                .map(count)
                .reduce_with(|mut a, b| {
                    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
                    a
                })
                .unwrap_or_else(|| vec![0u32; n_customers + 1])
        };
        for c in 1..offsets.len() {
            offsets[c] += offsets[c - 1];
        }
        Ok(CustomerGroups {
            offsets,
            table_row,
            codes,
        })
    }

    /// `n_ranges + 1` customer boundaries (fewer when customers are few) splitting the rows
    /// about evenly.
    fn balanced_bounds(&self, n_ranges: usize) -> Vec<usize> {
        let n_customers = self.offsets.len() - 1;
        let total = u64::from(self.offsets[n_customers]);
        let mut bounds = vec![0];
        for k in 1..n_ranges {
            let target = (total * k as u64 / n_ranges as u64) as u32;
            let b = self
                .offsets
                .partition_point(|&o| o < target)
                .min(n_customers);
            if b > *bounds.last().expect("starts with 0") {
                bounds.push(b);
            }
        }
        if *bounds.last().expect("starts with 0") < n_customers || bounds.len() == 1 {
            bounds.push(n_customers);
        }
        bounds
    }

    /// The rows of customers `lo..hi`, in log order within each customer.
    fn gather(&self, log: &TransactionLog, lo: usize, hi: usize, with_rows: bool) -> Gathered {
        let base = self.offsets[lo];
        let starts: Vec<u32> = self.offsets[lo..=hi].iter().map(|&o| o - base).collect();
        let len = starts[hi - lo] as usize;
        let mut next = starts[..hi - lo].to_vec();
        let mut days = vec![0i32; len];
        let mut amounts = vec![0.0; len];
        let mut rows = if with_rows {
            vec![0u32; len]
        } else {
            Vec::new()
        };
        let (dates, log_amounts) = (log.dates(), log.amounts());
        let width = (hi - lo) as u32;
        for (i, &code) in self.codes.iter().enumerate() {
            let row = match &self.table_row {
                Some(map) => map[code as usize],
                None => code,
            };
            let local = row.wrapping_sub(lo as u32);
            if local >= width {
                continue;
            }
            let slot = &mut next[local as usize];
            let at = *slot as usize;
            *slot += 1;
            days[at] = dates[i].days_since_epoch();
            amounts[at] = log_amounts[i];
            if with_rows {
                rows[at] = i as u32;
            }
        }
        Gathered {
            starts,
            days,
            amounts,
            rows,
        }
    }
}

struct Context<'a> {
    log: &'a TransactionLog,
    as_of: Date,
    last_window_start: Date,
    previous_window_start: Date,
    columns: &'a [BehaviourFeature],
    n_channels: usize,
    /// Some feature reads margin, category or channel (through the gathered log rows).
    needs_rows: bool,
}

/// Per-task buffers reused across customers.
#[derive(Default)]
struct Scratch {
    order_days: Vec<i32>,
    categories: Vec<u32>,
    channel_amounts: Vec<f64>,
}

impl Context<'_> {
    /// Features of one customer from its rows (log order): `days`, `amounts` and, when a
    /// feature needs another column, the log `rows`.
    fn customer_features(
        &self,
        days: &[i32],
        amounts: &[f64],
        rows: &[u32],
        scratch: &mut Scratch,
        out: &mut [f64],
    ) {
        let log = self.log;
        let margin = log.margin();
        let categories = log.product_category();
        let channels = log.channel();
        scratch.order_days.clear();
        scratch.categories.clear();
        scratch.channel_amounts.clear();
        scratch.channel_amounts.resize(self.n_channels, 0.0);
        let (as_of, last_start, previous_start) = (
            self.as_of.days_since_epoch(),
            self.last_window_start.days_since_epoch(),
            self.previous_window_start.days_since_epoch(),
        );
        let (mut net, mut gross, mut returned, mut net_margin) = (0.0, 0.0, 0.0, 0.0);
        let (mut last_window, mut previous_window) = (0.0, 0.0);
        for (k, (&day, &amount)) in days.iter().zip(amounts).enumerate() {
            if day >= as_of {
                continue;
            }
            net += amount;
            if day >= last_start {
                last_window += amount;
            } else if day >= previous_start {
                previous_window += amount;
            }
            if !self.needs_rows {
                if amount > 0.0 {
                    gross += amount;
                    scratch.order_days.push(day);
                } else {
                    returned -= amount;
                }
                continue;
            }
            let r = rows[k] as usize;
            if let Some(m) = margin {
                net_margin += m[r];
            }
            if amount > 0.0 {
                gross += amount;
                scratch.order_days.push(day);
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
    // At least the second-latest row: one mistyped date among a few thousand is found too.
    let bulk_index = (((n - 1) as f64 * 0.999).floor() as usize).min(n - 2);
    // The row at sorted position `bulk_index` lies more than the allowed gap before `last`
    // exactly when more than `bulk_index` rows do: one counting pass, no sorted copy.
    let threshold = last.days_since_epoch() - LATEST_DATE_GAP_DAYS;
    let before = dates
        .par_iter()
        .filter(|d| d.days_since_epoch() < threshold)
        .count();
    if before <= bulk_index {
        return Ok(());
    }
    let mut days: Vec<i32> = dates.iter().map(|d| d.days_since_epoch()).collect();
    let (_, &mut bulk_end, _) = days.select_nth_unstable(bulk_index);
    let gap = last.days_since_epoch() - bulk_end;
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

/// [`behaviour_features`] of a log read under a skip policy ([`RawLog`], from
/// [`RawTransactions`](crate::data::RawTransactions)) for `customer_ids` (None: the log's
/// customers, sharing its interned ids): the features, the skipped rows and the customer table.
/// Errors about `as_of` and unknown customers name the input's row (`kept_rows`), not the row of
/// the log left after skipping.
pub fn behaviour_features_of_raw(
    raw: RawLog,
    customer_ids: Option<Vec<String>>,
    params: &BehaviourParams,
) -> Result<(BehaviourFeatures, usize, CustomerTable)> {
    let customers_given = customer_ids.is_some();
    let RawLog {
        log,
        skipped,
        kept_rows,
    } = raw;
    if let (Some(as_of), Some(rows)) = (params.as_of, &kept_rows) {
        // The check of `behaviour_features` would name a row of the log left after skipping.
        if let Some((row, first)) = log.dates().iter().enumerate().min_by_key(|(_, d)| **d) {
            if as_of <= *first {
                return Err(Error::invalid_parameter(
                    "as_of",
                    as_of,
                    format!(
                        "a date after the first transaction ({first}, row {} of the DataFrame)",
                        rows[row]
                    ),
                ));
            }
        }
    }
    // Without a customer master the table shares the log's interned ids (no copy).
    let customers = match customer_ids {
        Some(ids) => CustomerTable::new(ids)?,
        None => CustomerTable::from_log_customers(&log),
    };
    if let (true, Some(rows)) = (customers_given, &kept_rows) {
        // As above: name the input row, not the row of the log left after skipping.
        let unknown: Vec<bool> = log
            .customer_ids()
            .iter()
            .map(|id| customers.index_of_id(id).is_none())
            .collect();
        if let Some(row) = log
            .customer_codes()
            .iter()
            .position(|&c| unknown[c as usize])
        {
            return Err(Error::UnknownCategory {
                column: format!(
                    "customer_id (DataFrame row {}: customer missing from the customers)",
                    rows[row]
                ),
                value: log.customer_id(row).to_string(),
            });
        }
    }
    let f = behaviour_features(&customers, &log, params)?;
    Ok((f, skipped, customers))
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
        let n = 3 * 2048 + 17;
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
    fn ranges_gather_the_same_rows_as_one_range() {
        let n = 1000;
        let ids: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
        let customers = CustomerTable::new(ids.iter().rev().cloned().collect()).unwrap();
        let refs: Vec<&str> = (0..7 * n).map(|i| ids[(i * 7919) % n].as_str()).collect();
        let dates = (0..7 * n)
            .map(|i| Date::from_days_since_epoch(20_000 + (i % 365) as i32).unwrap())
            .collect();
        let amounts: Vec<f64> = (0..7 * n).map(|i| i as f64).collect();
        let log = TransactionLog::from_ids(&refs, dates, amounts).unwrap();
        let groups = CustomerGroups::new(&customers, &log).unwrap();
        let whole = groups.gather(&log, 0, n, true);
        for n_ranges in [2, 3, 8] {
            let bounds = groups.balanced_bounds(n_ranges);
            assert_eq!((bounds[0], *bounds.last().unwrap()), (0, n));
            let mut rows = Vec::new();
            for w in bounds.windows(2) {
                let part = groups.gather(&log, w[0], w[1], true);
                assert_eq!(part.amounts.len(), part.rows.len());
                rows.extend(part.rows);
            }
            assert_eq!(rows, whole.rows);
        }
        // Within a customer, log order; customers in table order.
        let (start, end) = whole.range(0);
        let first = customers.ids()[0].as_str();
        let expected: Vec<u32> = (0..7 * n as u32)
            .filter(|&r| refs[r as usize] == first)
            .collect();
        assert_eq!(whole.rows[start..end], expected[..]);
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
