//! Dates written as text in a customer table (an enrolment date `04-09-2012`, a first-order date
//! `2019-03-31`) read as dates and turned into a tenure in days, instead of being one-hot encoded
//! as hundreds of "categories".
//!
//! Invariant: a text column becomes a date column only when every non-empty value is a written
//! date ([`Date::parse`](crate::data::Date::parse): ISO, `DD.MM.YYYY`, `DD-MM-YYYY`, optionally
//! with a time; not the compact `YYYYMMDD`, which account numbers share) and
//! it has at least two distinct dates; it is replaced by `<column>_tenure_days` = days from the
//! date to the reference date (the as-of date, else the day after the column's latest date at
//! fit), saved with the model so predict measures from the same day. A value that is not a date
//! at predict is missing (imputed like any missing value).

use crate::data::{ColumnData, CustomerTable, Date};
use crate::error::Result;
use serde::{Deserialize, Serialize};

/// Suffix of the tenure column that replaces a text date column.
pub const TENURE_SUFFIX: &str = "_tenure_days";

/// A text column read as dates, and the day its tenure is measured to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateColumn {
    /// The text column of the input table.
    pub column: String,
    /// Its tenure is measured in days up to this date.
    pub reference: Date,
}

impl DateColumn {
    /// The name of the tenure column (`<column>_tenure_days`).
    pub fn tenure_column(&self) -> String {
        format!("{}{TENURE_SUFFIX}", self.column)
    }
}

/// The text columns of `table` that hold dates, with their reference date (`as_of`, else the
/// day after the column's latest date).
pub(crate) fn detect(table: &CustomerTable, as_of: Option<Date>) -> Vec<DateColumn> {
    let mut found = Vec::new();
    for column in table.columns() {
        let ColumnData::Categorical(values) = &column.data else {
            continue;
        };
        if values.n_categories() < 2 {
            continue;
        }
        // Written dates only (with separators): eight-digit codes (an account number such as
        // 20190312) would parse as compact YYYYMMDD but are not dates.
        let parsed: Option<Vec<Date>> = values
            .categories
            .iter()
            .map(|c| {
                if c.trim().len() >= 10 {
                    crate::data::Date::parse(c).ok()
                } else {
                    None
                }
            })
            .collect();
        let Some(dates) = parsed else {
            continue;
        };
        let Some(last) = dates.iter().max().copied() else {
            continue;
        };
        let reference = as_of.or_else(|| last.checked_add_days(1)).unwrap_or(last);
        found.push(DateColumn {
            column: column.name.clone(),
            reference,
        });
    }
    found
}

/// `table` with each date column replaced by its tenure in days (`NaN` where the value is
/// missing or not a date).
pub(crate) fn apply(table: &CustomerTable, dates: &[DateColumn]) -> Result<CustomerTable> {
    if dates.is_empty() {
        return Ok(table.clone());
    }
    let mut out = table.clone();
    for date in dates {
        let Ok(ColumnData::Categorical(values)) = table.column(&date.column).map(|c| &c.data)
        else {
            // Already numeric (a service sending the tenure) or absent: the pipeline reports it.
            continue;
        };
        let tenure_of: Vec<f64> = values
            .categories
            .iter()
            .map(|c| {
                crate::data::Date::parse(c)
                    .map_or(f64::NAN, |d| f64::from(date.reference.days_since(d)))
            })
            .collect();
        let tenure = values
            .codes
            .iter()
            .map(|&code| tenure_of.get(code as usize).copied().unwrap_or(f64::NAN))
            .collect();
        out.replace_column(
            &date.column,
            &date.tenure_column(),
            ColumnData::Numeric(tenure),
        )?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_dates_become_tenure() {
        let mut t = CustomerTable::new(vec!["a".into(), "b".into(), "c".into()]).unwrap();
        t.add_categorical(
            "Dt_Customer",
            &[Some("04-09-2012"), Some("08-03-2014"), None],
        )
        .unwrap();
        t.add_categorical("region", &[Some("north"), Some("south"), Some("north")])
            .unwrap();
        t.add_categorical("account", &[Some("20190312"), Some("20200101"), None])
            .unwrap();
        let found = detect(&t, None);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].reference, Date::from_ymd(2014, 3, 9).unwrap());
        let out = apply(&t, &found).unwrap();
        assert_eq!(
            out.column_names(),
            ["Dt_Customer_tenure_days", "region", "account"]
        );
        let tenure = out.numeric("Dt_Customer_tenure_days").unwrap();
        assert_eq!(tenure[1], 1.0);
        assert_eq!(tenure[0], 551.0);
        assert!(tenure[2].is_nan());
    }
}
