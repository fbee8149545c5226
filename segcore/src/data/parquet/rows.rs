//! Parquet numbers decoded straight into the row-major float block the core computes on (the
//! rows x features matrix of k-means, the mixtures, PCA and the scaler): no text cells, no
//! data frame in between. This is what `segcore.dask.read_parquet` runs on the workers, a file
//! or a row group per block.
//!
//! Columns are read by their physical type: 32- and 64-bit floats, 32- and 64-bit integers
//! (signed or unsigned) without a date, time or decimal meaning; anything else is a
//! [`Error::ColumnType`] naming the column and the file. The block is `f32` or `f64` as asked;
//! values are converted as numpy's `astype` converts them (rounded to nearest).
//!
//! Invariant: a block holds every row of the row groups asked for, in file order, each row's
//! values in the order of the columns asked for, all finite; anything else is a typed error
//! naming the file, the row group and the column (and the row, for a null or a non-finite
//! value), never a panic, and never an allocation sized by a count the file claims before
//! [`super::check`] has checked it against the file's size (the block is at most the cells the
//! checks let a file of that size claim). The decoder is driven as the table reader drives it,
//! inside the same panic guard.
//!
//! Measured (docs/performance.md, "Parquet streamed through the kernel"): a 1M x 16 float32
//! snappy file (70 MB) decodes with a k-means step in 0.14-0.15 CPU s as a block, 0.095 streamed
//! (`stream_parquet_rows`); at 50M rows a pass on 2 Dask workers takes 2.9 s, 3.8-4.1x dask-ml's.

use super::{check, flat_column, guarded, leaves_of, names_of, new_reader, open_file, unsupported};
use crate::error::{Error, Result};
use ndarray::{Array2, ArrayView2};
use parquet::basic::{ConvertedType, LogicalType, Type as PhysicalType};
use parquet::column::reader::ColumnReaderImpl;
use parquet::data_type::{DataType, DoubleType, FloatType, Int32Type, Int64Type};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::schema::types::ColumnDescriptor;
use std::ops::Range;
use std::path::Path;

/// Rows decoded per column before they are written into the block: a batch of the block
/// (8192 rows x the columns) stays in cache while its columns are interleaved. A whole number of
/// the k-means kernel's chunks (see [`stream_parquet_rows`]).
pub(crate) const BATCH: usize = 8192;

/// A row-major block of rows read from Parquet, in the float type asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum RowBlock {
    /// 32-bit floats.
    Float32(Array2<f32>),
    /// 64-bit floats.
    Float64(Array2<f64>),
}

impl RowBlock {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        match self {
            RowBlock::Float32(a) => a.nrows(),
            RowBlock::Float64(a) => a.nrows(),
        }
    }
}

/// What a set of Parquet files holds for [`read_parquet_rows`]: the columns read, whether they
/// are all 32-bit floats, and the rows of every row group of every file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetRowsLayout {
    /// The columns read, in the order the block holds them.
    pub columns: Vec<String>,
    /// Every column read is stored as 32-bit floats in every file (a float32 block loses
    /// nothing).
    pub float32: bool,
    /// Rows of each row group, file by file, in the order the files were given.
    pub row_groups: Vec<Vec<u64>>,
}

/// How a column's values become floats: its physical type, and for integers their sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Float,
    Double,
    Int32,
    UInt32,
    Int64,
    UInt64,
}

/// The kind of a flat column, or why it is not read as a number.
fn kind_of(descr: &ColumnDescriptor) -> std::result::Result<Kind, String> {
    let logical = descr.logical_type_ref();
    let converted = descr.converted_type();
    let integer = |signed_kind: Kind, unsigned_kind: Kind| match (logical, converted) {
        (Some(LogicalType::Integer { is_signed, .. }), _) => Ok(if *is_signed {
            signed_kind
        } else {
            unsigned_kind
        }),
        (None, ConvertedType::NONE | ConvertedType::INT_8)
        | (None, ConvertedType::INT_16 | ConvertedType::INT_32 | ConvertedType::INT_64) => {
            Ok(signed_kind)
        }
        (None, ConvertedType::UINT_8 | ConvertedType::UINT_16)
        | (None, ConvertedType::UINT_32 | ConvertedType::UINT_64) => Ok(unsigned_kind),
        (Some(l), _) => Err(format!("{l:?}")),
        (None, c) => Err(format!("{c}")),
    };
    match descr.physical_type() {
        PhysicalType::FLOAT => Ok(Kind::Float),
        PhysicalType::DOUBLE => Ok(Kind::Double),
        PhysicalType::INT32 => integer(Kind::Int32, Kind::UInt32)
            .map_err(|meaning| format!("32-bit integers of type {meaning}")),
        PhysicalType::INT64 => integer(Kind::Int64, Kind::UInt64)
            .map_err(|meaning| format!("64-bit integers of type {meaning}")),
        PhysicalType::BOOLEAN => Err("booleans".into()),
        PhysicalType::INT96 => Err("INT96 timestamps".into()),
        PhysicalType::BYTE_ARRAY => Err("text or binary".into()),
        PhysicalType::FIXED_LEN_BYTE_ARRAY => Err("fixed-length binary".into()),
    }
}

