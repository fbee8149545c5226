//! Invariants every model keeps, checked on generated data (proptest):
//!
//! - row order does not change a Ward or k-means clustering beyond the names of its segments;
//! - saving and loading a model document is the identity, for every saved model kind: the loaded
//!   model predicts the same and writes the same bytes;
//! - the thread count does not change a bit of a fitted model (rayon pools of 1 and 2 threads;
//!   the crate's parallel work all runs on rayon);
//! - scaling every feature by the same power of two (an exact operation) does not change k-means
//!   labels.
//!
//! Case counts are small so the file runs in seconds in a debug build; `PROPTEST_CASES` raises
//! them for a longer run.

use ndarray::{Array1, Array2, ArrayView1, Axis};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use segcore::cluster::gmm::{CovarianceType, GaussianMixtureParams};
use segcore::cluster::kmeans::{KMeansParams, MiniBatchKMeansParams};
use segcore::cluster::kprototypes::KPrototypesParams;
use segcore::cluster::latent_class::LatentClassParams;
use segcore::cluster::ward::WardParams;
use segcore::clv::{
    BetaGeoParams, GammaGammaParams, ParetoNbdParams, PurchaseHistory, PurchaseModel,
};
use segcore::datasets::{make_b2b, B2bParams};
use segcore::features::pipeline::{ColumnSpec, FeatureInput, PipelineSpec};
use segcore::persist::{self, SavedModel};
use segcore::preprocessing::StandardScalerParams;
use segcore::reduce::{CaParams, McaParams, NComponents, PcaParams};
use segcore::segmenter::{NClusters, SegmenterParams};

/// Cases per property unless `PROPTEST_CASES` says otherwise.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// Gaussian-ish noise (sum of four uniforms) around `k` centres spaced `spread` apart on the
/// diagonal: `n x d`, deterministic in `seed`.
fn blobs(n: usize, d: usize, k: usize, spread: f64, seed: u64) -> Array2<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    Array2::from_shape_fn((n, d), |(i, j)| {
        let noise: f64 = (0..4).map(|_| rng.gen_range(-0.5..0.5)).sum();
        ((i % k) as f64) * spread * if j % 2 == 0 { 1.0 } else { -1.0 } + noise
    })
}

/// A random permutation of `0..n`.
fn permutation(n: usize, seed: u64) -> Vec<usize> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, rng.gen_range(0..=i));
    }
    order
}

/// Whether `a` and `b` are the same partition (a one-to-one renaming of segments).
fn same_partition(a: ArrayView1<usize>, b: ArrayView1<usize>) -> bool {
    use std::collections::HashMap;
    let mut forward = HashMap::new();
    let mut backward = HashMap::new();
    a.len() == b.len()
        && a.iter().zip(b.iter()).all(|(&x, &y)| {
            *forward.entry(x).or_insert(y) == y && *backward.entry(y).or_insert(x) == x
        })
}

/// Runs `work` in a rayon pool of `threads` threads.
fn with_threads<T: Send>(threads: usize, work: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a small rayon pool")
        .install(work)
}

/// Saves and loads `model`: the loaded model writes the same bytes, and is returned.
fn round_trip<T: SavedModel>(model: &T) -> T {
    let document = persist::to_json(model).expect("a fitted model serialises");
    let loaded: T = persist::from_json(&document).expect("its own document loads");
    let again = persist::to_json(&loaded).expect("a loaded model serialises");
    assert!(
        again == document,
        "{}: save(load(document)) != document",
        T::kind()
    );
    loaded
}

/// Category codes (`n x q`, `levels` categories each, every one occurring: the first rows take
/// each code once) that mostly follow the row's parity.
fn codes(n: usize, q: usize, levels: u32, seed: u64) -> Array2<u32> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    Array2::from_shape_fn((n, q), |(i, _)| {
        if i < levels as usize {
            i as u32
        } else if rng.gen_bool(0.8) {
            (i % 2) as u32 * (levels - 1)
        } else {
            rng.gen_range(0..levels)
        }
    })
}

