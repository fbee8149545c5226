//! A synthetic B2B customer base of an industrial supplier (a German manufacturer selling to
//! businesses), with firmographics, a multi-year order-line log and ground-truth segments.
//!
//! Segments and their shares of customers (each customer draws its segment independently):
//!
//! | segment | share | orders / year | order value | what sets it apart |
//! |---|---|---|---|---|
//! | `premium_partners` | 10 % | ~12 | ~10,000 EUR | large firms, high margin, field sales, several lines per order |
//! | `volume_customers` | 20 % | ~30 | ~1,500 EUR | frequent small-margin orders over EDI, few product categories |
//! | `innovation_drivers` | 15 % | ~9 | ~3,500 EUR | mid-size firms buying across many product categories |
//! | `occasional_buyers` | 35 % | ~2.5 | ~700 EUR | small firms, web shop and distributors |
//! | `lapsed_customers` | 20 % | ~7 until they stop | ~1,800 EUR | no orders in the last 1-2 years |
//!
//! Every value is drawn around its segment's level with customer-level spread (log-normal), so
//! segments overlap a little, like real ones. Realistic mess: about 3 % of lines are returns /
//! credit notes (negative amount, margin and quantity), about 5 % of each firmographic value is
//! missing (`NaN` / [`CategoricalColumn::MISSING`]), and about 0.1 % of customers place one huge
//! one-off order (50-200x their usual order value). Every customer has at least one order.

use crate::data::{CategoricalColumn, CustomerTable, Date, TransactionLog};
use crate::error::{Error, Result};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// Parameters of [`make_b2b`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct B2bParams {
    /// Number of customers, 100..=10_000_000 (default 2,000).
    pub n_customers: usize,
    /// Length of the transaction history in years, 1..=20 (default 3).
    pub years: u32,
    /// Last day of the history (default 2025-12-31).
    pub end_date: Date,
    /// Seed: the same parameters give bit-identical data on any machine and thread count.
    pub random_state: u64,
    /// Probability that an order line is later (partly) returned, 0..=0.5 (default 0.03).
    pub return_rate: f64,
    /// Probability that each firmographic value is missing, 0..=0.5 (default 0.05).
    pub missing_rate: f64,
    /// Probability that a customer places one huge one-off order, 0..=0.05 (default 0.001).
    pub outlier_rate: f64,
}

impl Default for B2bParams {
    fn default() -> Self {
        B2bParams {
            n_customers: 2_000,
            years: 3,
            end_date: Date::from_ymd(2025, 12, 31).expect("2025-12-31 is a valid date"),
            random_state: 0,
            return_rate: 0.03,
            missing_rate: 0.05,
            outlier_rate: 0.001,
        }
    }
}

impl B2bParams {
    /// Checks every parameter against its allowed range.
    pub fn check(&self) -> Result<()> {
        if !(100..=10_000_000).contains(&self.n_customers) {
            return Err(Error::invalid_parameter(
                "n_customers",
                self.n_customers,
                "an integer in 100..=10_000_000",
            ));
        }
        if !(1..=20).contains(&self.years) {
            return Err(Error::invalid_parameter(
                "years",
                self.years,
                "an integer in 1..=20",
            ));
        }
        let (end_year, _, _) = self.end_date.to_ymd();
        if end_year < 1900 + self.years as i32 || end_year > 9000 {
            return Err(Error::invalid_parameter(
                "end_date",
                self.end_date,
                "a date whose year is in (1900 + years)..=9000",
            ));
        }
        for (name, value, max) in [
            ("return_rate", self.return_rate, 0.5),
            ("missing_rate", self.missing_rate, 0.5),
            ("outlier_rate", self.outlier_rate, 0.05),
        ] {
            if !(0.0..=max).contains(&value) {
                return Err(Error::invalid_parameter(
                    name,
                    value,
                    format!("a probability in 0..={max}"),
                ));
            }
        }
        Ok(())
    }
}

