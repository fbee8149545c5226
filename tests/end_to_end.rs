//! The first end-to-end path in Rust: synthetic B2B data -> features -> standard scaling ->
//! k-means -> profile; and the bad-input contract of the path's public entry points.

use ndarray::{array, Array2};
use segcore::cluster::kmeans::KMeansParams;
use segcore::datasets::{make_b2b, B2bParams};
use segcore::features::segmentation_features;
use segcore::preprocessing::StandardScalerParams;
use segcore::profile::profile_segments;
use segcore::select::metrics::adjusted_rand_score;
use segcore::Error;

#[test]
fn kmeans_recovers_the_generators_segments() {
    let data = make_b2b(&B2bParams::default()).unwrap();
    let features = segmentation_features(&data.customers, &data.transactions).unwrap();
    let scaled = StandardScalerParams::default()
        .fit(features.model_input.view(), None)
        .unwrap()
        .transform(features.model_input.view())
        .unwrap();
    let k = data.segment_names.len();
    let model = KMeansParams::new(k)
        .n_init(10)
        .random_state(0)
        .fit(scaled.view(), None)
        .unwrap();
    let labels = model.labels().to_vec();
    let ari = adjusted_rand_score(&data.true_segment, &labels).unwrap();
    assert!(ari >= 0.9, "adjusted Rand index {ari} < 0.9");
    // Segments overlap a little, like real ones: a perfect recovery would mean the generator is
    // too easy to be a useful benchmark.
    assert!(
        ari < 0.995,
        "adjusted Rand index {ari}: segments do not overlap at all"
    );

    // Every customer is profiled: sizes add up to the base.
    let profile =
        profile_segments(features.raw.view(), &features.names, model.labels(), k).unwrap();
    let total: usize = profile.segments.iter().map(|s| s.size).sum();
    assert_eq!(total, data.customers.n_customers());
    assert!(profile.segments.iter().all(|s| s.size > 0));
}

#[test]
fn bad_input_gives_typed_errors() {
    let x = array![[0.0, 1.0], [1.0, 0.0], [5.0, 5.0]];
    assert!(matches!(
        KMeansParams::new(0).fit(x.view(), None),
        Err(Error::InvalidParameter {
            name: "n_clusters",
            ..
        })
    ));
    assert!(matches!(
        KMeansParams::new(4).fit(x.view(), None),
        Err(Error::TooManyClusters {
            n_clusters: 4,
            n_samples: 3
        })
    ));
    let mut bad = x.clone();
    bad[[1, 1]] = f64::NAN;
    let err = KMeansParams::new(2).fit(bad.view(), None).unwrap_err();
    assert!(err.to_string().contains("row 1, column 1"), "{err}");
    let empty = Array2::<f64>::zeros((0, 2));
    assert!(matches!(
        KMeansParams::new(2).fit(empty.view(), None),
        Err(Error::EmptyInput { .. })
    ));
    let model = KMeansParams::new(2)
        .random_state(0)
        .fit(x.view(), None)
        .unwrap();
    assert!(matches!(
        model.predict(array![[1.0, 2.0, 3.0]].view()),
        Err(Error::ShapeMismatch {
            expected: 2,
            got: 3,
            ..
        })
    ));
}
