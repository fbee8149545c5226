//! Initial centers: greedy k-means++ and weighted random rows. Both work on centered data and
//! return centered centers (k x d).

use super::kernel::{load_centered_row, CHUNK_ROWS};
use crate::error::Result;
use crate::numeric::sq_dist;
use crate::Float;
use ndarray::{s, Array2, ArrayView2};
use rand::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

/// Index of the first row whose running sum of `values` reaches `target` (numpy's
/// `searchsorted(cumsum, target, side="left")`), clipped to the last row. `chunk_sums[c]` is the
/// sum of `values` over chunk `c` of `CHUNK_ROWS` rows, so only one chunk is scanned row by row.
fn search_cumsum<F: Float>(values: &[F], chunk_sums: &[F], target: F) -> usize {
    let mut running = F::zero();
    for (c, &chunk_sum) in chunk_sums.iter().enumerate() {
        if running + chunk_sum >= target {
            let start = c * CHUNK_ROWS;
            for (i, &v) in values[start..].iter().take(CHUNK_ROWS).enumerate() {
                running += v;
                if running >= target {
                    return start + i;
                }
            }
            // Rounding between the chunk sum and the row-by-row sum: take the chunk's last row.
            return (start + CHUNK_ROWS).min(values.len()) - 1;
        }
        running += chunk_sum;
    }
    values.len() - 1
}

fn chunk_sums<F: Float>(values: &[F]) -> Vec<F> {
    values
        .par_chunks(CHUNK_ROWS)
        .map(|c| c.iter().fold(F::zero(), |a, &v| a + v))
        .collect()
}

fn centered_row<F: Float>(x: &ArrayView2<F>, i: usize, mean: &[F]) -> Vec<F> {
    let mut row = vec![F::zero(); mean.len()];
    load_centered_row(x, i, mean, &mut row);
    row
}

