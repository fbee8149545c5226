//! Standard scaling: centre each column on its mean and divide by its standard deviation.

use crate::error::{Error, Result};
use crate::validation::{check_matrix, check_n_features, check_sample_weight};
use crate::Float;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// Parameters of [`StandardScaler`], as scikit-learn's `StandardScaler(with_mean, with_std)`;
/// [`StandardScalerParams::check`] gives the checked [`StandardScalerValidParams`] that fit (as
/// every estimator's parameters: build, check, fit; [`StandardScalerParams::fit`] does both).
///
/// ```
/// use ndarray::array;
/// use segcore::preprocessing::StandardScalerParams;
///
/// let x = array![[1.0f64, 10.0], [3.0, 10.0], [5.0, 10.0]];
/// let scaler = StandardScalerParams::default().fit(x.view(), None).unwrap();
/// let z = scaler.transform(x.view()).unwrap();
/// assert!((z[[0, 0]] + 1.224744871391589).abs() < 1e-12);
/// assert_eq!(z[[0, 1]], 0.0); // a constant column is centred, not divided by zero
///
/// let checked = StandardScalerParams::new().with_std(false).check()?;
/// let centred = checked.fit(x.view(), None)?;
/// assert_eq!(centred.scale().to_vec(), [1.0, 1.0]);
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StandardScalerParams {
    /// Subtract the column mean.
    pub with_mean: bool,
    /// Divide by the column standard deviation (population, ddof = 0, as scikit-learn).
    pub with_std: bool,
}

impl Default for StandardScalerParams {
    fn default() -> Self {
        StandardScalerParams {
            with_mean: true,
            with_std: true,
        }
    }
}

/// A fitted standard scaler: per-column mean and scale.
///
/// Columns with zero variance get scale 1 (as scikit-learn), so they become all zeros instead
/// of NaN; [`StandardScaler::constant_columns`] lists them so callers can warn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StandardScaler<F> {
    mean: Array1<F>,
    scale: Array1<F>,
    variance: Array1<F>,
    constant_columns: Vec<usize>,
}

/// Standard-scaler parameters that passed [`StandardScalerParams::check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StandardScalerValidParams(StandardScalerParams);

impl StandardScalerParams {
    /// scikit-learn's defaults: centre and scale.
    pub fn new() -> Self {
        Self::default()
    }

    /// Subtract the column mean (default `true`).
    pub fn with_mean(mut self, with_mean: bool) -> Self {
        self.with_mean = with_mean;
        self
    }

    /// Divide by the column standard deviation (default `true`).
    pub fn with_std(mut self, with_std: bool) -> Self {
        self.with_std = with_std;
        self
    }

    /// Validates the parameters on their own (the data is checked at fit). Every combination of
    /// the two switches is valid (both off is the identity, as in scikit-learn), so this never
    /// fails today; it is the step every estimator's parameters go through.
    pub fn check(&self) -> Result<StandardScalerValidParams> {
        Ok(StandardScalerValidParams(self.clone()))
    }

    /// Checks the parameters, then fits the scaler on `x` (see
    /// [`StandardScalerValidParams::fit`]).
    pub fn fit<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<StandardScaler<F>> {
        self.check()?.fit(x, sample_weight)
    }

    /// Checks the parameters, then builds the scaler of these column moments (see
    /// [`StandardScalerValidParams::fit_moments`]).
    pub fn fit_moments<F: Float>(
        &self,
        mean: &[f64],
        variance: &[f64],
    ) -> Result<StandardScaler<F>> {
        self.check()?.fit_moments(mean, variance)
    }
}

impl StandardScalerValidParams {
    /// The checked parameters.
    pub fn params(&self) -> &StandardScalerParams {
        &self.0
    }

