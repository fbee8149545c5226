//! Parquet tables (pandas' `to_parquet`, Spark, DuckDB exports) read into the cells the CSV
//! reader sees, so type inference, id checks, date parsing and amount = quantity x unit price
//! are the CSV reader's, shared.
//!
//! Column types map onto text cells: integers and floating point numbers as Rust prints them
//! (exact: `f64` and `f32` round-trip through their text), decimals as their value, booleans as
//! `1`/`0` (a 0/1 flag), UTF-8 strings as they are, dates as `YYYY-MM-DD`, timestamps as
//! `YYYY-MM-DDTHH:MM:SS` (any unit, also the legacy INT96), times of day as seconds since
//! midnight, nulls as empty cells (missing). Rows are numbered as the lines of the same table
//! written as CSV: the header is line 1, the first row line 2.
//!
//! Invariant: a file that cannot be read is a typed error ([`Error::UnsupportedInput`]) naming
//! the file (and the column where there is one), never a panic and never an allocation sized by
//! a count the file claims: nested columns (lists, maps, structs), binary that is not UTF-8,
//! codecs segcore is not built with (it reads uncompressed, snappy and gzip pages), the delta
//! encodings of Parquet 2, and corrupt files. Before a value is decoded, [`check`] checks the
//! types of the columns asked for, the row counts, every column chunk's offsets and sizes
//! against the file, and every page header of the columns asked for (sizes within the chunk and
//! within what the codec can expand, dictionary sizes, value counts, encodings). Only the
//! columns a reader asks for are decoded.
//!
//! The decoder's calls stay wrapped in `catch_unwind` as a last guard: the checks cover what the
//! decoder trusts in the metadata and page headers, but the encoded values inside a page (level
//! runs, dictionary indices) are the decoder's own to check, and that its checks are complete
//! is not shown here. The customer fuzz target reads Parquet (a caught panic fails it, so the
//! guard does not hide what the fuzzer finds).

mod check;
mod files;
mod rows;

pub use files::{natural_order, parquet_files, ParquetRowsBlock};
pub use rows::{parquet_rows_layout, read_parquet_rows, ParquetRowsLayout, RowBlock};
pub(crate) use rows::{stream_parquet_rows, Out as RowValue, BATCH as ROW_BATCH};

use crate::error::{Error, Result};
use parquet::basic::{ConvertedType, LogicalType, TimeUnit, Type as PhysicalType};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::{AsBytes, DataType};
use parquet::file::reader::{ChunkReader, FileReader, SerializedFileReader};
use parquet::schema::types::{ColumnDescPtr, ColumnDescriptor};
use std::fmt::Write;
use std::path::Path;

/// Rows decoded per call of the column reader.
const BATCH: usize = 8192;
/// Days from 1970-01-01 back to the Julian day 0 of the INT96 timestamps.
const JULIAN_DAY_OF_EPOCH: i64 = 2_440_588;

/// The values of one column, by kind; `None` = null.
#[derive(Debug)]
enum Values {
    Bool(Vec<Option<bool>>),
    Int(Vec<Option<i64>>),
    UInt(Vec<Option<u64>>),
    Float(Vec<Option<f32>>),
    Double(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
    /// Days since 1970-01-01.
    Date(Vec<Option<i32>>),
    /// Time units since 1970-01-01T00:00:00, with the units per second.
    Timestamp(Vec<Option<i64>>, i64),
    /// Time units since midnight, with the units per second.
    Time(Vec<Option<i64>>, i64),
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Bool(v) => v.len(),
            Values::Int(v) => v.len(),
            Values::UInt(v) => v.len(),
            Values::Float(v) => v.len(),
            Values::Double(v) => v.len(),
            Values::Text(v) => v.len(),
            Values::Date(v) => v.len(),
            Values::Timestamp(v, _) | Values::Time(v, _) => v.len(),
        }
    }

    /// Appends the text of row `row` to `out` (nothing for a null).
    fn write_cell(&self, row: usize, out: &mut String) {
        let _ = match self {
            Values::Bool(v) => v[row].map_or(Ok(()), |b| out.write_str(if b { "1" } else { "0" })),
            Values::Int(v) => v[row].map_or(Ok(()), |x| write!(out, "{x}")),
            Values::UInt(v) => v[row].map_or(Ok(()), |x| write!(out, "{x}")),
            Values::Float(v) => v[row].map_or(Ok(()), |x| write!(out, "{x}")),
            Values::Double(v) => v[row].map_or(Ok(()), |x| write!(out, "{x}")),
            Values::Text(v) => v[row].as_deref().map_or(Ok(()), |s| out.write_str(s)),
            Values::Date(v) => v[row].map_or(Ok(()), |days| write_date(i64::from(days), out)),
            Values::Timestamp(v, per_second) => v[row].map_or(Ok(()), |t| {
                let seconds = t.div_euclid(*per_second);
                write_date(seconds.div_euclid(86_400), out)?;
                let s = seconds.rem_euclid(86_400);
                write!(out, "T{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
            }),
            Values::Time(v, per_second) => {
                v[row].map_or(Ok(()), |t| write!(out, "{}", t as f64 / *per_second as f64))
            }
        };
    }
}

/// `YYYY-MM-DD` of a day since 1970-01-01; a day outside years 1..=9999 as words the date
/// parser then refuses with the row and column.
fn write_date(days: i64, out: &mut String) -> std::fmt::Result {
    match i32::try_from(days)
        .ok()
        .and_then(|d| super::Date::from_days_since_epoch(d).ok())
    {
        Some(date) => write!(out, "{date}"),
        None => write!(out, "day {days} since 1970-01-01"),
    }
}

