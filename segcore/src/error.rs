//! One error type for the whole core.
//!
//! Every variant says *what* was wrong and *where* (parameter and its allowed range, row and column,
//! file line). The Python binding maps each variant to an exception class under `segcore.SegcoreError`
//! that is also a `ValueError` (or `TypeError`), carrying exactly this `Display` message.

/// Result alias used throughout segcore.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in segcore.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A parameter is outside its allowed range; checked before any work is done.
    #[error("invalid parameter `{name}` = {value}: expected {expected}")]
    InvalidParameter {
        /// Parameter name as the user spells it (`n_clusters`, `tol`, ...).
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// The allowed range or set, in words.
        expected: String,
    },

    /// An input has no rows (or no columns) where some are needed.
    #[error("empty input: {what}")]
    EmptyInput {
        /// What was empty, e.g. "X has 0 samples".
        what: String,
    },

    /// A NaN or infinite value where only finite numbers are allowed.
    #[error("{what} contains a non-finite value ({value}) at row {row}, column {column}")]
    NonFiniteValue {
        /// Which input ("X", "sample_weight", ...).
        what: String,
        /// Zero-based row index.
        row: usize,
        /// Zero-based column index (0 for one-dimensional inputs).
        column: usize,
        /// The value itself (NaN, inf or -inf).
        value: f64,
    },

    /// Array dimensions do not fit together.
    #[error("shape mismatch in {what}: expected {expected}, got {got}")]
    ShapeMismatch {
        /// Which input or relation, e.g. "X at predict (n_features)".
        what: String,
        /// Expected size.
        expected: usize,
        /// Actual size.
        got: usize,
    },

    /// More clusters were requested than there are samples to form them.
    #[error("n_clusters = {n_clusters} must be <= the number of samples ({n_samples})")]
    TooManyClusters {
        /// Requested number of clusters.
        n_clusters: usize,
        /// Number of samples available.
        n_samples: usize,
    },

    /// Sample weights are unusable (negative, all zero, ...).
    #[error("invalid sample_weight: {reason}")]
    InvalidWeights {
        /// What is wrong with them, naming the row where one is at fault.
        reason: String,
    },

    /// A named column is not in the table.
    #[error("unknown column `{name}`; available columns: {available}")]
    UnknownColumn {
        /// The requested name.
        name: String,
        /// Comma-separated names that do exist.
        available: String,
    },

    /// A column an input needs is not there: names the source (file or frame), the role, the
    /// header names looked for and the columns the source does have.
    #[error(
        "{source_name}: no {role} column (looked for {expected}); the columns found are: {found}. \
         Name the {role} column explicitly"
    )]
    MissingColumn {
        /// File name or frame ("transactions").
        source_name: String,
        /// The column's role in words ("customer id", "amount", ...).
        role: String,
        /// The header names recognised for the role.
        expected: String,
        /// Comma-separated names of the columns the source has.
        found: String,
    },

    /// A transaction log (several rows per customer, invoice and date columns) was given where
    /// a customer table (one row per customer) belongs.
    #[error(
        "{source_name} looks like a transaction log, not a customer table: {evidence}; {advice}"
    )]
    TransactionLogAsCustomers {
        /// File name or "customers".
        source_name: String,
        /// What gave it away (the repeated ids, the invoice and date columns).
        evidence: String,
        /// What to do instead.
        advice: String,
    },

    /// A command line that cannot be run: an unknown flag, a missing value, a positional
    /// argument; the message says what to write instead.
    #[error("{problem} (run with --help for every option)")]
    Usage {
        /// What is wrong and what to write instead.
        problem: String,
    },

    /// A column exists but has the wrong type for the requested use.
    #[error("column `{name}` is {actual}, expected {expected}")]
    ColumnType {
        /// Column name.
        name: String,
        /// What the caller needed ("numeric", "categorical", ...).
        expected: String,
        /// What it is.
        actual: String,
    },

    /// A categorical value that was not seen at fit time.
    #[error("unknown category `{value}` in column `{column}`")]
    UnknownCategory {
        /// Column name.
        column: String,
        /// The unseen value.
        value: String,
    },

    /// A missing value in a categorical column that needs every value
    /// ([`crate::data::fit_categories`]).
    #[error(
        "missing value in categorical column {column} at row {row}; encode it as its own category \
         (e.g. fillna('missing'))"
    )]
    MissingCategory {
        /// Column name.
        column: String,
        /// Zero-based row index.
        row: usize,
    },

    /// A missing segment label ([`crate::profile::encode_labels`]).
    #[error("{name} contains missing values ({value}) at row {row}")]
    MissingLabel {
        /// The labels' argument name.
        name: String,
        /// Zero-based row index.
        row: usize,
        /// The missing value as the caller spells it.
        value: String,
    },

    /// A label that is not a segment number where only those are accepted
    /// ([`crate::profile::encode_labels`]).
    #[error("{name}, row {row}: {value} is not a segment label (an integer in 0..=65535)")]
    NotSegmentLabel {
        /// The labels' argument name.
        name: String,
        /// Zero-based row index.
        row: usize,
        /// The label as the caller spells it.
        value: String,
    },

    /// An input file segcore recognises but cannot read: a corrupt Parquet file, a nested
    /// (list, map or struct) column, a compression codec it is not built with.
    #[error("{source_name}: {reason}")]
    UnsupportedInput {
        /// File name.
        source_name: String,
        /// What cannot be read and what to do instead.
        reason: String,
    },

    /// A malformed value in a text input (CSV, dates): names the source, line and column.
    #[error("{source_name}, line {line}, column `{column}`: {message}")]
    Parse {
        /// File name or "<input>".
        source_name: String,
        /// One-based line number in the file (the header is line 1).
        line: usize,
        /// Column name (or number when there is no header).
        column: String,
        /// What was wrong.
        message: String,
    },

    /// Reading or writing a file failed.
    #[error("cannot access {path}: {source}")]
    Io {
        /// The file path.
        path: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A saved model could not be loaded (bad format, version, shapes...).
    #[error("invalid model document: {reason}")]
    ModelFormat {
        /// What was wrong with it.
        reason: String,
    },

    /// A customer's purchase history (frequency, recency, T of a CLV model) is impossible:
    /// recency after T, a negative or fractional frequency, non-positive spend...
    #[error("invalid purchase history at row {row}: {reason}")]
    InvalidHistory {
        /// Zero-based row (customer) index.
        row: usize,
        /// What is wrong, with the values.
        reason: String,
    },

    /// A numerical breakdown that the user can fix with a parameter (e.g. a singular covariance).
    #[error("numerical problem: {reason}")]
    Numerical {
        /// What broke and what to try instead.
        reason: String,
    },

    /// The work was cancelled from outside ([`crate::cancel`]: Ctrl-C in Python); nothing was
    /// fitted.
    #[error("cancelled (interrupted before it finished; nothing was fitted)")]
    Cancelled,
}

impl Error {
    /// Shorthand for [`Error::InvalidParameter`].
    pub fn invalid_parameter(
        name: &'static str,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        Error::InvalidParameter {
            name,
            value: value.to_string(),
            expected: expected.into(),
        }
    }
}

/// linfa's traits (`Fit`) require the error type to absorb linfa's own errors. segcore's
/// estimators never produce one; if a linfa helper ever does, it surfaces as a numerical problem
/// carrying linfa's message.
impl From<linfa::Error> for Error {
    fn from(error: linfa::Error) -> Self {
        Error::Numerical {
            reason: format!("linfa: {error}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_and_where() {
        let e = Error::invalid_parameter("n_clusters", 0, "an integer >= 1");
        assert_eq!(
            e.to_string(),
            "invalid parameter `n_clusters` = 0: expected an integer >= 1"
        );
        let e = Error::NonFiniteValue {
            what: "X".into(),
            row: 3,
            column: 1,
            value: f64::NAN,
        };
        assert_eq!(
            e.to_string(),
            "X contains a non-finite value (NaN) at row 3, column 1"
        );
    }

    #[test]
    fn error_is_send_sync() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Error>();
    }
}