    /// Fits the scaler on `x` (rows = customers), optionally weighting rows.
    pub fn fit<F: Float>(
        &self,
        x: ArrayView2<F>,
        sample_weight: Option<ArrayView1<F>>,
    ) -> Result<StandardScaler<F>> {
        check_matrix(x, "X")?;
        if let Some(w) = sample_weight {
            check_sample_weight(w, x.nrows())?;
        }
        let n_features = x.ncols();
        let mut mean = Array1::<F>::zeros(n_features);
        let mut std = Array1::<F>::zeros(n_features);
        let mut variance = Array1::<F>::zeros(n_features);
        // Two passes (mean, then centred squares) for accuracy on large-valued columns such as revenue.
        for (j, column) in x.axis_iter(Axis(1)).enumerate() {
            let (m, s, v) = weighted_mean_variance(column, sample_weight);
            mean[j] = m;
            std[j] = s;
            variance[j] = v;
        }
        Ok(self.scaler_of(mean, std, variance))
    }

    /// The scaler of columns with this mean and population variance (e.g. moments merged over
    /// the partitions of a cluster by the `partial` module).
    pub fn fit_moments<F: Float>(
        &self,
        mean: &[f64],
        variance: &[f64],
    ) -> Result<StandardScaler<F>> {
        if mean.len() != variance.len() {
            return Err(Error::ShapeMismatch {
                what: "column variances (one per column mean)".into(),
                expected: mean.len(),
                got: variance.len(),
            });
        }
        let cast = |v: &f64| F::from_f64(*v).expect("every f64 converts to f32/f64");
        Ok(self.scaler_of(
            mean.iter().map(cast).collect(),
            variance.iter().map(|v| cast(&v.sqrt())).collect(),
            variance.iter().map(cast).collect(),
        ))
    }

    fn scaler_of<F: Float>(
        &self,
        mean: Array1<F>,
        scale: Array1<F>,
        variance: Array1<F>,
    ) -> StandardScaler<F> {
        let n_features = mean.len();
        let mut constant_columns = Vec::new();
        let scale = Array1::from_iter(scale.iter().enumerate().map(|(j, &s)| {
            // scikit-learn treats variances below ~10 ulps of the mean's magnitude as zero.
            let tiny = F::from(10.0).expect("10 fits in any float") * F::epsilon() * mean[j].abs();
            if s == F::zero() || s <= tiny {
                constant_columns.push(j);
                F::one()
            } else {
                s
            }
        }));
        StandardScaler {
            mean: if self.0.with_mean {
                mean
            } else {
                Array1::zeros(n_features)
            },
            scale: if self.0.with_std {
                scale
            } else {
                Array1::ones(n_features)
            },
            variance,
            constant_columns,
        }
    }
}

/// Mean and population variance of a column, accumulated in f64 on values divided by a power
/// of two near the column's largest magnitude: squares cannot overflow (data scaled by 1e160
/// in f64 or 1e19 in f32 keeps its variance), and for ordinary data the division is exact, so
/// the figures equal the direct two-pass formulas bit for bit in f64. Returns `(mean, std,
/// variance)`; the variance alone may be infinite when its square exceeds the type's range.
fn weighted_mean_variance<F: Float>(
    column: ArrayView1<F>,
    weights: Option<ArrayView1<F>>,
) -> (F, F, F) {
    let widen = |v: F| v.to_f64().expect("f32/f64 widen to f64");
    let unit = power_of_two_above(column.iter().map(|&v| widen(v)));
    let (mean, variance) = match weights {
        None => {
            let n = column.len() as f64;
            let mean = column.iter().map(|&v| widen(v) / unit).sum::<f64>() / n;
            let var = column
                .iter()
                .map(|&v| {
                    let t = widen(v) / unit - mean;
                    t * t
                })
                .sum::<f64>()
                / n;
            (mean, var)
        }
        Some(w) => {
            let w_unit = power_of_two_above(w.iter().map(|&v| widen(v)));
            let total = w.iter().map(|&wi| widen(wi) / w_unit).sum::<f64>();
            let mean = column
                .iter()
                .zip(w)
                .map(|(&v, &wi)| widen(v) / unit * (widen(wi) / w_unit))
                .sum::<f64>()
                / total;
            let var = column
                .iter()
                .zip(w)
                .map(|(&v, &wi)| {
                    let t = widen(v) / unit - mean;
                    widen(wi) / w_unit * t * t
                })
                .sum::<f64>()
                / total;
            (mean, var)
        }
    };
    let narrow = |v: f64| F::from_f64(v).expect("every f64 converts to f32/f64 (inf beyond range)");
    (
        narrow(mean * unit),
        narrow(variance.sqrt() * unit),
        narrow(variance * unit * unit),
    )
}