/// Greedy k-means++ as scikit-learn's `_kmeans_plusplus`: first center drawn with probability
/// proportional to weight; each further center is the candidate (out of `2 + floor(ln k)` drawn
/// with probability proportional to weight x squared distance) that lowers the weighted
/// potential most. Memory: one distance per row; the candidate potentials are computed in one
/// pass over X instead of keeping n x trials distances. Each further center is a pass over X
/// (a thousand for the micro-clusters of two-stage Ward), so each checks the cancellation flag.
pub(crate) fn kmeans_plusplus<F: Float>(
    x: &ArrayView2<F>,
    mean: &[F],
    weights: Option<&[F]>,
    k: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<Array2<F>> {
    let (n, d) = x.dim();
    let n_trials = 2 + (k as f64).ln().floor() as usize;
    let weight = |i: usize| weights.map_or(F::one(), |w| w[i]);
    let mut centers = Array2::<F>::zeros((k, d));

    // First center: probability proportional to weight.
    let first = match weights {
        Some(w) => {
            let total = w.iter().fold(F::zero(), |a, &v| a + v);
            let target = F::cast(rng.r#gen::<f64>()) * total;
            search_cumsum(w, &chunk_sums(w), target)
        }
        None => rng.gen_range(0..n),
    };
    let first_row = centered_row(x, first, mean);
    centers
        .row_mut(0)
        .assign(&ndarray::ArrayView1::from(&first_row[..]));

    // closest[i] = squared distance of row i to its nearest chosen center.
    let mut closest = vec![F::zero(); n];
    closest
        .par_chunks_mut(CHUNK_ROWS)
        .enumerate()
        .for_each(|(c, out)| {
            let mut buf = vec![F::zero(); d];
            for (r, o) in out.iter_mut().enumerate() {
                load_centered_row(x, c * CHUNK_ROWS + r, mean, &mut buf);
                *o = sq_dist(&buf, &first_row);
            }
        });
    let weighted = |closest: &[F]| -> Vec<F> {
        match weights {
            Some(w) => closest.par_iter().zip(w).map(|(&c, &w)| c * w).collect(),
            None => closest.to_vec(),
        }
    };
    let mut potential_terms = weighted(&closest);
    let mut potential_chunks = chunk_sums(&potential_terms);
    let mut current_pot = potential_chunks.iter().fold(F::zero(), |a, &v| a + v);

    for c in 1..k {
        crate::cancel::check()?;
        let candidates: Vec<usize> = (0..n_trials)
            .map(|_| {
                let target = F::cast(rng.r#gen::<f64>()) * current_pot;
                search_cumsum(&potential_terms, &potential_chunks, target)
            })
            .collect();
        let candidate_rows: Vec<Vec<F>> = candidates
            .iter()
            .map(|&i| centered_row(x, i, mean))
            .collect();
        // Potential if each candidate were added, summed per fixed chunk then in chunk order.
        let per_chunk: Vec<Vec<F>> = (0..n.div_ceil(CHUNK_ROWS))
            .into_par_iter()
            .map(|chunk| {
                let start = chunk * CHUNK_ROWS;
                let end = (start + CHUNK_ROWS).min(n);
                let mut buf = vec![F::zero(); d];
                let mut pots = vec![F::zero(); n_trials];
                for (i, &closest_i) in closest.iter().enumerate().take(end).skip(start) {
                    load_centered_row(x, i, mean, &mut buf);
                    let w = weight(i);
                    for (pot, cand) in pots.iter_mut().zip(&candidate_rows) {
                        let dist = sq_dist(&buf, cand).min(closest_i);
                        *pot += w * dist;
                    }
                }
                pots
            })
            .collect();
        let mut pots = vec![F::zero(); n_trials];
        for chunk in &per_chunk {
            for (p, &v) in pots.iter_mut().zip(chunk) {
                *p += v;
            }
        }
        // argmin, first wins on ties (numpy).
        let mut best = 0;
        for t in 1..n_trials {
            if pots[t] < pots[best] {
                best = t;
            }
        }
        current_pot = pots[best];
        let chosen = &candidate_rows[best];
        centers
            .row_mut(c)
            .assign(&ndarray::ArrayView1::from(&chosen[..]));
        if c + 1 < k {
            closest
                .par_chunks_mut(CHUNK_ROWS)
                .enumerate()
                .for_each(|(chunk, out)| {
                    let mut buf = vec![F::zero(); d];
                    for (r, o) in out.iter_mut().enumerate() {
                        load_centered_row(x, chunk * CHUNK_ROWS + r, mean, &mut buf);
                        *o = o.min(sq_dist(&buf, chosen));
                    }
                });
            potential_terms = weighted(&closest);
            potential_chunks = chunk_sums(&potential_terms);
        }
    }
    Ok(centers)
}

/// k distinct rows drawn without replacement with probability proportional to weight
/// (Efraimidis-Spirakis keys `ln(u) / w`; the k largest keys win, ties to the lower row).
/// Zero-weight rows are only taken when fewer than k rows have a positive weight.
pub(crate) fn random_rows<F: Float>(
    x: &ArrayView2<F>,
    mean: &[F],
    weights: Option<&[F]>,
    k: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> Array2<F> {
    let n = x.nrows();
    let mut keys: Vec<(f64, usize)> = (0..n)
        .map(|i| {
            let u: f64 = rng.r#gen::<f64>();
            let w = weights.map_or(1.0, |w| w[i].to_f64().unwrap_or(0.0));
            let key = if w > 0.0 {
                // ln(1 - u) is in (-inf, 0]; never ln(0) because gen() is in [0, 1).
                (1.0 - u).ln() / w
            } else {
                f64::NEG_INFINITY
            };
            (key, i)
        })
        .collect();
    keys.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut centers = Array2::<F>::zeros((k, mean.len()));
    for (c, &(_, i)) in keys.iter().take(k).enumerate() {
        let row = x.slice(s![i, ..]);
        for (f, (&v, &m)) in row.iter().zip(mean).enumerate() {
            centers[[c, f]] = v - m;
        }
    }
    centers
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use rand::SeedableRng;

    #[test]
    fn cumsum_search_is_numpy_searchsorted_left() {
        let values = vec![1.0, 0.0, 2.0, 3.0];
        let sums = chunk_sums(&values);
        assert_eq!(search_cumsum(&values, &sums, 0.5), 0);
        assert_eq!(search_cumsum(&values, &sums, 1.0), 0);
        assert_eq!(search_cumsum(&values, &sums, 1.5), 2);
        assert_eq!(search_cumsum(&values, &sums, 6.0), 3);
        assert_eq!(search_cumsum(&values, &sums, 7.0), 3);
    }

    #[test]
    fn plusplus_spreads_centers_and_skips_zero_weight_rows() {
        let x: Array2<f64> = array![
            [0.0, 0.0],
            [0.0, 0.1],
            [10.0, 10.0],
            [10.0, 10.1],
            [-10.0, 5.0]
        ];
        let mean = [0.0, 0.0];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let c = kmeans_plusplus(&x.view(), &mean, None, 3, &mut rng).unwrap();
        // One center per well separated group.
        let mut groups: Vec<i32> = c
            .outer_iter()
            .map(|r| {
                if r[0] > 5.0 {
                    1
                } else if r[0] < -5.0 {
                    2
                } else {
                    0
                }
            })
            .collect();
        groups.sort();
        assert_eq!(groups, vec![0, 1, 2]);
        let w: [f64; 5] = [0.0, 0.0, 1.0, 0.0, 1.0];
        for seed in 0..10 {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
            let c = kmeans_plusplus(&x.view(), &mean, Some(&w), 2, &mut rng).unwrap();
            for r in c.outer_iter() {
                assert!(r[0].abs() > 5.0, "zero-weight row chosen: {r}");
            }
        }
    }

    #[test]
    fn random_rows_are_distinct_and_weighted() {
        let x = array![[0.0], [1.0], [2.0], [3.0]];
        let w = [1.0, 0.0, 1.0, 1.0];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let c = random_rows(&x.view(), &[0.0], Some(&w), 3, &mut rng);
        let mut picked: Vec<f64> = c.iter().copied().collect();
        picked.sort_by(f64::total_cmp);
        assert_eq!(picked, vec![0.0, 2.0, 3.0]);
    }
}