/// An open file with its columns resolved: (leaf, kind) of each column asked for.
struct Opened {
    reader: SerializedFileReader<std::fs::File>,
    columns: Vec<(usize, Kind)>,
}

/// Opens `path` and resolves `columns` (all of the file's when `None`): every one present,
/// flat and numeric; returns the names read too. With `same_as` (the columns and the name of
/// the first file), the file must have exactly those columns.
fn open_columns(
    path: &Path,
    source_name: &str,
    columns: Option<&[String]>,
    same_as: Option<(&[String], &str)>,
) -> Result<(Opened, Vec<String>)> {
    let file = open_file(path, source_name)?;
    let reader = new_reader(file, source_name)?;
    let names = names_of(&reader);
    if let Some((first_columns, first_name)) = same_as {
        if names != first_columns {
            return Err(unsupported(
                source_name,
                format!(
                    "has the columns {}, the first file ({first_name}) {}; give `columns` to \
                     read the ones they share, or write the files with the same columns",
                    names.join(", "),
                    first_columns.join(", ")
                ),
            ));
        }
    }
    let wanted: Vec<String> = match columns {
        Some(columns) => columns.to_vec(),
        None => names.clone(),
    };
    let leaf_of = leaves_of(&reader);
    let mut resolved = Vec::with_capacity(wanted.len());
    for name in &wanted {
        let Some(j) = names.iter().position(|n| n == name) else {
            return Err(unsupported(
                source_name,
                format!(
                    "no column `{name}`; its columns are: {}. Every file must hold the columns \
                     read",
                    names.join(", ")
                ),
            ));
        };
        let (leaf, descr) = flat_column(&reader, &leaf_of, j, name, source_name)?;
        let kind = kind_of(&descr).map_err(|actual| Error::ColumnType {
            name: name.clone(),
            expected: "numbers (floats or integers) to read as rows".into(),
            actual: format!("{actual} in {source_name}"),
        })?;
        resolved.push((leaf, kind));
    }
    Ok((
        Opened {
            reader,
            columns: resolved,
        },
        wanted,
    ))
}

/// Reads the footers of `paths`: the columns read (`columns`, or all of the first file's, which
/// every other file must then hold exactly, in the same order), whether they are all 32-bit
/// floats, and every file's row groups. Nothing but the footers is read.
pub fn parquet_rows_layout<P: AsRef<Path>>(
    paths: &[P],
    columns: Option<&[String]>,
) -> Result<ParquetRowsLayout> {
    if columns.is_some_and(|c| c.is_empty()) {
        return Err(Error::EmptyInput {
            what: "no columns to read from the Parquet files".into(),
        });
    }
    let mut layout = ParquetRowsLayout {
        columns: Vec::new(),
        float32: true,
        row_groups: Vec::with_capacity(paths.len()),
    };
    let mut first: Option<String> = None;
    for path in paths {
        let path = path.as_ref();
        let source_name = path.display().to_string();
        let asked = columns.or(first.as_ref().map(|_| layout.columns.as_slice()));
        let same_as = match (&first, columns) {
            (Some(first_name), None) => Some((layout.columns.as_slice(), first_name.as_str())),
            _ => None,
        };
        let (opened, names) = open_columns(path, &source_name, asked, same_as)?;
        if first.is_none() {
            if names.is_empty() {
                return Err(Error::EmptyInput {
                    what: format!("{source_name} has no columns"),
                });
            }
            layout.columns = names;
            first = Some(source_name.clone());
        }
        layout.float32 &= opened.columns.iter().all(|(_, k)| *k == Kind::Float);
        let groups = opened
            .reader
            .metadata()
            .row_groups()
            .iter()
            .enumerate()
            .map(|(g, group)| {
                u64::try_from(group.num_rows()).map_err(|_| {
                    unsupported(
                        &source_name,
                        format!(
                            "row group {g} claims {} rows: a corrupt file",
                            group.num_rows()
                        ),
                    )
                })
            })
            .collect::<Result<Vec<u64>>>()?;
        layout.row_groups.push(groups);
    }
    if first.is_none() {
        return Err(Error::EmptyInput {
            what: "no Parquet files to read".into(),
        });
    }
    Ok(layout)
}

