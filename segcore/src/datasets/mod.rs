//! Deterministic synthetic B2B customer bases with ground-truth segments.
