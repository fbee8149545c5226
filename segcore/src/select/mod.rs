//! Cluster validity metrics and choosing the number of segments.
