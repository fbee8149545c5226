//! `segcore._segcore` side of `segcore.dask.read_parquet`: the layout of a set of Parquet files
//! (their footers) and one file's rows decoded into a numpy block by the core
//! (`segcore::data::parquet`), with the GIL released.

use crate::errors::run_detached;
use numpy::IntoPyArray;
use pyo3::prelude::*;
use segcore::data::parquet::{self, RowBlock};
use std::path::PathBuf;

/// The columns read from `paths` (`columns`, or all of the first file's, which every file must
/// then hold), whether they are all 32-bit floats, and the rows of every row group of every file.
#[pyfunction]
#[pyo3(signature = (paths, columns=None))]
pub fn parquet_rows_layout(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    columns: Option<Vec<String>>,
) -> PyResult<(Vec<String>, bool, Vec<Vec<u64>>)> {
    let layout = run_detached(py, || {
        parquet::parquet_rows_layout(&paths, columns.as_deref())
    })?;
    Ok((layout.columns, layout.float32, layout.row_groups))
}

/// The rows of row groups `row_groups` (`(start, stop)`, all when None) of the Parquet file at
/// `path`, the values of `columns` in that order: a C-ordered float32 (`float32`) or float64
/// numpy array.
#[pyfunction]
#[pyo3(signature = (path, columns, row_groups=None, float32=false))]
pub fn read_parquet_rows<'py>(
    py: Python<'py>,
    path: PathBuf,
    columns: Vec<String>,
    row_groups: Option<(usize, usize)>,
    float32: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let block = run_detached(py, || {
        parquet::read_parquet_rows(&path, &columns, row_groups.map(|(a, b)| a..b), float32)
    })?;
    Ok(match block {
        RowBlock::Float32(a) => a.into_pyarray(py).into_any(),
        RowBlock::Float64(a) => a.into_pyarray(py).into_any(),
    })
}
