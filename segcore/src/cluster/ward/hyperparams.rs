//! Ward parameters: [`WardParams`] (what the user sets) -> [`WardValidParams`] (checked).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// Default number of k-means iterations in the two-stage mode.
const DEFAULT_MICRO_MAX_ITERATIONS: u64 = 20;

/// Parameters of Ward hierarchical clustering.
///
/// At most one of `n_clusters` and `distance_threshold` may be set. With neither, [`fit`]
/// builds the tree and returns a single segment (the root): read
/// [`Linkage::n_clusters_by_height`] and then cut with [`Ward::recut_n_clusters`] or
/// [`Ward::recut_height`] without recomputing the tree.
///
/// [`fit`]: WardParams::fit
/// [`Linkage::n_clusters_by_height`]: super::Linkage::n_clusters_by_height
/// [`Ward::recut_n_clusters`]: super::Ward::recut_n_clusters
/// [`Ward::recut_height`]: super::Ward::recut_height
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WardParams {
    /// Number of segments to cut the tree into (scipy `fcluster(criterion='maxclust')`: fewer
    /// when merge heights tie exactly at the cut).
    pub n_clusters: Option<usize>,
    /// Cut height, as scikit-learn's `distance_threshold`: clusters merged at a height strictly
    /// below it end up in the same segment.
    pub distance_threshold: Option<f64>,
    /// Two-stage mode for data too large for exact Ward: first k-means into this many weighted
    /// micro-clusters, then exact weighted Ward on their centroids. `None` (default) is exact
    /// Ward on every row; also exact when the data has no more rows than this. The route
    /// beyond ~50,000 rows: the exact tree's scans grow with the square of the rows (seconds at
    /// 20,000 x 8, hours at 1,000,000), the two-stage fit linearly.
    pub micro_clusters: Option<usize>,
    /// Maximum k-means iterations in the two-stage mode (default 20).
    pub micro_max_iterations: u64,
    /// Seed of the two-stage k-means (exact Ward uses no randomness).
    #[serde(alias = "seed")]
    pub random_state: u64,
}

impl Default for WardParams {
    fn default() -> Self {
        WardParams {
            n_clusters: None,
            distance_threshold: None,
            micro_clusters: None,
            micro_max_iterations: DEFAULT_MICRO_MAX_ITERATIONS,
            random_state: 0,
        }
    }
}

impl WardParams {
    /// Parameters cutting the tree into `n_clusters` segments.
    pub fn new(n_clusters: usize) -> Self {
        WardParams {
            n_clusters: Some(n_clusters),
            ..WardParams::default()
        }
    }

    /// Sets the number of segments (and clears `distance_threshold`).
    pub fn n_clusters(mut self, n_clusters: usize) -> Self {
        self.n_clusters = Some(n_clusters);
        self.distance_threshold = None;
        self
    }

    /// Sets the cut height (and clears `n_clusters`).
    pub fn distance_threshold(mut self, threshold: f64) -> Self {
        self.distance_threshold = Some(threshold);
        self.n_clusters = None;
        self
    }

    /// Enables the two-stage mode with this many k-means micro-clusters.
    pub fn micro_clusters(mut self, micro_clusters: usize) -> Self {
        self.micro_clusters = Some(micro_clusters);
        self
    }

    /// Sets the maximum number of k-means iterations of the two-stage mode.
    pub fn micro_max_iterations(mut self, iterations: u64) -> Self {
        self.micro_max_iterations = iterations;
        self
    }

    /// Sets the seed of the two-stage k-means.
    pub fn random_state(mut self, random_state: u64) -> Self {
        self.random_state = random_state;
        self
    }

    /// Checks every parameter, naming the first one out of range.
    pub fn check(&self) -> Result<WardValidParams> {
        if let Some(k) = self.n_clusters {
            if k == 0 {
                return Err(Error::invalid_parameter("n_clusters", k, "an integer >= 1"));
            }
        }
        if let Some(t) = self.distance_threshold {
            if !(t.is_finite() && t >= 0.0) {
                return Err(Error::invalid_parameter(
                    "distance_threshold",
                    t,
                    "a finite number >= 0",
                ));
            }
        }
        if self.n_clusters.is_none() && self.distance_threshold.is_none() {
            return Err(Error::invalid_parameter(
                "n_clusters",
                "None",
                "an integer >= 1, or a distance_threshold instead: set one of them (the whole \
                 tree alone is ward_linkage)",
            ));
        }
        if let (Some(k), Some(t)) = (self.n_clusters, self.distance_threshold) {
            return Err(Error::invalid_parameter(
                "distance_threshold",
                t,
                format!("None when n_clusters is set (n_clusters = {k}); set only one of them"),
            ));
        }
        if let Some(m) = self.micro_clusters {
            if m < 2 {
                return Err(Error::invalid_parameter(
                    "micro_clusters",
                    m,
                    "an integer >= 2 (typically a few thousand), or None for exact Ward",
                ));
            }
        }
        if self.micro_max_iterations == 0 {
            return Err(Error::invalid_parameter(
                "micro_max_iterations",
                0,
                "an integer >= 1",
            ));
        }
        Ok(WardValidParams {
            params: self.clone(),
        })
    }
}

/// Ward parameters that passed [`WardParams::check`].
#[derive(Clone, Debug, PartialEq)]
pub struct WardValidParams {
    params: WardParams,
}

impl WardValidParams {
    /// The checked parameters.
    pub fn params(&self) -> &WardParams {
        &self.params
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names_the_parameter() {
        let err = WardParams::new(0).check().unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidParameter {
                name: "n_clusters",
                ..
            }
        ));
        let err = WardParams::default()
            .distance_threshold(f64::NAN)
            .check()
            .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidParameter {
                name: "distance_threshold",
                ..
            }
        ));
        let both = WardParams {
            n_clusters: Some(3),
            distance_threshold: Some(1.0),
            ..WardParams::default()
        };
        assert!(matches!(
            both.check(),
            Err(Error::InvalidParameter {
                name: "distance_threshold",
                ..
            })
        ));
        let err = WardParams::new(2).micro_clusters(1).check().unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidParameter {
                name: "micro_clusters",
                ..
            }
        ));
        let err = WardParams::new(2)
            .micro_max_iterations(0)
            .check()
            .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidParameter {
                name: "micro_max_iterations",
                ..
            }
        ));
        // Neither a count nor a height: nothing says where to cut (scipy/scikit-learn agree).
        assert!(matches!(
            WardParams::default().check().unwrap_err(),
            Error::InvalidParameter {
                name: "n_clusters",
                ..
            }
        ));
        assert!(WardParams::new(3).distance_threshold(0.0).check().is_ok());
    }

    #[test]
    fn params_are_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<WardParams>();
        assert_send_sync::<WardValidParams>();
    }
}
