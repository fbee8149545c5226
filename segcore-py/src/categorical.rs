//! `segcore.KPrototypes`, `segcore.LatentClass`, `segcore.CA` and `segcore.MCA`'s fitted models.
//!
//! The Python layer passes categorical columns value by value (their categories and codes come
//! from `segcore::data::fit_categories` / `category_codes`) and float64 numeric columns;
//! everything else happens in the core.
//! `to_json`, `from_json` and pickling come from `model_pymethods!` (the models' `SavedState` is
//! their `segcore::persist` document).

use crate::columns::Columns;
use crate::errors::{run_detached, to_py_err, IntoPyResult};
use crate::model_pymethods;
use ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};
use segcore::cluster::kprototypes::{
    KPrototypes, KPrototypesInit, KPrototypesParams, KPrototypesUpdate,
};
use segcore::cluster::latent_class::{latent_class_bic_table, LatentClass, LatentClassParams};
use segcore::data::{
    self, CategoricalValues, Category, ColumnRef, MissingCategories, UnseenCategories,
};
use segcore::reduce::correspondence::{Ca, CaParams, InertiaCorrection, Mca, McaParams};

fn count(name: &'static str, value: i64) -> segcore::Result<usize> {
    crate::arrays::non_negative(name, value)
}

/// A fitted k-prototypes model (wrapped by `segcore.KPrototypes`).
#[pyclass(module = "segcore._segcore", name = "KPrototypesModel", frozen)]
pub struct PyKPrototypesModel {
    inner: KPrototypes,
}

model_pymethods!(PyKPrototypesModel {
    /// Fits k-prototypes (parameters are validated by the core).
    #[staticmethod]
    #[pyo3(signature = (numeric, categorical, sample_weight, *, n_clusters, gamma, init, init_numeric, init_categorical, n_init, max_iter, random_state, update))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        numeric: PyReadonlyArray2<'_, f64>,
        categorical: PyReadonlyArray2<'_, u32>,
        sample_weight: Option<PyReadonlyArray1<'_, f64>>,
        n_clusters: i64,
        gamma: Option<f64>,
        init: &str,
        init_numeric: Option<PyReadonlyArray2<'_, f64>>,
        init_categorical: Option<PyReadonlyArray2<'_, u32>>,
        n_init: i64,
        max_iter: i64,
        random_state: u64,
        update: &str,
    ) -> PyResult<Self> {
        let params = (|| {
            let init = match (init, init_numeric, init_categorical) {
                ("given", Some(num), Some(cat)) => KPrototypesInit::Given {
                    numeric: num.as_array().to_owned(),
                    categorical: cat.as_array().to_owned(),
                },
                ("k-means++", _, _) => KPrototypesInit::KMeansPlusPlus,
                ("cao", _, _) => KPrototypesInit::Cao,
                ("huang", _, _) => KPrototypesInit::Huang,
                (other, _, _) => {
                    return Err(segcore::Error::invalid_parameter(
                        "init",
                        format!("{other:?}"),
                        "'k-means++', 'Cao', 'Huang' or (numeric centroids, categorical modes)",
                    ))
                }
            };
            let update = match update {
                "batch" => KPrototypesUpdate::Batch,
                "incremental" => KPrototypesUpdate::Incremental,
                other => {
                    return Err(segcore::Error::invalid_parameter(
                        "update",
                        format!("{other:?}"),
                        "'batch' or 'incremental'",
                    ))
                }
            };
            Ok(KPrototypesParams {
                n_clusters: count("n_clusters", n_clusters)?,
                gamma,
                init,
                n_init: count("n_init", n_init)?,
                max_iter: count("max_iter", max_iter)?,
                random_state,
                update,
            })
        })()
        .map_err(|e| to_py_err(py, e))?;
        let (num, cat) = (numeric.as_array(), categorical.as_array());
        let w = sample_weight.as_ref().map(|w| w.as_array());
        let inner = run_detached(py, || params.fit(num, cat, w))?;
        Ok(PyKPrototypesModel { inner })
    }

    /// Nearest prototype of each row (unseen codes match no mode).
    fn predict<'py>(
        &self,
        py: Python<'py>,
        numeric: PyReadonlyArray2<'py, f64>,
        categorical: PyReadonlyArray2<'py, u32>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let (num, cat) = (numeric.as_array(), categorical.as_array());
        let labels = run_detached(py, || self.inner.predict(num, cat))?;
        Ok(labels.mapv(|l| l as i64).into_pyarray(py))
    }

    #[getter]
    fn labels<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<i64>> {
        self.inner.labels().mapv(|l| l as i64).into_pyarray(py)
    }

    #[getter]
    fn cost(&self) -> f64 {
        self.inner.cost()
    }

    #[getter]
    fn gamma(&self) -> f64 {
        self.inner.gamma()
    }

    #[getter]
    fn n_iter(&self) -> usize {
        self.inner.n_iter()
    }

    #[getter]
    fn converged(&self) -> bool {
        self.inner.converged()
    }

    #[getter]
    fn numeric_centroids<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.inner.numeric_centroids().to_owned().into_pyarray(py)
    }

    #[getter]
    fn categorical_modes<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<u32>> {
        self.inner.categorical_modes().to_owned().into_pyarray(py)
    }
});

