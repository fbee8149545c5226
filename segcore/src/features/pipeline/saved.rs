//! Persistence: a fitted pipeline is a segcore model document of kind `"feature-pipeline"`;
//! documents of the pipeline's earlier own format still load.

use super::*;

/// The `format` of the pipeline's own document before pipelines moved onto the shared
/// [`persist`](crate::persist) envelope (kind `"feature-pipeline"`); such documents still load.
const LEGACY_FORMAT_NAME: &str = "segcore.FeaturePipeline";

impl FeaturePipeline {
    /// Saves the fitted pipeline as a segcore model document (kind `"feature-pipeline"`: the
    /// spec and every fitted statistic). Floats round-trip exactly.
    pub fn to_json(&self) -> Result<String> {
        crate::persist::to_json(self)
    }

    /// Loads a pipeline saved by [`to_json`](Self::to_json) (from Rust or Python), checking the
    /// envelope, the version and the internal consistency so a damaged document is an error,
    /// never a panic later. Documents of the pipeline's earlier own format
    /// (`"format": "segcore.FeaturePipeline"`, version 1) load as well.
    pub fn from_json(document: &str) -> Result<FeaturePipeline> {
        #[derive(Deserialize)]
        struct Header {
            format: Option<String>,
            format_version: Option<u64>,
        }
        let header: Header = serde_json::from_str(document).map_err(|e| Error::ModelFormat {
            reason: format!("not a segcore model document: {e}"),
        })?;
        if header.format.as_deref() != Some(LEGACY_FORMAT_NAME) {
            return crate::persist::from_json(document);
        }
        if header.format_version != Some(1) {
            return Err(Error::ModelFormat {
                reason: format!(
                    "`format_version` is {:?}; this segcore reads {LEGACY_FORMAT_NAME} version 1",
                    header.format_version
                ),
            });
        }
        crate::persist::check_document_memory(document, "the feature pipeline")?;
        let pipeline: FeaturePipeline =
            serde_json::from_str(document).map_err(|e| Error::ModelFormat {
                reason: e.to_string(),
            })?;
        pipeline.validate()?;
        Ok(pipeline)
    }

    fn validate(&self) -> Result<()> {
        let bad = |reason: String| Err(Error::ModelFormat { reason });
        if let Err(e) = self.spec.check() {
            return bad(format!("invalid spec: {e}"));
        }
        if self.fitted.len() != self.spec.columns.len() {
            return bad(format!(
                "{} fitted columns for {} column specs",
                self.fitted.len(),
                self.spec.columns.len()
            ));
        }
        for (spec, fitted) in self.spec.columns.iter().zip(&self.fitted) {
            let numeric = match (spec.encoding, fitted) {
                (Encoding::Numeric, FittedColumn::Numeric(t)) => Some(t),
                (Encoding::Ordinal, FittedColumn::Ordinal { numeric, .. }) => Some(numeric),
                (Encoding::OneHot, FittedColumn::OneHot(_)) => None,
                _ => {
                    return bad(format!(
                        "column `{}`: fitted state does not match encoding {:?}",
                        spec.column, spec.encoding
                    ))
                }
            };
            if let Some(t) = numeric {
                let finite = t.center.is_finite()
                    && t.scale.is_finite()
                    && t.scale != 0.0
                    && t.fill.is_none_or(f64::is_finite)
                    && t.clip
                        .is_none_or(|(a, b)| a.is_finite() && b.is_finite() && a <= b);
                if !finite {
                    return bad(format!(
                        "column `{}`: non-finite or zero statistics",
                        spec.column
                    ));
                }
            }
        }
        for output in &self.outputs {
            let width = self
                .fitted
                .get(output.source)
                .map(|_| self.block_names(output.source).len());
            match width {
                Some(w) if output.block_column < w && output.factor.is_finite() => {}
                _ => {
                    return bad(format!(
                        "output column `{}` points outside the fitted columns",
                        output.name
                    ))
                }
            }
        }
        Ok(())
    }
}

impl crate::persist::SavedModel for FeaturePipeline {
    fn kind() -> String {
        "feature-pipeline".to_string()
    }

    fn validate(&self) -> Result<()> {
        FeaturePipeline::validate(self)
    }
}
