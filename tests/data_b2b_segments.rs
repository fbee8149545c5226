//! Acceptance test of the synthetic B2B generator: k-means with the true number of segments on
//! standardised behaviour + firmographic features recovers the ground truth (ARI >= 0.9).
//!
//! segcore's own k-means does not exist yet, so linfa's KMeans runs here with a fixed seed.

use linfa::prelude::*;
use linfa_clustering::KMeans;
use ndarray::{Array1, Array2, Axis};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;
use segcore::datasets::{make_b2b, B2bParams};
use segcore::features::{behaviour_features, BehaviourParams};

/// Adjusted Rand index (Hubert & Arabie 1985), as sklearn.metrics.adjusted_rand_score.
fn adjusted_rand_index(truth: &[usize], predicted: &[usize]) -> f64 {
    assert_eq!(truth.len(), predicted.len());
    let n_true = truth.iter().max().map_or(0, |m| m + 1);
    let n_pred = predicted.iter().max().map_or(0, |m| m + 1);
    let mut table = vec![vec![0u64; n_pred]; n_true];
    for (&t, &p) in truth.iter().zip(predicted) {
        table[t][p] += 1;
    }
    let pairs = |x: u64| (x * x.saturating_sub(1) / 2) as f64;
    let index: f64 = table.iter().flatten().map(|&c| pairs(c)).sum();
    let rows: f64 = table.iter().map(|r| pairs(r.iter().sum())).sum();
    let cols: f64 = (0..n_pred)
        .map(|j| pairs(table.iter().map(|r| r[j]).sum()))
        .sum();
    let total = pairs(truth.len() as u64);
    let expected = rows * cols / total;
    let max = (rows + cols) / 2.0;
    if max == expected {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

#[test]
fn ari_helper_matches_known_values() {
    assert_eq!(adjusted_rand_index(&[0, 0, 1, 1], &[1, 1, 0, 0]), 1.0);
    // sklearn.metrics.adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) = 0.5714285714285714
    let ari = adjusted_rand_index(&[0, 0, 1, 1], &[0, 0, 1, 2]);
    assert!((ari - 0.5714285714285714).abs() < 1e-12, "{ari}");
    // adjusted_rand_score([0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2]) = -0.36363636363636365
    let ari = adjusted_rand_index(&[0, 0, 0, 1, 1, 1], &[0, 1, 2, 0, 1, 2]);
    assert!((ari + 0.36363636363636365).abs() < 1e-12, "{ari}");
}

fn median_ignoring_nan(values: &[f64]) -> f64 {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// The clustering matrix: log1p(monetary), log1p(frequency), recency_days,
/// log1p(average_order_value), log1p(product_categories), log1p(annual_revenue_eur) with the
/// revenue's missing values imputed by its median; each column standardised.
fn segmentation_matrix(data: &segcore::datasets::B2bDataset) -> Array2<f64> {
    let f = behaviour_features(
        &data.customers,
        &data.transactions,
        &BehaviourParams::default(),
    )
    .unwrap();
    let revenue = data.customers.numeric("annual_revenue_eur").unwrap();
    let median = median_ignoring_nan(revenue);
    let columns: Vec<Array1<f64>> = vec![
        f.column("monetary").unwrap().mapv(f64::ln_1p),
        f.column("frequency").unwrap().mapv(f64::ln_1p),
        f.column("recency_days").unwrap().to_owned(),
        f.column("average_order_value").unwrap().mapv(f64::ln_1p),
        f.column("product_categories").unwrap().mapv(f64::ln_1p),
        revenue
            .iter()
            .map(|&r| if r.is_nan() { median } else { r }.ln_1p())
            .collect(),
    ];
    let mut x = Array2::zeros((data.customers.n_customers(), columns.len()));
    for (j, c) in columns.iter().enumerate() {
        let mean = c.mean().unwrap();
        let std = c.std(0.0);
        x.column_mut(j).assign(&c.mapv(|v| (v - mean) / std));
    }
    assert!(
        x.iter().all(|v| v.is_finite()),
        "features must be finite after imputation"
    );
    x
}

#[test]
fn kmeans_recovers_the_true_segments() {
    let data = make_b2b(&B2bParams::default()).unwrap();
    let x = segmentation_matrix(&data);
    let dataset = DatasetBase::from(x.clone());
    let model = KMeans::params_with_rng(5, Xoshiro256Plus::seed_from_u64(0))
        .n_runs(10)
        .tolerance(1e-6)
        .max_n_iterations(500)
        .fit(&dataset)
        .unwrap();
    let labels = model.predict(&x);
    let ari = adjusted_rand_index(&data.true_segment, labels.as_slice().unwrap());
    println!("ARI = {ari:.4} on {} customers", x.len_of(Axis(0)));
    assert!(ari >= 0.9, "ARI = {ari}");
    // Segments overlap a little, like real ones: a perfect recovery would mean the generator is
    // too easy to be a useful benchmark.
    assert!(ari < 0.995, "ARI = {ari}: segments do not overlap at all");
}
