//! The one encoding of segment labels as callers give them (numbers or names) into the codes
//! profiles, metrics and lifetime value work on.
//!
//! Policy:
//! - integer labels in `0..=`[`MAX_SEGMENT_LABEL`] are kept as they are (segment 3 stays 3);
//! - anything else (names, negative or fractional numbers), and every label when asked for dense
//!   codes, is mapped to `0, 1, ...` in sorted order: numbers ascending, then text by byte (code
//!   point) order;
//! - where only segment numbers are accepted, a label that is not one is an error naming its row
//!   (text spelling such a number, `"3"`, counts as that number);
//! - a missing label is an error naming its row.

use super::groups::MAX_SEGMENT_LABEL;
use crate::error::{Error, Result};
use std::cmp::Ordering;
use std::collections::HashMap;

/// One segment label as the caller gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Label {
    /// A number (never NaN: a NaN is a missing label).
    Number(f64),
    /// A name (or any other value, by its text).
    Text(String),
}

/// How labels become codes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabelPolicy {
    /// Every label gets a dense code, integers too.
    pub dense: bool,
    /// Only segment numbers are accepted (an error names the first other label).
    pub segments_only: bool,
}

/// What the codes of [`encode_labels`] stand for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelCodes {
    /// The labels were kept: code `c` is segment `c`, for `c` below this count.
    Kept(usize),
    /// Dense codes: code `c` is the label at row `rows[c]` (its first appearance).
    Rows(Vec<usize>),
}

/// The segment number of a label, if it is one (`text` reads text as the number it spells).
fn segment(label: &Label, text: bool) -> Option<usize> {
    let x = match label {
        Label::Number(x) => *x,
        Label::Text(t) if text => t.trim().parse::<f64>().ok()?,
        Label::Text(_) => return None,
    };
    (x.fract() == 0.0 && (0.0..=MAX_SEGMENT_LABEL as f64).contains(&x)).then_some(x as usize)
}

fn order(a: &Label, b: &Label) -> Ordering {
    match (a, b) {
        (Label::Number(x), Label::Number(y)) => x.total_cmp(y),
        (Label::Number(_), Label::Text(_)) => Ordering::Less,
        (Label::Text(_), Label::Number(_)) => Ordering::Greater,
        (Label::Text(x), Label::Text(y)) => x.cmp(y),
    }
}

/// A hashable key: equal numbers (0.0 and -0.0 too) share one.
#[derive(PartialEq, Eq, Hash)]
enum Key<'a> {
    Number(u64),
    Text(&'a str),
}

fn key(label: &Label) -> Key<'_> {
    match label {
        Label::Number(x) => Key::Number((x + 0.0).to_bits()),
        Label::Text(t) => Key::Text(t),
    }
}

