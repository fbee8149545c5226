//! `segcore._segcore` side of `segcore.dask` / `segcore.spark`: run a partition task on one
//! block, merge partial statistics, drive a distributed k-means fit, and build scaler / PCA
//! models from merged moments. Tasks and statistics travel as JSON documents (they are what
//! engines ship between processes); every number is computed by `segcore::partial`.

use crate::arrays::{non_negative, Matrix, Vector};
use crate::dispatch::weights_for;
use crate::errors::{run_detached, to_py_err};
use crate::features::DatesInput;
use numpy::{PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArrayDyn};
use pyo3::prelude::*;
use segcore::cluster::kmeans::{KMeansInit, KMeansParams};
use segcore::data::{dates_from_text, dates_from_units};
use segcore::partial::{last_date, GmmDriver, KMeansDriver, PartialStats, PartitionTask};
use segcore::persist;
use segcore::preprocessing::StandardScalerParams;
use segcore::reduce::{NComponents, PcaParams};
use std::sync::{Mutex, MutexGuard};

/// Runs the task `task` (JSON) on partition number `partition` (rows `x`, with their sample
/// weights `sample_weight` in the dtype of `x`, if any); returns the partial statistics as JSON.
#[pyfunction]
#[pyo3(signature = (task, x, partition, sample_weight=None))]
pub fn partition_task_run(
    py: Python<'_>,
    task: &str,
    x: Matrix<'_>,
    partition: usize,
    sample_weight: Option<Vector<'_>>,
) -> PyResult<String> {
    let task = PartitionTask::from_json(task).map_err(|e| to_py_err(py, e))?;
    match x {
        Matrix::Float64(a) => {
            let view = a.as_array();
            let w = weights_for::<f64>(sample_weight)?;
            let w = w.as_ref().map(|w| w.as_array());
            run_detached(py, || task.run_weighted(view, w, partition)?.to_json())
        }
        Matrix::Float32(a) => {
            let view = a.as_array();
            let w = weights_for::<f32>(sample_weight)?;
            let w = w.as_ref().map(|w| w.as_array());
            run_detached(py, || task.run_weighted(view, w, partition)?.to_json())
        }
    }
}

/// The last date (days since 1970-01-01) of one partition of a transaction log's date column,
/// as the binding sends dates (`(days or texts, units per day)`); None without a usable date
/// (`segcore::partial::last_date`).
#[pyfunction]
pub fn log_last_day(py: Python<'_>, dates: (DatesInput<'_>, i64)) -> PyResult<Option<i64>> {
    let (input, per_day) = dates;
    let read = match &input {
        DatesInput::Days(units) => {
            let view = units.as_array();
            let owned;
            let slice = match view.as_slice() {
                Some(s) => s,
                None => {
                    owned = view.to_vec();
                    &owned
                }
            };
            run_detached(py, || dates_from_units(slice, per_day))?
        }
        DatesInput::Text(texts) => run_detached(py, || Ok(dates_from_text(texts)))?,
    };
    Ok(last_date(&read).map(|d| i64::from(d.days_since_epoch())))
}

/// Merges partial statistics (JSON documents) left to right, in the order given.
#[pyfunction]
pub fn partial_merge(py: Python<'_>, parts: Vec<String>) -> PyResult<String> {
    run_detached(py, || {
        let parts = parts
            .iter()
            .map(|p| PartialStats::from_json(p))
            .collect::<segcore::Result<Vec<_>>>()?;
        PartialStats::merge_all(parts)?.to_json()
    })
}

/// Merges partial statistics tagged by partition index (`(partition, JSON document)` pairs, in
/// any order) in partition order (`PartialStats::merge_partitions`).
#[pyfunction]
pub fn partial_merge_partitions(py: Python<'_>, parts: Vec<(u64, String)>) -> PyResult<String> {
    run_detached(py, || {
        let parts = parts
            .iter()
            .map(|(partition, document)| Ok((*partition, PartialStats::from_json(document)?)))
            .collect::<segcore::Result<Vec<_>>>()?;
        PartialStats::merge_partitions(parts)?.to_json()
    })
}