/// A fitted latent class model (wrapped by `segcore.LatentClass`).
#[pyclass(module = "segcore._segcore", name = "LatentClassModel", frozen)]
pub struct PyLatentClassModel {
    inner: LatentClass,
}

fn latent_class_params(
    n_components: i64,
    n_init: i64,
    max_iter: i64,
    tol: f64,
    random_state: u64,
) -> segcore::Result<LatentClassParams> {
    Ok(LatentClassParams {
        n_components: count("n_components", n_components)?,
        n_init: count("n_init", n_init)?,
        max_iter: count("max_iter", max_iter)?,
        tol,
        random_state,
    })
}

model_pymethods!(PyLatentClassModel {
    /// Fits a latent class model by EM (codes `2**32 - 1` are missing answers).
    #[staticmethod]
    #[pyo3(signature = (codes, sample_weight, *, n_components, n_init, max_iter, tol, random_state))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        codes: PyReadonlyArray2<'_, u32>,
        sample_weight: Option<PyReadonlyArray1<'_, f64>>,
        n_components: i64,
        n_init: i64,
        max_iter: i64,
        tol: f64,
        random_state: u64,
    ) -> PyResult<Self> {
        let params = latent_class_params(n_components, n_init, max_iter, tol, random_state)
            .map_err(|e| to_py_err(py, e))?;
        let x = codes.as_array();
        let w = sample_weight.as_ref().map(|w| w.as_array());
        let inner = run_detached(py, || params.fit(x, w))?;
        Ok(PyLatentClassModel { inner })
    }

    fn predict_proba<'py>(
        &self,
        py: Python<'py>,
        codes: PyReadonlyArray2<'py, u32>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let x = codes.as_array();
        Ok(run_detached(py, || self.inner.predict_proba(x))?.into_pyarray(py))
    }

    fn predict<'py>(
        &self,
        py: Python<'py>,
        codes: PyReadonlyArray2<'py, u32>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let x = codes.as_array();
        let labels = run_detached(py, || self.inner.predict(x))?;
        Ok(labels.mapv(|l| l as i64).into_pyarray(py))
    }

    fn score_samples<'py>(
        &self,
        py: Python<'py>,
        codes: PyReadonlyArray2<'py, u32>,
    ) -> PyResult<Bound<'py, PyArray1<f64>>> {
        let x = codes.as_array();
        Ok(run_detached(py, || self.inner.score_samples(x))?.into_pyarray(py))
    }

    fn score(&self, py: Python<'_>, codes: PyReadonlyArray2<'_, u32>) -> PyResult<f64> {
        let x = codes.as_array();
        run_detached(py, || self.inner.score(x))
    }

    fn bic(&self, py: Python<'_>, codes: PyReadonlyArray2<'_, u32>) -> PyResult<f64> {
        let x = codes.as_array();
        run_detached(py, || self.inner.bic(x))
    }

    fn aic(&self, py: Python<'_>, codes: PyReadonlyArray2<'_, u32>) -> PyResult<f64> {
        let x = codes.as_array();
        run_detached(py, || self.inner.aic(x))
    }

    #[getter]
    fn weights<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.weights().to_owned().into_pyarray(py)
    }

    #[getter]
    fn item_probabilities<'py>(&self, py: Python<'py>) -> Vec<Bound<'py, PyArray2<f64>>> {
        self.inner
            .item_probabilities()
            .iter()
            .map(|t| t.clone().into_pyarray(py))
            .collect()
    }

    #[getter]
    fn log_likelihood(&self) -> f64 {
        self.inner.log_likelihood()
    }

    #[getter]
    fn n_parameters(&self) -> usize {
        self.inner.n_parameters()
    }

    #[getter]
    fn n_iter(&self) -> usize {
        self.inner.n_iter()
    }

    #[getter]
    fn converged(&self) -> bool {
        self.inner.converged()
    }
});

