//! The segmentation report: one self-contained HTML page (inline CSS and SVG, no script, no
//! network resource) that a sales manager reads on screen or prints on A4.
//!
//! Sections, in reading order: the data (source, date range, currency, customers), the segments
//! with their customer, revenue and margin shares side by side, what sets each segment apart (a
//! heatmap of effect sizes, explained in words), why this many segments (the evidence of the k
//! choice), and how concentrated revenue is (the Lorenz curve).
//!
//! Invariant: the report prints only what the profile publishes; a figure the privacy rules hide
//! shows as "suppressed", never as a number. Every feature name a person reads passes through
//! [`ReportContext::label_of`]: the report's label, else the model's (`SegmenterParams::labels`),
//! else the one label source of segment names, [`display_label`] (built-in label, else the name
//! made readable).

use super::model::Segmenter;
use super::Algorithm;
use crate::data::{Date, TransactionLog};
use crate::profile::labels::{builtin_label, display_label, Unit};
use crate::profile::report::escape;
use crate::profile::{Language, SegmentationProfile};
use crate::select::select_k::Criterion;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write;

/// What the model does not know about the data and the reader needs: where the data comes from,
/// which period it covers, the currency, and readable names and units of the columns.
///
/// ```
/// use segcore::profile::Language;
/// use segcore::segmenter::ReportContext;
/// let context = ReportContext::new()
///     .title("Customer segments 2024")
///     .source("ERP export, customers and invoices")
///     .currency("EUR")
///     .unit("recency_days", "days")
///     .label("recency_days", "days since the last order");
/// let none = Default::default();
/// assert_eq!(context.label_of("recency_days", Language::English, &none), "days since the last order");
/// assert_eq!(context.label_of("order_count", Language::English, &none), "order count");
/// assert_eq!(context.label_of("monetary", Language::German, &none), "Nettoumsatz");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportContext {
    /// Page title; default "Customer segments" (German: "Kundensegmente").
    pub title: Option<String>,
    /// Where the data comes from, in the reader's words (e.g. "ERP export of 2024-12-31").
    pub source: Option<String>,
    /// First and last day of the transactions the segmentation saw.
    pub date_range: Option<(Date, Date)>,
    /// Currency of the revenue and margin figures (e.g. "EUR").
    pub currency: Option<String>,
    /// Unit of a column (e.g. `"recency_days"` -> `"days"`); revenue and margin columns are in
    /// the currency.
    pub units: BTreeMap<String, String>,
    /// Readable label of a column; columns without one get the model's label or the built-in
    /// one ([`display_label`]).
    pub labels: BTreeMap<String, String>,
}

impl ReportContext {
    /// An empty context: default title, no source, no date range, no currency.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the page title.
    pub fn title(mut self, title: &str) -> Self {
        self.title = Some(title.to_string());
        self
    }

    /// Sets the data source.
    pub fn source(mut self, source: &str) -> Self {
        self.source = Some(source.to_string());
        self
    }

    /// Sets the date range of the data.
    pub fn date_range(mut self, first: Date, last: Date) -> Self {
        self.date_range = Some((first.min(last), first.max(last)));
        self
    }

    /// Takes the date range from a transaction log (its first and last day; unchanged for an
    /// empty log).
    pub fn date_range_of(mut self, log: &TransactionLog) -> Self {
        if let Some((first, last)) = log.date_range() {
            self.date_range = Some((first, last));
        }
        self
    }

    /// Sets the currency.
    pub fn currency(mut self, currency: &str) -> Self {
        self.currency = Some(currency.to_string());
        self
    }

    /// Sets the unit of one column.
    pub fn unit(mut self, column: &str, unit: &str) -> Self {
        self.units.insert(column.to_string(), unit.to_string());
        self
    }

    /// Sets the readable label of one column.
    pub fn label(mut self, column: &str, label: &str) -> Self {
        self.labels.insert(column.to_string(), label.to_string());
        self
    }

    /// The label a person reads for `column`: this context's, else `model_labels` (the
    /// model's own, `SegmenterParams::labels`), else the built-in label or the name made
    /// readable ([`display_label`], the source segment names use too).
    pub fn label_of(
        &self,
        column: &str,
        language: Language,
        model_labels: &BTreeMap<String, String>,
    ) -> String {
        match self.labels.get(column) {
            Some(label) => label.clone(),
            None => display_label(column, language, model_labels),
        }
    }

    /// The unit of `column`: this context's, else the currency for the revenue and margin
    /// columns, else the built-in feature's unit (money in the context's currency; none when
    /// the context names no currency).
    fn unit_of(
        &self,
        column: &str,
        profile: &SegmentationProfile,
        language: Language,
    ) -> Option<String> {
        if let Some(unit) = self.units.get(column) {
            return Some(unit.clone());
        }
        let money = profile.revenue_column.as_deref() == Some(column)
            || profile.margin_column.as_deref() == Some(column);
        if money {
            return self.currency.clone();
        }
        match builtin_label(column, language)?.unit? {
            Unit::Currency => self.currency.clone(),
            unit => Some(unit.text(language, "")),
        }
    }
}

