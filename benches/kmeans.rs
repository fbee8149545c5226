//! Criterion benchmarks of the k-means kernel on small sizes (so `cargo bench` stays short).
//! The 1M-row comparison with scikit-learn lives in `benches/compare_kmeans.py` and
//! `benches/programs/kmeans_bench.rs`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::{s, Array2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use segcore::cluster::kmeans::{KMeansAlgorithm, KMeansInit, KMeansParams};

fn data(n: usize, d: usize) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    Array2::from_shape_fn((n, d), |(i, _)| (i % 8) as f64 + rng.gen_range(-1.0..1.0))
}

fn lloyd_iterations(c: &mut Criterion) {
    let mut group = c.benchmark_group("kmeans_10_iterations");
    group.sample_size(10);
    for &(n, d, k) in &[(20_000usize, 16usize, 8usize), (20_000, 4, 3)] {
        let x = data(n, d);
        let init = KMeansInit::Centers(x.slice(s![0..k, ..]).to_owned());
        for (name, algorithm) in [
            ("lloyd", KMeansAlgorithm::Lloyd),
            ("hamerly", KMeansAlgorithm::Hamerly),
        ] {
            let params = KMeansParams::new(k)
                .init(init.clone())
                .max_iter(10)
                .tol(0.0)
                .algorithm(algorithm);
            group.bench_with_input(
                BenchmarkId::new(name, format!("{n}x{d}_k{k}")),
                &x,
                |b, x| b.iter(|| params.fit(x.view(), None).expect("valid data")),
            );
        }
    }
    group.finish();
}

fn kmeans_plusplus_default(c: &mut Criterion) {
    let x = data(20_000, 16);
    let params = KMeansParams::new(8);
    c.bench_function("kmeans_default_fit_20000x16_k8", |b| {
        b.iter(|| params.fit(x.view(), None).expect("valid data"))
    });
}

criterion_group!(benches, lloyd_iterations, kmeans_plusplus_default);
criterion_main!(benches);
