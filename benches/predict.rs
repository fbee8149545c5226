//! Assignment latency and throughput of saved models (issue 9's service goal: one customer in
//! under 20 microseconds for k-means with 30 features and 8 segments).
//!
//! `cargo bench --bench predict`. Single-customer calls go through `serve::AnyModel` (what a
//! service holds after loading a document), through `KMeans::predict` on a one-row view, and
//! through `Segmenter::predict_record` (raw columns in: `FeaturePipeline::transform_row`, then
//! k-means), also as the `AnyModel` that the service path of `examples/assign_service.rs` loads
//! (2.7 us both, from 16-32 us through a one-row table). Batch throughput: `KMeans::predict` and
//! `Segmenter::predict` on 100,000 customers.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use segcore::cluster::kmeans::KMeansParams;
use segcore::data::CustomerTable;
use segcore::persist;
use segcore::segmenter::{NClusters, Segmenter, SegmenterParams};
use segcore::serve::AnyModel;

fn customers(n: usize, d: usize, seed: u64) -> Array2<f64> {
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let centres: Vec<f64> = (0..8 * d).map(|_| rng.gen_range(-3.0..3.0)).collect();
    Array2::from_shape_fn((n, d), |(i, j)| {
        centres[(i % 8) * d + j] + rng.gen_range(-1.0..1.0)
    })
}

fn bench_predict(c: &mut Criterion) {
    let train = customers(20_000, 30, 1);
    let model = KMeansParams::new(8)
        .random_state(0)
        .fit(train.view(), None)
        .expect("finite data");
    let service = AnyModel::from_json(&persist::to_json(&model).expect("serialisable"))
        .expect("a k-means document");
    let one: Vec<f64> = train.row(123).to_vec();
    let one_row = train.slice(ndarray::s![123..124, ..]).to_owned();

    let mut group = c.benchmark_group("predict_kmeans_d30_k8");
    group.bench_function("any_model_predict_one", |b| {
        b.iter(|| {
            service
                .predict_one(std::hint::black_box(&one))
                .expect("30 features")
        })
    });
    group.bench_function("kmeans_predict_one_row", |b| {
        b.iter(|| {
            model
                .predict(std::hint::black_box(one_row.view()))
                .expect("30 features")
        })
    });
    let batch = customers(100_000, 30, 2);
    group.throughput(Throughput::Elements(batch.nrows() as u64));
    group.sample_size(20);
    group.bench_function("kmeans_predict_batch_100k", |b| {
        b.iter(|| model.predict(batch.view()).expect("finite batch"))
    });
    group.finish();
}

/// A customer table with `d` numeric columns `x0..` (rows of `customers`).
fn table(x: &Array2<f64>) -> CustomerTable {
    let mut t = CustomerTable::new((0..x.nrows()).map(|i| format!("C{i}")).collect())
        .expect("distinct ids");
    for (j, column) in x.columns().into_iter().enumerate() {
        t.add_numeric(&format!("x{j}"), column.to_vec())
            .expect("finite column");
    }
    t
}

fn bench_segmenter(c: &mut Criterion) {
    let train = customers(20_000, 30, 1);
    let fitted = SegmenterParams::new()
        .n_clusters(NClusters::Fixed(8))
        .fit(&table(&train), None)
        .expect("30 numeric columns");
    let model: Segmenter =
        persist::from_json(&persist::to_json(&fitted).expect("serialisable")).expect("a document");
    let record: serde_json::Map<String, serde_json::Value> = train
        .row(123)
        .iter()
        .enumerate()
        .map(|(j, &v)| (format!("x{j}"), serde_json::json!(v)))
        .collect();
    let service = AnyModel::from_json(&persist::to_json(&fitted).expect("serialisable"))
        .expect("a segmenter document");
    let mut group = c.benchmark_group("segmenter_kmeans_d30_k8");
    group.bench_function("predict_record", |b| {
        b.iter(|| {
            model
                .predict_record(std::hint::black_box(&record))
                .expect("30 columns")
        })
    });
    group.bench_function("any_model_predict_record", |b| {
        b.iter(|| {
            service
                .predict_record(std::hint::black_box(&record))
                .expect("30 columns")
        })
    });
    let batch = table(&customers(100_000, 30, 2));
    group.throughput(Throughput::Elements(batch.n_customers() as u64));
    group.sample_size(10);
    group.bench_function("predict_batch_100k", |b| {
        b.iter(|| model.predict(&batch, None).expect("30 columns"))
    });
    group.finish();
}

criterion_group!(benches, bench_predict, bench_segmenter);
criterion_main!(benches);
