//! Behaviour, RFM and value features at small sizes (criterion). The 10-million-line comparison
//! with pandas runs through `benches/compare_features.py`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use segcore::data::{CustomerTable, Date, TransactionLog};
use segcore::features::behaviour::{behaviour_features, BehaviourParams};
use segcore::features::rfm::{rfm_scores, RfmParams};
use segcore::features::value::{abc_classes, AbcParams, Concentration};

fn synthetic_log(n_lines: usize, n_customers: usize) -> (CustomerTable, TransactionLog) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let ids: Vec<String> = (0..n_customers).map(|i| format!("C{i}")).collect();
    let codes: Vec<u32> = (0..n_lines)
        .map(|_| rng.gen_range(0..n_customers as u32))
        .collect();
    let start = Date::from_ymd(2022, 1, 1)
        .expect("valid date")
        .days_since_epoch();
    let dates = (0..n_lines)
        .map(|_| Date::from_days_since_epoch(start + rng.gen_range(0..1095)).expect("in range"))
        .collect();
    let amounts = (0..n_lines)
        .map(|_| {
            let a: f64 = rng.gen_range(10.0..2000.0);
            if rng.r#gen::<f64>() < 0.05 {
                -0.3 * a
            } else {
                a
            }
        })
        .collect();
    let log = TransactionLog::new(ids.clone(), codes, dates, amounts).expect("valid log");
    (CustomerTable::new(ids).expect("distinct ids"), log)
}

fn features(c: &mut Criterion) {
    let mut group = c.benchmark_group("features");
    group.sample_size(10);
    let (customers, log) = synthetic_log(500_000, 50_000);
    group.bench_function("behaviour_500k_lines_50k_customers", |b| {
        b.iter(|| {
            behaviour_features(black_box(&customers), &log, &BehaviourParams::default())
                .expect("features")
        })
    });
    let f = behaviour_features(&customers, &log, &BehaviourParams::default()).expect("features");
    let column = |name: &str| f.column(name).expect("column").to_vec();
    let (recency, frequency, monetary) = (
        column("recency_days"),
        column("frequency"),
        column("monetary"),
    );
    group.bench_function("rfm_scores_50k", |b| {
        b.iter(|| rfm_scores(&recency, &frequency, &monetary, &RfmParams::default()).expect("rfm"))
    });
    group.bench_function("abc_and_gini_50k", |b| {
        b.iter(|| {
            let abc = abc_classes(black_box(&monetary), &AbcParams::default()).expect("abc");
            let gini = Concentration::new(&monetary).expect("values").gini();
            (abc, gini)
        })
    });
    group.finish();
}

criterion_group!(benches, features);
criterion_main!(benches);
