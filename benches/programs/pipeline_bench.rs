//! FeaturePipeline fit and transform time on a synthetic customer table (default 1M customers:
//! log revenue with 10% missing, robust-scaled employees, 30-industry one-hot with rare
//! grouping, ordinal size class). Compare with scikit-learn's ColumnTransformer on the same
//! recipe via segcore-py (see the report in the pipeline branch).
//!
//! `cargo run --release --example pipeline_bench -- 1000000`

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use segcore::data::CustomerTable;
use segcore::features::pipeline::{ColumnSpec, Impute, MinFrequency, PipelineSpec, Scaling};
use std::time::Instant;

fn main() -> segcore::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let mut table = CustomerTable::new((0..n).map(|i| i.to_string()).collect())?;
    let revenue = (0..n)
        .map(|_| {
            if rng.r#gen::<f64>() < 0.1 {
                f64::NAN
            } else {
                (14.0 + 1.5 * (rng.r#gen::<f64>() - 0.5) * 3.4).exp()
            }
        })
        .collect();
    table.add_numeric("revenue", revenue)?;
    table.add_numeric(
        "employees",
        (0..n).map(|_| rng.gen_range(1..5000) as f64).collect(),
    )?;
    let industries: Vec<String> = (0..30).map(|i| format!("ind{i:02}")).collect();
    let industry: Vec<Option<&str>> = (0..n)
        .map(|_| {
            let mut k = 0;
            while k < 29 && rng.r#gen::<f64>() > 0.2 {
                k += 1;
            }
            Some(industries[k].as_str())
        })
        .collect();
    table.add_categorical("industry", &industry)?;
    let sizes = ["S", "M", "L", "XL"];
    let size: Vec<Option<&str>> = (0..n).map(|_| Some(sizes[rng.gen_range(0..4)])).collect();
    table.add_categorical("size", &size)?;
    let spec = PipelineSpec::new(vec![
        ColumnSpec::numeric("revenue")
            .log1p()
            .impute(Impute::Median),
        ColumnSpec::numeric("employees").scaling(Scaling::Robust),
        ColumnSpec::one_hot("industry").min_frequency(MinFrequency::Fraction(0.01)),
        ColumnSpec::ordinal("size", &sizes),
    ]);
    let t = Instant::now();
    let pipeline = spec.fit_table(&table)?;
    let fit = t.elapsed();
    let t = Instant::now();
    let x = pipeline.transform_table(&table)?;
    let transform = t.elapsed();
    println!(
        "n = {n}: fit {:.3} s, transform {:.3} s, output {} x {} ({} threads)",
        fit.as_secs_f64(),
        transform.as_secs_f64(),
        x.nrows(),
        x.ncols(),
        rayon::current_num_threads()
    );
    Ok(())
}