/// A Parquet table read for the CSV reader: the top-level column names and the decoded values
/// of the columns asked for.
#[derive(Debug)]
pub(crate) struct ParquetTable {
    /// Column names, in file order.
    pub names: Vec<String>,
    /// Values of each column (`None`: not asked for, read as empty cells).
    columns: Vec<Option<Values>>,
    /// Number of rows.
    pub n_rows: usize,
}

impl ParquetTable {
    /// Fills `record` with the cells of row `row` (one field per column).
    pub fn fill_record(&self, row: usize, cell: &mut String, record: &mut csv::StringRecord) {
        record.clear();
        for column in &self.columns {
            cell.clear();
            if let Some(values) = column {
                values.write_cell(row, cell);
            }
            record.push_field(cell.trim());
        }
    }
}

fn unsupported(source_name: &str, reason: impl Into<String>) -> Error {
    Error::UnsupportedInput {
        source_name: source_name.to_string(),
        reason: reason.into(),
    }
}

fn parquet_error(source_name: &str, e: parquet::errors::ParquetError) -> Error {
    unsupported(
        source_name,
        format!("not a readable Parquet file ({e}); re-export it, or export CSV instead"),
    )
}

/// The top-level column names of a Parquet file (its header).
pub(crate) fn parquet_names(path: &Path) -> Result<Vec<String>> {
    let source_name = path.display().to_string();
    let reader = open(path, &source_name)?;
    Ok(names_of(&reader))
}

fn open(path: &Path, source_name: &str) -> Result<SerializedFileReader<std::fs::File>> {
    new_reader(open_file(path, source_name)?, source_name)
}

/// The decoder's reader of `file`, after [`check::check_footer`]: the decoder sizes its lists by
/// the counts written in the footer, so those are checked against the footer's bytes first.
fn new_reader<R: ChunkReader + 'static>(
    file: R,
    source_name: &str,
) -> Result<SerializedFileReader<R>> {
    check::check_footer(&file, source_name)?;
    guarded(source_name, || SerializedFileReader::new(file))
}

fn open_file(path: &Path, source_name: &str) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|source| Error::Io {
        path: source_name.to_string(),
        source,
    })
}

fn names_of<R: ChunkReader + 'static>(reader: &SerializedFileReader<R>) -> Vec<String> {
    reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().trim().to_string())
        .collect()
}

/// Runs a call into the Parquet decoder, turning its error (and, defensively, a panic on a
/// malformed file) into a typed error naming the file.
fn guarded<T>(source_name: &str, f: impl FnOnce() -> parquet::errors::Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(|e| parquet_error(source_name, e)),
        Err(_) => Err(unsupported(
            source_name,
            "the Parquet decoder failed on this file (corrupt or malformed); re-export it, or \
             export CSV instead",
        )),
    }
}

/// The leaf column of each top-level field (a flat field is its own leaf; `None`: a group
/// without leaves).
fn leaves_of<R: ChunkReader + 'static>(reader: &SerializedFileReader<R>) -> Vec<Option<usize>> {
    let schema = reader.metadata().file_metadata().schema_descr();
    let mut leaf_of = vec![None; schema.root_schema().get_fields().len()];
    for leaf in 0..schema.num_columns() {
        let root = schema.get_column_root_idx(leaf);
        if let Some(slot) = leaf_of.get_mut(root) {
            slot.get_or_insert(leaf);
        }
    }
    leaf_of
}

/// The leaf index and descriptor of top-level column `j` (`name`), or an error when it is
/// nested (a list, map or struct).
fn flat_column<R: ChunkReader + 'static>(
    reader: &SerializedFileReader<R>,
    leaf_of: &[Option<usize>],
    j: usize,
    name: &str,
    source_name: &str,
) -> Result<(usize, ColumnDescPtr)> {
    let schema = reader.metadata().file_metadata().schema_descr();
    let fields = schema.root_schema().get_fields();
    let leaf = leaf_of.get(j).copied().flatten();
    let descr = leaf.map(|leaf| schema.column(leaf));
    let flat = fields.get(j).is_some_and(|f| f.is_primitive())
        && descr
            .as_ref()
            .is_some_and(|d| d.max_rep_level() == 0 && d.path().parts().len() == 1);
    match (leaf, descr) {
        (Some(leaf), Some(descr)) if flat => Ok((leaf, descr)),
        _ => Err(unsupported(
            source_name,
            format!(
                "column `{name}` is nested (a list, map or struct); segcore reads flat \
                 tables: flatten the column or leave it out of the export"
            ),
        )),
    }
}

/// Which columns to decode, given the header: one flag per column, or an error (a missing
/// column) before any value is decoded.
pub(crate) type ChooseColumns<'a> = dyn FnMut(&[String]) -> Result<Vec<bool>> + 'a;

/// Reads the Parquet file at `path`: the columns `choose` flags are decoded.
pub(crate) fn read_parquet_path(
    path: &Path,
    choose: &mut ChooseColumns<'_>,
) -> Result<ParquetTable> {
    let source_name = path.display().to_string();
    let file = open_file(path, &source_name)?;
    // A second handle on the same file, for the checks that read page headers.
    let for_checks = file.try_clone().map_err(|source| Error::Io {
        path: source_name.clone(),
        source,
    })?;
    let reader = new_reader(file, &source_name)?;
    read_table(&reader, &for_checks, &source_name, choose)
}

/// Reads a Parquet file held in memory (see [`read_parquet_path`]).
pub(crate) fn read_parquet_bytes(
    bytes: Vec<u8>,
    source_name: &str,
    choose: &mut ChooseColumns<'_>,
) -> Result<ParquetTable> {
    let bytes = bytes::Bytes::from(bytes);
    let reader = new_reader(bytes.clone(), source_name)?;
    read_table(&reader, &bytes, source_name, choose)
}

