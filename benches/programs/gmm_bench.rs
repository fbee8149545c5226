//! Per-EM-iteration timing of segcore's Gaussian mixture (full and diag, f64 and f32) and of
//! linfa-clustering's `GaussianMixtureModel` (full only) on the same synthetic data.
//!
//! ```text
//! cargo run --release --example gmm_bench -- [--n 100000] [--d 8] [--k 6] [--iters 10] [--linfa]
//!     [--types full,tied,diag,spherical] [--dtypes f64,f32]
//! ```
//! Per-iteration time = (time of `iters + 1` iterations - time of 1 iteration) / `iters`, so the
//! initialisation (user-given start for segcore, random responsibilities for linfa) cancels out.
//! Prints one `key=value` line per measurement: wall time and CPU time (all threads) per
//! iteration; on a busy machine the CPU time is the steadier of the two. The side-by-side run against scikit-learn is
//! `benches/compare_gmm.py` (segcore wheel and scikit-learn in one process).

use ndarray::{Array1, Array2, Array3};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use segcore::cluster::gmm::{CovarianceType, Covariances, GaussianMixtureParams};
use segcore::Float;
use std::time::Instant;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Overlapping Gaussian-ish segments, so EM keeps moving for every iteration.
fn data(n: usize, d: usize, k: usize) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let centers = Array2::from_shape_fn((k, d), |_| rng.gen_range(-2.0..2.0));
    Array2::from_shape_fn((n, d), |(i, f)| {
        centers[[i % k, f]] + (0..4).map(|_| rng.gen_range(-1.0..1.0)).sum::<f64>()
    })
}

fn start(x: &Array2<f64>, k: usize, kind: CovarianceType) -> GaussianMixtureParams {
    let d = x.ncols();
    let means = Array2::from_shape_fn((k, d), |(c, f)| x[[c, f]]);
    let precisions = match kind {
        CovarianceType::Full => Covariances::Full(Array3::from_shape_fn((k, d, d), |(_, a, b)| {
            if a == b {
                1.0
            } else {
                0.0
            }
        })),
        CovarianceType::Diag => Covariances::Diag(Array2::ones((k, d))),
        CovarianceType::Tied => Covariances::Tied(Array2::eye(d)),
        CovarianceType::Spherical => Covariances::Spherical(Array1::ones(k)),
    };
    GaussianMixtureParams::new(k)
        .covariance_type(kind)
        .tol(0.0)
        .weights_init(Array1::from_elem(k, 1.0 / k as f64))
        .means_init(means)
        .precisions_init(precisions)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("timings are finite"));
    v[v.len() / 2]
}

/// CPU time of every thread of this process so far, in seconds (Linux: the scheduler's own
/// per-thread run time; NaN elsewhere). On a shared machine the wall time of a run includes
/// waiting for a core; the CPU time does not, so both are printed.
fn cpu_seconds() -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return f64::NAN;
    };
    tasks
        .filter_map(|t| t.ok())
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .sum::<f64>()
        * 1e-9
}

/// Median (wall, CPU) milliseconds per EM iteration.
fn per_iteration<F: Float>(
    x: &Array2<F>,
    params: &GaussianMixtureParams,
    iters: usize,
) -> (f64, f64) {
    let time = |max_iter: usize| {
        let p = params.clone().max_iter(max_iter);
        let (t, cpu) = (Instant::now(), cpu_seconds());
        let model = p.fit(x.view(), None).expect("benchmark fit succeeds");
        assert_eq!(model.n_iter(), max_iter);
        (t.elapsed().as_secs_f64(), cpu_seconds() - cpu)
    };
    let runs: Vec<((f64, f64), (f64, f64))> = (0..3).map(|_| (time(iters + 1), time(1))).collect();
    let per = |pick: fn(&(f64, f64)) -> f64| {
        median(
            runs.iter()
                .map(|(long, short)| (pick(long) - pick(short)) / iters as f64 * 1e3)
                .collect(),
        )
    };
    (per(|t| t.0), per(|t| t.1))
}

fn linfa_per_iteration(x: &Array2<f64>, k: usize, iters: usize) -> f64 {
    use linfa::traits::Fit;
    use linfa_clustering::{GaussianMixtureModel, GmmInitMethod};
    let dataset = linfa::DatasetBase::from(x.clone());
    let time = |max_iter: usize| {
        let params = GaussianMixtureModel::params(k)
            .n_runs(1)
            .tolerance(1e-30)
            .max_n_iterations(max_iter as u64)
            .init_method(GmmInitMethod::Random)
            .with_rng(Xoshiro256PlusPlus::seed_from_u64(1));
        let t = Instant::now();
        // linfa reports NotConverged at max_n_iterations (and drops the model): the time is
        // what we want here.
        let _ = params.fit(&dataset);
        t.elapsed().as_secs_f64()
    };
    median(
        (0..3)
            .map(|_| (time(iters + 1) - time(1)) / iters as f64 * 1e3)
            .collect(),
    )
}

fn main() {
    let (n, d, k, iters) = (
        arg("--n", 100_000),
        arg("--d", 8),
        arg("--k", 6),
        arg("--iters", 10),
    );
    let x = data(n, d, k);
    let x32 = x.mapv(|v| v as f32);
    println!(
        "n={n} d={d} k={k} iters={iters} threads={}",
        rayon::current_num_threads()
    );
    let args: Vec<String> = std::env::args().collect();
    let listed = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let types = listed("--types").unwrap_or_else(|| "full,tied,diag,spherical".into());
    let dtypes = listed("--dtypes").unwrap_or_else(|| "f64,f32".into());
    for kind in CovarianceType::ALL {
        if !types.split(',').any(|t| t == kind.name()) {
            continue;
        }
        let params = start(&x, k, kind);
        if dtypes.split(',').any(|t| t == "f64") {
            let (wall, cpu) = per_iteration(&x, &params, iters);
            println!("segcore_{kind}_f64_ms_per_iter={wall:.2} cpu_ms_per_iter={cpu:.2}");
        }
        if dtypes.split(',').any(|t| t == "f32") {
            let (wall, cpu) = per_iteration(&x32, &params, iters);
            println!("segcore_{kind}_f32_ms_per_iter={wall:.2} cpu_ms_per_iter={cpu:.2}");
        }
    }
    if std::env::args().any(|a| a == "--linfa") {
        println!(
            "linfa_full_f64_ms_per_iter={:.2}",
            linfa_per_iteration(&x, k, iters)
        );
    }
}
