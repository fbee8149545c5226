//! Speaking names: a short name and a one-line description per segment, in English or German,
//! generated from the profile alone (so the same profile always gets the same names).
//!
//! How a name is chosen:
//! 1. Columns with a known business role are recognised by name: value (`monetary`, `revenue`,
//!    `net_revenue`, `sales`, `spend`, `umsatz`, or the profile's revenue column), order
//!    frequency (`frequency`, `orders`, `n_orders`, `order_count`), recency (`recency_days`,
//!    `recency`, `days_since_last_order`), order value (`average_order_value`, `aov`), product
//!    breadth (`product_categories`, `n_categories`), company size (`annual_revenue_eur`,
//!    `employees`), margin (`margin` or the profile's margin column).
//! 2. Five B2B archetypes are scored from the segments' effect sizes (z) on those roles:
//!    lapsed = z(recency); premium = z(order value) + z(value) / 2; volume = z(frequency) -
//!    max(z(order value), 0); innovation (buying across the range) = z(breadth) -
//!    max(z(recency), 0); occasional = -z(frequency) - max(z(recency), 0). An archetype needs its
//!    roles' columns. Pairs (segment, archetype) are assigned greedily from the highest score
//!    down, each segment and archetype at most once, scores below 0.5 never.
//! 3. Other segments are named after their strongest trait ("High Grocery"), or "Average
//!    customers" when nothing sets them apart.
//! 4. User-given names replace generated ones; any remaining clash gets the segment label
//!    appended, so no two segments share a name.

use super::labels::{builtin_label, display_label, humanise};
use super::types::{NumericColumnProfile, SegmentSummary};
use crate::error::Result;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Language of names, descriptions and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Language {
    /// English.
    English,
    /// German (our first users are DACH B2B companies).
    German,
}

impl Language {
    /// Parses `"en"` / `"de"` (also `"english"`, `"german"`, `"deutsch"`).
    pub fn parse(code: &str) -> Result<Language> {
        match code.to_ascii_lowercase().as_str() {
            "en" | "english" => Ok(Language::English),
            "de" | "german" | "deutsch" => Ok(Language::German),
            other => Err(crate::Error::invalid_parameter(
                "lang",
                format!("'{other}'"),
                "'en' or 'de'",
            )),
        }
    }

    /// Picks the English or German text.
    pub(crate) fn pick<'a>(self, english: &'a str, german: &'a str) -> &'a str {
        match self {
            Language::English => english,
            Language::German => german,
        }
    }
}

/// Business role of a column, recognised from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Role {
    Value,
    Frequency,
    Recency,
    OrderValue,
    Breadth,
    CompanySize,
    Margin,
}

impl Role {
    pub(crate) fn of(column: &str, revenue: Option<&str>, margin: Option<&str>) -> Option<Role> {
        if Some(column) == revenue {
            return Some(Role::Value);
        }
        if Some(column) == margin {
            return Some(Role::Margin);
        }
        match column.to_ascii_lowercase().as_str() {
            "monetary" | "revenue" | "net_revenue" | "sales" | "spend" | "total_spend"
            | "umsatz" => Some(Role::Value),
            "frequency" | "orders" | "n_orders" | "order_count" | "orders_per_year" => {
                Some(Role::Frequency)
            }
            "recency_days" | "recency" | "days_since_last_order" => Some(Role::Recency),
            "average_order_value" | "aov" => Some(Role::OrderValue),
            "product_categories" | "n_categories" => Some(Role::Breadth),
            "annual_revenue_eur" | "employees" | "employee_count" => Some(Role::CompanySize),
            "margin" | "gross_margin" => Some(Role::Margin),
            _ => None,
        }
    }

    fn label(self, language: Language) -> &'static str {
        let (en, de) = match self {
            Role::Value => ("revenue", "Umsatz"),
            Role::Frequency => ("order frequency", "Bestellfrequenz"),
            Role::Recency => ("days since last order", "Tage seit letzter Bestellung"),
            Role::OrderValue => ("order value", "Bestellwert"),
            Role::Breadth => ("product range", "Sortimentsbreite"),
            Role::CompanySize => ("company size", "Unternehmensgröße"),
            Role::Margin => ("margin", "Marge"),
        };
        language.pick(en, de)
    }
}

