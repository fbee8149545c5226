//! Checks of a Parquet file against itself before the decoder reads a value: what the decoder
//! would trust without checking (and panic on, or allocate by) is checked here and refused with
//! a typed error naming the file and the column.
//!
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
/// Deepest nesting of structs and lists in a page header (a real one nests 3 deep).
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

/// Walks the file's footer (its Thrift metadata) before the decoder parses it: the decoder
/// reserves room for a list by the count written in front of it, so every list's elements must
/// lie within the footer (each takes at least a byte), and the nesting is bounded. A file too
/// short to have a footer, or without the magic bytes, is left to the decoder's own error.
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
    let mut input = Compact {
        input: &footer[..],
        consumed: 0,
    };
    // FileMetaData's own fields must have their declared wire types: the decoder reads a known
    // field by its id, so a list read from an integer's bytes would claim any count. The walk
    // must also end at the footer's last byte, as a real footer does.
    let file_metadata_field = |id: i16| match id {
        1 => Some(wire::I32),
        3 => Some(wire::I64),
        2 | 4 | 5 | 7 => Some(wire::LIST),
        6 | 9 => Some(wire::BINARY),
        8 => Some(wire::STRUCT),
        _ => None,
    };
    input
        .fields(0, file_metadata_field, |input, _, kind| {
            input.skip_value(kind, 1)
        })
        .and_then(|()| {
            if input.consumed == footer_len {
                Ok(())
            } else {
                Err(format!(
                    "its metadata ends at byte {} of {footer_len}",
                    input.consumed
                ))
            }
        })
        .map_err(|what| {
            unsupported(
                source_name,
                format!(
                    "its footer (the file's metadata) is malformed: {what}; re-export it, or \
                 export CSV instead"
                ),
            )
        })
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
        let mut compact = Compact {
            input: input.take(remaining),
            consumed: 0,
        };
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

/// A Thrift compact-protocol reader over the bytes left in a column chunk, counting what it
/// consumes. Stricter than the decoder's: a known field in another wire type, a field given
/// twice, a value beyond 32 bits, sets, maps and lists of booleans are refused, so a header it
/// accepts reads the same (and takes the same bytes) in the decoder.
struct Compact<R> {
    input: R,
    consumed: u64,
}

type Parsed<T> = std::result::Result<T, String>;

impl<R: Read> Compact<R> {
    fn byte(&mut self) -> Parsed<u8> {
        let mut b = [0u8];
        self.input
            .read_exact(&mut b)
            .map_err(|_| "it runs past the column chunk".to_string())?;
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
            Err("it runs past the column chunk".into())
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
                let b = self.byte()?;
                let mut n = u64::from(b >> 4);
                if n == 15 {
                    n = self.varint()?;
                }
                let element = b & 0x0f;
                if n > 0 && matches!(element, wire::STOP | wire::TRUE | wire::FALSE) {
                    return Err(format!("a list of element type {element}"));
                }
                for _ in 0..n {
                    // Every element takes at least a byte: a count beyond the chunk ends at
                    // its last byte.
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
        PageHeader::read(&mut Compact {
            input: bytes,
            consumed: 0,
        })
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
