//! Segment profiles: sizes, shares and feature means per segment.