/// A generated customer base: see [`make_b2b`].
#[derive(Debug, Clone)]
pub struct B2bDataset {
    /// Customers `C00000001`, ... with columns `industry`, `employee_size_class`, `region`
    /// (categorical) and `annual_revenue_eur` (numeric), each with missing values.
    pub customers: CustomerTable,
    /// Order lines with margin, quantity, product category and channel; grouped by customer, in
    /// date order within a customer except that a return follows the line it returns.
    pub transactions: TransactionLog,
    /// Ground-truth segment of each customer (index into `segment_names`), in table order.
    pub true_segment: Vec<usize>,
    /// Segment names, in index order.
    pub segment_names: Vec<String>,
}

/// Everything that defines one segment's behaviour.
struct Segment {
    name: &'static str,
    share: f64,
    orders_per_year: f64,
    order_value_eur: f64,
    margin_rate: f64,
    /// Mean number of lines per order (>= 1).
    lines_per_order: f64,
    /// Number of "home" product categories the customer mostly buys; 0 = buys across all.
    home_categories: usize,
    industry_weights: [f64; 8],
    size_weights: [f64; 4],
    channel_weights: [f64; 4],
    /// Share of customers that were already customers before the history starts.
    existing_share: f64,
    lapsed: bool,
}

const SEGMENTS: [Segment; 5] = [
    Segment {
        name: "premium_partners",
        share: 0.10,
        orders_per_year: 12.0,
        order_value_eur: 10_000.0,
        margin_rate: 0.30,
        lines_per_order: 1.6,
        home_categories: 3,
        industry_weights: [0.30, 0.25, 0.20, 0.10, 0.05, 0.03, 0.04, 0.03],
        size_weights: [0.02, 0.13, 0.35, 0.50],
        channel_weights: [0.70, 0.10, 0.20, 0.00],
        existing_share: 0.9,
        lapsed: false,
    },
    Segment {
        name: "volume_customers",
        share: 0.20,
        orders_per_year: 30.0,
        order_value_eur: 1_500.0,
        margin_rate: 0.12,
        lines_per_order: 1.0,
        home_categories: 2,
        industry_weights: [0.20, 0.15, 0.10, 0.10, 0.15, 0.15, 0.12, 0.03],
        size_weights: [0.05, 0.35, 0.40, 0.20],
        channel_weights: [0.15, 0.15, 0.60, 0.10],
        existing_share: 0.8,
        lapsed: false,
    },
    Segment {
        name: "innovation_drivers",
        share: 0.15,
        orders_per_year: 9.0,
        order_value_eur: 3_500.0,
        margin_rate: 0.35,
        lines_per_order: 2.0,
        home_categories: 0,
        industry_weights: [0.10, 0.15, 0.05, 0.35, 0.02, 0.03, 0.02, 0.28],
        size_weights: [0.15, 0.45, 0.30, 0.10],
        channel_weights: [0.40, 0.40, 0.20, 0.00],
        existing_share: 0.6,
        lapsed: false,
    },
    Segment {
        name: "occasional_buyers",
        share: 0.35,
        orders_per_year: 2.5,
        order_value_eur: 700.0,
        margin_rate: 0.25,
        lines_per_order: 1.0,
        home_categories: 2,
        industry_weights: [0.05, 0.15, 0.05, 0.10, 0.20, 0.15, 0.25, 0.05],
        size_weights: [0.60, 0.30, 0.08, 0.02],
        channel_weights: [0.10, 0.50, 0.00, 0.40],
        existing_share: 0.6,
        lapsed: false,
    },
    Segment {
        name: "lapsed_customers",
        share: 0.20,
        orders_per_year: 7.0,
        order_value_eur: 1_800.0,
        margin_rate: 0.20,
        lines_per_order: 1.2,
        home_categories: 2,
        industry_weights: [0.12, 0.15, 0.12, 0.12, 0.15, 0.12, 0.15, 0.07],
        size_weights: [0.30, 0.40, 0.20, 0.10],
        channel_weights: [0.35, 0.25, 0.15, 0.25],
        existing_share: 0.9,
        lapsed: true,
    },
];

