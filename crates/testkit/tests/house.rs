//! The house rules of issue 12, checked on the workspace's own sources so that they stay
//! true: no source file under `crates/*/src` over 900 lines, no trait with more than 30
//! methods, no `Row::get` (which panics) in the store crates, and no development tool or demo
//! seeding in the product binary's or the domain's sources. Each test prints the offending
//! files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 900;
const MAX_TRAIT_METHODS: usize = 30;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.rs` file under `dir`, sorted, as (path relative to the workspace, text).
fn rust_files(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let text = fs::read_to_string(&path).unwrap();
                let name = path
                    .strip_prefix(workspace())
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                out.push((name, text));
            }
        }
    }
    out.sort();
    out
}

/// The `src` folder of every crate in `crates/`.
fn crate_sources() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = fs::read_dir(workspace().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("src").is_dir())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, p.join("src"))
        })
        .collect();
    out.sort();
    assert!(
        out.len() > 3,
        "no crates found under {}",
        workspace().display()
    );
    out
}

/// The code with comments blanked and the contents of string and character literals
/// blanked (newlines kept, so line numbers stay), so that only code is searched.
fn code_only(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let keep_lines = |s: &[char], out: &mut String| {
        for ch in s {
            out.push(if *ch == '\n' { '\n' } else { ' ' });
        }
    };
    while i < c.len() {
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            let end = (i..c.len()).find(|&j| c[j] == '\n').unwrap_or(c.len());
            keep_lines(&c[i..end], &mut out);
            i = end;
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            let mut j = i;
            while j < c.len() {
                if c[j] == '/' && c.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if c[j] == '*' && c.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            keep_lines(&c[i..j.min(c.len())], &mut out);
            i = j;
        } else if c[i] == 'r'
            && (c.get(i + 1) == Some(&'"') || c.get(i + 1) == Some(&'#'))
            && (i == 0 || !(c[i - 1].is_alphanumeric() || c[i - 1] == '_'))
        {
            // a raw string r"..." or r#"..."#
            let mut j = i + 1;
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= c.len() {
                    break;
                }
                if c[j] == '"' && (1..=hashes).all(|h| c.get(j + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            out.push_str("\"\"");
            keep_lines(&c[(i + 2).min(j)..j], &mut out);
            i = j;
        } else if c[i] == '"' {
            let mut j = i + 1;
            while j < c.len() && c[j] != '"' {
                j += if c[j] == '\\' { 2 } else { 1 };
            }
            out.push_str("\"\"");
            keep_lines(&c[(i + 1).min(c.len())..j.min(c.len())], &mut out);
            i = j + 1;
        } else if c[i] == '\'' {
            // a character literal ('x', '\n', '\u{..}'); a lifetime is left as it is
            let close = if c.get(i + 1) == Some(&'\\') {
                (i + 2..c.len().min(i + 12)).find(|&j| c[j] == '\'')
            } else if c.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match close {
                Some(j) => {
                    out.push_str("' '");
                    i = j + 1;
                }
                None => {
                    out.push('\'');
                    i += 1;
                }
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn is_ident(ch: char) -> bool {
    ch.is_alphanumeric() || ch == '_'
}

/// Byte offsets where `word` occurs as a whole word.
fn word_at(code: &str, word: &str) -> Vec<usize> {
    code.match_indices(word)
        .filter(|(i, _)| {
            let before = code[..*i].chars().next_back();
            let after = code[i + word.len()..].chars().next();
            !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
        })
        .map(|(i, _)| i)
        .collect()
}

fn line_of(code: &str, offset: usize) -> usize {
    code[..offset].matches('\n').count() + 1
}

/// Every trait defined in `code`: (name, line, methods at the trait's top level).
fn traits(code: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for at in word_at(code, "trait") {
        let rest = &code[at + "trait".len()..];
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| is_ident(*c))
            .collect();
        if name.is_empty() {
            continue;
        }
        let Some(open) = rest.find(['{', ';']) else {
            continue;
        };
        if rest.as_bytes()[open] == b';' {
            continue;
        }
        let body = &rest[open + 1..];
        let mut depth = 1;
        let mut methods = 0;
        for (i, ch) in body.char_indices() {
            match ch {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            if depth == 1
                && body[i..].starts_with("fn")
                && !body[..i].chars().next_back().is_some_and(is_ident)
                && body[i + 2..].starts_with(char::is_whitespace)
            {
                methods += 1;
            }
        }
        out.push((name, line_of(code, at), methods));
    }
    out
}

fn report(what: &str, offenders: &[String]) {
    assert!(
        offenders.is_empty(),
        "{what}:\n  {}",
        offenders.join("\n  ")
    );
}

#[test]
fn no_source_file_is_over_900_lines() {
    let mut offenders = Vec::new();
    for (_, src) in crate_sources() {
        for (path, text) in rust_files(&src) {
            let lines = text.lines().count();
            if lines > MAX_LINES {
                offenders.push(format!("{path}: {lines} lines"));
            }
        }
    }
    report(
        &format!("source files over {MAX_LINES} lines (split them by feature)"),
        &offenders,
    );
}

#[test]
fn no_trait_has_more_than_30_methods() {
    let mut offenders = Vec::new();
    let mut seen = 0;
    for (_, src) in crate_sources() {
        for (path, text) in rust_files(&src) {
            for (name, line, methods) in traits(&code_only(&text)) {
                seen += 1;
                if methods > MAX_TRAIT_METHODS {
                    offenders.push(format!("{path}:{line}: trait {name} has {methods} methods"));
                }
            }
        }
    }
    assert!(seen > 10, "the trait parser found only {seen} traits");
    report(
        &format!("traits with more than {MAX_TRAIT_METHODS} methods (split them by capability)"),
        &offenders,
    );
}

#[test]
fn the_parser_counts_a_traits_own_methods() {
    let code = code_only(
        "pub trait A: Send { fn a(&self); async fn b(&self) -> X { let s = \"fn x\"; 1 }\n\
         // fn commented(&self);\n fn c<T>(t: T) where T: Fn() {} }\n\
         impl A for B { fn a(&self) {} }\ntrait Empty {}\n",
    );
    assert_eq!(
        traits(&code),
        [("A".to_string(), 1, 3), ("Empty".to_string(), 5, 0)]
    );
}

#[test]
fn stores_read_rows_with_try_get() {
    let mut offenders = Vec::new();
    for (name, src) in crate_sources() {
        if !name.starts_with("store-") {
            continue;
        }
        for (path, text) in rust_files(&src) {
            let code = code_only(&text);
            for pattern in ["Row::get", ".get::<", "row.get(", "r.get("] {
                for (at, _) in code.match_indices(pattern) {
                    if pattern == "r.get(" && code[..at].chars().next_back().is_some_and(is_ident) {
                        continue;
                    }
                    offenders.push(format!("{path}:{}: `{pattern}`", line_of(&code, at)));
                }
            }
        }
    }
    report(
        "row reads that panic on a wrong column or type (use `try_get(..).map_err(fail)?`)",
        &offenders,
    );
}

/// Names of modules, files and functions that are development tooling or demo seeding.
fn tooling_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    ["dev", "devtools", "add_client"].contains(&name.as_str())
        || name.starts_with("demo")
        || name.ends_with("_demo")
        || name.starts_with("seed")
        || name.starts_with("generat")
        || name.starts_with("bench")
}

#[test]
fn the_product_binary_and_the_domain_hold_no_tooling_or_demo_seeding() {
    let mut offenders = Vec::new();
    for krate in ["vendepunkt", "domain"] {
        let root = workspace().join("crates").join(krate);
        for (path, text) in rust_files(&root.join("src")) {
            let stem = Path::new(&path).file_stem().unwrap().to_string_lossy();
            let folder = Path::new(&path)
                .parent()
                .and_then(|p| p.file_name())
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            if tooling_name(&stem) || (stem == "mod" && tooling_name(&folder)) {
                offenders.push(format!("{path}: the file's name"));
            }
            let code = code_only(&text);
            for keyword in ["mod", "fn"] {
                for at in word_at(&code, keyword) {
                    let name: String = code[at + keyword.len()..]
                        .trim_start()
                        .chars()
                        .take_while(|c| is_ident(*c))
                        .collect();
                    if tooling_name(&name) {
                        offenders
                            .push(format!("{path}:{}: `{keyword} {name}`", line_of(&code, at)));
                    }
                }
            }
            for word in ["devtools", "bulk"] {
                for at in word_at(&code, word) {
                    offenders.push(format!("{path}:{}: `{word}`", line_of(&code, at)));
                }
            }
            // The domain knows nothing of demo data; the binary may only start `serve --demo`,
            // whose seeding lives in the `demo` crate.
            if krate == "domain" {
                for at in word_at(&code.to_ascii_lowercase(), "demo") {
                    offenders.push(format!("{path}:{}: `demo`", line_of(&code, at)));
                }
            }
        }
        let manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap();
        let dependencies = manifest
            .split("\n[")
            .find(|s| s.starts_with("dependencies]"))
            .unwrap_or("");
        for line in dependencies.lines() {
            let line = line.split('#').next().unwrap_or("");
            let dep = line.split(['=', '.']).next().unwrap_or("").trim();
            if dep == "devtools" || (krate == "domain" && dep == "demo") || line.contains("bulk") {
                offenders.push(format!("crates/{krate}/Cargo.toml: `{}`", line.trim()));
            }
        }
    }
    report(
        "development tools or demo seeding in the product binary or the domain \
         (they belong in crates/devtools, the store crates' `bulk` modules and crates/demo)",
        &offenders,
    );
}
