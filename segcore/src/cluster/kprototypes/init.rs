//! Initial prototypes: k-means++, Cao and Huang, all choosing distinct rows of the data so no
//! cluster starts empty.

use super::data::{dissimilarity, MixedRows, Prototypes, CHUNK_ROWS};
use crate::error::Result;
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// Candidates drawn for each k-means++ centroid (the one lowering the total dissimilarity most
/// is kept). scikit-learn's greedy k-means++ draws `2 + ln k`; with so few, D^2 sampling seeds
/// outliers often enough to cost the best of 10 starts 1.6 % on the customer-personality data
/// (k = 6, incomes up to 26 standard deviations out); with 30 the default reaches kmodes' best.
/// Each candidate costs one pass over the rows (on the screening sample for large data).
pub(crate) const GREEDY_TRIALS: usize = 30;

/// Lowers `min_dist[i]` to the dissimilarity of row `i` to row `chosen` (parallel, per row).
fn update_min_dist(data: &MixedRows, chosen: usize, gamma: f64, min_dist: &mut [f64]) {
    let (cn, cc) = (data.num_row(chosen), data.cat_row(chosen));
    min_dist
        .par_chunks_mut(CHUNK_ROWS)
        .enumerate()
        .for_each(|(c, chunk)| {
            for (o, m) in chunk.iter_mut().enumerate() {
                let i = c * CHUNK_ROWS + o;
                let d = dissimilarity(data.num_row(i), data.cat_row(i), cn, cc, gamma);
                if d < *m {
                    *m = d;
                }
            }
        });
}

/// Row drawn with probability proportional to `mass[i]` (the first row whose running sum
/// reaches `u x total`); `None` when the total mass is zero.
fn draw(mass: &[f64], rng: &mut Xoshiro256PlusPlus) -> Option<usize> {
    let total: f64 = mass.iter().sum();
    if total <= 0.0 || !total.is_finite() {
        return None;
    }
    let target = rng.r#gen::<f64>() * total;
    let mut running = 0.0;
    let mut last_positive = None;
    for (i, &m) in mass.iter().enumerate() {
        if m > 0.0 {
            running += m;
            last_positive = Some(i);
            if running >= target {
                return Some(i);
            }
        }
    }
    last_positive
}