const INDUSTRIES: [&str; 8] = [
    "automotive",
    "machinery",
    "chemicals",
    "electronics",
    "food",
    "logistics",
    "construction",
    "medical_technology",
];
const SIZE_CLASSES: [&str; 4] = ["1-49", "50-249", "250-999", "1000+"];
/// Typical annual revenue per size class (EUR); a firm's revenue is log-normal around it.
const SIZE_REVENUE_EUR: [f64; 4] = [4.0e6, 30.0e6, 150.0e6, 900.0e6];
const REGIONS: [&str; 10] = [
    "Bavaria",
    "Baden-Wuerttemberg",
    "North Rhine-Westphalia",
    "Lower Saxony",
    "Hesse",
    "Saxony",
    "Berlin-Brandenburg",
    "Northern Germany",
    "Austria",
    "Switzerland",
];
const REGION_WEIGHTS: [f64; 10] = [0.18, 0.17, 0.20, 0.08, 0.08, 0.06, 0.05, 0.06, 0.07, 0.05];
const PRODUCT_CATEGORIES: [&str; 12] = [
    "drive_technology",
    "sensors",
    "control_systems",
    "hydraulics",
    "pneumatics",
    "fasteners",
    "cutting_tools",
    "spare_parts",
    "maintenance_services",
    "industrial_software",
    "robotics",
    "safety_equipment",
];
/// Typical unit price per product category (EUR), for quantities.
const UNIT_PRICE_EUR: [f64; 12] = [
    850.0, 120.0, 1_400.0, 600.0, 90.0, 3.0, 45.0, 60.0, 950.0, 2_500.0, 18_000.0, 70.0,
];
const CHANNELS: [&str; 4] = ["field_sales", "web_shop", "EDI", "distributor"];

/// Customers generated per task: fixed, and each task has its own seeded generator, so the
/// output never depends on the thread count.
const CUSTOMERS_PER_TASK: usize = 4096;

/// Generates a synthetic B2B customer base with ground-truth segments (see the
/// [module documentation](self) for the segments and the mess it contains).
///
/// ```
/// use segcore::datasets::{make_b2b, B2bParams};
/// let data = make_b2b(&B2bParams { n_customers: 500, random_state: 7, ..Default::default() })?;
/// assert_eq!(data.customers.n_customers(), 500);
/// assert_eq!(data.true_segment.len(), 500);
/// assert_eq!(data.segment_names.len(), 5);
/// assert!(data.transactions.n_transactions() > 500);
/// let again = make_b2b(&B2bParams { n_customers: 500, random_state: 7, ..Default::default() })?;
/// assert_eq!(again.transactions.amounts(), data.transactions.amounts());
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn make_b2b(params: &B2bParams) -> Result<B2bDataset> {
    params.check()?;
    let n = params.n_customers;
    let window_days = (f64::from(params.years) * 365.25).round() as i32;
    let start = params
        .end_date
        .checked_add_days(1 - window_days)
        .expect("end_date year >= 1900 + years keeps the start after year 1");
    let setup = Setup {
        params,
        start_day: start.days_since_epoch(),
        end_day: params.end_date.days_since_epoch(),
    };

    let n_tasks = n.div_ceil(CUSTOMERS_PER_TASK);
    let mut parts: Vec<Generated> = (0..n_tasks)
        .into_par_iter()
        .map(|task| {
            let first = task * CUSTOMERS_PER_TASK;
            let last = (first + CUSTOMERS_PER_TASK).min(n);
            setup.generate(task as u64, first..last)
        })
        .collect();
    let all = Generated::concat(&mut parts);
    drop(parts);

    let width = n.to_string().len().max(8);
    let ids: Vec<String> = (1..=n).map(|i| format!("C{i:0width$}")).collect();
    let mut customers = CustomerTable::new(ids.clone())?;
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    customers.add_categorical_column(
        "industry",
        CategoricalColumn::from_codes(names(&INDUSTRIES), all.industry)?,
    )?;
    customers.add_categorical_column(
        "employee_size_class",
        CategoricalColumn::from_codes(names(&SIZE_CLASSES), all.size_class)?,
    )?;
    customers.add_categorical_column(
        "region",
        CategoricalColumn::from_codes(names(&REGIONS), all.region)?,
    )?;
    customers.add_numeric("annual_revenue_eur", all.revenue)?;

    let dates = all
        .day
        .into_iter()
        .map(|d| {
            Date::from_days_since_epoch(d).expect("generated days lie between start and end_date")
        })
        .collect();
    let transactions = TransactionLog::new(ids, all.customer, dates, all.amount)?
        .with_margin(all.margin)?
        .with_quantity(all.quantity)?
        .with_product_category(CategoricalColumn::from_codes(
            names(&PRODUCT_CATEGORIES),
            all.category,
        )?)?
        .with_channel(CategoricalColumn::from_codes(
            names(&CHANNELS),
            all.channel,
        )?)?;

    Ok(B2bDataset {
        customers,
        transactions,
        true_segment: all.segment.into_iter().map(usize::from).collect(),
        segment_names: SEGMENTS.iter().map(|s| s.name.to_string()).collect(),
    })
}