/// The power of two at or above the largest finite magnitude (1 for an all-zero column).
fn power_of_two_above(values: impl Iterator<Item = f64>) -> f64 {
    let largest = values.fold(
        0.0f64,
        |m, v| if v.is_finite() { m.max(v.abs()) } else { m },
    );
    if largest == 0.0 {
        1.0
    } else {
        largest.log2().ceil().exp2()
    }
}

impl<F: Float> StandardScaler<F> {
    /// Per-column mean subtracted by `transform` (zeros when `with_mean = false`).
    pub fn mean(&self) -> ArrayView1<'_, F> {
        self.mean.view()
    }
    /// Per-column divisor (standard deviation, 1 for constant columns or `with_std = false`).
    pub fn scale(&self) -> ArrayView1<'_, F> {
        self.scale.view()
    }
    /// Per-column population variance seen at fit.
    pub fn variance(&self) -> ArrayView1<'_, F> {
        self.variance.view()
    }
    /// Indices of columns that were constant at fit (they transform to 0).
    pub fn constant_columns(&self) -> &[usize] {
        &self.constant_columns
    }
    /// Number of columns seen at fit.
    pub fn n_features(&self) -> usize {
        self.mean.len()
    }

    /// Scales `x` with the fitted mean and scale.
    pub fn transform(&self, x: ArrayView2<F>) -> Result<Array2<F>> {
        check_n_features(x, self.n_features(), "X at transform")?;
        crate::validation::check_finite(x, "X")?;
        Ok((&x - &self.mean) / &self.scale)
    }

    /// Maps scaled values back to the original units.
    pub fn inverse_transform(&self, z: ArrayView2<F>) -> Result<Array2<F>> {
        if z.ncols() != self.n_features() {
            return Err(Error::ShapeMismatch {
                what: "X at inverse_transform (number of features)".into(),
                expected: self.n_features(),
                got: z.ncols(),
            });
        }
        Ok(&z * &self.scale + &self.mean)
    }
}

