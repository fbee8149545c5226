//! What a person reads instead of a column name: a label and a unit for every built-in feature,
//! in English and German ("days between orders (spread)", "Tage zwischen Bestellungen
//! (Streuung)"), the user's own labels for their columns, and a readable fallback for any other
//! name (`annual_revenue_eur` -> "annual revenue eur").
//!
//! Invariant: names, descriptions and reports built from [`display_label`] never show snake
//! case; a user label always wins over a built-in one.

use super::names::Language;
use std::collections::BTreeMap;

/// The unit of a feature's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Calendar days.
    Days,
    /// Number of orders.
    Orders,
    /// Money, in the data's currency.
    Currency,
    /// A share in `[0, 1]`, shown as a percentage.
    Share,
    /// A count of things (product categories, purchases).
    Count,
    /// An index without unit (a trend in `[-1, 1]`).
    Index,
    /// A probability in `[0, 1]`.
    Probability,
}

impl Unit {
    /// The unit in words; `currency` is the data's currency code ("EUR" when not known).
    ///
    /// ```
    /// use segcore::profile::{labels::Unit, Language};
    /// assert_eq!(Unit::Days.text(Language::German, "EUR"), "Tage");
    /// assert_eq!(Unit::Currency.text(Language::English, "GBP"), "GBP");
    /// ```
    pub fn text(self, language: Language, currency: &str) -> String {
        let (en, de) = match self {
            Unit::Days => ("days", "Tage"),
            Unit::Orders => ("orders", "Bestellungen"),
            Unit::Currency => return currency.to_string(),
            Unit::Share | Unit::Probability => ("%", "%"),
            Unit::Count => ("count", "Anzahl"),
            Unit::Index => ("index (-1 to 1)", "Index (-1 bis 1)"),
        };
        language.pick(en, de).to_string()
    }
}

/// The label and unit of a feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureLabel {
    /// What the feature is, in words.
    pub label: String,
    /// Its unit, when it has one.
    pub unit: Option<Unit>,
}

/// Currency shown when the data does not say which (the project's first users are in the
/// euro area).
pub const DEFAULT_CURRENCY: &str = "EUR";

/// The label of a built-in feature (behaviour, value and lifecycle columns segcore computes),
/// or `None` for any other name.
///
/// ```
/// use segcore::profile::{labels::{builtin_label, Unit}, Language};
/// let spread = builtin_label("interpurchase_std_days", Language::English).unwrap();
/// assert_eq!((spread.label.as_str(), spread.unit), ("days between orders (spread)", Some(Unit::Days)));
/// let share = builtin_label("channel_share_EDI", Language::German).unwrap();
/// assert_eq!(share.label, "Umsatzanteil über EDI");
/// assert!(builtin_label("Grocery", Language::English).is_none());
/// ```
pub fn builtin_label(name: &str, language: Language) -> Option<FeatureLabel> {
    if let Some(channel) = name.strip_prefix("channel_share_") {
        return Some(FeatureLabel {
            label: match language {
                Language::English => format!("revenue share via {channel}"),
                Language::German => format!("Umsatzanteil über {channel}"),
            },
            unit: Some(Unit::Share),
        });
    }
    if let Some(column) = name.strip_suffix("_tenure_days") {
        return Some(FeatureLabel {
            label: match language {
                Language::English => format!("days since {}", humanise(column)),
                Language::German => format!("Tage seit {}", humanise(column)),
            },
            unit: Some(Unit::Days),
        });
    }
    let (en, de, unit) = match name {
        "recency_days" => (
            "days since last order",
            "Tage seit letzter Bestellung",
            Unit::Days,
        ),
        "frequency" => ("number of orders", "Anzahl Bestellungen", Unit::Orders),
        "monetary" => ("net revenue", "Nettoumsatz", Unit::Currency),
        "margin" => ("gross margin", "Rohertrag", Unit::Currency),
        "average_order_value" => (
            "average order value",
            "durchschnittlicher Bestellwert",
            Unit::Currency,
        ),
        "tenure_days" => (
            "days since first order",
            "Tage seit erster Bestellung",
            Unit::Days,
        ),
        "product_categories" => (
            "product categories bought",
            "gekaufte Warengruppen",
            Unit::Count,
        ),
        "return_rate" => ("return rate", "Retourenquote", Unit::Share),
        "interpurchase_mean_days" => (
            "days between orders (mean)",
            "Tage zwischen Bestellungen (Mittel)",
            Unit::Days,
        ),
        "interpurchase_std_days" => (
            "days between orders (spread)",
            "Tage zwischen Bestellungen (Streuung)",
            Unit::Days,
        ),
        "revenue_last_window" => (
            "revenue, last period",
            "Umsatz, letzter Zeitraum",
            Unit::Currency,
        ),
        "revenue_previous_window" => (
            "revenue, previous period",
            "Umsatz, vorheriger Zeitraum",
            Unit::Currency,
        ),
        "revenue_trend" => ("revenue trend", "Umsatztrend", Unit::Index),
        "probability_alive" => (
            "probability still active",
            "Wahrscheinlichkeit noch aktiv",
            Unit::Probability,
        ),
        "expected_purchases" => ("expected purchases", "erwartete Käufe", Unit::Count),
        "clv" => (
            "customer lifetime value",
            "Kundenwert (CLV)",
            Unit::Currency,
        ),
        _ => return None,
    };
    Some(FeatureLabel {
        label: language.pick(en, de).to_string(),
        unit: Some(unit),
    })
}

