//! `segcore._segcore` side of `segcore.dask.read_parquet`: the plan of a set of Parquet files
//! (which files, in which order, their columns and blocks: `segcore::data::parquet`), and a block
//! decoded into a numpy array or run through a partition task by the core, with the GIL released.

use crate::arrays::Vector;
use crate::dispatch::weights_for;
use crate::errors::{run_detached, to_py_err};
use numpy::IntoPyArray;
use pyo3::prelude::*;
use segcore::data::parquet::{self, RowBlock};
use segcore::partial::{ParquetPartition, PartitionTask};
use std::path::PathBuf;

/// One block of rows of a Parquet file (all its row groups, or `row_groups` = `(start, stop)`),
/// the values of `columns` as float32 (`float32`) or float64; `rows` of them. Pickles as its
/// fields; calling it decodes the block.
#[pyclass(module = "segcore._segcore", name = "ParquetRows", frozen)]
pub struct PyParquetRows {
    path: PathBuf,
    columns: Vec<String>,
    row_groups: Option<(usize, usize)>,
    float32: bool,
    rows: u64,
}

impl PyParquetRows {
    fn source(&self) -> ParquetPartition<'_> {
        ParquetPartition {
            path: &self.path,
            columns: &self.columns,
            row_groups: self.row_groups.map(|(a, b)| a..b),
            float32: self.float32,
        }
    }
}

type Fields = (PathBuf, Vec<String>, Option<(usize, usize)>, bool, u64);

#[pymethods]
impl PyParquetRows {
    #[new]
    fn new(
        path: PathBuf,
        columns: Vec<String>,
        row_groups: Option<(usize, usize)>,
        float32: bool,
        rows: u64,
    ) -> Self {
        PyParquetRows {
            path,
            columns,
            row_groups,
            float32,
            rows,
        }
    }

    /// The rows as a C-ordered numpy array.
    fn __call__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let s = self.source();
        let block = run_detached(py, || {
            parquet::read_parquet_rows(s.path, s.columns, s.row_groups.clone(), s.float32)
        })?;
        Ok(match block {
            RowBlock::Float32(a) => a.into_pyarray(py).into_any(),
            RowBlock::Float64(a) => a.into_pyarray(py).into_any(),
        })
    }

    /// Runs the task `task` (JSON) on these rows as partition number `partition`, decoded here
    /// (`PartitionTask::run_parquet`), with their float64 sample weights, if any; returns the
    /// partial statistics as JSON.
    #[pyo3(signature = (task, partition, sample_weight=None))]
    fn run(
        &self,
        py: Python<'_>,
        task: &str,
        partition: usize,
        sample_weight: Option<Vector<'_>>,
    ) -> PyResult<String> {
        let task = PartitionTask::from_json(task).map_err(|e| to_py_err(py, e))?;
        let w = weights_for::<f64>(sample_weight)?;
        let w = w.as_ref().map(|w| w.as_array());
        let source = self.source();
        run_detached(py, || task.run_parquet(&source, w, partition)?.to_json())
    }

    /// The file read.
    #[getter]
    fn path(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }

    /// Rows of the block.
    #[getter]
    fn rows(&self) -> u64 {
        self.rows
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> (Bound<'py, PyAny>, Fields) {
        let s = slf.get();
        let fields = (
            s.path.clone(),
            s.columns.clone(),
            s.row_groups,
            s.float32,
            s.rows,
        );
        (slf.get_type().into_any(), fields)
    }
}

/// The blocks, the files, the columns read and whether the blocks are float32.
type Plan = (Vec<PyParquetRows>, Vec<String>, Vec<String>, bool);

/// The plan of `path` (a file, a folder, a shell pattern, or a list of files: natural order of
/// their paths, `segcore::data::parquet::parquet_files`): its blocks (one per file, or per row
/// group with `split_row_groups`), the files, the columns read (`columns`, or all of the first
/// file's, which every file must then hold) and whether the blocks are float32 (`float32`, or
/// whether every column read is stored as 32-bit floats). A `DataError` when there are no files.
#[pyfunction]
#[pyo3(signature = (path, columns=None, float32=None, split_row_groups=false))]
pub fn parquet_rows_plan(
    py: Python<'_>,
    path: &Bound<'_, PyAny>,
    columns: Option<Vec<String>>,
    float32: Option<bool>,
    split_row_groups: bool,
) -> PyResult<Plan> {
    let files = match path.extract::<PathBuf>() {
        Ok(one) => run_detached(py, || parquet::parquet_files(&one))?,
        Err(_) => {
            let mut files = path.extract::<Vec<PathBuf>>()?;
            parquet::natural_order(&mut files);
            files
        }
    };
    if files.is_empty() {
        let message = format!("no Parquet files found at {}", path.repr()?);
        let error = py
            .import("segcore.exceptions")?
            .getattr("DataError")?
            .call1((message,))?;
        return Err(PyErr::from_value(error));
    }
    let layout = run_detached(py, || {
        parquet::parquet_rows_layout(&files, columns.as_deref())
    })?;
    let float32 = float32.unwrap_or(layout.float32);
    let blocks = layout
        .blocks(split_row_groups)
        .into_iter()
        .map(|b| PyParquetRows {
            path: files[b.file].clone(),
            columns: layout.columns.clone(),
            row_groups: b.row_groups.map(|g| (g.start, g.end)),
            float32,
            rows: b.rows,
        })
        .collect();
    let names = files
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    Ok((blocks, names, layout.columns, float32))
}