/// Reads the columns `choose` asks for from `reader`, after checking the file (`file`: the bytes
/// `reader` reads) with [`check::check_file`].
fn read_table<R: ChunkReader + 'static>(
    reader: &SerializedFileReader<R>,
    file: &R,
    source_name: &str,
    choose: &mut ChooseColumns<'_>,
) -> Result<ParquetTable> {
    let names = names_of(reader);
    let wanted = choose(&names)?;
    let leaf_of = leaves_of(reader);
    // Every column asked for is flat and of a type segcore reads, and the file's metadata and
    // those columns' page headers are consistent, before a value is decoded.
    let mut checked = Vec::new();
    for (j, name) in names.iter().enumerate() {
        if !wanted.get(j).copied().unwrap_or(false) {
            continue;
        }
        let (leaf, descr) = flat_column(reader, &leaf_of, j, name, source_name)?;
        check_type(&descr, name, source_name)?;
        checked.push((j, check::Wanted { leaf, name }, descr));
    }
    let leaves: Vec<&check::Wanted<'_>> = checked.iter().map(|(_, w, _)| w).collect();
    check::check_file(reader.metadata(), file, source_name, &leaves)?;
    let mut columns: Vec<Option<Values>> = (0..names.len()).map(|_| None).collect();
    for (j, wanted, descr) in &checked {
        columns[*j] = Some(read_column(
            reader,
            descr,
            wanted.leaf,
            wanted.name,
            source_name,
        )?);
    }
    let n_rows = match columns.iter().flatten().map(Values::len).max() {
        Some(n) => n,
        None => usize::try_from(reader.metadata().file_metadata().num_rows()).unwrap_or(0),
    };
    if let Some(short) = names
        .iter()
        .zip(&columns)
        .find(|(_, c)| c.as_ref().is_some_and(|c| c.len() != n_rows))
    {
        return Err(unsupported(
            source_name,
            format!(
                "column `{}` has fewer values than the table has rows ({n_rows}): a corrupt file",
                short.0
            ),
        ));
    }
    Ok(ParquetTable {
        names,
        columns,
        n_rows,
    })
}

/// Every value of one flat column over all row groups, `None` for nulls.
fn read_chunks<T: DataType, U>(
    reader: &SerializedFileReader<impl ChunkReader + 'static>,
    leaf: usize,
    descr: &ColumnDescriptor,
    source_name: &str,
    name: &str,
    mut convert: impl FnMut(T::T) -> Result<U>,
) -> Result<Vec<Option<U>>>
where
    ColumnReaderImpl<T>: TypedReader,
{
    let max_def = descr.max_def_level();
    let mut out = Vec::new();
    let mut definitions = Vec::new();
    let mut values = Vec::new();
    for group in 0..reader.num_row_groups() {
        let row_group = guarded(source_name, || reader.get_row_group(group))?;
        if row_group.metadata().num_columns() <= leaf {
            return Err(unsupported(
                source_name,
                format!("row group {group} has no column `{name}`: a corrupt file"),
            ));
        }
        check::check_codec(
            row_group.metadata().column(leaf).compression(),
            name,
            source_name,
        )?;
        let column = guarded(source_name, || row_group.get_column_reader(leaf))?;
        let mut typed = <ColumnReaderImpl<T> as TypedReader>::from_reader(column)
            .ok_or_else(|| unsupported(source_name, format!("column `{name}`: unexpected type")))?;
        loop {
            definitions.clear();
            values.clear();
            let (records, _, levels) = guarded(source_name, || {
                typed.read_records(
                    BATCH,
                    (max_def > 0).then_some(&mut definitions),
                    None,
                    &mut values,
                )
            })?;
            if records == 0 {
                break;
            }
            let mut values = values.drain(..);
            if max_def == 0 {
                for v in values.by_ref() {
                    out.push(Some(convert(v)?));
                }
            } else {
                for &d in definitions.iter().take(levels) {
                    out.push(if d == max_def {
                        let v = values.next().ok_or_else(|| {
                            unsupported(
                                source_name,
                                format!("column `{name}`: fewer values than rows (corrupt)"),
                            )
                        })?;
                        Some(convert(v)?)
                    } else {
                        None
                    });
                }
            }
        }
    }
    Ok(out)
}

/// A typed column reader out of the untyped one, when the physical type matches.
trait TypedReader: Sized {
    fn from_reader(reader: ColumnReader) -> Option<Self>;
}

macro_rules! typed_reader {
    ($data_type:ty, $variant:ident) => {
        impl TypedReader for ColumnReaderImpl<$data_type> {
            fn from_reader(reader: ColumnReader) -> Option<Self> {
                match reader {
                    ColumnReader::$variant(r) => Some(r),
                    _ => None,
                }
            }
        }
    };
}

typed_reader!(parquet::data_type::BoolType, BoolColumnReader);
typed_reader!(parquet::data_type::Int32Type, Int32ColumnReader);
typed_reader!(parquet::data_type::Int64Type, Int64ColumnReader);
typed_reader!(parquet::data_type::Int96Type, Int96ColumnReader);
typed_reader!(parquet::data_type::FloatType, FloatColumnReader);
typed_reader!(parquet::data_type::DoubleType, DoubleColumnReader);
typed_reader!(parquet::data_type::ByteArrayType, ByteArrayColumnReader);
typed_reader!(
    parquet::data_type::FixedLenByteArrayType,
    FixedLenByteArrayColumnReader
);

/// Units per second of a time unit.
fn per_second(unit: &TimeUnit) -> i64 {
    match unit {
        TimeUnit::MILLIS => 1_000,
        TimeUnit::MICROS => 1_000_000,
        TimeUnit::NANOS => 1_000_000_000,
    }
}

