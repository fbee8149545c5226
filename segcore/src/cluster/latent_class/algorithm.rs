//! EM for the latent class model and the fitted model [`LatentClass`].

use super::hyperparams::{LatentClassParams, LatentClassValidParams};
use crate::error::{Error, Result};
use crate::validation::check_sample_weight;
use crate::validation::MAX_CATEGORY_CODE;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The code of a missing answer.
pub const MISSING: u32 = u32::MAX;

/// Item-response probabilities are floored at this value inside logarithms, so a category never
/// seen in a class gives a finite (negligible) likelihood instead of `-inf`.
const MIN_PROBABILITY: f64 = 1e-300;

/// At most this many row chunks per pass: each chunk keeps its own `k x L` partial counts.
const MAX_CHUNKS: usize = 64;
const MIN_CHUNK_ROWS: usize = 4096;

/// A fitted latent class model: class weights and, per indicator, the probability of each
/// answer in each class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatentClass {
    weights: Array1<f64>,
    /// Per indicator, `n_components x n_categories[j]`: P(answer | class).
    item_probabilities: Vec<Array2<f64>>,
    n_categories: Vec<u32>,
    log_likelihood: f64,
    n_iter: usize,
    converged: bool,
}

/// One row of [`latent_class_bic_table`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatentClassSummary {
    /// Number of classes.
    pub n_components: usize,
    /// Total log-likelihood of the data (best start).
    pub log_likelihood: f64,
    /// Free parameters: `(k - 1) + k x sum_j (L_j - 1)`.
    pub n_parameters: usize,
    /// `-2 LL + n_parameters x ln(n_rows)`.
    pub bic: f64,
    /// `-2 LL + 2 n_parameters`.
    pub aic: f64,
    /// Whether the best start converged.
    pub converged: bool,
}

/// Checked answers: `n x q` codes (row-major, [`MISSING`] allowed), weights, offsets of each
/// indicator's categories in the flat `L`-long category axis.
struct Answers {
    n: usize,
    q: usize,
    codes: Vec<u32>,
    weights: Vec<f64>,
    offsets: Vec<usize>,
    n_levels: usize,
}

impl Answers {
    fn new(
        codes: ArrayView2<u32>,
        weights: Option<ArrayView1<f64>>,
        n_categories: &[u32],
    ) -> Result<Self> {
        let (n, q) = codes.dim();
        let weights = match weights {
            Some(w) => {
                check_sample_weight(w, n)?;
                w.to_vec()
            }
            None => vec![1.0; n],
        };
        let mut offsets = Vec::with_capacity(q);
        let mut n_levels = 0;
        for &c in n_categories {
            offsets.push(n_levels);
            n_levels += c as usize;
        }
        let codes: Vec<u32> = codes.as_standard_layout().iter().copied().collect();
        for (idx, &c) in codes.iter().enumerate() {
            if c != MISSING && c >= n_categories[idx % q] {
                return Err(Error::UnknownCategory {
                    column: format!("indicator {}", idx % q),
                    value: format!(
                        "code {c} at row {} (the fit saw {} categories)",
                        idx / q,
                        n_categories[idx % q]
                    ),
                });
            }
        }
        Ok(Answers {
            n,
            q,
            codes,
            weights,
            offsets,
            n_levels,
        })
    }

    fn chunk_rows(&self) -> usize {
        self.n.div_ceil(MAX_CHUNKS).max(MIN_CHUNK_ROWS)
    }
}

/// Categories per indicator at fit: largest observed code + 1, bounded.
fn fit_categories(codes: ArrayView2<u32>) -> Result<Vec<u32>> {
    let mut n_categories = vec![0u32; codes.ncols()];
    for ((i, j), &c) in codes.indexed_iter() {
        if c == MISSING {
            continue;
        }
        if c >= MAX_CATEGORY_CODE {
            return Err(Error::invalid_parameter(
                "X",
                format!("category code {c} at row {i}, column {j}"),
                format!("category codes 0..n_categories-1 below {MAX_CATEGORY_CODE} (or missing)"),
            ));
        }
        n_categories[j] = n_categories[j].max(c + 1);
    }
    Ok(n_categories)
}

/// Parameters in the flat layout: `log_weights[c]`, `log_probs[c * L + offset_j + code]`.
struct LogParams {
    log_weights: Vec<f64>,
    log_probs: Vec<f64>,
}