/// `1234567.8` -> `1,234,568` (German `1.234.568`); two decimals below 10.
fn amount(x: f64, language: Language) -> String {
    if !x.is_finite() {
        return "-".into();
    }
    if x.abs() < 10.0 {
        let text = format!("{x:.2}");
        return match language {
            Language::German => text.replace('.', ","),
            Language::English => text,
        };
    }
    let digits = format!("{:.0}", x.abs());
    let separator = language.pick(",", ".");
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push_str(separator);
        }
        grouped.push(c);
    }
    if x < 0.0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

fn percent(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

/// An effect size in words: how far a segment's mean is from the base mean, in base standard
/// deviations (Cohen's conventional steps 0.2, 0.5, 0.8).
fn effect_words(d: f64, language: Language) -> &'static str {
    let (en, de) = match d {
        d if d >= 0.8 => ("much higher", "viel höher"),
        d if d >= 0.5 => ("clearly higher", "deutlich höher"),
        d if d >= 0.2 => ("somewhat higher", "etwas höher"),
        d if d > -0.2 => ("about average", "etwa durchschnittlich"),
        d if d > -0.5 => ("somewhat lower", "etwas niedriger"),
        d if d > -0.8 => ("clearly lower", "deutlich niedriger"),
        _ => ("much lower", "viel niedriger"),
    };
    language.pick(en, de)
}

/// Diverging colour of an effect size: white at 0, green above, red below, full at |d| >= 2.
fn effect_colour(d: f64) -> (String, &'static str) {
    let t = (d / 2.0).clamp(-1.0, 1.0);
    let (r, g, b) = if t >= 0.0 {
        (46.0, 125.0, 50.0)
    } else {
        (198.0, 40.0, 40.0)
    };
    let a = t.abs();
    let mix = |c: f64| (255.0 + (c - 255.0) * a).round() as u8;
    let text = if a > 0.55 { "#fff" } else { "#222" };
    (format!("rgb({},{},{})", mix(r), mix(g), mix(b)), text)
}

const PALETTE: [&str; 8] = [
    "#4a7ab5", "#e0a030", "#3c9a5f", "#c0504d", "#8064a2", "#4bacc6", "#9bbb59", "#7f7f7f",
];

const STYLE: &str = "\
body{font-family:'DejaVu Sans',system-ui,sans-serif;font-size:10.5pt;color:#222;margin:1.5em auto;max-width:190mm;line-height:1.35}\
h1{font-size:18pt;margin:0 0 .2em}h2{font-size:13pt;margin:1.2em 0 .4em;border-bottom:1px solid #bbb;padding-bottom:2px}\
p{margin:.3em 0 .6em}.meta{color:#555}.meta b{color:#222}\
table{border-collapse:collapse;margin:.4em 0 .8em;width:100%}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:middle}\
th{background:#f0f0f0;font-weight:600}table.segments td:last-child{width:45%}td.n{text-align:right;white-space:nowrap}tr.chosen td{background:#fff6d6;font-weight:600}\
.s{color:#888;font-style:italic}.w{color:#a40}.note{font-size:9pt;color:#444}.key{display:inline-block;width:.8em;height:.8em;margin-right:.3em;vertical-align:-1px}\
svg{display:block;margin:.3em 0}svg text{font-family:'DejaVu Sans',sans-serif}\
@page{size:A4;margin:12mm}\
@media print{body{margin:0;max-width:none;font-size:9.5pt}section{break-inside:avoid}h2{break-after:avoid}tr{break-inside:avoid}}";

impl Segmenter {
    /// The report of this segmentation as one self-contained HTML page (see the
    /// [module documentation](self)); `context` says what the model does not know (source,
    /// period, currency, labels).
    ///
    /// ```
    /// use segcore::datasets::{make_b2b, B2bParams};
    /// use segcore::segmenter::{NClusters, ReportContext, SegmenterParams};
    ///
    /// let data = make_b2b(&B2bParams { n_customers: 300, ..B2bParams::default() })?;
    /// let model = SegmenterParams::new()
    ///     .n_clusters(NClusters::Fixed(4))
    ///     .fit(&data.customers, Some(&data.transactions))?;
    /// let context = ReportContext::new().currency("EUR").date_range_of(&data.transactions);
    /// let html = model.report_html(&context);
    /// assert!(html.contains("<svg") && html.contains("EUR"));
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn report_html(&self, context: &ReportContext) -> String {
        Report {
            model: self,
            profile: self.profile(),
            context,
            language: self.profile().language,
        }
        .render()
    }

