//! The text summary of a fitted [`Segmenter`] (`{model}`): spec, model features, the evidence
//! for k, and the named segments.

use super::model::Segmenter;
use super::{Algorithm, NClusters, Reduction};
use crate::profile::report::escape;
use crate::select::select_k::Criterion;
use std::fmt::{self, Write};

impl fmt::Display for Segmenter {
    /// Spec, features, k with its evidence and the segments, as the examples print them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let params = self.params();
        let algorithm = match params.algorithm {
            Algorithm::KMeans => "k-means".to_string(),
            Algorithm::Ward => "Ward".to_string(),
            Algorithm::GaussianMixture(c) => format!("Gaussian mixture ({c} covariance)"),
            Algorithm::KPrototypes => "k-prototypes (categorical columns natively)".to_string(),
            Algorithm::LatentClass => "latent class (categorical columns natively)".to_string(),
        };
        writeln!(
            f,
            "Segmenter: {} segments, {algorithm}, trained on {} customers",
            self.n_segments(),
            self.labels().len()
        )?;
        writeln!(f, "\nColumn spec:\n{}", self.spec())?;
        let report = self.pipeline().report();
        if !report.constant_columns.is_empty() {
            writeln!(
                f,
                "  dropped as constant: {}",
                report.constant_columns.join(", ")
            )?;
        }
        if let Some(pca) = self.pca() {
            let kept: f64 = pca.explained_variance_ratio().sum();
            let how = match params.reduction {
                Reduction::VarianceFraction(v) => {
                    format!(" (asked: {:.0} % of the variance)", 100.0 * v)
                }
                _ => String::new(),
            };
            writeln!(
                f,
                "PCA: {} of {} features kept, {:.1} % of the variance{how}",
                pca.n_components(),
                pca.n_features(),
                100.0 * kept
            )?;
        }
        writeln!(
            f,
            "{} model features: {}",
            self.feature_names_out().len(),
            self.feature_names_out().join(", ")
        )?;
        match (self.selection(), self.k_choice()) {
            (None, Some(choice)) => {
                let (name, which) = match choice.criterion {
                    Criterion::Bic => ("BIC", "lowest"),
                    _ => ("mixed-distance silhouette", "highest"),
                };
                writeln!(
                    f,
                    "\nNumber of segments: {} (chosen among {}..={}: {which} {name})",
                    choice.recommended_k,
                    choice.table.first().map_or(0, |r| r.k),
                    choice.table.last().map_or(0, |r| r.k),
                )?;
                writeln!(f, "  {:>3} {:>14} {:>14}", "k", name, "cost")?;
                for row in &choice.table {
                    let value = row.value.map_or("-".to_string(), |v| format!("{v:.3}"));
                    writeln!(f, "  {:>3} {:>14} {:>14.1}", row.k, value, row.cost)?;
                }
            }
            (None, None) => writeln!(f, "\nNumber of segments: {} (fixed)", self.n_segments())?,
            (Some(selection), _) => {
                writeln!(
                    f,
                    "\nNumber of segments: {} (chosen among {}..={} with {}; criteria agree: {})",
                    selection.recommended_k,
                    selection.table.first().map_or(0, |r| r.k),
                    selection.table.last().map_or(0, |r| r.k),
                    selection.method.name(),
                    if selection.criteria_agree {
                        "yes"
                    } else {
                        "no"
                    }
                )?;
                writeln!(
                    f,
                    "  {:>3} {:>12} {:>10} {:>12} {:>10} {:>8} {:>10} {:>12}",
                    "k",
                    "inertia",
                    "silhouette",
                    "Calinski-H.",
                    "Davies-B.",
                    "gap",
                    "stability",
                    "BIC"
                )?;
                let opt = |x: Option<f64>, digits: usize| {
                    x.map_or("-".to_string(), |v| format!("{v:.digits$}"))
                };
                for row in &selection.table {
                    writeln!(
                        f,
                        "  {:>3} {:>12.1} {:>10.3} {:>12.1} {:>10.3} {:>8} {:>10} {:>12}",
                        row.k,
                        row.inertia,
                        row.silhouette,
                        row.calinski_harabasz,
                        row.davies_bouldin,
                        opt(row.gap, 3),
                        opt(row.stability_mean, 3),
                        opt(row.bic, 1)
                    )?;
                }
                let mut votes = String::new();
                for (i, v) in selection.votes.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    let k = v.k.map_or("abstains".to_string(), |k| k.to_string());
                    let _ = write!(votes, "{sep}{} -> {k}", v.criterion.name());
                }
                writeln!(f, "  votes: {votes}")?;
                writeln!(f, "  {}", selection.reason)?;
            }
        }
        writeln!(f, "\nSegments:")?;
        for s in &self.profile().segments {
            let size = s.size.map_or("suppressed".to_string(), |x| x.to_string());
            let share = s
                .share
                .map_or(String::new(), |x| format!(" ({:.1} %)", 100.0 * x));
            let value = s.value.as_ref().map_or(String::new(), |v| {
                let margin = v.margin_share.map_or(String::new(), |m| {
                    format!(", margin share {:.1} %", 100.0 * m)
                });
                format!(", revenue share {:.1} %{margin}", 100.0 * v.revenue_share)
            });
            writeln!(
                f,
                "  {} {}: {size} customers{share}{value}",
                s.segment,
                self.segment_names()
                    .get(s.segment)
                    .map_or(s.name.as_str(), String::as_str)
            )?;
            writeln!(f, "    {}", s.description)?;
        }
        let extreme = self.extreme_customers();
        if !extreme.is_empty() {
            // Ids are listed only in the user's own summary of their own fit; the profile and
            // reports publish aggregates.
            writeln!(
                f,
                "\nExtreme customers: {} (beyond {} robust SDs on a feature; left out of the \
                 clustering, then assigned to the nearest segment)",
                extreme.len(),
                super::extreme::EXTREME_ROBUST_SDS
            )?;
            let params = self.params();
            for c in extreme.iter().take(20) {
                writeln!(
                    f,
                    "  {} -> {}: {}",
                    c.id,
                    self.segment_names()
                        .get(c.segment)
                        .map_or("?", String::as_str),
                    super::extreme::extreme_note(
                        &c.feature,
                        c.robust_sds,
                        params.language,
                        &params.labels
                    )
                )?;
            }
            if extreme.len() > 20 {
                writeln!(f, "  ... and {} more", extreme.len() - 20)?;
            }
        }
        if let Some(value) = self.value() {
            super::value::write_summary(f, self, value)?;
        }
        Ok(())
    }
}

