//! Proof for segment profiles: generated names match the synthetic generator's themes, the
//! Wholesale data shows its known structure, suppression hides every small cell (property test),
//! and the profile does not depend on the thread count.

use proptest::prelude::*;
use segcore::cluster::kmeans::KMeansParams;
use segcore::data::{CategoricalColumn, CustomerCsvOptions, CustomerTable};
use segcore::datasets::{make_b2b, B2bParams};
use segcore::features::behaviour::{behaviour_features, BehaviourParams};
use segcore::features::segmentation_features;
use segcore::preprocessing::StandardScalerParams;
use segcore::profile::{profile, Language, ProfileParams, SegmentationProfile};

mod common;
use common::data_file;

/// Segments the synthetic base as the main job does and profiles it.
fn b2b_profile(seed: u64, language: Language) -> (SegmentationProfile, Vec<usize>, Vec<usize>) {
    let data = make_b2b(&B2bParams {
        n_customers: 3_000,
        random_state: seed,
        ..B2bParams::default()
    })
    .unwrap();
    let features = segmentation_features(&data.customers, &data.transactions).unwrap();
    let scaled = StandardScalerParams::default()
        .fit(features.model_input.view(), None)
        .unwrap()
        .transform(features.model_input.view())
        .unwrap();
    let model = KMeansParams::new(5)
        .n_init(10)
        .random_state(seed)
        .fit(scaled.view(), None)
        .unwrap();
    let mut table = data.customers.clone();
    behaviour_features(
        &data.customers,
        &data.transactions,
        &BehaviourParams::default(),
    )
    .unwrap()
    .add_to_table(&mut table)
    .unwrap();
    let labels = model.labels().to_vec();
    let params = ProfileParams::new()
        .revenue("monetary")
        .margin("margin")
        .language(language);
    (
        profile(&table, &labels, &params).unwrap(),
        labels,
        data.true_segment,
    )
}

#[test]
fn b2b_names_match_the_generator_themes() {
    // generator segment index -> the word its name must contain, per language
    let english = ["premium", "volume", "innovation", "occasional", "lapsed"];
    let german = [
        "premium",
        "volumen",
        "innovation",
        "gelegenheit",
        "abgewandert",
    ];
    for seed in [0, 1] {
        for (language, words) in [(Language::English, english), (Language::German, german)] {
            let (p, labels, truth) = b2b_profile(seed, language);
            assert_eq!(p.segments.len(), 5);
            for s in &p.segments {
                // the generator segment most of this recovered segment's customers come from
                let mut votes = [0usize; 5];
                for (&l, &t) in labels.iter().zip(&truth) {
                    if l == s.segment {
                        votes[t] += 1;
                    }
                }
                let majority = (0..5).max_by_key(|&t| votes[t]).unwrap();
                assert!(
                    s.name.to_lowercase().contains(words[majority]),
                    "seed {seed}: segment {} named `{}` holds mostly {}",
                    s.segment,
                    s.name,
                    english[majority]
                );
            }
        }
    }
}

#[test]
fn wholesale_retail_is_over_represented_where_grocery_and_detergents_are_high() {
    let Some(path) = data_file("wholesale_customers/wholesale_customers.csv") else {
        return;
    };
    let options = CustomerCsvOptions::default().with_categorical(&["Channel", "Region"]);
    let table = CustomerTable::from_csv_path(&path, &options).unwrap();
    let spending = [
        "Fresh",
        "Milk",
        "Grocery",
        "Frozen",
        "Detergents_Paper",
        "Delicassen",
    ];
    let x = table.numeric_matrix(&spending).unwrap().mapv(f64::ln_1p);
    let scaled = StandardScalerParams::default()
        .fit(x.view(), None)
        .unwrap()
        .transform(x.view())
        .unwrap();
    for k in [2, 3, 4] {
        let model = KMeansParams::new(k)
            .n_init(10)
            .random_state(0)
            .fit(scaled.view(), None)
            .unwrap();
        let labels = model.labels().to_vec();
        let p = profile(&table, &labels, &ProfileParams::new()).unwrap();
        let effect = |column: &str, s: usize| {
            let col = p.numeric.iter().find(|c| c.column == column).unwrap();
            col.segments[s].effect_size.unwrap()
        };
        let high = (0..p.segments.len())
            .max_by(|&a, &b| {
                let score = |s| effect("Grocery", s) + effect("Detergents_Paper", s);
                score(a).total_cmp(&score(b))
            })
            .unwrap();
        let segment = &p.segments[high];
        let retail = segment
            .over_represented
            .iter()
            .find(|c| c.column == "Channel" && c.category == "2");
        let retail = retail.unwrap_or_else(|| {
            panic!("k = {k}: Retail (Channel 2) not over-represented in {segment:#?}")
        });
        assert!(retail.lift > 1.5, "k = {k}: Retail lift {}", retail.lift);
        assert!(retail.share > 0.5, "k = {k}: Retail share {}", retail.share);
        for column in ["Grocery", "Detergents_Paper"] {
            let d = effect(column, high);
            assert!(
                d > 0.3,
                "k = {k}: {column} effect size {d} in the Retail segment"
            );
        }
    }
}

