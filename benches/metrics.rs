//! Validity metrics at small sizes (criterion). The 20k x 8 silhouette comparison against
//! scikit-learn runs through `benches/programs/pca_bench.rs` on shared bytes.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ndarray::{Array1, Array2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use segcore::select::metrics;

fn blobs(n: usize, d: usize, k: usize) -> (Array2<f64>, Array1<usize>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let labels: Array1<usize> = (0..n).map(|i| i % k).collect();
    let x = Array2::from_shape_fn((n, d), |(i, j)| {
        (labels[i] * (j + 1)) as f64 + rng.r#gen::<f64>()
    });
    (x, labels)
}

fn validity(c: &mut Criterion) {
    let mut group = c.benchmark_group("metrics");
    group.sample_size(10);
    let (x, labels) = blobs(4_000, 8, 5);
    group.bench_function("silhouette_4000x8", |b| {
        b.iter(|| {
            metrics::silhouette_score(black_box(x.view()), labels.view()).expect("silhouette")
        })
    });
    let (big, big_labels) = blobs(100_000, 8, 5);
    group.bench_function("silhouette_sampled_2000_of_100000x8", |b| {
        b.iter(|| {
            metrics::silhouette_score_sampled(big.view(), big_labels.view(), 2_000, 0)
                .expect("sampled")
        })
    });
    group.bench_function("calinski_harabasz_100000x8", |b| {
        b.iter(|| {
            metrics::calinski_harabasz_score(black_box(big.view()), big_labels.view()).expect("ch")
        })
    });
    group.bench_function("davies_bouldin_100000x8", |b| {
        b.iter(|| {
            metrics::davies_bouldin_score(black_box(big.view()), big_labels.view()).expect("db")
        })
    });
    let other: Vec<usize> = big_labels.iter().map(|&l| (l * 3 + 1) % 7).collect();
    let labels_vec = big_labels.to_vec();
    group.bench_function("adjusted_rand_100000", |b| {
        b.iter(|| metrics::adjusted_rand_score(black_box(&labels_vec), &other).expect("ari"))
    });
    group.finish();
}

criterion_group!(benches, validity);
criterion_main!(benches);
