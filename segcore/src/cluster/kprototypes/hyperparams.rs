//! k-prototypes parameters: [`KPrototypesParams`] (what the user sets) ->
//! [`KPrototypesValidParams`] (checked).

use crate::error::{Error, Result};
use ndarray::Array2;
use serde::{Deserialize, Serialize};

/// How the first centroids of each run are chosen. Every method except [`Given`] picks
/// *distinct rows* of the data as centroids, so no cluster starts empty and initialisation
/// never fails while the data has at least `n_clusters` distinct rows.
///
/// [`Given`]: KPrototypesInit::Given
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum KPrototypesInit {
    /// k-means++ in the mixed dissimilarity (default): the first centroid is a row drawn with
    /// probability proportional to its weight, each further one the best (lowest total
    /// dissimilarity) of `max(30, 2 + floor(ln k))` rows drawn with probability proportional to
    /// weight x dissimilarity to the nearest chosen centroid (scikit-learn's greedy k-means++,
    /// with more candidates so outliers are seldom seeded).
    KMeansPlusPlus,
    /// Cao et al. (2009): the densest row (by categorical frequencies) first, then each further
    /// centroid the row maximising density x dissimilarity to its nearest chosen centroid.
    /// Deterministic (one run is enough); the dissimilarity is the mixed one, so rows that differ
    /// only in numeric columns are distinct.
    Cao,
    /// Huang (1998): per column a value drawn from the column's distribution (category
    /// frequencies; a random row's value for numeric columns), then each drawn prototype replaced
    /// by its nearest row not already chosen.
    Huang,
    /// Centroids given by the user: numeric part `n_clusters x n_numeric`, categorical part
    /// `n_clusters x n_categorical` (category codes). One run.
    Given {
        /// Numeric centroids.
        numeric: Array2<f64>,
        /// Categorical modes (codes).
        categorical: Array2<u32>,
    },
}

/// How centroids move during the iterations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KPrototypesUpdate {
    /// Lloyd-style (default): assign every row to its nearest prototype (in parallel), then
    /// recompute every mean and mode, until no row changes cluster; then incremental passes
    /// (as [`Incremental`](Self::Incremental)) from that state, kept when they lower the cost.
    Batch,
    /// Huang's original update, as the `kmodes` package runs it: rows are visited in order and a
    /// row that changes cluster updates both prototypes at once, so later rows see the moved
    /// prototypes; an iteration ends with a full assignment and the run stops when no row moved
    /// or the cost did not decrease. Sequential; offered so results can be compared with kmodes.
    Incremental,
}

/// Parameters of k-prototypes (Huang 1997/1998) for rows with numeric and categorical columns.
///
/// Dissimilarity between a row and a prototype: squared Euclidean distance over the numeric
/// columns plus `gamma` times the number of categorical columns where the row's category differs
/// from the prototype's mode. The cost is the (weighted) sum over the rows of the dissimilarity
/// to their prototype.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KPrototypesParams {
    /// Number of clusters (>= 1).
    pub n_clusters: usize,
    /// Weight of one categorical mismatch relative to squared numeric distance. `None`
    /// (default): `0.5 x` the mean population standard deviation of the numeric columns
    /// (unweighted), the `kmodes` package's default; 1.0 when there are no numeric columns.
    pub gamma: Option<f64>,
    /// Initialisation method (default k-means++).
    pub init: KPrototypesInit,
    /// Number of runs from different initial centroids; the lowest cost wins (default 10; a
    /// `Given` or `Cao` init is deterministic and runs once). Above 32,768 rows, more than two
    /// random starts are screened: each runs to convergence on one seeded sample of 32,768 rows
    /// and only the two best continue on all rows.
    pub n_init: usize,
    /// Maximum iterations per run (default 100, as kmodes).
    pub max_iter: usize,
    /// Seed of the initialisation.
    pub random_state: u64,
    /// Update rule (default batch).
    pub update: KPrototypesUpdate,
}