/// `{n_components, log_likelihood, n_parameters, bic, aic, converged}` columns over
/// `n_components`.
#[pyfunction]
#[pyo3(signature = (codes, sample_weight, n_components, *, n_init, max_iter, tol, random_state))]
#[allow(clippy::too_many_arguments)]
pub fn latent_class_table<'py>(
    py: Python<'py>,
    codes: PyReadonlyArray2<'_, u32>,
    sample_weight: Option<PyReadonlyArray1<'_, f64>>,
    n_components: Vec<i64>,
    n_init: i64,
    max_iter: i64,
    tol: f64,
    random_state: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let (params, ks) = (|| {
        let ks = n_components
            .iter()
            .map(|&k| count("n_components", k))
            .collect::<segcore::Result<Vec<usize>>>()?;
        Ok::<_, segcore::Error>((
            latent_class_params(1, n_init, max_iter, tol, random_state)?,
            ks,
        ))
    })()
    .map_err(|e| to_py_err(py, e))?;
    let x = codes.as_array();
    let w = sample_weight.as_ref().map(|w| w.as_array());
    let rows = run_detached(py, || latent_class_bic_table(x, w, &ks, &params))?;
    Ok(Columns::new(py)
        .ints("n_components", rows.iter().map(|r| r.n_components))?
        .floats(
            "log_likelihood",
            rows.iter().map(|r| Some(r.log_likelihood)),
        )?
        .ints("n_parameters", rows.iter().map(|r| r.n_parameters))?
        .floats("bic", rows.iter().map(|r| Some(r.bic)))?
        .floats("aic", rows.iter().map(|r| Some(r.aic)))?
        .flags("converged", rows.iter().map(|r| r.converged))?
        .finish())
}

/// One categorical value as Python gives it: None, NaN, pandas' NA and NaT are missing; bools,
/// integers and floats (numpy's too) are numbers; str is text, anything else its `str()`.
fn cell(value: &Bound<'_, PyAny>) -> PyResult<Option<Category>> {
    if value.is_none() {
        return Ok(None);
    }
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Some(Category::Text(text.to_cow()?.into_owned())));
    }
    let kind = value.get_type().name()?.to_string();
    if kind == "NAType" || kind == "NaTType" {
        return Ok(None);
    }
    let number = value.is_instance_of::<PyBool>()
        || value.is_instance_of::<PyInt>()
        || value.is_instance_of::<PyFloat>()
        || kind.starts_with("int")
        || kind.starts_with("uint")
        || kind.starts_with("float")
        || kind == "bool";
    if number {
        if let Ok(x) = value.extract::<f64>() {
            return Ok((!x.is_nan()).then_some(Category::Number(x)));
        }
    }
    Ok(Some(Category::Text(value.str()?.to_cow()?.into_owned())))
}

fn cells(values: Vec<Bound<'_, PyAny>>) -> PyResult<Vec<Option<Category>>> {
    values.iter().map(cell).collect()
}

/// `(name, values, declared order or None)` of one categorical column.
type PyCategorical<'py> = (
    String,
    Vec<Bound<'py, PyAny>>,
    Option<Vec<Bound<'py, PyAny>>>,
);

fn categorical_values(columns: Vec<PyCategorical<'_>>) -> PyResult<Vec<CategoricalValues>> {
    columns
        .into_iter()
        .map(|(name, values, declared)| {
            Ok(CategoricalValues {
                name,
                values: cells(values)?,
                declared: match declared {
                    Some(d) => Some(cells(d)?.into_iter().flatten().collect()),
                    None => None,
                },
            })
        })
        .collect()
}