impl<F: Float + serde::Serialize + serde::de::DeserializeOwned> crate::persist::SavedModel
    for StandardScaler<F>
{
    /// `"standard-scaler-f64"` or `"standard-scaler-f32"`.
    fn kind() -> String {
        format!("standard-scaler-{}", std::any::type_name::<F>())
    }

    fn validate(&self) -> Result<()> {
        use crate::persist::invalid;
        let d = self.mean.len();
        if d == 0 || self.scale.len() != d || self.variance.len() != d {
            return Err(invalid(
                "standard scaler",
                "mean, scale and variance lengths differ",
            ));
        }
        if !self
            .mean
            .iter()
            .chain(&self.variance)
            .all(|v| v.is_finite())
            || !self.scale.iter().all(|s| s.is_finite() && *s > F::zero())
        {
            return Err(invalid(
                "standard scaler",
                "values must be finite and scales > 0",
            ));
        }
        if self.constant_columns.iter().any(|&c| c >= d) {
            return Err(invalid(
                "standard scaler",
                "a constant column is out of range",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn matches_population_standardisation_and_round_trips() {
        let x = array![[1.0f64, 200.0], [2.0, 100.0], [6.0, 300.0], [3.0, 400.0]];
        let s = StandardScalerParams::default().fit(x.view(), None).unwrap();
        assert_eq!(s.mean().to_vec(), vec![3.0, 250.0]);
        assert!((s.variance()[0] - 3.5).abs() < 1e-12);
        let z = s.transform(x.view()).unwrap();
        for col in z.axis_iter(Axis(1)) {
            assert!(col.sum().abs() < 1e-12);
            assert!((col.mapv(|v| v * v).sum() / 4.0 - 1.0).abs() < 1e-12);
        }
        let back = s.inverse_transform(z.view()).unwrap();
        assert!((back - &x).iter().all(|d| d.abs() < 1e-9));
    }

    #[test]
    fn integer_weights_equal_repeated_rows() {
        let x = array![[1.0f64], [2.0], [7.0]];
        let w = array![2.0f64, 1.0, 3.0];
        let weighted = StandardScalerParams::default()
            .fit(x.view(), Some(w.view()))
            .unwrap();
        let repeated = array![[1.0f64], [1.0], [2.0], [7.0], [7.0], [7.0]];
        let plain = StandardScalerParams::default()
            .fit(repeated.view(), None)
            .unwrap();
        assert!((weighted.mean()[0] - plain.mean()[0]).abs() < 1e-12);
        assert!((weighted.scale()[0] - plain.scale()[0]).abs() < 1e-12);
    }

    #[test]
    fn constant_columns_and_bad_input() {
        let x = array![[1.0f64, 5.0], [2.0, 5.0]];
        let s = StandardScalerParams::default().fit(x.view(), None).unwrap();
        assert_eq!(s.constant_columns(), &[1]);
        assert_eq!(s.transform(x.view()).unwrap()[[1, 1]], 0.0);
        let wrong = array![[1.0f64, 2.0, 3.0]];
        assert!(matches!(
            s.transform(wrong.view()),
            Err(Error::ShapeMismatch {
                expected: 2,
                got: 3,
                ..
            })
        ));
        let nan = array![[1.0f64, f64::NAN]];
        assert!(matches!(
            StandardScalerParams::default().fit(nan.view(), None),
            Err(Error::NonFiniteValue {
                row: 0,
                column: 1,
                ..
            })
        ));
    }

    #[test]
    fn huge_values_keep_their_scale() {
        // Squaring 1e160 overflows f64 and 1e19 squared sums overflow f32: scale first.
        let base: Array2<f64> = array![[1.0, -2.0], [2.0, 0.5], [4.0, 3.0], [-1.0, 1.0]];
        let reference = StandardScalerParams::default()
            .fit(base.view(), None)
            .unwrap();
        let expected = reference.transform(base.view()).unwrap();
        let huge = base.mapv(|v| v * 1e160);
        let z = StandardScalerParams::default()
            .fit(huge.view(), None)
            .unwrap()
            .transform(huge.view())
            .unwrap();
        for (a, b) in z.iter().zip(&expected) {
            assert!((a - b).abs() < 1e-12_f64, "{a} vs {b}");
        }
        let huge32 = base.mapv(|v| (v * 1e19) as f32);
        let scaler32 = StandardScalerParams::default()
            .fit(huge32.view(), None)
            .unwrap();
        assert!(scaler32.scale().iter().all(|s| s.is_finite() && *s > 1e18));
        let z32 = scaler32.transform(huge32.view()).unwrap();
        for (a, b) in z32.iter().zip(&expected) {
            assert!((f64::from(*a) - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn float32_stays_float32() {
        let x = array![[1.0f32, 2.0], [3.0, 4.0]];
        let s: StandardScaler<f32> = StandardScalerParams::default().fit(x.view(), None).unwrap();
        let z: Array2<f32> = s.transform(x.view()).unwrap();
        assert_eq!(z[[0, 0]], -1.0);
    }

    #[test]
    fn checked_params_fit_as_the_builder() {
        let x = array![[1.0f64, 200.0], [2.0, 100.0], [6.0, 300.0]];
        let built = StandardScalerParams::new().with_mean(false);
        assert_eq!(
            built,
            StandardScalerParams {
                with_mean: false,
                with_std: true
            }
        );
        let checked = built.check().unwrap();
        assert_eq!(checked.params(), &built);
        let a = checked.fit(x.view(), None).unwrap();
        assert_eq!(a, built.fit(x.view(), None).unwrap());
        assert_eq!(a.mean().to_vec(), vec![0.0, 0.0]);
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<StandardScalerParams>();
        is::<StandardScalerValidParams>();
        is::<StandardScaler<f64>>();
    }
}