/// The five archetypes, in tie-break order.
const ARCHETYPES: [(&str, &str); 5] = [
    ("Lapsed customers", "Abgewanderte Kunden"),
    ("Premium partners", "Premium-Partner"),
    ("Volume customers", "Volumenkunden"),
    ("Innovation drivers", "Innovationstreiber"),
    ("Occasional buyers", "Gelegenheitskäufer"),
];

/// Lowest archetype score that earns its name.
const MIN_ARCHETYPE_SCORE: f64 = 0.5;

fn archetype_score(archetype: usize, z: &BTreeMap<Role, f64>) -> Option<f64> {
    let get = |role| z.get(&role).copied();
    let positive = |role| get(role).unwrap_or(0.0).max(0.0);
    match archetype {
        0 => get(Role::Recency),
        1 => match (get(Role::OrderValue), get(Role::Value)) {
            (None, None) => None,
            (aov, value) => Some(aov.unwrap_or(0.0) + 0.5 * value.unwrap_or(0.0)),
        },
        2 => Some(get(Role::Frequency)? - positive(Role::OrderValue)),
        3 => Some(get(Role::Breadth)? - positive(Role::Recency)),
        4 => Some(-get(Role::Frequency)? - positive(Role::Recency)),
        _ => None,
    }
}

/// Human label of a column: the user's label, the built-in feature's, its role's words, else the
/// name made readable (never snake case; see [`labels`](super::labels)).
fn column_label(column: &str, language: Language, labels: &BTreeMap<String, String>) -> String {
    if labels.contains_key(column) || builtin_label(column, language).is_some() {
        return display_label(column, language, labels);
    }
    match Role::of(column, None, None) {
        Some(role) => role.label(language).to_string(),
        None => humanise(column),
    }
}

fn trait_phrase(
    column: &str,
    effect: f64,
    language: Language,
    labels: &BTreeMap<String, String>,
) -> String {
    let label = column_label(column, language, labels);
    match (language, effect > 0.0) {
        (Language::English, true) => format!("high {label}"),
        (Language::English, false) => format!("low {label}"),
        (Language::German, true) => format!("{label} hoch"),
        (Language::German, false) => format!("{label} niedrig"),
    }
}

