//! Checks of a Parquet file against itself before the decoder reads a value: what the decoder
//! would trust without checking (and panic on, or allocate by) is checked here and refused with
//! a typed error naming the file and the column.
//!
//! - The footer ([`check_footer`]), before the decoder parses it: walked by the format's Thrift
//!   definition, every known field at every level in its declared wire type, every list's
//!   elements in theirs and no more of them than the footer has bytes left, nesting bounded.
//! - Row counts: the file's and every row group's are non-negative, the row groups add up to the
//!   file's, every column read holds one value per row, and the cells claimed (rows x columns
//!   read) stay within [`FREE_CELLS`] + [`CELLS_PER_BYTE`] per byte of the file (a few bytes of
//!   run-length levels can claim billions of nulls).
//! - Column chunks (every column of every row group): data, dictionary and index page offsets
//!   and the compressed and uncompressed sizes are non-negative, and the chunk's bytes lie
//!   within the file. The page index and bloom filters are never read, so their offsets are not
//!   used.
//! - Pages of the columns read, walked as the decoder walks them (header, then its compressed
//!   bytes, until the chunk's size is used up): every header lies within its chunk and is a
//!   plain one (known field types, no field twice, bounded nesting); every page's compressed
//!   size lies within the chunk and its uncompressed size within what its codec can expand that
//!   to ([`expansion`]); a dictionary holds no more values than its bytes can encode and comes
//!   before the pages that index it; data pages hold as many values as the chunk says; levels
//!   are RLE or bit-packed; page types and value encodings are those the decoder reads with
//!   bounded memory. The delta encodings are refused: their decoders size buffers by counts
//!   written inside the compressed values, which cannot be checked before decoding.
//! - Gzip pages are inflated once into nothing, stopping a byte past the size their header
//!   declares ([`gzip_within`]): the decoder inflates a gzip page to its end whatever the header
//!   says, so a page that expands beyond its declared size is refused before it reaches memory.
//!   Only gzip files pay for this (their pages are inflated twice); snappy's decoder writes into
//!   a buffer of the declared size.

use super::unsupported;
use crate::error::{Error, Result};
use parquet::basic::{Compression, Type as PhysicalType};
use parquet::file::metadata::{ColumnChunkMetaData, ParquetMetaData};
use parquet::file::reader::ChunkReader;
use std::io::Read;

/// Cells (rows x columns read) any file may claim, whatever its size.
pub(super) const FREE_CELLS: u64 = 1 << 20;
/// Further cells a file may claim per byte. A real table spends at least a byte per row or so
/// on its id column; only run-length nulls or constants get below, and only in some columns.
pub(super) const CELLS_PER_BYTE: u64 = 64;
/// Deepest nesting of structs and lists in a page header or the footer (a real header nests 3
/// deep, a real footer 8: a bounding box in a column chunk's statistics, in a row group's list).
const MAX_DEPTH: u32 = 16;

const DATA_PAGE: i32 = 0;
const INDEX_PAGE: i32 = 1;
const DICTIONARY_PAGE: i32 = 2;
const DATA_PAGE_V2: i32 = 3;

/// A column the reader will decode: its leaf index in the schema and its name.
pub(super) struct Wanted<'a> {
    pub leaf: usize,
    pub name: &'a str,
}

/// Walks the file's footer (its Thrift metadata) before the decoder parses it, by the footer's
/// Thrift definition ([`footer`]): the decoder reads a known field by its id whatever its wire
/// type says, and reserves room for a list by the count written in front of it, so an integer
/// read as a list header would claim any count. Every known field, at every level, must carry
/// its declared wire type and every list its declared element type (an empty list any); every
/// list's count is bounded by the footer's bytes left (each element takes at least one); the
/// nesting is bounded; unknown fields are skipped as Thrift allows; the metadata must end at the
/// footer's last byte, as a real footer does. A file too short to have a footer, or without the
/// magic bytes, is left to the decoder's own error.
pub(super) fn check_footer<R: ChunkReader>(file: &R, source_name: &str) -> Result<()> {
    let len = file.len();
    if len < 12 {
        return Ok(());
    }
    let tail = file
        .get_bytes(len - 8, 8)
        .map_err(|e| super::parquet_error(source_name, e))?;
    if &tail[4..] != b"PAR1" {
        return Ok(());
    }
    let footer_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if footer_len + 8 > len {
        return Ok(());
    }
    let footer = file
        .get_bytes(len - 8 - footer_len, footer_len as usize)
        .map_err(|e| super::parquet_error(source_name, e))?;
    walk_footer(&footer).map_err(|what| {
        unsupported(
            source_name,
            format!(
                "its footer (the file's metadata) is malformed: {what}; re-export it, or export \
                 CSV instead"
            ),
        )
    })
}

/// Walks a footer's bytes as a `FileMetaData`, to their last byte.
fn walk_footer(footer: &[u8]) -> Parsed<()> {
    let len = footer.len() as u64;
    let mut input = Compact::new(footer, len, "the footer");
    input.value(footer::FILE_METADATA, 0)?;
    if input.consumed == len {
        Ok(())
    } else {
        Err(format!(
            "its metadata ends at byte {} of {len}",
            input.consumed
        ))
    }
}