impl KPrototypesParams {
    /// Default parameters for `n_clusters` clusters.
    pub fn new(n_clusters: usize) -> Self {
        KPrototypesParams {
            n_clusters,
            gamma: None,
            init: KPrototypesInit::KMeansPlusPlus,
            n_init: 10,
            max_iter: 100,
            random_state: 0,
            update: KPrototypesUpdate::Batch,
        }
    }

    crate::validation::setters! {
        /// Sets `gamma` (`None`: data-based default).
        gamma => Option<f64>,
        /// Sets the initialisation method.
        init => KPrototypesInit,
        /// Sets the number of runs.
        n_init => usize,
        /// Sets the maximum number of iterations per run.
        max_iter => usize,
        /// Sets the seed.
        random_state => u64,
        /// Sets the update rule.
        update => KPrototypesUpdate,
    }

    /// Checks every parameter, naming the first one out of range.
    pub fn check(&self) -> Result<KPrototypesValidParams> {
        if self.n_clusters == 0 {
            return Err(Error::invalid_parameter("n_clusters", 0, "an integer >= 1"));
        }
        if let Some(g) = self.gamma {
            if !(g.is_finite() && g >= 0.0) {
                return Err(Error::invalid_parameter("gamma", g, "a finite number >= 0"));
            }
        }
        if self.n_init == 0 {
            return Err(Error::invalid_parameter("n_init", 0, "an integer >= 1"));
        }
        if let KPrototypesInit::Given {
            numeric,
            categorical,
        } = &self.init
        {
            if numeric.nrows() != self.n_clusters || categorical.nrows() != self.n_clusters {
                return Err(Error::invalid_parameter(
                    "init",
                    format!(
                        "centroids with {} numeric and {} categorical rows",
                        numeric.nrows(),
                        categorical.nrows()
                    ),
                    format!("n_clusters = {} rows in both parts", self.n_clusters),
                ));
            }
            if let Some(v) = numeric.iter().find(|v| !v.is_finite()) {
                return Err(Error::invalid_parameter(
                    "init",
                    v,
                    "finite numeric centroids",
                ));
            }
        }
        Ok(KPrototypesValidParams {
            params: self.clone(),
        })
    }
}

/// k-prototypes parameters that passed [`KPrototypesParams::check`].
#[derive(Clone, Debug, PartialEq)]
pub struct KPrototypesValidParams {
    params: KPrototypesParams,
}

impl KPrototypesValidParams {
    /// The checked parameters.
    pub fn params(&self) -> &KPrototypesParams {
        &self.params
    }

    /// Runs actually made: 1 for a deterministic init (`Given`, `Cao`), else `n_init`.
    pub fn effective_n_init(&self) -> usize {
        match self.params.init {
            KPrototypesInit::Given { .. } | KPrototypesInit::Cao => 1,
            _ => self.params.n_init,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names_the_parameter() {
        let name = |p: KPrototypesParams| match p.check() {
            Err(Error::InvalidParameter { name, .. }) => name,
            other => panic!("expected an invalid parameter, got {other:?}"),
        };
        assert_eq!(name(KPrototypesParams::new(0)), "n_clusters");
        assert_eq!(name(KPrototypesParams::new(2).gamma(Some(-1.0))), "gamma");
        assert_eq!(
            name(KPrototypesParams::new(2).gamma(Some(f64::NAN))),
            "gamma"
        );
        assert_eq!(name(KPrototypesParams::new(2).n_init(0)), "n_init");
        let given = KPrototypesInit::Given {
            numeric: Array2::zeros((3, 1)),
            categorical: Array2::zeros((2, 1)),
        };
        assert_eq!(name(KPrototypesParams::new(2).init(given)), "init");
        assert!(KPrototypesParams::new(2).max_iter(0).check().is_ok());
    }

    #[test]
    fn params_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<KPrototypesParams>();
        assert_send_sync::<KPrototypesValidParams>();
    }
}
