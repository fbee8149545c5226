//! A FeaturePipeline fitted and saved in Python (tests/fixtures/feature_pipeline_v1.json, written
//! by segcore-py/tests/make_pipeline_fixture.py) loads in Rust and gives the same features bit
//! for bit; fitting the same spec on the same data in Rust writes the same document.

use segcore::data::CategoricalColumn;
use segcore::features::pipeline::{ColumnRef, FeatureInput, FeaturePipeline, PipelineSpec};
use serde_json::Value;
use std::collections::BTreeMap;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/feature_pipeline_v1.json"
);

struct Columns {
    numeric: BTreeMap<String, Vec<f64>>,
    categorical: BTreeMap<String, CategoricalColumn>,
    n_rows: usize,
}

fn columns(value: &Value) -> Columns {
    let numeric: BTreeMap<String, Vec<f64>> = value["numeric"]
        .as_object()
        .expect("numeric columns")
        .iter()
        .map(|(name, values)| {
            let values = values
                .as_array()
                .expect("a list")
                .iter()
                .map(|v| v.as_f64().unwrap_or(f64::NAN)) // null = missing
                .collect();
            (name.clone(), values)
        })
        .collect();
    let categorical: BTreeMap<String, CategoricalColumn> = value["categorical"]
        .as_object()
        .expect("categorical columns")
        .iter()
        .map(|(name, values)| {
            let values: Vec<Option<&str>> = values
                .as_array()
                .expect("a list")
                .iter()
                .map(|v| v.as_str())
                .collect();
            (name.clone(), CategoricalColumn::from_values(&values))
        })
        .collect();
    let n_rows = numeric.values().next().expect("a numeric column").len();
    Columns {
        numeric,
        categorical,
        n_rows,
    }
}

fn input(columns: &Columns) -> FeatureInput<'_> {
    let mut input = FeatureInput::new(columns.n_rows);
    for (name, values) in &columns.numeric {
        input = input
            .with_column(name, ColumnRef::Numeric(ndarray::ArrayView1::from(values)))
            .unwrap();
    }
    for (name, values) in &columns.categorical {
        input = input
            .with_column(name, ColumnRef::Categorical(values))
            .unwrap();
    }
    input
}

fn matrix(value: &Value) -> Vec<Vec<f64>> {
    serde_json::from_value(value.clone()).expect("a list of rows")
}

#[test]
fn python_saved_pipeline_gives_identical_features_in_rust() {
    let text = std::fs::read_to_string(FIXTURE).expect("fixture is committed with the tests");
    let document: Value = serde_json::from_str(&text).unwrap();
    let pipeline = FeaturePipeline::from_json(&document["pipeline"].to_string()).unwrap();
    let names: Vec<String> = serde_json::from_value(document["feature_names_out"].clone()).unwrap();
    assert_eq!(pipeline.feature_names_out(), names);

    for (input_key, expected_key) in [("input", "expected"), ("predict_input", "expected_predict")]
    {
        let cols = columns(&document[input_key]);
        let got = pipeline.transform(&input(&cols)).unwrap();
        let expected = matrix(&document[expected_key]);
        assert_eq!(got.nrows(), expected.len());
        for (row, expected_row) in got.rows().into_iter().zip(&expected) {
            // Bit for bit: the same statistics applied by the same code.
            assert_eq!(row.to_vec(), *expected_row, "{input_key}");
        }
    }

    // Fitting the saved spec on the same data in Rust writes the same document.
    let spec: PipelineSpec = serde_json::from_value(document["pipeline"]["spec"].clone()).unwrap();
    let cols = columns(&document["input"]);
    let refit = spec.fit(&input(&cols)).unwrap();
    let refit: Value = serde_json::from_str(&refit.to_json().unwrap()).unwrap();
    // The fixture predates the shared envelope: its pipeline carries the former header fields,
    // the refit one sits in the envelope's `model`. The statistics must be the same.
    let mut saved = document["pipeline"].clone();
    let header = saved.as_object_mut().unwrap();
    assert_eq!(
        header.remove("format"),
        Some(Value::from("segcore.FeaturePipeline"))
    );
    assert_eq!(header.remove("format_version"), Some(Value::from(1)));
    assert_eq!(refit["kind"], Value::from("feature-pipeline"));
    assert_eq!(refit["model"], saved);
}