fn format_lift(lift: f64, language: Language) -> String {
    let text = format!("{lift:.1}");
    match language {
        Language::English => text,
        Language::German => text.replace('.', ","),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Names and descriptions for `segments` (in their order); see the [module docs](self).
pub(crate) fn speaking_names(
    segments: &[SegmentSummary],
    numeric: &[NumericColumnProfile],
    revenue: Option<&str>,
    margin: Option<&str>,
    language: Language,
    overrides: &BTreeMap<usize, String>,
    labels: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>> {
    // Effect size per role and segment (the first column of a role wins, in column order).
    let roles: Vec<(Role, &NumericColumnProfile)> = {
        let mut seen = BTreeSet::new();
        numeric
            .iter()
            .filter_map(|col| {
                let role = Role::of(&col.column, revenue, margin)?;
                seen.insert(role).then_some((role, col))
            })
            .collect()
    };
    let z: Vec<BTreeMap<Role, f64>> = (0..segments.len())
        .map(|s| {
            roles
                .iter()
                .filter_map(|(role, col)| Some((*role, col.segments[s].effect_size?)))
                .collect()
        })
        .collect();

    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (s, segment) in segments.iter().enumerate() {
        if segment.suppressed || overrides.contains_key(&segment.segment) {
            continue;
        }
        for a in 0..ARCHETYPES.len() {
            if let Some(score) = archetype_score(a, &z[s]) {
                if score >= MIN_ARCHETYPE_SCORE {
                    pairs.push((score, s, a));
                }
            }
        }
    }
    // Highest score first; ties by segment then archetype order, so the result is deterministic.
    pairs.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    let mut archetype_of: Vec<Option<usize>> = vec![None; segments.len()];
    let mut taken = [false; ARCHETYPES.len()];
    for (_, s, a) in pairs {
        if archetype_of[s].is_none() && !taken[a] {
            archetype_of[s] = Some(a);
            taken[a] = true;
        }
    }

    let mut out: Vec<(String, String)> = segments
        .iter()
        .enumerate()
        .map(|(s, segment)| {
            let description = describe(segment, language, labels);
            if let Some(name) = overrides.get(&segment.segment) {
                return (name.clone(), description);
            }
            if segment.suppressed {
                let name = format!(
                    "{} {}",
                    language.pick("Small segment", "Kleines Segment"),
                    segment.segment
                );
                return (name, description);
            }
            let name = match archetype_of[s] {
                Some(a) => language.pick(ARCHETYPES[a].0, ARCHETYPES[a].1).to_string(),
                None => match segment.distinguishing_features.first() {
                    Some(f) if f.effect_size.abs() >= 0.3 => {
                        capitalise(&trait_phrase(&f.column, f.effect_size, language, labels))
                    }
                    _ => match segment.over_represented.first() {
                        Some(c) => match language {
                            Language::English => format!("{} focus", capitalise(&c.category)),
                            Language::German => format!("Schwerpunkt {}", c.category),
                        },
                        None => language
                            .pick("Average customers", "Durchschnittskunden")
                            .to_string(),
                    },
                },
            };
            (name, description)
        })
        .collect();

    // Make names unique: user names are kept, a clashing generated name gets its label.
    let user: BTreeSet<String> = overrides.values().cloned().collect();
    let mut used: BTreeSet<String> = user.clone();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (s, (name, _)) in out.iter().enumerate() {
        if !overrides.contains_key(&segments[s].segment) {
            *counts.entry(name.clone()).or_default() += 1;
        }
    }
    for (s, (name, description)) in out.iter_mut().enumerate() {
        let label = segments[s].segment;
        if overrides.contains_key(&label) {
            *description = format!("{name}: {description}");
            continue;
        }
        if counts[name.as_str()] > 1 || user.contains(name.as_str()) {
            let mut candidate = format!("{name} ({label})");
            while used.contains(&candidate) {
                candidate.push('\'');
            }
            *name = candidate;
        }
        used.insert(name.clone());
        *description = format!("{name}: {description}");
    }
    Ok(out)
}

/// The one-line description after the name: up to three traits and the top over-represented
/// category.
fn describe(
    segment: &SegmentSummary,
    language: Language,
    labels: &BTreeMap<String, String>,
) -> String {
    if segment.suppressed {
        return language
            .pick(
                "too few customers to publish figures",
                "zu wenige Kunden, um Zahlen zu veröffentlichen",
            )
            .to_string();
    }
    let mut parts: Vec<String> = segment
        .distinguishing_features
        .iter()
        .filter(|f| f.effect_size.abs() >= 0.3)
        .take(3)
        .map(|f| trait_phrase(&f.column, f.effect_size, language, labels))
        .collect();
    if let Some(c) = segment.over_represented.first() {
        parts.push(match language {
            Language::English => format!(
                "{} {} over-represented (x{})",
                column_label(&c.column, language, labels),
                c.category,
                format_lift(c.lift, language)
            ),
            Language::German => format!(
                "{} {} überrepräsentiert (x{})",
                column_label(&c.column, language, labels),
                c.category,
                format_lift(c.lift, language)
            ),
        });
    }
    if parts.is_empty() {
        return language
            .pick(
                "close to the average customer",
                "nahe am Durchschnittskunden",
            )
            .to_string();
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::types::{DistinguishingFeature, NumericCell};

    fn segment(label: usize, features: &[(&str, f64)]) -> SegmentSummary {
        SegmentSummary {
            segment: label,
            name: String::new(),
            description: String::new(),
            suppressed: false,
            size: Some(100),
            share: Some(0.2),
            distinguishing_features: features
                .iter()
                .map(|(c, e)| DistinguishingFeature {
                    column: c.to_string(),
                    effect_size: *e,
                })
                .collect(),
            over_represented: Vec::new(),
            value: None,
        }
    }

    fn column(name: &str, effects: &[f64]) -> NumericColumnProfile {
        NumericColumnProfile {
            column: name.into(),
            base: None,
            segments: effects
                .iter()
                .enumerate()
                .map(|(s, &e)| NumericCell {
                    segment: s,
                    summary: None,
                    effect_size: Some(e),
                })
                .collect(),
        }
    }

    /// The names and descriptions of `segments` (no revenue or margin column) with the name
    /// `overrides` and column `labels` given.
    fn names_of(
        segments: &[SegmentSummary],
        numeric: &[NumericColumnProfile],
        language: Language,
        overrides: &[(usize, &str)],
        labels: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        let overrides = overrides.iter().map(|&(s, n)| (s, n.to_string())).collect();
        let labels = labels
            .iter()
            .map(|&(c, l)| (c.to_string(), l.to_string()))
            .collect();
        speaking_names(segments, numeric, None, None, language, &overrides, &labels).unwrap()
    }

    #[test]
    fn archetypes_and_languages() {
        let segments = vec![
            segment(0, &[("recency_days", 1.5)]),
            segment(1, &[("average_order_value", 2.0)]),
            segment(2, &[("Grocery", 0.9)]),
        ];
        let numeric = vec![
            column("recency_days", &[1.5, -0.2, 0.0]),
            column("average_order_value", &[0.0, 2.0, 0.1]),
            column("Grocery", &[0.0, 0.0, 0.9]),
        ];
        let en = names_of(&segments, &numeric, Language::English, &[], &[]);
        assert_eq!(en[0].0, "Lapsed customers");
        assert_eq!(en[1].0, "Premium partners");
        assert_eq!(en[2].0, "High Grocery");
        assert_eq!(en[1].1, "Premium partners: high average order value");
        let de = names_of(&segments, &numeric, Language::German, &[], &[]);
        assert_eq!(de[0].0, "Abgewanderte Kunden");
        assert_eq!(de[2].0, "Grocery hoch");
        // the same profile gives the same names
        let again = names_of(&segments, &numeric, Language::English, &[], &[]);
        assert_eq!(en, again);
    }

    #[test]
    fn names_are_unique_and_overridable() {
        let segments = vec![
            segment(0, &[("Grocery", 0.9)]),
            segment(1, &[("Grocery", 0.8)]),
            segment(2, &[]),
        ];
        let numeric = vec![column("Grocery", &[0.9, 0.8, 0.0])];
        let names = names_of(&segments, &numeric, Language::English, &[], &[]);
        assert_eq!(names[0].0, "High Grocery (0)");
        assert_eq!(names[1].0, "High Grocery (1)");
        assert_eq!(names[2].0, "Average customers");
        let names = names_of(
            &segments,
            &numeric,
            Language::English,
            &[(0, "Average customers")],
            &[],
        );
        assert_eq!(names[0].0, "Average customers");
        assert_eq!(names[2].0, "Average customers (2)");
        let unique: BTreeSet<&String> = names.iter().map(|n| &n.0).collect();
        assert_eq!(unique.len(), 3);
    }

    #[test]
    fn names_read_labels_never_snake_case() {
        let segments = vec![
            segment(0, &[("interpurchase_std_days", 1.2)]),
            segment(1, &[("AcceptedCmp5", 0.9)]),
            segment(2, &[("annual_revenue_eur", -0.9)]),
        ];
        let numeric = vec![column("interpurchase_std_days", &[1.2, 0.0, 0.0])];
        let labels = [("AcceptedCmp5", "took campaign 5")];
        let en = names_of(&segments, &numeric, Language::English, &[], &labels);
        assert_eq!(en[0].0, "High days between orders (spread)");
        assert_eq!(en[1].0, "High took campaign 5");
        assert_eq!(en[2].0, "Low company size");
        let de = names_of(&segments, &numeric, Language::German, &[], &labels);
        assert_eq!(de[0].0, "Tage zwischen Bestellungen (Streuung) hoch");
        for (name, description) in en.iter().chain(&de) {
            assert!(
                !name.contains('_') && !description.contains('_'),
                "{name}: {description}"
            );
        }
    }

    #[test]
    fn language_codes() {
        assert_eq!(Language::parse("DE").unwrap(), Language::German);
        assert!(Language::parse("fr").is_err());
    }
}
