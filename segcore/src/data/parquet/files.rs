//! Which files a set of Parquet files is, in which order, and how they split into blocks: what
//! `segcore.dask.read_parquet` plans on the client before any row is read.
//!
//! A path is a file, a folder (its files, not its subfolders and not the names starting with
//! `_` or `.`, which the writers leave beside the data: `_metadata`, `_SUCCESS`, `.crc`), or a
//! shell pattern (`*`, `?`, `[...]`, `[!...]` per path component; `*` and `?` never match a
//! leading `.`). The files come in natural order of their paths (`part-2` before `part-10`:
//! runs of digits compare as numbers), the order the Dask readers use.

use super::rows::ParquetRowsLayout;
use crate::error::{Error, Result};
use std::cmp::Ordering;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

/// The files of `path` in natural order (empty when a folder has no files or a pattern matches
/// nothing; a plain path is taken as a file, checked when it is read).
pub fn parquet_files(path: &Path) -> Result<Vec<PathBuf>> {
    let text = path.to_string_lossy();
    let mut files = if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|source| Error::Io {
            path: text.to_string(),
            source,
        })?;
        entries
            .filter_map(|entry| entry.ok())
            .filter(|entry| !entry.file_name().to_string_lossy().starts_with(['_', '.']))
            .map(|entry| path.join(entry.file_name()))
            .filter(|file| file.is_file())
            .collect()
    } else if text.contains(['*', '?', '[']) {
        glob(path)
    } else {
        vec![path.to_path_buf()]
    };
    natural_order(&mut files);
    Ok(files)
}

/// Sorts `paths` in natural order of their text (stable: equal keys keep their order).
pub fn natural_order(paths: &mut [PathBuf]) {
    paths.sort_by(|a, b| natural_cmp(&a.to_string_lossy(), &b.to_string_lossy()));
}

/// Compares two texts split into runs of digits and the text between them: runs of digits as
/// numbers (`01` equals `1`), the rest as text, the shorter split first when one is the start
/// of the other.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (runs(a), runs(b));
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        let order = if i % 2 == 1 {
            let (x, y) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
            x.len().cmp(&y.len()).then_with(|| x.cmp(y))
        } else {
            x.cmp(y)
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

/// `text` split around its runs of ASCII digits: text, digits, text, ... (always starting and
/// ending with a text, maybe empty).
fn runs(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut digits) = (0, false);
    for (i, c) in text.char_indices() {
        if c.is_ascii_digit() != digits {
            parts.push(&text[start..i]);
            (start, digits) = (i, !digits);
        }
    }
    parts.push(&text[start..]);
    if digits {
        parts.push("");
    }
    parts
}

/// The paths matching the shell pattern `pattern`, component by component.
fn glob(pattern: &Path) -> Vec<PathBuf> {
    let mut found = vec![PathBuf::new()];
    for component in pattern.components() {
        let Component::Normal(name) = component else {
            found.iter_mut().for_each(|p| p.push(component));
            continue;
        };
        let name = name.to_string_lossy();
        if !name.contains(['*', '?', '[']) {
            found.iter_mut().for_each(|p| p.push(&*name));
            continue;
        }
        let pattern: Vec<char> = name.chars().collect();
        let mut next = Vec::new();
        for base in &found {
            let folder = if base.as_os_str().is_empty() {
                Path::new(".")
            } else {
                base
            };
            let Ok(entries) = std::fs::read_dir(folder) else {
                continue;
            };
            for entry in entries.filter_map(|e| e.ok()) {
                let entry = entry.file_name().to_string_lossy().to_string();
                let hidden = entry.starts_with('.') && pattern[0] != '.';
                if !hidden && matches(&pattern, &entry.chars().collect::<Vec<_>>()) {
                    next.push(base.join(entry));
                }
            }
        }
        found = next;
    }
    found.retain(|p| std::fs::symlink_metadata(p).is_ok());
    found
}

/// Whether `name` matches `pattern` (`*`: any run, `?`: any character, `[...]`/`[!...]`: a set
/// with ranges `a-z`; a `[` without its `]` is itself).
fn matches(pattern: &[char], name: &[char]) -> bool {
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        let step = match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
                continue;
            }
            Some('?') => Some(1),
            Some('[') => match set(&pattern[p..]) {
                Some((chars, negated, len)) => (member(chars, name[n]) != negated).then_some(len),
                None => (name[n] == '[').then_some(1),
            },
            Some(&c) => (c == name[n]).then_some(1),
            None => None,
        };
        match (step, star) {
            (Some(len), _) => (p, n) = (p + len, n + 1),
            (None, Some((star_p, star_n))) => {
                star = Some((star_p, star_n + 1));
                (p, n) = (star_p + 1, star_n + 1);
            }
            (None, None) => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// The set opening `pattern` (at its `[`): its characters, whether negated (`[!`), and its length
/// with the brackets; None without a closing `]` (a `]` right after `[` or `[!` is a member).
fn set(pattern: &[char]) -> Option<(&[char], bool, usize)> {
    let negated = pattern.get(1) == Some(&'!');
    let first = if negated { 2 } else { 1 };
    let start = first + usize::from(pattern.get(first) == Some(&']'));
    let close = start + pattern.get(start..)?.iter().position(|&c| c == ']')?;
    Some((&pattern[first..close], negated, close + 1))
}

fn member(set: &[char], c: char) -> bool {
    let mut i = 0;
    while i < set.len() {
        if i + 2 < set.len() && set[i + 1] == '-' {
            if (set[i]..=set[i + 2]).contains(&c) {
                return true;
            }
            i += 3;
        } else {
            if set[i] == c {
                return true;
            }
            i += 1;
        }
    }
    false
}

/// One block of rows: the rows of file number `file` (of the layout's files), all of its row
/// groups or `row_groups`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetRowsBlock {
    /// The file, by its position in the files of the layout.
    pub file: usize,
    /// The row groups read (all when None).
    pub row_groups: Option<Range<usize>>,
    /// Rows of the block.
    pub rows: u64,
}

