//! Reports of a [`SegmentationProfile`]: JSON (serde), Markdown, and a self-contained HTML page
//! (inline CSS and SVG bars, no scripts, no network resources). Suppressed figures show as
//! "suppressed" / "unterdrückt", never as a number.
//!
//! Each section is computed once from the profile (`Section`: a title, a note, a table of
//! `Cell`s or a list) and written by two small renderers (`markdown`, `html`); a cell says
//! what it holds (a share, a suppressed figure, an effect size), each renderer how it looks.
//! Some sections and columns belong to one format (the Markdown report lists every category and
//! quartile, the HTML page draws bars).

use super::names::Language;
use super::types::{NumericSummary, SegmentationProfile};
use crate::error::{Error, Result};
use std::fmt::Write;

/// A figure in a report: 2 decimals, or fewer digits and a unit (k, M) for large values.
pub(super) fn number(x: f64) -> String {
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

/// The format a section or a column belongs to, when not to both.
#[derive(Clone, Copy, PartialEq)]
enum Format {
    Markdown,
    Html,
}

/// Text of a section: from the data (escaped by each format: Markdown's table separator, HTML's
/// markup), or the report's own words, written as they are.
enum Text {
    Data(String),
    Fixed(String),
}

/// A table cell or column heading: what it holds; each renderer decides how it looks.
enum Cell {
    /// Nothing.
    Blank,
    /// Text from the data or a figure, escaped by each format.
    Text(String),
    /// A segment's name in the overview (HTML: bold).
    Strong(String),
    /// The row of all customers in a behaviour mix (HTML: italic).
    Em(String),
    /// A figure about too few customers.
    Suppressed,
    /// A share: a percentage (HTML: a bar of this colour beside it).
    Share(f64, &'static str),
    /// A share and its lift.
    ShareLift(f64, f64),
    /// An effect size d and the segment's mean (`label` names it): a bar around zero.
    Effect {
        d: f64,
        mean: f64,
        label: &'static str,
    },
    /// The shares of a behaviour mix, stacked in one bar (printed ones in colour).
    Stacked(Vec<Option<f64>>),
    /// A category of a behaviour mix, with its colour in the stacked bars (HTML: a swatch).
    Swatch(usize, String),
}

impl Cell {
    fn text(text: impl Into<String>) -> Cell {
        Cell::Text(text.into())
    }

    /// A figure, or [`Cell::Suppressed`].
    fn figure(x: Option<String>) -> Cell {
        x.map_or(Cell::Suppressed, Cell::Text)
    }
}

/// A table column: its heading, and the one format it belongs to (`None`: both).
struct Column {
    head: Cell,
    only: Option<Format>,
}

impl Column {
    fn new(head: Cell) -> Column {
        Column { head, only: None }
    }

    fn text(head: &str) -> Column {
        Column::new(Cell::text(head))
    }

    fn only(mut self, format: Format) -> Column {
        self.only = Some(format);
        self
    }
}

/// Columns of these headings, in both formats.
fn headings(heads: &[&str]) -> Vec<Column> {
    heads.iter().map(|h| Column::text(h)).collect()
}

enum Body {
    /// Rows of cells, one a column.
    Table {
        columns: Vec<Column>,
        rows: Vec<Vec<Cell>>,
    },
    /// Items from the data, one a line.
    List(Vec<String>),
}

/// One section of a report, computed once from the profile.
struct Section {
    title: Text,
    /// The paragraph under the title in Markdown, and in HTML.
    note: [Option<Text>; 2],
    /// The one format the section belongs to (`None`: both).
    only: Option<Format>,
    body: Body,
    /// HTML: the table begins on the line after the title (as this section always has).
    table_on_next_line: bool,
}

impl Section {
    fn table(title: Text, columns: Vec<Column>, rows: Vec<Vec<Cell>>) -> Section {
        Section {
            title,
            note: [None, None],
            only: None,
            body: Body::Table { columns, rows },
            table_on_next_line: false,
        }
    }

    fn notes(mut self, markdown: Option<Text>, html: Option<Text>) -> Section {
        self.note = [markdown, html];
        self
    }

    fn only(mut self, format: Format) -> Section {
        self.only = Some(format);
        self
    }
}

/// Colours of the categories of a behaviour mix (in turn).
const PALETTE: [&str; 8] = [
    "#4a7ab5", "#3c9a5f", "#e0a030", "#c0504d", "#8064a2", "#4bacc6", "#9bbb59", "#7f7f7f",
];

/// A summary's mean and quartiles.
fn summary_cells(s: &Option<NumericSummary>) -> [Cell; 2] {
    match s {
        Some(s) => [
            Cell::text(number(s.mean)),
            Cell::text(format!(
                "{} / {} / {}",
                number(s.q1),
                number(s.median),
                number(s.q3)
            )),
        ],
        None => [Cell::Suppressed, Cell::Suppressed],
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
        markdown(self)
    }

    /// A self-contained HTML page (no scripts, no external resources): segment overview with
    /// inline SVG bars for share and revenue share, effect-size bars per segment, categories,
    /// behaviour mix as stacked bars.
    pub fn to_html(&self) -> String {
        html(self)
    }

    /// The first line under the title: customers and the minimum group size.
    fn intro(&self, w: &Words) -> String {
        format!(
            "{} {}; {} {} {}",
            self.n_customers,
            w.t("customers", "Kunden"),
            w.t(
                "figures about fewer customers than",
                "Zahlen über weniger Kunden als"
            ),
            self.min_group_size,
            w.t("are suppressed.", "werden unterdrückt.")
        )
    }

    /// One row per segment: its name, then the `cells` of its entry in `figures` (a section's
    /// per-segment figures, in the segments' order).
    fn segment_rows<T>(&self, figures: &[T], cells: impl Fn(&T) -> Vec<Cell>) -> Vec<Vec<Cell>> {
        figures
            .iter()
            .zip(&self.segments)
            .map(|(f, s)| {
                let mut row = vec![Cell::text(s.name.clone())];
                row.extend(cells(f));
                row
            })
            .collect()
    }

    /// The sections of both reports, in order.
    fn sections(&self, w: &Words) -> Vec<Section> {
        let mut sections = vec![self.overview(w)];
        if !self.numeric.is_empty() {
            sections.push(self.numeric_summaries(w));
            sections.push(self.effect_sizes(w));
        }
        if !self.categorical.is_empty() {
            sections.push(self.category_shares(w));
            sections.push(self.over_represented(w));
        }
        sections.extend(self.behaviour_mixes(w));
        sections.extend(self.fairness_checks(w));
        sections.extend(self.membership_section(w));
        if !self.warnings.is_empty() {
            sections.push(Section {
                title: Text::Fixed(w.t("Warnings", "Warnungen").into()),
                note: [None, None],
                only: None,
                body: Body::List(self.warnings.clone()),
                table_on_next_line: false,
            });
        }
        sections
    }

    /// Segments: size, share, value (revenue, Gini and margin in Markdown) and description.
    fn overview(&self, w: &Words) -> Section {
        let value = self.revenue_column.is_some();
        let margin = value && self.margin_column.is_some();
        let mut columns = headings(&[
            w.t("segment", "Segment"),
            w.t("name", "Name"),
            w.t("customers", "Kunden"),
            w.t("share", "Anteil"),
        ]);
        if value {
            columns.push(Column::text(w.t("revenue share", "Umsatzanteil")));
            columns.push(Column::text(w.t("revenue / customer", "Umsatz / Kunde")));
            columns.push(Column::text("Gini").only(Format::Markdown));
            if margin {
                columns
                    .push(Column::text(w.t("margin share", "Margenanteil")).only(Format::Markdown));
            }
        }
        columns.push(Column::text(w.t("description", "Beschreibung")));
        let rows = self
            .segments
            .iter()
            .map(|s| {
                let mut row = vec![
                    Cell::text(s.segment.to_string()),
                    Cell::Strong(s.name.clone()),
                    Cell::figure(s.size.map(|x| x.to_string())),
                    s.share
                        .map_or(Cell::Suppressed, |x| Cell::Share(x, "#4a7ab5")),
                ];
                if value {
                    let v = s.value.as_ref();
                    row.push(v.map_or(Cell::Suppressed, |v| {
                        Cell::Share(v.revenue_share, "#3c9a5f")
                    }));
                    row.push(Cell::figure(v.map(|v| number(v.revenue_per_customer))));
                    row.push(Cell::figure(v.map(|v| format!("{:.2}", v.revenue_gini))));
                    if margin {
                        row.push(Cell::figure(v.and_then(|v| v.margin_share).map(percent)));
                    }
                }
                row.push(Cell::text(s.description.clone()));
                row
            })
            .collect();
        Section::table(
            Text::Fixed(w.t("Segments", "Segmente").into()),
            columns,
            rows,
        )
    }

    /// Markdown: every numeric column's mean, quartiles and effect size, overall and per segment.
    fn numeric_summaries(&self, w: &Words) -> Section {
        let columns = headings(&[
            w.t("column", "Spalte"),
            w.t("segment", "Segment"),
            w.t("mean", "Mittel"),
            &format!("Q1 / {} / Q3", w.t("median", "Median")),
            "d",
        ]);
        let mut rows = Vec::new();
        for col in &self.numeric {
            let [mean, quartiles] = summary_cells(&col.base);
            rows.push(vec![
                Cell::text(col.column.clone()),
                Cell::text(w.t("all", "alle")),
                mean,
                quartiles,
                Cell::Blank,
            ]);
            for (c, s) in col.segments.iter().zip(&self.segments) {
                let [mean, quartiles] = summary_cells(&c.summary);
                let d = match (c.effect_size, &c.summary) {
                    (Some(d), _) => Cell::text(format!("{d:+.2}")),
                    (None, None) => Cell::Suppressed,
                    (None, Some(_)) => Cell::text(""),
                };
                rows.push(vec![
                    Cell::Blank,
                    Cell::text(s.name.clone()),
                    mean,
                    quartiles,
                    d,
                ]);
            }
        }
        Section::table(
            Text::Fixed(w.t("Numeric columns", "Numerische Spalten").into()),
            columns,
            rows,
        )
        .notes(
            Some(Text::Fixed(w.t(
                "Mean, quartiles (Q1 / median / Q3) and effect size d = (segment mean - base mean) / base std.",
                "Mittelwert, Quartile (Q1 / Median / Q3) und Effektstärke d = (Segmentmittel - Gesamtmittel) / Gesamt-Standardabweichung."
            ).into())),
            None,
        )
        .only(Format::Markdown)
    }

    /// HTML: every numeric column's effect size per segment, as bars.
    fn effect_sizes(&self, w: &Words) -> Section {
        let mut columns = vec![Column::text(w.t("column", "Spalte"))];
        columns.extend(
            self.segments
                .iter()
                .map(|s| Column::new(Cell::text(s.name.clone()))),
        );
        let rows = self
            .numeric
            .iter()
            .map(|col| {
                let mut row = vec![Cell::text(col.column.clone())];
                row.extend(
                    col.segments
                        .iter()
                        .map(|c| match (c.effect_size, &c.summary) {
                            (Some(d), Some(summary)) => Cell::Effect {
                                d,
                                mean: summary.mean,
                                label: w.t("mean", "Mittel"),
                            },
                            (None, Some(summary)) => Cell::text(number(summary.mean)),
                            (_, None) => Cell::Suppressed,
                        }),
                );
                row
            })
            .collect();
        Section::table(
            Text::Fixed(w.t("Effect sizes", "Effektstärken").into()),
            columns,
            rows,
        )
        .notes(
            None,
            Some(Text::Fixed(w.t(
                "d = (segment mean - base mean) / base std; bars to the right: above the base.",
                "d = (Segmentmittel - Gesamtmittel) / Gesamt-Standardabweichung; Balken nach rechts: über dem Durchschnitt."
            ).into())),
        )
        .only(Format::Html)
    }

    /// Markdown: every category's count, share and lift, overall and per segment.
    fn category_shares(&self, w: &Words) -> Section {
        let columns = headings(&[
            w.t("column", "Spalte"),
            w.t("category", "Kategorie"),
            w.t("segment", "Segment"),
            w.t("customers", "Kunden"),
            w.t("share", "Anteil"),
            "Lift",
        ]);
        let mut rows = Vec::new();
        for col in &self.categorical {
            for (k, base) in col.base.cells.iter().enumerate() {
                rows.push(vec![
                    Cell::text(col.column.clone()),
                    Cell::text(base.category.clone()),
                    Cell::text(w.t("all", "alle")),
                    Cell::figure(base.count.map(|c| c.to_string())),
                    Cell::figure(base.share.map(percent)),
                    Cell::Blank,
                ]);
                for (comp, s) in col.segments.iter().zip(&self.segments) {
                    let c = &comp.cells[k];
                    rows.push(vec![
                        Cell::Blank,
                        Cell::Blank,
                        Cell::text(s.name.clone()),
                        Cell::figure(c.count.map(|x| x.to_string())),
                        Cell::figure(c.share.map(percent)),
                        Cell::figure(c.lift.map(|l| format!("{l:.2}"))),
                    ]);
                }
            }
        }
        Section::table(
            Text::Fixed(w.t("Categorical columns", "Kategoriale Spalten").into()),
            columns,
            rows,
        )
        .only(Format::Markdown)
    }

    /// HTML: each segment's over-represented categories.
    fn over_represented(&self, w: &Words) -> Section {
        let columns = headings(&[
            w.t("segment", "Segment"),
            w.t("category", "Kategorie"),
            w.t("share", "Anteil"),
            "Lift",
        ]);
        let rows = self
            .segments
            .iter()
            .flat_map(|s| {
                s.over_represented.iter().map(|c| {
                    vec![
                        Cell::text(s.name.clone()),
                        Cell::text(format!("{} = {}", c.column, c.category)),
                        Cell::Share(c.share, "#8064a2"),
                        Cell::text(format!("{:.2}", c.lift)),
                    ]
                })
            })
            .collect();
        let mut section = Section::table(
            Text::Fixed(
                w.t(
                    "Over-represented categories",
                    "Überrepräsentierte Kategorien",
                )
                .into(),
            ),
            columns,
            rows,
        )
        .only(Format::Html);
        section.table_on_next_line = true;
        section
    }

    /// Each behaviour mix: the segments' shares of each category, with lifts.
    fn behaviour_mixes<'a>(&'a self, w: &'a Words) -> impl Iterator<Item = Section> + 'a {
        let german = self.language == Language::German;
        self.behaviour.iter().map(move |mix| {
            let mut columns = vec![
                Column::text(w.t("segment", "Segment")),
                Column::new(Cell::Blank).only(Format::Html),
            ];
            columns.extend(
                mix.categories
                    .iter()
                    .enumerate()
                    .map(|(c, category)| Column::new(Cell::Swatch(c, category.clone()))),
            );
            let mut base = vec![
                Cell::Em(w.t("all", "alle").into()),
                Cell::Stacked(mix.base_shares.clone()),
            ];
            base.extend(mix.base_shares.iter().map(|s| Cell::figure(s.map(percent))));
            let mut rows = vec![base];
            rows.extend(self.segment_rows(&mix.segments, |m| {
                let mut row = vec![Cell::Stacked(m.shares.clone())];
                row.extend(m.shares.iter().zip(&m.lifts).map(|(share, lift)| {
                    match (share, lift) {
                        (Some(share), Some(lift)) => Cell::ShareLift(*share, *lift),
                        (Some(share), None) => Cell::text(percent(*share)),
                        _ => Cell::Suppressed,
                    }
                }));
                row
            }));
            let note = format!(
                "{} `{}` ({})",
                w.t(
                    "Share of each segment's customers by",
                    "Anteil der Kunden jedes Segments nach"
                ),
                mix.column,
                w.t("lift against all customers", "Lift gegenüber allen Kunden")
            );
            Section::table(
                Text::Fixed(format!(
                    "{}: {}",
                    w.t("Behaviour mix", "Verhaltensmix"),
                    mix.kind.title(german)
                )),
                columns,
                rows,
            )
            .notes(Some(Text::Data(format!("{note}."))), Some(Text::Data(note)))
        })
    }

    /// Each fairness check: Cramér's V and each segment's divergence.
    fn fairness_checks<'a>(&'a self, w: &'a Words) -> impl Iterator<Item = Section> + 'a {
        self.fairness.iter().map(move |check| {
            let columns = headings(&[
                w.t("segment", "Segment"),
                w.t("divergence (bits)", "Divergenz (Bit)"),
            ]);
            let rows = self.segment_rows(&check.segments, |f| {
                vec![Cell::figure(f.divergence.map(|d| format!("{d:.3}")))]
            });
            let v = format!("Cramér's V = {:.3}", check.cramers_v);
            Section::table(
                Text::Data(format!("Fairness: {}", check.column)),
                columns,
                rows,
            )
            .notes(
                Some(Text::Fixed(format!(
                    "{v}; {} {}.",
                    w.t("warning threshold", "Warnschwelle"),
                    check.threshold
                ))),
                Some(Text::Fixed(v)),
            )
        })
    }

    /// Markdown: each segment's mean uncertainty and uncertain customers.
    fn membership_section(&self, w: &Words) -> Option<Section> {
        let m = self.membership.as_ref()?;
        let columns = headings(&[
            w.t("segment", "Segment"),
            w.t("mean uncertainty", "mittlere Unsicherheit"),
            w.t("uncertain customers", "unsichere Kunden"),
        ]);
        let rows = self.segment_rows(&m.segments, |m| {
            vec![
                Cell::figure(m.mean_uncertainty.map(|u| format!("{u:.3}"))),
                Cell::figure(m.n_uncertain.map(|n| n.to_string())),
            ]
        });
        let note = format!(
            "{} {}.",
            w.t(
                "Uncertainty = 1 - largest segment probability; uncertain above",
                "Unsicherheit = 1 - größte Segmentwahrscheinlichkeit; unsicher über"
            ),
            m.threshold
        );
        Some(
            Section::table(
                Text::Fixed(w.t("Membership", "Zugehörigkeit").into()),
                columns,
                rows,
            )
            .notes(Some(Text::Fixed(note)), None)
            .only(Format::Markdown),
        )
    }
}

/// Whether a section or column of format `only` is shown in `format`.
fn shown(only: Option<Format>, format: Format) -> bool {
    only.is_none_or(|only| only == format)
}

/// The Markdown report: a heading, a note and a table (or a list) a section.
fn markdown(p: &SegmentationProfile) -> String {
    let w = Words {
        language: p.language,
    };
    let text = |t: &Text| match t {
        Text::Data(t) => cell(t),
        Text::Fixed(t) => t.clone(),
    };
    let cell_text = |c: &Cell| match c {
        Cell::Blank => String::new(),
        Cell::Text(t) | Cell::Strong(t) | Cell::Em(t) | Cell::Swatch(_, t) => cell(t),
        Cell::Suppressed => w.suppressed().into(),
        Cell::Share(x, _) => percent(*x),
        Cell::ShareLift(share, lift) => format!("{} ({lift:.2})", percent(*share)),
        Cell::Effect { d, .. } => format!("{d:+.2}"),
        Cell::Stacked(_) => String::new(),
    };
    // A row: `| a | b |`, a blank cell as `| |`.
    let row = |out: &mut String, cells: &mut dyn Iterator<Item = &Cell>| {
        out.push('|');
        for c in cells {
            match c {
                Cell::Blank => out.push_str(" |"),
                c => {
                    let _ = write!(out, " {} |", cell_text(c));
                }
            }
        }
        out.push('\n');
    };
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", w.t("Segment profile", "Segmentprofil"));
    let _ = writeln!(out, "{}", p.intro(&w));
    for section in p.sections(&w) {
        if !shown(section.only, Format::Markdown) {
            continue;
        }
        let _ = writeln!(out, "\n## {}\n", text(&section.title));
        if let Some(note) = &section.note[0] {
            let _ = writeln!(out, "{}\n", text(note));
        }
        match &section.body {
            Body::Table { columns, rows } => {
                let keep: Vec<bool> = columns
                    .iter()
                    .map(|c| shown(c.only, Format::Markdown))
                    .collect();
                row(
                    &mut out,
                    &mut columns
                        .iter()
                        .zip(&keep)
                        .filter(|k| *k.1)
                        .map(|k| &k.0.head),
                );
                let n = keep.iter().filter(|k| **k).count();
                let _ = writeln!(out, "|{}", "---|".repeat(n));
                for cells in rows {
                    row(
                        &mut out,
                        &mut cells.iter().zip(&keep).filter(|k| *k.1).map(|k| k.0),
                    );
                }
            }
            Body::List(items) => {
                for item in items {
                    let _ = writeln!(out, "- {item}");
                }
            }
        }
    }
    out
}

/// The HTML page: a heading, a note and a table (or a list) a section, with bars.
fn html(p: &SegmentationProfile) -> String {
    let w = Words {
        language: p.language,
    };
    let text = |t: &Text| match t {
        Text::Data(t) => escape(t),
        Text::Fixed(t) => t.clone(),
    };
    let suppressed = format!("<span class=\"s\">{}</span>", w.suppressed());
    let bar = |fraction: f64, colour: &str| -> String {
        let width = (fraction.clamp(0.0, 1.0) * 120.0).round();
        format!(
            "<svg width=\"124\" height=\"12\" role=\"img\"><rect x=\"0\" y=\"1\" width=\"{width}\" height=\"10\" fill=\"{colour}\"/></svg> {}",
            percent(fraction)
        )
    };
    // One stacked bar: printed shares in colour, hidden ones as one grey rest.
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
    let cell_html = |c: &Cell| match c {
        Cell::Blank => String::new(),
        Cell::Text(t) => escape(t),
        Cell::Strong(t) => format!("<b>{}</b>", escape(t)),
        Cell::Em(t) => format!("<i>{}</i>", escape(t)),
        Cell::Suppressed => suppressed.clone(),
        Cell::Share(x, colour) => bar(*x, colour),
        Cell::ShareLift(share, lift) => {
            format!("{} <small>({lift:.2})</small>", percent(*share))
        }
        Cell::Effect { d, mean, label } => {
            let half = 50.0;
            let length = (d.abs().min(2.0) / 2.0 * half).round();
            let x = if *d >= 0.0 { half } else { half - length };
            let colour = if *d >= 0.0 { "#3c9a5f" } else { "#c0504d" };
            format!(
                "<svg width=\"102\" height=\"12\" role=\"img\"><line x1=\"51\" y1=\"0\" x2=\"51\" y2=\"12\" stroke=\"#999\"/>\
                 <rect x=\"{x}\" y=\"2\" width=\"{length}\" height=\"8\" fill=\"{colour}\"/></svg> {d:+.2} <small>({label} {})</small>",
                number(*mean)
            )
        }
        Cell::Stacked(shares) => stacked(shares),
        Cell::Swatch(c, category) => format!(
            "<span style=\"color:{}\">&#9632;</span> {}",
            PALETTE[c % PALETTE.len()],
            escape(category)
        ),
    };
    let mut out = String::new();
    let lang = match p.language {
        Language::English => "en",
        Language::German => "de",
    };
    let title = w.t("Segment profile", "Segmentprofil");
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:1.5em;color:#222}}\
         table{{border-collapse:collapse;margin:0.5em 0 1.5em}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:middle}}\
         th{{background:#f3f3f3}}.s{{color:#999;font-style:italic}}.w{{color:#a40}}</style></head><body>\n"
    );
    let _ = writeln!(out, "<h1>{title}</h1><p>{}</p>", p.intro(&w));
    for section in p.sections(&w) {
        if !shown(section.only, Format::Html) {
            continue;
        }
        let _ = write!(out, "<h2>{}</h2>", text(&section.title));
        match &section.body {
            Body::Table { columns, rows } => {
                if section.table_on_next_line {
                    out.push('\n');
                }
                if let Some(note) = &section.note[1] {
                    let _ = write!(out, "<p>{}</p>", text(note));
                }
                let keep: Vec<bool> = columns
                    .iter()
                    .map(|c| shown(c.only, Format::Html))
                    .collect();
                out.push_str("<table><tr>");
                for (c, _) in columns.iter().zip(&keep).filter(|k| *k.1) {
                    let _ = write!(out, "<th>{}</th>", cell_html(&c.head));
                }
                out.push_str("</tr>\n");
                for cells in rows {
                    out.push_str("<tr>");
                    for (c, _) in cells.iter().zip(&keep).filter(|k| *k.1) {
                        let _ = write!(out, "<td>{}</td>", cell_html(c));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</table>\n");
            }
            Body::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(out, "<li class=\"w\">{}</li>", escape(item));
                }
                out.push_str("</ul>\n");
            }
        }
    }
    let _ = writeln!(out, "</body></html>");
    out
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
