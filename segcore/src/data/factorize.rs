//! Dense codes for a column of customer ids (or any key column), in order of first appearance:
//! the first distinct value gets code 0, the next new one code 1, and so on; a missing value gets
//! [`MISSING`]. This is `pandas.factorize` for the two shapes a DataFrame column arrives in:
//!
//! - integers ([`factorize_integers`]): a direct table when the values span a range no wider than
//!   a few times the number of rows (the usual dense customer numbers), a hash table otherwise;
//! - text ([`factorize_text`]) read straight from Arrow string buffers ([`TextChunk`]: the
//!   `utf8`/`large_utf8` offsets + data layout of pandas' Arrow strings and pyarrow, and the
//!   `utf8view` layout of polars), so no per-value object crosses from Python.
//!
//! Invariants: codes depend on the values and their order only (never on the thread count); the
//! hash seed is fixed and only places buckets. Text hashing runs on a second thread while the
//! first inserts the previous block, in row order.
//!
//! Figures: with the behaviour pass in docs/performance.md ("Behaviour features").

use crate::error::{Error, Result};

/// Code of a missing value (same as [`CategoricalColumn::MISSING`](super::CategoricalColumn::MISSING)).
pub const MISSING: u32 = u32::MAX;

/// Per-row codes and, per code, the row where it first appears.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Factorized {
    /// Code of every row (order of first appearance); [`MISSING`] for a missing value.
    pub codes: Vec<u32>,
    /// Row of the first appearance of each code (`first_rows[c]` has code `c`), increasing.
    pub first_rows: Vec<u32>,
}

impl Factorized {
    /// Number of distinct values.
    pub fn n_distinct(&self) -> usize {
        self.first_rows.len()
    }
}

fn check_rows(n: usize) -> Result<()> {
    if n >= MISSING as usize {
        return Err(Error::invalid_parameter(
            "ids",
            format!("{n} rows"),
            format!("fewer than {MISSING} rows"),
        ));
    }
    Ok(())
}

const SEED: u64 = 0x2d35_8dcc_aa6c_78a5;
const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;

/// 64 x 64 -> 128-bit multiply folded to 64 bits: every input bit reaches the high and low bits
/// hashbrown uses (bucket index and control byte).
#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

#[inline]
fn hash_integer(value: i64) -> u64 {
    fold(value as u64 ^ SEED, MULTIPLIER)
}

#[inline]
fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut hash = fold(bytes.len() as u64 ^ SEED, MULTIPLIER);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut buffer = [0u8; 8];
        buffer.copy_from_slice(word);
        hash = fold(hash ^ u64::from_le_bytes(buffer), MULTIPLIER);
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut buffer = [0u8; 8];
        buffer[..rest.len()].copy_from_slice(rest);
        hash = fold(hash ^ u64::from_le_bytes(buffer), MULTIPLIER ^ SEED);
    }
    fold(hash, MULTIPLIER)
}

/// Widest value range (in multiples of the row count) read through a direct table: 4 bytes per
/// possible value, so at most ~4x the 4-byte codes themselves.
const DENSE_SPAN_PER_ROW: u64 = 4;
/// A direct table of this many entries is always fine (256 KiB).
const DENSE_SPAN_MIN: u64 = 1 << 16;