/// E-step sums: total weighted log-likelihood, class weight sums, weighted answer counts (k x L).
struct Expectations {
    log_likelihood: f64,
    class_sums: Vec<f64>,
    counts: Vec<f64>,
}

/// Log joint of row `i` with each class into `lp`; returns the row's log-likelihood.
#[inline]
fn row_log_joint(data: &Answers, params: &LogParams, i: usize, lp: &mut [f64]) -> f64 {
    let l = data.n_levels;
    let row = &data.codes[i * data.q..(i + 1) * data.q];
    let mut max = f64::NEG_INFINITY;
    for (c, v) in lp.iter_mut().enumerate() {
        let probs = &params.log_probs[c * l..(c + 1) * l];
        let mut s = params.log_weights[c];
        for (j, &code) in row.iter().enumerate() {
            if code != MISSING {
                s += probs[data.offsets[j] + code as usize];
            }
        }
        *v = s;
        max = max.max(s);
    }
    let total: f64 = lp.iter().map(|v| (v - max).exp()).sum();
    max + total.ln()
}

fn e_step(data: &Answers, params: &LogParams, k: usize) -> Expectations {
    let chunk = data.chunk_rows();
    let l = data.n_levels;
    let partials: Vec<Expectations> = (0..data.n.div_ceil(chunk))
        .into_par_iter()
        .map(|ci| {
            let mut e = Expectations {
                log_likelihood: 0.0,
                class_sums: vec![0.0; k],
                counts: vec![0.0; k * l],
            };
            let mut lp = vec![0.0; k];
            for i in ci * chunk..((ci + 1) * chunk).min(data.n) {
                let ll = row_log_joint(data, params, i, &mut lp);
                let w = data.weights[i];
                e.log_likelihood += w * ll;
                let row = &data.codes[i * data.q..(i + 1) * data.q];
                for (c, &v) in lp.iter().enumerate() {
                    let r = w * (v - ll).exp();
                    e.class_sums[c] += r;
                    let counts = &mut e.counts[c * l..(c + 1) * l];
                    for (j, &code) in row.iter().enumerate() {
                        if code != MISSING {
                            counts[data.offsets[j] + code as usize] += r;
                        }
                    }
                }
            }
            e
        })
        .collect();
    let mut total = Expectations {
        log_likelihood: 0.0,
        class_sums: vec![0.0; k],
        counts: vec![0.0; k * l],
    };
    for p in partials {
        total.log_likelihood += p.log_likelihood;
        total
            .class_sums
            .iter_mut()
            .zip(&p.class_sums)
            .for_each(|(a, b)| *a += b);
        total
            .counts
            .iter_mut()
            .zip(&p.counts)
            .for_each(|(a, b)| *a += b);
    }
    total
}

/// M-step: class weights from the class sums; per class and indicator, answer probabilities
/// from the counts over the rows that answered it (missing at random). An indicator nobody in a
/// class answered keeps uniform probabilities.
fn m_step(
    e: &Expectations,
    n_categories: &[u32],
    offsets: &[usize],
    total_weight: f64,
) -> (Vec<f64>, Vec<f64>) {
    let k = e.class_sums.len();
    let l = e.counts.len() / k.max(1);
    let weights: Vec<f64> = e.class_sums.iter().map(|s| s / total_weight).collect();
    let mut probs = vec![0.0; k * l];
    for c in 0..k {
        for (j, &levels) in n_categories.iter().enumerate() {
            let range = c * l + offsets[j]..c * l + offsets[j] + levels as usize;
            let sum: f64 = e.counts[range.clone()].iter().sum();
            for (dst, &cnt) in probs[range.clone()].iter_mut().zip(&e.counts[range]) {
                *dst = if sum > 0.0 {
                    cnt / sum
                } else {
                    1.0 / levels as f64
                };
            }
        }
    }
    (weights, probs)
}

fn to_log(weights: &[f64], probs: &[f64]) -> LogParams {
    LogParams {
        log_weights: weights
            .iter()
            .map(|w| w.max(MIN_PROBABILITY).ln())
            .collect(),
        log_probs: probs.iter().map(|p| p.max(MIN_PROBABILITY).ln()).collect(),
    }
}

