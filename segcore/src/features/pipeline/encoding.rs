//! Categorical encodings fitted on a column: one-hot with rare categories grouped, and ordinal
//! with a user-given order.
//!
//! Lookups are per distinct category of the input column's dictionary, not per row, so encoding
//! a million customers costs one hash lookup per category plus one array write per row.

use super::spec::MinFrequency;
use crate::data::CategoricalColumn;
use crate::error::{Error, Result};
use ndarray::ArrayViewMut2;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Suffix of the column that receives rare categories and categories never seen at fit.
pub const OTHER_SUFFIX: &str = "other";
/// Suffix of the column that flags missing values.
pub const MISSING_SUFFIX: &str = "missing";

/// A fitted one-hot encoder of one column.
///
/// Output columns, in order: one per frequent category (sorted by name, as scikit-learn),
/// `<column>_missing` if missing values were frequent at fit, and always `<column>_other`, which
/// receives rare categories (fewer rows than `min_frequency` at fit; missing values count as a
/// category here, as in scikit-learn 1.9) and, at transform, categories never seen at fit. Unseen
/// categories are therefore never an error, and the output schema does not depend on whether
/// rare categories happened to exist at fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneHotEncoder {
    /// Frequent categories, sorted; one output column each.
    pub categories: Vec<String>,
    /// Categories seen at fit but grouped into `<column>_other`, sorted.
    pub infrequent: Vec<String>,
    /// Whether a `<column>_missing` column exists (missing values frequent at fit).
    pub missing_column: bool,
    /// Missing values were seen at fit but rare: they go to `<column>_other`.
    #[serde(default)]
    pub missing_infrequent: bool,
}

/// Where one row of a categorical column goes.
#[derive(Clone, Copy)]
pub(crate) enum Slot {
    Column(usize),
    Unknown(usize),
}

impl OneHotEncoder {
    /// Fits on `values`: counts categories (unused dictionary entries are ignored), groups
    /// those below `min_frequency`.
    pub fn fit(
        name: &str,
        values: &CategoricalColumn,
        min_frequency: MinFrequency,
    ) -> Result<Self> {
        let mut counts = vec![0u64; values.n_categories()];
        let mut n_missing = 0usize;
        for &code in &values.codes {
            match counts.get_mut(code as usize) {
                Some(c) => *c += 1,
                None => n_missing += 1,
            }
        }
        if n_missing == values.len() {
            return Err(all_missing(name));
        }
        let threshold = min_frequency.threshold(values.len());
        let mut categories = Vec::new();
        let mut infrequent = Vec::new();
        for (category, &count) in values.categories.iter().zip(&counts) {
            if count == 0 {
                continue;
            }
            if count as f64 >= threshold {
                categories.push(category.clone());
            } else {
                infrequent.push(category.clone());
            }
        }
        categories.sort_unstable();
        infrequent.sort_unstable();
        let missing_frequent = n_missing > 0 && n_missing as f64 >= threshold;
        Ok(OneHotEncoder {
            categories,
            infrequent,
            missing_column: missing_frequent,
            missing_infrequent: n_missing > 0 && !missing_frequent,
        })
    }

    /// Number of output columns.
    pub fn n_outputs(&self) -> usize {
        self.categories.len() + usize::from(self.missing_column) + 1
    }

    /// Output column names: `<column>_<category>`, `<column>_missing`, `<column>_other`.
    pub fn output_names(&self, column: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .categories
            .iter()
            .map(|c| format!("{column}_{c}"))
            .collect();
        if self.missing_column {
            names.push(format!("{column}_{MISSING_SUFFIX}"));
        }
        names.push(format!("{column}_{OTHER_SUFFIX}"));
        names
    }

    /// The slot of each category of `values`' dictionary, and the slot of a missing value:
    /// one hash lookup per distinct category, none per row.
    pub(crate) fn slots(&self, values: &CategoricalColumn) -> (Vec<Slot>, Slot) {
        let index: HashMap<&str, usize> = self
            .categories
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let other = self.other_index();
        let slots: Vec<Slot> = values
            .categories
            .iter()
            .map(|c| match index.get(c.as_str()) {
                Some(&i) => Slot::Column(i),
                None if self.infrequent.binary_search(c).is_ok() => Slot::Column(other),
                None => Slot::Unknown(other),
            })
            .collect();
        let missing = if self.missing_column {
            Slot::Column(self.categories.len())
        } else if self.missing_infrequent {
            Slot::Column(other)
        } else {
            // Missing never seen at fit is as unknown as a new category.
            Slot::Unknown(other)
        };
        (slots, missing)
    }

    /// Index of the `<column>_other` output.
    pub fn other_index(&self) -> usize {
        self.n_outputs() - 1
    }

    /// Writes the 0/1 encoding of `values` into `out` (rows x [`n_outputs`](Self::n_outputs),
    /// zero-filled by the caller); returns how many rows had a category never seen at fit.
    pub fn encode(&self, values: &CategoricalColumn, mut out: ArrayViewMut2<f64>) -> usize {
        let (slots, missing) = self.slots(values);
        let mut n_unknown = 0;
        for (row, &code) in values.codes.iter().enumerate() {
            let slot = slots.get(code as usize).copied().unwrap_or(missing);
            let j = match slot {
                Slot::Column(j) => j,
                Slot::Unknown(j) => {
                    n_unknown += 1;
                    j
                }
            };
            out[[row, j]] = 1.0;
        }
        n_unknown
    }
}

/// A fitted ordinal encoder: the position of each category in the user's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrdinalEncoder {
    /// Categories from lowest (0) to highest.
    pub order: Vec<String>,
}

