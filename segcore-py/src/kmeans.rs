//! The fitted models behind `segcore.KMeans` and `segcore.MiniBatchKMeans` (the Rust side of the
//! scikit-learn-style Python classes), and `align_labels`.

use crate::arrays::{non_negative, optional_count, Matrix, Vector};
use crate::dispatch::ByDtype;
use crate::errors::{run_detached, IntoPyResult};
use crate::{
    array_out, by_dtype, fit_by_dtype, labels_out, map_matching_input, model_pymethods,
    with_matching_input,
};
use numpy::{IntoPyArray, PyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use segcore::cluster::kmeans::{
    align_labels as core_align_labels, KMeans, KMeansAlgorithm, KMeansInit, KMeansParams,
    MiniBatchKMeans, MiniBatchKMeansParams,
};

type FittedKMeans = ByDtype<KMeans<f64>, KMeans<f32>>;

/// A fitted k-means model (wrapped by `segcore.KMeans`).
#[pyclass(module = "segcore._segcore", name = "KMeansModel", frozen)]
pub struct PyKMeansModel {
    inner: FittedKMeans,
}

/// The core's init from the API's name, or the explicit centers when given.
fn parse_init(
    name: &str,
    centers: Option<PyReadonlyArray2<'_, f64>>,
) -> segcore::Result<KMeansInit> {
    match centers {
        Some(c) => Ok(KMeansInit::Centers(c.as_array().to_owned())),
        None => KMeansInit::from_name(name),
    }
}

/// The pymethods of a k-means model pyclass: what `KMeansModel` and `MiniBatchKMeansModel` share
/// (the same core API), then the class's own methods and values.
macro_rules! kmeans_pymethods {
    ($class:ident { $($methods:tt)* } values |$m:ident| { $($values:tt)* }) => {
        model_pymethods!(dtype $class {
            /// Index of the nearest center for each row of `x`.
            fn predict<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyArray1<i32>>> {
                labels_out!(py, &self.inner, x, i32, |m, view| m.predict(view))
            }

            /// Euclidean distances of each row of `x` to every center.
            fn transform<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyAny>> {
                array_out!(py, &self.inner, x, |m, view| m.transform(view))
            }

            /// Negative (weighted) inertia of `x` against the fitted centers.
            #[pyo3(signature = (x, sample_weight=None))]
            fn score(&self, py: Python<'_>, x: Matrix<'_>, sample_weight: Option<Vector<'_>>) -> PyResult<f64> {
                with_matching_input!(&self.inner, x, sample_weight, |m, view, w| {
                    run_detached(py, || m.score(view, w)).map(f64::from)
                })
            }

            $($methods)*
        } arrays |m| {
            /// Fitted centers, shape (n_clusters, n_features), in the input dtype.
            cluster_centers = m.cluster_centers();
        } values |$m| {
            /// (Weighted) inertia of the training rows (fit) or of the last batch (partial_fit).
            inertia: f64 = f64::from($m.inertia());
            /// Lloyd iterations of the best initialisation, or passes over the data (mini-batch).
            n_iter: usize = $m.n_iter();
            /// Warnings raised during fit (re-emitted by Python as `ConvergenceWarning`).
            warnings: Vec<String> = $m.warnings().to_vec();
            /// Number of features seen at fit.
            n_features: usize = $m.n_features();
            $($values)*
        });
    };
}

kmeans_pymethods!(PyKMeansModel {
    /// Fits k-means; parameters are validated by the core before any work.
    #[staticmethod]
    #[pyo3(signature = (x, sample_weight, *, n_clusters, init, init_centers, n_init, max_iter, tol, random_state, algorithm))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        x: Matrix<'_>,
        sample_weight: Option<Vector<'_>>,
        n_clusters: i64,
        init: &str,
        init_centers: Option<PyReadonlyArray2<'_, f64>>,
        n_init: Option<i64>,
        max_iter: i64,
        tol: f64,
        random_state: u64,
        algorithm: &str,
    ) -> PyResult<Self> {
        let params = (|| {
            Ok::<_, segcore::Error>(
                KMeansParams::new(non_negative("n_clusters", n_clusters)?)
                    .init(parse_init(init, init_centers)?)
                    .n_init(n_init.map(|n| non_negative("n_init", n)).transpose()?)
                    .max_iter(non_negative("max_iter", max_iter)?)
                    .tol(tol)
                    .random_state(random_state)
                    .algorithm(KMeansAlgorithm::from_name(algorithm)?),
            )
        })()
        .into_py_result(py)?;
        let inner = fit_by_dtype!(py, x, sample_weight, |view, weights| params
            .fit(view, weights))?;
        Ok(PyKMeansModel { inner })
    }

    /// Training labels.
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i32>> {
        by_dtype!(&self.inner, m => m.labels().mapv(|l| l as i32).into_pyarray(py))
    }

    /// This model with labels renumbered to match `previous_centers` (same k and features,
    /// float64) by optimal matching of centers.
    fn aligned_to(&self, py: Python<'_>, previous_centers: PyReadonlyArray2<'_, f64>) -> PyResult<Self> {
        let previous = previous_centers.as_array();
        let inner = match &self.inner {
            ByDtype::Float64(m) => ByDtype::Float64(run_detached(py, || m.aligned_to(previous))?),
            ByDtype::Float32(m) => {
                let previous = previous.mapv(|v| v as f32);
                ByDtype::Float32(run_detached(py, || m.aligned_to(previous.view()))?)
            }
        };
        Ok(PyKMeansModel { inner })
    }
} values |m| {
    /// Whether the best run converged within `tol` before `max_iter`.
    converged: bool = m.converged();
});

