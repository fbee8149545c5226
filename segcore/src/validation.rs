//! Input checks shared by every estimator: run before any work, so bad input gives a typed error
//! naming the row and column instead of NaNs or a panic downstream.

use crate::error::{Error, Result};
use linfa::Float;
use ndarray::{ArrayView1, ArrayView2};

/// Checks that `x` has at least one row and one column and only finite values.
///
/// `what` names the input in the error message ("X", "initial centers", ...).
pub fn check_matrix<F: Float>(x: ArrayView2<F>, what: &str) -> Result<()> {
    if x.nrows() == 0 {
        return Err(Error::EmptyInput {
            what: format!("{what} has 0 samples"),
        });
    }
    if x.ncols() == 0 {
        return Err(Error::EmptyInput {
            what: format!("{what} has 0 features"),
        });
    }
    check_finite(x, what)
}

/// Checks that every value of `x` is finite, naming the first offending row and column.
pub fn check_finite<F: Float>(x: ArrayView2<F>, what: &str) -> Result<()> {
    // Fast path: a sum over a row is non-finite iff the row has a non-finite value (or overflows,
    // which the exact scan below sorts out).
    for (row, values) in x.outer_iter().enumerate() {
        if !values
            .iter()
            .fold(F::zero(), |acc, &v| acc + v * F::zero())
            .is_finite()
        {
            for (column, &value) in values.iter().enumerate() {
                if !value.is_finite() {
                    return Err(Error::NonFiniteValue {
                        what: what.to_string(),
                        row,
                        column,
                        value: value.to_f64().unwrap_or(f64::NAN),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Checks that `x` has `expected` columns (the number of features seen at fit).
pub fn check_n_features<F>(x: ArrayView2<F>, expected: usize, what: &str) -> Result<()> {
    if x.ncols() != expected {
        return Err(Error::ShapeMismatch {
            what: format!("{what} (number of features)"),
            expected,
            got: x.ncols(),
        });
    }
    Ok(())
}

/// Checks sample weights: one per row, finite, non-negative, not all zero.
pub fn check_sample_weight<F: Float>(weights: ArrayView1<F>, n_samples: usize) -> Result<()> {
    if weights.len() != n_samples {
        return Err(Error::ShapeMismatch {
            what: "sample_weight (one weight per sample)".into(),
            expected: n_samples,
            got: weights.len(),
        });
    }
    let mut total = F::zero();
    for (row, &w) in weights.iter().enumerate() {
        if !w.is_finite() || w < F::zero() {
            return Err(Error::InvalidWeights {
                reason: format!(
                    "weight at row {row} is {}; weights must be finite and >= 0",
                    w.to_f64().unwrap_or(f64::NAN)
                ),
            });
        }
        total += w;
    }
    if total <= F::zero() {
        return Err(Error::InvalidWeights {
            reason: "all weights are zero; at least one sample needs a positive weight".into(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn finds_first_non_finite_cell() {
        let x = array![[1.0, 2.0], [3.0, f64::INFINITY], [f64::NAN, 0.0]];
        let err = check_matrix(x.view(), "X").unwrap_err();
        assert!(matches!(
            err,
            Error::NonFiniteValue {
                row: 1,
                column: 1,
                ..
            }
        ));
    }

    #[test]
    fn rejects_empty_and_bad_weights() {
        let x = ndarray::Array2::<f64>::zeros((0, 3));
        assert!(matches!(
            check_matrix(x.view(), "X"),
            Err(Error::EmptyInput { .. })
        ));
        let w = array![1.0, -1.0];
        assert!(matches!(
            check_sample_weight(w.view(), 2),
            Err(Error::InvalidWeights { .. })
        ));
        let w = array![0.0, 0.0];
        assert!(matches!(
            check_sample_weight(w.view(), 2),
            Err(Error::InvalidWeights { .. })
        ));
        let w = array![1.0];
        assert!(matches!(
            check_sample_weight(w.view(), 2),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(check_sample_weight(array![0.0, 2.5].view(), 2).is_ok());
    }
}