/// A column name made readable: underscores and hyphens become spaces, a lower-to-upper case
/// change (`MntWines`) a word break, and the words are lower-cased unless the name is an
/// acronym (`EDI`). Used for columns without a built-in or user label.
///
/// ```
/// use segcore::profile::labels::humanise;
/// assert_eq!(humanise("annual_revenue_eur"), "annual revenue eur");
/// assert_eq!(humanise("NumWebPurchases"), "num web purchases");
/// assert_eq!(humanise("Grocery"), "Grocery");
/// assert_eq!(humanise("EDI"), "EDI");
/// ```
pub fn humanise(name: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous: Option<char> = None;
    for c in name.chars() {
        if c == '_' || c == '-' || c == ' ' {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
        } else {
            let camel = c.is_uppercase() && previous.is_some_and(|p| p.is_lowercase());
            let digit_edge = c.is_ascii_digit() != previous.is_some_and(|p| p.is_ascii_digit())
                && previous.is_some_and(char::is_alphanumeric)
                && c.is_ascii_digit();
            if (camel || digit_edge) && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            current.push(c);
        }
        previous = Some(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    if words.len() == 1 {
        return words.pop().unwrap_or_default();
    }
    words
        .iter()
        .map(|w| {
            if w.chars().all(|c| c.is_uppercase() || c.is_ascii_digit()) {
                w.clone()
            } else {
                w.to_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The label a person reads for column `name`: the user's label, else the built-in one, else
/// the name made readable ([`humanise`]).
///
/// ```
/// use std::collections::BTreeMap;
/// use segcore::profile::{labels::display_label, Language};
/// let mut mine = BTreeMap::new();
/// mine.insert("AcceptedCmp5".to_string(), "accepted campaign 5".to_string());
/// assert_eq!(display_label("AcceptedCmp5", Language::English, &mine), "accepted campaign 5");
/// assert_eq!(display_label("monetary", Language::German, &mine), "Nettoumsatz");
/// assert_eq!(display_label("MntWines", Language::English, &mine), "mnt wines");
/// ```
pub fn display_label(name: &str, language: Language, user: &BTreeMap<String, String>) -> String {
    if let Some(label) = user.get(name) {
        return label.clone();
    }
    match builtin_label(name, language) {
        Some(l) => l.label,
        None => humanise(name),
    }
}

/// The label of `name` (built-in or readable, see [`display_label`]) with its unit in words
/// when it has one: what `segcore.feature_label` returns.
pub fn feature_label(name: &str, language: Language) -> FeatureLabel {
    builtin_label(name, language).unwrap_or_else(|| FeatureLabel {
        label: humanise(name),
        unit: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::behaviour::BehaviourFeature;

    #[test]
    fn every_builtin_feature_has_a_label_and_unit_in_both_languages() {
        for feature in BehaviourFeature::ALL {
            let name = match feature {
                BehaviourFeature::ChannelMix => "channel_share_web".to_string(),
                other => other.name().to_string(),
            };
            for language in [Language::English, Language::German] {
                let label = builtin_label(&name, language)
                    .unwrap_or_else(|| panic!("{name} has no {language:?} label"));
                assert!(!label.label.contains('_'), "{name}: {}", label.label);
                assert!(label.unit.is_some(), "{name}");
            }
        }
        for name in ["probability_alive", "expected_purchases", "clv"] {
            assert!(builtin_label(name, Language::German).is_some(), "{name}");
        }
        assert_eq!(
            builtin_label("Dt_Customer_tenure_days", Language::English)
                .unwrap()
                .label,
            "days since dt customer"
        );
    }

    #[test]
    fn readable_fallbacks() {
        assert_eq!(humanise("AcceptedCmp5"), "accepted cmp 5");
        assert_eq!(humanise("Year_Birth"), "year birth");
        assert_eq!(humanise("x"), "x");
        assert_eq!(humanise(""), "");
        assert_eq!(
            feature_label("Income", Language::English),
            FeatureLabel {
                label: "Income".into(),
                unit: None
            }
        );
    }
}