/// Label mapping that aligns `new_centers` to `previous_centers`: `mapping[j]` is the label new
/// cluster `j` should take (Hungarian matching on squared center distances).
#[pyfunction]
pub fn align_labels<'py>(
    py: Python<'py>,
    previous_centers: PyReadonlyArray2<'py, f64>,
    new_centers: PyReadonlyArray2<'py, f64>,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let (previous, new) = (previous_centers.as_array(), new_centers.as_array());
    let mapping = run_detached(py, || core_align_labels(previous, new))?;
    Ok(mapping
        .into_iter()
        .map(|l| l as i64)
        .collect::<Vec<_>>()
        .into_pyarray(py))
}

type FittedMiniBatch = ByDtype<MiniBatchKMeans<f64>, MiniBatchKMeans<f32>>;

/// A fitted mini-batch k-means model (wrapped by `segcore.MiniBatchKMeans`). Immutable:
/// `partial_fit` returns the updated model.
#[pyclass(module = "segcore._segcore", name = "MiniBatchKMeansModel", frozen)]
pub struct PyMiniBatchKMeansModel {
    inner: FittedMiniBatch,
}

kmeans_pymethods!(PyMiniBatchKMeansModel {
    /// Fits by mini-batches (`start_stream=False`) or starts a stream with the first
    /// `partial_fit` batch (`start_stream=True`); parameters are validated by the core first.
    #[staticmethod]
    #[pyo3(signature = (x, sample_weight, *, n_clusters, init, init_centers, n_init, max_iter, batch_size, tol, max_no_improvement, init_size, reassignment_ratio, random_state, compute_labels, start_stream))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        x: Matrix<'_>,
        sample_weight: Option<Vector<'_>>,
        n_clusters: i64,
        init: &str,
        init_centers: Option<PyReadonlyArray2<'_, f64>>,
        n_init: Option<i64>,
        max_iter: i64,
        batch_size: i64,
        tol: f64,
        max_no_improvement: Option<i64>,
        init_size: Option<i64>,
        reassignment_ratio: f64,
        random_state: u64,
        compute_labels: bool,
        start_stream: bool,
    ) -> PyResult<Self> {
        let params = (|| {
            MiniBatchKMeansParams::new(non_negative("n_clusters", n_clusters)?)
                .init(parse_init(init, init_centers)?)
                .n_init(n_init.map(|n| non_negative("n_init", n)).transpose()?)
                .max_iter(non_negative("max_iter", max_iter)?)
                .batch_size(non_negative("batch_size", batch_size)?)
                .tol(tol)
                .max_no_improvement(optional_count("max_no_improvement", max_no_improvement)?)
                .init_size(optional_count("init_size", init_size)?)
                .reassignment_ratio(reassignment_ratio)
                .random_state(random_state)
                .compute_labels(compute_labels)
                .check()
        })()
        .into_py_result(py)?;
        let inner = fit_by_dtype!(py, x, sample_weight, |view, weights| if start_stream {
            params.partial_fit(view, weights)
        } else {
            params.fit(view, weights)
        })?;
        Ok(PyMiniBatchKMeansModel { inner })
    }

    /// The model updated with one more batch (one mini-batch step on all rows of `x`).
    #[pyo3(signature = (x, sample_weight=None))]
    fn partial_fit(&self, py: Python<'_>, x: Matrix<'_>, sample_weight: Option<Vector<'_>>) -> PyResult<Self> {
        let inner = map_matching_input!(&self.inner, x, sample_weight, |m, view, w| {
            let mut next = m.clone();
            run_detached(py, || next.partial_fit(view, w)).map(|_| next)
        })?;
        Ok(PyMiniBatchKMeansModel { inner })
    }

    /// Labels of the training rows (fit) or of the last batch (partial_fit); None if not computed.
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<i32>>> {
        by_dtype!(&self.inner, m => m.labels().map(|l| l.mapv(|v| v as i32).into_pyarray(py)))
    }

    /// Accumulated weight per center.
    #[getter]
    fn counts<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        by_dtype!(&self.inner, m => m.counts().to_vec().into_pyarray(py).into_any())
    }
} values |m| {
    /// Mini-batch steps run so far.
    n_steps: usize = m.n_steps();
});
