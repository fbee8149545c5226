//! The Python binding of segcore: converts arrays, releases the GIL around core work, maps core
//! errors to Python exceptions. No algorithm lives here.

use pyo3::prelude::*;

mod arrays;
mod datasets;
mod dispatch;
mod errors;
mod features;
mod kmeans;
mod persist;
mod preprocessing;
mod profile;
mod ward;

/// The compiled extension module, imported by the `segcore` Python package.
#[pymodule]
fn _segcore(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<kmeans::PyKMeansModel>()?;
    m.add_class::<preprocessing::PyStandardScalerModel>()?;
    m.add_class::<ward::PyWardModel>()?;
    m.add_function(wrap_pyfunction!(ward::ward_linkage, m)?)?;
    m.add_function(wrap_pyfunction!(profile::profile_segments, m)?)?;
    m.add_class::<profile::PyProfileReport>()?;
    for f in [
        wrap_pyfunction!(profile::build_profile, m)?,
        wrap_pyfunction!(profile::explain_centroids, m)?,
        wrap_pyfunction!(profile::migration, m)?,
        wrap_pyfunction!(profile::movers, m)?,
        wrap_pyfunction!(profile::segment_rules, m)?,
        wrap_pyfunction!(profile::pseudonymise, m)?,
    ] {
        m.add_function(f)?;
    }
    m.add_function(wrap_pyfunction!(datasets::make_b2b, m)?)?;
    m.add_function(wrap_pyfunction!(features::behaviour_features, m)?)?;
    m.add_function(wrap_pyfunction!(features::segmentation_features, m)?)?;
    Ok(())
}
