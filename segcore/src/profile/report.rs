//! Reports of a [`SegmentationProfile`]: JSON (serde), Markdown, and a self-contained HTML page
//! (inline CSS and SVG bars, no scripts, no network resources). Suppressed figures show as
//! "suppressed" / "unterdrückt", never as a number.

use super::names::Language;
use super::types::{NumericSummary, SegmentationProfile};
use crate::error::{Error, Result};
use std::fmt::Write;

fn number(x: f64) -> String {
    if x.abs() >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x.abs() >= 1e4 {
        format!("{:.1}k", x / 1e3)
    } else if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn percent(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

struct Words {
    language: Language,
}

impl Words {
    fn t<'a>(&self, en: &'a str, de: &'a str) -> &'a str {
        self.language.pick(en, de)
    }
    fn suppressed(&self) -> &'static str {
        self.language.pick("suppressed", "unterdrückt")
    }
    fn opt(&self, x: Option<String>) -> String {
        x.unwrap_or_else(|| self.suppressed().to_string())
    }
}

/// Escapes text for HTML element content, attribute values and SVG text as Python's
/// `html.escape` does (`&`, `<`, `>`, both quotes): the one escape of the crate's HTML (profile
/// and segmenter reports, the notebook summary).
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// Escapes the Markdown table separator.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn summary_text(s: &Option<NumericSummary>, w: &Words) -> (String, String) {
    match s {
        Some(s) => (
            number(s.mean),
            format!("{} / {} / {}", number(s.q1), number(s.median), number(s.q3)),
        ),
        None => (w.suppressed().into(), w.suppressed().into()),
    }
}