/// A big-endian two's-complement decimal of up to 16 bytes, scaled.
fn decimal(bytes: &[u8], scale: i32) -> Option<f64> {
    if bytes.is_empty() || bytes.len() > 16 {
        return None;
    }
    let negative = bytes[0] & 0x80 != 0;
    let mut full = [if negative { 0xff } else { 0 }; 16];
    full[16 - bytes.len()..].copy_from_slice(bytes);
    Some(i128::from_be_bytes(full) as f64 / 10f64.powi(scale))
}

/// The scale of a decimal column (`None`: not a decimal).
fn decimal_scale(descr: &ColumnDescriptor) -> Option<i32> {
    match descr.logical_type_ref() {
        Some(LogicalType::Decimal { scale, .. }) => Some(*scale),
        _ if descr.converted_type() == ConvertedType::DECIMAL => Some(descr.type_scale()),
        _ => None,
    }
}

/// Refuses, before anything is decoded, a column whose type [`read_column`] does not read.
fn check_type(descr: &ColumnDescriptor, name: &str, source_name: &str) -> Result<()> {
    let bad = |what: String| Err(unsupported(source_name, format!("column `{name}`: {what}")));
    let logical = descr.logical_type_ref();
    let uuid = matches!(logical, Some(LogicalType::Uuid));
    match descr.physical_type() {
        PhysicalType::FIXED_LEN_BYTE_ARRAY => {
            let width = descr.type_length();
            if decimal_scale(descr).is_some() {
                if !(1..=16).contains(&width) {
                    return bad(format!("a decimal of {width} bytes (1 to 16 are read)"));
                }
            } else if uuid {
                if width != 16 {
                    return bad(format!("a UUID of {width} bytes (16 expected)"));
                }
            } else {
                return bad(format!(
                    "fixed-length binary of type {} is not read; export it as text",
                    logical.map_or_else(
                        || format!("{}", descr.converted_type()),
                        |l| format!("{l:?}")
                    )
                ));
            }
        }
        PhysicalType::BYTE_ARRAY if uuid && decimal_scale(descr).is_none() => {
            return bad("a UUID stored as variable-length binary; export it as text".into());
        }
        _ => {}
    }
    Ok(())
}

