//! Latent class parameters: [`LatentClassParams`] -> [`LatentClassValidParams`] (checked).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Parameters of a latent class model (unrestricted, categorical indicators) fitted by EM.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LatentClassParams {
    /// Number of latent classes (>= 1).
    pub n_components: usize,
    /// Number of EM runs from different random starts; the highest log-likelihood wins
    /// (default 10).
    pub n_init: usize,
    /// Maximum EM iterations per run (default 1000).
    pub max_iter: usize,
    /// A run stops when the mean log-likelihood per (weighted) row rises by less than this
    /// (default 1e-8).
    pub tol: f64,
    /// Seed of the random starts.
    pub random_state: u64,
}

impl LatentClassParams {
    /// Default parameters for `n_components` classes.
    pub fn new(n_components: usize) -> Self {
        LatentClassParams {
            n_components,
            n_init: 10,
            max_iter: 1000,
            tol: 1e-8,
            random_state: 0,
        }
    }

    crate::validation::setters! {
        /// Sets the number of random starts.
        n_init => usize,
        /// Sets the maximum number of EM iterations per run.
        max_iter => usize,
        /// Sets the convergence tolerance.
        tol => f64,
        /// Sets the seed.
        random_state => u64,
    }

    /// Checks every parameter, naming the first one out of range.
    pub fn check(&self) -> Result<LatentClassValidParams> {
        if self.n_components == 0 {
            return Err(Error::invalid_parameter(
                "n_components",
                0,
                "an integer >= 1",
            ));
        }
        if self.n_init == 0 {
            return Err(Error::invalid_parameter("n_init", 0, "an integer >= 1"));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(Error::invalid_parameter(
                "tol",
                self.tol,
                "a finite number >= 0",
            ));
        }
        Ok(LatentClassValidParams {
            params: self.clone(),
        })
    }
}

/// Latent class parameters that passed [`LatentClassParams::check`].
#[derive(Clone, Debug, PartialEq)]
pub struct LatentClassValidParams {
    params: LatentClassParams,
}

impl LatentClassValidParams {
    /// The checked parameters.
    pub fn params(&self) -> &LatentClassParams {
        &self.params
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names_the_parameter() {
        let name = |p: LatentClassParams| match p.check() {
            Err(Error::InvalidParameter { name, .. }) => name,
            other => panic!("expected an invalid parameter, got {other:?}"),
        };
        assert_eq!(name(LatentClassParams::new(0)), "n_components");
        assert_eq!(name(LatentClassParams::new(2).n_init(0)), "n_init");
        assert_eq!(name(LatentClassParams::new(2).tol(-1.0)), "tol");
        assert!(LatentClassParams::new(2).max_iter(0).check().is_ok());
    }

    #[test]
    fn params_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<LatentClassParams>();
        assert_send_sync::<LatentClassValidParams>();
    }
}
