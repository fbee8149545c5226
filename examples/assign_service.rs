//! A minimal assignment service: loads a saved segcore model and assigns customers read as JSON
//! lines on stdin, writing one JSON line per input line to stdout.
//!
//! ```sh
//! cargo run --release --example assign_service -- target/segment_b2b/segmenter.json < customers.jsonl
//! ```
//!
//! With a saved **Segmenter** (the main job's model), an input line is one customer as the
//! columns of the model's input table, plus an optional `id` echoed back:
//! `{"id": "C-1001", "industry": "food", "annual_revenue_eur": 2.1e6, "recency_days": 12, ...}`
//! (numbers or `null` for numeric columns, strings or `null` for categorical ones; the model's
//! `feature_names_in` lists them). Output: `{"id": "C-1001", "segment": 3, "name": "Volume
//! customers"}`, plus `"probabilities": [...]` and `"uncertainty"` (1 - the largest
//! probability) for Gaussian mixtures; a customer far beyond the training customers on some
//! feature (the extreme rule of fit) keeps its segment and gets `"extreme"` (which feature, how
//! far); a customer the model cannot assign gets `"segment": null` and the `"reason"`.
//!
//! Every model is loaded one way, `serve::AnyModel::load`, and assigned one way,
//! `AnyModel::predict_record`. With any other saved clustering model (k-means, mini-batch
//! k-means, Ward, Gaussian mixture), a line is `{"id": ..., "features": [0.3, -1.2, ...]}` in the
//! model's feature order and the output `{"id": ..., "segment": 3}`.
//!
//! A line that cannot be read gives `{"id": ..., "line": 7, "error": "..."}`: every input line
//! gets exactly one output line, in order, so no customer is silently dropped. Models saved from
//! Rust (`segcore::persist::save`) and from Python (pickling stores the same document) both work.
//!
//! Without a model path, the example fits the one-liner Segmenter on the synthetic B2B generator,
//! saves it to a temporary file, reloads it and assigns three customers, to show the round trip.

use segcore::data::{ColumnData, CustomerTable};
use segcore::persist;
use segcore::segmenter::SegmenterParams;
use segcore::serve::AnyModel;
use serde_json::{json, Map, Value};
use std::io::{BufRead, BufWriter, Write};

/// What the service says about a loaded model on start.
fn describe(model: &AnyModel) -> String {
    match model.as_segmenter() {
        Some(m) => format!(
            "Segmenter with {} segments ({}), reads {}",
            m.n_segments(),
            m.segment_names().join(", "),
            m.feature_names_in().join(", ")
        ),
        None => format!(
            "{} segments, {} features",
            model.n_segments(),
            model.n_features()
        ),
    }
}

/// The output line for one input line (1-based `line_number` for error messages).
fn assign_line(model: &AnyModel, line: &str, line_number: usize) -> Value {
    let parsed: Map<String, Value> = match serde_json::from_str(line) {
        Ok(value) => value,
        Err(e) => {
            return json!({"id": null, "line": line_number,
                          "error": format!("not a JSON object: {e}")})
        }
    };
    let id = parsed.get("id").cloned().unwrap_or(Value::Null);
    // One call for every kind of model: a Segmenter reads the raw columns, the others "features".
    match model.predict_record(&parsed) {
        Ok(a) => {
            let mut out = json!({"id": id, "segment": a.segment});
            // A Segmenter always answers with a name (null when unassigned); plain models have none.
            if model.as_segmenter().is_some() {
                out["name"] = json!(a.name);
            }
            if let Some(p) = a.probabilities {
                out["probabilities"] = json!(p);
            }
            if let Some(u) = a.uncertainty {
                out["uncertainty"] = json!(u);
            }
            if let Some(reason) = a.reason {
                out["reason"] = json!(reason);
            }
            // A customer beyond the extreme rule of fit: still assigned, and flagged.
            if let Some(extreme) = a.extreme {
                out["extreme"] = json!(extreme);
            }
            out
        }
        Err(e) => json!({"id": id, "line": line_number, "error": e.to_string()}),
    }
}

fn serve(model: &AnyModel, input: impl BufRead, output: impl Write) -> std::io::Result<()> {
    let mut out = BufWriter::new(output);
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        serde_json::to_writer(&mut out, &assign_line(model, &line, i + 1))?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Customer `row` of `table` as a JSON record of the named columns.
fn record(table: &CustomerTable, row: usize, columns: &[String]) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(table.ids()[row]));
    for column in table.columns() {
        if !columns.contains(&column.name) {
            continue;
        }
        let value = match &column.data {
            ColumnData::Numeric(v) => {
                serde_json::Number::from_f64(v[row]).map_or(Value::Null, Value::Number)
            }
            ColumnData::Categorical(c) => c.get(row).map_or(Value::Null, |s| json!(s)),
        };
        map.insert(column.name.clone(), value);
    }
    Value::Object(map)
}

fn demo() -> Result<(), Box<dyn std::error::Error>> {
    use segcore::datasets::{make_b2b, B2bParams};
    use segcore::features::behaviour::{behaviour_features, BehaviourParams};

    let data = make_b2b(&B2bParams {
        n_customers: 1_000,
        ..B2bParams::default()
    })?;
    let model = SegmenterParams::new().fit(&data.customers, Some(&data.transactions))?;
    let path = std::env::temp_dir().join(format!("segcore-demo-{}.json", std::process::id()));
    persist::save(&model, &path)?;
    let service = AnyModel::load(&path)?;
    std::fs::remove_file(&path)?;
    // The records a CRM would send: firmographics plus the behaviour columns of the data mart.
    let mut table = data.customers.clone();
    behaviour_features(
        &data.customers,
        &data.transactions,
        &BehaviourParams::default(),
    )?
    .add_to_table(&mut table)?;
    let mut unknown_region = record(&table, 2, model.feature_names_in());
    unknown_region["region"] = json!("Atlantis");
    let input = format!(
        "{}\n{}\n{unknown_region}\nnot json\n{{\"id\": \"short\", \"industry\": \"food\"}}\n",
        record(&table, 0, model.feature_names_in()),
        record(&table, 1, model.feature_names_in()),
    );
    eprintln!("demo: {} saved, reloaded, assigning:", describe(&service));
    serve(&service, input.as_bytes(), std::io::stdout())?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match std::env::args().nth(1) {
        Some(path) => {
            let service = AnyModel::load(&path)?;
            eprintln!("loaded {path}: {}", describe(&service));
            serve(&service, std::io::stdin().lock(), std::io::stdout())?;
            Ok(())
        }
        None => demo(),
    }
}