/// Columns generated by one task (or all of them, appended in task order).
struct Generated {
    segment: Vec<u8>,
    industry: Vec<u32>,
    size_class: Vec<u32>,
    region: Vec<u32>,
    revenue: Vec<f64>,
    customer: Vec<u32>,
    day: Vec<i32>,
    amount: Vec<f64>,
    margin: Vec<f64>,
    quantity: Vec<f64>,
    category: Vec<u32>,
    channel: Vec<u32>,
}

impl Generated {
    /// Reserves for `n` customers at the expected ~35 lines each: reserved but untouched
    /// memory costs nothing, repeated regrowth of 33 M lines costs copies and page faults.
    fn with_capacity(n: usize) -> Generated {
        let lines = n * 40;
        Generated {
            segment: Vec::with_capacity(n),
            industry: Vec::with_capacity(n),
            size_class: Vec::with_capacity(n),
            region: Vec::with_capacity(n),
            revenue: Vec::with_capacity(n),
            customer: Vec::with_capacity(lines),
            day: Vec::with_capacity(lines),
            amount: Vec::with_capacity(lines),
            margin: Vec::with_capacity(lines),
            quantity: Vec::with_capacity(lines),
            category: Vec::with_capacity(lines),
            channel: Vec::with_capacity(lines),
        }
    }

    /// The parts in task order, one column at a time with exact capacity, freeing each part's
    /// column as it goes: peak memory is the data plus one column, not twice the data.
    fn concat(parts: &mut [Generated]) -> Generated {
        fn column<T>(parts: &mut [Generated], get: fn(&mut Generated) -> &mut Vec<T>) -> Vec<T> {
            let total = parts.iter_mut().map(|p| get(p).len()).sum();
            let mut out = Vec::with_capacity(total);
            for part in parts.iter_mut() {
                out.append(get(part));
                *get(part) = Vec::new();
            }
            out
        }
        Generated {
            segment: column(parts, |g| &mut g.segment),
            industry: column(parts, |g| &mut g.industry),
            size_class: column(parts, |g| &mut g.size_class),
            region: column(parts, |g| &mut g.region),
            revenue: column(parts, |g| &mut g.revenue),
            customer: column(parts, |g| &mut g.customer),
            day: column(parts, |g| &mut g.day),
            amount: column(parts, |g| &mut g.amount),
            margin: column(parts, |g| &mut g.margin),
            quantity: column(parts, |g| &mut g.quantity),
            category: column(parts, |g| &mut g.category),
            channel: column(parts, |g| &mut g.channel),
        }
    }
}

