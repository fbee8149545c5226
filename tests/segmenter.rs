//! The Segmenter end to end: the one-liner on synthetic B2B data, saved documents (round trip,
//! corruption, hostile input), concurrent prediction, and the CSV job.

use segcore::cluster::gmm::CovarianceType;
use segcore::data::CustomerTable;
use segcore::datasets::{make_b2b, B2bParams};
use segcore::persist;
use segcore::segmenter::{segment_csv, Algorithm, NClusters, Segmenter, SegmenterParams};
use segcore::select::metrics::adjusted_rand_score;
use segcore::Error;
use serde_json::Value;

/// A small table: two groups on two numeric columns and a categorical one.
fn small_table(n: usize) -> CustomerTable {
    let mut t = CustomerTable::new((0..n).map(|i| format!("C{i}")).collect()).unwrap();
    let spend: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { 100.0 } else { 9_000.0 } + (i % 7) as f64 * 3.0)
        .collect();
    let orders: Vec<f64> = (0..n)
        .map(|i| if i % 2 == 0 { 2.0 } else { 40.0 } + (i % 3) as f64)
        .collect();
    t.add_numeric("spend", spend).unwrap();
    t.add_numeric("orders", orders).unwrap();
    let kind: Vec<Option<&str>> = (0..n).map(|i| Some(["shop", "plant"][i % 2])).collect();
    t.add_categorical("kind", &kind).unwrap();
    t
}

fn small_model(algorithm: Algorithm) -> Segmenter {
    SegmenterParams::new()
        .algorithm(algorithm)
        .n_clusters(NClusters::Fixed(2))
        .min_group_size(5)
        .fit(&small_table(24), None)
        .unwrap()
}

#[test]
fn the_one_liner_recovers_the_true_segments_and_names_them_by_theme() {
    // 1,000 customers keep the test fast in a debug build; the segment_b2b example runs 5,000.
    let data = make_b2b(&B2bParams {
        n_customers: 1_000,
        random_state: 0,
        ..B2bParams::default()
    })
    .unwrap();
    let model = SegmenterParams::new()
        .fit(&data.customers, Some(&data.transactions))
        .unwrap();
    let selection = model.selection().expect("k chosen by select_k");
    assert!((4..=8).contains(&model.n_segments()));
    assert_eq!(selection.table.len(), 5);
    assert_eq!(
        model.n_segments(),
        data.segment_names.len(),
        "select_k finds the 5 true segments"
    );
    let ari = adjusted_rand_score(&data.true_segment, model.labels()).unwrap();
    assert!(ari >= 0.8, "adjusted Rand index {ari}");
    let names = model.segment_names().join(" | ");
    for theme in ["Premium", "Volume", "Innovation", "Occasional", "Lapsed"] {
        assert!(names.contains(theme), "no {theme} segment in {names}");
    }
    // The inferred spec is printable and lists the behaviour and firmographic columns.
    let spec = model.spec().to_string();
    for column in ["recency_days", "monetary", "industry", "annual_revenue_eur"] {
        assert!(spec.contains(column), "{spec}");
    }
    assert!(model.to_string().contains("votes:"));
    // Predicting the training customers gives the training labels; a subset with the full log
    // gives the same segments as long as the as-of date is the same.
    let assigned = model
        .predict(&data.customers, Some(&data.transactions))
        .unwrap();
    let segments: Vec<usize> = assigned.iter().map(|a| a.segment.unwrap()).collect();
    assert_eq!(segments, model.labels());
}