impl SegmentationProfile {
    /// The profile as pretty-printed JSON (every field; suppressed figures are `null`).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::ModelFormat {
            reason: format!("could not write the profile as JSON: {e}"),
        })
    }

    /// Reads a profile written by [`to_json`](Self::to_json).
    pub fn from_json(text: &str) -> Result<SegmentationProfile> {
        crate::persist::check_document_memory(text, "the segment profile")?;
        serde_json::from_str(text).map_err(|e| Error::ModelFormat {
            reason: format!("not a segment profile document: {e}"),
        })
    }

    /// A Markdown report: segment overview, value, numeric columns, categories, behaviour mix
    /// (RFM segments, lifecycle stages), fairness and warnings.
    ///
    /// ```
    /// use segcore::data::CustomerTable;
    /// use segcore::profile::{profile, ProfileParams};
    /// let ids = (0..30).map(|i| format!("C{i}")).collect();
    /// let mut t = CustomerTable::new(ids)?;
    /// t.add_numeric("frequency", (0..30).map(|i| (i % 3) as f64).collect())?;
    /// let labels: Vec<usize> = (0..30).map(|i| i % 3).collect();
    /// let md = profile(&t, &labels, &ProfileParams::new())?.to_markdown();
    /// assert!(md.starts_with("# Segment profile"));
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn to_markdown(&self) -> String {
        let w = Words {
            language: self.language,
        };
        let mut out = String::new();
        let _ = writeln!(out, "# {}\n", w.t("Segment profile", "Segmentprofil"));
        let _ = writeln!(
            out,
            "{} {}; {} {} {}",
            self.n_customers,
            w.t("customers", "Kunden"),
            w.t(
                "figures about fewer customers than",
                "Zahlen über weniger Kunden als"
            ),
            self.min_group_size,
            w.t("are suppressed.", "werden unterdrückt.")
        );
        let _ = writeln!(out, "\n## {}\n", w.t("Segments", "Segmente"));
        let value = self.revenue_column.is_some();
        let _ = write!(
            out,
            "| {} | {} | {} | {} |",
            w.t("segment", "Segment"),
            w.t("name", "Name"),
            w.t("customers", "Kunden"),
            w.t("share", "Anteil")
        );
        if value {
            let _ = write!(
                out,
                " {} | {} | Gini |",
                w.t("revenue share", "Umsatzanteil"),
                w.t("revenue / customer", "Umsatz / Kunde")
            );
            if self.margin_column.is_some() {
                let _ = write!(out, " {} |", w.t("margin share", "Margenanteil"));
            }
        }
        let _ = writeln!(out, " {} |", w.t("description", "Beschreibung"));
        let columns = 5 + if value {
            3 + usize::from(self.margin_column.is_some())
        } else {
            0
        };
        let _ = writeln!(out, "|{}", "---|".repeat(columns));
        for s in &self.segments {
            let _ = write!(
                out,
                "| {} | {} | {} | {} |",
                s.segment,
                cell(&s.name),
                w.opt(s.size.map(|x| x.to_string())),
                w.opt(s.share.map(percent))
            );
            if value {
                let v = s.value.as_ref();
                let _ = write!(
                    out,
                    " {} | {} | {} |",
                    w.opt(v.map(|v| percent(v.revenue_share))),
                    w.opt(v.map(|v| number(v.revenue_per_customer))),
                    w.opt(v.map(|v| format!("{:.2}", v.revenue_gini)))
                );
                if self.margin_column.is_some() {
                    let _ = write!(
                        out,
                        " {} |",
                        w.opt(v.and_then(|v| v.margin_share).map(percent))
                    );
                }
            }
            let _ = writeln!(out, " {} |", cell(&s.description));
        }

        if !self.numeric.is_empty() {
            let _ = writeln!(
                out,
                "\n## {}\n\n{}\n",
                w.t("Numeric columns", "Numerische Spalten"),
                w.t(
                    "Mean, quartiles (Q1 / median / Q3) and effect size d = (segment mean - base mean) / base std.",
                    "Mittelwert, Quartile (Q1 / Median / Q3) und Effektstärke d = (Segmentmittel - Gesamtmittel) / Gesamt-Standardabweichung."
                )
            );
            let _ = writeln!(
                out,
                "| {} | {} | {} | Q1 / {} / Q3 | d |\n|---|---|---|---|---|",
                w.t("column", "Spalte"),
                w.t("segment", "Segment"),
                w.t("mean", "Mittel"),
                w.t("median", "Median")
            );
            for col in &self.numeric {
                let (mean, quartiles) = summary_text(&col.base, &w);
                let _ = writeln!(
                    out,
                    "| {} | {} | {mean} | {quartiles} | |",
                    cell(&col.column),
                    w.t("all", "alle")
                );
                for (c, s) in col.segments.iter().zip(&self.segments) {
                    let (mean, quartiles) = summary_text(&c.summary, &w);
                    let d = c
                        .effect_size
                        .map(|d| format!("{d:+.2}"))
                        .unwrap_or_else(|| {
                            if c.summary.is_none() {
                                w.suppressed().into()
                            } else {
                                String::new()
                            }
                        });
                    let _ = writeln!(out, "| | {} | {mean} | {quartiles} | {d} |", cell(&s.name));
                }
            }
        }

        if !self.categorical.is_empty() {
            let _ = writeln!(
                out,
                "\n## {}\n",
                w.t("Categorical columns", "Kategoriale Spalten")
            );
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | Lift |\n|---|---|---|---|---|---|",
                w.t("column", "Spalte"),
                w.t("category", "Kategorie"),
                w.t("segment", "Segment"),
                w.t("customers", "Kunden"),
                w.t("share", "Anteil")
            );
            for col in &self.categorical {
                for (k, base_cell) in col.base.cells.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "| {} | {} | {} | {} | {} | |",
                        cell(&col.column),
                        cell(&base_cell.category),
                        w.t("all", "alle"),
                        w.opt(base_cell.count.map(|c| c.to_string())),
                        w.opt(base_cell.share.map(percent))
                    );
                    for (comp, s) in col.segments.iter().zip(&self.segments) {
                        let c = &comp.cells[k];
                        let _ = writeln!(
                            out,
                            "| | | {} | {} | {} | {} |",
                            cell(&s.name),
                            w.opt(c.count.map(|x| x.to_string())),
                            w.opt(c.share.map(percent)),
                            w.opt(c.lift.map(|l| format!("{l:.2}")))
                        );
                    }
                }
            }
        }

        for mix in &self.behaviour {
            let german = self.language == Language::German;
            let _ = writeln!(
                out,
                "\n## {}: {}\n\n{}\n",
                w.t("Behaviour mix", "Verhaltensmix"),
                mix.kind.title(german),
                w.t(
                    &format!(
                        "Share of each segment's customers by `{}` (lift against all customers).",
                        cell(&mix.column)
                    ),
                    &format!(
                        "Anteil der Kunden jedes Segments nach `{}` (Lift gegenüber allen Kunden).",
                        cell(&mix.column)
                    ),
                )
            );
            let _ = write!(out, "| {} |", w.t("segment", "Segment"));
            for category in &mix.categories {
                let _ = write!(out, " {} |", cell(category));
            }
            let _ = writeln!(out, "\n|{}", "---|".repeat(mix.categories.len() + 1));
            let _ = write!(out, "| {} |", w.t("all", "alle"));
            for share in &mix.base_shares {
                let _ = write!(out, " {} |", w.opt(share.map(percent)));
            }
            let _ = writeln!(out);
            for (m, s) in mix.segments.iter().zip(&self.segments) {
                let _ = write!(out, "| {} |", cell(&s.name));
                for (share, lift) in m.shares.iter().zip(&m.lifts) {
                    let text = match (share, lift) {
                        (Some(share), Some(lift)) => format!("{} ({lift:.2})", percent(*share)),
                        (Some(share), None) => percent(*share),
                        _ => w.suppressed().to_string(),
                    };
                    let _ = write!(out, " {text} |");
                }
                let _ = writeln!(out);
            }
        }

        for check in &self.fairness {
            let _ = writeln!(
                out,
                "\n## {}: {}\n\nCramér's V = {:.3}; {} {}.\n",
                w.t("Fairness", "Fairness"),
                cell(&check.column),
                check.cramers_v,
                w.t("warning threshold", "Warnschwelle"),
                check.threshold
            );
            let _ = writeln!(
                out,
                "| {} | {} |\n|---|---|",
                w.t("segment", "Segment"),
                w.t("divergence (bits)", "Divergenz (Bit)")
            );
            for (f, s) in check.segments.iter().zip(&self.segments) {
                let _ = writeln!(
                    out,
                    "| {} | {} |",
                    cell(&s.name),
                    w.opt(f.divergence.map(|d| format!("{d:.3}")))
                );
            }
        }
        if let Some(m) = &self.membership {
            let _ = writeln!(
                out,
                "\n## {}\n\n{} {}.\n",
                w.t("Membership", "Zugehörigkeit"),
                w.t(
                    "Uncertainty = 1 - largest segment probability; uncertain above",
                    "Unsicherheit = 1 - größte Segmentwahrscheinlichkeit; unsicher über"
                ),
                m.threshold
            );
            let _ = writeln!(
                out,
                "| {} | {} | {} |\n|---|---|---|",
                w.t("segment", "Segment"),
                w.t("mean uncertainty", "mittlere Unsicherheit"),
                w.t("uncertain customers", "unsichere Kunden")
            );
            for (m, s) in m.segments.iter().zip(&self.segments) {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} |",
                    cell(&s.name),
                    w.opt(m.mean_uncertainty.map(|u| format!("{u:.3}"))),
                    w.opt(m.n_uncertain.map(|n| n.to_string()))
                );
            }
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(out, "\n## {}\n", w.t("Warnings", "Warnungen"));
            for warning in &self.warnings {
                let _ = writeln!(out, "- {warning}");
            }
        }
        out
    }

    /// A self-contained HTML page (no scripts, no external resources): segment overview with
    /// inline SVG bars for share and revenue share, effect-size bars per segment, categories,
    /// behaviour mix as stacked bars.
    pub fn to_html(&self) -> String {
        let w = Words {
            language: self.language,
        };
        let mut out = String::new();
        let lang = match self.language {
            Language::English => "en",
            Language::German => "de",
        };
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title>\
             <style>body{{font-family:system-ui,sans-serif;margin:1.5em;color:#222}}\
             table{{border-collapse:collapse;margin:0.5em 0 1.5em}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:middle}}\
             th{{background:#f3f3f3}}.s{{color:#999;font-style:italic}}.w{{color:#a40}}</style></head><body>\n",
            title = w.t("Segment profile", "Segmentprofil")
        );
        let _ = writeln!(
            out,
            "<h1>{}</h1><p>{} {}; {} {} {}</p>",
            w.t("Segment profile", "Segmentprofil"),
            self.n_customers,
            w.t("customers", "Kunden"),
            w.t(
                "figures about fewer customers than",
                "Zahlen über weniger Kunden als"
            ),
            self.min_group_size,
            w.t("are suppressed.", "werden unterdrückt.")
        );
        let suppressed = format!("<span class=\"s\">{}</span>", w.suppressed());
        let bar = |fraction: f64, colour: &str| -> String {
            let width = (fraction.clamp(0.0, 1.0) * 120.0).round();
            format!(
                "<svg width=\"124\" height=\"12\" role=\"img\"><rect x=\"0\" y=\"1\" width=\"{width}\" height=\"10\" fill=\"{colour}\"/></svg> {}",
                percent(fraction)
            )
        };
        let _ = write!(
            out,
            "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>",
            w.t("Segments", "Segmente"),
            w.t("segment", "Segment"),
            w.t("name", "Name"),
            w.t("customers", "Kunden"),
            w.t("share", "Anteil")
        );
        let value = self.revenue_column.is_some();
        if value {
            let _ = write!(
                out,
                "<th>{}</th><th>{}</th>",
                w.t("revenue share", "Umsatzanteil"),
                w.t("revenue / customer", "Umsatz / Kunde")
            );
        }
        let _ = writeln!(out, "<th>{}</th></tr>", w.t("description", "Beschreibung"));
        for s in &self.segments {
            let _ = write!(
                out,
                "<tr><td>{}</td><td><b>{}</b></td><td>{}</td><td>{}</td>",
                s.segment,
                escape(&s.name),
                s.size
                    .map(|x| x.to_string())
                    .unwrap_or_else(|| suppressed.clone()),
                s.share
                    .map(|x| bar(x, "#4a7ab5"))
                    .unwrap_or_else(|| suppressed.clone())
            );
            if value {
                let v = s.value.as_ref();
                let _ = write!(
                    out,
                    "<td>{}</td><td>{}</td>",
                    v.map(|v| bar(v.revenue_share, "#3c9a5f"))
                        .unwrap_or_else(|| suppressed.clone()),
                    v.map(|v| number(v.revenue_per_customer))
                        .unwrap_or_else(|| suppressed.clone())
                );
            }
            let _ = writeln!(out, "<td>{}</td></tr>", escape(&s.description));
        }
        let _ = writeln!(out, "</table>");

        if !self.numeric.is_empty() {
            let _ = write!(
                out,
                "<h2>{}</h2><p>{}</p><table><tr><th>{}</th>",
                w.t("Effect sizes", "Effektstärken"),
                w.t(
                    "d = (segment mean - base mean) / base std; bars to the right: above the base.",
                    "d = (Segmentmittel - Gesamtmittel) / Gesamt-Standardabweichung; Balken nach rechts: über dem Durchschnitt."
                ),
                w.t("column", "Spalte")
            );
            for s in &self.segments {
                let _ = write!(out, "<th>{}</th>", escape(&s.name));
            }
            let _ = writeln!(out, "</tr>");
            for col in &self.numeric {
                let _ = write!(out, "<tr><td>{}</td>", escape(&col.column));
                for c in &col.segments {
                    match (c.effect_size, &c.summary) {
                        (Some(d), Some(summary)) => {
                            let half = 50.0;
                            let length = (d.abs().min(2.0) / 2.0 * half).round();
                            let x = if d >= 0.0 { half } else { half - length };
                            let colour = if d >= 0.0 { "#3c9a5f" } else { "#c0504d" };
                            let _ = write!(
                                out,
                                "<td><svg width=\"102\" height=\"12\" role=\"img\"><line x1=\"51\" y1=\"0\" x2=\"51\" y2=\"12\" stroke=\"#999\"/>\
                                 <rect x=\"{x}\" y=\"2\" width=\"{length}\" height=\"8\" fill=\"{colour}\"/></svg> {d:+.2} <small>({} {})</small></td>",
                                w.t("mean", "Mittel"),
                                number(summary.mean)
                            );
                        }
                        (None, Some(summary)) => {
                            let _ = write!(out, "<td>{}</td>", number(summary.mean));
                        }
                        (_, None) => {
                            let _ = write!(out, "<td>{suppressed}</td>");
                        }
                    }
                }
                let _ = writeln!(out, "</tr>");
            }
            let _ = writeln!(out, "</table>");
        }

        if !self.categorical.is_empty() {
            let _ = writeln!(
                out,
                "<h2>{}</h2>",
                w.t(
                    "Over-represented categories",
                    "Überrepräsentierte Kategorien"
                )
            );
            let _ = writeln!(
                out,
                "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>Lift</th></tr>",
                w.t("segment", "Segment"),
                w.t("category", "Kategorie"),
                w.t("share", "Anteil")
            );
            for s in &self.segments {
                for c in &s.over_represented {
                    let _ = writeln!(
                        out,
                        "<tr><td>{}</td><td>{} = {}</td><td>{}</td><td>{:.2}</td></tr>",
                        escape(&s.name),
                        escape(&c.column),
                        escape(&c.category),
                        bar(c.share, "#8064a2"),
                        c.lift
                    );
                }
            }
            let _ = writeln!(out, "</table>");
        }
        const PALETTE: [&str; 8] = [
            "#4a7ab5", "#3c9a5f", "#e0a030", "#c0504d", "#8064a2", "#4bacc6", "#9bbb59", "#7f7f7f",
        ];
        for mix in &self.behaviour {
            let german = self.language == Language::German;
            let _ = write!(
                out,
                "<h2>{}: {}</h2><p>{}</p><table><tr><th>{}</th><th></th>",
                w.t("Behaviour mix", "Verhaltensmix"),
                mix.kind.title(german),
                escape(&format!(
                    "{} `{}` ({})",
                    w.t(
                        "Share of each segment's customers by",
                        "Anteil der Kunden jedes Segments nach"
                    ),
                    mix.column,
                    w.t("lift against all customers", "Lift gegenüber allen Kunden")
                )),
                w.t("segment", "Segment")
            );
            for (c, category) in mix.categories.iter().enumerate() {
                let _ = write!(
                    out,
                    "<th><span style=\"color:{}\">&#9632;</span> {}</th>",
                    PALETTE[c % PALETTE.len()],
                    escape(category)
                );
            }
            let _ = writeln!(out, "</tr>");
            // One stacked bar per row: printed shares in colour, hidden ones as one grey rest.
            let stacked = |shares: &[Option<f64>]| -> String {
                let mut svg = String::from("<svg width=\"160\" height=\"12\" role=\"img\">");
                let mut x = 0.0;
                for (c, share) in shares.iter().enumerate() {
                    if let Some(share) = share {
                        let width = share.clamp(0.0, 1.0) * 160.0;
                        let _ = write!(
                            svg,
                            "<rect x=\"{x:.1}\" y=\"1\" width=\"{width:.1}\" height=\"10\" fill=\"{}\"/>",
                            PALETTE[c % PALETTE.len()]
                        );
                        x += width;
                    }
                }
                if x < 159.5 {
                    let _ = write!(
                        svg,
                        "<rect x=\"{x:.1}\" y=\"1\" width=\"{:.1}\" height=\"10\" fill=\"#ddd\"/>",
                        160.0 - x
                    );
                }
                svg.push_str("</svg>");
                svg
            };
            let _ = write!(
                out,
                "<tr><td><i>{}</i></td><td>{}</td>",
                w.t("all", "alle"),
                stacked(&mix.base_shares)
            );
            for share in &mix.base_shares {
                let _ = write!(
                    out,
                    "<td>{}</td>",
                    share.map(percent).unwrap_or_else(|| suppressed.clone())
                );
            }
            let _ = writeln!(out, "</tr>");
            for (m, s) in mix.segments.iter().zip(&self.segments) {
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td>{}</td>",
                    escape(&s.name),
                    stacked(&m.shares)
                );
                for (share, lift) in m.shares.iter().zip(&m.lifts) {
                    let text = match (share, lift) {
                        (Some(share), Some(lift)) => {
                            format!("{} <small>({lift:.2})</small>", percent(*share))
                        }
                        (Some(share), None) => percent(*share),
                        _ => suppressed.clone(),
                    };
                    let _ = write!(out, "<td>{text}</td>");
                }
                let _ = writeln!(out, "</tr>");
            }
            let _ = writeln!(out, "</table>");
        }
        for check in &self.fairness {
            let _ = writeln!(
                out,
                "<h2>Fairness: {}</h2><p>Cramér's V = {:.3}</p><table><tr><th>{}</th><th>{}</th></tr>",
                escape(&check.column),
                check.cramers_v,
                w.t("segment", "Segment"),
                w.t("divergence (bits)", "Divergenz (Bit)")
            );
            for (f, s) in check.segments.iter().zip(&self.segments) {
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td></tr>",
                    escape(&s.name),
                    f.divergence
                        .map(|d| format!("{d:.3}"))
                        .unwrap_or_else(|| suppressed.clone())
                );
            }
            let _ = writeln!(out, "</table>");
        }
        if !self.warnings.is_empty() {
            let _ = writeln!(out, "<h2>{}</h2><ul>", w.t("Warnings", "Warnungen"));
            for warning in &self.warnings {
                let _ = writeln!(out, "<li class=\"w\">{}</li>", escape(warning));
            }
            let _ = writeln!(out, "</ul>");
        }
        let _ = writeln!(out, "</body></html>");
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::data::CustomerTable;
    use crate::profile::{profile, Language, ProfileParams, SegmentationProfile};

    fn example(language: Language) -> SegmentationProfile {
        let n = 65;
        let ids = (0..n).map(|i| format!("C{i}")).collect();
        let mut t = CustomerTable::new(ids).unwrap();
        t.add_numeric("monetary", (0..n).map(|i| (i * 100) as f64).collect())
            .unwrap();
        let channel: Vec<Option<&str>> = (0..n)
            .map(|i| {
                Some(if (30..40).contains(&i) {
                    "<web>"
                } else {
                    "EDI"
                })
            })
            .collect();
        t.add_categorical("channel", &channel).unwrap();
        // segment 2 has 5 customers: suppressed, with segment 0 as its complement (else its
        // figures would follow from the totals); segments 1 and 3 are published.
        let labels: Vec<usize> = (0..n)
            .map(|i| {
                if i < 20 {
                    0
                } else if i < 40 {
                    1
                } else if i < 45 {
                    2
                } else {
                    3
                }
            })
            .collect();
        profile(
            &t,
            &labels,
            &ProfileParams::new().revenue("monetary").language(language),
        )
        .unwrap()
    }

    #[test]
    fn reports_mark_suppression_and_need_no_network() {
        let p = example(Language::English);
        let md = p.to_markdown();
        assert!(md.contains("suppressed"), "{md}");
        let html = p.to_html();
        assert!(html.contains("<svg"));
        assert!(html.contains("&lt;web&gt;"), "text is escaped");
        for needle in ["http://", "https://", "<script", "<link", "src="] {
            assert!(!html.contains(needle), "{needle} in the HTML report");
        }
        let de = example(Language::German).to_markdown();
        assert!(
            de.contains("unterdrückt") && de.contains("Segmente"),
            "{de}"
        );
    }

    #[test]
    fn behaviour_mix_section() {
        let n = 90;
        let ids = (0..n).map(|i| format!("C{i}")).collect();
        let mut t = CustomerTable::new(ids).unwrap();
        // Segment s: 20 customers in stage s, 5 in each other (small cells with small partners).
        let stages = ["active", "at risk", "lapsed"];
        let stage: Vec<Option<&str>> = (0..n)
            .map(|i| {
                let (s, j) = (i / 30, i % 30);
                Some(
                    stages[if j < 20 {
                        s
                    } else if j < 25 {
                        (s + 1) % 3
                    } else {
                        (s + 2) % 3
                    }],
                )
            })
            .collect();
        t.add_categorical("lifecycle_stage", &stage).unwrap();
        let labels: Vec<usize> = (0..n).map(|i| i / 30).collect();
        for language in [Language::English, Language::German] {
            let p = profile(&t, &labels, &ProfileParams::new().language(language)).unwrap();
            assert_eq!(p.behaviour.len(), 1);
            let mix = &p.behaviour[0];
            // segment 1: 20 at risk of 30 (lift (20/30) / (30/90) = 2)
            assert_eq!(mix.segments[1].dominant.as_deref(), Some("at risk"));
            let at_risk = mix.categories.iter().position(|c| c == "at risk").unwrap();
            assert!((mix.segments[1].lifts[at_risk].unwrap() - 2.0).abs() < 1e-12);
            assert_eq!(mix.segments[1].shares[0], None, "5 active: suppressed");
            let md = p.to_markdown();
            let html = p.to_html();
            let title = if language == Language::German {
                "Lebenszyklusphasen"
            } else {
                "Lifecycle stages"
            };
            assert!(md.contains(title) && html.contains(title), "{md}");
            assert!(md.contains("66.7 % (2.00)"), "{md}");
        }
    }

    /// A profile with every section the reports render: value with margin, numeric and
    /// categorical columns, a behaviour mix, a fairness check, membership and warnings, a
    /// suppressed segment, and text to escape in both formats.
    fn every_section(language: Language) -> SegmentationProfile {
        let n = 90;
        let ids = (0..n).map(|i| format!("C{i}")).collect();
        let mut t = CustomerTable::new(ids).unwrap();
        t.add_numeric("monetary", (0..n).map(|i| (i * i * 37) as f64).collect())
            .unwrap();
        t.add_numeric("margin", (0..n).map(|i| (i * 11 % 70) as f64).collect())
            .unwrap();
        t.add_numeric("visits", (0..n).map(|i| (i % 7) as f64 - 2.5).collect())
            .unwrap();
        let channel: Vec<Option<&str>> = (0..n)
            .map(|i| Some(["<web>", "EDI", "a|b & \"c\"", "shop's"][(i * 5 / 7) % 4]))
            .collect();
        t.add_categorical("channel", &channel).unwrap();
        let stages = ["active", "at risk", "lapsed"];
        let stage: Vec<Option<&str>> = (0..n).map(|i| Some(stages[(i / 4) % 3])).collect();
        t.add_categorical("lifecycle_stage", &stage).unwrap();
        let region: Vec<Option<&str>> = (0..n)
            .map(|i| Some(if i % 3 == 0 { "north" } else { "south" }))
            .collect();
        t.add_categorical("region", &region).unwrap();
        // Segment 3 has 6 customers: suppressed at the default minimum group size.
        let labels: Vec<usize> = (0..n)
            .map(|i| match i {
                0..=29 => 0,
                30..=59 => 1,
                60..=83 => 2,
                _ => 3,
            })
            .collect();
        let mut p = profile(
            &t,
            &labels,
            &ProfileParams::new()
                .revenue("monetary")
                .margin("margin")
                .sensitive("region")
                .name(1, "Big | <spenders>")
                // German: every segment published; English: the smallest two suppressed.
                .min_group_size(if language == Language::German { 5 } else { 10 })
                .language(language),
        )
        .unwrap();
        let uncertainty: Vec<f64> = (0..n).map(|i| (i % 10) as f64 / 20.0).collect();
        p.add_membership(&labels, &uncertainty, 0.2).unwrap();
        p.warnings.push("a warning with <markup> & | pipes".into());
        p
    }

    #[test]
    fn reports_stay_byte_identical() {
        // The reports as they were written before the section model: any change to their text
        // shows here.
        let golden = [
            (
                Language::English,
                include_str!("../../../tests/fixtures/profile_report/en.md"),
                include_str!("../../../tests/fixtures/profile_report/en.html"),
            ),
            (
                Language::German,
                include_str!("../../../tests/fixtures/profile_report/de.md"),
                include_str!("../../../tests/fixtures/profile_report/de.html"),
            ),
        ];
        for (language, md, html) in golden {
            let p = every_section(language);
            assert_eq!(p.to_markdown(), md, "{language:?} Markdown");
            assert_eq!(p.to_html(), html, "{language:?} HTML");
        }
    }

    #[test]
    fn json_round_trip() {
        let p = example(Language::English);
        let json = p.to_json().unwrap();
        assert!(json.contains("\"size\": null"), "suppressed size is null");
        assert_eq!(SegmentationProfile::from_json(&json).unwrap(), p);
        assert!(SegmentationProfile::from_json("{}").is_err());
    }
}
