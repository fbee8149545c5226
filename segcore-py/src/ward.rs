//! `segcore.Ward`'s fitted model and `segcore.ward_linkage`.
//!
//! The core's Ward model keeps centroids in f64 whatever the input dtype, so there is one model
//! type here (no dtype dispatch): float32 input is read as float32 and widened per value.

use crate::arrays::{non_negative, optional_count, Matrix, Vector};
use crate::errors::{run_detached, IntoPyResult};
use crate::progress::PythonProgress;
use crate::{model_pymethods, with_input};
use numpy::{IntoPyArray, PyArray1, PyArray2};
use pyo3::prelude::*;
use segcore::cluster::ward::{ward_linkage_with_progress, Ward, WardParams};

/// A fitted Ward segmentation (wrapped by `segcore.Ward`).
#[pyclass(module = "segcore._segcore", name = "WardModel", frozen)]
pub struct PyWardModel {
    inner: Ward,
}

model_pymethods!(PyWardModel {
    /// Builds the Ward tree of `x` and cuts it (parameters are validated by the core first).
    #[staticmethod]
    #[pyo3(signature = (x, sample_weight, *, n_clusters, distance_threshold, micro_clusters, micro_max_iter, random_state, progress=None))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        x: Matrix<'_>,
        sample_weight: Option<Vector<'_>>,
        n_clusters: Option<i64>,
        distance_threshold: Option<f64>,
        micro_clusters: Option<i64>,
        micro_max_iter: i64,
        random_state: u64,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let params = (|| {
            let max_iter = non_negative("micro_max_iter", micro_max_iter)?;
            Ok::<_, segcore::Error>(WardParams {
                n_clusters: optional_count("n_clusters", n_clusters)?,
                distance_threshold,
                micro_clusters: optional_count("micro_clusters", micro_clusters)?,
                micro_max_iterations: max_iter as u64,
                random_state,
            })
        })()
        .into_py_result(py)?;
        let mut reporter = PythonProgress::new(progress);
        let result = with_input!(py, x, sample_weight, |view, w| params.check().and_then(
            |valid| valid
                .fit_with_progress(view, w, &mut |done, total| { reporter.report((done, total)) })
        ));
        let inner = reporter.finish(result)?;
        Ok(PyWardModel { inner })
    }

    /// Nearest segment centroid for each row of `x`.
    fn predict<'py>(&self, py: Python<'py>, x: Matrix<'py>) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let labels = with_input!(py, x, |view| self.inner.predict(view))?;
        Ok(labels.mapv(|l| l as i64).into_pyarray(py))
    }

    /// The same tree cut into `n_clusters` segments (no refit).
    fn recut_n_clusters(&self, py: Python<'_>, n_clusters: i64) -> PyResult<Self> {
        let model = &self.inner;
        let inner = run_detached(py, || {
            model.recut_n_clusters(non_negative("n_clusters", n_clusters)?)
        })?;
        Ok(PyWardModel { inner })
    }

    /// The same tree cut at `distance_threshold` (no refit).
    fn recut_height(&self, py: Python<'_>, distance_threshold: f64) -> PyResult<Self> {
        let model = &self.inner;
        let inner = run_detached(py, || model.recut_height(distance_threshold))?;
        Ok(PyWardModel { inner })
    }

    /// Segment `label` split into `n_sub_segments` along the tree; other segments unchanged.
    fn split_segment(&self, py: Python<'_>, label: i64, n_sub_segments: i64) -> PyResult<Self> {
        let model = &self.inner;
        let inner = run_detached(py, || {
            model.split_segment(
                non_negative("label", label)?,
                non_negative("n_sub_segments", n_sub_segments)?,
            )
        })?;
        Ok(PyWardModel { inner })
    }

    /// `(heights, n_clusters)`: the number of segments a cut just above each distinct merge
    /// height gives, ascending in height.
    fn n_clusters_by_height<'py>(
        &self,
        py: Python<'py>,
    ) -> (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<i64>>) {
        let steps = self.inner.linkage().n_clusters_by_height();
        let heights: Vec<f64> = steps.iter().map(|s| s.height).collect();
        let counts: Vec<i64> = steps.iter().map(|s| s.n_clusters as i64).collect();
        (heights.into_pyarray(py), counts.into_pyarray(py))
    }

    /// Training labels.
    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        self.inner.labels().mapv(|l| l as i64).into_pyarray(py)
    }

    /// The merge tree in scipy's linkage format, shape (n_leaves - 1, 4).
    #[getter]
    fn linkage<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.inner
            .linkage()
            .as_scipy_matrix()
            .to_owned()
            .into_pyarray(py)
    }

    /// Number of segments of the current cut.
    #[getter]
    fn n_clusters(&self) -> usize {
        self.inner.n_clusters()
    }

    /// Leaves of the tree: rows, or micro-clusters in the two-stage mode.
    #[getter]
    fn n_leaves(&self) -> usize {
        self.inner.linkage().n_leaves()
    }

    /// Number of features seen at fit.
    #[getter]
    fn n_features(&self) -> usize {
        self.inner.n_features()
    }

    /// Segment centroids, shape (n_clusters, n_features), float64.
    #[getter]
    fn centroids<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.inner.centroids().to_owned().into_pyarray(py)
    }

    /// Weight (row count, or sample-weight sum) of every segment.
    #[getter]
    fn segment_weights<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.segment_weights().into_pyarray(py)
    }

    /// Two-stage mode: the micro-cluster of every training row; otherwise None.
    #[getter]
    fn micro_cluster_labels<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray1<i64>>> {
        self.inner
            .micro_cluster_labels()
            .map(|l| l.mapv(|v| v as i64).into_pyarray(py))
    }
});

/// Ward's merge tree of the rows of `x` in scipy's linkage format, O(n * d) memory.
#[pyfunction]
#[pyo3(signature = (x, sample_weight=None, progress=None))]
pub fn ward_linkage<'py>(
    py: Python<'py>,
    x: Matrix<'py>,
    sample_weight: Option<Vector<'py>>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyArray2<f64>>> {
    let mut reporter = PythonProgress::new(progress);
    let result = with_input!(py, x, sample_weight, |view, w| ward_linkage_with_progress(
        view,
        w,
        &mut |done, total| reporter.report((done, total))
    ));
    let linkage = reporter.finish(result)?;
    Ok(linkage.into_scipy_matrix().into_pyarray(py))
}