#[test]
fn saved_models_round_trip_bit_identically() {
    for algorithm in [
        Algorithm::KMeans,
        Algorithm::Ward,
        Algorithm::GaussianMixture(CovarianceType::Full),
    ] {
        let model = small_model(algorithm);
        let document = persist::to_json(&model).unwrap();
        let loaded: Segmenter = persist::from_json(&document).unwrap();
        assert_eq!(loaded, model);
        let table = small_table(30);
        // Bit-identical: same segments and the very same probabilities.
        assert_eq!(
            loaded.predict(&table, None).unwrap(),
            model.predict(&table, None).unwrap()
        );
        assert_eq!(persist::to_json(&loaded).unwrap(), document);
    }
    let data = make_b2b(&B2bParams {
        n_customers: 300,
        ..B2bParams::default()
    })
    .unwrap();
    let model = SegmenterParams::new()
        .n_clusters(NClusters::Auto { min: 3, max: 4 })
        .fit(&data.customers, Some(&data.transactions))
        .unwrap();
    let path = std::env::temp_dir().join(format!("segcore-segmenter-{}.json", std::process::id()));
    persist::save(&model, &path).unwrap();
    let loaded: Segmenter = persist::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(loaded.selection(), model.selection());
    assert_eq!(
        loaded
            .predict(&data.customers, Some(&data.transactions))
            .unwrap(),
        model
            .predict(&data.customers, Some(&data.transactions))
            .unwrap()
    );
}

#[test]
fn every_truncation_of_a_saved_model_is_an_error() {
    let document = persist::to_json(&small_model(Algorithm::KMeans)).unwrap();
    assert!(
        document.len() < 20_000,
        "keep the model small: {} bytes",
        document.len()
    );
    for cut in 0..document.len() {
        if !document.is_char_boundary(cut) {
            continue;
        }
        assert!(
            persist::from_json::<Segmenter>(&document[..cut]).is_err(),
            "truncated at byte {cut} loaded"
        );
    }
}

/// The document with `edit` applied to its `model` object.
fn edited(document: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut value: Value = serde_json::from_str(document).unwrap();
    edit(&mut value["model"]);
    value.to_string()
}

fn load_error(document: &str) -> String {
    match persist::from_json::<Segmenter>(document) {
        Err(Error::ModelFormat { reason }) => reason,
        Err(other) => panic!("expected a ModelFormat error, got {other:?}"),
        Ok(_) => panic!("the document loaded"),
    }
}

#[test]
fn damaged_or_hostile_documents_are_clear_errors() {
    let document = persist::to_json(&small_model(Algorithm::GaussianMixture(
        CovarianceType::Diag,
    )))
    .unwrap();
    // Unknown fields, at the top and deep inside types of other modules.
    let top = edited(&document, |m| {
        m["surprise"] = Value::from(1);
    });
    assert!(load_error(&top).contains("surprise"));
    let deep = edited(&document, |m| {
        m["pipeline"]["fitted"][0]["numeric"]["extra"] = Value::from(true);
    });
    assert!(load_error(&deep).contains("extra"), "{}", load_error(&deep));
    let in_model = edited(&document, |m| {
        m["model"]["gaussian_mixture"]["comment"] = Value::from("hi");
    });
    assert!(load_error(&in_model).contains("comment"));
    // Names: count must be k, unique.
    let names = edited(&document, |m| {
        m["segment_names"] = serde_json::json!(["a"]);
    });
    assert!(load_error(&names).contains("segment names"));
    let twice = edited(&document, |m| {
        m["segment_names"] = serde_json::json!(["same", "same"]);
    });
    assert!(load_error(&twice).contains("used twice"));
    // Shapes that disagree.
    let labels = edited(&document, |m| {
        m["labels"][0] = Value::from(7);
    });
    assert!(load_error(&labels).contains("label 7"));
    let names_out = edited(&document, |m| {
        m["feature_names_out"] = serde_json::json!(["x"]);
    });
    assert!(load_error(&names_out).contains("feature_names_out"));
    // A huge declared size is refused before anything that size is allocated.
    let huge = edited(&document, |m| {
        m["model"]["gaussian_mixture"]["means"]["dim"] =
            serde_json::json!([1u64 << 40, 1u64 << 40]);
    });
    load_error(&huge);
    // Non-finite numbers cannot be written in JSON; a null where a number belongs is refused.
    let null = edited(&document, |m| {
        m["model"]["gaussian_mixture"]["weights"]["data"][0] = Value::Null;
    });
    load_error(&null);
    // A newer format version says so.
    let mut newer: Value = serde_json::from_str(&document).unwrap();
    newer["format_version"] = Value::from(99);
    assert!(load_error(&newer.to_string()).contains("upgrade"));
    // Another kind of model does not load as a Segmenter.
    let mut other: Value = serde_json::from_str(&document).unwrap();
    other["kind"] = Value::from("kmeans-f64");
    load_error(&other.to_string());
}

