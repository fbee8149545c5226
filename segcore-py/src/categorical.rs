//! `segcore.KPrototypes`, `segcore.LatentClass`, `segcore.CA` and `segcore.MCA`'s fitted models.
//!
//! [`read_mixed`] reads the estimators' DataFrame or array: float64 numeric columns, and the
//! categorical ones value by value, whose categories and codes come from
//! `segcore::data::fit_categories` / `category_codes`; everything else happens in the core.
//! `to_json`, `from_json` and pickling come from `model_pymethods!` (the models' `SavedState` is
//! their `segcore::persist` document).

use crate::arrays::{cell, Cell};
use crate::columns::Columns;
use crate::errors::{run_detached, segcore_exception, to_py_err, IntoPyResult};
use crate::model_pymethods;
use ndarray::Array2;
use numpy::{IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString, PyTuple};
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
    /// Fits k-prototypes (parameters are validated by the core; `init` and `update` as the
    /// caller gave them, see [`prototypes_init`]).
    #[staticmethod]
    #[pyo3(signature = (numeric, categorical, sample_weight, *, n_clusters, gamma, init, categories, names, n_init, max_iter, random_state, update))]
    #[allow(clippy::too_many_arguments)]
    fn fit(
        py: Python<'_>,
        numeric: PyReadonlyArray2<'_, f64>,
        categorical: PyReadonlyArray2<'_, u32>,
        sample_weight: Option<PyReadonlyArray1<'_, f64>>,
        n_clusters: i64,
        gamma: Option<f64>,
        init: &Bound<'_, PyAny>,
        categories: Vec<Bound<'_, PyAny>>,
        names: Vec<String>,
        n_init: i64,
        max_iter: i64,
        random_state: u64,
        update: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let init = prototypes_init(init, &categories, names, numeric.as_array().ncols())?;
        let update = match update.cast::<PyString>() {
            Ok(name) => name.to_cow()?.to_lowercase(),
            Err(_) => update.repr()?.to_string(),
        };
        let params = (|| {
            let update = match update.as_str() {
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

/// k-prototypes' `init` as the caller gave it: a method's name (any case), or `(numeric
/// centroids, categorical modes)` with the modes as the columns' own values, coded in the fitted
/// `categories` of the categorical columns `names` (an unknown or missing mode is an
/// `InvalidParameterError`).
fn prototypes_init<'py>(
    init: &Bound<'py, PyAny>,
    categories: &[Bound<'_, PyAny>],
    names: Vec<String>,
    n_numeric: usize,
) -> PyResult<KPrototypesInit> {
    let py = init.py();
    if let Ok(name) = init.cast::<PyString>() {
        match name.to_cow()?.to_lowercase().as_str() {
            "k-means++" => return Ok(KPrototypesInit::KMeansPlusPlus),
            "cao" => return Ok(KPrototypesInit::Cao),
            "huang" => return Ok(KPrototypesInit::Huang),
            _ => {}
        }
    }
    if !(init.is_instance_of::<PyTuple>() || init.is_instance_of::<PyList>()) || init.len()? != 2 {
        let expected = "'k-means++', 'Cao', 'Huang' or (numeric centroids, categorical modes)";
        let error = segcore::Error::invalid_parameter("init", init.repr()?, expected);
        return Err(to_py_err(py, error));
    }
    let np = py.import("numpy")?;
    let asarray = |value: Bound<'py, PyAny>, dtype: &str| -> PyResult<Bound<'py, PyAny>> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("dtype", dtype)?;
        np.call_method("asarray", (value,), Some(&kwargs))
    };
    let numeric =
        asarray(init.get_item(0)?, "float64")?.call_method1("reshape", (-1, n_numeric))?;
    let numeric = numeric
        .extract::<PyReadonlyArray2<'_, f64>>()?
        .as_array()
        .to_owned();
    let shape = (numeric.nrows(), names.len());
    let modes = asarray(init.get_item(1)?, "O")?.call_method1("reshape", shape)?;
    let columns = modes
        .getattr("T")?
        .try_iter()?
        .zip(names)
        .map(|(values, name)| {
            let values = cells(&values?)?;
            Ok(CategoricalValues {
                name,
                values,
                declared: None,
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let known = known_categories(categories)?;
    let codes = data::category_codes(
        &columns,
        &known,
        UnseenCategories::Error,
        MissingCategories::Error,
    )
    .map_err(|e| {
        let message = format!("invalid parameter `init`: categorical mode: {e}");
        segcore_exception(py, "InvalidParameterError", message)
    })?;
    let categorical = if columns.is_empty() {
        Array2::zeros(shape)
    } else {
        codes
    };
    Ok(KPrototypesInit::Given {
        numeric,
        categorical,
    })
}

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

/// One categorical value as Python gives it ([`cell`]: bools are numbers here).
fn category(value: &Bound<'_, PyAny>) -> PyResult<Option<Category>> {
    Ok(cell(value, true)?.map(|c| match c {
        Cell::Number(x) => Category::Number(x),
        Cell::Text(t) => Category::Text(t),
    }))
}

/// The values of any iterable (a list, an object array, a pandas Index).
fn cells(values: &Bound<'_, PyAny>) -> PyResult<Vec<Option<Category>>> {
    values.try_iter()?.map(|v| category(&v?)).collect()
}

/// The fitted categories of each column (object arrays of the columns' own values).
fn known_categories(fitted: &[Bound<'_, PyAny>]) -> PyResult<Vec<Vec<Category>>> {
    fitted
        .iter()
        .map(|c| Ok(cells(c)?.into_iter().flatten().collect()))
        .collect()
}

/// Whether `obj` comes from the package `name` (checked by module, as `segcore._frames`).
fn from_package(obj: &Bound<'_, PyAny>, name: &str) -> PyResult<bool> {
    Ok(obj.get_type().module()?.to_cow()?.starts_with(name))
}

/// A column's values as numpy gives them (`to_numpy()` of a Series; an array as it is).
fn values<'py>(column: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if column.hasattr("to_numpy")? {
        column.call_method0("to_numpy")
    } else {
        Ok(column.clone())
    }
}

/// A DataFrame column's kind by dtype: pandas' bool and non-numeric columns, polars' non-numeric
/// ones are categorical.
fn categorical_dtype(column: &Bound<'_, PyAny>) -> PyResult<bool> {
    let dtype = column.getattr("dtype")?;
    if from_package(column, "polars")? {
        return Ok(!dtype.call_method0("is_numeric")?.is_truthy()?);
    }
    let types = column.py().import("pandas.api.types")?;
    let is = |test: &str| types.call_method1(test, (&dtype,))?.is_truthy();
    Ok(is("is_bool_dtype")? || !is("is_numeric_dtype")?)
}

/// The positions of the `categorical` columns the caller gave (a position, a name or a list of
/// them; [`segcore::data::select_columns`]); `names`: a DataFrame's column names.
fn given_columns(
    categorical: &Bound<'_, PyAny>,
    names: Option<Vec<Option<String>>>,
    n_columns: usize,
) -> PyResult<Vec<usize>> {
    let py = categorical.py();
    let single = categorical.is_instance_of::<PyString>() || categorical.extract::<i64>().is_ok();
    let given = if single {
        vec![categorical.clone()]
    } else {
        categorical.try_iter()?.collect::<PyResult<_>>()?
    };
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
    let shown = categorical.repr()?.to_string();
    data::select_columns("categorical", &shown, &given, names.as_deref(), n_columns)
        .into_py_result(py)
}

/// A numeric column as float64 (NaN = missing); a column that is not numbers is a `TypeError`
/// telling to list it in `categorical`.
fn floats<'py>(column: &Bound<'py, PyAny>, name: &str) -> PyResult<PyReadonlyArray1<'py, f64>> {
    let py = column.py();
    let kwargs = PyDict::new(py);
    kwargs.set_item("dtype", "float64")?;
    let read = if from_package(column, "pandas")? {
        kwargs.set_item("na_value", f64::NAN)?;
        column.call_method("to_numpy", (), Some(&kwargs))
    } else {
        py.import("numpy")?
            .call_method("asarray", (values(column)?,), Some(&kwargs))
    };
    read.and_then(|a| a.extract()).map_err(|err| {
        if err.is_instance_of::<PyTypeError>(py) || err.is_instance_of::<PyValueError>(py) {
            PyTypeError::new_err(format!(
                "column {name} is treated as numeric but is not ({}); list it in `categorical`",
                err.value(py)
            ))
        } else {
            err
        }
    })
}

/// `(names of the columns in errors, categorical columns, their categories, numeric part,
/// category codes)`.
type Mixed<'py> = (
    Vec<String>,
    Vec<usize>,
    Vec<Bound<'py, PyAny>>,
    Bound<'py, PyArray2<f64>>,
    Bound<'py, PyArray2<u32>>,
);

/// Reads a pandas/polars DataFrame (by name) or a 2-D array (by position) for the categorical
/// estimators: which columns are categorical (`categorical`: positions or names; None: by dtype
/// for a DataFrame, none for a numeric array; every column with `all_categorical`), the numeric
/// ones as float64, and the categorical ones value by value (a pandas Categorical with its
/// declared order). Without `fitted`, the core learns each column's categories (returned as the
/// column's own values at their first rows, an object array per column) and codes the rows
/// ([`segcore::data::fit_categories`]); with the `fitted` categories (and `n_features`), it codes
/// the rows in them ([`segcore::data::category_codes`]: an unseen value gets code `n_categories`
/// with `unseen_mismatch`, a missing one the missing code with `missing_code`).
#[pyfunction]
#[pyo3(signature = (x, categorical, *, fitted=None, n_features=None, all_categorical=false, unseen_mismatch=false, missing_code=false))]
#[allow(clippy::too_many_arguments)]
pub fn read_mixed<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    categorical: &Bound<'py, PyAny>,
    fitted: Option<Vec<Bound<'py, PyAny>>>,
    n_features: Option<usize>,
    all_categorical: bool,
    unseen_mismatch: bool,
    missing_code: bool,
) -> PyResult<Mixed<'py>> {
    let frame = x.hasattr("columns")?;
    let n_rows: usize = x.getattr("shape")?.get_item(0)?.extract()?;
    let (keys, columns): (Vec<_>, Vec<_>) = if frame {
        let keys: Vec<Bound<'py, PyAny>> =
            x.getattr("columns")?.try_iter()?.collect::<PyResult<_>>()?;
        let columns = keys
            .iter()
            .map(|k| x.get_item(k))
            .collect::<PyResult<_>>()?;
        (keys, columns)
    } else {
        let columns: Vec<Bound<'py, PyAny>> =
            x.getattr("T")?.try_iter()?.collect::<PyResult<_>>()?;
        (Vec::new(), columns)
    };
    let n = columns.len();
    if let Some(expected) = n_features.filter(|&e| e != n) {
        let what = "X (number of features)".into();
        return Err(to_py_err(
            py,
            segcore::Error::ShapeMismatch {
                what,
                expected,
                got: n,
            },
        ));
    }
    let names: Vec<String> = if frame {
        keys.iter()
            .map(|k| Ok(k.str()?.to_string()))
            .collect::<PyResult<_>>()?
    } else {
        (0..n).map(|j| format!("column {j}")).collect()
    };
    let cat: Vec<usize> = if all_categorical {
        (0..n).collect()
    } else if !categorical.is_none() {
        let labels = frame.then(|| keys.iter().map(|k| k.extract::<String>().ok()).collect());
        given_columns(categorical, labels, n)?
    } else if !frame {
        let dtype = x.getattr("dtype")?;
        if !"biuf".contains(dtype.getattr("kind")?.extract::<char>()?) {
            return Err(segcore_exception(
                py,
                "InvalidParameterError",
                format!(
                "invalid parameter `categorical` = None: X is an array of {dtype} values; pass \
                 categorical=[column indices] (or a DataFrame whose categorical columns have a \
                 category/string dtype)"
            ),
            ));
        }
        Vec::new()
    } else {
        (0..n)
            .filter_map(|j| {
                categorical_dtype(&columns[j])
                    .map(|c| c.then_some(j))
                    .transpose()
            })
            .collect::<PyResult<_>>()?
    };
    let numeric: Vec<usize> = (0..n).filter(|j| !cat.contains(j)).collect();
    let mut numbers = Array2::<f64>::zeros((n_rows, numeric.len()));
    for (mut out, &j) in numbers.columns_mut().into_iter().zip(&numeric) {
        out.assign(&floats(&columns[j], &names[j])?.as_array());
    }
    let np = py.import("numpy")?;
    let mut objects = Vec::with_capacity(cat.len());
    let mut inputs = Vec::with_capacity(cat.len());
    for &j in &cat {
        let mut column = columns[j].clone();
        if from_package(&column, "polars")? && categorical_dtype(&column)? {
            column = column.call_method1("cast", (py.import("polars")?.getattr("String")?,))?;
        }
        let declared = match column
            .getattr("dtype")
            .and_then(|d| d.getattr("categories"))
        {
            Ok(d) if from_package(&column, "pandas")? => {
                Some(cells(&d)?.into_iter().flatten().collect())
            }
            _ => None,
        };
        let kwargs = PyDict::new(py);
        kwargs.set_item("dtype", "O")?;
        let o = np.call_method("asarray", (values(&column)?,), Some(&kwargs))?;
        inputs.push(CategoricalValues {
            name: names[j].clone(),
            values: cells(&o.call_method0("tolist")?)?,
            declared,
        });
        objects.push(o);
    }
    let missing = if missing_code {
        MissingCategories::Code
    } else {
        MissingCategories::Error
    };
    let (categories, codes) = match fitted {
        None => {
            let (rows, codes) = data::fit_categories(&inputs, missing).into_py_result(py)?;
            let categories = objects
                .iter()
                .zip(rows)
                .map(|(o, r)| o.get_item(PyList::new(py, r)?))
                .collect::<PyResult<_>>()?;
            (categories, codes)
        }
        Some(fitted) => {
            let known = known_categories(&fitted)?;
            let unseen = if unseen_mismatch {
                UnseenCategories::Mismatch
            } else {
                UnseenCategories::Error
            };
            let codes =
                data::category_codes(&inputs, &known, unseen, missing).into_py_result(py)?;
            (fitted, codes)
        }
    };
    let codes = if cat.is_empty() {
        Array2::zeros((n_rows, 0))
    } else {
        codes
    };
    Ok((
        names,
        cat,
        categories,
        numbers.into_pyarray(py),
        codes.into_pyarray(py),
    ))
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
