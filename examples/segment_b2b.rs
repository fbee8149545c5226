//! The main job: generate the built-in synthetic B2B customer base, segment it with
//! standard scaling + k-means, and print the segment report: speaking names, value, effect
//! sizes, categories, readable rules and one customer's explanation. Writes the Markdown and
//! HTML reports when given an output folder.
//!
//! ```sh
//! cargo run --release --example segment_b2b -- [n_customers] [seed] [lang: en|de] [out_dir]
//! ```

use segcore::cluster::kmeans::KMeansParams;
use segcore::datasets::{make_b2b, B2bParams};
use segcore::features::behaviour::{behaviour_features, BehaviourParams};
use segcore::features::segmentation_features;
use segcore::preprocessing::StandardScalerParams;
use segcore::profile::{explain, learn_rules, profile, Language, ProfileParams, RuleParams};
use segcore::select::metrics::adjusted_rand_score;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n_customers: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5_000);
    let seed: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(0);
    let language = Language::parse(&args.next().unwrap_or_else(|| "en".into()))?;
    let out_dir = args.next();

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

    let features = segmentation_features(&data.customers, &data.transactions)?;
    let scaled = StandardScalerParams::default()
        .fit(features.model_input.view(), None)?
        .transform(features.model_input.view())?;
    let k = data.segment_names.len();
    let model = KMeansParams::new(k)
        .n_init(10)
        .random_state(seed)
        .fit(scaled.view(), None)?;
    println!(
        "k-means: k = {k}, inertia {:.1} after {} iterations (converged: {})",
        model.inertia(),
        model.n_iter(),
        model.converged()
    );

    // Profile on the firmographics plus every behaviour feature in original units.
    let mut table = data.customers.clone();
    behaviour_features(
        &data.customers,
        &data.transactions,
        &BehaviourParams::default(),
    )?
    .add_to_table(&mut table)?;
    let labels: Vec<usize> = model.labels().to_vec();
    let report = profile(
        &table,
        &labels,
        &ProfileParams::new()
            .revenue("monetary")
            .margin("margin")
            .language(language),
    )?;
    println!("\nSegments:");
    for s in &report.segments {
        let v = s.value.as_ref();
        println!(
            "  {} {:<22} {:>6} customers ({:>4.1} %), revenue share {:>5.1} %, margin share {:>5.1} %",
            s.segment,
            s.name,
            s.size.map_or("-".into(), |x| x.to_string()),
            100.0 * s.share.unwrap_or(f64::NAN),
            100.0 * v.map_or(f64::NAN, |v| v.revenue_share),
            100.0 * v.and_then(|v| v.margin_share).unwrap_or(f64::NAN),
        );
        println!("    {}", s.description);
    }
    let rules = learn_rules(
        &table,
        &labels,
        &RuleParams {
            random_state: seed,
            ..RuleParams::default()
        },
    )?;
    println!("\nReadable rules (coverage / precision):");
    for rule in &rules {
        println!(
            "  {:<22} {rule}  ({:.0} % / {:.0} %)",
            report
                .segments
                .iter()
                .find(|s| s.segment == rule.segment)
                .map_or("", |s| s.name.as_str()),
            100.0 * rule.coverage,
            100.0 * rule.precision
        );
    }
    let why = explain(&model, scaled.row(0), &features.names)?;
    println!(
        "\nCustomer {}: segment {} (runner-up {:?}, margin {:.2}); strongest pulls: {}",
        data.customers.ids()[0],
        why.segment,
        why.runner_up,
        why.margin.unwrap_or(f64::NAN),
        why.contributions
            .iter()
            .take(3)
            .map(|c| format!("{} {:+.2}", c.feature, c.pull))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(dir) = out_dir {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(format!("{dir}/profile.md"), report.to_markdown())?;
        std::fs::write(format!("{dir}/profile.html"), report.to_html())?;
        std::fs::write(format!("{dir}/profile.json"), report.to_json()?)?;
        println!("reports written to {dir}/profile.{{md,html,json}}");
    }

    let ari = adjusted_rand_score(&data.true_segment, &labels)?;
    println!("agreement with the generator's true segments: adjusted Rand index {ari:.3}");
    Ok(())
}
