//! PCA fit at small sizes (criterion). The headline 1M x 32 -> 8 comparison against scikit-learn and
//! linfa-reduction runs through `benches/programs/pca_bench.rs` on shared bytes.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use segcore::reduce::{NComponents, PcaParams, PcaSolver};

fn data(n: usize, d: usize) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let factors = Array2::from_shape_simple_fn((n, 4), || rng.r#gen::<f64>() - 0.5);
    let loadings = Array2::from_shape_simple_fn((4, d), || rng.r#gen::<f64>() - 0.5);
    factors.dot(&loadings) + Array2::from_shape_simple_fn((n, d), || 0.05 * rng.r#gen::<f64>())
}

fn pca_fit(c: &mut Criterion) {
    let mut group = c.benchmark_group("pca_fit");
    group.sample_size(10);
    let tall = data(50_000, 16);
    for solver in [PcaSolver::CovarianceEigh, PcaSolver::Full] {
        let params = PcaParams::new(NComponents::Count(4)).solver(solver);
        group.bench_with_input(
            BenchmarkId::new(format!("{solver:?}"), "50000x16"),
            &tall,
            |b, x| b.iter(|| params.fit(black_box(x.view())).expect("fit")),
        );
    }
    let wide = data(200, 2_000);
    for solver in [PcaSolver::Randomized, PcaSolver::Full] {
        let params = PcaParams::new(NComponents::Count(5)).solver(solver);
        group.bench_with_input(
            BenchmarkId::new(format!("{solver:?}"), "200x2000"),
            &wide,
            |b, x| b.iter(|| params.fit(black_box(x.view())).expect("fit")),
        );
    }
    group.finish();
}

criterion_group!(benches, pca_fit);
criterion_main!(benches);