proptest! {
    #![proptest_config(config(12))]

    #[test]
    fn row_order_does_not_change_ward_or_kmeans_beyond_relabelling(
        n in 12usize..90,
        d in 1usize..5,
        k in 2usize..5,
        seed in any::<u64>(),
    ) {
        // Exact Ward on continuous data (no tied merge costs): the same tree in any row order.
        let x = blobs(n, d, k, 1.5, seed);
        let order = permutation(n, seed ^ 0x5eed);
        let shuffled = x.select(Axis(0), &order);
        let ward = WardParams::new(k).fit(x.view(), None).unwrap();
        let ward_shuffled = WardParams::new(k).fit(shuffled.view(), None).unwrap();
        let back: Array1<usize> = order.iter().map(|&i| ward.labels()[i]).collect();
        prop_assert!(same_partition(back.view(), ward_shuffled.labels()));

        // k-means on well separated groups: every start reaches the same partition, whichever
        // rows the seeding draws.
        let separated = blobs(n, d, k, 25.0, seed);
        let shuffled = separated.select(Axis(0), &order);
        let fit = |x: &Array2<f64>| {
            KMeansParams::new(k).n_init(4).random_state(seed).fit(x.view(), None).unwrap()
        };
        let (kmeans, kmeans_shuffled) = (fit(&separated), fit(&shuffled));
        let back: Array1<usize> = order.iter().map(|&i| kmeans.labels()[i]).collect();
        prop_assert!(same_partition(back.view(), kmeans_shuffled.labels()));
    }

    #[test]
    fn scaling_every_feature_by_a_power_of_two_keeps_kmeans_labels(
        n in 10usize..120,
        d in 1usize..5,
        k in 2usize..5,
        power in -30i32..30,
        seed in any::<u64>(),
    ) {
        // Multiplying by 2^p is exact in floating point, so every distance, mean, probability of
        // the k-means++ draw and the relative tolerance scale exactly; overlapping groups on
        // purpose, so that the labels depend on every detail of the run.
        let x = blobs(n, d, k, 0.8, seed);
        let scaled = x.mapv(|v| v * 2f64.powi(power));
        let params = KMeansParams::new(k.min(n)).n_init(2).random_state(seed);
        let plain = params.clone().fit(x.view(), None).unwrap();
        let rescaled = params.fit(scaled.view(), None).unwrap();
        prop_assert_eq!(plain.labels(), rescaled.labels());
        prop_assert_eq!(plain.n_iter(), rescaled.n_iter());
        prop_assert_eq!(plain.inertia() * 4f64.powi(power), rescaled.inertia());
    }

    #[test]
    fn thread_count_does_not_change_a_bit(
        n in 40usize..400,
        d in 2usize..6,
        seed in any::<u64>(),
    ) {
        let x = blobs(n, d, 3, 2.0, seed);
        let documents = |threads: usize| {
            with_threads(threads, || {
                let doc = |r: segcore::Result<String>| r.unwrap();
                vec![
                    doc(persist::to_json(
                        &KMeansParams::new(3).random_state(seed).fit(x.view(), None).unwrap(),
                    )),
                    doc(persist::to_json(
                        &MiniBatchKMeansParams::new(3)
                            .batch_size(32)
                            .random_state(seed)
                            .fit(x.view(), None)
                            .unwrap(),
                    )),
                    doc(persist::to_json(&WardParams::new(3).fit(x.view(), None).unwrap())),
                    doc(persist::to_json(
                        &WardParams::new(3)
                            .micro_clusters(20)
                            .random_state(seed)
                            .fit(x.view(), None)
                            .unwrap(),
                    )),
                    doc(persist::to_json(
                        &GaussianMixtureParams::new(2)
                            .covariance_type(CovarianceType::Full)
                            .random_state(seed)
                            .fit(x.view(), None)
                            .unwrap(),
                    )),
                    doc(persist::to_json(
                        &PcaParams::new(NComponents::Count(2)).fit(x.view()).unwrap(),
                    )),
                    doc(persist::to_json(
                        &StandardScalerParams::default().fit(x.view(), None).unwrap(),
                    )),
                    format!(
                        "{:?}",
                        segcore::select::metrics::silhouette_samples(
                            x.view(),
                            KMeansParams::new(3)
                                .random_state(seed)
                                .fit(x.view(), None)
                                .unwrap()
                                .labels(),
                        )
                        .unwrap()
                        .mapv(f64::to_bits)
                    ),
                ]
            })
        };
        prop_assert_eq!(documents(1), documents(2));
    }

    #[test]
    fn save_then_load_is_the_identity_for_every_model_kind(
        n in 30usize..120,
        seed in any::<u64>(),
    ) {
        let x = blobs(n, 3, 3, 3.0, seed);
        let x32 = x.mapv(|v| v as f32);

        let kmeans = KMeansParams::new(3).random_state(seed).fit(x.view(), None).unwrap();
        prop_assert_eq!(round_trip(&kmeans).predict(x.view()).unwrap(), kmeans.predict(x.view()).unwrap());
        let kmeans32 = KMeansParams::new(3).random_state(seed).fit(x32.view(), None).unwrap();
        prop_assert_eq!(round_trip(&kmeans32).predict(x32.view()).unwrap(), kmeans32.predict(x32.view()).unwrap());
        let minibatch = MiniBatchKMeansParams::new(3).random_state(seed).fit(x.view(), None).unwrap();
        prop_assert_eq!(round_trip(&minibatch).predict(x.view()).unwrap(), minibatch.predict(x.view()).unwrap());
        let ward = WardParams::new(3).fit(x.view(), None).unwrap();
        prop_assert_eq!(round_trip(&ward).predict(x.view()).unwrap(), ward.predict(x.view()).unwrap());
        let gmm = GaussianMixtureParams::new(2).random_state(seed).fit(x.view(), None).unwrap();
        prop_assert_eq!(round_trip(&gmm).predict_proba(x.view()).unwrap(), gmm.predict_proba(x.view()).unwrap());
        let gmm32 = GaussianMixtureParams::new(2).random_state(seed).fit(x32.view(), None).unwrap();
        prop_assert_eq!(round_trip(&gmm32).predict(x32.view()).unwrap(), gmm32.predict(x32.view()).unwrap());
        let pca = PcaParams::new(NComponents::Count(2)).fit(x.view()).unwrap();
        prop_assert_eq!(round_trip(&pca).transform(x.view()).unwrap(), pca.transform(x.view()).unwrap());
        let pca32 = PcaParams::new(NComponents::Count(2)).fit(x32.view()).unwrap();
        prop_assert_eq!(round_trip(&pca32).transform(x32.view()).unwrap(), pca32.transform(x32.view()).unwrap());
        let scaler = StandardScalerParams::default().fit(x.view(), None).unwrap();
        prop_assert_eq!(round_trip(&scaler).transform(x.view()).unwrap(), scaler.transform(x.view()).unwrap());

        let names: Vec<String> = (0..3).map(|j| format!("x{j}")).collect();
        let input = FeatureInput::new(n).with_matrix(&names, x.view()).unwrap();
        let spec = PipelineSpec::new(vec![
            ColumnSpec::numeric("x0").log1p(),
            ColumnSpec::numeric("x1").winsorize(0.05, 0.95),
            ColumnSpec::numeric("x2"),
        ]);
        let pipeline = spec.fit(&input).unwrap();
        prop_assert_eq!(round_trip(&pipeline).transform(&input).unwrap(), pipeline.transform(&input).unwrap());

        let categories = codes(n, 3, 4, seed);
        let prototypes = KPrototypesParams::new(2).random_state(seed)
            .fit(x.view(), categories.view(), None).unwrap();
        prop_assert_eq!(
            round_trip(&prototypes).predict(x.view(), categories.view()).unwrap(),
            prototypes.predict(x.view(), categories.view()).unwrap()
        );
        let latent = LatentClassParams::new(2).random_state(seed).fit(categories.view(), None).unwrap();
        prop_assert_eq!(round_trip(&latent).predict_proba(categories.view()).unwrap(), latent.predict_proba(categories.view()).unwrap());
        let mca = McaParams::new(2).fit(categories.view(), None).unwrap();
        prop_assert_eq!(round_trip(&mca).transform(categories.view()).unwrap(), mca.transform(categories.view()).unwrap());
        let table = x.mapv(|v| v.abs() + 1.0);
        let ca = CaParams::new(2).fit(table.view()).unwrap();
        prop_assert_eq!(round_trip(&ca).transform(table.view()).unwrap(), ca.transform(table.view()).unwrap());

        // CLV models on purchase histories derived from the data.
        let frequency: Vec<f64> = x.column(0).iter().map(|v| (v.abs() * 2.0).floor()).collect();
        let age: Vec<f64> = x.column(1).iter().map(|v| 30.0 + v.abs() * 5.0).collect();
        let recency: Vec<f64> = frequency.iter().zip(&age)
            .map(|(&f, &t)| if f > 0.0 { t * 0.7 } else { 0.0 }).collect();
        let history = PurchaseHistory::new(&frequency, &recency, &age).unwrap();
        let beta_geo = BetaGeoParams::new().penalizer_coef(0.01).fit(&history).unwrap();
        prop_assert_eq!(round_trip(&beta_geo).predict_purchases(10.0, &history).unwrap(), beta_geo.predict_purchases(10.0, &history).unwrap());
        let pareto = ParetoNbdParams::new().penalizer_coef(0.01).fit(&history).unwrap();
        prop_assert_eq!(round_trip(&pareto).predict_purchases(10.0, &history).unwrap(), pareto.predict_purchases(10.0, &history).unwrap());
        let spend: Vec<f64> = x.column(2).iter().map(|v| 20.0 + v.abs() * 7.0).collect();
        let gamma = GammaGammaParams::new().exclude_invalid(true).fit(&frequency, &spend).unwrap();
        prop_assert_eq!(
            round_trip(&gamma).conditional_expected_average_profit(&frequency, &spend).unwrap(),
            gamma.conditional_expected_average_profit(&frequency, &spend).unwrap()
        );
    }
}

proptest! {
    #![proptest_config(config(2))]

    #[test]
    fn save_then_load_is_the_identity_for_the_segmenter(seed in any::<u64>()) {
        let data = make_b2b(&B2bParams { n_customers: 150, years: 1, random_state: seed, ..B2bParams::default() }).unwrap();
        let model = SegmenterParams::new()
            .n_clusters(NClusters::Fixed(3))
            .fit(&data.customers, Some(&data.transactions))
            .unwrap();
        let loaded = round_trip(&model);
        prop_assert_eq!(
            loaded.predict(&data.customers, Some(&data.transactions)).unwrap(),
            model.predict(&data.customers, Some(&data.transactions)).unwrap()
        );
    }
}