/// Codes of integer ids in order of first appearance (no missing values: an integer column has
/// none).
///
/// ```
/// use segcore::data::factorize_integers;
/// let f = factorize_integers(&[30, 10, 30, -5, 10])?;
/// assert_eq!(f.codes, [0, 1, 0, 2, 1]);
/// assert_eq!(f.first_rows, [0, 1, 3]);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn factorize_integers(values: &[i64]) -> Result<Factorized> {
    check_rows(values.len())?;
    let (Some(&min), Some(&max)) = (values.iter().min(), values.iter().max()) else {
        return Ok(Factorized::default());
    };
    let span = (i128::from(max) - i128::from(min)) as u128;
    let dense_limit = (values.len() as u64)
        .saturating_mul(DENSE_SPAN_PER_ROW)
        .max(DENSE_SPAN_MIN);
    let mut codes = Vec::with_capacity(values.len());
    let mut first_rows = Vec::new();
    if span < u128::from(dense_limit) {
        // Why a direct table: at 1M customers numbered 0..1M it is 4 MiB, one indexed load per
        // row instead of a hash probe (the benches/compare_features.py log).
        let mut table = vec![MISSING; span as usize + 1];
        for (row, &v) in values.iter().enumerate() {
            let slot = &mut table[(v as i128 - min as i128) as usize];
            if *slot == MISSING {
                *slot = first_rows.len() as u32;
                first_rows.push(row as u32);
            }
            codes.push(*slot);
        }
    } else {
        let mut index = hashbrown::HashTable::<u32>::new();
        for (row, &v) in values.iter().enumerate() {
            let hash = hash_integer(v);
            let entry = index.entry(
                hash,
                |&c| values[first_rows[c as usize] as usize] == v,
                |&c| hash_integer(values[first_rows[c as usize] as usize]),
            );
            let code = match entry {
                hashbrown::hash_table::Entry::Occupied(e) => *e.get(),
                hashbrown::hash_table::Entry::Vacant(e) => {
                    let code = first_rows.len() as u32;
                    first_rows.push(row as u32);
                    e.insert(code);
                    code
                }
            };
            codes.push(code);
        }
    }
    Ok(Factorized { codes, first_rows })
}

/// A validity bitmap in Arrow's layout: bit `offset + i` (least significant bit first) is set
/// when value `i` is present.
#[derive(Debug, Clone, Copy)]
pub struct Validity<'a> {
    /// The bitmap bytes.
    pub bits: &'a [u8],
    /// Bit position of the first value.
    pub offset: usize,
}

impl Validity<'_> {
    #[inline]
    fn is_valid(&self, i: usize) -> bool {
        let bit = self.offset + i;
        self.bits[bit / 8] & (1 << (bit % 8)) != 0
    }
}

/// One Arrow string array (a chunk of a column), borrowed from its buffers.
#[derive(Debug, Clone)]
pub enum TextChunk<'a> {
    /// `utf8`: value `i` is `data[offsets[i]..offsets[i + 1]]` (`offsets` holds `len + 1`
    /// entries, already shifted by the array's offset).
    Offsets32 {
        /// `len + 1` offsets into `data`.
        offsets: &'a [i32],
        /// The bytes.
        data: &'a [u8],
        /// Presence of each value, `None` = all present.
        validity: Option<Validity<'a>>,
    },
    /// `large_utf8`: as [`Offsets32`](Self::Offsets32) with 64-bit offsets.
    Offsets64 {
        /// `len + 1` offsets into `data`.
        offsets: &'a [i64],
        /// The bytes.
        data: &'a [u8],
        /// Presence of each value, `None` = all present.
        validity: Option<Validity<'a>>,
    },
    /// `utf8view`: 16 bytes per value, `len: u32` then either the value inline (up to 12 bytes)
    /// or a 4-byte prefix, `buffer: u32` and `offset: u32` into `buffers`.
    Views {
        /// `16 * len` bytes (already shifted by the array's offset).
        views: &'a [u8],
        /// The data buffers the long values point into.
        buffers: Vec<&'a [u8]>,
        /// Presence of each value, `None` = all present.
        validity: Option<Validity<'a>>,
    },
}

fn bad_buffer(what: String) -> Error {
    Error::invalid_parameter("ids", what, "a well-formed Arrow string array")
}