/// Reads the rows of row groups `row_groups` (all when `None`) of the Parquet file at `path`,
/// the values of `columns` in that order, as a row-major `f32` block when `float32`, else
/// `f64`. Every file and page header is checked first ([`super::check`]); a null, a NaN or an
/// infinity is an error naming the file, the row group, the column and the row (of the file,
/// from 0).
pub fn read_parquet_rows(
    path: &Path,
    columns: &[String],
    row_groups: Option<Range<usize>>,
    float32: bool,
) -> Result<RowBlock> {
    if float32 {
        read_rows::<f32>(path, columns, row_groups).map(RowBlock::Float32)
    } else {
        read_rows::<f64>(path, columns, row_groups).map(RowBlock::Float64)
    }
}

/// A float of the block, converted from each kind as numpy's `astype` converts.
pub(crate) trait Out: Copy + Default + std::fmt::Display {
    fn of_f32(v: f32) -> Self;
    fn of_f64(v: f64) -> Self;
    fn of_i64(v: i64) -> Self;
    fn of_u64(v: u64) -> Self;
    fn finite(self) -> bool;
    fn as_f64(self) -> f64;
}

macro_rules! out {
    ($t:ty) => {
        impl Out for $t {
            #[inline(always)]
            fn of_f32(v: f32) -> Self {
                v as $t
            }
            #[inline(always)]
            fn of_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn of_i64(v: i64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn of_u64(v: u64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn finite(self) -> bool {
                self.is_finite()
            }
            fn as_f64(self) -> f64 {
                f64::from(self)
            }
        }
    };
}
out!(f32);
out!(f64);

/// One column's reader in a row group, with its buffers.
enum Typed {
    Float(ColumnReaderImpl<FloatType>, Vec<f32>),
    Double(ColumnReaderImpl<DoubleType>, Vec<f64>),
    Int32(ColumnReaderImpl<Int32Type>, Vec<i32>, bool),
    Int64(ColumnReaderImpl<Int64Type>, Vec<i64>, bool),
}

/// Where a batch of one column goes: the block's rows of the batch, the column's offset in a
/// row and the row width.
struct Target<'a, O> {
    rows: &'a mut [O],
    column: usize,
    width: usize,
}

/// What went wrong reading one column's batch (the caller adds the file, group and column).
enum BatchError {
    Decoder(Error),
    /// Fewer values than the row group's rows.
    Short(usize),
    /// A null, at this row of the batch.
    Null(usize),
}

/// One batch of a row group: its rows, the column's highest definition level (0: required),
/// the file's name and the buffer of definition levels.
struct Batch<'a> {
    n: usize,
    max_def: i16,
    source_name: &'a str,
    definitions: &'a mut Vec<i16>,
}

/// Reads the `batch.n` rows of one column into `target`.
fn read_batch<T: DataType, O: Out>(
    reader: &mut ColumnReaderImpl<T>,
    values: &mut Vec<T::T>,
    batch: Batch<'_>,
    target: Target<'_, O>,
    convert: impl Fn(&T::T) -> O,
) -> std::result::Result<(), BatchError> {
    let Batch {
        n,
        max_def,
        source_name,
        definitions,
    } = batch;
    values.clear();
    definitions.clear();
    let (records, read, _) = guarded(source_name, || {
        reader.read_records(n, (max_def > 0).then_some(&mut *definitions), None, values)
    })
    .map_err(BatchError::Decoder)?;
    if records != n {
        return Err(BatchError::Short(records));
    }
    if read != n {
        let at = definitions
            .iter()
            .position(|&d| d != max_def)
            .unwrap_or(read);
        return Err(BatchError::Null(at));
    }
    let Target {
        rows,
        column,
        width,
    } = target;
    for (row, value) in rows.chunks_exact_mut(width).zip(values.iter()) {
        row[column] = convert(value);
    }
    Ok(())
}

