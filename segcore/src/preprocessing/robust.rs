//! Robust scaling: centre each column on its median and divide by its interquartile range, so a
//! few extreme customers (one key account with 100x the revenue) do not set the scale for all.

use crate::error::{Error, Result};
use crate::validation::{check_finite, check_matrix, check_n_features};
use crate::Float;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

/// Parameters of [`RobustScaler`], as scikit-learn's
/// `RobustScaler(with_centering, with_scaling, quantile_range)`.
///
/// ```
/// use ndarray::array;
/// use segcore::preprocessing::RobustScalerParams;
///
/// let x = array![[1.0f64], [2.0], [3.0], [4.0], [1000.0]];
/// let scaler = RobustScalerParams::default().fit(x.view())?;
/// assert_eq!(scaler.center()[0], 3.0); // the median, untouched by the outlier
/// assert_eq!(scaler.scale()[0], 2.0); // q75 - q25 = 4 - 2
/// let z = scaler.transform(x.view())?;
/// assert_eq!(z[[0, 0]], -1.0);
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RobustScalerParams {
    /// Subtract the column median.
    pub with_centering: bool,
    /// Divide by the spread between the two quantiles of `quantile_range`.
    pub with_scaling: bool,
    /// Lower and upper percentile of the spread, `0 <= low < high <= 100`; default `(25, 75)`.
    pub quantile_range: (f64, f64),
}

impl Default for RobustScalerParams {
    fn default() -> Self {
        RobustScalerParams {
            with_centering: true,
            with_scaling: true,
            quantile_range: (25.0, 75.0),
        }
    }
}

impl RobustScalerParams {
    /// Checks `quantile_range`: both finite, `0 <= low < high <= 100`.
    pub fn check(&self) -> Result<()> {
        let (low, high) = self.quantile_range;
        if !(low.is_finite() && high.is_finite() && 0.0 <= low && low < high && high <= 100.0) {
            return Err(Error::invalid_parameter(
                "quantile_range",
                format!("({low}, {high})"),
                "two percentiles with 0 <= low < high <= 100",
            ));
        }
        Ok(())
    }

    /// Fits the scaler on `x` (rows = customers). NaN is rejected naming the row and column:
    /// impute first (segcore never ignores a customer's value silently).
    pub fn fit<F: Float>(&self, x: ArrayView2<F>) -> Result<RobustScaler<F>> {
        self.check()?;
        check_matrix(x, "X")?;
        let n_features = x.ncols();
        let mut center = Array1::<F>::zeros(n_features);
        let mut scale = Array1::<F>::ones(n_features);
        let mut zero_scale_columns = Vec::new();
        let (low, high) = self.quantile_range;
        let mut sorted: Vec<F> = Vec::with_capacity(x.nrows());
        for (j, column) in x.axis_iter(Axis(1)).enumerate() {
            sorted.clear();
            sorted.extend(column.iter().copied());
            sorted.sort_by(|a, b| a.partial_cmp(b).expect("finite values were checked"));
            if self.with_centering {
                center[j] = median_sorted(&sorted);
            }
            if self.with_scaling {
                let spread = quantile_sorted(&sorted, F::from(high / 100.0).expect("f64 to F"))
                    - quantile_sorted(&sorted, F::from(low / 100.0).expect("f64 to F"));
                // scikit-learn's `_handle_zeros_in_scale`: below 10 ulps the spread is noise.
                if spread < F::from(10.0).expect("10 fits in any float") * F::epsilon() {
                    zero_scale_columns.push(j);
                } else {
                    scale[j] = spread;
                }
            }
        }
        Ok(RobustScaler {
            center,
            scale,
            zero_scale_columns,
        })
    }
}

/// A fitted robust scaler: per-column median and quantile spread.
///
/// Columns whose spread is zero (e.g. a flag that is 0 for more than 75% of customers) get
/// scale 1, as in scikit-learn, so they are centred but never divided by zero;
/// [`RobustScaler::zero_scale_columns`] lists them so callers can report it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RobustScaler<F> {
    center: Array1<F>,
    scale: Array1<F>,
    zero_scale_columns: Vec<usize>,
}

impl<F: Float> RobustScaler<F> {
    /// Per-column value subtracted by `transform` (the median; zeros when `with_centering = false`).
    pub fn center(&self) -> ndarray::ArrayView1<'_, F> {
        self.center.view()
    }
    /// Per-column divisor (quantile spread; 1 for zero-spread columns or `with_scaling = false`).
    pub fn scale(&self) -> ndarray::ArrayView1<'_, F> {
        self.scale.view()
    }
    /// Indices of the columns whose quantile spread was zero at fit (scale set to 1).
    pub fn zero_scale_columns(&self) -> &[usize] {
        &self.zero_scale_columns
    }
    /// Number of columns seen at fit.
    pub fn n_features(&self) -> usize {
        self.center.len()
    }

    /// Scales `x` with the fitted median and spread.
    pub fn transform(&self, x: ArrayView2<F>) -> Result<Array2<F>> {
        check_n_features(x, self.n_features(), "X at transform")?;
        check_finite(x, "X")?;
        Ok((&x - &self.center) / &self.scale)
    }

    /// Maps scaled values back to the original units.
    pub fn inverse_transform(&self, z: ArrayView2<F>) -> Result<Array2<F>> {
        check_n_features(z, self.n_features(), "X at inverse_transform")?;
        Ok(&z * &self.scale + &self.center)
    }
}

