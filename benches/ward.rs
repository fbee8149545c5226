//! Criterion benchmarks of Ward linkage on small blobs (the 20k comparison against fastcluster
//! and scipy lives in `benches/compare_ward.py`, which drives `benches/programs/ward_bench.rs`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use segcore::cluster::ward::{ward_linkage, WardParams};

/// `n x d` points around 8 centres, seeded.
fn blobs(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let centres: Vec<f64> = (0..8 * d).map(|_| rng.gen_range(-10.0..10.0)).collect();
    Array2::from_shape_fn((n, d), |(i, j)| {
        centres[(i % 8) * d + j] + rng.gen_range(-1.0..1.0)
    })
}

fn bench_ward(c: &mut Criterion) {
    let mut group = c.benchmark_group("ward_linkage");
    group.sample_size(10);
    for &n in &[1_000usize, 4_000] {
        let x = blobs(n, 8, 7);
        group.bench_with_input(BenchmarkId::new("d8", n), &x, |b, x| {
            b.iter(|| ward_linkage(x.view(), None).expect("finite blobs"))
        });
    }
    group.finish();
    let x = blobs(4_000, 8, 7);
    c.bench_function("ward_fit_k8_4000x8", |b| {
        b.iter(|| {
            WardParams::new(8)
                .fit(x.view(), None)
                .expect("finite blobs")
        })
    });
}

criterion_group!(benches, bench_ward);
criterion_main!(benches);