    /// Writes [`report_html`](Self::report_html) to `path` (what Python's `save_report` does);
    /// an error names the file.
    ///
    /// ```
    /// use segcore::datasets::{make_b2b, B2bParams};
    /// use segcore::segmenter::{NClusters, ReportContext, SegmenterParams};
    ///
    /// let data = make_b2b(&B2bParams { n_customers: 200, ..B2bParams::default() })?;
    /// let model = SegmenterParams::new()
    ///     .n_clusters(NClusters::Fixed(3))
    ///     .fit(&data.customers, Some(&data.transactions))?;
    /// let path = std::env::temp_dir().join(format!("segcore-doc-report-{}.html", std::process::id()));
    /// model.save_report(&path, &ReportContext::new().currency("EUR"))?;
    /// assert!(std::fs::read_to_string(&path)?.contains("<svg"));
    /// std::fs::remove_file(&path)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn save_report(
        &self,
        path: impl AsRef<std::path::Path>,
        context: &ReportContext,
    ) -> crate::Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.report_html(context)).map_err(|source| crate::Error::Io {
            path: path.display().to_string(),
            source,
        })
    }
}

struct Report<'a> {
    model: &'a Segmenter,
    profile: &'a SegmentationProfile,
    context: &'a ReportContext,
    language: Language,
}

