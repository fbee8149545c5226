//! Model-based hierarchical agglomeration, mclust's default EM initialisation (`hc` with
//! `modelName = "VVV"`, `use = "SVD"`; Fraley 1998, "Algorithms for model-based Gaussian
//! hierarchical clustering").
//!
//! The rows are standardised (centred, divided by the sample standard deviation), rotated onto
//! their singular vectors and each direction divided by the square root of its singular value
//! (mclust's "SVD" transformation); then, starting from singletons (exact duplicates start
//! together), the two groups whose merge costs least are merged, until one group is left. The
//! cost of a group of `m` rows with scatter `W` is mclust's regularised VVV classification
//! criterion `m ln(det(W / m) + beta (tr W + alpha) / m)` (`m ln(beta (tr W + alpha) / m)` while
//! `m <= d`), with `beta = 1` and `alpha = tr(W_all) / (n d)` as in mclust's `hcVVV`; a merge
//! costs the criterion of the union minus those of the parts. The tree is computed once per data
//! set and cut at every k ([`Hierarchy::partition`]).
//!
//! Invariant: the merge order depends only on the rows, never on the thread count (costs are
//! computed independently per pair; the minimum is found by a fixed-order scan; ties go to the
//! first pair in row-major order). Memory is one n x n cost matrix, so at most
//! [`MAX_HIERARCHY_ROWS`] rows enter the tree (mclust draws a subset of 2000 rows past that
//! size; so does [`super::MixtureModelParams`]).

use crate::error::{Error, Result};
use crate::Float;
use linfa_linalg::eigh::{EigSort, Eigh};
use ndarray::{Array2, ArrayView2};
use rayon::prelude::*;

/// Largest number of rows the agglomeration accepts (its cost matrix is n x n f64).
pub const MAX_HIERARCHY_ROWS: usize = 10_000;

/// The merge tree of model-based agglomeration over a set of rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Hierarchy {
    /// Row indices (into the data the tree was built from) of the rows in the tree.
    pub rows: Vec<usize>,
    /// Initial group of each row in `rows` (duplicates share one).
    initial: Vec<usize>,
    /// Merges in order: (kept group, absorbed group), group ids of the initial groups.
    merges: Vec<(usize, usize)>,
}

impl Hierarchy {
    /// Number of initial groups (distinct rows).
    pub fn n_groups(&self) -> usize {
        self.merges.len() + 1
    }

    /// Labels `0..k` of the rows in `rows` after cutting the tree at `k` groups, numbered by
    /// first appearance (mclust's `hclass` + `partconv(consec = TRUE)`); `None` if the tree has
    /// fewer than `k` groups.
    pub fn partition(&self, k: usize) -> Option<Vec<usize>> {
        let groups = self.n_groups();
        if k == 0 || k > groups {
            return None;
        }
        let mut parent: Vec<usize> = (0..groups).collect();
        for &(keep, absorb) in &self.merges[..groups - k] {
            parent[absorb] = keep;
        }
        let root = |mut g: usize| {
            while parent[g] != g {
                g = parent[g];
            }
            g
        };
        let mut label = vec![usize::MAX; groups];
        let mut next = 0;
        Some(
            self.initial
                .iter()
                .map(|&g| {
                    let r = root(g);
                    if label[r] == usize::MAX {
                        label[r] = next;
                        next += 1;
                    }
                    label[r]
                })
                .collect(),
        )
    }
}

/// mclust's `hc(use = "SVD")` transformation of the rows: standardised columns (constant ones
/// dropped), projected on the right singular vectors and scaled by `1 / sqrt(singular value)`.
fn svd_transform<F: Float>(x: &ArrayView2<F>, rows: &[usize]) -> Result<Array2<f64>> {
    let (n, d) = (rows.len(), x.ncols());
    let mut z = Array2::<f64>::zeros((n, d));
    for (r, &i) in rows.iter().enumerate() {
        for f in 0..d {
            z[[r, f]] = x[[i, f]].to_f64().unwrap_or(f64::NAN);
        }
    }
    let mut keep = Vec::new();
    for f in 0..d {
        let mean = z.column(f).sum() / n as f64;
        z.column_mut(f).mapv_inplace(|v| v - mean);
        let sd = (z.column(f).iter().map(|v| v * v).sum::<f64>() / (n as f64 - 1.0)).sqrt();
        if sd.is_finite() && sd > 0.0 {
            z.column_mut(f).mapv_inplace(|v| v / sd);
            keep.push(f);
        }
    }
    let z = z.select(ndarray::Axis(1), &keep);
    let gram = z.t().dot(&z);
    let (values, vectors) =
        gram.eigh()
            .map(|e| e.sort_eig_desc())
            .map_err(|e| Error::Numerical {
                reason: format!("the hierarchical initialisation's SVD failed ({e})"),
            })?;
    // Directions with a zero singular value carry no spread: dropped (mclust would divide by 0).
    let top = values[0].max(0.0);
    let used: Vec<usize> = (0..values.len())
        .filter(|&j| values[j] > 1e-12 * top && values[j] > 0.0)
        .collect();
    let mut out = z.dot(&vectors.select(ndarray::Axis(1), &used));
    for (c, &j) in used.iter().enumerate() {
        let factor = values[j].powf(-0.25);
        out.column_mut(c).mapv_inplace(|v| v * factor);
    }
    Ok(out)
}

