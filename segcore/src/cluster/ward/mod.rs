//! Ward hierarchical clustering (nearest-neighbour chain, scipy linkage format).
