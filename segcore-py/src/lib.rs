//! The Python binding of segcore: converts arrays, releases the GIL around core work, maps core
//! errors to Python exceptions. No algorithm lives here.

use pyo3::prelude::*;

mod arrays;
mod arrow;
mod categorical;
mod clv;
mod columns;
mod data;
mod datasets;
mod dispatch;
mod errors;
mod features;
mod gmm;
mod kmeans;
mod labels;
mod metrics;
mod parquet_rows;
mod partial;
mod pca;
mod persist;
mod pipeline;
mod preprocessing;
mod profile;
mod progress;
mod segmenter;
mod select;
mod ward;

/// The compiled extension module, imported by the `segcore` Python package.
#[pymodule]
fn _segcore(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<kmeans::PyKMeansModel>()?;
    m.add_class::<kmeans::PyMiniBatchKMeansModel>()?;
    m.add_function(wrap_pyfunction!(kmeans::align_labels, m)?)?;
    m.add_class::<gmm::PyGaussianMixtureModel>()?;
    m.add_function(wrap_pyfunction!(gmm::select_mixture, m)?)?;
    m.add_class::<preprocessing::PyStandardScalerModel>()?;
    m.add_class::<ward::PyWardModel>()?;
    m.add_class::<pipeline::PyFeaturePipelineModel>()?;
    m.add_function(wrap_pyfunction!(ward::ward_linkage, m)?)?;
    m.add_function(wrap_pyfunction!(profile::profile_segments, m)?)?;
    m.add_class::<profile::PyProfileReport>()?;
    m.add_class::<profile::PyMigrationReport>()?;
    for f in [
        wrap_pyfunction!(profile::build_profile, m)?,
        wrap_pyfunction!(profile::explain_centroids, m)?,
        wrap_pyfunction!(profile::explain_mixture_document, m)?,
        wrap_pyfunction!(profile::migration, m)?,
        wrap_pyfunction!(profile::movers, m)?,
        wrap_pyfunction!(profile::segment_rules, m)?,
        wrap_pyfunction!(profile::pseudonymise, m)?,
    ] {
        m.add_function(f)?;
    }
    m.add_function(wrap_pyfunction!(datasets::make_b2b, m)?)?;
    m.add_function(wrap_pyfunction!(data::transaction_roles, m)?)?;
    m.add_function(wrap_pyfunction!(data::default_transaction_columns, m)?)?;
    m.add_function(wrap_pyfunction!(labels::feature_label, m)?)?;
    m.add_function(wrap_pyfunction!(labels::encode_labels, m)?)?;
    m.add_function(wrap_pyfunction!(features::behaviour_features, m)?)?;
    m.add_function(wrap_pyfunction!(features::segmentation_features, m)?)?;
    m.add_class::<pca::PyPcaModel>()?;
    metrics::register(m)?;
    m.add_function(wrap_pyfunction!(select::select_k, m)?)?;
    m.add_class::<segmenter::PySegmenterModel>()?;
    m.add_function(wrap_pyfunction!(features::default_rfm_rules, m)?)?;
    m.add_function(wrap_pyfunction!(features::rfm_scores, m)?)?;
    m.add_function(wrap_pyfunction!(features::abc_classes, m)?)?;
    m.add_function(wrap_pyfunction!(features::concentration, m)?)?;
    m.add_function(wrap_pyfunction!(features::lifecycle_stages, m)?)?;
    m.add_class::<categorical::PyKPrototypesModel>()?;
    m.add_class::<categorical::PyLatentClassModel>()?;
    m.add_function(wrap_pyfunction!(categorical::latent_class_table, m)?)?;
    m.add_function(wrap_pyfunction!(categorical::read_mixed, m)?)?;
    m.add_class::<categorical::PyMcaModel>()?;
    m.add_class::<categorical::PyCaModel>()?;
    m.add_class::<partial::PyKMeansDriver>()?;
    m.add_class::<partial::PyGmmDriver>()?;
    m.add_function(wrap_pyfunction!(partial::partition_task_run, m)?)?;
    m.add_function(wrap_pyfunction!(partial::partial_merge, m)?)?;
    m.add_function(wrap_pyfunction!(partial::partial_merge_partitions, m)?)?;
    m.add_function(wrap_pyfunction!(partial::log_last_day, m)?)?;
    m.add_function(wrap_pyfunction!(partial::scaler_from_moments, m)?)?;
    m.add_function(wrap_pyfunction!(partial::pca_from_moments, m)?)?;
    m.add_class::<parquet_rows::PyParquetRows>()?;
    m.add_function(wrap_pyfunction!(parquet_rows::parquet_rows_plan, m)?)?;
    m.add_class::<clv::PyBetaGeoModel>()?;
    m.add_class::<clv::PyParetoNbdModel>()?;
    m.add_class::<clv::PyGammaGammaModel>()?;
    m.add_function(wrap_pyfunction!(clv::clv_summary, m)?)?;
    m.add_function(wrap_pyfunction!(clv::segment_value, m)?)?;
    m.add_function(wrap_pyfunction!(clv::cross_sell, m)?)?;
    m.add_function(wrap_pyfunction!(clv::migration_forecast, m)?)?;
    Ok(())
}