impl LatentClassParams {
    /// Checks the parameters and fits (see [`LatentClassValidParams::fit`]).
    ///
    /// # Example
    /// ```
    /// use ndarray::Array2;
    /// use segcore::cluster::latent_class::{LatentClassParams, MISSING};
    ///
    /// // Four yes/no answers; two kinds of respondents; one answer missing.
    /// let mut answers = Array2::from_shape_fn((200, 4), |(i, j)| ((i % 2 == 0) ^ (i % 10 == j)) as u32);
    /// answers[[3, 1]] = MISSING;
    /// let model = LatentClassParams::new(2).random_state(1).fit(answers.view(), None)?;
    /// let labels = model.predict(answers.view())?;
    /// assert_ne!(labels[0], labels[1]);
    /// assert!(model.log_likelihood() < 0.0);
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn fit(
        &self,
        codes: ArrayView2<u32>,
        sample_weight: Option<ArrayView1<f64>>,
    ) -> Result<LatentClass> {
        self.check()?.fit(codes, sample_weight)
    }
}

impl LatentClassValidParams {
    /// Fits the model by EM on answers `codes` (`n x q`, category codes `0..n_categories`, or
    /// [`MISSING`]), optionally weighted. Missing answers are skipped in the likelihood (missing
    /// at random, as stepmix and poLCA): a row with every answer missing contributes 0 to the
    /// log-likelihood and its posterior equals the class weights.
    ///
    /// Each of the `n_init` starts draws uniform class weights and random answer probabilities
    /// (poLCA's start); the start with the highest final log-likelihood wins (the first on ties).
    pub fn fit(
        &self,
        codes: ArrayView2<u32>,
        sample_weight: Option<ArrayView1<f64>>,
    ) -> Result<LatentClass> {
        let params = self.params();
        let k = params.n_components;
        let (n, q) = codes.dim();
        if n == 0 {
            return Err(Error::EmptyInput {
                what: "X has 0 samples".into(),
            });
        }
        if q == 0 {
            return Err(Error::EmptyInput {
                what: "X has 0 features".into(),
            });
        }
        if k > n {
            return Err(Error::TooManyClusters {
                n_clusters: k,
                n_samples: n,
            });
        }
        let n_categories = fit_categories(codes)?;
        let data = Answers::new(codes, sample_weight, &n_categories)?;
        let total_weight: f64 = data.weights.iter().sum();
        let mut seeds = Xoshiro256PlusPlus::seed_from_u64(params.random_state);
        // (log-likelihood, class weights, flat answer probabilities, iterations, converged)
        #[allow(clippy::type_complexity)]
        let mut best: Option<(f64, Vec<f64>, Vec<f64>, usize, bool)> = None;
        for _ in 0..params.n_init {
            crate::cancel::check()?;
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(seeds.r#gen());
            let mut weights = vec![1.0 / k as f64; k];
            let mut probs = vec![0.0; k * data.n_levels];
            for c in 0..k {
                for (j, &levels) in n_categories.iter().enumerate() {
                    let start = c * data.n_levels + data.offsets[j];
                    let slot = &mut probs[start..start + levels as usize];
                    slot.iter_mut().for_each(|p| *p = 0.1 + rng.r#gen::<f64>());
                    let s: f64 = slot.iter().sum();
                    slot.iter_mut().for_each(|p| *p /= s);
                }
            }
            let mut e = e_step(&data, &to_log(&weights, &probs), k);
            let mut n_iter = 0;
            let mut converged = false;
            while n_iter < params.max_iter {
                crate::cancel::check()?;
                n_iter += 1;
                (weights, probs) = m_step(&e, &n_categories, &data.offsets, total_weight);
                let next = e_step(&data, &to_log(&weights, &probs), k);
                let gain = (next.log_likelihood - e.log_likelihood) / total_weight;
                e = next;
                if gain.abs() < params.tol {
                    converged = true;
                    break;
                }
            }
            if best.as_ref().is_none_or(|b| e.log_likelihood > b.0) {
                best = Some((e.log_likelihood, weights, probs, n_iter, converged));
            }
        }
        let (log_likelihood, weights, probs, n_iter, converged) =
            best.expect("n_init >= 1 starts were run");
        let item_probabilities = n_categories
            .iter()
            .enumerate()
            .map(|(j, &levels)| {
                Array2::from_shape_fn((k, levels as usize), |(c, l)| {
                    probs[c * data.n_levels + data.offsets[j] + l]
                })
            })
            .collect();
        Ok(LatentClass {
            weights: Array1::from(weights),
            item_probabilities,
            n_categories,
            log_likelihood,
            n_iter,
            converged,
        })
    }
}

impl LatentClass {
    /// Number of latent classes.
    pub fn n_components(&self) -> usize {
        self.weights.len()
    }

    /// Class weights (prior class probabilities), summing to 1.
    pub fn weights(&self) -> ArrayView1<'_, f64> {
        self.weights.view()
    }

    /// Per indicator, `n_components x n_categories[j]`: the probability of each answer in
    /// each class (rows sum to 1).
    pub fn item_probabilities(&self) -> &[Array2<f64>] {
        &self.item_probabilities
    }

    /// Categories per indicator seen at fit (largest code + 1).
    pub fn n_categories(&self) -> &[u32] {
        &self.n_categories
    }

    /// Total (weighted) log-likelihood of the training data under the fitted model.
    pub fn log_likelihood(&self) -> f64 {
        self.log_likelihood
    }

    /// EM iterations of the best start.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Whether the best start converged within `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Free parameters: `(k - 1) + k x sum_j (n_categories[j] - 1)`.
    pub fn n_parameters(&self) -> usize {
        let k = self.n_components();
        let per_class: usize = self
            .n_categories
            .iter()
            .map(|&l| (l as usize).saturating_sub(1))
            .sum();
        k - 1 + k * per_class
    }

    fn log_params(&self) -> (LogParams, Vec<usize>) {
        let mut offsets = Vec::with_capacity(self.n_categories.len());
        let mut l = 0;
        for &c in &self.n_categories {
            offsets.push(l);
            l += c as usize;
        }
        let k = self.n_components();
        let mut probs = vec![0.0; k * l];
        for (j, table) in self.item_probabilities.iter().enumerate() {
            for ((c, lev), &p) in table.indexed_iter() {
                probs[c * l + offsets[j] + lev] = p;
            }
        }
        (
            to_log(
                self.weights
                    .as_slice()
                    .expect("owned 1-D array is contiguous"),
                &probs,
            ),
            offsets,
        )
    }

    fn answers(&self, codes: ArrayView2<u32>) -> Result<Answers> {
        if codes.ncols() != self.n_categories.len() {
            return Err(Error::ShapeMismatch {
                what: "X (number of indicators)".into(),
                expected: self.n_categories.len(),
                got: codes.ncols(),
            });
        }
        Answers::new(codes, None, &self.n_categories)
    }

    /// Per row: the log-likelihood (first) and the posterior class probabilities.
    fn posterior(&self, codes: ArrayView2<u32>) -> Result<(Array1<f64>, Array2<f64>)> {
        let data = self.answers(codes)?;
        let (params, _) = self.log_params();
        let k = self.n_components();
        let mut lls = Array1::zeros(data.n);
        let mut proba = Array2::zeros((data.n, k));
        let chunk = data.chunk_rows();
        lls.as_slice_mut()
            .expect("owned 1-D array is contiguous")
            .par_chunks_mut(chunk)
            .zip(
                proba
                    .as_slice_mut()
                    .expect("owned array is contiguous")
                    .par_chunks_mut(chunk * k),
            )
            .enumerate()
            .for_each(|(ci, (ll_chunk, p_chunk))| {
                let mut lp = vec![0.0; k];
                for (o, ll_out) in ll_chunk.iter_mut().enumerate() {
                    let ll = row_log_joint(&data, &params, ci * chunk + o, &mut lp);
                    *ll_out = ll;
                    for (c, &v) in lp.iter().enumerate() {
                        p_chunk[o * k + c] = (v - ll).exp();
                    }
                }
            });
        Ok((lls, proba))
    }

    /// Posterior class probabilities of each row (`n x n_components`). Codes must be below the
    /// fit's `n_categories` (else [`Error::UnknownCategory`]) or [`MISSING`].
    pub fn predict_proba(&self, codes: ArrayView2<u32>) -> Result<Array2<f64>> {
        Ok(self.posterior(codes)?.1)
    }

    /// Most probable class of each row (lowest class on ties).
    pub fn predict(&self, codes: ArrayView2<u32>) -> Result<Array1<usize>> {
        let proba = self.predict_proba(codes)?;
        Ok(proba
            .rows()
            .into_iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .fold(0, |b, (c, &v)| if v > r[b] { c } else { b })
            })
            .collect())
    }

    /// Log-likelihood of each row.
    pub fn score_samples(&self, codes: ArrayView2<u32>) -> Result<Array1<f64>> {
        Ok(self.posterior(codes)?.0)
    }

    /// Mean log-likelihood per row (scikit-learn's `score` of mixtures); NaN without rows.
    pub fn score(&self, codes: ArrayView2<u32>) -> Result<f64> {
        Ok(self.total_log_likelihood(codes)? / codes.nrows() as f64)
    }

    /// Total log-likelihood of the rows (summed in row order).
    pub fn total_log_likelihood(&self, codes: ArrayView2<u32>) -> Result<f64> {
        Ok(self.score_samples(codes)?.iter().sum())
    }

    /// Bayesian information criterion on `codes`: `-2 LL + n_parameters x ln(n_rows)`.
    pub fn bic(&self, codes: ArrayView2<u32>) -> Result<f64> {
        let ll = self.total_log_likelihood(codes)?;
        Ok(-2.0 * ll + self.n_parameters() as f64 * (codes.nrows() as f64).ln())
    }

    /// Akaike information criterion on `codes`: `-2 LL + 2 n_parameters`.
    pub fn aic(&self, codes: ArrayView2<u32>) -> Result<f64> {
        let ll = self.total_log_likelihood(codes)?;
        Ok(-2.0 * ll + 2.0 * self.n_parameters() as f64)
    }
}

