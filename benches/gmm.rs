//! Criterion benchmarks of the Gaussian mixture EM on small sizes (so `cargo bench` stays
//! short). The 100k-row comparison with scikit-learn and linfa lives in `benches/compare_gmm.py`
//! and `benches/programs/gmm_bench.rs`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use segcore::cluster::gmm::{CovarianceType, GaussianMixtureParams};

fn data(n: usize, d: usize, k: usize) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    Array2::from_shape_fn((n, d), |(i, _)| (i % k) as f64 + rng.gen_range(-1.0..1.0))
}

fn em_iterations(c: &mut Criterion) {
    let mut group = c.benchmark_group("gmm_10_em_iterations");
    group.sample_size(10);
    let (n, d, k) = (20_000usize, 8usize, 6usize);
    let x = data(n, d, k);
    let means = Array2::from_shape_fn((k, d), |(c, f)| x[[c, f]]);
    for kind in CovarianceType::ALL {
        // Weights and means given; covariances estimated from seeded random responsibilities,
        // so no k-means runs inside the timed loop.
        let params = GaussianMixtureParams::new(k)
            .covariance_type(kind)
            .weights_init(Array1::from_elem(k, 1.0 / k as f64))
            .means_init(means.clone())
            .init(segcore::cluster::gmm::GaussianMixtureInit::Random)
            .max_iter(10)
            .tol(0.0);
        group.bench_with_input(
            BenchmarkId::new(kind.name(), format!("{n}x{d}_k{k}")),
            &x,
            |b, x| b.iter(|| params.fit(x.view(), None).expect("valid data")),
        );
    }
    group.finish();
}

criterion_group!(benches, em_iterations);
criterion_main!(benches);
