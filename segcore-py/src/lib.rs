use pyo3::prelude::*;
#[pymodule]
fn _segcore(_m: &Bound<'_, PyModule>) -> PyResult<()> {
    Ok(())
}
