// Cargo.toml: segcore = "0.1" is the only dependency; segcore::ndarray is the ndarray it uses.
use segcore::cluster::kmeans::KMeansParams;
use segcore::datasets::{make_b2b, B2bParams};
use segcore::ndarray::array;
use segcore::preprocessing::StandardScalerParams;
use segcore::profile::profile_segments;
use segcore::segmenter::{ReportContext, SegmenterParams};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Step by step on a small matrix: scale, cluster, profile in the original units.
    let features = array![[12.0, 3.0], [15.0, 4.0], [400.0, 40.0], [380.0, 35.0]];
    let names = vec!["orders".to_string(), "revenue_k_eur".to_string()];
    let scaled = StandardScalerParams::default()
        .fit(features.view(), None)?
        .transform(features.view())?;
    let model = KMeansParams::new(2)
        .n_init(4)
        .random_state(0)
        .fit(scaled.view(), None)?;
    let profile = profile_segments(features.view(), &names, model.labels(), 2)?;
    println!("{profile}");

    // The one-liner on a synthetic B2B base (customers + transactions): k chosen among 4..8,
    // named segments, and the report a sales manager reads (open segments.html, or print it).
    let data = make_b2b(&B2bParams {
        n_customers: 600,
        ..B2bParams::default()
    })?;
    let segmenter = SegmenterParams::new().fit(&data.customers, Some(&data.transactions))?;
    println!("{segmenter}");
    let context = ReportContext::new()
        .source("synthetic B2B base (segcore::datasets::make_b2b)")
        .currency("EUR")
        .date_range_of(&data.transactions);
    std::fs::write("segments.html", segmenter.report_html(&context))?;
    Ok(())
}