/// The positions of the `categorical` columns `given` (positions or names)
/// ([`segcore::data::select_columns`]; `shown`: the parameter's repr).
#[pyfunction]
#[pyo3(signature = (shown, given, names, n_columns))]
pub fn categorical_columns(
    py: Python<'_>,
    shown: &str,
    given: Vec<Bound<'_, PyAny>>,
    names: Option<Vec<Option<String>>>,
    n_columns: usize,
) -> PyResult<Vec<usize>> {
    let given: Vec<ColumnRef> = given
        .iter()
        .map(|c| {
            if let Ok(name) = c.cast::<PyString>() {
                return Ok(ColumnRef::Name(name.to_cow()?.into_owned()));
            }
            let is_bool = c.is_instance_of::<PyBool>() || c.get_type().name()? == "bool";
            Ok(match c.extract::<i64>() {
                Ok(i) if !is_bool => ColumnRef::Index(i),
                _ => ColumnRef::Invalid,
            })
        })
        .collect::<PyResult<_>>()?;
    data::select_columns("categorical", shown, &given, names.as_deref(), n_columns)
        .into_py_result(py)
}

fn missing_policy(code: bool) -> MissingCategories {
    if code {
        MissingCategories::Code
    } else {
        MissingCategories::Error
    }
}

/// The rows of each column's categories (in code order) and the codes.
type CategoriesOut<'py> = (Vec<Vec<usize>>, Bound<'py, PyArray2<u32>>);

/// `(rows of each column's categories in code order, codes)`: the core's
/// [`segcore::data::fit_categories`] (missing values coded when `missing_code`).
#[pyfunction]
#[pyo3(signature = (columns, n_rows, *, missing_code))]
pub fn fit_categories<'py>(
    py: Python<'py>,
    columns: Vec<PyCategorical<'py>>,
    n_rows: usize,
    missing_code: bool,
) -> PyResult<CategoriesOut<'py>> {
    let columns = categorical_values(columns)?;
    let (rows, codes) =
        data::fit_categories(&columns, missing_policy(missing_code)).into_py_result(py)?;
    let codes = if columns.is_empty() {
        Array2::zeros((n_rows, 0))
    } else {
        codes
    };
    Ok((rows, codes.into_pyarray(py)))
}

/// The codes of `columns` in the fitted `categories` ([`segcore::data::category_codes`]; an
/// unseen value gets code `n_categories` when `unseen_mismatch`, a missing one the missing code
/// when `missing_code`).
#[pyfunction]
#[pyo3(signature = (columns, categories, n_rows, *, unseen_mismatch, missing_code))]
pub fn category_codes<'py>(
    py: Python<'py>,
    columns: Vec<PyCategorical<'py>>,
    categories: Vec<Vec<Bound<'py, PyAny>>>,
    n_rows: usize,
    unseen_mismatch: bool,
    missing_code: bool,
) -> PyResult<Bound<'py, PyArray2<u32>>> {
    let columns = categorical_values(columns)?;
    let categories = categories
        .into_iter()
        .map(|c| Ok(cells(c)?.into_iter().flatten().collect()))
        .collect::<PyResult<Vec<Vec<Category>>>>()?;
    let unseen = if unseen_mismatch {
        UnseenCategories::Mismatch
    } else {
        UnseenCategories::Error
    };
    let codes = data::category_codes(&columns, &categories, unseen, missing_policy(missing_code))
        .into_py_result(py)?;
    let codes = if columns.is_empty() {
        Array2::zeros((n_rows, 0))
    } else {
        codes
    };
    Ok(codes.into_pyarray(py))
}

/// What `correction` may be.
const CORRECTIONS: &str = "None, 'benzecri' or 'greenacre'";

fn correction_of(name: Option<&str>) -> segcore::Result<Option<InertiaCorrection>> {
    match name {
        None => Ok(None),
        Some("benzecri") => Ok(Some(InertiaCorrection::Benzecri)),
        Some("greenacre") => Ok(Some(InertiaCorrection::Greenacre)),
        Some(other) => Err(segcore::Error::invalid_parameter(
            "correction",
            format!("{other:?}"),
            CORRECTIONS,
        )),
    }
}