#[test]
fn eight_threads_predict_like_one() {
    let model = small_model(Algorithm::GaussianMixture(CovarianceType::Full));
    let table = small_table(200);
    let sequential = model.predict(&table, None).unwrap();
    let record: serde_json::Map<String, Value> =
        serde_json::from_str(r#"{"spend": 8000.0, "orders": 39.0, "kind": "plant"}"#).unwrap();
    let one = model.predict_record(&record).unwrap();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    (0..5)
                        .map(|_| {
                            (
                                model.predict(&table, None).unwrap(),
                                model.predict_record(&record).unwrap(),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            for (batch, single) in handle.join().unwrap() {
                assert_eq!(batch, sequential);
                assert_eq!(single, one);
            }
        }
    });
}

#[test]
fn the_csv_job_reads_names_and_fits() {
    let dir = std::env::temp_dir().join(format!("segcore-segment-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut customers = String::from("customer_id,annual_revenue_eur,industry\n");
    let mut transactions = String::from("customer_id,date,amount,margin,channel\n");
    for i in 0..60 {
        let big = i % 2 == 1;
        let revenue = if big { 5.0e7 } else { 8.0e5 } + i as f64;
        let industry = ["food", "auto", "chemicals"][i % 3];
        customers.push_str(&format!("K{i},{revenue},{industry}\n"));
        let orders = if big { 12 } else { 1 + i % 2 };
        for o in 0..orders {
            let amount = if big { 900.0 } else { 60.0 } + (o * 7 + i) as f64;
            let channel = if big { "EDI" } else { "web shop" };
            let month = 1 + (o + i) % 12;
            transactions.push_str(&format!(
                "K{i},2025-{month:02}-15,{amount},{},{channel}\n",
                amount * 0.2
            ));
        }
    }
    let customers_path = dir.join("customers.csv");
    let transactions_path = dir.join("transactions.csv");
    std::fs::write(&customers_path, customers).unwrap();
    std::fs::write(&transactions_path, transactions).unwrap();
    let params = SegmenterParams::new()
        .n_clusters(NClusters::Fixed(2))
        .min_group_size(5);
    let done = segment_csv(&customers_path, Some(&transactions_path), &params).unwrap();
    assert_eq!(done.customers.ids()[0], "K0");
    assert!(done.transactions.as_ref().unwrap().n_transactions() > 300);
    let labels = done.model.labels();
    assert!((0..60).all(|i| labels[i] == labels[i % 2]), "{labels:?}");
    assert!(done
        .model
        .feature_names_in()
        .iter()
        .any(|c| c == "frequency"));
    assert!(done
        .model
        .feature_names_in()
        .iter()
        .any(|c| c == "channel_share_EDI"));
    // Clear errors naming the file and line.
    std::fs::write(
        dir.join("bad.csv"),
        "customer_id,date,amount\nK1,2025-02-30,10\n",
    )
    .unwrap();
    let err = segment_csv(&customers_path, Some(dir.join("bad.csv")), &params).unwrap_err();
    assert!(
        err.to_string().contains("bad.csv, line 2, column `date`"),
        "{err}"
    );
    let missing = segment_csv(dir.join("nope.csv"), None::<&str>, &params).unwrap_err();
    assert!(matches!(missing, Error::Io { .. }), "{missing}");
    // A field far longer than any real one (17 MiB here; a gigabyte in a corrupt export) is an
    // error naming its line, in the header and in the rows, never a buffer of its size.
    let huge = "x".repeat(17 << 20);
    for (name, text) in [
        ("huge_header.csv", format!("customer_id,{huge}\nK1,1\n")),
        (
            "huge_field.csv",
            format!("customer_id,revenue\nK1,1\nK2,\"{huge}\"\n"),
        ),
    ] {
        std::fs::write(dir.join(name), text).unwrap();
        let err = segment_csv(dir.join(name), None::<&str>, &params).unwrap_err();
        assert!(err.to_string().contains("is longer than"), "{name}: {err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