struct Setup<'a> {
    params: &'a B2bParams,
    start_day: i32,
    end_day: i32,
}

/// SplitMix64 finaliser: decorrelates the per-task seeds.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator's random source: xoshiro256++ plus the spare normal of each Box-Muller pair
/// (drawing normals in pairs halves the logarithms and square roots, the generator's hot spot).
struct Random {
    rng: Xoshiro256PlusPlus,
    spare_normal: Option<f64>,
}

impl rand::RngCore for Random {
    fn next_u32(&mut self) -> u32 {
        self.rng.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.rng.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.rng.fill_bytes(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> std::result::Result<(), rand::Error> {
        self.rng.try_fill_bytes(dest)
    }
}

impl Random {
    fn new(seed: u64) -> Random {
        Random {
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            spare_normal: None,
        }
    }

    /// A standard normal draw (Box-Muller; rand 0.8 without rand_distr has no normal).
    fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare_normal.take() {
            return z;
        }
        let u1: f64 = 1.0 - self.r#gen::<f64>(); // (0, 1]
        let u2: f64 = self.r#gen();
        let (first, second) = crate::numeric::box_muller(u1, u2);
        self.spare_normal = Some(second);
        first
    }

    /// `median * exp(sigma * N(0, 1))`.
    fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }
}