/// Where [`decode_rows`] writes: the rows `at..at + n` of the partition (never crossing a
/// multiple of [`BATCH`] rows), all columns of a row together.
trait RowSink<O> {
    /// The partition has `n_rows` rows of `width` values (called once, before any rows).
    fn begin(&mut self, n_rows: usize, width: usize);
    /// Room for rows `at..at + n`, row-major.
    fn rows(&mut self, at: usize, n: usize) -> &mut [O];
    /// Rows `at..at + n` are written and finite.
    fn filled(&mut self, at: usize, n: usize) -> Result<()>;
}

/// The whole partition as one block.
struct WholeBlock<O> {
    values: Vec<O>,
    width: usize,
}

impl<O: Out> RowSink<O> for WholeBlock<O> {
    fn begin(&mut self, n_rows: usize, width: usize) {
        self.values = vec![O::default(); n_rows * width];
        self.width = width;
    }
    fn rows(&mut self, at: usize, n: usize) -> &mut [O] {
        &mut self.values[at * self.width..(at + n) * self.width]
    }
    fn filled(&mut self, _: usize, _: usize) -> Result<()> {
        Ok(())
    }
}

/// The partition a batch of [`BATCH`] rows at a time (the last one shorter), handed to a
/// closure with the partition's row number of its first row: the rows stay in cache and the
/// partition is never held whole.
struct Batches<O, F> {
    buffer: Vec<O>,
    width: usize,
    n_rows: usize,
    on_batch: F,
}

impl<O: Out, F: FnMut(usize, ArrayView2<'_, O>) -> Result<()>> RowSink<O> for Batches<O, F> {
    fn begin(&mut self, n_rows: usize, width: usize) {
        self.buffer = vec![O::default(); BATCH.min(n_rows) * width];
        self.width = width;
        self.n_rows = n_rows;
    }
    fn rows(&mut self, at: usize, n: usize) -> &mut [O] {
        let from = at % BATCH;
        &mut self.buffer[from * self.width..(from + n) * self.width]
    }
    fn filled(&mut self, at: usize, n: usize) -> Result<()> {
        let end = at + n;
        if end % BATCH == 0 || end == self.n_rows {
            let first = (end - 1) / BATCH * BATCH;
            let rows = end - first;
            let view =
                ArrayView2::from_shape((rows, self.width), &self.buffer[..rows * self.width])
                    .map_err(|e| Error::invalid_parameter("rows", e.to_string(), "a row block"))?;
            (self.on_batch)(first, view)?;
        }
        Ok(())
    }
}