/// One group of the agglomeration (flat row-major d x d scatter: the pair loop allocates
/// nothing).
#[derive(Clone)]
struct Group {
    size: f64,
    mean: Vec<f64>,
    scatter: Vec<f64>,
    trace: f64,
    term: f64,
}

struct Criterion {
    alpha: f64,
    beta: f64,
    d: usize,
}

impl Criterion {
    /// mclust's `vvvtij`: the regularised classification criterion of a group of `size` rows
    /// whose scatter's lower triangle is in `scatter` (overwritten by its Cholesky factor).
    fn term(&self, size: f64, scatter: &mut [f64], trace: f64) -> f64 {
        let (alpha, beta, d) = (self.alpha, self.beta, self.d);
        let spread = beta * (trace + alpha) / size;
        if size <= d as f64 {
            return size * spread.ln();
        }
        if trace == 0.0 {
            return size * (alpha * beta / size).ln();
        }
        // ln det(W / m) from an in-place Cholesky factor; a non-positive pivot is a zero
        // determinant.
        let mut log_det = 0.0;
        for j in 0..d {
            let mut diag = scatter[j * d + j] / size;
            for p in 0..j {
                diag -= scatter[j * d + p] * scatter[j * d + p];
            }
            if diag.is_nan() || diag <= 0.0 {
                return size * spread.ln();
            }
            let pivot = diag.sqrt();
            log_det += 2.0 * pivot.ln();
            scatter[j * d + j] = pivot;
            for i in j + 1..d {
                let mut s = scatter[i * d + j] / size;
                for p in 0..j {
                    s -= scatter[i * d + p] * scatter[j * d + p];
                }
                scatter[i * d + j] = s / pivot;
            }
        }
        if log_det <= 0.0 {
            size * (log_det.exp() + spread).ln()
        } else {
            size * ((1.0 + (-log_det).exp() * spread).ln() + log_det)
        }
    }

    /// Criterion of the union of `a` and `b`, using `scratch` (d x d) for its scatter.
    fn merged_term(&self, a: &Group, b: &Group, scratch: &mut [f64]) -> (f64, f64) {
        let d = self.d;
        let size = a.size + b.size;
        let factor = a.size * b.size / size;
        let delta_sq: f64 = a
            .mean
            .iter()
            .zip(&b.mean)
            .map(|(x, y)| (x - y) * (x - y))
            .sum();
        let trace = a.trace + b.trace + factor * delta_sq;
        if a.size == 1.0 && b.size == 1.0 {
            // mclust's closed form for two singletons.
            return (2.0 * (self.beta * (trace + self.alpha) / 2.0).ln(), trace);
        }
        if size <= d as f64 || trace == 0.0 {
            return (self.term(size, scratch, trace), trace);
        }
        for i in 0..d {
            let di = a.mean[i] - b.mean[i];
            for j in 0..=i {
                scratch[i * d + j] = a.scatter[i * d + j]
                    + b.scatter[i * d + j]
                    + factor * di * (a.mean[j] - b.mean[j]);
            }
        }
        (self.term(size, scratch, trace), trace)
    }

