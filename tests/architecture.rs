//! The shape of the crate: data flows one way, and a lower layer never imports a higher one.
//!
//! [`LAYERS`] is the one place the order is written. The test reads every source file of the
//! core, takes the top-level module each `crate::<module>` path in its code names (comments and
//! the `#[cfg(test)]` module at the bottom of a file are left out: unit tests may build fixtures
//! from any layer), and fails naming the file, the line and both layers when a module reaches up.

use std::path::{Path, PathBuf};

/// Top-level modules of `segcore/src`, lowest layer first; modules on one line are one layer and
/// do not import each other.
const LAYERS: &[&[&str]] = &[
    &["error", "simd", "numeric", "testing"],
    &["validation", "persist", "cancel"],
    &["data"],
    &["preprocessing"],
    &["features", "datasets"],
    &["reduce"],
    &["cluster"],
    &["select", "partial"],
    &["profile"],
    &["clv"],
    &["segmenter"],
    &["serve"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("segcore/src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code lines of a file (number, text) without comments and without its test module.
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let mut previous_was_cfg_test = false;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if previous_was_cfg_test && trimmed.starts_with("mod ") {
            break;
        }
        previous_was_cfg_test = trimmed == "#[cfg(test)]";
        if trimmed.starts_with("//") {
            continue;
        }
        let code = line.split("//").next().unwrap_or_default();
        lines.push((i + 1, code));
    }
    lines
}

/// Every `crate::<name>` on a line, also inside `use crate::{a, b::c}` groups.
fn crate_modules(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or_default();
            for item in inner.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push(name);
            }
        } else {
            found.push(
                rest.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    found
}

#[test]
fn no_layer_imports_a_higher_one() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut unlisted = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src");
        let first = relative.components().next().expect("a path");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if module == "lib" {
            continue;
        }
        let Some(own) = layer_of(&module) else {
            unlisted.push(module);
            continue;
        };
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for (number, line) in code_lines(&text) {
            for imported in crate_modules(line) {
                if imported == module || ["Error", "Result", "Float"].contains(&imported.as_str()) {
                    continue;
                }
                match layer_of(&imported) {
                    Some(layer) if layer < own => {}
                    Some(layer) => violations.push(format!(
                        "{}:{number}: {module} (layer {own}) imports {imported} (layer {layer})",
                        relative.display()
                    )),
                    None => unlisted.push(imported),
                }
            }
        }
    }
    unlisted.sort();
    unlisted.dedup();
    assert!(
        unlisted.is_empty(),
        "modules missing from LAYERS in tests/architecture.rs: {unlisted:?}"
    );
    assert!(
        violations.is_empty(),
        "imports that run up the layers:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_reader_sees_groups_and_skips_comments_and_tests() {
    assert_eq!(
        crate_modules("use crate::{data::Table, error::Result};"),
        ["data", "error"]
    );
    assert_eq!(
        crate_modules("let x = crate::cluster::kmeans::f();"),
        ["cluster"]
    );
    let text =
        "use crate::data;\n// crate::serve\n#[cfg(test)]\nmod tests {\n use crate::serve;\n}";
    let lines = code_lines(text);
    assert_eq!(lines.len(), 2);
    assert_eq!(crate_modules(lines[0].1), ["data"]);
}