fn moments_of(document: &str) -> segcore::Result<segcore::partial::CovarianceMoments> {
    match PartialStats::from_json(document)? {
        PartialStats::CovarianceMoments(m) => Ok(m),
        other => Err(segcore::Error::invalid_parameter(
            "partial statistics",
            other.kind(),
            "covariance_moments",
        )),
    }
}

/// A StandardScaler model document from merged `column_moments` statistics, with the rows and
/// the total sample weight they count (scikit-learn's `n_samples_seen_`, without and with
/// sample weights).
#[pyfunction]
pub fn scaler_from_moments(
    py: Python<'_>,
    stats: &str,
    with_mean: bool,
    with_std: bool,
    float32: bool,
) -> PyResult<(String, u64, f64)> {
    run_detached(py, || {
        let m = match PartialStats::from_json(stats)? {
            PartialStats::ColumnMoments(m) => m,
            PartialStats::CovarianceMoments(m) => m.columns(),
            other => {
                return Err(segcore::Error::invalid_parameter(
                    "partial statistics",
                    other.kind(),
                    "column_moments",
                ))
            }
        };
        let params = StandardScalerParams {
            with_mean,
            with_std,
        };
        let document = if float32 {
            persist::to_json(&params.fit_moments::<f32>(m.mean(), &m.variance())?)?
        } else {
            persist::to_json(&params.fit_moments::<f64>(m.mean(), &m.variance())?)?
        };
        Ok((document, m.count(), m.weight()))
    })
}

/// A PCA model document (covariance solver) from merged `covariance_moments` statistics
/// (weighted or not: the statistics carry their total weight).
#[pyfunction]
#[pyo3(signature = (stats, *, n_components, variance_fraction, whiten, float32))]
pub fn pca_from_moments(
    py: Python<'_>,
    stats: &str,
    n_components: Option<i64>,
    variance_fraction: Option<f64>,
    whiten: bool,
    float32: bool,
) -> PyResult<String> {
    run_detached(py, || {
        let m = moments_of(stats)?;
        let wanted = match (n_components, variance_fraction) {
            (Some(k), _) => NComponents::Count(non_negative("n_components", k)?),
            (None, Some(f)) => NComponents::VarianceFraction(f),
            (None, None) => NComponents::All,
        };
        let params = PcaParams::new(wanted).whiten(whiten).check()?;
        let (n, w) = (m.count() as usize, m.weight());
        let (mean, scatter) = (m.mean().view(), m.scatter().view());
        if float32 {
            persist::to_json(&params.fit_weighted_scatter::<f32>(n, w, mean, scatter)?)
        } else {
            persist::to_json(&params.fit_weighted_scatter::<f64>(n, w, mean, scatter)?)
        }
    })
}

/// The methods every distributed driver class shares (`next_task`, `receive`, `n_iter`,
/// `n_rows`, `model_json`), around the class's own constructor.
macro_rules! driver_pymethods {
    ($class:ident, $driver:ty, $what:literal, { $($constructor:tt)* }) => {
        impl $class {
            fn driver(&self) -> PyResult<MutexGuard<'_, $driver>> {
                locked(&self.inner, $what)
            }
        }

        #[pymethods]
        impl $class {
            $($constructor)*

            /// The next task as JSON, or None when the fit is done.
            fn next_task(&self, py: Python<'_>) -> PyResult<Option<String>> {
                let driver = self.driver()?;
                driver
                    .next_task()
                    .map(|t| t.to_json())
                    .transpose()
                    .map_err(|e| to_py_err(py, e))
            }

            /// Takes the statistics of the last task merged over all partitions (JSON).
            fn receive(&self, py: Python<'_>, stats: &str) -> PyResult<()> {
                let mut driver = self.driver()?;
                let result = PartialStats::from_json(stats).and_then(|s| driver.receive(s));
                result.map_err(|e| to_py_err(py, e))
            }

            /// Iterations so far.
            #[getter]
            fn n_iter(&self) -> PyResult<usize> {
                Ok(self.driver()?.n_iter())
            }

            /// Rows seen.
            #[getter]
            fn n_rows(&self) -> PyResult<u64> {
                Ok(self.driver()?.n_rows())
            }

            /// The fitted model as a segcore model document.
            fn model_json(&self, py: Python<'_>) -> PyResult<String> {
                let driver = self.driver()?;
                let document = if self.float32 {
                    driver.model::<f32>().and_then(|m| persist::to_json(&m))
                } else {
                    driver.model::<f64>().and_then(|m| persist::to_json(&m))
                };
                document.map_err(|e| to_py_err(py, e))
            }
        }
    };
}

