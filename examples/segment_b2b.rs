//! The main job: generate the built-in synthetic B2B customer base (customers and transactions),
//! segment it with the one-liner `SegmenterParams::new().fit(..)`, and print what an analyst
//! needs: the inferred column spec, the chosen number of segments with its evidence, the named
//! profiles and the agreement with the generator's true segments. Writes the saved model
//! (`segmenter.json`) and the HTML report (`report.html`, `Segmenter::save_report`).
//!
//! ```sh
//! cargo run --release --example segment_b2b -- [n_customers] [seed] [lang: en|de] [out_dir]
//! ```
//!
//! Defaults: 5,000 customers, seed 0, English, `target/segment_b2b/`.

use segcore::datasets::{make_b2b, B2bParams};
use segcore::profile::Language;
use segcore::segmenter::{ReportContext, SegmenterParams};
use segcore::select::metrics::adjusted_rand_score;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n_customers: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5_000);
    let seed: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(0);
    let language = Language::parse(&args.next().unwrap_or_else(|| "en".into()))?;
    let out_dir = PathBuf::from(args.next().unwrap_or_else(|| "target/segment_b2b".into()));

    let data = make_b2b(&B2bParams {
        n_customers,
        random_state: seed,
        ..B2bParams::default()
    })?;
    println!(
        "synthetic B2B base: {} customers, {} transaction lines, {} true segments ({})",
        data.customers.n_customers(),
        data.transactions.n_transactions(),
        data.segment_names.len(),
        data.segment_names.join(", ")
    );

    let started = Instant::now();
    let mut last_stage = String::new();
    let model = SegmenterParams::new()
        .language(language)
        .random_state(seed)
        .fit_with_progress(
            &data.customers,
            Some(&data.transactions),
            &mut |stage, fraction| {
                if stage != last_stage {
                    eprint!("\r{stage:<10} {:>3.0} %", 100.0 * fraction);
                    let _ = std::io::stderr().flush();
                    last_stage = stage.to_string();
                }
            },
        )?;
    eprintln!(
        "\rfitted in {:.1} s        ",
        started.elapsed().as_secs_f64()
    );

    println!("\n{model}");

    let why = model.explain(&data.customers, Some(&data.transactions), 0)?;
    println!(
        "\nCustomer {}: {} (runner-up {}, margin {:.2}); strongest pulls: {}",
        data.customers.ids()[0],
        model.segment_names()[why.segment],
        why.runner_up
            .map_or("-".to_string(), |r| model.segment_names()[r].clone()),
        why.margin.unwrap_or(f64::NAN),
        why.contributions
            .iter()
            .take(3)
            .map(|c| format!("{} {:+.2}", c.feature, c.pull))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let ari = adjusted_rand_score(&data.true_segment, model.labels())?;
    println!("\nagreement with the generator's true segments: adjusted Rand index {ari:.3}");

    std::fs::create_dir_all(&out_dir)?;
    let model_path = out_dir.join("segmenter.json");
    let report_path = out_dir.join("report.html");
    segcore::persist::save(&model, &model_path)?;
    // The report a sales manager reads (prints on A4): the data's source, period and currency,
    // segment shares, the profile heatmap, the evidence for k and the Lorenz curve.
    let context = ReportContext::new()
        .source(&format!(
            "synthetic B2B base (segcore::datasets::make_b2b, seed {seed})"
        ))
        .currency("EUR")
        .date_range_of(&data.transactions);
    model.save_report(&report_path, &context)?;
    println!("saved model:  {}", model_path.display());
    println!("HTML report:  {}", report_path.display());
    Ok(())
}