/// The methods CA and MCA share: `transform` of rows of `$input` (MCA's category codes, CA's
/// counts over the table's columns) to principal coordinates, and the getters both have;
/// `$methods` adds the model's own.
macro_rules! correspondence_pymethods {
    ($class:ident, $input:ty { $($methods:tt)* }) => {
        model_pymethods!($class {
            /// Principal coordinates of new rows.
            fn transform<'py>(
                &self,
                py: Python<'py>,
                rows: PyReadonlyArray2<'py, $input>,
            ) -> PyResult<Bound<'py, PyArray2<f64>>> {
                let x = rows.as_array();
                Ok(run_detached(py, || self.inner.transform(x))?.into_pyarray(py))
            }

            #[getter]
            fn percentage_of_variance<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
                self.inner.percentage_of_variance().into_pyarray(py)
            }

            #[getter]
            fn cumulative_percentage_of_variance<'py>(
                &self,
                py: Python<'py>,
            ) -> Bound<'py, PyArray1<f64>> {
                self.inner.cumulative_percentage_of_variance().into_pyarray(py)
            }

            #[getter]
            fn total_inertia(&self) -> f64 {
                self.inner.total_inertia()
            }

            #[getter]
            fn column_coordinates<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
                self.inner.column_coordinates().to_owned().into_pyarray(py)
            }

            #[getter]
            fn column_masses<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
                self.inner.column_masses().to_owned().into_pyarray(py)
            }

            $($methods)*
        });
    };
}

/// A fitted multiple correspondence analysis (wrapped by `segcore.MCA`).
#[pyclass(module = "segcore._segcore", name = "McaModel", frozen)]
pub struct PyMcaModel {
    inner: Mca,
}

correspondence_pymethods!(PyMcaModel, u32 {
    /// Fits MCA from category codes.
    #[staticmethod]
    #[pyo3(signature = (codes, sample_weight, *, n_components, correction))]
    fn fit(
        py: Python<'_>,
        codes: PyReadonlyArray2<'_, u32>,
        sample_weight: Option<PyReadonlyArray1<'_, f64>>,
        n_components: i64,
        correction: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let correction = match &correction {
            Some(c) => Some(c.extract::<String>().map_err(|_| {
                let shown = c.repr().map_or_else(|_| "?".to_string(), |r| r.to_string());
                to_py_err(py, segcore::Error::invalid_parameter("correction", shown, CORRECTIONS))
            })?),
            None => None,
        };
        let params = (|| {
            Ok::<_, segcore::Error>(McaParams {
                n_components: count("n_components", n_components)?,
                correction: correction_of(correction.as_deref())?,
            })
        })()
        .map_err(|e| to_py_err(py, e))?;
        let x = codes.as_array();
        let w = sample_weight.as_ref().map(|w| w.as_array());
        let inner = run_detached(py, || params.fit(x, w))?;
        Ok(PyMcaModel { inner })
    }

    #[getter]
    fn principal_inertias<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.eigenvalues().to_owned().into_pyarray(py)
    }

    #[getter]
    fn eigenvalues<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.corrected_eigenvalues().into_pyarray(py)
    }
});

/// A fitted correspondence analysis (wrapped by `segcore.CA`).
#[pyclass(module = "segcore._segcore", name = "CaModel", frozen)]
pub struct PyCaModel {
    inner: Ca,
}

correspondence_pymethods!(PyCaModel, f64 {
    /// Fits CA on a contingency table.
    #[staticmethod]
    #[pyo3(signature = (table, *, n_components))]
    fn fit(py: Python<'_>, table: PyReadonlyArray2<'_, f64>, n_components: i64) -> PyResult<Self> {
        let params = count("n_components", n_components)
            .map(CaParams::new)
            .map_err(|e| to_py_err(py, e))?;
        let t = table.as_array();
        let inner = run_detached(py, || params.fit(t))?;
        Ok(PyCaModel { inner })
    }

    #[getter]
    fn eigenvalues<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.eigenvalues().to_owned().into_pyarray(py)
    }

    #[getter]
    fn row_coordinates<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        self.inner.row_coordinates().to_owned().into_pyarray(py)
    }

    #[getter]
    fn row_masses<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f64>> {
        self.inner.row_masses().to_owned().into_pyarray(py)
    }
});
