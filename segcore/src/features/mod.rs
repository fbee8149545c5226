//! Features from raw B2B data (behaviour from transactions, value, lifecycle, firmographics).