/// Fits one model per number of classes in `n_components` (other parameters from `params`) and
/// tabulates log-likelihood, parameters, BIC and AIC on the training rows (unweighted counts:
/// `ln(n_rows)` in BIC), to choose the number of classes (lowest BIC).
pub fn latent_class_bic_table(
    codes: ArrayView2<u32>,
    sample_weight: Option<ArrayView1<f64>>,
    n_components: &[usize],
    params: &LatentClassParams,
) -> Result<Vec<LatentClassSummary>> {
    n_components
        .iter()
        .map(|&k| {
            let model = LatentClassParams {
                n_components: k,
                ..params.clone()
            }
            .fit(codes, sample_weight)?;
            let ll = model.log_likelihood();
            let n_parameters = model.n_parameters();
            Ok(LatentClassSummary {
                n_components: k,
                log_likelihood: ll,
                n_parameters,
                bic: -2.0 * ll + n_parameters as f64 * (codes.nrows() as f64).ln(),
                aic: -2.0 * ll + 2.0 * n_parameters as f64,
                converged: model.converged(),
            })
        })
        .collect()
}

impl crate::persist::SavedModel for LatentClass {
    fn kind() -> String {
        "latent-class".into()
    }

    fn validate(&self) -> Result<()> {
        let invalid = |reason: &str| {
            Err(Error::ModelFormat {
                reason: format!("latent class: {reason}"),
            })
        };
        let k = self.weights.len();
        if k == 0 || self.weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
            return invalid("class weights must be finite and >= 0, at least one class");
        }
        if self.item_probabilities.len() != self.n_categories.len() {
            return invalid("one probability table per indicator expected");
        }
        for (table, &l) in self.item_probabilities.iter().zip(&self.n_categories) {
            if table.dim() != (k, l as usize) || table.iter().any(|p| !(p.is_finite() && *p >= 0.0))
            {
                return invalid("a probability table has the wrong shape or a bad value");
            }
        }
        if !self.log_likelihood.is_finite() {
            return invalid("log_likelihood must be finite");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Axis};