/// Checks `metadata` (read from `file`) and the page headers of the `wanted` columns.
pub(super) fn check_file<R: ChunkReader>(
    metadata: &ParquetMetaData,
    file: &R,
    source_name: &str,
    wanted: &[&Wanted<'_>],
) -> Result<()> {
    let corrupt = |what: String| {
        unsupported(
            source_name,
            format!("{what}: a corrupt file; re-export it, or export CSV instead"),
        )
    };
    let file_len = file.len();
    let file_rows = metadata.file_metadata().num_rows();
    if file_rows < 0 {
        return Err(corrupt(format!("the file claims {file_rows} rows")));
    }
    let n_leaves = metadata.file_metadata().schema_descr().num_columns();
    let mut rows_in_groups: i64 = 0;
    for (g, group) in metadata.row_groups().iter().enumerate() {
        let rows = group.num_rows();
        if rows < 0 {
            return Err(corrupt(format!("row group {g} claims {rows} rows")));
        }
        rows_in_groups = rows_in_groups
            .checked_add(rows)
            .ok_or_else(|| corrupt("the row groups' row counts overflow".into()))?;
        if group.num_columns() != n_leaves {
            return Err(corrupt(format!(
                "row group {g} has {} column chunks for {n_leaves} columns",
                group.num_columns()
            )));
        }
        for chunk in group.columns() {
            let name = chunk.column_path().string();
            check_chunk_bounds(chunk, file_len)
                .map_err(|what| corrupt(format!("column `{name}`, row group {g}: {what}")))?;
        }
    }
    if rows_in_groups != file_rows {
        return Err(corrupt(format!(
            "the row groups hold {rows_in_groups} rows, the file claims {file_rows}"
        )));
    }
    let cells = (file_rows as u64).saturating_mul(wanted.len() as u64);
    let allowed = FREE_CELLS.saturating_add(CELLS_PER_BYTE.saturating_mul(file_len));
    if cells > allowed {
        return Err(corrupt(format!(
            "the file claims {file_rows} rows of {} columns in {file_len} bytes, more than \
             {CELLS_PER_BYTE} values per byte",
            wanted.len()
        )));
    }
    for (g, group) in metadata.row_groups().iter().enumerate() {
        for column in wanted {
            let chunk = group.column(column.leaf);
            let name = column.name;
            let at = |what: String| corrupt(format!("column `{name}`, row group {g}: {what}"));
            if chunk.num_values() != group.num_rows() {
                return Err(at(format!(
                    "{} values for {} rows",
                    chunk.num_values(),
                    group.num_rows()
                )));
            }
            check_codec(chunk.compression(), name, source_name)?;
            walk_pages(chunk, file, name, source_name).map_err(|e| match e {
                Walk::Corrupt(what) => at(what),
                Walk::Refused(error) => error,
            })?;
        }
    }
    Ok(())
}

/// The offsets and sizes of a column chunk: non-negative and within the file.
fn check_chunk_bounds(
    chunk: &ColumnChunkMetaData,
    file_len: u64,
) -> std::result::Result<(), String> {
    let within = |what: &str, offset: i64| {
        if offset < 0 || offset as u64 > file_len {
            Err(format!(
                "the {what} offset {offset} lies outside the file ({file_len} bytes)"
            ))
        } else {
            Ok(())
        }
    };
    within("data page", chunk.data_page_offset())?;
    if let Some(offset) = chunk.dictionary_page_offset() {
        within("dictionary page", offset)?;
    }
    if let Some(offset) = chunk.index_page_offset() {
        within("index page", offset)?;
    }
    for (what, size) in [
        ("compressed size", chunk.compressed_size()),
        ("uncompressed size", chunk.uncompressed_size()),
        ("value count", chunk.num_values()),
    ] {
        if size < 0 {
            return Err(format!("the {what} is {size}"));
        }
    }
    let (start, len) = chunk_range(chunk);
    if start.checked_add(len).is_none_or(|end| end > file_len) {
        return Err(format!(
            "its {len} bytes from offset {start} run past the end of the file ({file_len} bytes)"
        ));
    }
    Ok(())
}

/// Where the chunk's pages start (its dictionary page, if any) and how many bytes they take, as
/// the decoder reads them; call after [`check_chunk_bounds`].
fn chunk_range(chunk: &ColumnChunkMetaData) -> (u64, u64) {
    let start = chunk
        .dictionary_page_offset()
        .unwrap_or(chunk.data_page_offset());
    (start.max(0) as u64, chunk.compressed_size().max(0) as u64)
}

/// The codecs segcore is built with; others are named.
pub(super) fn check_codec(codec: Compression, name: &str, source_name: &str) -> Result<()> {
    let codec = match codec {
        Compression::UNCOMPRESSED | Compression::SNAPPY | Compression::GZIP(_) => return Ok(()),
        Compression::ZSTD(_) => "zstd".to_string(),
        Compression::LZ4 | Compression::LZ4_RAW => "lz4".to_string(),
        Compression::BROTLI(_) => "brotli".to_string(),
        Compression::LZO => "lzo".to_string(),
    };
    Err(unsupported(
        source_name,
        format!(
            "column `{name}` is compressed with {codec}, which segcore does not read (it reads \
             uncompressed, snappy and gzip Parquet); write the file again with \
             compression=\"snappy\" (pandas' default) or export CSV"
        ),
    ))
}

/// How far a codec can expand its bytes: (factor, slack), so that a page of `c` compressed
/// bytes holds at most `factor * c + slack`. Snappy's densest element copies 64 bytes in 3
/// (21.3x); deflate's copies 258 bytes in 2 bits (1032x). `None`: the page is not decompressed.
fn expansion(codec: Compression) -> Option<(u64, u64)> {
    match codec {
        Compression::SNAPPY => Some((22, 64)),
        Compression::GZIP(_) => Some((1032, 1024)),
        _ => None,
    }
}

/// Why a walk over the pages stopped.
enum Walk {
    /// A malformed header or size (the text says what).
    Corrupt(String),
    /// A readable file segcore refuses (an encoding), already a typed error.
    Refused(Error),
}

impl From<String> for Walk {
    fn from(what: String) -> Self {
        Walk::Corrupt(what)
    }
}

/// Walks the pages of a chunk as the decoder does and checks each header.
fn walk_pages<R: ChunkReader>(
    chunk: &ColumnChunkMetaData,
    file: &R,
    name: &str,
    source_name: &str,
) -> std::result::Result<(), Walk> {
    let (mut offset, mut remaining) = chunk_range(chunk);
    let codec = chunk.compression();
    let physical = chunk.column_type();
    let type_length = chunk.column_descr().type_length();
    let levels_used = [
        chunk.column_descr().max_def_level() > 0,
        chunk.column_descr().max_rep_level() > 0,
    ];
    let mut values: i64 = 0;
    let mut dictionary_seen = false;
    let mut page = 0usize;
    while remaining > 0 {
        let input = file
            .get_read(offset)
            .map_err(|e| format!("page {page} cannot be read ({e})"))?;
        let mut compact = Compact::new(input.take(remaining), remaining, "the column chunk");
        let header = PageHeader::read(&mut compact)
            .map_err(|what| format!("page {page} has a malformed header ({what})"))?;
        offset += compact.consumed;
        remaining -= compact.consumed;
        let bad = |what: String| Walk::Corrupt(format!("page {page}: {what}"));
        let compressed = header.compressed_size;
        if compressed < 0 || compressed as u64 > remaining {
            return Err(bad(format!(
                "{compressed} compressed bytes, {remaining} left in the column chunk"
            )));
        }
        let compressed = compressed as u64;
        let uncompressed = header.uncompressed_size;
        if uncompressed < 0 {
            return Err(bad(format!("{uncompressed} uncompressed bytes")));
        }
        let decompressed = match expansion(codec) {
            Some(_) if header.v2.as_ref().is_some_and(|v2| !v2.is_compressed) => compressed,
            Some((factor, slack)) => {
                let most = factor * compressed + slack;
                if uncompressed as u64 > most {
                    return Err(bad(format!(
                        "{uncompressed} uncompressed bytes from {compressed} compressed ones, \
                         more than {codec} can expand them to ({most})"
                    )));
                }
                uncompressed as u64
            }
            None => compressed,
        };
        if matches!(codec, Compression::GZIP(_))
            && matches!(header.page_type, DATA_PAGE | DICTIONARY_PAGE | DATA_PAGE_V2)
        {
            // As the decoder: a v2 page's levels are stored as they are, before its values.
            let (levels, inflated) = match &header.v2 {
                Some(v2) => (
                    (i64::from(v2.definition_length) + i64::from(v2.repetition_length)).max(0)
                        as u64,
                    v2.is_compressed,
                ),
                None => (0, true),
            };
            let declared = (uncompressed as u64).saturating_sub(levels);
            if inflated && declared > 0 && levels <= compressed {
                gzip_within(&mut compact.input, levels, compressed, declared).map_err(bad)?;
            }
        }
        match header.page_type {
            DICTIONARY_PAGE => {
                let dictionary = header
                    .dictionary
                    .ok_or_else(|| bad("a dictionary page without its header".into()))?;
                if !matches!(
                    dictionary.encoding,
                    encoding::PLAIN | encoding::PLAIN_DICTIONARY
                ) {
                    return Err(bad(format!(
                        "a dictionary in encoding {}",
                        encoding::name(dictionary.encoding)
                    )));
                }
                let n = dictionary.num_values;
                if n < 0 || !dictionary_fits(physical, type_length, n as u64, decompressed) {
                    return Err(bad(format!(
                        "a dictionary of {n} values in {decompressed} bytes"
                    )));
                }
                dictionary_seen = true;
            }
            DATA_PAGE | DATA_PAGE_V2 => {
                let (n, encoding) = match (&header.v1, &header.v2) {
                    (Some(v1), None) if header.page_type == DATA_PAGE => {
                        let levels = [v1.definition_encoding, v1.repetition_encoding];
                        for (level, _) in levels.into_iter().zip(levels_used).filter(|l| l.1) {
                            if !matches!(level, encoding::RLE | encoding::BIT_PACKED) {
                                return Err(bad(format!(
                                    "levels in encoding {}",
                                    encoding::name(level)
                                )));
                            }
                        }
                        (v1.num_values, v1.encoding)
                    }
                    (None, Some(v2)) if header.page_type == DATA_PAGE_V2 => {
                        let levels =
                            i64::from(v2.definition_length) + i64::from(v2.repetition_length);
                        if v2.num_nulls < 0
                            || v2.num_rows < 0
                            || v2.definition_length < 0
                            || v2.repetition_length < 0
                            || levels > compressed as i64
                            || levels > i64::from(uncompressed)
                        {
                            return Err(bad(format!(
                                "a v2 data page of {} nulls, {} rows and {levels} bytes of \
                                 levels in {compressed} bytes",
                                v2.num_nulls, v2.num_rows
                            )));
                        }
                        (v2.num_values, v2.encoding)
                    }
                    _ => return Err(bad("a data page without its header".into())),
                };
                if n < 0 {
                    return Err(bad(format!("{n} values")));
                }
                match encoding {
                    encoding::PLAIN_DICTIONARY | encoding::RLE_DICTIONARY if !dictionary_seen => {
                        return Err(bad("dictionary indices before any dictionary page".into()))
                    }
                    encoding::PLAIN
                    | encoding::PLAIN_DICTIONARY
                    | encoding::RLE
                    | encoding::RLE_DICTIONARY
                    | encoding::BYTE_STREAM_SPLIT => {}
                    encoding::DELTA_BINARY_PACKED
                    | encoding::DELTA_LENGTH_BYTE_ARRAY
                    | encoding::DELTA_BYTE_ARRAY => {
                        return Err(Walk::Refused(unsupported(
                            source_name,
                            format!(
                                "column `{name}` is written in the {} encoding (Parquet 2), \
                                 which segcore does not read; write the file with the default \
                                 encodings (pandas, Spark and DuckDB write PLAIN and \
                                 dictionary pages unless told otherwise) or export CSV",
                                encoding::name(encoding)
                            ),
                        )))
                    }
                    other => {
                        return Err(bad(format!("values in encoding {}", encoding::name(other))))
                    }
                }
                values = values
                    .checked_add(i64::from(n))
                    .ok_or_else(|| bad("the value count overflows".into()))?;
            }
            INDEX_PAGE => {}
            other => return Err(bad(format!("an unknown page type {other}"))),
        }
        offset += compressed;
        remaining -= compressed;
        page += 1;
    }
    if values != chunk.num_values() {
        return Err(Walk::Corrupt(format!(
            "its pages hold {values} values, the column chunk claims {}",
            chunk.num_values()
        )));
    }
    Ok(())
}

/// Inflates the gzip values of a page (`compressed` bytes, the first `levels` of them stored as
/// they are) into nothing, and refuses a stream that holds more than the `declared` bytes its
/// header gives, or is corrupt. Reads at most `compressed` bytes and keeps nothing in memory
/// beyond the inflater's window.
fn gzip_within(
    page: &mut impl Read,
    levels: u64,
    compressed: u64,
    declared: u64,
) -> std::result::Result<(), String> {
    let stored = std::io::copy(&mut page.by_ref().take(levels), &mut std::io::sink())
        .map_err(|e| format!("its bytes cannot be read ({e})"))?;
    if stored != levels {
        return Err(format!("{levels} bytes of levels, {stored} in the file"));
    }
    let values = page.by_ref().take(compressed - levels);
    let mut inflated = flate2::read::MultiGzDecoder::new(values).take(declared + 1);
    let n = std::io::copy(&mut inflated, &mut std::io::sink())
        .map_err(|e| format!("its gzip stream is corrupt ({e})"))?;
    if n > declared {
        return Err(format!(
            "its gzip stream inflates beyond the {declared} bytes its header declares"
        ));
    }
    Ok(())
}

/// Whether `n` PLAIN-encoded values of the column's type fit in `bytes` bytes (booleans take a
/// bit, byte arrays at least their 4-byte length).
fn dictionary_fits(physical: PhysicalType, type_length: i32, n: u64, bytes: u64) -> bool {
    let bits_each: u64 = match physical {
        PhysicalType::BOOLEAN => 1,
        PhysicalType::INT32 | PhysicalType::FLOAT | PhysicalType::BYTE_ARRAY => 32,
        PhysicalType::INT64 | PhysicalType::DOUBLE => 64,
        PhysicalType::INT96 => 96,
        PhysicalType::FIXED_LEN_BYTE_ARRAY => 8 * u64::try_from(type_length).unwrap_or(0).max(1),
    };
    n.checked_mul(bits_each)
        .is_some_and(|bits| bits <= bytes.saturating_mul(8))
}

/// Parquet's value encodings, as numbered in its format.
mod encoding {
    pub const PLAIN: i32 = 0;
    pub const PLAIN_DICTIONARY: i32 = 2;
    pub const RLE: i32 = 3;
    pub const BIT_PACKED: i32 = 4;
    pub const DELTA_BINARY_PACKED: i32 = 5;
    pub const DELTA_LENGTH_BYTE_ARRAY: i32 = 6;
    pub const DELTA_BYTE_ARRAY: i32 = 7;
    pub const RLE_DICTIONARY: i32 = 8;
    pub const BYTE_STREAM_SPLIT: i32 = 9;

    pub fn name(encoding: i32) -> String {
        match encoding {
            PLAIN => "PLAIN".into(),
            PLAIN_DICTIONARY => "PLAIN_DICTIONARY".into(),
            RLE => "RLE".into(),
            BIT_PACKED => "BIT_PACKED".into(),
            DELTA_BINARY_PACKED => "DELTA_BINARY_PACKED".into(),
            DELTA_LENGTH_BYTE_ARRAY => "DELTA_LENGTH_BYTE_ARRAY".into(),
            DELTA_BYTE_ARRAY => "DELTA_BYTE_ARRAY".into(),
            RLE_DICTIONARY => "RLE_DICTIONARY".into(),
            BYTE_STREAM_SPLIT => "BYTE_STREAM_SPLIT".into(),
            other => format!("number {other}"),
        }
    }
}

/// The fields of a page header the checks read (Parquet's `PageHeader`).
#[derive(Debug, Default)]
struct PageHeader {
    page_type: i32,
    uncompressed_size: i32,
    compressed_size: i32,
    v1: Option<DataPageV1>,
    dictionary: Option<DictionaryPage>,
    v2: Option<DataPageV2>,
}

#[derive(Debug, Default)]
struct DataPageV1 {
    num_values: i32,
    encoding: i32,
    definition_encoding: i32,
    repetition_encoding: i32,
}

#[derive(Debug, Default)]
struct DictionaryPage {
    num_values: i32,
    encoding: i32,
}

#[derive(Debug)]
struct DataPageV2 {
    num_values: i32,
    num_nulls: i32,
    num_rows: i32,
    encoding: i32,
    definition_length: i32,
    repetition_length: i32,
    is_compressed: bool,
}

/// Thrift compact-protocol types (the low nibble of a field header).
mod wire {
    pub const STOP: u8 = 0;
    pub const TRUE: u8 = 1;
    pub const FALSE: u8 = 2;
    pub const BYTE: u8 = 3;
    pub const I16: u8 = 4;
    pub const I32: u8 = 5;
    pub const I64: u8 = 6;
    pub const DOUBLE: u8 = 7;
    pub const BINARY: u8 = 8;
    pub const LIST: u8 = 9;
    pub const STRUCT: u8 = 12;
}

/// A value's type as a Thrift definition declares it: a field's, or a list's elements'. A union
/// is a struct whose one field is present; an empty struct declares no fields.
#[derive(Clone, Copy, Debug)]
enum Thrift {
    Bool,
    Byte,
    I16,
    /// Also an enum's values.
    I32,
    I64,
    Double,
    /// Also a string.
    Binary,
    List(&'static Thrift),
    /// The known fields: (id, type).
    Struct(&'static [(i16, Thrift)]),
}

impl Thrift {
    /// The wire type a field of this type carries (a boolean field: true or false).
    fn wire(self) -> u8 {
        match self {
            Thrift::Bool => wire::TRUE,
            Thrift::Byte => wire::BYTE,
            Thrift::I16 => wire::I16,
            Thrift::I32 => wire::I32,
            Thrift::I64 => wire::I64,
            Thrift::Double => wire::DOUBLE,
            Thrift::Binary => wire::BINARY,
            Thrift::List(_) => wire::LIST,
            Thrift::Struct(_) => wire::STRUCT,
        }
    }
}

/// The footer's Thrift definition (Parquet's `FileMetaData` and what it holds), field by field,
/// as Parquet's format declares it. Names are the format's.
mod footer {
    use super::Thrift::{self, Binary, Bool, Byte, Double, List, Struct, I16, I32, I64};

    pub const FILE_METADATA: Thrift = Struct(&[
        (1, I32),                           // version
        (2, List(&Struct(SCHEMA_ELEMENT))), // schema
        (3, I64),                           // num_rows
        (4, List(&Struct(ROW_GROUP))),      // row_groups
        (5, List(&Struct(KEY_VALUE))),      // key_value_metadata
        (6, Binary),                        // created_by
        (7, List(&Struct(COLUMN_ORDER))),   // column_orders
        (8, Struct(ENCRYPTION_ALGORITHM)),  // encryption_algorithm
        (9, Binary),                        // footer_signing_key_metadata
    ]);

    const EMPTY: &[(i16, Thrift)] = &[];

    const SCHEMA_ELEMENT: &[(i16, Thrift)] = &[
        (1, I32),                   // type
        (2, I32),                   // type_length
        (3, I32),                   // repetition_type
        (4, Binary),                // name
        (5, I32),                   // num_children
        (6, I32),                   // converted_type
        (7, I32),                   // scale
        (8, I32),                   // precision
        (9, I32),                   // field_id
        (10, Struct(LOGICAL_TYPE)), // logicalType
    ];

    /// A union.
    const LOGICAL_TYPE: &[(i16, Thrift)] = &[
        (1, Struct(EMPTY)),           // STRING
        (2, Struct(EMPTY)),           // MAP
        (3, Struct(EMPTY)),           // LIST
        (4, Struct(EMPTY)),           // ENUM
        (5, Struct(DECIMAL_TYPE)),    // DECIMAL
        (6, Struct(EMPTY)),           // DATE
        (7, Struct(TIME_TYPE)),       // TIME
        (8, Struct(TIME_TYPE)),       // TIMESTAMP (as TIME's fields)
        (10, Struct(INT_TYPE)),       // INTEGER
        (11, Struct(EMPTY)),          // UNKNOWN
        (12, Struct(EMPTY)),          // JSON
        (13, Struct(EMPTY)),          // BSON
        (14, Struct(EMPTY)),          // UUID
        (15, Struct(EMPTY)),          // FLOAT16
        (16, Struct(VARIANT_TYPE)),   // VARIANT
        (17, Struct(GEOMETRY_TYPE)),  // GEOMETRY
        (18, Struct(GEOGRAPHY_TYPE)), // GEOGRAPHY
    ];

    const DECIMAL_TYPE: &[(i16, Thrift)] = &[(1, I32), (2, I32)]; // scale, precision
    const TIME_TYPE: &[(i16, Thrift)] = &[(1, Bool), (2, Struct(TIME_UNIT))]; // isAdjustedToUTC, unit
    /// A union: MILLIS, MICROS, NANOS.
    const TIME_UNIT: &[(i16, Thrift)] =
        &[(1, Struct(EMPTY)), (2, Struct(EMPTY)), (3, Struct(EMPTY))];
    const INT_TYPE: &[(i16, Thrift)] = &[(1, Byte), (2, Bool)]; // bitWidth, isSigned
    const VARIANT_TYPE: &[(i16, Thrift)] = &[(1, Byte)]; // specification_version
    const GEOMETRY_TYPE: &[(i16, Thrift)] = &[(1, Binary)]; // crs
    const GEOGRAPHY_TYPE: &[(i16, Thrift)] = &[(1, Binary), (2, I32)]; // crs, algorithm

    const ROW_GROUP: &[(i16, Thrift)] = &[
        (1, List(&Struct(COLUMN_CHUNK))),   // columns
        (2, I64),                           // total_byte_size
        (3, I64),                           // num_rows
        (4, List(&Struct(SORTING_COLUMN))), // sorting_columns
        (5, I64),                           // file_offset
        (6, I64),                           // total_compressed_size
        (7, I16),                           // ordinal
    ];

    const SORTING_COLUMN: &[(i16, Thrift)] = &[(1, I32), (2, Bool), (3, Bool)]; // column_idx, descending, nulls_first

    const COLUMN_CHUNK: &[(i16, Thrift)] = &[
        (1, Binary),                         // file_path
        (2, I64),                            // file_offset
        (3, Struct(COLUMN_METADATA)),        // meta_data
        (4, I64),                            // offset_index_offset
        (5, I32),                            // offset_index_length
        (6, I64),                            // column_index_offset
        (7, I32),                            // column_index_length
        (8, Struct(COLUMN_CRYPTO_METADATA)), // crypto_metadata
        (9, Binary),                         // encrypted_column_metadata
    ];

    const COLUMN_METADATA: &[(i16, Thrift)] = &[
        (1, I32),                                 // type
        (2, List(&I32)),                          // encodings
        (3, List(&Binary)),                       // path_in_schema
        (4, I32),                                 // codec
        (5, I64),                                 // num_values
        (6, I64),                                 // total_uncompressed_size
        (7, I64),                                 // total_compressed_size
        (8, List(&Struct(KEY_VALUE))),            // key_value_metadata
        (9, I64),                                 // data_page_offset
        (10, I64),                                // index_page_offset
        (11, I64),                                // dictionary_page_offset
        (12, Struct(STATISTICS)),                 // statistics
        (13, List(&Struct(PAGE_ENCODING_STATS))), // encoding_stats
        (14, I64),                                // bloom_filter_offset
        (15, I32),                                // bloom_filter_length
        (16, Struct(SIZE_STATISTICS)),            // size_statistics
        (17, Struct(GEOSPATIAL_STATISTICS)),      // geospatial_statistics
    ];

    const STATISTICS: &[(i16, Thrift)] = &[
        (1, Binary), // max
        (2, Binary), // min
        (3, I64),    // null_count
        (4, I64),    // distinct_count
        (5, Binary), // max_value
        (6, Binary), // min_value
        (7, Bool),   // is_max_value_exact
        (8, Bool),   // is_min_value_exact
    ];

    const PAGE_ENCODING_STATS: &[(i16, Thrift)] = &[(1, I32), (2, I32), (3, I32)]; // page_type, encoding, count

    const SIZE_STATISTICS: &[(i16, Thrift)] = &[
        (1, I64),        // unencoded_byte_array_data_bytes
        (2, List(&I64)), // repetition_level_histogram
        (3, List(&I64)), // definition_level_histogram
    ];

    const GEOSPATIAL_STATISTICS: &[(i16, Thrift)] = &[
        (1, Struct(BOUNDING_BOX)), // bbox
        (2, List(&I32)),           // geospatial_types
    ];

    /// xmin, xmax, ymin, ymax, zmin, zmax, mmin, mmax.
    const BOUNDING_BOX: &[(i16, Thrift)] = &[
        (1, Double),
        (2, Double),
        (3, Double),
        (4, Double),
        (5, Double),
        (6, Double),
        (7, Double),
        (8, Double),
    ];

    const KEY_VALUE: &[(i16, Thrift)] = &[(1, Binary), (2, Binary)]; // key, value

    /// A union: TYPE_ORDER.
    const COLUMN_ORDER: &[(i16, Thrift)] = &[(1, Struct(EMPTY))];

    /// A union: AES_GCM_V1, AES_GCM_CTR_V1.
    const ENCRYPTION_ALGORITHM: &[(i16, Thrift)] = &[(1, Struct(AES_GCM)), (2, Struct(AES_GCM))];
    /// AesGcmV1's and AesGcmCtrV1's fields: aad_prefix, aad_file_unique, supply_aad_prefix.
    const AES_GCM: &[(i16, Thrift)] = &[(1, Binary), (2, Binary), (3, Bool)];

    /// A union: ENCRYPTION_WITH_FOOTER_KEY, ENCRYPTION_WITH_COLUMN_KEY.
    const COLUMN_CRYPTO_METADATA: &[(i16, Thrift)] =
        &[(1, Struct(EMPTY)), (2, Struct(ENCRYPTION_WITH_COLUMN_KEY))];
    /// path_in_schema, key_metadata.
    const ENCRYPTION_WITH_COLUMN_KEY: &[(i16, Thrift)] = &[(1, List(&Binary)), (2, Binary)];
}

/// A Thrift compact-protocol reader over the `limit` bytes of a region (a page header's column
/// chunk, the footer), counting what it consumes. Stricter than the decoder's: a known field in
/// another wire type, a field given twice, a value beyond its declared width, a list longer than
/// the bytes left, sets, maps and lists of booleans are refused, so what it accepts reads the
/// same (and takes the same bytes) in the decoder.
struct Compact<R> {
    input: R,
    consumed: u64,
    /// The bytes `input` holds.
    limit: u64,
    /// The region's name in errors.
    region: &'static str,
}

type Parsed<T> = std::result::Result<T, String>;

impl<R: Read> Compact<R> {
    fn new(input: R, limit: u64, region: &'static str) -> Self {
        Compact {
            input,
            consumed: 0,
            limit,
            region,
        }
    }

    fn byte(&mut self) -> Parsed<u8> {
        let mut b = [0u8];
        self.input
            .read_exact(&mut b)
            .map_err(|_| format!("it runs past {}", self.region))?;
        self.consumed += 1;
        Ok(b[0])
    }

    fn varint(&mut self) -> Parsed<u64> {
        let mut value = 0u64;
        for i in 0..10 {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a varint longer than 10 bytes".into())
    }

    fn zigzag(&mut self) -> Parsed<i64> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn i32(&mut self) -> Parsed<i32> {
        let v = self.zigzag()?;
        i32::try_from(v).map_err(|_| format!("{v} does not fit 32 bits"))
    }

    fn skip(&mut self, n: u64) -> Parsed<()> {
        let copied = std::io::copy(&mut (&mut self.input).take(n), &mut std::io::sink())
            .map_err(|e| e.to_string())?;
        self.consumed += copied;
        if copied == n {
            Ok(())
        } else {
            Err(format!("it runs past {}", self.region))
        }
    }

    /// A list's header: (element count, element wire type). Every element takes at least a
    /// byte, so a count beyond the bytes left is refused before any element is read.
    fn list_header(&mut self) -> Parsed<(u64, u8)> {
        let b = self.byte()?;
        let mut n = u64::from(b >> 4);
        if n == 15 {
            n = self.varint()?;
        }
        let left = self.limit.saturating_sub(self.consumed);
        if n > left {
            return Err(format!("a list of {n} elements in {left} bytes"));
        }
        Ok((n, b & 0x0f))
    }

    /// Reads a value declared as `declared`, nested `depth` deep: a struct's known fields must
    /// carry their declared wire types (others are skipped), a list its declared element type.
    fn value(&mut self, declared: Thrift, depth: u32) -> Parsed<()> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        match declared {
            // A boolean field's value is its wire type.
            Thrift::Bool => Ok(()),
            Thrift::Byte => self.byte().map(|_| ()),
            Thrift::I16 => {
                let v = self.zigzag()?;
                i16::try_from(v)
                    .map(|_| ())
                    .map_err(|_| format!("{v} does not fit 16 bits"))
            }
            Thrift::I32 => self.i32().map(|_| ()),
            Thrift::I64 => self.varint().map(|_| ()),
            Thrift::Double => self.skip(8),
            Thrift::Binary => {
                let n = self.varint()?;
                self.skip(n)
            }
            Thrift::List(element) => {
                let (n, kind) = self.list_header()?;
                if n > 0 && kind != element.wire() {
                    return Err(format!(
                        "a list of wire type {kind} where {} is declared",
                        element.wire()
                    ));
                }
                for _ in 0..n {
                    match element {
                        // A boolean element takes a byte.
                        Thrift::Bool => self.byte().map(|_| ())?,
                        _ => self.value(*element, depth + 1)?,
                    }
                }
                Ok(())
            }
            Thrift::Struct(known) => {
                let declared = |id: i16| known.iter().find(|(k, _)| *k == id).map(|(_, t)| *t);
                self.fields(
                    depth,
                    |id| declared(id).map(Thrift::wire),
                    |input, id, kind| match declared(id) {
                        Some(t) => input.value(t, depth + 1),
                        None => input.skip_value(kind, depth + 1),
                    },
                )
            }
        }
    }

    /// The next field of a struct: `None` at its end, else (id, wire type).
    fn field(&mut self, last_id: i16) -> Parsed<Option<(i16, u8)>> {
        let b = self.byte()?;
        let kind = b & 0x0f;
        if kind == wire::STOP {
            return Ok(None);
        }
        let delta = b >> 4;
        let id = if delta == 0 {
            i16::try_from(self.zigzag()?).map_err(|_| "a field id beyond 16 bits".to_string())?
        } else {
            last_id
                .checked_add(i16::from(delta))
                .ok_or_else(|| "a field id beyond 16 bits".to_string())?
        };
        Ok(Some((id, kind)))
    }

    /// Skips a value of wire type `kind` nested `depth` deep.
    fn skip_value(&mut self, kind: u8, depth: u32) -> Parsed<()> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        match kind {
            wire::TRUE | wire::FALSE => Ok(()),
            wire::BYTE => self.byte().map(|_| ()),
            wire::I16 | wire::I32 | wire::I64 => self.varint().map(|_| ()),
            wire::DOUBLE => self.skip(8),
            wire::BINARY => {
                let n = self.varint()?;
                self.skip(n)
            }
            wire::STRUCT => {
                let mut last = 0i16;
                while let Some((id, kind)) = self.field(last)? {
                    self.skip_value(kind, depth + 1)?;
                    last = id;
                }
                Ok(())
            }
            wire::LIST => {
                let (n, element) = self.list_header()?;
                if n > 0 && matches!(element, wire::STOP | wire::TRUE | wire::FALSE) {
                    return Err(format!("a list of element type {element}"));
                }
                for _ in 0..n {
                    self.skip_value(element, depth + 1)?;
                }
                Ok(())
            }
            other => Err(format!("wire type {other}")),
        }
    }

    /// Reads the fields of a struct: `known(id)` gives the wire type a known field must have;
    /// `read` reads it; other fields are skipped.
    fn fields(
        &mut self,
        depth: u32,
        known: impl Fn(i16) -> Option<u8>,
        mut read: impl FnMut(&mut Self, i16, u8) -> Parsed<()>,
    ) -> Parsed<()> {
        let mut last = 0i16;
        let mut seen = 0u64;
        while let Some((id, kind)) = self.field(last)? {
            match known(id) {
                Some(expected) => {
                    let same = kind == expected || (expected == wire::TRUE && kind == wire::FALSE);
                    if !same {
                        return Err(format!("field {id} of wire type {kind}"));
                    }
                    let bit = 1u64 << id;
                    if seen & bit != 0 {
                        return Err(format!("field {id} given twice"));
                    }
                    seen |= bit;
                    read(self, id, kind)?;
                }
                None => self.skip_value(kind, depth + 1)?,
            }
            last = id;
        }
        Ok(())
    }
}

fn required(present: bool, what: &str) -> Parsed<()> {
    if present {
        Ok(())
    } else {
        Err(format!("no {what}"))
    }
}

impl PageHeader {
    fn read<R: Read>(input: &mut Compact<R>) -> Parsed<PageHeader> {
        let mut header = PageHeader::default();
        let mut present = [false; 3];
        input.fields(
            0,
            |id| match id {
                1..=4 => Some(wire::I32),
                5..=8 => Some(wire::STRUCT),
                _ => None,
            },
            |input, id, _| {
                match id {
                    1 => header.page_type = input.i32()?,
                    2 => header.uncompressed_size = input.i32()?,
                    3 => header.compressed_size = input.i32()?,
                    4 => {
                        input.i32()?;
                    }
                    5 => header.v1 = Some(DataPageV1::read(input)?),
                    6 => input.skip_value(wire::STRUCT, 1)?,
                    7 => header.dictionary = Some(DictionaryPage::read(input)?),
                    _ => header.v2 = Some(DataPageV2::read(input)?),
                }
                if let Some(slot) = present.get_mut(id as usize - 1) {
                    *slot = true;
                }
                Ok(())
            },
        )?;
        required(present[0], "page type")?;
        required(present[1], "uncompressed size")?;
        required(present[2], "compressed size")?;
        Ok(header)
    }
}

impl DataPageV1 {
    fn read<R: Read>(input: &mut Compact<R>) -> Parsed<DataPageV1> {
        let mut page = DataPageV1::default();
        let mut present = [false; 4];
        input.fields(
            1,
            |id| match id {
                1..=4 => Some(wire::I32),
                _ => None,
            },
            |input, id, _| {
                let v = input.i32()?;
                match id {
                    1 => page.num_values = v,
                    2 => page.encoding = v,
                    3 => page.definition_encoding = v,
                    _ => page.repetition_encoding = v,
                }
                present[id as usize - 1] = true;
                Ok(())
            },
        )?;
        required(present.iter().all(|&p| p), "complete data page header")?;
        Ok(page)
    }
}

impl DictionaryPage {
    fn read<R: Read>(input: &mut Compact<R>) -> Parsed<DictionaryPage> {
        let mut page = DictionaryPage::default();
        let mut present = [false; 2];
        input.fields(
            1,
            |id| match id {
                1 | 2 => Some(wire::I32),
                3 => Some(wire::TRUE),
                _ => None,
            },
            |input, id, _| {
                match id {
                    1 => page.num_values = input.i32()?,
                    2 => page.encoding = input.i32()?,
                    _ => return Ok(()),
                }
                present[id as usize - 1] = true;
                Ok(())
            },
        )?;
        required(
            present.iter().all(|&p| p),
            "complete dictionary page header",
        )?;
        Ok(page)
    }
}

impl DataPageV2 {
    fn read<R: Read>(input: &mut Compact<R>) -> Parsed<DataPageV2> {
        let mut fields = [0i32; 6];
        let mut present = [false; 6];
        let mut is_compressed = true;
        input.fields(
            1,
            |id| match id {
                1..=6 => Some(wire::I32),
                7 => Some(wire::TRUE),
                _ => None,
            },
            |input, id, kind| {
                if id == 7 {
                    is_compressed = kind == wire::TRUE;
                } else {
                    fields[id as usize - 1] = input.i32()?;
                    present[id as usize - 1] = true;
                }
                Ok(())
            },
        )?;
        required(present.iter().all(|&p| p), "complete v2 data page header")?;
        let [num_values, num_nulls, num_rows, encoding, definition_length, repetition_length] =
            fields;
        Ok(DataPageV2 {
            num_values,
            num_nulls,
            num_rows,
            encoding,
            definition_length,
            repetition_length,
            is_compressed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(bytes: &[u8]) -> Parsed<PageHeader> {
        PageHeader::read(&mut Compact::new(
            bytes,
            bytes.len() as u64,
            "the column chunk",
        ))
    }

    #[test]
    fn a_footer_list_longer_than_the_footer_is_refused_before_the_decoder() {
        // FileMetaData { 2: schema = a list of 2^28 structs } and nothing after: the decoder
        // would reserve room for 2^28 schema elements (gigabytes) before reading one.
        let footer = [0x29u8, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00];
        let mut file = b"PAR1".to_vec();
        file.extend_from_slice(&footer);
        file.extend_from_slice(&(footer.len() as u32).to_le_bytes());
        file.extend_from_slice(b"PAR1");
        let err = check_footer(&bytes::Bytes::from(file), "big.parquet").unwrap_err();
        assert!(
            matches!(&err, Error::UnsupportedInput { reason, .. } if reason.contains("footer")),
            "{err}"
        );
        // The fuzzer's case: field 2 (the schema list) written as an integer, which the decoder
        // would read as a list header claiming any count.
        let footer = [0x15u8, 0x02, 0x15, 0x04, 0x00];
        let mut file = b"PAR1".to_vec();
        file.extend_from_slice(&footer);
        file.extend_from_slice(&(footer.len() as u32).to_le_bytes());
        file.extend_from_slice(b"PAR1");
        assert!(check_footer(&bytes::Bytes::from(file), "typed.parquet").is_err());
        // A footer that holds what it declares passes: one empty struct in the list.
        let footer = [0x29u8, 0x1c, 0x00, 0x00];
        let mut file = b"PAR1".to_vec();
        file.extend_from_slice(&footer);
        file.extend_from_slice(&(footer.len() as u32).to_le_bytes());
        file.extend_from_slice(b"PAR1");
        assert!(check_footer(&bytes::Bytes::from(file), "ok.parquet").is_ok());
    }

    /// Thrift's compact protocol, written field by field, for crafted footers.
    struct Thr {
        out: Vec<u8>,
        /// The last field id of each struct being written, innermost last.
        last: Vec<i16>,
        /// The place (`Struct.field`, or `Struct.field[]` for a list's element type) written
        /// with a wrong wire type; "" for none.
        bad: &'static str,
    }

    impl Thr {
        fn new(bad: &'static str) -> Self {
            Thr {
                out: Vec::new(),
                last: vec![0],
                bad,
            }
        }

        fn varint(&mut self, mut v: u64) {
            while v >= 0x80 {
                self.out.push((v as u8) | 0x80);
                v >>= 7;
            }
            self.out.push(v as u8);
        }

        fn zigzag(&mut self, v: i64) {
            self.varint(((v << 1) ^ (v >> 63)) as u64);
        }

        /// A field header; at the bad place, with another wire type than `kind`.
        fn head(&mut self, at: &str, id: i16, kind: u8) {
            let kind = if !at.is_empty() && at == self.bad {
                match kind {
                    wire::LIST | wire::STRUCT | wire::BINARY | wire::TRUE | wire::FALSE => {
                        wire::I32
                    }
                    wire::DOUBLE => wire::I64,
                    _ => wire::LIST,
                }
            } else {
                kind
            };
            let last = self.last.last_mut().unwrap();
            match id - *last {
                delta @ 1..=15 => self.out.push((delta as u8) << 4 | kind),
                _ => {
                    self.out.push(kind);
                    let id = i64::from(id);
                    self.zigzag(id);
                }
            }
            *self.last.last_mut().unwrap() = id;
        }

        fn int(&mut self, at: &str, id: i16, kind: u8, v: i64) -> &mut Self {
            self.head(at, id, kind);
            if kind == wire::BYTE {
                self.out.push(v as u8);
            } else {
                self.zigzag(v);
            }
            self
        }

        fn bin(&mut self, at: &str, id: i16, bytes: &[u8]) -> &mut Self {
            self.head(at, id, wire::BINARY);
            self.varint(bytes.len() as u64);
            self.out.extend_from_slice(bytes);
            self
        }

        fn double(&mut self, at: &str, id: i16, v: f64) -> &mut Self {
            self.head(at, id, wire::DOUBLE);
            self.out.extend_from_slice(&v.to_le_bytes());
            self
        }

        fn boolean(&mut self, at: &str, id: i16, v: bool) -> &mut Self {
            self.head(at, id, if v { wire::TRUE } else { wire::FALSE });
            self
        }

        /// Opens a struct field (`id` > 0) or a struct element of a list (`id` 0).
        fn open(&mut self, at: &str, id: i16) -> &mut Self {
            if id > 0 {
                self.head(at, id, wire::STRUCT);
            }
            self.last.push(0);
            self
        }

        fn close(&mut self) -> &mut Self {
            self.out.push(0);
            self.last.pop();
            self
        }

        /// A list field's header; at `at[]`, with another element type than `element`.
        fn list(&mut self, at: &str, id: i16, n: u8, element: u8) -> &mut Self {
            self.head(at, id, wire::LIST);
            let element = if self.bad.strip_suffix("[]") == Some(at) {
                if element == wire::STRUCT {
                    wire::I32
                } else {
                    wire::STRUCT
                }
            } else {
                element
            };
            self.out.push(n << 4 | element);
            self
        }
    }

    /// Every place of [`crafted_footer`] that can be written with a wrong type, one per field
    /// kind of every struct of the footer's definition, and every list's element type.
    const PLACES: &[&str] = &[
        "FileMetaData.num_rows",
        "FileMetaData.schema[]",
        "FileMetaData.row_groups[]",
        "FileMetaData.key_value_metadata[]",
        "FileMetaData.column_orders",
        "FileMetaData.encryption_algorithm",
        "SchemaElement.type_length",
        "SchemaElement.name",
        "SchemaElement.logicalType",
        "LogicalType.TIMESTAMP",
        "LogicalType.DECIMAL",
        "LogicalType.INTEGER",
        "TimestampType.isAdjustedToUTC",
        "TimestampType.unit",
        "TimeUnit.MICROS",
        "DecimalType.scale",
        "IntType.bitWidth",
        "RowGroup.columns",
        "RowGroup.columns[]",
        "RowGroup.total_byte_size",
        "RowGroup.sorting_columns",
        "RowGroup.sorting_columns[]",
        "RowGroup.ordinal",
        "SortingColumn.descending",
        "ColumnChunk.file_offset",
        "ColumnChunk.meta_data",
        "ColumnChunk.offset_index_length",
        "ColumnChunk.crypto_metadata",
        "ColumnCryptoMetaData.ENCRYPTION_WITH_COLUMN_KEY",
        "EncryptionWithColumnKey.path_in_schema[]",
        "ColumnMetaData.type",
        "ColumnMetaData.encodings",
        "ColumnMetaData.encodings[]",
        "ColumnMetaData.path_in_schema[]",
        "ColumnMetaData.num_values",
        "ColumnMetaData.key_value_metadata[]",
        "ColumnMetaData.statistics",
        "ColumnMetaData.encoding_stats[]",
        "ColumnMetaData.size_statistics",
        "ColumnMetaData.geospatial_statistics",
        "Statistics.max_value",
        "Statistics.null_count",
        "Statistics.is_max_value_exact",
        "PageEncodingStats.count",
        "SizeStatistics.definition_level_histogram",
        "SizeStatistics.definition_level_histogram[]",
        "GeospatialStatistics.bbox",
        "GeospatialStatistics.geospatial_types[]",
        "BoundingBox.xmin",
        "KeyValue.key",
        "KeyValue.value",
        "ColumnOrder.TYPE_ORDER",
        "EncryptionAlgorithm.AES_GCM_V1",
        "AesGcmV1.supply_aad_prefix",
    ];

    /// A footer holding every struct of the footer's definition (a double, a timestamp, a
    /// decimal and an integer column, one row group), with the place `bad` written with a wrong
    /// wire type ("" for none).
    fn crafted_footer(bad: &'static str) -> Vec<u8> {
        let mut t = Thr::new(bad);
        let fm = "FileMetaData";
        t.int("FileMetaData.version", 1, wire::I32, 2);
        t.list("FileMetaData.schema", 2, 5, wire::STRUCT);
        t.open(fm, 0)
            .bin("", 4, b"schema")
            .int("", 5, wire::I32, 4)
            .close();
        // x: an optional double.
        t.open(fm, 0)
            .int("", 1, wire::I32, 5)
            .int("", 3, wire::I32, 1);
        t.bin("SchemaElement.name", 4, b"x").close();
        // t: a timestamp (INT64, microseconds, UTC).
        t.open(fm, 0)
            .int("", 1, wire::I32, 2)
            .int("", 3, wire::I32, 0);
        t.bin("", 4, b"t").open("SchemaElement.logicalType", 10);
        t.open("LogicalType.TIMESTAMP", 8);
        t.boolean("TimestampType.isAdjustedToUTC", 1, true);
        t.open("TimestampType.unit", 2).open("TimeUnit.MICROS", 2);
        t.close().close().close().close().close();
        // d: a decimal (INT64, 18 digits, 2 after the point).
        t.open(fm, 0)
            .int("", 1, wire::I32, 2)
            .int("", 3, wire::I32, 0);
        t.bin("", 4, b"d")
            .int("", 6, wire::I32, 5)
            .int("", 7, wire::I32, 2);
        t.int("", 8, wire::I32, 18)
            .open("", 10)
            .open("LogicalType.DECIMAL", 5);
        t.int("DecimalType.scale", 1, wire::I32, 2)
            .int("", 2, wire::I32, 18);
        t.close().close().close();
        // i: a 16-bit signed integer (INT32), its type length given.
        t.open(fm, 0)
            .int("", 1, wire::I32, 1)
            .int("SchemaElement.type_length", 2, wire::I32, 32);
        t.int("", 3, wire::I32, 0).bin("", 4, b"i").open("", 10);
        t.open("LogicalType.INTEGER", 10)
            .int("IntType.bitWidth", 1, wire::BYTE, 16);
        t.boolean("", 2, true).close().close().close();
        t.int("FileMetaData.num_rows", 3, wire::I64, 3);
        t.list("FileMetaData.row_groups", 4, 1, wire::STRUCT)
            .open(fm, 0);
        t.list("RowGroup.columns", 1, 4, wire::STRUCT);
        let columns: [(&[u8], i64); 4] = [(b"x", 5), (b"t", 2), (b"d", 2), (b"i", 1)];
        let mut offset = 4;
        for (c, (name, physical)) in columns.into_iter().enumerate() {
            // Only the first column chunk carries the places; the others are plain.
            let at = |place: &'static str| if c == 0 { place } else { "" };
            t.open(fm, 0)
                .int(at("ColumnChunk.file_offset"), 2, wire::I64, offset);
            t.open(at("ColumnChunk.meta_data"), 3);
            t.int(at("ColumnMetaData.type"), 1, wire::I32, physical);
            t.list(at("ColumnMetaData.encodings"), 2, 2, wire::I32);
            t.zigzag(0);
            t.zigzag(3);
            t.list(at("ColumnMetaData.path_in_schema"), 3, 1, wire::BINARY);
            t.varint(name.len() as u64);
            t.out.extend_from_slice(name);
            t.int("", 4, wire::I32, 0);
            t.int(at("ColumnMetaData.num_values"), 5, wire::I64, 3);
            t.int("", 6, wire::I64, 40).int("", 7, wire::I64, 40);
            t.list(at("ColumnMetaData.key_value_metadata"), 8, 1, wire::STRUCT);
            t.open(fm, 0)
                .bin(at("KeyValue.key"), 1, b"k")
                .bin("", 2, b"v")
                .close();
            t.int("", 9, wire::I64, offset);
            if c == 0 {
                t.open("ColumnMetaData.statistics", 12).bin("", 1, &[0; 8]);
                t.bin("", 2, &[0; 8])
                    .int("Statistics.null_count", 3, wire::I64, 1);
                t.bin("Statistics.max_value", 5, &[0; 8])
                    .bin("", 6, &[0; 8]);
                t.boolean("Statistics.is_max_value_exact", 7, true);
                t.boolean("", 8, false).close();
                t.list("ColumnMetaData.encoding_stats", 13, 1, wire::STRUCT)
                    .open(fm, 0);
                t.int("", 1, wire::I32, 0).int("", 2, wire::I32, 0);
                t.int("PageEncodingStats.count", 3, wire::I32, 1).close();
                t.int("", 14, wire::I64, 100).int("", 15, wire::I32, 10);
                t.open("ColumnMetaData.size_statistics", 16)
                    .int("", 1, wire::I64, 0);
                t.list("", 2, 1, wire::I64).zigzag(3);
                t.list("SizeStatistics.definition_level_histogram", 3, 2, wire::I64);
                t.zigzag(1);
                t.zigzag(2);
                t.close();
                t.open("ColumnMetaData.geospatial_statistics", 17);
                t.open("GeospatialStatistics.bbox", 1);
                t.double("BoundingBox.xmin", 1, 0.0);
                for id in 2..=8 {
                    t.double("", id, id as f64);
                }
                t.close();
                t.list("GeospatialStatistics.geospatial_types", 2, 1, wire::I32);
                t.zigzag(1);
                t.close();
            }
            t.close();
            t.int(at("ColumnChunk.offset_index_length"), 5, wire::I32, 0);
            if c == 0 {
                t.open("ColumnChunk.crypto_metadata", 8);
                t.open("ColumnCryptoMetaData.ENCRYPTION_WITH_COLUMN_KEY", 2);
                t.list("EncryptionWithColumnKey.path_in_schema", 1, 1, wire::BINARY);
                t.varint(1);
                t.out.push(b'x');
                t.close().close();
            }
            t.close();
            offset += 40;
        }
        t.int("RowGroup.total_byte_size", 2, wire::I64, 160);
        t.int("", 3, wire::I64, 3);
        t.list("RowGroup.sorting_columns", 4, 1, wire::STRUCT)
            .open(fm, 0);
        t.int("", 1, wire::I32, 0)
            .boolean("SortingColumn.descending", 2, false);
        t.boolean("", 3, true).close();
        t.int("RowGroup.ordinal", 7, wire::I16, 0).close();
        t.list("FileMetaData.key_value_metadata", 5, 1, wire::STRUCT)
            .open(fm, 0);
        t.bin("", 1, b"writer")
            .bin("KeyValue.value", 2, b"segcore tests")
            .close();
        t.bin("", 6, b"segcore tests");
        t.list("FileMetaData.column_orders", 7, 4, wire::STRUCT);
        for _ in 0..4 {
            t.open(fm, 0)
                .open("ColumnOrder.TYPE_ORDER", 1)
                .close()
                .close();
        }
        t.open("FileMetaData.encryption_algorithm", 8);
        t.open("EncryptionAlgorithm.AES_GCM_V1", 1)
            .bin("", 1, b"aad");
        t.boolean("AesGcmV1.supply_aad_prefix", 3, false)
            .close()
            .close();
        t.close();
        assert!(t.last.is_empty(), "{bad}: unbalanced");
        t.out
    }

    #[test]
    fn every_footer_field_at_every_level_must_have_its_declared_type() {
        // The crafted footer is one the decoder reads as it is.
        let good = crafted_footer("");
        walk_footer(&good).unwrap();
        let metadata =
            parquet::file::metadata::ParquetMetaDataReader::decode_metadata(&good).unwrap();
        assert_eq!(metadata.file_metadata().schema_descr().num_columns(), 4);
        assert_eq!(metadata.row_group(0).num_rows(), 3);
        assert!(metadata.row_group(0).column(0).statistics().is_some());
        for place in PLACES {
            let bad = crafted_footer(place);
            assert_ne!(bad, good, "{place} is not written");
            let err = walk_footer(&bad).unwrap_err();
            assert!(
                err.contains("wire type") || err.contains("a list of"),
                "{place}: {err}"
            );
        }
    }

    #[test]
    fn the_fixtures_footers_pass() {
        for file in [
            &include_bytes!("../../../../tests/fixtures/customers_zstd.parquet")[..],
            include_bytes!("../../../../tests/fixtures/pyarrow_gzip_v2_nulls.parquet"),
            include_bytes!("../../../../tests/fixtures/pyarrow_plain_uncompressed.parquet"),
            include_bytes!("../../../../tests/fixtures/pyarrow_types_snappy.parquet"),
            include_bytes!("../../../../tests/fixtures/pyarrow_footer_extras.parquet"),
        ] {
            check_footer(&bytes::Bytes::from(file.to_vec()), "f.parquet").unwrap();
        }
    }

    #[test]
    fn footer_tables_use_ids_the_walk_can_track() {
        // `Compact::fields` marks the fields seen in a 64-bit mask.
        fn ids(t: Thrift, depth: u32) {
            assert!(depth < 12);
            match t {
                Thrift::List(e) => ids(*e, depth + 1),
                Thrift::Struct(fields) => {
                    for (i, (id, f)) in fields.iter().enumerate() {
                        assert!((1..64).contains(id));
                        assert!(fields[..i].iter().all(|(other, _)| other != id));
                        ids(*f, depth + 1);
                    }
                }
                _ => {}
            }
        }
        ids(footer::FILE_METADATA, 0);
    }

    /// A file of nothing but `footer` (the footer is checked before anything else is read).
    fn footer_only(footer: &[u8]) -> Vec<u8> {
        let mut file = b"PAR1".to_vec();
        file.extend_from_slice(footer);
        file.extend_from_slice(&(footer.len() as u32).to_le_bytes());
        file.extend_from_slice(b"PAR1");
        file
    }

    #[test]
    fn a_nested_field_read_as_a_list_header_is_refused() {
        // RowGroup { 4: sorting_columns } written as an integer whose bytes read as the header
        // of a list of 2^28 structs: the decoder would reserve room for them (gigabytes).
        let mut t = Thr::new("");
        t.int("", 1, wire::I32, 2).list("", 2, 2, wire::STRUCT);
        t.open("", 0)
            .bin("", 4, b"schema")
            .int("", 5, wire::I32, 1)
            .close();
        t.open("", 0)
            .int("", 1, wire::I32, 5)
            .int("", 3, wire::I32, 1);
        t.bin("", 4, b"x").close().int("", 3, wire::I64, 0);
        t.list("", 4, 1, wire::STRUCT).open("", 0);
        t.head("", 4, wire::I64);
        t.out
            .extend_from_slice(&[0xfc, 0x80, 0x80, 0x80, 0x80, 0x01]);
        t.close().close();
        let err = walk_footer(&t.out).unwrap_err();
        assert_eq!(err, "field 4 of wire type 6");
        // The committed fuzz seed: the same footer claiming 2^31 - 1 sorting columns.
        let seed =
            include_bytes!("../../../../fuzz/corpus/customer_csv/parquet_footer_nested_type");
        let err = check_footer(&bytes::Bytes::from(seed[1..].to_vec()), "s.parquet").unwrap_err();
        assert!(err.to_string().contains("field 4 of wire type 6"), "{err}");
        let err = check_footer(&bytes::Bytes::from(footer_only(&t.out)), "n.parquet").unwrap_err();
        assert!(
            matches!(&err, Error::UnsupportedInput { reason, .. }
                if reason.contains("footer") && reason.contains("field 4 of wire type 6")),
            "{err}"
        );
        // The same bytes as a list: its count runs past the footer.
        let at = t.out.len() - 9;
        t.out[at] = 0x49;
        assert!(walk_footer(&t.out)
            .unwrap_err()
            .starts_with("a list of 268435456 elements in"));
        // Unknown fields are skipped whatever their type, but not nested without end.
        let mut unknown = crafted_footer("");
        unknown.pop();
        unknown.extend_from_slice(&[0x05, 0x28, 0x04]); // field 20, an i32
        unknown.extend(std::iter::repeat_n(0x1c, 20)); // 20 structs, one in the other
        unknown.extend(std::iter::repeat_n(0x00, 21));
        assert_eq!(walk_footer(&unknown).unwrap_err(), "nested too deeply");
        let mut skipped = crafted_footer("");
        skipped.pop();
        skipped.extend_from_slice(&[0x05, 0x28, 0x04, 0x1c, 0x19, 0x25, 0x02, 0x04, 0x00, 0x00]);
        walk_footer(&skipped).unwrap();
    }

    #[test]
    fn reads_a_plain_header_and_refuses_odd_ones() {
        // type DATA_PAGE (0), uncompressed 100, compressed 50, data page header {num_values 3,
        // encoding PLAIN, def RLE, rep RLE}.
        let good = [
            0x15, 0x00, 0x15, 0xc8, 0x01, 0x15, 0x64, 0x2c, 0x15, 0x06, 0x15, 0x00, 0x15, 0x06,
            0x15, 0x06, 0x00, 0x00,
        ];
        let h = header(&good).unwrap();
        assert_eq!(
            (h.page_type, h.uncompressed_size, h.compressed_size),
            (0, 100, 50)
        );
        let v1 = h.v1.unwrap();
        assert_eq!(
            (v1.num_values, v1.encoding, v1.definition_encoding),
            (3, 0, 3)
        );
        // Field 2 twice.
        let twice = [0x15, 0x00, 0x15, 0xc8, 0x01, 0x05, 0x02, 0x02, 0x00];
        assert!(header(&twice).unwrap_err().contains("twice"));
        // Field 2 as binary.
        let binary = [0x15, 0x00, 0x18, 0x00, 0x00];
        assert!(header(&binary).unwrap_err().contains("wire type"));
        // A value beyond 32 bits (the decoder would truncate it).
        let wide = [0x15, 0x00, 0x15, 0x80, 0x80, 0x80, 0x80, 0x20, 0x00];
        assert!(header(&wide).unwrap_err().contains("32 bits"));
        // Cut short.
        assert!(header(&good[..7])
            .unwrap_err()
            .contains("past the column chunk"));
        // No compressed size.
        assert!(header(&[0x15, 0x00, 0x15, 0x02, 0x00]).is_err());
    }

    #[test]
    fn dictionaries_fit_their_bytes() {
        assert!(dictionary_fits(PhysicalType::BOOLEAN, 0, 16, 2));
        assert!(!dictionary_fits(PhysicalType::BOOLEAN, 0, 17, 2));
        assert!(dictionary_fits(PhysicalType::BYTE_ARRAY, 0, 2, 8));
        assert!(!dictionary_fits(PhysicalType::BYTE_ARRAY, 0, 3, 8));
        assert!(!dictionary_fits(PhysicalType::INT64, 0, u64::MAX, 8));
        assert!(dictionary_fits(
            PhysicalType::FIXED_LEN_BYTE_ARRAY,
            16,
            1,
            16
        ));
        assert!(!dictionary_fits(
            PhysicalType::FIXED_LEN_BYTE_ARRAY,
            16,
            2,
            16
        ));
    }
}
