//! Runs segcore's PCA and validity metrics (and linfa-reduction's PCA, for comparison) on a raw
//! little-endian f64 matrix and prints JSON results with timings, so a Python script can compare
//! them with scikit-learn on the same bytes.
//!
//! ```text
//! cargo run --release --example pca_bench -- pca     X.f64 N D K [auto|eigh|full|randomized] [f32]
//! cargo run --release --example pca_bench -- linfa   X.f64 N D K
//! cargo run --release --example pca_bench -- metrics X.f64 N D LABELS.u64
//! cargo run --release --example pca_bench -- pairs   LABELS_TRUE.u64 LABELS_PRED.u64
//! ```
//! Timings are the median of 3 runs; compare ratios measured in one session, not absolute times.

use linfa::traits::Fit;
use ndarray::{Array1, Array2};
use segcore::reduce::{NComponents, PcaParams, PcaSolver};
use segcore::select::metrics;
use serde_json::json;
use std::time::Instant;

fn read_f64(path: &str, n: usize, d: usize) -> Array2<f64> {
    let bytes = std::fs::read(path).expect("readable matrix file");
    assert_eq!(bytes.len(), n * d * 8, "file size must be N * D * 8 bytes");
    let values = bytes
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("8-byte chunk")))
        .collect();
    Array2::from_shape_vec((n, d), values).expect("N * D values")
}

fn read_labels(path: &str) -> Array1<usize> {
    let bytes = std::fs::read(path).expect("readable labels file");
    bytes
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8-byte chunk")) as usize)
        .collect()
}

/// Median wall time in seconds of 3 runs, and the last result.
fn timed<T>(mut run: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::new();
    let mut result = None;
    for _ in 0..3 {
        let start = Instant::now();
        result = Some(run());
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(|a, b| a.total_cmp(b));
    (times[1], result.expect("ran 3 times"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: pca_bench pca|linfa|metrics X.f64 N D (K [solver] [f32] | LABELS.u64) or pairs A.u64 B.u64";
    let mode = args.get(1).expect(usage).as_str();
    if mode == "pairs" {
        let a = read_labels(args.get(2).expect(usage)).to_vec();
        let b = read_labels(args.get(3).expect(usage)).to_vec();
        let output = json!({
            "adjusted_rand": metrics::adjusted_rand_score(&a, &b).expect("ari"),
            "normalized_mutual_info": metrics::normalized_mutual_info_score(&a, &b).expect("nmi"),
            "mutual_info": metrics::mutual_info_score(&a, &b).expect("mi"),
            "contingency": metrics::contingency_matrix(&a, &b).expect("table").outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
        });
        println!("{output}");
        return;
    }
    let n: usize = args.get(3).expect(usage).parse().expect("N is an integer");
    let d: usize = args.get(4).expect(usage).parse().expect("D is an integer");
    let x = read_f64(&args[2], n, d);
    let output = match mode {
        "pca" => {
            let k: usize = args.get(5).expect(usage).parse().expect("K is an integer");
            let solver = match args.get(6).map(String::as_str).unwrap_or("auto") {
                "eigh" => PcaSolver::CovarianceEigh,
                "full" => PcaSolver::Full,
                "randomized" => PcaSolver::Randomized,
                _ => PcaSolver::Auto,
            };
            let params = PcaParams::new(NComponents::Count(k)).solver(solver);
            if args.get(7).map(String::as_str) == Some("f32") {
                let x32 = x.mapv(|v| v as f32);
                let (seconds, pca) = timed(|| params.fit(x32.view()).expect("PCA fits"));
                json!({"seconds": seconds, "solver": format!("{:?}", pca.solver()),
                       "components": pca.components().mapv(f64::from).outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
                       "explained_variance": pca.explained_variance().mapv(f64::from).to_vec(),
                       "explained_variance_ratio": pca.explained_variance_ratio().mapv(f64::from).to_vec(),
                       "singular_values": pca.singular_values().mapv(f64::from).to_vec(),
                       "mean": pca.mean().mapv(f64::from).to_vec()})
            } else {
                let (seconds, pca) = timed(|| params.fit(x.view()).expect("PCA fits"));
                let transform_start = Instant::now();
                let scores = pca.transform(x.view()).expect("transform");
                let transform_seconds = transform_start.elapsed().as_secs_f64();
                json!({"seconds": seconds, "transform_seconds": transform_seconds,
                       "solver": format!("{:?}", pca.solver()),
                       "components": pca.components().outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
                       "explained_variance": pca.explained_variance().to_vec(),
                       "explained_variance_ratio": pca.explained_variance_ratio().to_vec(),
                       "singular_values": pca.singular_values().to_vec(),
                       "noise_variance": pca.noise_variance(),
                       "mean": pca.mean().to_vec(),
                       "first_scores": scores.row(0).to_vec()})
            }
        }
        "linfa" => {
            let k: usize = args.get(5).expect(usage).parse().expect("K is an integer");
            let dataset = linfa::DatasetBase::from(x.clone());
            let (seconds, pca) = timed(|| {
                linfa_reduction::Pca::params(k)
                    .fit(&dataset)
                    .expect("linfa PCA fits")
            });
            json!({"seconds": seconds, "explained_variance_ratio": pca.explained_variance_ratio().to_vec(),
                   "singular_values": pca.singular_values().to_vec()})
        }
        "metrics" => {
            let labels = read_labels(args.get(5).expect(usage));
            let (silhouette_seconds, silhouette) =
                timed(|| metrics::silhouette_score(x.view(), labels.view()).expect("silhouette"));
            let (sampled_seconds, sampled) = timed(|| {
                metrics::silhouette_score_sampled(x.view(), labels.view(), 1000, 0)
                    .expect("sampled silhouette")
            });
            let samples = metrics::silhouette_samples(x.view(), labels.view()).expect("samples");
            json!({"silhouette": silhouette, "silhouette_seconds": silhouette_seconds,
                   "silhouette_sampled_1000": sampled, "sampled_seconds": sampled_seconds,
                   "silhouette_samples_head": samples.iter().take(20).copied().collect::<Vec<_>>(),
                   "calinski_harabasz": metrics::calinski_harabasz_score(x.view(), labels.view()).expect("ch"),
                   "davies_bouldin": metrics::davies_bouldin_score(x.view(), labels.view()).expect("db"),
                   "inertia": metrics::inertia(x.view(), labels.view(), None).expect("inertia")})
        }
        _ => panic!("{usage}"),
    };
    println!("{output}");
}
