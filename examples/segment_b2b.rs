//! The main job: generate the built-in synthetic B2B customer base, segment it with
//! standard scaling + k-means, and print the segment profiles.
//!
//! ```sh
//! cargo run --release --example segment_b2b -- [n_customers] [seed]
//! ```

use segcore::cluster::kmeans::KMeansParams;
use segcore::datasets::{make_b2b, B2bParams};
use segcore::features::segmentation_features;
use segcore::preprocessing::StandardScalerParams;
use segcore::profile::profile_segments;
use segcore::select::metrics::adjusted_rand_score;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n_customers: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(5_000);
    let seed: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(0);

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

    let labels = model.labels();
    let profile = profile_segments(features.raw.view(), &features.names, labels, k)?;
    println!("\nSegment profiles (mean per segment; index vs. all customers in brackets, 100 = average):\n");
    println!("{profile}");

    let labels: Vec<usize> = labels.to_vec();
    let ari = adjusted_rand_score(&data.true_segment, &labels)?;
    println!("agreement with the generator's true segments: adjusted Rand index {ari:.3}");
    Ok(())
}