    fn merged(&self, a: &Group, b: &Group) -> Group {
        let d = self.d;
        let size = a.size + b.size;
        let factor = a.size * b.size / size;
        let mut scratch = vec![0.0; d * d];
        let (term, trace) = self.merged_term(a, b, &mut scratch);
        let mut scatter = vec![0.0; d * d];
        for i in 0..d {
            for j in 0..d {
                scatter[i * d + j] = a.scatter[i * d + j]
                    + b.scatter[i * d + j]
                    + factor * (a.mean[i] - b.mean[i]) * (a.mean[j] - b.mean[j]);
            }
        }
        let mean = a
            .mean
            .iter()
            .zip(&b.mean)
            .map(|(x, y)| (x * a.size + y * b.size) / size)
            .collect();
        Group {
            size,
            mean,
            scatter,
            trace,
            term,
        }
    }

    fn cost(&self, a: &Group, b: &Group, scratch: &mut [f64]) -> f64 {
        self.merged_term(a, b, scratch).0 - a.term - b.term
    }
}

fn get(groups: &[Option<Group>], i: usize) -> &Group {
    groups[i].as_ref().expect("active group")
}

/// Builds the tree over `rows` of `x` (at most [`MAX_HIERARCHY_ROWS`]).
pub(crate) fn model_based_hierarchy<F: Float>(
    x: &ArrayView2<F>,
    rows: Vec<usize>,
) -> Result<Hierarchy> {
    let n = rows.len();
    if n > MAX_HIERARCHY_ROWS {
        return Err(Error::invalid_parameter(
            "hierarchy_rows",
            n,
            format!("at most {MAX_HIERARCHY_ROWS} rows in the hierarchical initialisation"),
        ));
    }
    let z = svd_transform(x, &rows)?;
    let d = z.ncols();
    // Exact duplicates start as one group (mclust's `dupPartition`).
    let mut initial = vec![0usize; n];
    let mut firsts: Vec<usize> = Vec::new();
    let mut seen: std::collections::HashMap<Vec<u64>, usize> = std::collections::HashMap::new();
    for (i, label) in initial.iter_mut().enumerate() {
        // Bit patterns of the transformed row (+0.0 for -0.0, so equal rows have equal keys).
        let key: Vec<u64> = z.row(i).iter().map(|&v| (v + 0.0).to_bits()).collect();
        *label = *seen.entry(key).or_insert_with(|| {
            firsts.push(i);
            firsts.len() - 1
        });
    }
    let groups_n = firsts.len();
    if groups_n < 2 {
        return Ok(Hierarchy {
            rows,
            initial,
            merges: Vec::new(),
        });
    }
    let total_mean = z.mean_axis(ndarray::Axis(0)).expect("n >= 2 rows");
    let total_trace: f64 = z
        .rows()
        .into_iter()
        .map(|r| (&r - &total_mean).mapv(|v| v * v).sum())
        .sum();
    let criterion = Criterion {
        alpha: (total_trace / (n as f64 * d as f64)).max(f64::EPSILON),
        beta: 1.0,
        d,
    };
    let mut groups: Vec<Option<Group>> = vec![None; groups_n];
    for g in 0..groups_n {
        let members: Vec<usize> = (0..n).filter(|&i| initial[i] == g).collect();
        let size = members.len() as f64;
        let mean = z.row(firsts[g]).to_vec();
        let term = criterion.term(size, &mut vec![0.0; d * d], 0.0);
        groups[g] = Some(Group {
            size,
            mean,
            scatter: vec![0.0; d * d],
            trace: 0.0,
            term,
        });
    }
    // cost[i * g + j] for i < j; row minima for the scan.
    let g = groups_n;
    let mut cost = vec![f64::INFINITY; g * g];
    cost.par_chunks_mut(g).enumerate().for_each(|(i, row)| {
        let a = get(&groups, i);
        let mut scratch = vec![0.0; d * d];
        for (j, c) in row.iter_mut().enumerate().skip(i + 1) {
            *c = criterion.cost(a, get(&groups, j), &mut scratch);
        }
    });
    let row_min = |cost: &[f64], active: &[bool], i: usize| -> (f64, usize) {
        let mut best = (f64::INFINITY, usize::MAX);
        for j in i + 1..g {
            if active[j] && cost[i * g + j] < best.0 {
                best = (cost[i * g + j], j);
            }
        }
        best
    };
    let mut active = vec![true; g];
    let mut minima: Vec<(f64, usize)> = (0..g).map(|i| row_min(&cost, &active, i)).collect();
    let mut merges = Vec::with_capacity(g - 1);
    for _ in 0..g - 1 {
        crate::cancel::check()?;
        // Global minimum: first row (in order) holding it.
        let mut best = (f64::INFINITY, usize::MAX, usize::MAX);
        for i in 0..g {
            if active[i] && minima[i].1 != usize::MAX && minima[i].0 < best.0 {
                best = (minima[i].0, i, minima[i].1);
            }
        }
        let (a, b) = (best.1, best.2);
        if a == usize::MAX {
            // Every remaining cost is infinite or NaN: merge the first two active groups.
            let mut it = (0..g).filter(|&i| active[i]);
            let (a, b) = (
                it.next().expect("two active groups"),
                it.next().expect("two active groups"),
            );
            let m = criterion.merged(get(&groups, a), get(&groups, b));
            groups[a] = Some(m);
            groups[b] = None;
            active[b] = false;
            merges.push((a, b));
            minima = (0..g).map(|i| row_min(&cost, &active, i)).collect();
            continue;
        }
        let merged = criterion.merged(get(&groups, a), get(&groups, b));
        groups[a] = Some(merged);
        groups[b] = None;
        active[b] = false;
        merges.push((a, b));
        // New costs of the merged group against every other active group.
        let fresh: Vec<(usize, f64)> = (0..g)
            .into_par_iter()
            .filter(|&j| j != a && active[j])
            .map_init(
                || vec![0.0; d * d],
                |scratch, j| (j, criterion.cost(get(&groups, a), get(&groups, j), scratch)),
            )
            .collect();
        for &(j, c) in &fresh {
            let (lo, hi) = if j < a { (j, a) } else { (a, j) };
            cost[lo * g + hi] = c;
        }
        minima[a] = row_min(&cost, &active, a);
        minima[b] = (f64::INFINITY, usize::MAX);
        for i in 0..a {
            if !active[i] {
                continue;
            }
            if minima[i].1 == a || minima[i].1 == b {
                minima[i] = row_min(&cost, &active, i);
            } else if cost[i * g + a] < minima[i].0
                || (cost[i * g + a] == minima[i].0 && a < minima[i].1)
            {
                minima[i] = (cost[i * g + a], a);
            }
        }
        for i in a + 1..g {
            if active[i] && minima[i].1 == b {
                minima[i] = row_min(&cost, &active, i);
            }
        }
    }
    Ok(Hierarchy {
        rows,
        initial,
        merges,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn two_groups() -> Array2<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        Array2::from_shape_fn((60, 3), |(i, f)| {
            let centre = if i < 30 { 0.0 } else { 6.0 };
            centre + f as f64 * 0.1 + (0..4).map(|_| rng.gen_range(-1.0..1.0)).sum::<f64>()
        })
    }

    #[test]
    fn the_tree_separates_two_groups_and_cuts_consistently() {
        let x = two_groups();
        let tree = model_based_hierarchy(&x.view(), (0..60).collect()).unwrap();
        assert_eq!(tree.n_groups(), 60);
        let two = tree.partition(2).unwrap();
        assert!((0..30).all(|i| two[i] == two[0]));
        assert!((30..60).all(|i| two[i] == two[30]));
        assert_ne!(two[0], two[30]);
        assert_eq!(two[0], 0);
        // Nested: every cut at k + 1 refines the cut at k.
        for k in 1..10 {
            let coarse = tree.partition(k).unwrap();
            let fine = tree.partition(k + 1).unwrap();
            assert_eq!(*coarse.iter().max().unwrap(), k - 1);
            for i in 0..60 {
                for j in 0..60 {
                    if fine[i] == fine[j] {
                        assert_eq!(coarse[i], coarse[j]);
                    }
                }
            }
        }
        assert!(tree.partition(61).is_none());
        assert!(tree.partition(0).is_none());
    }

    #[test]
    fn duplicates_start_together_and_threads_do_not_matter() {
        let mut x = two_groups();
        let first = x.row(0).to_owned();
        x.row_mut(5).assign(&first);
        let tree = model_based_hierarchy(&x.view(), (0..60).collect()).unwrap();
        assert_eq!(tree.n_groups(), 59);
        let p = tree.partition(59).unwrap();
        assert_eq!(p[0], p[5]);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| model_based_hierarchy(&x.view(), (0..60).collect()).unwrap());
        assert_eq!(one, tree);
    }

    #[test]
    fn too_many_rows_is_an_error() {
        let x = Array2::<f64>::zeros((2, 2));
        assert!(model_based_hierarchy(&x.view(), vec![0; MAX_HIERARCHY_ROWS + 1]).is_err());
    }
}