impl ParquetRowsLayout {
    /// The blocks of the files: one per file, or one per row group with `split_row_groups` (a
    /// file without row groups is one empty block either way).
    pub fn blocks(&self, split_row_groups: bool) -> Vec<ParquetRowsBlock> {
        let mut blocks = Vec::new();
        for (file, groups) in self.row_groups.iter().enumerate() {
            if split_row_groups && !groups.is_empty() {
                blocks.extend(
                    groups
                        .iter()
                        .enumerate()
                        .map(|(g, &rows)| ParquetRowsBlock {
                            file,
                            row_groups: Some(g..g + 1),
                            rows,
                        }),
                );
            } else {
                let rows = groups.iter().sum();
                blocks.push(ParquetRowsBlock {
                    file,
                    row_groups: None,
                    rows,
                });
            }
        }
        blocks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, name: &str) -> bool {
        matches(
            &pattern.chars().collect::<Vec<_>>(),
            &name.chars().collect::<Vec<_>>(),
        )
    }

    #[test]
    fn patterns_match_as_the_shell_does() {
        assert!(m("part-*.parquet", "part-10.parquet"));
        assert!(m("*", "") && m("a*b*c", "aXbYbc") && !m("a*b", "ab_"));
        assert!(m("p?rt", "part") && !m("p?rt", "prt"));
        assert!(m("[ab]1", "b1") && !m("[ab]1", "c1") && m("[!ab]1", "c1") && !m("[!ab]1", "a1"));
        assert!(m("[a-c]", "b") && !m("[a-c]", "d") && m("[-a]", "-") && m("[a-]", "-"));
        assert!(m("[]]", "]") && m("[!]]", "x") && !m("[!]]", "]"));
        assert!(m("x[", "x[") && m("[x", "[x") && !m("[x", "x"));
    }

    #[test]
    fn natural_order_compares_runs_of_digits_as_numbers() {
        let mut paths: Vec<PathBuf> = [
            "d/part-10",
            "d/part-2",
            "d/part-1a",
            "d/part-01",
            "d/part-",
            "d/b",
            "d/a9",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        natural_order(&mut paths);
        let got: Vec<_> = paths
            .iter()
            .map(|p| p.to_string_lossy().to_string())
            .collect();
        assert_eq!(
            got,
            [
                "d/a9",
                "d/b",
                "d/part-",
                "d/part-01",
                "d/part-1a",
                "d/part-2",
                "d/part-10"
            ]
        );
        assert_eq!(runs("a1b22"), ["a", "1", "b", "22", ""]);
        assert_eq!(runs("7"), ["", "7", ""]);
        assert_eq!(natural_cmp("x01", "x1"), Ordering::Equal);
    }

    #[test]
    fn folders_patterns_and_files() {
        let dir =
            std::env::temp_dir().join(format!("segcore-parquet-files-{}", std::process::id()));
        let sub = dir.join("sub");
        std::fs::create_dir_all(&sub).unwrap();
        for name in [
            "part-10.parquet",
            "part-2.parquet",
            "_SUCCESS",
            ".part-2.crc",
            "_metadata",
        ] {
            std::fs::write(dir.join(name), b"").unwrap();
        }
        std::fs::write(sub.join("part-0.parquet"), b"").unwrap();
        let names = |files: Vec<PathBuf>| -> Vec<String> {
            files
                .iter()
                .map(|f| f.strip_prefix(&dir).unwrap().to_string_lossy().to_string())
                .collect()
        };
        assert_eq!(
            names(parquet_files(&dir).unwrap()),
            ["part-2.parquet", "part-10.parquet"]
        );
        assert_eq!(
            names(parquet_files(&dir.join("*")).unwrap()),
            [
                "_SUCCESS",
                "_metadata",
                "part-2.parquet",
                "part-10.parquet",
                "sub"
            ]
        );
        assert_eq!(
            names(parquet_files(&dir.join(".*")).unwrap()),
            [".part-2.crc"]
        );
        assert_eq!(
            names(parquet_files(&dir.join("*").join("part-?.parquet")).unwrap()),
            ["sub/part-0.parquet"]
        );
        assert!(parquet_files(&dir.join("nothing-*.parquet"))
            .unwrap()
            .is_empty());
        let missing = dir.join("missing.parquet");
        assert_eq!(parquet_files(&missing).unwrap(), [missing]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn blocks_are_files_or_row_groups() {
        let layout = ParquetRowsLayout {
            columns: vec!["a".into()],
            float32: false,
            row_groups: vec![vec![3, 4], vec![], vec![5]],
        };
        let block = |file, row_groups, rows| ParquetRowsBlock {
            file,
            row_groups,
            rows,
        };
        assert_eq!(
            layout.blocks(false),
            [block(0, None, 7), block(1, None, 0), block(2, None, 5)]
        );
        assert_eq!(
            layout.blocks(true),
            [
                block(0, Some(0..1), 3),
                block(0, Some(1..2), 4),
                block(1, None, 0),
                block(2, Some(0..1), 5)
            ]
        );
    }
}
