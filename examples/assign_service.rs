//! A minimal assignment service: loads a saved segcore model and assigns customers read as JSON
//! lines on stdin, writing one JSON line per input line to stdout.
//!
//! ```sh
//! cargo run --release --example assign_service -- model.json < customers.jsonl > segments.jsonl
//! ```
//!
//! Input lines: `{"id": "C-1001", "features": [0.3, -1.2, ...]}` (the model's feature order; `id`
//! may be any JSON value and is echoed back). Output lines: `{"id": "C-1001", "segment": 3}`, or
//! `{"id": ..., "line": 7, "error": "..."}` for a line that cannot be assigned: every input line
//! gets exactly one output line, in order, so no customer is silently dropped. Any model saved
//! by segcore that assigns customers works (k-means, mini-batch k-means, Ward, Gaussian mixture),
//! whether it was saved from Rust (`segcore::persist::save`) or from Python (the document
//! `model._model.to_json()` returns, which is also what pickling stores).
//!
//! Without a model path, the example fits a small k-means on the synthetic B2B generator, saves
//! it to a temporary file and assigns three customers, to show the round trip.

use segcore::persist::AnyModel;
use serde_json::{json, Value};
use std::io::{BufRead, BufWriter, Write};

/// The output line for one input line (1-based `line_number` for error messages).
fn assign_line(model: &AnyModel, line: &str, line_number: usize) -> Value {
    let parsed: Value = match serde_json::from_str(line) {
        Ok(value) => value,
        Err(e) => {
            return json!({"id": null, "line": line_number, "error": format!("not JSON: {e}")})
        }
    };
    let id = parsed.get("id").cloned().unwrap_or(Value::Null);
    let features: Option<Vec<f64>> = parsed
        .get("features")
        .and_then(Value::as_array)
        .and_then(|values| values.iter().map(Value::as_f64).collect());
    let Some(features) = features else {
        return json!({"id": id, "line": line_number,
                      "error": "expected \"features\": an array of numbers"});
    };
    match model.predict_one(&features) {
        Ok(segment) => json!({"id": id, "segment": segment}),
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

fn demo() -> Result<(), Box<dyn std::error::Error>> {
    use segcore::cluster::kmeans::KMeansParams;
    use segcore::datasets::{make_b2b, B2bParams};
    use segcore::features::segmentation::segmentation_features;

    let data = make_b2b(&B2bParams {
        n_customers: 500,
        ..B2bParams::default()
    })?;
    let features = segmentation_features(&data.customers, &data.transactions)?;
    let model = KMeansParams::new(5)
        .random_state(0)
        .fit(features.model_input.view(), None)?;
    let path = std::env::temp_dir().join(format!("segcore-demo-{}.json", std::process::id()));
    segcore::persist::save(&model, &path)?;
    let loaded = AnyModel::load(&path)?;
    std::fs::remove_file(&path)?;
    let rows = features.model_input;
    let input = format!(
        "{}\n{}\nnot json\n{{\"id\": \"short\", \"features\": [1.0]}}\n",
        json!({"id": data.customers.ids()[0], "features": rows.row(0).to_vec()}),
        json!({"id": data.customers.ids()[1], "features": rows.row(1).to_vec()}),
    );
    eprintln!(
        "demo: k-means with {} segments saved, reloaded, assigning:",
        loaded.n_segments()
    );
    serve(&loaded, input.as_bytes(), std::io::stdout())?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    match std::env::args().nth(1) {
        Some(path) => {
            let model = AnyModel::load(&path)?;
            eprintln!(
                "loaded {path}: {} segments, {} features",
                model.n_segments(),
                model.n_features()
            );
            serve(&model, std::io::stdin().lock(), std::io::stdout())?;
            Ok(())
        }
        None => demo(),
    }
}