impl Segmenter {
    /// The model as the HTML block a notebook shows (Python's `Segmenter._repr_html_`): the
    /// segments with their size, share and description (suppressed segments say so), the
    /// reason for k when `select_k` chose it, and the column spec in a fold.
    pub fn repr_html(&self) -> String {
        let params = self.params();
        let algorithm = match params.algorithm {
            Algorithm::KMeans => "kmeans".to_string(),
            Algorithm::Ward => "ward".to_string(),
            Algorithm::GaussianMixture(c) => format!("gmm ({})", c.name()),
            Algorithm::KPrototypes => "kprototypes".to_string(),
            Algorithm::LatentClass => "latent_class".to_string(),
        };
        let how = match params.n_clusters {
            NClusters::Fixed(_) => "fixed",
            NClusters::Auto { .. } => "chosen by select_k",
        };
        let mut html = format!(
            "<div class='segcore-segmenter'><h4>Segmenter: {} segments ({algorithm}, k {how})</h4>\
             <table><thead><tr><th>segment</th><th>name</th><th>customers</th><th>share</th>\
             <th>description</th></tr></thead><tbody>",
            self.n_segments()
        );
        for s in &self.profile().segments {
            let size = s.size.map_or("suppressed".to_string(), |n| n.to_string());
            let share = s
                .share
                .map_or(String::new(), |v| format!("{:.1}%", 100.0 * v));
            let _ = write!(
                html,
                "<tr><td>{}</td><td><b>{}</b></td><td>{size}</td><td>{share}</td><td>{}</td></tr>",
                s.segment,
                escape(&s.name),
                escape(&s.description)
            );
        }
        html.push_str("</tbody></table>");
        if let Some(selection) = self.selection() {
            let _ = write!(
                html,
                "<p><b>Why k = {}:</b> {}</p>",
                selection.recommended_k,
                escape(&selection.reason)
            );
        }
        let _ = write!(
            html,
            "<details><summary>column spec ({} columns)</summary><pre>{}</pre></details></div>",
            self.spec().columns.len(),
            escape(&self.spec().to_string())
        );
        html
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::{make_b2b, B2bParams};
    use crate::segmenter::SegmenterParams;

    #[test]
    fn repr_html_lists_segments_the_reason_for_k_and_the_spec() {
        let data = make_b2b(&B2bParams {
            n_customers: 300,
            ..B2bParams::default()
        })
        .unwrap();
        let model = SegmenterParams::new()
            .n_clusters(NClusters::Auto { min: 3, max: 4 })
            .min_group_size(1_000)
            .fit(&data.customers, Some(&data.transactions))
            .unwrap();
        let html = model.repr_html();
        assert!(html.starts_with("<div class='segcore-segmenter'><h4>Segmenter: "));
        assert!(html.contains("(kmeans, k chosen by select_k)"));
        for name in model.segment_names() {
            assert!(html.contains(&format!("<b>{}</b>", escape(name))));
        }
        // Every segment is below min_group_size: no size or share is shown.
        assert!(html.contains("<td>suppressed</td><td></td>"));
        let reason = &model.selection().unwrap().reason;
        assert!(html.contains(&escape(reason)));
        assert!(html.contains(&format!(
            "column spec ({} columns)",
            model.spec().columns.len()
        )));
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
        );
    }
}
