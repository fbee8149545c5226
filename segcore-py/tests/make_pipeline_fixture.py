"""Writes tests/fixtures/feature_pipeline_v1.json: a FeaturePipeline fitted in Python, its inputs
and its outputs. tests/pipeline_json.rs loads it in Rust and must reproduce the outputs bit for
bit; test_pipeline.py checks the committed file is still what Python writes.

Run from the repository root:  python segcore-py/tests/make_pipeline_fixture.py
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

import segcore

OUT = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "feature_pipeline_v1.json"

PARAMS = {
    "columns": [
        {"column": "annual_revenue_eur", "log1p": True, "winsorize": [0.05, 0.95], "impute": "median",
         "missing_indicator": True, "group": "size"},
        {"column": "employees", "scaling": "robust", "impute": "most_frequent", "group": "size"},
        {"column": "orders", "impute": "constant", "fill_value": 0.0},
        {"column": "industry", "encoding": "one_hot", "min_frequency": 4, "group": "industry"},
        {"column": "size_class", "encoding": "ordinal", "order": ["S", "M", "L", "XL"], "impute": "median"},
        {"column": "country_code", "scaling": "none"},
    ],
    "groups": {"size": 2.0, "industry": 1.0},
    "constant_columns": "drop",
}


def frames():
    rng = np.random.default_rng(2026)
    n = 30
    revenue = np.round(rng.lognormal(14, 1.2, n), 2)
    revenue[[3, 17]] = np.nan
    employees = rng.integers(1, 400, n).astype(float)
    employees[[5, 6]] = [12.0, 12.0]
    orders = rng.poisson(4, n).astype(float)
    orders[9] = np.nan
    industry = rng.choice(["food", "auto", "pharma", "retail", "mining"], n, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    industry = industry.astype(object)
    industry[[0, 11, 22]] = None
    size = rng.choice(["S", "M", "L", "XL"], n).astype(object)
    size[4] = None
    fit_frame = pd.DataFrame({
        "annual_revenue_eur": revenue, "employees": employees, "orders": orders,
        "industry": industry, "size_class": size, "country_code": np.full(n, 49.0),
    })
    predict = pd.DataFrame({
        "annual_revenue_eur": [1e9, np.nan, 5e5, 0.0],
        "employees": [3.0, 12.0, 1e5, np.nan],
        "orders": [np.nan, 1.0, 2.0, 300.0],
        "industry": ["biotech", None, "mining", "food"],
        "size_class": ["XXL", "S", None, "L"],
        "country_code": [33.0, 49.0, 1.0, 49.0],
    })
    return fit_frame, predict


def columns_json(frame):
    numeric = {c: [None if math.isnan(v) else float(v) for v in frame[c]]
               for c in frame.columns if frame[c].dtype.kind == "f"}
    categorical = {c: [None if pd.isna(v) else str(v) for v in frame[c]]
                   for c in frame.columns if frame[c].dtype.kind != "f"}
    return {"numeric": numeric, "categorical": categorical}


def main() -> None:
    fit_frame, predict = frames()
    pipe = segcore.FeaturePipeline(**PARAMS).fit(fit_frame)
    document = {
        "params": PARAMS,
        "input": columns_json(fit_frame),
        "pipeline": json.loads(pipe.to_json()),
        "feature_names_out": list(pipe.get_feature_names_out()),
        "expected": pipe.transform(fit_frame).tolist(),
        "predict_input": columns_json(predict),
        "expected_predict": pipe.transform(predict).tolist(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(document, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