impl Report<'_> {
    fn t<'s>(&self, en: &'s str, de: &'s str) -> &'s str {
        self.language.pick(en, de)
    }

    fn suppressed(&self) -> String {
        format!(
            "<span class=\"s\">{}</span>",
            self.t("suppressed", "unterdrückt")
        )
    }

    fn name(&self, segment: usize, fallback: &str) -> String {
        self.model
            .segment_names()
            .get(segment)
            .cloned()
            .unwrap_or_else(|| fallback.to_string())
    }

    fn label(&self, column: &str) -> String {
        self.context
            .label_of(column, self.language, &self.model.params().labels)
    }

    fn money(&self, x: f64) -> String {
        match &self.context.currency {
            Some(c) => format!("{} {}", amount(x, self.language), escape(c)),
            None => amount(x, self.language),
        }
    }

    fn render(&self) -> String {
        let mut out = String::new();
        let lang = match self.language {
            Language::English => "en",
            Language::German => "de",
        };
        let title = self
            .context
            .title
            .clone()
            .unwrap_or_else(|| self.t("Customer segments", "Kundensegmente").to_string());
        let _ = writeln!(
            out,
            "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width\"><title>{}</title>\
             <style>{STYLE}</style></head><body>",
            escape(&title)
        );
        let _ = writeln!(out, "<h1>{}</h1>", escape(&title));
        self.data_section(&mut out);
        self.segments_section(&mut out);
        self.heatmap_section(&mut out);
        self.k_section(&mut out);
        self.lorenz_section(&mut out);
        if !self.profile.warnings.is_empty() {
            let _ = writeln!(out, "<section><h2>{}</h2><ul>", self.t("Notes", "Hinweise"));
            for warning in &self.profile.warnings {
                let _ = writeln!(out, "<li class=\"w\">{}</li>", escape(warning));
            }
            let _ = writeln!(out, "</ul></section>");
        }
        let _ = writeln!(
            out,
            "<p class=\"note\">segcore {} &middot; {}</p></body></html>",
            env!("CARGO_PKG_VERSION"),
            self.t(
                "every figure computed by segcore's core; no figure about fewer customers than the threshold above is shown",
                "alle Zahlen aus segcores Kern berechnet; keine Zahl über weniger Kunden als die obige Schwelle wird gezeigt"
            )
        );
        out
    }

    fn data_section(&self, out: &mut String) {
        let p = self.profile;
        let mut items: Vec<String> = Vec::new();
        if let Some(source) = &self.context.source {
            items.push(format!(
                "<b>{}:</b> {}",
                self.t("Data", "Daten"),
                escape(source)
            ));
        }
        if let Some((first, last)) = self.context.date_range {
            items.push(format!(
                "<b>{}:</b> {first} {} {last}",
                self.t("Period", "Zeitraum"),
                self.t("to", "bis")
            ));
        }
        if let Some(behaviour) = &self.model.state.behaviour {
            items.push(format!(
                "<b>{}:</b> {}",
                self.t("Behaviour as of", "Verhalten zum Stichtag"),
                behaviour.as_of_at_fit
            ));
        }
        items.push(format!(
            "<b>{}:</b> {}",
            self.t("Customers", "Kunden"),
            amount(p.n_customers as f64, self.language)
        ));
        if let Some(currency) = &self.context.currency {
            items.push(format!(
                "<b>{}:</b> {}",
                self.t("Currency", "Währung"),
                escape(currency)
            ));
        }
        let algorithm = match self.model.params().algorithm {
            Algorithm::KMeans => "k-means".to_string(),
            Algorithm::Ward => "Ward".to_string(),
            Algorithm::GaussianMixture(c) => format!("Gaussian mixture ({c})"),
            Algorithm::KPrototypes => "k-prototypes".to_string(),
            Algorithm::LatentClass => self.t("latent classes", "latente Klassen").to_string(),
        };
        items.push(format!(
            "<b>{}:</b> {} ({algorithm})",
            self.t("Segments", "Segmente"),
            self.model.n_segments()
        ));
        let _ = writeln!(
            out,
            "<section><p class=\"meta\">{}</p><p class=\"note\">{} {} {}</p></section>",
            items.join(" &middot; "),
            self.t(
                "Privacy: figures about fewer than",
                "Datenschutz: Zahlen über weniger als"
            ),
            p.min_group_size,
            self.t(
                "customers are suppressed, together with the figures that would reveal them.",
                "Kunden werden unterdrückt, zusammen mit den Zahlen, die sie verraten würden."
            )
        );
    }

    fn segments_section(&self, out: &mut String) {
        let p = self.profile;
        let value = p.revenue_column.is_some();
        let margin = p.margin_column.is_some();
        let _ = writeln!(
            out,
            "<section><h2>{}</h2>",
            self.t("Segments at a glance", "Segmente auf einen Blick")
        );
        // The grouped bar chart: customers, revenue and margin share of each segment side by side.
        // (name, colour, which share: 0 customers, 1 revenue, 2 margin)
        let series: Vec<(&str, &str, usize)> = [
            Some((self.t("customers", "Kunden"), PALETTE[0], 0)),
            value.then(|| (self.t("revenue", "Umsatz"), PALETTE[1], 1)),
            (value && margin).then(|| (self.t("margin", "Marge"), PALETTE[2], 2)),
        ]
        .into_iter()
        .flatten()
        .collect();
        let label_width = 190.0;
        let bar_height = 9.0;
        let row_height = bar_height * series.len() as f64 + 8.0;
        let plot_width = 330.0;
        let height = 22.0 + row_height * p.segments.len() as f64;
        let _ = write!(
            out,
            "<svg width=\"{w}\" height=\"{height}\" viewBox=\"0 0 {w} {height}\" role=\"img\" aria-label=\"{title}\"><title>{title}</title>",
            w = label_width + plot_width + 60.0,
            title = escape(self.t(
                "Share of customers, revenue and margin per segment",
                "Anteil an Kunden, Umsatz und Marge je Segment"
            ))
        );
        let mut x = label_width;
        for (name, colour, _) in &series {
            let _ = write!(
                out,
                "<rect x=\"{x}\" y=\"2\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{}\" y=\"11\" font-size=\"10\">{} (%)</text>",
                x + 14.0,
                escape(name)
            );
            x += 110.0;
        }
        for (i, s) in p.segments.iter().enumerate() {
            let top = 22.0 + row_height * i as f64;
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{}</text>",
                label_width - 6.0,
                top + row_height / 2.0,
                escape(&self.name(s.segment, &s.name))
            );
            let v = s.value.as_ref();
            let shares = [
                s.share,
                v.map(|v| v.revenue_share),
                v.and_then(|v| v.margin_share),
            ];
            for (j, (_, colour, which)) in series.iter().enumerate() {
                let y = top + 2.0 + bar_height * j as f64;
                match shares[*which] {
                    Some(share) => {
                        let width = share.clamp(0.0, 1.0) * plot_width;
                        let _ = write!(
                            out,
                            "<rect x=\"{label_width}\" y=\"{y}\" width=\"{width:.1}\" height=\"{}\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"8\">{:.1}</text>",
                            bar_height - 1.0,
                            label_width + width + 3.0,
                            y + bar_height - 2.0,
                            100.0 * share
                        );
                    }
                    None => {
                        let _ = write!(
                            out,
                            "<text x=\"{}\" y=\"{:.1}\" font-size=\"8\" fill=\"#888\">{}</text>",
                            label_width + 3.0,
                            y + bar_height - 2.0,
                            self.t("suppressed", "unterdrückt")
                        );
                    }
                }
            }
        }
        let _ = writeln!(out, "</svg>");

        let _ = write!(
            out,
            "<table class=\"segments\"><tr><th>{}</th><th>{}</th><th>{}</th>",
            self.t("segment", "Segment"),
            self.t("customers", "Kunden"),
            self.t("share of customers", "Kundenanteil")
        );
        if value {
            let _ = write!(
                out,
                "<th>{}</th>",
                self.t("share of revenue", "Umsatzanteil")
            );
            if margin {
                let _ = write!(
                    out,
                    "<th>{}</th>",
                    self.t("share of margin", "Margenanteil")
                );
            }
            let _ = write!(
                out,
                "<th>{}</th>",
                self.t("revenue per customer", "Umsatz je Kunde")
            );
        }
        let _ = writeln!(
            out,
            "<th>{}</th></tr>",
            self.t("what sets it apart", "was es ausmacht")
        );
        for s in &p.segments {
            let suppressed = self.suppressed();
            let _ = write!(
                out,
                "<tr><td><b>{}</b></td><td class=\"n\">{}</td><td class=\"n\">{}</td>",
                escape(&self.name(s.segment, &s.name)),
                s.size
                    .map(|n| amount(n as f64, self.language))
                    .unwrap_or_else(|| suppressed.clone()),
                s.share.map(percent).unwrap_or_else(|| suppressed.clone())
            );
            if value {
                let v = s.value.as_ref();
                let _ = write!(
                    out,
                    "<td class=\"n\">{}</td>",
                    v.map(|v| percent(v.revenue_share))
                        .unwrap_or_else(|| suppressed.clone())
                );
                if margin {
                    let _ = write!(
                        out,
                        "<td class=\"n\">{}</td>",
                        v.and_then(|v| v.margin_share)
                            .map(percent)
                            .unwrap_or_else(|| suppressed.clone())
                    );
                }
                let _ = write!(
                    out,
                    "<td class=\"n\">{}</td>",
                    v.map(|v| self.money(v.revenue_per_customer))
                        .unwrap_or_else(|| suppressed.clone())
                );
            }
            let apart: Vec<String> = s
                .distinguishing_features
                .iter()
                .take(3)
                .map(|f| {
                    format!(
                        "{} {}",
                        escape(&self.label(&f.column)),
                        effect_words(f.effect_size, self.language)
                    )
                })
                .chain(s.over_represented.iter().take(2).map(|c| {
                    format!(
                        "{} = {} {}",
                        escape(&self.label(&c.column)),
                        escape(&c.category),
                        self.t("more often", "häufiger")
                    )
                }))
                .collect();
            let text = if s.suppressed {
                suppressed.clone()
            } else if apart.is_empty() {
                escape(&s.description)
            } else {
                apart.join("; ")
            };
            let _ = writeln!(out, "<td>{text}</td></tr>");
        }
        let _ = writeln!(out, "</table></section>");
    }

    fn heatmap_section(&self, out: &mut String) {
        let p = self.profile;
        if p.numeric.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "<section><h2>{}</h2><p>{}</p>",
            self.t(
                "What sets each segment apart",
                "Was jedes Segment ausmacht"
            ),
            self.t(
                "Each cell compares a segment's average with the average of all customers, in units of the usual spread of that feature among all customers. \
                 Green means higher than average, red lower, white about average. \
                 As a rule of thumb, 0.2 is a small difference, 0.5 a clear one and 0.8 or more a large one: \
                 at +1 the segment's typical customer sits as far above the average as customers usually differ from each other.",
                "Jede Zelle vergleicht den Durchschnitt eines Segments mit dem Durchschnitt aller Kunden, gemessen an der üblichen Streuung dieses Merkmals unter allen Kunden. \
                 Grün heißt höher als der Durchschnitt, rot niedriger, weiß etwa durchschnittlich. \
                 Als Faustregel ist 0,2 ein kleiner Unterschied, 0,5 ein deutlicher und ab 0,8 ein großer: \
                 bei +1 liegt der typische Kunde des Segments so weit über dem Durchschnitt, wie Kunden üblicherweise voneinander abweichen."
            )
        );
        let label_width = 200.0;
        let cell_width = (480.0 / p.segments.len().max(1) as f64).clamp(40.0, 90.0);
        let cell_height = 20.0;
        let header = 58.0;
        // Room on the right for the last segment's slanted name.
        let width = label_width + cell_width * p.segments.len() as f64 + 110.0;
        let height = header + cell_height * p.numeric.len() as f64 + 4.0;
        let _ = write!(
            out,
            "<svg width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{title}\"><title>{title}</title>",
            title = escape(self.t(
                "Profile heatmap: effect size of each feature per segment",
                "Profil-Heatmap: Effektstärke jedes Merkmals je Segment"
            ))
        );
        for (j, s) in p.segments.iter().enumerate() {
            let x = label_width + cell_width * (j as f64 + 0.5);
            let _ = write!(
                out,
                "<text x=\"{x:.1}\" y=\"{}\" font-size=\"9\" text-anchor=\"start\" transform=\"rotate(-30 {x:.1} {})\">{}</text>",
                header - 4.0,
                header - 4.0,
                escape(&self.name(s.segment, &s.name))
            );
        }
        for (i, column) in p.numeric.iter().enumerate() {
            let y = header + cell_height * i as f64;
            let mut label = self.label(&column.column);
            // "days since last order" needs no "(days)"; "return rate" does need its "(%)".
            if let Some(unit) = self
                .context
                .unit_of(&column.column, p, self.language)
                .filter(|unit| !label.to_lowercase().contains(&unit.to_lowercase()))
            {
                label = format!("{label} ({unit})");
            }
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" font-size=\"9.5\" text-anchor=\"end\">{}</text>",
                label_width - 6.0,
                y + cell_height / 2.0 + 3.5,
                escape(&label)
            );
            for (j, cell) in column.segments.iter().enumerate() {
                let x = label_width + cell_width * j as f64;
                let (fill, ink, text) = match (cell.effect_size, &cell.summary) {
                    (Some(d), Some(_)) => {
                        let (fill, ink) = effect_colour(d);
                        let text = match self.language {
                            Language::German => format!("{d:+.1}").replace('.', ","),
                            Language::English => format!("{d:+.1}"),
                        };
                        (fill, ink, text)
                    }
                    (None, Some(_)) => ("#fff".to_string(), "#222", "0".to_string()),
                    (_, None) => ("#e6e6e6".to_string(), "#777", "–".to_string()),
                };
                let _ = write!(
                    out,
                    "<rect x=\"{x:.1}\" y=\"{y}\" width=\"{cell_width:.1}\" height=\"{cell_height}\" fill=\"{fill}\" stroke=\"#fff\"/>\
                     <text x=\"{:.1}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\" fill=\"{ink}\">{text}</text>",
                    x + cell_width / 2.0,
                    y + cell_height / 2.0 + 3.0
                );
            }
        }
        let _ = writeln!(out, "</svg>");
        // The colour key in words.
        let _ = write!(out, "<p class=\"note\">");
        for d in [-1.0, -0.5, -0.2, 0.0, 0.2, 0.5, 1.0] {
            let (fill, _) = effect_colour(d);
            let _ = write!(
                out,
                "<span class=\"key\" style=\"background:{fill};border:1px solid #bbb\"></span>{} &nbsp; ",
                effect_words(d, self.language)
            );
        }
        let _ = writeln!(
            out,
            "<span class=\"key\" style=\"background:#e6e6e6\"></span>{}</p></section>",
            self.t(
                "suppressed (too few customers)",
                "unterdrückt (zu wenige Kunden)"
            )
        );
    }

    fn k_section(&self, out: &mut String) {
        let k = self.model.n_segments();
        let _ = write!(
            out,
            "<section><h2>{} {k} {}</h2>",
            self.t("Why", "Warum"),
            self.t("segments", "Segmente")
        );
        if let Some(selection) = self.model.selection() {
            let _ = writeln!(
                out,
                "<p>{} {}..={} {}. {}</p><p class=\"note\">{}</p>",
                self.t(
                    "The number of segments was chosen among",
                    "Die Zahl der Segmente wurde gewählt unter"
                ),
                selection.table.first().map_or(0, |r| r.k),
                selection.table.last().map_or(0, |r| r.k),
                self.t(
                    "by comparing how well separated the segments are",
                    "durch Vergleich, wie klar die Segmente getrennt sind"
                ),
                escape(&selection.reason),
                self.t(
                    "Silhouette: how clearly customers sit in their own segment rather than the next (higher is better). \
                     Calinski-Harabasz: spread between segments against spread within (higher is better). \
                     Davies-Bouldin: how much segments overlap (lower is better). \
                     Gap: structure beyond what random data would show. \
                     Stability: how often the same segments come back on resampled customers (1 = always). \
                     A star marks the k each criterion votes for; the highlighted row is the chosen k.",
                    "Silhouette: wie klar Kunden in ihrem eigenen Segment statt im nächsten liegen (höher ist besser). \
                     Calinski-Harabasz: Streuung zwischen den Segmenten gegen Streuung innerhalb (höher ist besser). \
                     Davies-Bouldin: wie stark sich Segmente überlappen (niedriger ist besser). \
                     Gap: Struktur über das hinaus, was Zufallsdaten zeigen würden. \
                     Stabilität: wie oft dieselben Segmente bei neu gezogenen Kunden wiederkehren (1 = immer). \
                     Ein Stern markiert das k, für das ein Kriterium stimmt; die hervorgehobene Zeile ist das gewählte k."
                )
            );
            let has_gap = selection.table.iter().any(|r| r.gap.is_some());
            let has_stability = selection.table.iter().any(|r| r.stability_mean.is_some());
            let has_bic = selection.table.iter().any(|r| r.bic.is_some());
            let _ = write!(
                out,
                "<table><tr><th>k</th><th>{}</th><th>Calinski-Harabasz</th><th>Davies-Bouldin</th>",
                self.t("silhouette", "Silhouette")
            );
            if has_gap {
                let _ = write!(out, "<th>gap</th>");
            }
            if has_stability {
                let _ = write!(out, "<th>{}</th>", self.t("stability", "Stabilität"));
            }
            if has_bic {
                let _ = write!(out, "<th>BIC</th>");
            }
            let _ = writeln!(out, "</tr>");
            let voted = |criterion: Criterion, k: usize| {
                selection
                    .votes
                    .iter()
                    .any(|v| v.criterion == criterion && v.k == Some(k))
            };
            let star = |on: bool| if on { " &#9733;" } else { "" };
            let opt = |x: Option<f64>, digits: usize| {
                x.filter(|v| v.is_finite())
                    .map_or("-".to_string(), |v| format!("{v:.digits$}"))
            };
            for row in &selection.table {
                let class = if row.k == selection.recommended_k {
                    " class=\"chosen\""
                } else {
                    ""
                };
                let _ = write!(
                    out,
                    "<tr{class}><td class=\"n\">{}</td><td class=\"n\">{}{}</td><td class=\"n\">{}{}</td><td class=\"n\">{}{}</td>",
                    row.k,
                    opt(Some(row.silhouette), 3),
                    star(voted(Criterion::Silhouette, row.k)),
                    opt(Some(row.calinski_harabasz), 1),
                    star(voted(Criterion::CalinskiHarabasz, row.k)),
                    opt(Some(row.davies_bouldin), 3),
                    star(voted(Criterion::DaviesBouldin, row.k)),
                );
                if has_gap {
                    let _ = write!(
                        out,
                        "<td class=\"n\">{}{}</td>",
                        opt(row.gap, 3),
                        star(voted(Criterion::Gap, row.k))
                    );
                }
                if has_stability {
                    let _ = write!(out, "<td class=\"n\">{}</td>", opt(row.stability_mean, 2));
                }
                if has_bic {
                    let _ = write!(
                        out,
                        "<td class=\"n\">{}{}</td>",
                        opt(row.bic, 1),
                        star(voted(Criterion::Bic, row.k))
                    );
                }
                let _ = writeln!(out, "</tr>");
            }
            let _ = writeln!(out, "</table></section>");
        } else if let Some(choice) = self.model.k_choice() {
            let (name, which) = match choice.criterion {
                Criterion::Bic => ("BIC", self.t("lowest", "niedrigste")),
                _ => (
                    self.t(
                        "mixed-distance silhouette",
                        "Silhouette (gemischte Distanz)",
                    ),
                    self.t("highest", "höchste"),
                ),
            };
            let _ = writeln!(
                out,
                "<p>{} {name} ({which}).</p><table><tr><th>k</th><th>{name}</th></tr>",
                self.t(
                    "The number of segments was chosen by the",
                    "Die Zahl der Segmente wurde gewählt nach"
                )
            );
            for row in &choice.table {
                let class = if row.k == choice.recommended_k {
                    " class=\"chosen\""
                } else {
                    ""
                };
                let _ = writeln!(
                    out,
                    "<tr{class}><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                    row.k,
                    row.value.map_or("-".to_string(), |v| format!("{v:.3}"))
                );
            }
            let _ = writeln!(out, "</table></section>");
        } else {
            let _ = writeln!(
                out,
                "<p>{} {k}.</p></section>",
                self.t(
                    "The number of segments was set by the analyst:",
                    "Die Zahl der Segmente wurde vorgegeben:"
                )
            );
        }
    }

    fn lorenz_section(&self, out: &mut String) {
        let p = self.profile;
        let Some(base) = &p.lorenz else {
            return;
        };
        let _ = write!(
            out,
            "<section><h2>{}</h2>",
            self.t(
                "How concentrated revenue is",
                "Wie konzentriert der Umsatz ist"
            )
        );
        // Revenue share of the top 20 % customers: 1 - the curve at 80 % of customers.
        let at_80 = base
            .iter()
            .find(|(x, _)| (x - 0.8).abs() < 1e-9)
            .map(|(_, y)| 1.0 - y);
        let mut words = String::new();
        if let Some(top) = at_80 {
            let _ = write!(
                words,
                "{} {} {}. ",
                self.t(
                    "The 20 % of customers with the highest revenue bring",
                    "Die 20 % der Kunden mit dem höchsten Umsatz bringen"
                ),
                percent(top),
                self.t("of it", "davon")
            );
        }
        if let Some(gini) = p.revenue_gini {
            let _ = write!(
                words,
                "{} {:.2} {}",
                self.t("Gini coefficient", "Gini-Koeffizient"),
                gini,
                self.t(
                    "(0 = every customer brings the same revenue, towards 1 = a few customers bring almost all).",
                    "(0 = jeder Kunde bringt gleich viel Umsatz, gegen 1 = wenige Kunden bringen fast alles)."
                )
            );
        }
        let _ = writeln!(
            out,
            "<p>{words} {}</p>",
            self.t(
                "The curve adds up customers from the smallest to the largest: the further it sags below the diagonal, the more revenue depends on few customers.",
                "Die Kurve summiert die Kunden vom kleinsten zum größten: je tiefer sie unter der Diagonale liegt, desto mehr hängt der Umsatz an wenigen Kunden."
            )
        );
        let (left, top, size) = (46.0, 10.0, 220.0);
        let to_xy = |(x, y): (f64, f64)| {
            (
                left + x.clamp(0.0, 1.0) * size,
                top + (1.0 - y.clamp(0.0, 1.0)) * size,
            )
        };
        let polyline = |points: &[(f64, f64)], colour: &str, width: f64| {
            let path: Vec<String> = points
                .iter()
                .map(|&pt| {
                    let (x, y) = to_xy(pt);
                    format!("{x:.1},{y:.1}")
                })
                .collect();
            format!(
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"{width}\"/>",
                path.join(" ")
            )
        };
        let legend_x = left + size + 20.0;
        let _ = write!(
            out,
            "<svg width=\"520\" height=\"{h}\" viewBox=\"0 0 520 {h}\" role=\"img\" aria-label=\"{title}\"><title>{title}</title>",
            h = top + size + 40.0,
            title = escape(self.t(
                "Lorenz curve of revenue",
                "Lorenzkurve des Umsatzes"
            ))
        );
        let _ = write!(
            out,
            "<rect x=\"{left}\" y=\"{top}\" width=\"{size}\" height=\"{size}\" fill=\"none\" stroke=\"#bbb\"/>\
             <line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{top}\" stroke=\"#999\" stroke-dasharray=\"4 3\"/>",
            top + size,
            left + size
        );
        for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
            let (x, y) = to_xy((tick, tick));
            let _ = write!(
                out,
                "<text x=\"{x:.1}\" y=\"{}\" font-size=\"8\" text-anchor=\"middle\">{:.0}%</text>\
                 <text x=\"{}\" y=\"{:.1}\" font-size=\"8\" text-anchor=\"end\">{:.0}%</text>",
                top + size + 11.0,
                100.0 * tick,
                left - 3.0,
                y + 3.0,
                100.0 * tick
            );
        }
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\">{}</text>\
             <text x=\"10\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\" transform=\"rotate(-90 10 {})\">{}</text>",
            left + size / 2.0,
            top + size + 26.0,
            self.t(
                "share of customers (smallest first)",
                "Anteil der Kunden (kleinste zuerst)"
            ),
            top + size / 2.0,
            top + size / 2.0,
            self.t("share of revenue", "Anteil am Umsatz")
        );
        let mut legend: Vec<(String, &str)> =
            vec![(self.t("all customers", "alle Kunden").to_string(), "#222")];
        for (i, s) in p.segments.iter().enumerate() {
            if let Some(curve) = s.value.as_ref().and_then(|v| v.lorenz.as_ref()) {
                let colour = PALETTE[i % PALETTE.len()];
                let _ = write!(out, "{}", polyline(&curve[..], colour, 1.2));
                legend.push((self.name(s.segment, &s.name), colour));
            }
        }
        let _ = write!(out, "{}", polyline(&base[..], "#222", 2.2));
        for (i, (name, colour)) in legend.iter().enumerate() {
            let y = top + 8.0 + 15.0 * i as f64;
            let _ = write!(
                out,
                "<line x1=\"{legend_x}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"2\"/>\
                 <text x=\"{}\" y=\"{}\" font-size=\"9\">{}</text>",
                legend_x + 18.0,
                legend_x + 23.0,
                y + 3.0,
                escape(name)
            );
        }
        let _ = writeln!(out, "</svg></section>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::{make_b2b, B2bParams};
    use crate::segmenter::{NClusters, SegmenterParams};

    #[test]
    fn labels_and_amounts() {
        let none = BTreeMap::new();
        let context = ReportContext::new().label("monetary", "revenue");
        assert_eq!(
            context.label_of("interpurchase_std_days", Language::English, &none),
            "days between orders (spread)"
        );
        assert_eq!(
            context.label_of("monetary", Language::English, &none),
            "revenue"
        );
        let model = BTreeMap::from([("Grocery".to_string(), "grocery spend".to_string())]);
        assert_eq!(
            context.label_of("Grocery", Language::German, &model),
            "grocery spend"
        );
        assert_eq!(
            context.label_of("NumWebPurchases", Language::English, &none),
            "num web purchases"
        );
        assert_eq!(amount(1_234_567.4, Language::English), "1,234,567");
        assert_eq!(amount(-1_234.0, Language::German), "-1.234");
        assert_eq!(amount(3.256, Language::German), "3,26");
        assert_eq!(effect_words(1.2, Language::English), "much higher");
        assert_eq!(effect_words(-0.3, Language::English), "somewhat lower");
        assert_eq!(effect_words(0.0, Language::English), "about average");
    }

    #[test]
    fn report_has_every_section_and_no_network() {
        let data = make_b2b(&B2bParams {
            n_customers: 400,
            ..B2bParams::default()
        })
        .unwrap();
        let model = SegmenterParams::new()
            .n_clusters(NClusters::Auto { min: 3, max: 5 })
            .fit(&data.customers, Some(&data.transactions))
            .unwrap();
        let context = ReportContext::new()
            .source("synthetic <B2B> base")
            .currency("EUR")
            .date_range_of(&data.transactions);
        let html = model.report_html(&context);
        let (first, last) = data.transactions.date_range().unwrap();
        for needle in [
            "Segments at a glance",
            "What sets each segment apart",
            "Why",
            "How concentrated revenue is",
            "synthetic &lt;B2B&gt; base",
            "EUR",
            "@page{size:A4",
            "much higher",
            "class=\"chosen\"",
            "<polyline",
        ] {
            assert!(html.contains(needle), "{needle} missing from the report");
        }
        assert!(html.contains(&format!("{first} to {last}")));
        for name in model.segment_names() {
            assert!(html.contains(&escape(name)), "{name}");
        }
        for needle in ["http://", "https://", "<script", "<link", "src="] {
            assert!(!html.contains(needle), "{needle} in the report");
        }
        let german = SegmenterParams::new()
            .n_clusters(NClusters::Fixed(3))
            .language(Language::German)
            .fit(&data.customers, Some(&data.transactions))
            .unwrap()
            .report_html(&ReportContext::new());
        assert!(german.contains("Segmente auf einen Blick") && german.contains("vorgegeben"));
    }
}
