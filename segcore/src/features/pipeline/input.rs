//! The input adapter: borrowed columns of a customer table, a matrix or single values, looked up
//! by the names a [`PipelineSpec`] uses.

use super::*;

/// One customer's value of one input column, for [`FeaturePipeline::transform_row`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RowValue<'a> {
    /// A number; NaN = missing (infinities are rejected).
    Number(f64),
    /// A category; `None` = missing.
    Category(Option<&'a str>),
}

/// A borrowed input column.
#[derive(Debug, Clone, Copy)]
pub enum ColumnRef<'a> {
    /// Numbers, NaN = missing (infinities are rejected naming the row).
    Numeric(ArrayView1<'a, f64>),
    /// Dictionary-encoded categories.
    Categorical(&'a CategoricalColumn),
}

impl ColumnRef<'_> {
    pub(super) fn len(&self) -> usize {
        match self {
            ColumnRef::Numeric(v) => v.len(),
            ColumnRef::Categorical(c) => c.len(),
        }
    }
    pub(super) fn kind(&self) -> &'static str {
        match self {
            ColumnRef::Numeric(_) => "numeric",
            ColumnRef::Categorical(_) => "categorical",
        }
    }
}

/// Named input columns of equal length, borrowed: the columns of a [`CustomerTable`] plus, e.g.,
/// behaviour features as a matrix with names. Nothing is copied.
///
/// ```
/// use ndarray::array;
/// use segcore::data::CustomerTable;
/// use segcore::features::pipeline::FeatureInput;
///
/// let mut table = CustomerTable::new(vec!["C1".into(), "C2".into()])?;
/// table.add_categorical("industry", &[Some("food"), Some("auto")])?;
/// let behaviour = array![[12.0, 3.0], [40.0, 1.0]];
/// let names = ["recency_days".to_string(), "frequency".to_string()];
/// let input = FeatureInput::from_table(&table).with_matrix(&names, behaviour.view())?;
/// assert_eq!(input.n_rows(), 2);
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct FeatureInput<'a> {
    n_rows: usize,
    columns: Vec<(&'a str, ColumnRef<'a>)>,
}

impl<'a> FeatureInput<'a> {
    /// No columns yet, `n_rows` rows.
    pub fn new(n_rows: usize) -> Self {
        FeatureInput {
            n_rows,
            columns: Vec::new(),
        }
    }

    /// All columns of `table`.
    pub fn from_table(table: &'a CustomerTable) -> Self {
        let columns = table
            .columns()
            .iter()
            .map(|c| {
                let r = match &c.data {
                    ColumnData::Numeric(v) => ColumnRef::Numeric(ArrayView1::from(v.as_slice())),
                    ColumnData::Categorical(c) => ColumnRef::Categorical(c),
                };
                (c.name.as_str(), r)
            })
            .collect();
        FeatureInput {
            n_rows: table.n_customers(),
            columns,
        }
    }

    /// Adds one column; its length must be [`n_rows`](Self::n_rows) and its name new.
    pub fn with_column(mut self, name: &'a str, column: ColumnRef<'a>) -> Result<Self> {
        if column.len() != self.n_rows {
            return Err(Error::ShapeMismatch {
                what: format!("column `{name}` (one value per customer)"),
                expected: self.n_rows,
                got: column.len(),
            });
        }
        if self.columns.iter().any(|(n, _)| *n == name) {
            return Err(Error::invalid_parameter(
                "name",
                format!("`{name}`"),
                "a column name not already in the input",
            ));
        }
        self.columns.push((name, column));
        Ok(self)
    }

    /// Adds the columns of `values` (rows = customers) under `names`.
    pub fn with_matrix(mut self, names: &'a [String], values: ArrayView2<'a, f64>) -> Result<Self> {
        if names.len() != values.ncols() {
            return Err(Error::ShapeMismatch {
                what: "names of the matrix columns".into(),
                expected: values.ncols(),
                got: names.len(),
            });
        }
        for (j, name) in names.iter().enumerate() {
            // `index_axis_move` keeps the view's lifetime `'a` (a borrowed column would not).
            let column = values.index_axis_move(Axis(1), j);
            self = self.with_column(name, ColumnRef::Numeric(column))?;
        }
        Ok(self)
    }

    /// Number of rows (customers).
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// `base` with one column spec per input column, in input order: numeric columns as
    /// [`ColumnSpec::numeric`] (standard-scaled), categorical ones as [`ColumnSpec::one_hot`].
    /// A spec without columns fits this way, as scikit-learn's transformers read every column of
    /// a plain matrix; `base` keeps its groups and constant-column policy (any column specs it
    /// has are replaced).
    ///
    /// Errors when the input has no column (scikit-learn's "0 feature(s)" message).
    ///
    /// ```
    /// use ndarray::array;
    /// use segcore::features::pipeline::{FeatureInput, PipelineSpec};
    ///
    /// let x = array![[1.0, 10.0], [2.0, 30.0], [3.0, 20.0]];
    /// let names = ["x0".to_string(), "x1".to_string()];
    /// let input = FeatureInput::new(3).with_matrix(&names, x.view())?;
    /// let spec = input.spec_of_every_column(&PipelineSpec::default())?;
    /// let pipeline = spec.fit(&input)?;
    /// assert_eq!(pipeline.feature_names_out(), ["x0", "x1"]);
    /// let empty = FeatureInput::new(3).spec_of_every_column(&PipelineSpec::default());
    /// assert!(empty.unwrap_err().to_string().contains("0 feature(s) (shape=(3, 0))"));
    /// # Ok::<(), segcore::Error>(())
    /// ```
    pub fn spec_of_every_column(&self, base: &PipelineSpec) -> Result<PipelineSpec> {
        if self.columns.is_empty() {
            return Err(Error::EmptyInput {
                what: format!(
                    "X has 0 feature(s) (shape=({}, 0)) while a minimum of 1 is required.",
                    self.n_rows
                ),
            });
        }
        let columns = self
            .columns
            .iter()
            .map(|(name, column)| match column {
                ColumnRef::Numeric(_) => ColumnSpec::numeric(name),
                ColumnRef::Categorical(_) => ColumnSpec::one_hot(name),
            })
            .collect();
        Ok(PipelineSpec {
            columns,
            ..base.clone()
        })
    }

    pub(super) fn get(&self, name: &str) -> Result<ColumnRef<'a>> {
        self.columns
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)
            .ok_or_else(|| Error::UnknownColumn {
                name: name.to_string(),
                available: self
                    .columns
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The column a spec reads, with its type checked against the encoding.
    pub(super) fn source(&self, spec: &ColumnSpec) -> Result<ColumnRef<'a>> {
        let column = self.get(&spec.column)?;
        let expected = match spec.encoding {
            Encoding::Numeric => "numeric",
            Encoding::OneHot | Encoding::Ordinal => "categorical",
        };
        if column.kind() != expected {
            return Err(Error::ColumnType {
                name: spec.column.clone(),
                expected: format!("{expected} (spec encoding {:?})", spec.encoding),
                actual: column.kind().into(),
            });
        }
        if let ColumnRef::Numeric(values) = column {
            if let Some(row) = values.iter().position(|v| v.is_infinite()) {
                return Err(Error::NonFiniteValue {
                    what: format!("column `{}`", spec.column),
                    row,
                    column: 0,
                    value: values[row],
                });
            }
        }
        Ok(column)
    }
}
