//! The main job on your own data: segment the customers of a CSV file (and, optionally, their
//! transactions) with the one-liner defaults, print the inferred spec, the chosen number of
//! segments with its evidence and the named profiles, and write the saved model and the HTML
//! report.
//!
//! ```sh
//! cargo run --release --example segment_csv -- customers.csv [transactions.csv] [out_dir]
//! ```
//!
//! `customers.csv`: one row per customer; the id column is `customer_id`, `id` or `customer`
//! (else the row number); numeric columns are read as numbers, anything else as categories.
//! `transactions.csv`: `customer_id,date,amount` and, when present, `margin`, `quantity`,
//! `product_category`, `channel` (dates as `2025-03-31`). Default output folder:
//! `target/segment_csv/`. Errors name the file, the line and the column.

use segcore::segmenter::{segment_csv, SegmenterParams};
use std::path::PathBuf;

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: segment_csv customers.csv [transactions.csv] [out_dir]";
    let customers = args.first().ok_or(usage)?;
    // A second argument ending in .csv is the log; anything else is the output folder.
    let (transactions, out_dir) = match args.get(1) {
        Some(a) if a.ends_with(".csv") => (Some(a.as_str()), args.get(2)),
        other => (None, other),
    };
    let out_dir = PathBuf::from(out_dir.map_or("target/segment_csv", String::as_str));

    let done = segment_csv(customers, transactions, &SegmenterParams::new())?;
    println!(
        "read {} customers from {customers}{}",
        done.customers.n_customers(),
        match (&done.transactions, transactions) {
            (Some(log), Some(path)) =>
                format!(" and {} transactions from {path}", log.n_transactions()),
            _ => String::new(),
        }
    );
    println!("\n{}", done.model);

    std::fs::create_dir_all(&out_dir)?;
    let model_path = out_dir.join("segmenter.json");
    let report_path = out_dir.join("profile.html");
    segcore::persist::save(&done.model, &model_path)?;
    std::fs::write(&report_path, done.model.profile().to_html())?;
    println!("saved model:  {}", model_path.display());
    println!("HTML report:  {}", report_path.display());
    Ok(())
}