#[test]
fn profile_does_not_depend_on_the_thread_count() {
    let (reference, labels, _) = b2b_profile(3, Language::English);
    let data = make_b2b(&B2bParams {
        n_customers: 3_000,
        random_state: 3,
        ..B2bParams::default()
    })
    .unwrap();
    let mut table = data.customers.clone();
    behaviour_features(
        &data.customers,
        &data.transactions,
        &BehaviourParams::default(),
    )
    .unwrap()
    .add_to_table(&mut table)
    .unwrap();
    let params = ProfileParams::new().revenue("monetary").margin("margin");
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| profile(&table, &labels, &params).unwrap());
    assert_eq!(single.to_json().unwrap(), reference.to_json().unwrap());
}

/// Customers per (segment, category) and per segment, counted independently of the profile.
fn counts(labels: &[usize], codes: &[u32], k: usize) -> (Vec<usize>, Vec<Vec<usize>>) {
    let n_segments = labels.iter().max().map_or(0, |m| m + 1);
    let mut sizes = vec![0; n_segments];
    let mut cells = vec![vec![0; k]; n_segments];
    for (&l, &c) in labels.iter().zip(codes) {
        sizes[l] += 1;
        if c != CategoricalColumn::MISSING {
            cells[l][c as usize] += 1;
        }
    }
    (sizes, cells)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn suppression_hides_every_cell_below_the_minimum_size(
        rows in proptest::collection::vec((0usize..6, 0u32..5, -100.0f64..100.0, proptest::bool::weighted(0.1)), 1..300),
        min_group_size in 1usize..40,
    ) {
        let n = rows.len();
        let labels: Vec<usize> = rows.iter().map(|r| r.0).collect();
        let codes: Vec<u32> = rows.iter().map(|r| if r.3 { CategoricalColumn::MISSING } else { r.1 }).collect();
        let values: Vec<f64> = rows.iter().map(|r| if r.3 { f64::NAN } else { r.2 }).collect();
        let mut table = CustomerTable::new((0..n).map(|i| format!("C{i}")).collect()).unwrap();
        table.add_numeric("revenue", values.clone()).unwrap();
        let categories: Vec<String> = (0..5).map(|c| format!("cat{c}")).collect();
        table.add_categorical_column("kind", CategoricalColumn::from_codes(categories, codes.clone()).unwrap()).unwrap();
        let p = profile(&table, &labels, &ProfileParams::new().revenue("revenue").min_group_size(min_group_size)).unwrap();
        let (sizes, cells) = counts(&labels, &codes, 5);
        for s in &p.segments {
            let size = sizes[s.segment];
            prop_assert_eq!(s.suppressed, size < min_group_size);
            prop_assert_eq!(s.size.is_some(), size >= min_group_size);
            prop_assert_eq!(s.share.is_some(), size >= min_group_size);
            prop_assert_eq!(s.value.is_some(), size >= min_group_size);
            if let Some(v) = &s.value {
                if let Some(lorenz) = &v.lorenz {
                    prop_assert!(size / 20 >= min_group_size);
                    prop_assert_eq!(lorenz.len(), 21);
                }
            }
        }
        let numeric = &p.numeric[0];
        for cell in &numeric.segments {
            let defined = labels.iter().zip(&values).filter(|(&l, v)| l == cell.segment && !v.is_nan()).count();
            prop_assert_eq!(cell.summary.is_some(), defined >= min_group_size);
            if let Some(summary) = &cell.summary {
                prop_assert_eq!(summary.count, defined);
            } else {
                prop_assert!(cell.effect_size.is_none());
            }
        }
        let categorical = &p.categorical[0];
        for comp in &categorical.segments {
            let segment = comp.segment.unwrap();
            for (c, cell) in comp.cells.iter().enumerate() {
                let count = cells[segment][c];
                prop_assert_eq!(cell.count.is_some(), count >= min_group_size);
                prop_assert_eq!(cell.share.is_some(), count >= min_group_size);
                if count < min_group_size {
                    prop_assert!(cell.lift.is_none());
                } else {
                    prop_assert_eq!(cell.count, Some(count));
                }
            }
        }
        // the rendered reports never print a hidden count: every number in the categorical
        // table's count column is at least the minimum group size
        let markdown = p.to_markdown();
        for line in markdown.lines().filter(|l| l.starts_with("| | |")) {
            let fields: Vec<&str> = line.split('|').map(str::trim).collect();
            if let Ok(count) = fields[4].parse::<usize>() {
                prop_assert!(count >= min_group_size, "{}", line);
            }
        }
    }
}