/// The distributed k-means fit (`segcore::partial::KMeansDriver`): `next_task()` gives the JSON
/// task every partition runs (None when done), `receive(stats)` takes the merged statistics,
/// `model_json()` the fitted k-means model document.
#[pyclass(module = "segcore._segcore", name = "KMeansDriver", frozen)]
pub struct PyKMeansDriver {
    inner: Mutex<KMeansDriver>,
    float32: bool,
}

/// A driver's lock, or a `RuntimeError` when an earlier call panicked while holding it (its
/// state is then unknown, so the fit must start again).
fn locked<'a, T>(driver: &'a Mutex<T>, what: &str) -> PyResult<MutexGuard<'a, T>> {
    driver.lock().map_err(|_| {
        pyo3::exceptions::PyRuntimeError::new_err(format!(
            "the distributed {what} driver failed in an earlier call; start the fit again"
        ))
    })
}

driver_pymethods!(PyKMeansDriver, KMeansDriver, "k-means", {
    #[new]
    #[pyo3(signature = (*, n_clusters, init_centers, max_iter, tol, random_state, n_init, float32, oversampling_factor, init_rounds))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        n_clusters: i64,
        init_centers: Option<PyReadonlyArray2<'_, f64>>,
        max_iter: i64,
        tol: f64,
        random_state: u64,
        n_init: Option<i64>,
        float32: bool,
        oversampling_factor: Option<f64>,
        init_rounds: i64,
    ) -> PyResult<Self> {
        let driver = (|| {
            let k = non_negative("n_clusters", n_clusters)?;
            let init = match init_centers {
                Some(c) => KMeansInit::Centers(c.as_array().to_owned()),
                None => KMeansInit::KMeansPlusPlus,
            };
            let mut params = KMeansParams::new(k)
                .init(init)
                .max_iter(non_negative("max_iter", max_iter)?)
                .tol(tol)
                .random_state(random_state);
            if let Some(n) = n_init {
                params = params.n_init(non_negative("n_init", n)?);
            }
            let factor = oversampling_factor.unwrap_or(2.0 * k as f64);
            KMeansDriver::new(params.check()?, float32)?
                .with_parallel_init(factor, non_negative("init_rounds", init_rounds)?)
        })()
        .map_err(|e| to_py_err(py, e))?;
        Ok(PyKMeansDriver {
            inner: Mutex::new(driver),
            float32,
        })
    }
});

/// The distributed Gaussian-mixture fit (`segcore::partial::GmmDriver`), driven as
/// [`PyKMeansDriver`]; `model_json()` gives the fitted mixture's model document.
#[pyclass(module = "segcore._segcore", name = "GmmDriver", frozen)]
pub struct PyGmmDriver {
    inner: Mutex<GmmDriver>,
    float32: bool,
}

driver_pymethods!(PyGmmDriver, GmmDriver, "Gaussian-mixture", {
    #[new]
    #[pyo3(signature = (*, n_components, covariance_type, tol, reg_covar, max_iter, n_init, init_params, weights_init, means_init, precisions_init, random_state, float32))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        n_components: i64,
        covariance_type: &str,
        tol: f64,
        reg_covar: f64,
        max_iter: i64,
        n_init: i64,
        init_params: &str,
        weights_init: Option<PyReadonlyArray1<'_, f64>>,
        means_init: Option<PyReadonlyArray2<'_, f64>>,
        precisions_init: Option<PyReadonlyArrayDyn<'_, f64>>,
        random_state: u64,
        float32: bool,
    ) -> PyResult<Self> {
        let driver = crate::gmm::scikit_learn_params(
            n_components,
            covariance_type,
            tol,
            reg_covar,
            max_iter,
            n_init,
            init_params,
            random_state,
            (weights_init, means_init, precisions_init),
        )
        .and_then(|params| GmmDriver::new(params.check()?, float32))
        .map_err(|e| to_py_err(py, e))?;
        Ok(PyGmmDriver {
            inner: Mutex::new(driver),
            float32,
        })
    }
});