fn pick(rng: &mut impl Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.r#gen::<f64>() * total;
    for (i, &w) in weights.iter().enumerate() {
        if u < w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl Setup<'_> {
    fn generate(&self, task: u64, customers: std::ops::Range<usize>) -> Generated {
        let p = self.params;
        let mut rng = Random::new(mix(p.random_state ^ mix(task)));
        let mut out = Generated::with_capacity(customers.len());
        let segment_shares: Vec<f64> = SEGMENTS.iter().map(|s| s.share).collect();
        for customer in customers {
            let s = pick(&mut rng, &segment_shares);
            let seg = &SEGMENTS[s];
            out.segment.push(s as u8);

            // Firmographics; revenue follows the size class, which the segment shifts.
            let size = pick(&mut rng, &seg.size_weights);
            let revenue = rng.log_normal(SIZE_REVENUE_EUR[size], 0.6);
            let industry = pick(&mut rng, &seg.industry_weights) as u32;
            let region = pick(&mut rng, &REGION_WEIGHTS) as u32;
            let mut missing = || rng.r#gen::<f64>() < p.missing_rate;
            out.industry.push(if missing() {
                CategoricalColumn::MISSING
            } else {
                industry
            });
            out.size_class.push(if missing() {
                CategoricalColumn::MISSING
            } else {
                size as u32
            });
            out.region.push(if missing() {
                CategoricalColumn::MISSING
            } else {
                region
            });
            out.revenue
                .push(if missing() { f64::NAN } else { revenue.round() });

            self.transactions(&mut rng, seg, customer as u32, &mut out);
        }
        out
    }

    /// The order lines of one customer.
    fn transactions(&self, rng: &mut Random, seg: &Segment, customer: u32, out: &mut Generated) {
        let p = self.params;
        let window = f64::from(self.end_day - self.start_day + 1);
        // Active period [first, last]: existing customers are active from the start of the
        // history, new ones join during its first 80 %; lapsed customers stop 1-2 years before
        // the end (at most two thirds into shorter histories).
        let last = if seg.lapsed {
            let gap = rng.gen_range(365.0..730.0_f64).min(window * 2.0 / 3.0);
            window - gap
        } else {
            window - 1.0
        };
        let first = if rng.r#gen::<f64>() < seg.existing_share {
            0.0
        } else {
            rng.r#gen::<f64>() * 0.8 * last
        };
        let rate_per_day = rng.log_normal(seg.orders_per_year, 0.3) / 365.25;
        let order_value = rng.log_normal(seg.order_value_eur, 0.3);
        let margin_rate = rng.log_normal(seg.margin_rate, 0.15).clamp(0.02, 0.6);
        let homes: Vec<usize> = (0..seg.home_categories)
            .map(|_| rng.gen_range(0..PRODUCT_CATEGORIES.len()))
            .collect();
        let outlier_order = rng.r#gen::<f64>() < p.outlier_rate;

        let mut order_days = Vec::new();
        let mut t = first + rng.r#gen::<f64>() / rate_per_day.max(1e-9) * 0.5;
        while t <= last {
            order_days.push(t.floor() as i32);
            t -= (1.0 - rng.r#gen::<f64>()).ln() / rate_per_day;
        }
        if order_days.is_empty() {
            order_days.push(rng.gen_range(first..=last).floor() as i32);
        }
        let huge_order = outlier_order.then(|| rng.gen_range(0..order_days.len()));

        for (k, &offset) in order_days.iter().enumerate() {
            let day = self.start_day + offset;
            let channel = pick(rng, &seg.channel_weights) as u32;
            // Lines per order: 1 + Poisson-like extra lines with the segment's mean.
            let mut n_lines = 1;
            while n_lines < 8
                && rng.r#gen::<f64>() < (seg.lines_per_order - 1.0) / seg.lines_per_order
            {
                n_lines += 1;
            }
            let mut value = rng.log_normal(order_value, 0.5);
            if huge_order == Some(k) {
                value *= rng.gen_range(50.0..200.0);
            }
            for _ in 0..n_lines {
                let category = if seg.home_categories == 0 || rng.r#gen::<f64>() < 0.03 {
                    rng.gen_range(0..PRODUCT_CATEGORIES.len())
                } else {
                    homes[rng.gen_range(0..homes.len())]
                };
                let amount = cents((value / n_lines as f64) * rng.log_normal(1.0, 0.3)).max(0.01);
                let margin = cents(amount * rng.log_normal(margin_rate, 0.2));
                let unit_price = rng.log_normal(UNIT_PRICE_EUR[category], 0.3);
                let quantity = (amount / unit_price).round().max(1.0);
                self.push_line(
                    out,
                    customer,
                    day,
                    amount,
                    margin,
                    quantity,
                    category as u32,
                    channel,
                );

                if rng.r#gen::<f64>() < p.return_rate {
                    let return_day = day + rng.gen_range(3..45);
                    if return_day <= self.end_day {
                        let share = rng.gen_range(0.1..=1.0_f64);
                        let returned_quantity = (quantity * share).round().max(1.0).min(quantity);
                        self.push_line(
                            out,
                            customer,
                            return_day,
                            -cents(amount * share),
                            -cents(margin * share),
                            -returned_quantity,
                            category as u32,
                            channel,
                        );
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)] // one order line, field by field
    fn push_line(
        &self,
        out: &mut Generated,
        customer: u32,
        day: i32,
        amount: f64,
        margin: f64,
        quantity: f64,
        category: u32,
        channel: u32,
    ) {
        out.customer.push(customer);
        out.day.push(day);
        out.amount.push(amount);
        out.margin.push(margin);
        out.quantity.push(quantity);
        out.category.push(category);
        out.channel.push(channel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let params = B2bParams {
            n_customers: 5_000, // two tasks
            ..Default::default()
        };
        let a = make_b2b(&params).unwrap();
        let b = make_b2b(&params).unwrap();
        assert_eq!(a.true_segment, b.true_segment);
        assert_eq!(a.transactions, b.transactions);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(a.customers.numeric("annual_revenue_eur").unwrap()),
            bits(b.customers.numeric("annual_revenue_eur").unwrap())
        );
        let c = make_b2b(&B2bParams {
            random_state: 1,
            ..params
        })
        .unwrap();
        assert_ne!(a.true_segment, c.true_segment);
    }

    #[test]
    fn thread_count_does_not_change_the_data() {
        let params = B2bParams {
            n_customers: 3 * CUSTOMERS_PER_TASK + 5,
            ..Default::default()
        };
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| make_b2b(&params).unwrap())
        };
        let (one, three) = (run(1), run(3));
        assert_eq!(one.transactions, three.transactions);
        assert_eq!(one.true_segment, three.true_segment);
    }

    #[test]
    fn shapes_shares_and_mess() {
        let data = make_b2b(&B2bParams {
            n_customers: 20_000,
            ..Default::default()
        })
        .unwrap();
        let n = 20_000.0;
        for (s, seg) in SEGMENTS.iter().enumerate() {
            let share = data.true_segment.iter().filter(|&&t| t == s).count() as f64 / n;
            assert!((share - seg.share).abs() < 0.02, "{}: {share}", seg.name);
        }
        let log = &data.transactions;
        let (first, last) = log.date_range().unwrap();
        assert!(first >= Date::from_ymd(2023, 1, 1).unwrap(), "{first}");
        assert!(last <= Date::from_ymd(2025, 12, 31).unwrap());
        let returns = log.amounts().iter().filter(|&&a| a < 0.0).count() as f64;
        let return_share = returns / log.n_transactions() as f64;
        assert!((0.02..0.04).contains(&return_share), "{return_share}");
        assert!(log.amounts().iter().all(|&a| a != 0.0));
        for name in ["industry", "employee_size_class", "region"] {
            let missing = data.customers.categorical(name).unwrap().n_missing() as f64 / n;
            assert!((0.04..0.06).contains(&missing), "{name}: {missing}");
        }
        let revenue = data.customers.numeric("annual_revenue_eur").unwrap();
        let missing = revenue.iter().filter(|v| v.is_nan()).count() as f64 / n;
        assert!((0.04..0.06).contains(&missing), "{missing}");
        // Every customer has at least one positive line; customer codes are table rows.
        let mut has_order = vec![false; 20_000];
        for (row, &code) in log.customer_codes().iter().enumerate() {
            assert_eq!(
                log.customer_ids()[code as usize],
                data.customers.ids()[code as usize]
            );
            if log.amounts()[row] > 0.0 {
                has_order[code as usize] = true;
            }
        }
        assert!(has_order.iter().all(|&h| h));
        // Lapsed customers: nothing positive in the last year.
        let lapsed = 4;
        let cutoff = Date::from_ymd(2025, 1, 2).unwrap();
        for (row, &code) in log.customer_codes().iter().enumerate() {
            if data.true_segment[code as usize] == lapsed && log.amounts()[row] > 0.0 {
                assert!(log.dates()[row] < cutoff);
            }
        }
    }

    #[test]
    fn checks_parameters() {
        let bad = [
            B2bParams {
                n_customers: 99,
                ..Default::default()
            },
            B2bParams {
                n_customers: 10_000_001,
                ..Default::default()
            },
            B2bParams {
                years: 0,
                ..Default::default()
            },
            B2bParams {
                years: 21,
                ..Default::default()
            },
            B2bParams {
                return_rate: -0.1,
                ..Default::default()
            },
            B2bParams {
                missing_rate: f64::NAN,
                ..Default::default()
            },
            B2bParams {
                outlier_rate: 0.5,
                ..Default::default()
            },
            B2bParams {
                end_date: Date::from_ymd(1901, 1, 1).unwrap(),
                ..Default::default()
            },
        ];
        for params in bad {
            assert!(
                matches!(make_b2b(&params), Err(Error::InvalidParameter { .. })),
                "{params:?}"
            );
        }
        assert!(B2bParams::default().check().is_ok());
        let one_year = make_b2b(&B2bParams {
            years: 1,
            n_customers: 300,
            ..Default::default()
        })
        .unwrap();
        assert!(
            one_year.transactions.date_range().unwrap().0 >= Date::from_ymd(2025, 1, 1).unwrap()
        );
    }

    #[test]
    fn types_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<B2bParams>();
        assert_send_sync::<B2bDataset>();
    }
}
