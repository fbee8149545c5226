//! `segcore.FeaturePipeline`'s fitted model: DataFrame columns in (numeric arrays borrowed,
//! categorical columns as factorized codes), the core's clustering matrix out.
//!
//! The pipeline works in f64 only: its inputs are mixed-type table columns, not one matrix.

use crate::arrays::{categorical_column, ColumnInput};
use crate::errors::{run_detached, to_py_err};
use crate::model_pymethods;
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray1};
use pyo3::prelude::*;
use segcore::data::CategoricalColumn;
use segcore::features::pipeline::{ColumnRef, FeatureInput, FeaturePipeline, PipelineSpec};

/// Converted columns: numeric ones still borrowed from numpy, categorical ones rebuilt.
enum Owned<'py> {
    Numeric(PyReadonlyArray1<'py, f64>),
    Categorical(CategoricalColumn),
}

fn convert(columns: Vec<(String, ColumnInput<'_>)>) -> segcore::Result<Vec<(String, Owned<'_>)>> {
    columns
        .into_iter()
        .map(|(name, column)| {
            let owned = match column {
                ColumnInput::Numeric(a) => Owned::Numeric(a),
                ColumnInput::Categorical(categories, codes) => {
                    Owned::Categorical(categorical_column(categories, &codes)?)
                }
            };
            Ok((name, owned))
        })
        .collect()
}

/// Runs `work` on the [`FeatureInput`] of the converted columns, with the GIL released.
fn with_input<T: Send>(
    py: Python<'_>,
    n_rows: usize,
    columns: Vec<(String, ColumnInput<'_>)>,
    work: impl Send + FnOnce(&FeatureInput<'_>) -> segcore::Result<T>,
) -> PyResult<T> {
    let owned = convert(columns).map_err(|e| to_py_err(py, e))?;
    let refs: Vec<(&str, ColumnRef<'_>)> = owned
        .iter()
        .map(|(name, column)| {
            let r = match column {
                Owned::Numeric(a) => ColumnRef::Numeric(a.as_array()),
                Owned::Categorical(c) => ColumnRef::Categorical(c),
            };
            (name.as_str(), r)
        })
        .collect();
    run_detached(py, move || {
        let mut input = FeatureInput::new(n_rows);
        for (name, column) in refs {
            input = input.with_column(name, column)?;
        }
        work(&input)
    })
}

/// A fitted feature pipeline (wrapped by `segcore.FeaturePipeline`).
#[pyclass(module = "segcore._segcore", name = "FeaturePipelineModel", frozen)]
pub struct PyFeaturePipelineModel {
    inner: FeaturePipeline,
}

model_pymethods!(PyFeaturePipelineModel {
    /// Fits the pipeline described by `spec_json` (a serialised `PipelineSpec`) on `columns`.
    #[staticmethod]
    fn fit(
        py: Python<'_>,
        spec_json: &str,
        n_rows: usize,
        columns: Vec<(String, ColumnInput<'_>)>,
    ) -> PyResult<Self> {
        let spec: PipelineSpec = serde_json::from_str(spec_json).map_err(|e| {
            to_py_err(
                py,
                segcore::Error::invalid_parameter("columns", e, "column specs as documented"),
            )
        })?;
        // No column specs: every input column, typed by its values (a plain numeric array).
        let inner = with_input(py, n_rows, columns, |input| {
            if spec.columns.is_empty() {
                input.spec_of_every_column(&spec)?.fit(input)
            } else {
                spec.fit(input)
            }
        })?;
        Ok(PyFeaturePipelineModel { inner })
    }

    /// The clustering matrix plus `(unknown_categories, imputed)` counts per source column.
    #[allow(clippy::type_complexity)]
    fn transform<'py>(
        &self,
        py: Python<'py>,
        n_rows: usize,
        columns: Vec<(String, ColumnInput<'py>)>,
    ) -> PyResult<(
        Bound<'py, PyArray2<f64>>,
        Vec<(String, usize)>,
        Vec<(String, usize)>,
    )> {
        let model = &self.inner;
        let (x, report) = with_input(py, n_rows, columns, |input| {
            model.transform_with_report(input)
        })?;
        Ok((
            x.into_pyarray(py),
            report.unknown_categories,
            report.imputed,
        ))
    }

    /// Output column names.
    #[getter]
    fn feature_names_out(&self) -> Vec<String> {
        self.inner
            .feature_names_out()
            .into_iter()
            .map(String::from)
            .collect()
    }

    /// Source column names of the spec, in spec order.
    #[getter]
    fn input_columns(&self) -> Vec<String> {
        self.inner
            .spec()
            .columns
            .iter()
            .map(|c| c.column.clone())
            .collect()
    }

    /// The fit report as JSON.
    #[getter]
    fn report_json(&self) -> PyResult<String> {
        serde_json::to_string(self.inner.report())
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))
    }

    /// The spec the pipeline was fitted from, as JSON.
    #[getter]
    fn spec_json(&self) -> PyResult<String> {
        serde_json::to_string(self.inner.spec())
            .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))
    }
});