/// The rows of row groups `row_groups` (all when `None`) of the Parquet file at `path`, the
/// values of `columns` in that order, handed a batch at a time to `on_batch` with the
/// partition's row number of the batch's first row: every batch but the last holds [`BATCH`]
/// rows (a whole number of the k-means kernel's chunks, so a statistic summed chunk by chunk
/// over the batches has the bits of one sum over the whole block). The checks and errors of
/// [`read_parquet_rows`]; returns the number of rows.
pub(crate) fn stream_parquet_rows<O: Out>(
    path: &Path,
    columns: &[String],
    row_groups: Option<Range<usize>>,
    on_batch: impl FnMut(usize, ArrayView2<'_, O>) -> Result<()>,
) -> Result<usize> {
    let mut sink = Batches {
        buffer: Vec::new(),
        width: 0,
        n_rows: 0,
        on_batch,
    };
    decode_rows(path, columns, row_groups, &mut sink)?;
    Ok(sink.n_rows)
}

fn read_rows<O: Out>(
    path: &Path,
    columns: &[String],
    row_groups: Option<Range<usize>>,
) -> Result<Array2<O>> {
    let mut block = WholeBlock {
        values: Vec::new(),
        width: 0,
    };
    let n_rows = decode_rows(path, columns, row_groups, &mut block)?;
    Array2::from_shape_vec((n_rows, block.width), block.values).map_err(|e| {
        unsupported(
            &path.display().to_string(),
            format!("the rows do not form a block ({e})"),
        )
    })
}

/// Decodes the rows into `sink`, batch by batch; returns the number of rows.
fn decode_rows<O: Out>(
    path: &Path,
    columns: &[String],
    row_groups: Option<Range<usize>>,
    sink: &mut dyn RowSink<O>,
) -> Result<usize> {
    let source_name = path.display().to_string();
    if columns.is_empty() {
        return Err(Error::EmptyInput {
            what: format!("no columns to read from {source_name}"),
        });
    }
    let (opened, names) = open_columns(path, &source_name, Some(columns), None)?;
    let reader = &opened.reader;
    let n_groups = reader.num_row_groups();
    let groups = row_groups.unwrap_or(0..n_groups);
    if groups.start > groups.end || groups.end > n_groups {
        return Err(Error::invalid_parameter(
            "row_groups",
            format!("{}..{}", groups.start, groups.end),
            format!("a range within the {n_groups} row groups of {source_name}"),
        ));
    }
    // Metadata and every page header of the columns read, against the file, before a value
    // is decoded (this bounds the rows the file can claim by its size).
    let file = open_file(path, &source_name)?;
    let wanted: Vec<check::Wanted<'_>> = opened
        .columns
        .iter()
        .zip(&names)
        .map(|((leaf, _), name)| check::Wanted { leaf: *leaf, name })
        .collect();
    check::check_file(
        reader.metadata(),
        &file,
        &source_name,
        &wanted.iter().collect::<Vec<_>>(),
    )?;
    let metadata = reader.metadata();
    // Checked above: non-negative, adding up to the file's rows, within its size.
    let rows_of = |g: usize| usize::try_from(metadata.row_group(g).num_rows()).unwrap_or(0);
    let n_rows: usize = groups.clone().map(rows_of).sum();
    let width = names.len();
    sink.begin(n_rows, width);
    let mut first_row = 0usize; // of the file, for the messages
    for g in 0..groups.start {
        first_row += rows_of(g);
    }
    let mut done = 0usize; // rows of the block written
    let mut definitions = Vec::with_capacity(BATCH);
    for g in groups {
        let group_rows = rows_of(g);
        let row_group = guarded(&source_name, || reader.get_row_group(g))?;
        let mut typed = Vec::with_capacity(width);
        for ((leaf, kind), name) in opened.columns.iter().zip(&names) {
            let column = guarded(&source_name, || row_group.get_column_reader(*leaf))?;
            let wrong = || {
                unsupported(
                    &source_name,
                    format!("row group {g}, column `{name}`: unexpected type (a corrupt file)"),
                )
            };
            use parquet::column::reader::ColumnReader as C;
            typed.push(match (kind, column) {
                (Kind::Float, C::FloatColumnReader(r)) => Typed::Float(r, Vec::new()),
                (Kind::Double, C::DoubleColumnReader(r)) => Typed::Double(r, Vec::new()),
                (Kind::Int32 | Kind::UInt32, C::Int32ColumnReader(r)) => {
                    Typed::Int32(r, Vec::new(), *kind == Kind::UInt32)
                }
                (Kind::Int64 | Kind::UInt64, C::Int64ColumnReader(r)) => {
                    Typed::Int64(r, Vec::new(), *kind == Kind::UInt64)
                }
                _ => return Err(wrong()),
            });
        }
        let max_defs: Vec<i16> = opened
            .columns
            .iter()
            .map(|(leaf, _)| {
                metadata
                    .file_metadata()
                    .schema_descr()
                    .column(*leaf)
                    .max_def_level()
            })
            .collect();
        let mut at = 0usize;
        while at < group_rows {
            // Batches never cross a multiple of BATCH rows of the partition.
            let n = (BATCH - (done + at) % BATCH).min(group_rows - at);
            let rows = sink.rows(done + at, n);
            for (column, (reader, name)) in typed.iter_mut().zip(&names).enumerate() {
                let max_def = max_defs[column];
                let target = Target {
                    rows: &mut *rows,
                    column,
                    width,
                };
                let batch = Batch {
                    n,
                    max_def,
                    source_name: &source_name,
                    definitions: &mut definitions,
                };
                let read = match reader {
                    Typed::Float(r, v) => read_batch(r, v, batch, target, |x| O::of_f32(*x)),
                    Typed::Double(r, v) => read_batch(r, v, batch, target, |x| O::of_f64(*x)),
                    Typed::Int32(r, v, unsigned) => {
                        let unsigned = *unsigned;
                        read_batch(r, v, batch, target, |x| {
                            if unsigned {
                                O::of_u64(u64::from(*x as u32))
                            } else {
                                O::of_i64(i64::from(*x))
                            }
                        })
                    }
                    Typed::Int64(r, v, unsigned) => {
                        let unsigned = *unsigned;
                        read_batch(r, v, batch, target, |x| {
                            if unsigned {
                                O::of_u64(*x as u64)
                            } else {
                                O::of_i64(*x)
                            }
                        })
                    }
                };
                let row = first_row + at;
                read.map_err(|e| match e {
                    BatchError::Decoder(e) => e,
                    BatchError::Short(got) => unsupported(
                        &source_name,
                        format!(
                            "row group {g}, column `{name}`: {} values for {group_rows} rows (a \
                             corrupt file)",
                            at + got
                        ),
                    ),
                    BatchError::Null(i) => unsupported(
                        &source_name,
                        format!(
                            "row group {g}, column `{name}`: a null (missing value) at row {} of \
                             the file; segcore fits numbers only: fill or drop the missing \
                             values first",
                            row + i
                        ),
                    ),
                })?;
            }
            if let Some(i) = rows.iter().position(|v| !v.finite()) {
                let column = i % width;
                return Err(Error::NonFiniteValue {
                    what: format!("{source_name} (row group {g}, column `{}`)", names[column]),
                    row: first_row + at + i / width,
                    column,
                    value: rows[i].as_f64(),
                });
            }
            sink.filled(done + at, n)?;
            at += n;
        }
        done += group_rows;
        first_row += group_rows;
    }
    Ok(n_rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use parquet::basic::Compression;
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use std::sync::Arc;

    /// One column of the test files: float, double, int64 or text values, with definition
    /// levels when optional.
    enum Col {
        F(Vec<f32>, Option<Vec<i16>>),
        D(Vec<f64>, Option<Vec<i16>>),
        L(Vec<i64>),
        T(Vec<&'static str>),
    }

    /// A Parquet file of the given row groups (each a list of columns), written by the
    /// crate's own writer, snappy-compressed.
    fn write(schema: &str, groups: Vec<Vec<Col>>) -> Vec<u8> {
        use parquet::data_type::{ByteArray, ByteArrayType};
        let schema = Arc::new(parse_message_type(schema).unwrap());
        let properties = Arc::new(
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .build(),
        );
        let mut writer = SerializedFileWriter::new(Vec::new(), schema, properties).unwrap();
        for columns in groups {
            let mut group = writer.next_row_group().unwrap();
            for column in columns {
                let mut out = group.next_column().unwrap().unwrap();
                match &column {
                    Col::F(v, d) => out.typed::<FloatType>().write_batch(v, d.as_deref(), None),
                    Col::D(v, d) => out.typed::<DoubleType>().write_batch(v, d.as_deref(), None),
                    Col::L(v) => out.typed::<Int64Type>().write_batch(v, None, None),
                    Col::T(v) => {
                        let v: Vec<ByteArray> = v.iter().map(|s| ByteArray::from(*s)).collect();
                        out.typed::<ByteArrayType>().write_batch(&v, None, None)
                    }
                }
                .unwrap();
                out.close().unwrap();
            }
            group.close().unwrap();
        }
        writer.into_inner().unwrap()
    }

    fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("segcore-rows-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    const TWO: &str = "message m { required float a; optional double b; required int64 c; }";

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    fn two_groups() -> std::path::PathBuf {
        let group = |base: f32| {
            vec![
                Col::F(vec![base, base + 1.0, base + 2.0], None),
                Col::D(vec![0.5, 1.5, 2.5], Some(vec![1, 1, 1])),
                Col::L(vec![-1, 0, 1 << 40]),
            ]
        };
        temp("two.parquet", &write(TWO, vec![group(0.0), group(10.0)]))
    }

    #[test]
    fn rows_come_in_file_order_and_column_order() {
        let path = two_groups();
        let all = names(&["a", "b", "c"]);
        let layout = parquet_rows_layout(&[&path], None).unwrap();
        assert_eq!(layout.columns, all);
        assert!(!layout.float32);
        assert_eq!(layout.row_groups, vec![vec![3, 3]]);
        let RowBlock::Float64(x) = read_parquet_rows(&path, &all, None, false).unwrap() else {
            panic!("float64 asked for")
        };
        assert_eq!(x.dim(), (6, 3));
        assert_eq!(x.row(0).to_vec(), vec![0.0, 0.5, -1.0]);
        assert_eq!(x.row(5).to_vec(), vec![12.0, 2.5, (1u64 << 40) as f64]);
        // One row group, columns reordered, float32.
        let RowBlock::Float32(y) =
            read_parquet_rows(&path, &names(&["b", "a"]), Some(1..2), true).unwrap()
        else {
            panic!("float32 asked for")
        };
        assert_eq!(y.dim(), (3, 2));
        assert_eq!(y.row(0).to_vec(), vec![0.5f32, 10.0]);
        let only_a = parquet_rows_layout(&[&path], Some(&names(&["a"]))).unwrap();
        assert!(only_a.float32);
        // An empty range of row groups is an empty block.
        let empty = read_parquet_rows(&path, &all, Some(1..1), false).unwrap();
        assert_eq!(empty.n_rows(), 0);
    }

    #[test]
    fn k_means_statistics_streamed_from_parquet_have_the_bits_of_the_block() {
        use crate::partial::{KMeansBroadcast, ParquetPartition, PartitionTask};
        // Row groups of sizes that are not multiples of a batch, so batches span groups.
        let mut state = 7u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 40) as f64 / (1u64 << 24) as f64 * 10.0 - 5.0
        };
        let groups: Vec<Vec<Col>> = [5000usize, 7001, 9000, 1]
            .iter()
            .map(|&n| {
                let a: Vec<f32> = (0..n).map(|_| next() as f32).collect();
                let b: Vec<f64> = (0..n).map(|_| next()).collect();
                let c: Vec<i64> = (0..n).map(|_| (next() * 100.0) as i64).collect();
                vec![Col::F(a, None), Col::D(b, Some(vec![1; n])), Col::L(c)]
            })
            .collect();
        let path = temp("streamed.parquet", &write(TWO, groups));
        let columns = names(&["c", "a", "b"]);
        let broadcast = KMeansBroadcast {
            mean: vec![1.0, 0.25, -0.5],
            centers: ndarray::array![
                [-200.0, -3.0, 1.0],
                [-50.0, 2.0, -2.0],
                [60.0, 0.0, 4.0],
                [250.0, 3.5, -4.0]
            ],
        };
        let tasks = [
            PartitionTask::KMeansStep(broadcast.clone()),
            PartitionTask::KMeansCost(broadcast),
        ];
        for float32 in [true, false] {
            for row_groups in [None, Some(1..3), Some(2..2)] {
                let source = ParquetPartition {
                    path: &path,
                    columns: &columns,
                    row_groups: row_groups.clone(),
                    float32,
                };
                let block =
                    read_parquet_rows(&path, &columns, row_groups.clone(), float32).unwrap();
                for task in &tasks {
                    let expected = match &block {
                        RowBlock::Float32(x) => task.run(x.view(), 3).unwrap(),
                        RowBlock::Float64(x) => task.run(x.view(), 3).unwrap(),
                    };
                    let streamed = task.run_parquet(&source, None, 3).unwrap();
                    assert_eq!(
                        streamed,
                        expected,
                        "{} {float32} {row_groups:?}",
                        task.kind()
                    );
                }
                // With weights the block is decoded whole: the same statistics as on it.
                let n = block.n_rows();
                let weights = ndarray::Array1::from_iter((0..n).map(|i| (i % 3) as f64 * 0.5));
                let expected = match &block {
                    RowBlock::Float32(x) => {
                        let w = weights.mapv(|v| v as f32);
                        tasks[0].run_weighted(x.view(), Some(w.view()), 3).unwrap()
                    }
                    RowBlock::Float64(x) => tasks[0]
                        .run_weighted(x.view(), Some(weights.view()), 3)
                        .unwrap(),
                };
                let weighted = tasks[0]
                    .run_parquet(&source, Some(weights.view()), 3)
                    .unwrap();
                assert_eq!(weighted, expected);
            }
        }
        // Another number of columns than the centers is refused before a row is read.
        let two = names(&["a", "b"]);
        let source = ParquetPartition {
            path: &path,
            columns: &two,
            row_groups: None,
            float32: true,
        };
        let error = tasks[0]
            .run_parquet(&source, None, 3)
            .unwrap_err()
            .to_string();
        assert!(error.contains("partition 3"), "{error}");
    }

    #[test]
    fn a_file_without_rows_is_an_empty_block() {
        let path = temp("empty.parquet", &write(TWO, vec![]));
        let all = names(&["a", "b", "c"]);
        let layout = parquet_rows_layout(&[&path], None).unwrap();
        assert_eq!(layout.row_groups, vec![Vec::<u64>::new()]);
        let block = read_parquet_rows(&path, &all, None, true).unwrap();
        assert_eq!(block, RowBlock::Float32(Array2::zeros((0, 3))));
    }

    #[test]
    fn nulls_and_non_finite_values_name_the_file_group_column_and_row() {
        let schema = "message m { required float a; optional double b; }";
        let good = vec![
            Col::F(vec![1.0, 2.0], None),
            Col::D(vec![1.0, 2.0], Some(vec![1, 1])),
        ];
        let nulls = vec![
            Col::F(vec![1.0, 2.0, 3.0], None),
            Col::D(vec![1.0, 2.0], Some(vec![1, 0, 1])),
        ];
        let path = temp("nulls.parquet", &write(schema, vec![good, nulls]));
        let message = read_parquet_rows(&path, &names(&["a", "b"]), None, false)
            .unwrap_err()
            .to_string();
        assert!(message.contains("nulls.parquet"), "{message}");
        assert!(message.contains("row group 1, column `b`"), "{message}");
        assert!(
            message.contains("null (missing value) at row 3 of the file"),
            "{message}"
        );
        let nan = vec![
            Col::F(vec![1.0, f32::NAN], None),
            Col::D(vec![1.0, 2.0], Some(vec![1, 1])),
        ];
        let path = temp("nan.parquet", &write(schema, vec![nan]));
        let error = read_parquet_rows(&path, &names(&["b", "a"]), None, true).unwrap_err();
        assert!(matches!(
            error,
            Error::NonFiniteValue {
                row: 1,
                column: 1,
                ..
            }
        ));
        let message = error.to_string();
        assert!(
            message.contains("nan.parquet (row group 0, column `a`)"),
            "{message}"
        );
        assert!(message.contains("at row 1, column 1"), "{message}");
    }

    #[test]
    fn wrong_types_missing_and_mismatched_columns_are_clear_errors() {
        let path = temp(
            "text.parquet",
            &write(
                "message m { required float a; required binary t (UTF8); }",
                vec![vec![Col::F(vec![1.0], None), Col::T(vec!["x"])]],
            ),
        );
        let error = read_parquet_rows(&path, &names(&["a", "t"]), None, true).unwrap_err();
        assert!(matches!(error, Error::ColumnType { .. }), "{error}");
        let message = error.to_string();
        assert!(
            message.contains("column `t` is text or binary in"),
            "{message}"
        );
        assert!(message.contains("text.parquet"), "{message}");
        // Missing in one file.
        let message = read_parquet_rows(&path, &names(&["z"]), None, true)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("no column `z`; its columns are: a, t"),
            "{message}"
        );
        // Different columns in two files.
        let other = two_groups();
        let message = parquet_rows_layout(&[&other, &path], None)
            .unwrap_err()
            .to_string();
        assert!(message.contains("text.parquet"), "{message}");
        assert!(message.contains("first file"), "{message}");
        let message = parquet_rows_layout(&[&other, &path], Some(&names(&["a", "b"])))
            .unwrap_err()
            .to_string();
        assert!(message.contains("no column `b`"), "{message}");
        // Row groups out of range.
        let error = read_parquet_rows(&other, &names(&["a"]), Some(1..3), true).unwrap_err();
        assert!(matches!(error, Error::InvalidParameter { .. }), "{error}");
    }

    #[test]
    fn bad_files_are_typed_errors_never_panics() {
        let all = names(&["a", "b", "c"]);
        let good = std::fs::read(two_groups()).unwrap();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("not parquet", b"PAR1 not a parquet file".to_vec()),
            ("truncated", good[..good.len() / 2].to_vec()),
            ("pages zeroed", {
                let mut b = good.clone();
                for x in &mut b[4..good.len() / 2] {
                    *x = 0;
                }
                b
            }),
            ("pages flipped", {
                let mut b = good.clone();
                for x in b.iter_mut().skip(8).step_by(7).take(40) {
                    *x ^= 0x5a;
                }
                b
            }),
        ];
        for (what, bytes) in cases {
            let path = temp("bad.parquet", &bytes);
            let read = std::panic::catch_unwind(|| read_parquet_rows(&path, &all, None, false));
            let result = read.unwrap_or_else(|_| panic!("{what}: panicked"));
            // Flipped bytes may land in values only (a different number is not an error), but
            // never in a panic, and an error names the file.
            if let Err(error) = result {
                assert!(error.to_string().contains("bad.parquet"), "{what}: {error}");
            }
        }
        let missing = Path::new("/nonexistent/segcore.parquet");
        assert!(matches!(
            read_parquet_rows(missing, &all, None, false),
            Err(Error::Io { .. })
        ));
    }
}