    /// Two classes with different answer profiles on `q` indicators of `levels` categories.
    fn simulated(n: usize, q: usize, levels: u32, seed: u64) -> Array2<u32> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        Array2::from_shape_fn((n, q), |(i, j)| {
            let class = (i % 3 == 0) as u32;
            if rng.r#gen::<f64>() < 0.75 {
                (class + j as u32) % levels
            } else {
                rng.gen_range(0..levels)
            }
        })
    }

    #[test]
    fn recovers_classes_and_probabilities_sum_to_one() {
        let x = simulated(3000, 6, 3, 1);
        let m = LatentClassParams::new(2).fit(x.view(), None).unwrap();
        assert!(m.converged());
        let labels = m.predict(x.view()).unwrap();
        let agree = (0..3000)
            .filter(|&i| (labels[i] == labels[0]) == (i % 3 == 0))
            .count();
        assert!(agree > 2900, "{agree}");
        assert!((m.weights().sum() - 1.0).abs() < 1e-12);
        for t in m.item_probabilities() {
            for r in t.rows() {
                assert!((r.sum() - 1.0).abs() < 1e-12);
            }
        }
        let total = m.total_log_likelihood(x.view()).unwrap();
        assert!((total - m.log_likelihood()).abs() < 1e-6 * total.abs());
        assert_eq!(m.n_parameters(), 1 + 2 * 6 * 2);
        let table = latent_class_bic_table(
            x.view(),
            None,
            &[1, 2, 3],
            &LatentClassParams::new(1).n_init(3),
        )
        .unwrap();
        let best = table.iter().min_by(|a, b| a.bic.total_cmp(&b.bic)).unwrap();
        assert_eq!(best.n_components, 2);
    }

    #[test]
    fn missing_answers_and_all_missing_rows() {
        let mut x = simulated(600, 4, 2, 2);
        x[[5, 2]] = MISSING;
        for j in 0..4 {
            x[[7, j]] = MISSING;
        }
        let m = LatentClassParams::new(2)
            .n_init(3)
            .fit(x.view(), None)
            .unwrap();
        let lls = m.score_samples(x.view()).unwrap();
        assert!(lls[7].abs() < 1e-12);
        let p = m.predict_proba(x.view()).unwrap();
        for c in 0..2 {
            assert!((p[[7, c]] - m.weights()[c]).abs() < 1e-9);
        }
        // Skipping the missing item equals the likelihood without that column for that row.
        let row5 = x.row(5).to_owned();
        assert!(lls[5].is_finite() && row5[2] == MISSING);
    }

    #[test]
    fn deterministic_on_any_thread_count_and_weights_act_as_repeats() {
        // Over 4,096 rows (MIN_CHUNK_ROWS): two row chunks, so the E-steps run in parallel.
        let x = simulated(5_000, 5, 3, 3);
        let fit = || {
            LatentClassParams::new(3)
                .n_init(2)
                .fit(x.view(), None)
                .unwrap()
        };
        crate::testing::same_on_threads(1, 2, fit);
        let x = simulated(60, 3, 2, 4);
        let w: Array1<f64> = (0..60).map(|i| (i % 2 + 1) as f64).collect();
        let rep: Vec<usize> = (0..60)
            .flat_map(|i| std::iter::repeat_n(i, i % 2 + 1))
            .collect();
        let p = LatentClassParams::new(2).n_init(1).tol(0.0).max_iter(50);
        let a = p.fit(x.view(), Some(w.view())).unwrap();
        let b = p.fit(x.select(Axis(0), &rep).view(), None).unwrap();
        assert!((a.log_likelihood() - b.log_likelihood()).abs() < 1e-8);
    }

    #[test]
    fn bad_input_gives_clear_errors() {
        let x = array![[0u32, 1], [1, 0], [1, 1]];
        assert!(matches!(
            LatentClassParams::new(4).fit(x.view(), None),
            Err(Error::TooManyClusters { .. })
        ));
        let m = LatentClassParams::new(2).fit(x.view(), None).unwrap();
        assert!(matches!(
            m.predict(array![[2u32, 0]].view()),
            Err(Error::UnknownCategory { .. })
        ));
        assert!(matches!(
            m.predict(array![[0u32]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
        // A column with one category carries no information and no parameters.
        let one = array![[0u32, 0], [1, 0], [1, 0]];
        let m = LatentClassParams::new(2).fit(one.view(), None).unwrap();
        assert_eq!(m.n_parameters(), 1 + 2);
    }

    #[test]
    fn saved_model_round_trips_and_model_is_send_sync() {
        let x = simulated(100, 3, 3, 5);
        let m = LatentClassParams::new(2).fit(x.view(), None).unwrap();
        let back: LatentClass =
            crate::persist::from_json(&crate::persist::to_json(&m).unwrap()).unwrap();
        assert_eq!(m, back);
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<LatentClass>();
    }
}