impl OrdinalEncoder {
    /// Checks that every category present in `values` is in `order` (an unknown one is an
    /// error naming it: the order is the user's statement of all classes).
    pub fn fit(name: &str, values: &CategoricalColumn, order: &[String]) -> Result<Self> {
        let encoder = OrdinalEncoder {
            order: order.to_vec(),
        };
        let positions = encoder.positions(values);
        if values.n_missing() == values.len() {
            return Err(all_missing(name));
        }
        let mut used = vec![false; values.n_categories()];
        for &code in &values.codes {
            if let Some(u) = used.get_mut(code as usize) {
                *u = true;
            }
        }
        if let Some((category, _)) = values
            .categories
            .iter()
            .zip(&positions)
            .zip(&used)
            .find(|&((_, p), &u)| u && p.is_none())
            .map(|(cp, _)| cp)
        {
            return Err(Error::UnknownCategory {
                column: name.to_string(),
                value: category.clone(),
            });
        }
        Ok(encoder)
    }

    /// The position of each category of `values`' dictionary (`None`: outside the order).
    pub(crate) fn positions(&self, values: &CategoricalColumn) -> Vec<Option<f64>> {
        let index: HashMap<&str, usize> = self
            .order
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        values
            .categories
            .iter()
            .map(|c| index.get(c.as_str()).map(|&i| i as f64))
            .collect()
    }

    /// The positions of `values` (NaN for missing and for categories outside the order);
    /// returns the values and the first row holding a category outside the order, if any,
    /// with the count of such rows.
    pub fn encode(&self, values: &CategoricalColumn) -> (Vec<f64>, Option<(usize, usize)>) {
        let positions = self.positions(values);
        let mut first_unknown = None;
        let mut n_unknown = 0;
        let encoded = values
            .codes
            .iter()
            .enumerate()
            .map(|(row, &code)| {
                if code == CategoricalColumn::MISSING {
                    return f64::NAN;
                }
                match positions.get(code as usize).copied().flatten() {
                    Some(p) => p,
                    None => {
                        first_unknown.get_or_insert(row);
                        n_unknown += 1;
                        f64::NAN
                    }
                }
            })
            .collect();
        (encoded, first_unknown.map(|row| (row, n_unknown)))
    }
}

pub(crate) fn all_missing(name: &str) -> Error {
    Error::EmptyInput {
        what: format!("column `{name}` has no non-missing value at fit"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn column(values: &[Option<&str>]) -> CategoricalColumn {
        CategoricalColumn::from_values(values)
    }

    #[test]
    fn rare_categories_and_unknowns_go_to_other() {
        let fit = column(&[
            Some("food"),
            Some("auto"),
            Some("food"),
            Some("pharma"),
            Some("auto"),
            None,
            None,
        ]);
        let enc = OneHotEncoder::fit("industry", &fit, MinFrequency::Count(2)).unwrap();
        assert_eq!(enc.categories, ["auto", "food"]);
        assert_eq!(enc.infrequent, ["pharma"]);
        assert_eq!(
            enc.output_names("industry"),
            [
                "industry_auto",
                "industry_food",
                "industry_missing",
                "industry_other"
            ]
        );
        // A new dictionary order and an unseen category: looked up by name, never an error.
        let new = column(&[Some("biotech"), Some("pharma"), None, Some("food")]);
        let mut out = Array2::zeros((4, enc.n_outputs()));
        let n_unknown = enc.encode(&new, out.view_mut());
        assert_eq!(n_unknown, 1);
        assert_eq!(
            out,
            ndarray::array![
                [0.0, 0.0, 0.0, 1.0],
                [0.0, 0.0, 0.0, 1.0],
                [0.0, 0.0, 1.0, 0.0],
                [0.0, 1.0, 0.0, 0.0]
            ]
        );
    }

    #[test]
    fn rare_missing_values_go_to_other_as_in_scikit_learn() {
        let fit = column(&[Some("a"), Some("a"), None, Some("b"), Some("b")]);
        let enc = OneHotEncoder::fit("c", &fit, MinFrequency::Count(2)).unwrap();
        assert_eq!(enc.output_names("c"), ["c_a", "c_b", "c_other"]);
        let mut out = Array2::zeros((1, enc.n_outputs()));
        let n_unknown = enc.encode(&column(&[None]), out.view_mut());
        assert_eq!((n_unknown, out[[0, 2]]), (0, 1.0));
    }

    #[test]
    fn fraction_threshold_and_all_missing() {
        let fit = column(&[Some("a"), Some("a"), Some("a"), Some("b")]);
        let enc = OneHotEncoder::fit("c", &fit, MinFrequency::Fraction(0.3)).unwrap();
        assert_eq!(enc.categories, ["a"]);
        assert!(!enc.missing_column);
        let none = column(&[None, None]);
        assert!(matches!(
            OneHotEncoder::fit("c", &none, MinFrequency::Count(1)),
            Err(Error::EmptyInput { .. })
        ));
    }

    #[test]
    fn ordinal_positions_and_unknowns() {
        let order: Vec<String> = ["S", "M", "L"].iter().map(|s| s.to_string()).collect();
        let fit = column(&[Some("L"), Some("S"), None]);
        let enc = OrdinalEncoder::fit("size", &fit, &order).unwrap();
        let (values, unknown) = enc.encode(&column(&[Some("M"), Some("XL"), None, Some("XL")]));
        assert_eq!(values[0], 1.0);
        assert!(values[1].is_nan() && values[2].is_nan());
        assert_eq!(unknown, Some((1, 2)));
        let err = OrdinalEncoder::fit("size", &column(&[Some("XXL")]), &order).unwrap_err();
        assert!(err.to_string().contains("XXL"), "{err}");
        assert!(matches!(err, Error::UnknownCategory { .. }));
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<OneHotEncoder>();
        is::<OrdinalEncoder>();
    }
}
