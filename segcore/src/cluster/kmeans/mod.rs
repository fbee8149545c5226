//! k-means: exact accelerated Lloyd, k-means++ initialisation, mini-batch streaming.