/// Greedy k-means++ in the mixed dissimilarity (see [`KPrototypesInit::KMeansPlusPlus`]).
///
/// [`KPrototypesInit::KMeansPlusPlus`]: super::KPrototypesInit::KMeansPlusPlus
pub(crate) fn kmeans_plusplus(
    data: &MixedRows,
    k: usize,
    gamma: f64,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<Prototypes> {
    let n_trials = GREEDY_TRIALS.max(2 + (k as f64).ln().floor() as usize);
    let first = draw(&data.weights, rng).ok_or_else(|| data.too_few_distinct(k))?;
    let mut chosen = vec![first];
    let mut min_dist = vec![f64::INFINITY; data.n];
    update_min_dist(data, first, gamma, &mut min_dist);
    while chosen.len() < k {
        let mass: Vec<f64> = min_dist
            .iter()
            .zip(&data.weights)
            .map(|(d, w)| d * w)
            .collect();
        let mut best: Option<(f64, usize)> = None;
        for _ in 0..n_trials {
            let Some(candidate) = draw(&mass, rng) else {
                return Err(data.too_few_distinct(k));
            };
            let (cn, cc) = (data.num_row(candidate), data.cat_row(candidate));
            let potential: f64 = (0..data.n.div_ceil(CHUNK_ROWS))
                .into_par_iter()
                .map(|c| {
                    (c * CHUNK_ROWS..((c + 1) * CHUNK_ROWS).min(data.n))
                        .map(|i| {
                            let d = dissimilarity(data.num_row(i), data.cat_row(i), cn, cc, gamma);
                            data.weights[i] * d.min(min_dist[i])
                        })
                        .sum::<f64>()
                })
                .collect::<Vec<f64>>()
                .iter()
                .sum();
            if best.is_none_or(|(p, _)| potential < p) {
                best = Some((potential, candidate));
            }
        }
        let (_, pick) = best.expect("n_trials >= 2 candidates were drawn");
        chosen.push(pick);
        update_min_dist(data, pick, gamma, &mut min_dist);
    }
    Ok(Prototypes::from_rows(data, &chosen))
}

/// Cao et al.'s density-based initialisation (see [`KPrototypesInit::Cao`]).
///
/// [`KPrototypesInit::Cao`]: super::KPrototypesInit::Cao
pub(crate) fn cao(
    data: &MixedRows,
    k: usize,
    gamma: f64,
    n_categories: &[u32],
) -> Result<Prototypes> {
    // Weighted category frequencies per column, then each row's mean relative frequency.
    let total_weight: f64 = data.weights.iter().sum();
    let mut density = vec![1.0; data.n];
    if data.q > 0 {
        let freq: Vec<Vec<f64>> = (0..data.q)
            .into_par_iter()
            .map(|j| {
                let mut f = vec![0.0; n_categories[j] as usize];
                for i in 0..data.n {
                    f[data.codes[i * data.q + j] as usize] += data.weights[i];
                }
                f
            })
            .collect();
        for (i, d) in density.iter_mut().enumerate() {
            let s: f64 = data
                .cat_row(i)
                .iter()
                .zip(&freq)
                .map(|(&c, f)| f[c as usize])
                .sum();
            *d = s / total_weight / data.q as f64;
        }
    }
    let positive = |i: usize| data.weights[i] > 0.0;
    let first = (0..data.n)
        .filter(|&i| positive(i))
        .fold(None, |best: Option<usize>, i| match best {
            Some(b) if density[b] >= density[i] => Some(b),
            _ => Some(i),
        })
        .ok_or_else(|| data.too_few_distinct(k))?;
    let mut chosen = vec![first];
    let mut min_dist = vec![f64::INFINITY; data.n];
    update_min_dist(data, first, gamma, &mut min_dist);
    while chosen.len() < k {
        let mut best = (0.0, usize::MAX);
        for i in (0..data.n).filter(|&i| positive(i)) {
            let score = density[i] * min_dist[i];
            if score > best.0 {
                best = (score, i);
            }
        }
        if best.1 == usize::MAX {
            return Err(data.too_few_distinct(k));
        }
        chosen.push(best.1);
        update_min_dist(data, best.1, gamma, &mut min_dist);
    }
    Ok(Prototypes::from_rows(data, &chosen))
}

/// Huang's initialisation (see [`KPrototypesInit::Huang`]).
///
/// [`KPrototypesInit::Huang`]: super::KPrototypesInit::Huang
pub(crate) fn huang(
    data: &MixedRows,
    k: usize,
    gamma: f64,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<Prototypes> {
    let mut chosen: Vec<usize> = Vec::with_capacity(k);
    let mut min_dist = vec![f64::INFINITY; data.n];
    for _ in 0..k {
        // Draw a prototype column by column from the (weighted) column distributions.
        let mut num = Vec::with_capacity(data.p);
        for j in 0..data.p {
            let row = draw(&data.weights, rng).ok_or_else(|| data.too_few_distinct(k))?;
            num.push(data.num_row(row)[j]);
        }
        let mut cat = Vec::with_capacity(data.q);
        for j in 0..data.q {
            let row = draw(&data.weights, rng).ok_or_else(|| data.too_few_distinct(k))?;
            cat.push(data.cat_row(row)[j]);
        }
        // Its nearest row that is not a copy of a chosen one (lowest index on ties).
        let best = (0..data.n.div_ceil(CHUNK_ROWS))
            .into_par_iter()
            .map(|c| {
                let mut best = (f64::INFINITY, usize::MAX);
                let start = c * CHUNK_ROWS;
                let end = (start + CHUNK_ROWS).min(data.n);
                for (i, &already) in min_dist.iter().enumerate().take(end).skip(start) {
                    if data.weights[i] > 0.0 && already > 0.0 {
                        let d = dissimilarity(data.num_row(i), data.cat_row(i), &num, &cat, gamma);
                        if d < best.0 {
                            best = (d, i);
                        }
                    }
                }
                best
            })
            .collect::<Vec<_>>()
            .into_iter()
            .fold(
                (f64::INFINITY, usize::MAX),
                |a, b| if b.0 < a.0 { b } else { a },
            );
        if best.1 == usize::MAX {
            return Err(data.too_few_distinct(k));
        }
        chosen.push(best.1);
        update_min_dist(data, best.1, gamma, &mut min_dist);
    }
    Ok(Prototypes::from_rows(data, &chosen))
}
