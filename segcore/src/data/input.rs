//! Files as exports come: plain, gzip- or zstd-compressed CSV recognised by their first bytes
//! (never by the file name), and the field delimiter (`,` `;` tab `|`) read off the header line.
//!
//! Invariant: what is read is the file's own bytes, decompressed as a stream (memory does not
//! grow with the file; the CSV reader's line bound still applies to the decompressed text).
//! Parquet files are recognised too: the table readers decode them ([`parquet`](super::parquet)),
//! [`read_header`] gives their column names; as a text stream ([`open_input`]) they are refused.
//! Excel workbooks are refused with a message that says how to convert them, instead of a parse
//! error on binary bytes.

use crate::error::{Error, Result};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// The container of an input file, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// Plain text (CSV or another delimited text).
    Text,
    /// gzip (`1f 8b`), e.g. `.csv.gz`.
    Gzip,
    /// Zstandard (`28 b5 2f fd`), e.g. `.csv.zst`.
    Zstd,
    /// Apache Parquet (`PAR1`).
    Parquet,
    /// A zip container (`PK 03 04`): Excel `.xlsx` or a zipped CSV.
    Zip,
}

impl InputFormat {
    /// The format of a file starting with `head` (at least 4 bytes where there are).
    pub fn detect(head: &[u8]) -> InputFormat {
        match head {
            [0x1f, 0x8b, ..] => InputFormat::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => InputFormat::Zstd,
            [b'P', b'A', b'R', b'1', ..] => InputFormat::Parquet,
            [b'P', b'K', 0x03, 0x04, ..] => InputFormat::Zip,
            _ => InputFormat::Text,
        }
    }
}

/// The format of the file at `path`, from its first bytes ([`InputFormat::Text`] for a folder
/// or an empty file: opening it then says what is wrong).
pub fn input_format(path: &Path) -> Result<InputFormat> {
    if path.is_dir() {
        return Ok(InputFormat::Text);
    }
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let mut head = Vec::with_capacity(4);
    std::fs::File::open(path)
        .map_err(io)?
        .take(4)
        .read_to_end(&mut head)
        .map_err(io)?;
    Ok(InputFormat::detect(&head))
}

/// Opens `path` for reading as text: gzip and zstd are decompressed on the fly; Parquet (read by
/// the table readers, not as text) and zip (Excel) are an error saying what to do. Errors name
/// the file.
///
/// ```
/// use std::io::Read;
/// let dir = std::env::temp_dir().join(format!("segcore-doc-input-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("log.csv");
/// std::fs::write(&path, "customer_id,date,amount\nA,2025-01-02,10\n")?;
/// let mut text = String::new();
/// segcore::data::open_input(&path)?.read_to_string(&mut text)?;
/// assert!(text.starts_with("customer_id"));
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open_input(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    let name = path.display().to_string();
    let io = |source| Error::Io {
        path: name.clone(),
        source,
    };
    if path.is_dir() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "this is a folder; name a file (CSV, .csv.gz or .csv.zst)",
        )));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let head = reader.fill_buf().map_err(io)?;
    Ok(match InputFormat::detect(head) {
        InputFormat::Text => Box::new(reader),
        InputFormat::Gzip => Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(reader),
        )),
        InputFormat::Zstd => {
            let decoder = ruzstd::decoding::StreamingDecoder::new(reader).map_err(|e| {
                io(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("not a readable zstd stream: {e}"),
                ))
            })?;
            Box::new(BufReader::with_capacity(1 << 16, decoder))
        }
        InputFormat::Parquet => return Err(io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "this is a Parquet file, not text: read it as a table (CustomerTable::from_csv_path, \
                 TransactionLog::from_csv_path, segment_csv), or in Python pass \
                 pandas.read_parquet(path) to segcore.Segmenter().fit",
        ))),
        InputFormat::Zip => {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "this is a zip container (an Excel .xlsx workbook or a zipped file); save the \
                 sheet as CSV (or unzip it) and pass the CSV",
            )))
        }
    })
}

/// The field delimiter of a header line: the most frequent of `,` `;` tab `|` outside quotes
/// (`,` when there is none, a one-column file).
///
/// ```
/// use segcore::data::sniff_delimiter;
/// assert_eq!(sniff_delimiter("ID\tYear_Birth\tIncome"), b'\t');
/// assert_eq!(sniff_delimiter("Kundennummer;Datum;Umsatz"), b';');
/// assert_eq!(sniff_delimiter("customer_id,date,amount"), b',');
/// ```
pub fn sniff_delimiter(header_line: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0), (b'|', 0)];
    let mut quoted = false;
    for b in header_line.bytes() {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            for (d, n) in counts.iter_mut() {
                if *d == b {
                    *n += 1;
                }
            }
        }
    }
    // Ties go to the earlier (`,` first): max_by_key keeps the last maximum, so scan reversed.
    counts
        .iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| *n > 0)
        .map_or(b',', |(d, _)| *d)
}