fn read_column(
    reader: &SerializedFileReader<impl ChunkReader + 'static>,
    descr: &ColumnDescriptor,
    leaf: usize,
    name: &str,
    source_name: &str,
) -> Result<Values> {
    use parquet::data_type as t;
    let logical = descr.logical_type_ref().cloned();
    let converted = descr.converted_type();
    let scale = decimal_scale(descr);
    let unsigned = matches!(
        logical,
        Some(LogicalType::Integer {
            is_signed: false,
            ..
        })
    ) || matches!(
        converted,
        ConvertedType::UINT_8
            | ConvertedType::UINT_16
            | ConvertedType::UINT_32
            | ConvertedType::UINT_64
    );
    let bad = |what: String| unsupported(source_name, format!("column `{name}`: {what}"));
    macro_rules! chunks {
        ($data_type:ty, $convert:expr_2021) => {
            read_chunks::<$data_type, _>(reader, leaf, descr, source_name, name, $convert)?
        };
    }
    Ok(match descr.physical_type() {
        PhysicalType::BOOLEAN => Values::Bool(chunks!(t::BoolType, Ok)),
        PhysicalType::INT32 => match (&logical, scale) {
            (_, Some(scale)) => Values::Double(chunks!(t::Int32Type, |v| Ok(
                f64::from(v) / 10f64.powi(scale)
            ))),
            (Some(LogicalType::Date), _) => Values::Date(chunks!(t::Int32Type, Ok)),
            _ if converted == ConvertedType::DATE => Values::Date(chunks!(t::Int32Type, Ok)),
            (Some(LogicalType::Time { unit, .. }), _) => Values::Time(
                chunks!(t::Int32Type, |v| Ok(i64::from(v))),
                per_second(unit),
            ),
            _ if converted == ConvertedType::TIME_MILLIS => {
                Values::Time(chunks!(t::Int32Type, |v| Ok(i64::from(v))), 1_000)
            }
            _ if unsigned => Values::UInt(chunks!(t::Int32Type, |v| Ok(u64::from(v as u32)))),
            _ => Values::Int(chunks!(t::Int32Type, |v| Ok(i64::from(v)))),
        },
        PhysicalType::INT64 => match (&logical, scale) {
            (_, Some(scale)) => {
                Values::Double(chunks!(t::Int64Type, |v| Ok(v as f64 / 10f64.powi(scale))))
            }
            (Some(LogicalType::Timestamp { unit, .. }), _) => {
                Values::Timestamp(chunks!(t::Int64Type, Ok), per_second(unit))
            }
            _ if converted == ConvertedType::TIMESTAMP_MILLIS => {
                Values::Timestamp(chunks!(t::Int64Type, Ok), 1_000)
            }
            _ if converted == ConvertedType::TIMESTAMP_MICROS => {
                Values::Timestamp(chunks!(t::Int64Type, Ok), 1_000_000)
            }
            (Some(LogicalType::Time { unit, .. }), _) => {
                Values::Time(chunks!(t::Int64Type, Ok), per_second(unit))
            }
            _ if converted == ConvertedType::TIME_MICROS => {
                Values::Time(chunks!(t::Int64Type, Ok), 1_000_000)
            }
            _ if unsigned => Values::UInt(chunks!(t::Int64Type, |v| Ok(v as u64))),
            _ => Values::Int(chunks!(t::Int64Type, Ok)),
        },
        // Legacy nanosecond timestamps (Impala, old Spark): nanoseconds of the day and the
        // Julian day; kept to the second.
        PhysicalType::INT96 => Values::Timestamp(
            chunks!(t::Int96Type, |v: t::Int96| {
                let [low, high, day] = *v.data() else {
                    return Err(bad("an INT96 timestamp without its three words".into()));
                };
                let nanos_of_day = (u64::from(high) << 32) | u64::from(low);
                Ok((i64::from(day) - JULIAN_DAY_OF_EPOCH) * 86_400
                    + (nanos_of_day / 1_000_000_000) as i64)
            }),
            1,
        ),
        PhysicalType::FLOAT => Values::Float(chunks!(t::FloatType, Ok)),
        PhysicalType::DOUBLE => Values::Double(chunks!(t::DoubleType, Ok)),
        PhysicalType::BYTE_ARRAY | PhysicalType::FIXED_LEN_BYTE_ARRAY => {
            let fixed = descr.physical_type() == PhysicalType::FIXED_LEN_BYTE_ARRAY;
            if let Some(scale) = scale {
                let convert = |bytes: &[u8]| {
                    decimal(bytes, scale).ok_or_else(|| {
                        bad(format!(
                            "a decimal of {} bytes (at most 16 are read)",
                            bytes.len()
                        ))
                    })
                };
                if fixed {
                    Values::Double(chunks!(t::FixedLenByteArrayType, |v| convert(v.as_bytes())))
                } else {
                    Values::Double(chunks!(t::ByteArrayType, |v| convert(v.as_bytes())))
                }
            } else if matches!(logical, Some(LogicalType::Uuid)) {
                Values::Text(chunks!(t::FixedLenByteArrayType, |v| {
                    let mut text = String::with_capacity(36);
                    for (i, b) in v.as_bytes().iter().enumerate() {
                        if matches!(i, 4 | 6 | 8 | 10) {
                            text.push('-');
                        }
                        let _ = write!(text, "{b:02x}");
                    }
                    Ok(text)
                }))
            } else if fixed {
                return Err(bad(format!(
                    "fixed-length binary of type {} is not read; export it as text",
                    logical.map_or_else(|| format!("{converted}"), |l| format!("{l:?}"))
                )));
            } else {
                Values::Text(chunks!(t::ByteArrayType, |v| {
                    String::from_utf8(v.as_bytes().to_vec()).map_err(|_| {
                        bad("a value is binary, not UTF-8 text; export it as text".into())
                    })
                }))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use crate::data::{
        read_header, ColumnChoice, CustomerCsvOptions, CustomerTable, Date, TransactionCsvOptions,
        TransactionLog,
    };
    use crate::error::Error;
    use parquet::basic::Compression;
    use parquet::data_type::{
        BoolType, ByteArray, ByteArrayType, DoubleType, Int32Type, Int64Type,
    };
    use parquet::file::metadata::{
        ColumnChunkMetaDataBuilder, FileMetaData, ParquetMetaDataBuilder, ParquetMetaDataReader,
        ParquetMetaDataWriter,
    };
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;
    use std::sync::Arc;

    /// One column's values for the writer: (values, definition levels when optional).
    enum Column {
        Text(Vec<&'static str>, Option<Vec<i16>>),
        Long(Vec<i64>, Option<Vec<i16>>),
        Int(Vec<i32>, Option<Vec<i16>>),
        Double(Vec<f64>, Option<Vec<i16>>),
        Bool(Vec<bool>, Option<Vec<i16>>),
    }

    /// A Parquet file of one row group written by the crate's own writer.
    fn write(schema: &str, columns: Vec<Column>, compression: Compression) -> Vec<u8> {
        let schema = Arc::new(parse_message_type(schema).unwrap());
        let properties = Arc::new(
            WriterProperties::builder()
                .set_compression(compression)
                .build(),
        );
        let mut writer = SerializedFileWriter::new(Vec::new(), schema, properties).unwrap();
        let mut group = writer.next_row_group().unwrap();
        for column in columns {
            let mut out = group.next_column().unwrap().unwrap();
            match &column {
                Column::Text(v, d) => {
                    let v: Vec<ByteArray> = v.iter().map(|s| ByteArray::from(*s)).collect();
                    out.typed::<ByteArrayType>()
                        .write_batch(&v, d.as_deref(), None)
                }
                Column::Long(v, d) => out.typed::<Int64Type>().write_batch(v, d.as_deref(), None),
                Column::Int(v, d) => out.typed::<Int32Type>().write_batch(v, d.as_deref(), None),
                Column::Double(v, d) => {
                    out.typed::<DoubleType>().write_batch(v, d.as_deref(), None)
                }
                Column::Bool(v, d) => out.typed::<BoolType>().write_batch(v, d.as_deref(), None),
            }
            .unwrap();
            out.close().unwrap();
        }
        group.close().unwrap();
        writer.into_inner().unwrap()
    }

    /// `bytes` (a file written above) with its footer written again: every row group claiming
    /// `rows` rows (when given) and every column chunk's metadata changed by `chunk`; the pages
    /// stay as they are.
    fn rewritten(
        bytes: &[u8],
        rows: Option<i64>,
        chunk: impl Fn(ColumnChunkMetaDataBuilder) -> ColumnChunkMetaDataBuilder,
    ) -> Vec<u8> {
        let metadata = ParquetMetaDataReader::new()
            .parse_and_finish(&bytes::Bytes::from(bytes.to_vec()))
            .unwrap();
        let n = bytes.len();
        let footer = u32::from_le_bytes(bytes[n - 8..n - 4].try_into().unwrap()) as usize;
        let file = metadata.file_metadata();
        let mut builder = ParquetMetaDataBuilder::new(FileMetaData::new(
            file.version(),
            rows.unwrap_or(file.num_rows()),
            None,
            None,
            file.schema_descr_ptr(),
            None,
        ));
        for group in metadata.row_groups() {
            let columns = group
                .columns()
                .iter()
                .map(|c| chunk(c.clone().into_builder()).build().unwrap())
                .collect();
            let group = group
                .clone()
                .into_builder()
                .set_num_rows(rows.unwrap_or(group.num_rows()))
                .set_column_metadata(columns)
                .build()
                .unwrap();
            builder = builder.add_row_group(group);
        }
        let mut out = bytes[..n - 8 - footer].to_vec();
        ParquetMetaDataWriter::new(&mut out, &builder.build())
            .finish()
            .unwrap();
        out
    }

    /// A small valid file: ids A, B, C and an optional double with a null in the middle.
    fn ids_and_a_nullable_number() -> Vec<u8> {
        write(
            "message c { REQUIRED BYTE_ARRAY id (UTF8); OPTIONAL DOUBLE x; }",
            vec![
                Column::Text(vec!["A", "B", "C"], None),
                Column::Double(vec![1.0, 2.0], Some(vec![1, 0, 1])),
            ],
            Compression::SNAPPY,
        )
    }

    fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("segcore-parquet-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn a_shop_log_in_parquet_reads_like_its_csv() {
        // What pandas writes for the Online Retail log: strings, an int64 id, nanosecond
        // timestamps, integer quantities, float prices, snappy pages.
        let ns = 1_000_000_000i64;
        let day = 86_400 * ns;
        let first = i64::from(Date::from_ymd(2010, 12, 1).unwrap().days_since_epoch()) * day;
        let bytes = write(
            "message log {
                REQUIRED BYTE_ARRAY InvoiceNo (UTF8);
                REQUIRED INT64 CustomerID;
                REQUIRED INT64 InvoiceDate (TIMESTAMP(NANOS,false));
                REQUIRED INT32 Quantity;
                REQUIRED DOUBLE UnitPrice;
                OPTIONAL BYTE_ARRAY Country (UTF8);
            }",
            vec![
                Column::Text(vec!["536365", "C536379", "536370"], None),
                Column::Long(vec![17850, 17850, 12583], None),
                Column::Long(
                    vec![
                        first + 8 * 3600 * ns,
                        first + 23 * 3600 * ns,
                        first + day - 1,
                    ],
                    None,
                ),
                Column::Int(vec![6, -1, 24], None),
                Column::Double(vec![2.55, 27.5, 0.1], None),
                Column::Text(vec!["United Kingdom", "France"], Some(vec![1, 0, 1])),
            ],
            Compression::SNAPPY,
        );
        let path = temp("retail.parquet", &bytes);
        let (_, names) = read_header(&path).unwrap();
        assert_eq!(
            names,
            [
                "InvoiceNo",
                "CustomerID",
                "InvoiceDate",
                "Quantity",
                "UnitPrice",
                "Country"
            ]
        );
        let options =
            TransactionCsvOptions::recognise(&names, "retail.parquet", &ColumnChoice::default())
                .unwrap();
        let log = TransactionLog::from_csv_path(&path, &options).unwrap();
        assert_eq!(log.customer_ids(), ["17850", "12583"]);
        assert_eq!(log.amounts(), [6.0 * 2.55, -27.5, 24.0 * 0.1]);
        assert_eq!(log.quantity().unwrap(), [6.0, -1.0, 24.0]);
        let december_1 = Date::from_ymd(2010, 12, 1).unwrap();
        assert_eq!(log.dates(), [december_1; 3], "times of day are floored");

        // The same log as CSV gives the same log: one reader behind both.
        let csv = "InvoiceNo,CustomerID,InvoiceDate,Quantity,UnitPrice,Country\n\
                   536365,17850,2010-12-01T08:00:00,6,2.55,United Kingdom\n\
                   C536379,17850,2010-12-01T23:00:00,-1,27.5,\n\
                   536370,12583,2010-12-01T23:59:59,24,0.1,France\n";
        let from_csv =
            TransactionLog::from_csv_reader(csv.as_bytes(), "retail.csv", &options).unwrap();
        assert_eq!(from_csv.amounts(), log.amounts());
        assert_eq!(from_csv.dates(), log.dates());
        assert_eq!(from_csv.customer_ids(), log.customer_ids());
    }

    #[test]
    fn customer_columns_map_onto_the_csv_types() {
        let bytes = write(
            "message customers {
                REQUIRED BYTE_ARRAY customer_id (UTF8);
                OPTIONAL DOUBLE revenue;
                REQUIRED INT32 employees;
                REQUIRED BOOLEAN active;
                REQUIRED INT32 since (DATE);
                REQUIRED INT32 credit (DECIMAL(9,2));
                OPTIONAL BYTE_ARRAY region (UTF8);
            }",
            vec![
                Column::Text(vec!["A", "B", "C"], None),
                Column::Double(vec![1.5e6, 2.0e5], Some(vec![1, 0, 1])),
                Column::Int(vec![10, 250, 3], None),
                Column::Bool(vec![true, false, true], None),
                Column::Int(vec![0, 15_000, -1], None),
                Column::Int(vec![12_345, -50, 0], None),
                Column::Text(vec!["Bavaria", "Saxony"], Some(vec![1, 1, 0])),
            ],
            Compression::UNCOMPRESSED,
        );
        let options = CustomerCsvOptions::default().with_id_column("customer_id");
        let table =
            CustomerTable::from_parquet_bytes(bytes.clone(), "c.parquet", &options).unwrap();
        assert_eq!(table.ids(), ["A", "B", "C"]);
        let revenue = table.numeric("revenue").unwrap();
        assert_eq!(revenue[0], 1.5e6);
        assert!(revenue[1].is_nan(), "null = missing");
        assert_eq!(table.numeric("employees").unwrap(), [10.0, 250.0, 3.0]);
        assert_eq!(table.numeric("active").unwrap(), [1.0, 0.0, 1.0]);
        assert_eq!(table.numeric("credit").unwrap(), [123.45, -0.5, 0.0]);
        assert_eq!(
            table.categorical("since").unwrap().categories,
            ["1970-01-01", "2011-01-26", "1969-12-31"],
            "dates as the CSV reader sees them"
        );
        let region = table.categorical("region").unwrap();
        assert_eq!(region.get(2), None);
        // The file on disk goes through the same reader, recognised by its first bytes.
        let path = temp("customers.data", &bytes);
        let from_path = CustomerTable::from_csv_path(&path, &options).unwrap();
        assert_eq!(from_path.ids(), table.ids());
        assert_eq!(from_path.numeric("credit").unwrap(), [123.45, -0.5, 0.0]);
        // A duplicate id names the row as the line of the same table in CSV.
        let bytes = write(
            "message c { REQUIRED BYTE_ARRAY customer_id (UTF8); }",
            vec![Column::Text(vec!["A", "B", "A"], None)],
            Compression::SNAPPY,
        );
        let err = CustomerTable::from_parquet_bytes(bytes, "c.parquet", &options)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("c.parquet, line 4, column `customer_id`"),
            "{err}"
        );
    }

    #[test]
    fn bad_files_are_typed_errors_never_panics() {
        let options = CustomerCsvOptions::default();
        let nested = write(
            "message c {
                REQUIRED BYTE_ARRAY customer_id (UTF8);
                OPTIONAL group address { OPTIONAL BYTE_ARRAY city (UTF8); }
            }",
            vec![
                Column::Text(vec!["A", "B"], None),
                Column::Text(vec!["Ulm", "Kiel"], Some(vec![2, 2])),
            ],
            Compression::SNAPPY,
        );
        let err = CustomerTable::from_parquet_bytes(nested, "n.parquet", &options);
        assert!(
            matches!(&err, Err(Error::UnsupportedInput { reason, .. }) if reason.contains("`address` is nested")),
            "{err:?}"
        );
        // Every truncation and a byte flipped at every position of a small file: an error or a
        // table, never a panic.
        let good = ids_and_a_nullable_number();
        assert!(CustomerTable::from_parquet_bytes(good.clone(), "g.parquet", &options).is_ok());
        for cut in 0..good.len() {
            let _ = CustomerTable::from_parquet_bytes(good[..cut].to_vec(), "g.parquet", &options);
        }
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0x5a;
            let _ = CustomerTable::from_parquet_bytes(bad, "g.parquet", &options);
        }
        let err =
            CustomerTable::from_parquet_bytes(b"PAR1garbagePAR1".to_vec(), "x.parquet", &options)
                .unwrap_err();
        assert!(
            matches!(&err, Error::UnsupportedInput { source_name, .. } if source_name == "x.parquet"),
            "{err}"
        );
        // A codec segcore is not built with (zstd, written by pyarrow) is named.
        let zstd = include_bytes!("../../../../tests/fixtures/customers_zstd.parquet");
        let err = CustomerTable::from_parquet_bytes(zstd.to_vec(), "z.parquet", &options)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("z.parquet") && err.contains("with zstd") && err.contains("snappy"),
            "{err}"
        );
    }

    /// The reason of a typed error, or a panic naming what came instead.
    fn refused(bytes: Vec<u8>) -> String {
        match CustomerTable::from_parquet_bytes(bytes, "m.parquet", &CustomerCsvOptions::default())
        {
            Err(Error::UnsupportedInput {
                source_name,
                reason,
            }) if source_name == "m.parquet" => reason,
            other => panic!("expected UnsupportedInput naming m.parquet, got {other:?}"),
        }
    }

    #[test]
    fn metadata_is_checked_against_the_file_before_decoding() {
        let good = ids_and_a_nullable_number();
        let options = CustomerCsvOptions::default().with_id_column("id");
        // The footer written again unchanged still reads.
        let same = rewritten(&good, None, |c| c);
        let table = CustomerTable::from_parquet_bytes(same, "g.parquet", &options).unwrap();
        assert_eq!(table.ids(), ["A", "B", "C"]);
        // A negative offset (the decoder asserted "column start and length should not be
        // negative" and panicked), negative sizes, a chunk past the end of the file.
        let reason = refused(rewritten(&good, None, |c| {
            c.set_dictionary_page_offset(Some(-4))
                .set_data_page_offset(-4)
        }));
        assert!(
            reason.contains("column `id`") && reason.contains("offset -4 lies outside the file"),
            "{reason}"
        );
        let reason = refused(rewritten(&good, None, |c| c.set_total_compressed_size(-1)));
        assert!(reason.contains("compressed size is -1"), "{reason}");
        let reason = refused(rewritten(&good, None, |c| {
            c.set_total_compressed_size(1 << 40)
        }));
        assert!(reason.contains("run past the end of the file"), "{reason}");
        // Row counts: a few bytes claiming a trillion rows, a chunk without a value per row.
        let reason = refused(rewritten(&good, Some(1 << 40), |c| c));
        assert!(reason.contains("claims 1099511627776 rows"), "{reason}");
        let reason = refused(rewritten(&good, Some(-3), |c| c));
        assert!(reason.contains("-3 rows"), "{reason}");
        let reason = refused(rewritten(&good, Some(4), |c| c));
        assert!(reason.contains("3 values for 4 rows"), "{reason}");
        let reason = refused(rewritten(&good, None, |c| c.set_num_values(2)));
        assert!(reason.contains("2 values for 3 rows"), "{reason}");
        // Each says it is corrupt and what to do.
        assert!(reason.contains("a corrupt file; re-export it"), "{reason}");
    }

    #[test]
    fn delta_encodings_are_refused_by_name() {
        let schema = Arc::new(
            parse_message_type("message c { REQUIRED BYTE_ARRAY id (UTF8); REQUIRED INT64 n; }")
                .unwrap(),
        );
        let properties = Arc::new(
            WriterProperties::builder()
                .set_dictionary_enabled(false)
                .set_encoding(parquet::basic::Encoding::DELTA_BINARY_PACKED)
                .set_column_encoding(
                    parquet::schema::types::ColumnPath::from("id"),
                    parquet::basic::Encoding::PLAIN,
                )
                .build(),
        );
        let mut writer = SerializedFileWriter::new(Vec::new(), schema, properties).unwrap();
        let mut group = writer.next_row_group().unwrap();
        let mut out = group.next_column().unwrap().unwrap();
        let ids: Vec<ByteArray> = ["A", "B"].iter().map(|s| ByteArray::from(*s)).collect();
        out.typed::<ByteArrayType>()
            .write_batch(&ids, None, None)
            .unwrap();
        out.close().unwrap();
        let mut out = group.next_column().unwrap().unwrap();
        out.typed::<Int64Type>()
            .write_batch(&[10, 20], None, None)
            .unwrap();
        out.close().unwrap();
        group.close().unwrap();
        let bytes = writer.into_inner().unwrap();
        let reason = refused(bytes);
        assert!(
            reason.contains("column `n`") && reason.contains("DELTA_BINARY_PACKED"),
            "{reason}"
        );
    }

    #[test]
    fn a_gzip_page_inflating_beyond_its_header_is_refused_before_it_is_read() {
        let schema = Arc::new(parse_message_type("message c { REQUIRED INT64 id; }").unwrap());
        let properties = Arc::new(
            WriterProperties::builder()
                .set_dictionary_enabled(false)
                .set_compression(Compression::GZIP(Default::default()))
                .build(),
        );
        let mut writer = SerializedFileWriter::new(Vec::new(), schema, properties).unwrap();
        let mut group = writer.next_row_group().unwrap();
        let mut out = group.next_column().unwrap().unwrap();
        out.typed::<Int64Type>()
            .write_batch(&(0..100_000).collect::<Vec<i64>>(), None, None)
            .unwrap();
        out.close().unwrap();
        group.close().unwrap();
        let mut bytes = writer.into_inner().unwrap();
        let options = CustomerCsvOptions::default().with_id_column("id");
        let table =
            CustomerTable::from_parquet_bytes(bytes.clone(), "z.parquet", &options).unwrap();
        assert_eq!(table.ids().len(), 100_000);
        // The first data page's header: type DATA_PAGE, then its uncompressed size (163,840
        // bytes, 20,480 values: a 3-byte varint) rewritten as 8,192 (also 3 bytes), so the page
        // inflates 20x beyond what it declares.
        let metadata = ParquetMetaDataReader::new()
            .parse_and_finish(&bytes::Bytes::from(bytes.clone()))
            .unwrap();
        let at = metadata.row_group(0).column(0).data_page_offset() as usize;
        assert_eq!(bytes[at..at + 3], [0x15, 0x00, 0x15]);
        let varint = |zigzag: u64| {
            [
                (zigzag & 0x7f | 0x80) as u8,
                (zigzag >> 7 & 0x7f | 0x80) as u8,
                (zigzag >> 14) as u8,
            ]
        };
        assert_eq!(bytes[at + 3..at + 6], varint(163_840 * 2));
        bytes[at + 3..at + 6].copy_from_slice(&varint(8_192 * 2));
        let reason = refused(bytes);
        assert!(
            reason.contains("column `id`")
                && reason.contains("inflates beyond the 8192 bytes its header declares"),
            "{reason}"
        );
    }

    #[test]
    fn files_pyarrow_writes_pass_the_checks() {
        // pandas' writer (pyarrow) with gzip and v2 data pages with nulls, with plain
        // uncompressed pages, and with dates, timestamps, booleans and decimals (snappy).
        let options = CustomerCsvOptions::default().with_id_column("id");
        let read = |bytes: &[u8]| {
            CustomerTable::from_parquet_bytes(bytes.to_vec(), "p.parquet", &options).unwrap()
        };
        let v2 = read(include_bytes!(
            "../../../../tests/fixtures/pyarrow_gzip_v2_nulls.parquet"
        ));
        let plain = read(include_bytes!(
            "../../../../tests/fixtures/pyarrow_plain_uncompressed.parquet"
        ));
        for table in [&v2, &plain] {
            assert_eq!(table.ids(), ["A", "B", "C", "D"]);
            let revenue = table.numeric("revenue").unwrap();
            assert_eq!(revenue[0], 1.5e6);
            assert!(revenue[1].is_nan());
            assert_eq!(table.categorical("region").unwrap().get(2), None);
        }
        let types = read(include_bytes!(
            "../../../../tests/fixtures/pyarrow_types_snappy.parquet"
        ));
        assert_eq!(types.ids(), ["1", "2", "3"]);
        assert_eq!(types.numeric("credit").unwrap()[0], 123.45);
        // A footer with every optional part pyarrow writes: statistics, key-value metadata (its
        // schema and a custom key), column orders, sorting columns, page indexes, bloom filters.
        let extras = read(include_bytes!(
            "../../../../tests/fixtures/pyarrow_footer_extras.parquet"
        ));
        assert_eq!(extras.ids(), ["A", "B", "C", "D"]);
        assert!(extras.numeric("revenue").unwrap()[1].is_nan());
        assert_eq!(extras.numeric("credit").unwrap()[3], 123.45);
    }
}
