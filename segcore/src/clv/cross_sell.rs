//! Cross-sell white space: per segment, how many customers buy each product category and how
//! much; per customer, the categories most of their segment buys and they do not, ranked by the
//! expected revenue `peers' mean spend in the category x the customer's P(alive)`.

use crate::data::{CategoricalColumn, TransactionLog};
use crate::error::{Error, Result};
use crate::profile::privacy::{protect_table, publishable};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One category in one segment; `None` where the privacy rules hide the figure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryPenetration {
    /// Segment label.
    pub segment: usize,
    /// Product category.
    pub category: String,
    /// Customers of the segment with a positive net spend in the category.
    pub n_buyers: Option<usize>,
    /// `n_buyers` / customers in the segment.
    pub penetration: Option<f64>,
    /// Mean net spend in the category per buying customer.
    pub mean_spend_per_buyer: Option<f64>,
}

/// One suggestion for one customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrossSellSuggestion {
    /// The customer's index in the log's [`customer_ids`](TransactionLog::customer_ids).
    pub customer: usize,
    /// A category most of the customer's segment buys and the customer does not.
    pub category: String,
    /// Peers' mean spend in the category x the customer's probability of being alive.
    pub expected_revenue: f64,
    /// Position among the customer's suggestions, 1 = best.
    #[serde(default)]
    pub rank: usize,
}

/// Per-segment penetration table and per-customer suggestions; see [`cross_sell`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrossSell {
    /// Segments x categories, segment-major.
    pub penetration: Vec<CategoryPenetration>,
    /// Up to `top_k` suggestions per customer, best first, customers in index order.
    pub suggestions: Vec<CrossSellSuggestion>,
}

/// Builds the white-space table of a transaction log with a product category.
///
/// `segment[c]` is the segment of the log's customer `c` (`None`: not segmented, left out) and
/// `probability_alive[c]` their probability of being alive (1 for plain white space). A customer
/// buys a category when their net spend in it is positive. A cell (segment x category) is
/// published when its buyers and non-buyers pass [`protect_table`] under `min_group_size`;
/// suggestions come only from published cells with a penetration of at least
/// `min_penetration` (0.5: "most of the segment").
#[allow(clippy::too_many_arguments)]
pub fn cross_sell(
    log: &TransactionLog,
    segment: &[Option<usize>],
    n_segments: usize,
    probability_alive: &[f64],
    min_penetration: f64,
    top_k: usize,
    min_group_size: usize,
) -> Result<CrossSell> {
    let Some(CategoricalColumn { categories, codes }) = log.product_category() else {
        return Err(Error::invalid_parameter(
            "transactions",
            "a log without product categories",
            "a product category column",
        ));
    };
    let n_customers = log.customer_ids().len();
    for (what, len) in [
        ("segment", segment.len()),
        ("probability_alive", probability_alive.len()),
    ] {
        if len != n_customers {
            return Err(Error::ShapeMismatch {
                what: format!("{what} (one per customer of the log)"),
                expected: n_customers,
                got: len,
            });
        }
    }
    if let Some(c) = segment
        .iter()
        .position(|s| s.is_some_and(|s| s >= n_segments))
    {
        return Err(Error::invalid_parameter(
            "segment",
            format!("{:?} for customer {c}", segment[c]),
            format!("a segment below n_segments = {n_segments}"),
        ));
    }
    if let Some(c) = probability_alive
        .iter()
        .position(|p| !(0.0..=1.0).contains(p))
    {
        return Err(Error::invalid_parameter(
            "probability_alive",
            format!("{} for customer {c}", probability_alive[c]),
            "probabilities in [0, 1]",
        ));
    }
    if !(0.0..=1.0).contains(&min_penetration) {
        return Err(Error::invalid_parameter(
            "min_penetration",
            min_penetration,
            "a share in [0, 1]",
        ));
    }
    let n_categories = categories.len();
    // Net spend per (customer, category): dense when small, the common case for categories.
    let cells = n_customers
        .checked_mul(n_categories)
        .filter(|&c| c <= 1 << 28)
        .ok_or_else(|| {
            Error::invalid_parameter(
                "product_category",
                format!("{n_categories} categories x {n_customers} customers"),
                "at most 2^28 customer x category cells",
            )
        })?;
    let mut spend = vec![0.0f64; cells];
    for ((&customer, &category), &amount) in
        log.customer_codes().iter().zip(codes).zip(log.amounts())
    {
        if category != CategoricalColumn::MISSING {
            spend[customer as usize * n_categories + category as usize] += amount;
        }
    }
    let mut size = vec![0usize; n_segments];
    let mut buyers = vec![0usize; n_segments * n_categories];
    let mut total = vec![0.0f64; n_segments * n_categories];
    for c in 0..n_customers {
        let Some(s) = segment[c] else { continue };
        size[s] += 1;
        for k in 0..n_categories {
            let v = spend[c * n_categories + k];
            if v > 0.0 {
                buyers[s * n_categories + k] += 1;
                total[s * n_categories + k] += v;
            }
        }
    }
    // Buyers and non-buyers of each category form one protected table per category.
    let shown: Vec<bool> = size
        .iter()
        .map(|&n| publishable(n, min_group_size))
        .collect();
    let suppressed: Vec<bool> = shown.iter().map(|s| !s).collect();
    let mut published = vec![false; n_segments * n_categories];
    for k in 0..n_categories {
        let counts: Vec<usize> = (0..n_segments)
            .flat_map(|s| {
                [
                    buyers[s * n_categories + k],
                    size[s] - buyers[s * n_categories + k],
                ]
            })
            .collect();
        let (hidden, _) = protect_table(&counts, n_segments, 2, min_group_size, &suppressed);
        for s in 0..n_segments {
            published[s * n_categories + k] = shown[s] && !hidden[2 * s] && !hidden[2 * s + 1];
        }
    }
    let mut penetration = Vec::with_capacity(n_segments * n_categories);
    for (s, &segment_size) in size.iter().enumerate() {
        for (k, category) in categories.iter().enumerate() {
            let cell = s * n_categories + k;
            let show = published[cell];
            let b = buyers[cell];
            penetration.push(CategoryPenetration {
                segment: s,
                category: category.clone(),
                n_buyers: show.then_some(b),
                penetration: show.then(|| b as f64 / segment_size as f64),
                mean_spend_per_buyer: (show && b > 0).then(|| total[cell] / b as f64),
            });
        }
    }
    let mut suggestions = Vec::new();
    let mut candidates = Vec::with_capacity(n_categories);
    for c in 0..n_customers {
        let Some(s) = segment[c] else { continue };
        candidates.clear();
        for k in 0..n_categories {
            let cell = s * n_categories + k;
            let b = buyers[cell];
            if published[cell]
                && b > 0
                && b as f64 >= min_penetration * size[s] as f64
                && spend[c * n_categories + k] <= 0.0
            {
                candidates.push((total[cell] / b as f64 * probability_alive[c], k));
            }
        }
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for (position, &(revenue, k)) in candidates.iter().take(top_k).enumerate() {
            suggestions.push(CrossSellSuggestion {
                customer: c,
                category: categories[k].clone(),
                expected_revenue: revenue,
                rank: position + 1,
            });
        }
    }
    Ok(CrossSell {
        penetration,
        suggestions,
    })
}