impl<'a> TextChunk<'a> {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            TextChunk::Offsets32 { offsets, .. } => offsets.len().saturating_sub(1),
            TextChunk::Offsets64 { offsets, .. } => offsets.len().saturating_sub(1),
            TextChunk::Views { views, .. } => views.len() / 16,
        }
    }

    /// `true` without values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn validity(&self) -> Option<Validity<'a>> {
        match self {
            TextChunk::Offsets32 { validity, .. }
            | TextChunk::Offsets64 { validity, .. }
            | TextChunk::Views { validity, .. } => *validity,
        }
    }

    /// Checks every offset and view against its buffer, so [`value`](Self::value) never reads
    /// out of bounds.
    fn check(&self) -> Result<()> {
        let n = self.len();
        if let Some(v) = self.validity() {
            if v.bits.len().saturating_mul(8) < v.offset.saturating_add(n) {
                return Err(bad_buffer(format!(
                    "a validity bitmap of {} bytes for {n} values at bit {}",
                    v.bits.len(),
                    v.offset
                )));
            }
        }
        fn monotone<T: Copy + PartialOrd + TryInto<usize>>(offsets: &[T], data: usize) -> bool {
            let in_data = |o: T| o.try_into().is_ok_and(|o: usize| o <= data);
            offsets.windows(2).all(|w| w[0] <= w[1])
                && offsets.first().is_none_or(|&o| in_data(o))
                && offsets.last().is_none_or(|&o| in_data(o))
        }
        let ok = match self {
            TextChunk::Offsets32 { offsets, data, .. } => monotone(offsets, data.len()),
            TextChunk::Offsets64 { offsets, data, .. } => monotone(offsets, data.len()),
            TextChunk::Views { views, buffers, .. } => {
                views.len() % 16 == 0
                    && views.chunks_exact(16).all(|view| {
                        let word = |i: usize| {
                            u32::from_le_bytes([view[i], view[i + 1], view[i + 2], view[i + 3]])
                                as usize
                        };
                        let len = word(0);
                        len <= 12
                            || buffers
                                .get(word(8))
                                .is_some_and(|b| word(12).saturating_add(len) <= b.len())
                    })
            }
        };
        if ok {
            Ok(())
        } else {
            Err(bad_buffer(format!(
                "a string array of {n} values whose offsets leave its data"
            )))
        }
    }

    /// Bytes of value `i`, `None` when missing. Only after [`check`](Self::check).
    #[inline]
    fn value(&self, i: usize) -> Option<&'a [u8]> {
        if let Some(v) = self.validity() {
            if !v.is_valid(i) {
                return None;
            }
        }
        Some(match self {
            TextChunk::Offsets32 { offsets, data, .. } => {
                &data[offsets[i] as usize..offsets[i + 1] as usize]
            }
            TextChunk::Offsets64 { offsets, data, .. } => {
                &data[offsets[i] as usize..offsets[i + 1] as usize]
            }
            TextChunk::Views { views, buffers, .. } => {
                let view: &'a [u8] = &views[16 * i..16 * i + 16];
                let word = |k: usize| {
                    u32::from_le_bytes([view[k], view[k + 1], view[k + 2], view[k + 3]]) as usize
                };
                let len = word(0);
                if len <= 12 {
                    &view[4..4 + len]
                } else {
                    let start = word(12);
                    &buffers[word(8)][start..start + len]
                }
            }
        })
    }
}

/// Rows hashed per block; the next block is hashed while this one is inserted.
const TEXT_BLOCK_ROWS: usize = 1 << 15;

