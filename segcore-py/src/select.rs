//! `segcore.select_k`: evaluate a range of k and recommend one. The result crosses as a dict of
//! typed columns under the Python API's names (`select_result`); the Python layer turns its
//! table into a pandas DataFrame.

use crate::arrays::Matrix;
use crate::errors::IntoPyResult;
use crate::progress::PythonProgress;
use crate::with_input;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use segcore::select::{
    Criterion, GapReference, KEvaluation, SelectKParams, SelectKResult, SelectMethod,
};

/// A criterion's name in the Python API (`SelectKResult.votes`, the plot's panels).
fn criterion_name(criterion: Criterion) -> &'static str {
    match criterion {
        Criterion::Silhouette => "silhouette",
        Criterion::CalinskiHarabasz => "calinski_harabasz",
        Criterion::DaviesBouldin => "davies_bouldin",
        Criterion::Elbow => "elbow",
        Criterion::Gap => "gap",
        Criterion::Bic => "bic",
    }
}

/// A column of the table: the Python API's name and the figure of one k (`None` or non-finite:
/// missing).
type TableColumn = (&'static str, fn(&KEvaluation) -> Option<f64>);

/// The table's columns in display order under the Python API's names.
const TABLE_COLUMNS: [TableColumn; 12] = [
    ("inertia", |e| Some(e.inertia)),
    ("silhouette", |e| Some(e.silhouette)),
    ("silhouette_se", |e| e.silhouette_se),
    ("calinski_harabasz", |e| Some(e.calinski_harabasz)),
    ("calinski_harabasz_se", |e| e.calinski_harabasz_se),
    ("davies_bouldin", |e| Some(e.davies_bouldin)),
    ("davies_bouldin_se", |e| e.davies_bouldin_se),
    ("gap", |e| e.gap),
    ("gap_sd", |e| e.gap_spread),
    ("stability_ari_mean", |e| e.stability_mean),
    ("stability_ari_sd", |e| e.stability_sd),
    ("bic", |e| e.bic),
];

/// A `SelectKResult` as `segcore.SelectKResult` reads it: `k` and `table` (the columns of
/// `TABLE_COLUMNS` that have a value, missing values NaN, then `n_clusters_found`),
/// `recommended_k`, `reason`, `criteria_agree`, `votes` (`{criterion: k or None}`), `method`
/// (the `method=` name that selects it) and `sample` (`(rows, of)` or None).
pub(crate) fn select_result<'py>(
    py: Python<'py>,
    result: &SelectKResult,
) -> PyResult<Bound<'py, PyDict>> {
    let rows = &result.table;
    let table = PyDict::new(py);
    for (name, figure) in TABLE_COLUMNS {
        let values: Vec<Option<f64>> = rows
            .iter()
            .map(|e| figure(e).filter(|v| v.is_finite()))
            .collect();
        if values.iter().any(Option::is_some) {
            let values: Vec<f64> = values.iter().map(|v| v.unwrap_or(f64::NAN)).collect();
            table.set_item(name, values)?;
        }
    }
    let found: Vec<usize> = rows.iter().map(|e| e.n_clusters_found).collect();
    table.set_item("n_clusters_found", found)?;
    let votes = PyDict::new(py);
    for vote in &result.votes {
        votes.set_item(criterion_name(vote.criterion), vote.k)?;
    }
    let method = match result.method {
        SelectMethod::KMeans => "kmeans",
        SelectMethod::Ward => "ward",
        _ => "gmm",
    };
    let out = PyDict::new(py);
    out.set_item("k", rows.iter().map(|e| e.k).collect::<Vec<_>>())?;
    out.set_item("table", table)?;
    out.set_item("recommended_k", result.recommended_k)?;
    out.set_item("reason", &result.reason)?;
    out.set_item("criteria_agree", result.criteria_agree)?;
    out.set_item("votes", votes)?;
    out.set_item("method", method)?;
    out.set_item("sample", result.sample.map(|s| (s.rows, s.of)))?;
    Ok(out)
}

fn parse_reference(name: &str) -> segcore::Result<GapReference> {
    match name {
        "box" => Ok(GapReference::BoundingBox),
        "pca" => Ok(GapReference::PcaBox),
        other => Err(segcore::Error::invalid_parameter(
            "gap_reference",
            format!("'{other}'"),
            "'box' (bounding box of the columns) or 'pca' (box aligned with the principal components)",
        )),
    }
}

/// Evaluates every k and returns the result (`select_result`). `progress(done, total)` is
/// called (with the GIL re-acquired) after each clustering; an exception it raises is re-raised
/// once the run ends.
#[pyfunction]
#[pyo3(signature = (x, *, k_values, method, covariance_type, n_init, random_state, silhouette_sample_size, gap_references, gap_reference, stability_resamples, stability_fraction, sample_size=None, resample_n_init=None, gap_sample_size=None, max_sample_size=None, criteria_parts=1, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn select_k<'py>(
    py: Python<'py>,
    x: Matrix<'_>,
    k_values: Vec<usize>,
    method: &str,
    covariance_type: &str,
    n_init: Option<usize>,
    random_state: u64,
    silhouette_sample_size: Option<usize>,
    gap_references: usize,
    gap_reference: &str,
    stability_resamples: usize,
    stability_fraction: f64,
    sample_size: Option<usize>,
    resample_n_init: Option<usize>,
    gap_sample_size: Option<usize>,
    max_sample_size: Option<usize>,
    criteria_parts: usize,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let params = (|| {
        Ok::<_, segcore::Error>(
            SelectKParams::new(k_values)
                .method(SelectMethod::from_names(method, covariance_type, "method")?)
                .n_init(n_init)
                .random_state(random_state)
                .silhouette_sample_size(silhouette_sample_size)
                .gap_references(gap_references)
                .gap_reference(parse_reference(gap_reference)?)
                .stability_resamples(stability_resamples)
                .stability_fraction(stability_fraction)
                .sample_size(sample_size)
                .resample_n_init(resample_n_init)
                .gap_sample_size(gap_sample_size)
                .max_sample_size(max_sample_size)
                .criteria_parts(criteria_parts),
        )
    })()
    .into_py_result(py)?;
    let mut reporter = PythonProgress::new(progress);
    let result = with_input!(py, x, |view| params
        .fit_with_progress(view, |done, total| reporter.report((done, total))));
    let result = reporter.finish(result)?;
    select_result(py, &result)
}