/// Median of sorted values (mean of the two middle ones for an even count, as numpy).
pub(crate) fn median_sorted<F: Float>(sorted: &[F]) -> F {
    let n = sorted.len();
    assert!(n > 0, "median_sorted needs at least one value");
    let mid = n / 2;
    if n % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / F::from(2.0).expect("2 fits in any float")
    }
}

/// Quantile `q` in `[0, 1]` of sorted values with numpy's default ("linear") interpolation,
/// written operation for operation as numpy 2.x computes it so results agree to the last bit
/// in the common cases.
pub(crate) fn quantile_sorted<F: Float>(sorted: &[F], q: F) -> F {
    let n = sorted.len();
    assert!(n > 0, "quantile_sorted needs at least one value");
    let one = F::one();
    let n_f = F::from(n).expect("row count fits in a float");
    // numpy `_compute_virtual_index` with alpha = beta = 1.
    let virtual_index = n_f * q + (one + q * (-one)) - one;
    let previous = virtual_index.floor();
    let gamma = virtual_index - previous;
    let last = n - 1;
    // numpy clamps: at or past the last index both neighbours are the last value, below 0 the first.
    let (lo, hi) = if virtual_index >= F::from(last).expect("index fits in a float") {
        (last, last)
    } else if virtual_index < F::zero() {
        (0, 0)
    } else {
        let lo = previous.to_usize().expect("0 <= index < n");
        (lo, lo + 1)
    };
    let (a, b) = (sorted[lo], sorted[hi]);
    // numpy `_lerp`: the form that is exact at t = 1 for t >= 0.5.
    let diff = b - a;
    if gamma >= F::from(0.5).expect("0.5 fits") {
        b - diff * (one - gamma)
    } else {
        a + diff * gamma
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn quantiles_match_numpy_linear() {
        // np.percentile([1, 2, 4, 8, 16], [0, 10, 25, 50, 75, 90, 100])
        let v = [1.0f64, 2.0, 4.0, 8.0, 16.0];
        let expect = [1.0, 1.4, 2.0, 4.0, 8.0, 12.8, 16.0];
        for (q, e) in [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0].iter().zip(expect) {
            assert!((quantile_sorted(&v, *q) - e).abs() < 1e-12, "q={q}");
        }
        assert_eq!(quantile_sorted(&[7.0f64], 0.3), 7.0);
        assert_eq!(median_sorted(&[1.0f64, 2.0, 10.0, 11.0]), 6.0);
    }

    #[test]
    fn zero_spread_columns_are_centred_not_divided() {
        let x = array![
            [0.0f64, 1.0],
            [0.0, 2.0],
            [0.0, 3.0],
            [1.0, 4.0],
            [0.0, 5.0]
        ];
        let s = RobustScalerParams::default().fit(x.view()).unwrap();
        assert_eq!(s.zero_scale_columns(), &[0]);
        assert_eq!(s.scale()[0], 1.0);
        let z = s.transform(x.view()).unwrap();
        assert!(z.iter().all(|v| v.is_finite()));
        assert_eq!(z[[3, 0]], 1.0);
        let back = s.inverse_transform(z.view()).unwrap();
        assert!((back - &x).iter().all(|d| d.abs() < 1e-12));
    }

    #[test]
    fn bad_input_and_parameters() {
        let x = array![[1.0f64], [f64::NAN]];
        assert!(matches!(
            RobustScalerParams::default().fit(x.view()),
            Err(Error::NonFiniteValue { row: 1, .. })
        ));
        for range in [(75.0, 25.0), (-1.0, 50.0), (10.0, 101.0), (f64::NAN, 50.0)] {
            let p = RobustScalerParams {
                quantile_range: range,
                ..RobustScalerParams::default()
            };
            let err = p.fit(array![[1.0f64], [2.0]].view()).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::InvalidParameter {
                        name: "quantile_range",
                        ..
                    }
                ),
                "{err}"
            );
        }
        let s = RobustScalerParams::default()
            .fit(array![[1.0f32, 2.0], [3.0, 5.0]].view())
            .unwrap();
        assert!(matches!(
            s.transform(array![[1.0f32]].view()),
            Err(Error::ShapeMismatch { .. })
        ));
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<RobustScalerParams>();
        is::<RobustScaler<f64>>();
    }
}