/// Codes of text ids read from Arrow string arrays (the chunks of one column, in order), and the
/// distinct values as strings (in code order). Missing values get [`MISSING`].
///
/// Fails, naming the problem, on offsets or views outside their buffers and on a distinct value
/// that is not UTF-8.
///
/// ```
/// use segcore::data::{factorize_text, TextChunk};
/// let data = b"C2C10C2";
/// let chunk = TextChunk::Offsets32 { offsets: &[0, 2, 5, 7], data, validity: None };
/// let (f, uniques) = factorize_text(&[chunk])?;
/// assert_eq!(f.codes, [0, 1, 0]);
/// assert_eq!(uniques, ["C2", "C10"]);
/// # Ok::<(), segcore::Error>(())
/// ```
pub fn factorize_text(chunks: &[TextChunk<'_>]) -> Result<(Factorized, Vec<String>)> {
    let n: usize = chunks.iter().map(TextChunk::len).sum();
    check_rows(n)?;
    for chunk in chunks {
        chunk.check()?;
    }
    // (chunk, value) of every row, chunk by chunk.
    let starts: Vec<usize> = chunks
        .iter()
        .scan(0, |start, c| {
            let s = *start;
            *start += c.len();
            Some(s)
        })
        .collect();
    let value_of_row = |row: usize| -> Option<&[u8]> {
        let chunk = starts.partition_point(|&s| s <= row) - 1;
        chunks[chunk].value(row - starts[chunk])
    };
    let mut codes = Vec::with_capacity(n);
    let mut first_rows: Vec<u32> = Vec::new();
    let mut index = hashbrown::HashTable::<u32>::new();
    let mut unique_hashes: Vec<u64> = Vec::new();
    for (c, chunk) in chunks.iter().enumerate() {
        let len = chunk.len();
        let hash_block = |start: usize, out: &mut Vec<u64>| {
            out.clear();
            out.extend(
                (start..(start + TEXT_BLOCK_ROWS).min(len))
                    .map(|i| chunk.value(i).map_or(0, hash_bytes)),
            );
        };
        let (mut current, mut next) = (Vec::new(), Vec::new());
        hash_block(0, &mut current);
        let mut start = 0;
        while start < len {
            let following = start + TEXT_BLOCK_ROWS;
            rayon::join(
                || {
                    if following < len {
                        hash_block(following, &mut next);
                    }
                },
                || {
                    for (i, &hash) in current.iter().enumerate() {
                        let Some(value) = chunk.value(start + i) else {
                            codes.push(MISSING);
                            continue;
                        };
                        let row = starts[c] + start + i;
                        let entry = index.entry(
                            hash,
                            |&k| value_of_row(first_rows[k as usize] as usize) == Some(value),
                            |&k| unique_hashes[k as usize],
                        );
                        let code = match entry {
                            hashbrown::hash_table::Entry::Occupied(e) => *e.get(),
                            hashbrown::hash_table::Entry::Vacant(e) => {
                                let code = first_rows.len() as u32;
                                first_rows.push(row as u32);
                                unique_hashes.push(hash);
                                e.insert(code);
                                code
                            }
                        };
                        codes.push(code);
                    }
                },
            );
            std::mem::swap(&mut current, &mut next);
            start = following;
        }
    }
    drop(index);
    let uniques = first_rows
        .iter()
        .map(|&row| {
            let bytes = value_of_row(row as usize).unwrap_or_default();
            String::from_utf8(bytes.to_vec()).map_err(|_| {
                Error::invalid_parameter(
                    "ids",
                    format!("row {row}: a value that is not UTF-8"),
                    "UTF-8 text",
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((Factorized { codes, first_rows }, uniques))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// pandas.factorize's contract, written the slow way.
    fn reference<T: PartialEq + Clone>(values: &[Option<T>]) -> (Vec<u32>, Vec<u32>) {
        let mut seen: Vec<T> = Vec::new();
        let mut first = Vec::new();
        let codes = values
            .iter()
            .enumerate()
            .map(|(row, v)| match v {
                None => MISSING,
                Some(v) => match seen.iter().position(|s| s == v) {
                    Some(c) => c as u32,
                    None => {
                        seen.push(v.clone());
                        first.push(row as u32);
                        (seen.len() - 1) as u32
                    }
                },
            })
            .collect();
        (codes, first)
    }

    #[test]
    fn integers_dense_and_sparse_agree_with_the_reference() {
        let dense: Vec<i64> = (0..5000).map(|i| (i * 7919) % 613).collect();
        let sparse: Vec<i64> = dense.iter().map(|&v| v * 1_000_000_007 - 3).collect();
        let extreme = vec![i64::MIN, i64::MAX, 0, i64::MIN, -1, i64::MAX];
        for values in [dense, sparse, extreme, vec![]] {
            let f = factorize_integers(&values).unwrap();
            let wrapped: Vec<Option<i64>> = values.iter().copied().map(Some).collect();
            assert_eq!((f.codes, f.first_rows), reference(&wrapped));
        }
    }

    fn offsets_of(values: &[Option<&str>]) -> (Vec<i64>, Vec<u8>, Vec<u8>) {
        let (mut offsets, mut data, mut bits) =
            (vec![0i64], Vec::new(), vec![0u8; values.len() / 8 + 1]);
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                data.extend_from_slice(v.as_bytes());
                bits[i / 8] |= 1 << (i % 8);
            }
            offsets.push(data.len() as i64);
        }
        (offsets, data, bits)
    }

    fn views_of(values: &[&str]) -> (Vec<u8>, Vec<u8>) {
        let (mut views, mut data) = (Vec::new(), Vec::new());
        for v in values {
            let bytes = v.as_bytes();
            let mut view = [0u8; 16];
            view[..4].copy_from_slice(&(bytes.len() as u32).to_le_bytes());
            if bytes.len() <= 12 {
                view[4..4 + bytes.len()].copy_from_slice(bytes);
            } else {
                view[4..8].copy_from_slice(&bytes[..4]);
                view[12..].copy_from_slice(&(data.len() as u32).to_le_bytes());
                data.extend_from_slice(bytes);
            }
            views.extend_from_slice(&view);
        }
        (views, data)
    }

    #[test]
    fn text_in_every_layout_agrees_with_the_reference() {
        let words: Vec<String> = (0..3 * TEXT_BLOCK_ROWS + 5)
            .map(|i| format!("customer-{}", (i * 7919) % 1013))
            .collect();
        let mut values: Vec<Option<&str>> = words.iter().map(|w| Some(w.as_str())).collect();
        values[17] = None;
        values[TEXT_BLOCK_ROWS + 1] = None;
        values[4] = Some("");
        values[5] = Some("a much longer id than twelve bytes");
        let (codes, first) = reference(&values);
        let expected_uniques: Vec<String> = first
            .iter()
            .map(|&r| values[r as usize].unwrap().to_string())
            .collect();

        let (offsets, data, bits) = offsets_of(&values);
        let validity = Some(Validity {
            bits: &bits,
            offset: 0,
        });
        let large = TextChunk::Offsets64 {
            offsets: &offsets,
            data: &data,
            validity,
        };
        let (f, uniques) = factorize_text(&[large]).unwrap();
        assert_eq!(
            (&f.codes, &f.first_rows, &uniques),
            (&codes, &first, &expected_uniques)
        );

        // Two chunks, 32-bit offsets, the second with a shifted validity bitmap.
        let split = 1000;
        let offsets32: Vec<i32> = offsets.iter().map(|&o| o as i32).collect();
        let head = TextChunk::Offsets32 {
            offsets: &offsets32[..=split],
            data: &data,
            validity: Some(Validity {
                bits: &bits,
                offset: 0,
            }),
        };
        let tail = TextChunk::Offsets32 {
            offsets: &offsets32[split..],
            data: &data,
            validity: Some(Validity {
                bits: &bits,
                offset: split,
            }),
        };
        let (f2, uniques2) = factorize_text(&[head, tail]).unwrap();
        assert_eq!((&f2.codes, &uniques2), (&codes, &expected_uniques));

        // Views, without missing values.
        let present: Vec<&str> = values.iter().map(|v| v.unwrap_or("<none>")).collect();
        let (codes3, first3) = reference(&present.iter().map(|&v| Some(v)).collect::<Vec<_>>());
        let (views, long) = views_of(&present);
        let chunk = TextChunk::Views {
            views: &views,
            buffers: vec![&long],
            validity: None,
        };
        let (f3, uniques3) = factorize_text(&[chunk]).unwrap();
        assert_eq!((f3.codes, f3.first_rows), (codes3, first3));
        assert_eq!(uniques3[0], present[0]);
    }

    #[test]
    fn malformed_buffers_are_errors_not_panics() {
        let data = b"abc";
        let past_end = TextChunk::Offsets32 {
            offsets: &[0, 2, 9],
            data,
            validity: None,
        };
        assert!(factorize_text(&[past_end]).is_err());
        let backwards = TextChunk::Offsets64 {
            offsets: &[0, 2, 1],
            data,
            validity: None,
        };
        assert!(factorize_text(&[backwards]).is_err());
        let short_bits = TextChunk::Offsets32 {
            offsets: &[0, 1, 2, 3],
            data,
            validity: Some(Validity {
                bits: &[0xff],
                offset: 6,
            }),
        };
        assert!(factorize_text(&[short_bits]).is_err());
        let mut view = [0u8; 16];
        view[..4].copy_from_slice(&20u32.to_le_bytes());
        let dangling = TextChunk::Views {
            views: &view,
            buffers: vec![data],
            validity: None,
        };
        assert!(factorize_text(&[dangling]).is_err());
        let not_utf8 = TextChunk::Offsets32 {
            offsets: &[0, 2],
            data: &[0xff, 0xfe],
            validity: None,
        };
        assert!(factorize_text(&[not_utf8]).is_err());
    }
}