/// The segments and probabilities of being alive of the log's customers, for [`cross_sell`],
/// from values keyed by customer id (`(ids, values)`, as a CRM export or a segmentation's output
/// gives them; a repeated id keeps its last value).
///
/// A customer absent from `segments`, or with a missing (NaN) or -1 segment, is not segmented;
/// any other segment must be an integer >= 0. Without `probability_alive` every customer counts
/// 1 (plain white space); with it, a segmented customer without a finite value is an error
/// naming the id, and customers not segmented count 0.
pub fn segments_by_id(
    log: &TransactionLog,
    segments: (&[String], &[f64]),
    probability_alive: Option<(&[String], &[f64])>,
) -> Result<(Vec<Option<usize>>, Vec<f64>)> {
    fn lookup<'a>(
        (ids, values): (&'a [String], &[f64]),
        what: &str,
    ) -> Result<HashMap<&'a str, f64>> {
        if ids.len() != values.len() {
            return Err(Error::ShapeMismatch {
                what: format!("{what} (one value per id)"),
                expected: ids.len(),
                got: values.len(),
            });
        }
        Ok(ids
            .iter()
            .map(String::as_str)
            .zip(values.iter().copied())
            .collect())
    }
    let bad = |source: &str, reason: String| Error::UnsupportedInput {
        source_name: source.to_string(),
        reason,
    };
    let segment_of = lookup(segments, "segments")?;
    let segment = log
        .customer_ids()
        .iter()
        .map(|id| match segment_of.get(id.as_str()).copied() {
            None => Ok(None),
            Some(s) if s.is_nan() || s == -1.0 => Ok(None),
            Some(s) if s >= 0.0 && s.fract() == 0.0 && s < u32::MAX as f64 => Ok(Some(s as usize)),
            Some(s) => Err(bad(
                "segments",
                format!("customer '{id}' has segment {s}; segments must be integer labels >= 0"),
            )),
        })
        .collect::<Result<Vec<_>>>()?;
    let alive = match probability_alive {
        None => vec![1.0; segment.len()],
        Some(given) => {
            let alive_of = lookup(given, "probability_alive")?;
            let ids = log.customer_ids();
            ids.iter()
                .zip(&segment)
                .map(|(id, s)| match (s, alive_of.get(id.as_str()).copied()) {
                    (None, _) => Ok(0.0),
                    (Some(_), Some(p)) if p.is_finite() => Ok(p),
                    (Some(_), _) => Err(bad(
                        "probability_alive",
                        format!("missing for segmented customer '{id}'"),
                    )),
                })
                .collect::<Result<Vec<_>>>()?
        }
    };
    Ok((segment, alive))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Date;

    #[test]
    fn suggests_what_peers_buy() {
        // 12 customers in one segment: all buy "paper", 8 buy "toner" (mean 50), 2 buy "chairs".
        let d = Date::parse("2025-01-01").unwrap();
        let mut ids = Vec::new();
        let mut cats = Vec::new();
        let mut amounts = Vec::new();
        for c in 0..12 {
            let id = format!("C{c}");
            ids.push(id.clone());
            cats.push(Some("paper"));
            amounts.push(10.0);
            if c < 8 {
                ids.push(id.clone());
                cats.push(Some("toner"));
                amounts.push(40.0 + 2.5 * c as f64);
            }
            if c < 2 {
                ids.push(id);
                cats.push(Some("chairs"));
                amounts.push(300.0);
            }
        }
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let log = TransactionLog::from_ids(&refs, vec![d; refs.len()], amounts)
            .unwrap()
            .with_product_category(CategoricalColumn::from_values(&cats))
            .unwrap();
        let segment = vec![Some(0); 12];
        let mut alive = vec![1.0; 12];
        alive[9] = 0.5;
        let result = cross_sell(&log, &segment, 1, &alive, 0.5, 3, 2).unwrap();
        let toner = &result.penetration[1];
        assert_eq!(
            (toner.category.as_str(), toner.n_buyers),
            ("toner", Some(8))
        );
        assert_eq!(toner.mean_spend_per_buyer, Some(48.75));
        // Customers 8..12 lack toner; chairs (2 of 12) is not "most of the segment".
        assert_eq!(result.suggestions.len(), 4);
        assert!(result.suggestions.iter().all(|s| s.category == "toner"));
        assert_eq!(result.suggestions[1].customer, 9);
        assert_eq!(result.suggestions[1].expected_revenue, 48.75 * 0.5);
        // Privacy: a minimum group of 5 hides the chairs cell (2 buyers).
        let private = cross_sell(&log, &segment, 1, &alive, 0.5, 3, 5).unwrap();
        assert_eq!(private.penetration[2].n_buyers, None);
        let no_category = TransactionLog::from_ids(&["a"], vec![d], vec![1.0]).unwrap();
        assert!(cross_sell(&no_category, &[Some(0)], 1, &[1.0], 0.5, 1, 1).is_err());
    }

    #[test]
    fn segments_by_id_read_the_mapping_policy() {
        let day = Date::parse("2025-01-01").unwrap();
        let ids = vec!["A".to_string(), "B".into(), "C".into()];
        let log = TransactionLog::new(ids, vec![0, 1, 2], vec![day; 3], vec![1.0; 3]).unwrap();
        let ids: Vec<String> = ["B", "A", "Z"].iter().map(|s| s.to_string()).collect();
        let (segment, alive) = segments_by_id(&log, (&ids, &[1.0, 0.0, 7.0]), None).unwrap();
        assert_eq!(segment, vec![Some(0), Some(1), None]);
        assert_eq!(alive, vec![1.0; 3]);
        let p = [0.5, f64::NAN, 0.2];
        let (_, alive) = segments_by_id(&log, (&ids[..2], &[1.0, -1.0]), Some((&ids, &p))).unwrap();
        assert_eq!(alive, vec![0.0, 0.5, 0.0]);
        let err = segments_by_id(&log, (&ids, &[1.0, 0.0, 7.0]), Some((&ids, &p))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "probability_alive: missing for segmented customer 'A'"
        );
        let err = segments_by_id(&log, (&ids, &[1.5, 0.0, 7.0]), None).unwrap_err();
        assert!(err
            .to_string()
            .contains("segments must be integer labels >= 0"));
    }
}