/// Longest header line [`read_header`] looks at (1 MiB).
const MAX_HEADER_BYTES: u64 = 1 << 20;

/// The header of a delimited text file (compressed or not): its delimiter and its column names,
/// trimmed; of a Parquet file, its column names (and `,`). Errors name the file.
pub fn read_header(path: &Path) -> Result<(u8, Vec<String>)> {
    if input_format(path)? == InputFormat::Parquet {
        return Ok((b',', super::parquet::parquet_names(path)?));
    }
    let name = path.display().to_string();
    let mut line = String::new();
    open_input(path)?
        .take(MAX_HEADER_BYTES)
        .read_line(&mut line)
        .map_err(|source| Error::Io {
            path: name.clone(),
            source,
        })?;
    let line = line
        .trim_start_matches('\u{feff}')
        .trim_end_matches(['\r', '\n']);
    if line.trim().is_empty() {
        return Err(Error::EmptyInput {
            what: format!("{name} has no header line"),
        });
    }
    let delimiter = sniff_delimiter(line);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    let read = reader.read_record(&mut record).map_err(|e| Error::Parse {
        source_name: name.clone(),
        line: 1,
        column: "(header)".into(),
        message: format!("cannot read the header: {e}"),
    })?;
    if !read {
        return Err(Error::EmptyInput {
            what: format!("{name} has no header line"),
        });
    }
    Ok((
        delimiter,
        record.iter().map(|h| h.trim().to_string()).collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn detects_formats_by_magic_bytes() {
        assert_eq!(InputFormat::detect(b"\x1f\x8b\x08\x00"), InputFormat::Gzip);
        assert_eq!(InputFormat::detect(b"\x28\xb5\x2f\xfd"), InputFormat::Zstd);
        assert_eq!(InputFormat::detect(b"PAR1...."), InputFormat::Parquet);
        assert_eq!(InputFormat::detect(b"PK\x03\x04"), InputFormat::Zip);
        assert_eq!(InputFormat::detect(b"id,x"), InputFormat::Text);
        assert_eq!(InputFormat::detect(b""), InputFormat::Text);
    }

    #[test]
    fn reads_gzip_whatever_the_name_and_refuses_parquet_as_text() {
        let dir = std::env::temp_dir().join(format!("segcore-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("log.csv"); // gzip bytes under a plain name
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"Kundennummer;Datum;Umsatz\r\nK1;02.01.2025;10\r\n")
            .unwrap();
        std::fs::write(&path, gz.finish().unwrap()).unwrap();
        let (delimiter, names) = read_header(&path).unwrap();
        assert_eq!(delimiter, b';');
        assert_eq!(names, ["Kundennummer", "Datum", "Umsatz"]);
        let mut text = String::new();
        open_input(&path)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert!(text.ends_with("K1;02.01.2025;10\r\n"));

        let zst = dir.join("log.csv.zst");
        let compressed = ruzstd::encoding::compress_to_vec(
            &b"customer_id\tdate\tamount\nA\t2025-01-02\t10\n"[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        std::fs::write(&zst, compressed).unwrap();
        let (delimiter, names) = read_header(&zst).unwrap();
        assert_eq!((delimiter, names.len()), (b'\t', 3));
        let mut text = String::new();
        open_input(&zst).unwrap().read_to_string(&mut text).unwrap();
        assert!(text.ends_with("A\t2025-01-02\t10\n"), "{text}");

        let parquet = dir.join("log.parquet");
        std::fs::write(&parquet, b"PAR1\x00\x00PAR1").unwrap();
        let err = open_input(&parquet).err().unwrap().to_string();
        assert!(
            err.contains("log.parquet") && err.contains("read_parquet"),
            "{err}"
        );
        assert_eq!(input_format(&parquet).unwrap(), InputFormat::Parquet);
        // A file too short to be Parquet is a typed error naming it, not a panic.
        let err = read_header(&parquet).unwrap_err();
        assert!(
            matches!(&err, Error::UnsupportedInput { source_name, .. } if source_name.ends_with("log.parquet")),
            "{err}"
        );
        let err = open_input(&dir).err().unwrap().to_string();
        assert!(err.contains("folder"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter("a|b|c"), b'|');
        assert_eq!(sniff_delimiter("\"a,b\";c;d"), b';');
        assert_eq!(sniff_delimiter("single"), b',');
    }
}