/// The codes of `labels` (`None` = missing) under `policy` (see the module doc), and what they
/// stand for. Errors name the argument `name`, the row and the label as `shown(row)` gives it
/// (the caller's own spelling of the value).
pub fn encode_labels(
    labels: &[Option<Label>],
    name: &str,
    policy: LabelPolicy,
    shown: impl Fn(usize) -> String,
) -> Result<(Vec<usize>, LabelCodes)> {
    if let Some(row) = labels.iter().position(Option::is_none) {
        return Err(Error::MissingLabel {
            name: name.to_string(),
            row,
            value: shown(row),
        });
    }
    let labels: Vec<&Label> = labels.iter().flatten().collect();
    if !policy.dense {
        let kept: Option<Vec<usize>> = labels
            .iter()
            .map(|l| segment(l, policy.segments_only))
            .collect();
        if let Some(codes) = kept {
            let count = codes.iter().max().map_or(0, |&m| m + 1);
            return Ok((codes, LabelCodes::Kept(count)));
        }
    }
    if policy.segments_only {
        if let Some(row) = labels.iter().position(|l| segment(l, true).is_none()) {
            return Err(Error::NotSegmentLabel {
                name: name.to_string(),
                row,
                value: shown(row),
            });
        }
    }
    let mut first: HashMap<Key<'_>, usize> = HashMap::new();
    let mut rows: Vec<usize> = Vec::new();
    for (row, label) in labels.iter().enumerate() {
        first.entry(key(label)).or_insert_with(|| {
            rows.push(row);
            row
        });
    }
    rows.sort_by(|&a, &b| order(labels[a], labels[b]));
    let code: HashMap<Key<'_>, usize> = rows
        .iter()
        .enumerate()
        .map(|(c, &r)| (key(labels[r]), c))
        .collect();
    let codes = labels.iter().map(|l| code[&key(l)]).collect();
    Ok((codes, LabelCodes::Rows(rows)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(values: &[f64]) -> Vec<Option<Label>> {
        values
            .iter()
            .map(|&x| (!x.is_nan()).then_some(Label::Number(x)))
            .collect()
    }

    fn texts(values: &[&str]) -> Vec<Option<Label>> {
        values
            .iter()
            .map(|t| Some(Label::Text(t.to_string())))
            .collect()
    }

    fn encode(
        labels: &[Option<Label>],
        dense: bool,
        segments_only: bool,
    ) -> Result<(Vec<usize>, LabelCodes)> {
        let policy = LabelPolicy {
            dense,
            segments_only,
        };
        encode_labels(labels, "labels", policy, |row| format!("<{row}>"))
    }

    #[test]
    fn segment_numbers_are_kept_and_anything_else_is_sorted() {
        let (codes, kept) = encode(&numbers(&[3.0, 1.0, 3.0]), false, false).unwrap();
        assert_eq!((codes, kept), (vec![3, 1, 3], LabelCodes::Kept(4)));
        let (codes, rows) = encode(&texts(&["b", "a", "b"]), false, false).unwrap();
        assert_eq!((codes, rows), (vec![1, 0, 1], LabelCodes::Rows(vec![1, 0])));
        let (codes, rows) = encode(&numbers(&[5.0, 0.0, 5.0]), true, false).unwrap();
        assert_eq!((codes, rows), (vec![1, 0, 1], LabelCodes::Rows(vec![1, 0])));
        // Negative, fractional and too large numbers: dense, ascending; -0.0 is 0.0.
        let (codes, _) = encode(&numbers(&[-1.0, 0.5, 70_000.0, 0.5]), false, false).unwrap();
        assert_eq!(codes, vec![0, 1, 2, 1]);
        let (codes, rows) = encode(&numbers(&[-2.0, 0.0, -0.0]), false, false).unwrap();
        assert_eq!((codes, rows), (vec![0, 1, 1], LabelCodes::Rows(vec![0, 1])));
        // Numbers before text; text spelling a number stays text unless only segments count.
        let mixed = vec![
            Some(Label::Text("a".into())),
            Some(Label::Number(7.0)),
            Some(Label::Text("1".into())),
        ];
        let (codes, _) = encode(&mixed, false, false).unwrap();
        assert_eq!(codes, vec![2, 0, 1]);
        assert_eq!(
            encode(&[], false, false).unwrap(),
            (vec![], LabelCodes::Kept(0))
        );
    }

    #[test]
    fn missing_and_non_segment_labels_name_their_row() {
        let err = encode(&numbers(&[0.0, f64::NAN]), false, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "labels contains missing values (<1>) at row 1"
        );
        let err = encode(&texts(&["0", "x"]), false, true).unwrap_err();
        assert_eq!(
            err.to_string(),
            "labels, row 1: <1> is not a segment label (an integer in 0..=65535)"
        );
        let err = encode(&numbers(&[1.0, 65_536.0]), false, true).unwrap_err();
        assert!(err.to_string().starts_with("labels, row 1:"));
        let (codes, kept) = encode(&texts(&["2", " 0"]), false, true).unwrap();
        assert_eq!((codes, kept), (vec![2, 0], LabelCodes::Kept(3)));
    }
}
