//! Finding and reading inputs: files, folders (every `*.yaml`/`*.yml`
//! below), and standard input (`-`).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::source::SourceFile;

/// Something the user named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

impl Input {
    pub fn display_name(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Stdin => "<stdin>".to_string(),
        }
    }
}

/// Reading inputs failed in a way that stops the run (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{path}: no such file or directory")]
    NotFound { path: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: no *.yaml or *.yml files in this directory")]
    EmptyDirectory { path: String },
    #[error("{path}: the file is larger than {limit} MiB, more than any rule file firedrill reads (the biggest public ones are about 1 MB); split it into several files")]
    TooLarge { path: String, limit: u64 },
    #[error("{files} files hold {total_mib} MiB of rules, more than the {limit} MiB firedrill reads in one run (all public rule files together are about 2 MB); lint them in parts")]
    TooMuch {
        files: usize,
        total_mib: u64,
        limit: u64,
    },
}

/// Files larger than this are refused before reading. Real rule files are
/// KBs (kube-prometheus' biggest is 87 KB; promtool's stress test 1.1 MB);
/// linting costs about 0.25 s and 55 MB of memory per MB of rules, so the
/// limit bounds both (about 2 s and 450 MB at worst).
pub const MAX_FILE_MIB: u64 = 8;

/// All files of one run together: bounds memory (about 3.5 GB at 55 MB per
/// MB) when many files each stay under the per-file limit.
pub const MAX_TOTAL_MIB: u64 = 64;

/// Refuses a set of files larger than [`MAX_TOTAL_MIB`] together, from their
/// sizes, before any is read. (Standard input is bounded by its own limit.)
pub fn check_total(inputs: &[Input]) -> Result<(), InputError> {
    let mut total = 0u64;
    for input in inputs {
        if let Input::File(path) = input {
            // A file that cannot be stat'ed is reported when it is read.
            let len = fs::metadata(path).map_or(0, |m| m.len());
            // One file past its own limit is named as such.
            if len > MAX_FILE_MIB * 1024 * 1024 {
                return Err(InputError::TooLarge {
                    path: input.display_name(),
                    limit: MAX_FILE_MIB,
                });
            }
            total = total.saturating_add(len);
        }
    }
    if total > MAX_TOTAL_MIB * 1024 * 1024 {
        return Err(InputError::TooMuch {
            files: inputs.len(),
            total_mib: total / (1024 * 1024),
            limit: MAX_TOTAL_MIB,
        });
    }
    Ok(())
}

/// Expands paths into inputs. Folders are walked in sorted order; hidden
/// folders (`.git`) are skipped. A file named directly is read whatever its
/// extension.
pub fn expand(paths: &[String]) -> Result<Vec<Input>, InputError> {
    let mut out = Vec::new();
    for raw in paths {
        if raw == "-" {
            out.push(Input::Stdin);
            continue;
        }
        let path = Path::new(raw);
        let meta = fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => InputError::NotFound { path: raw.clone() },
            _ => InputError::Io {
                path: raw.clone(),
                source: e,
            },
        })?;
        if meta.is_dir() {
            let before = out.len();
            walk(path, &mut out)?;
            if out.len() == before {
                return Err(InputError::EmptyDirectory { path: raw.clone() });
            }
        } else {
            out.push(Input::File(path.to_path_buf()));
        }
    }
    Ok(out)
}

/// Leaves out the files at or under `excluded` (files or folders, compared
/// by their real path).
pub fn exclude(inputs: &mut Vec<Input>, excluded: &[String]) {
    if excluded.is_empty() {
        return;
    }
    let real = |p: &Path| fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let excluded: Vec<PathBuf> = excluded.iter().map(|e| real(Path::new(e))).collect();
    inputs.retain(|i| match i {
        Input::File(p) => {
            let p = real(p);
            !excluded.iter().any(|e| p.starts_with(e))
        }
        Input::Stdin => true,
    });
}

/// Adds the files under `context` that `inputs` does not already name (the
/// same file under another spelling counts as named); returns the added
/// files' display names.
pub fn add_context(
    inputs: &mut Vec<Input>,
    context: &[String],
) -> Result<std::collections::BTreeSet<String>, InputError> {
    let mut added = std::collections::BTreeSet::new();
    if context.is_empty() {
        return Ok(added);
    }
    let identity = |p: &Path| fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut named: std::collections::HashSet<PathBuf> = inputs
        .iter()
        .filter_map(|i| match i {
            Input::File(p) => Some(identity(p)),
            Input::Stdin => None,
        })
        .collect();
    for extra in expand(context)? {
        if let Input::File(p) = &extra {
            if named.insert(identity(p)) {
                added.insert(extra.display_name());
                inputs.push(extra);
            }
        }
    }
    Ok(added)
}

fn walk(dir: &Path, out: &mut Vec<Input>) -> Result<(), InputError> {
    let io = |e| InputError::Io {
        path: dir.display().to_string(),
        source: e,
    };
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(io)?
        .collect::<Result<_, _>>()
        .map_err(io)?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let file_type = entry.file_type().map_err(io)?;
        if file_type.is_dir() {
            if !name.starts_with('.') {
                walk(&path, out)?;
            }
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            out.push(Input::File(path));
        }
    }
    Ok(())
}

/// The bytes of an input as a source, or where its UTF-8 stops being valid.
pub struct ReadInput {
    pub source: Arc<SourceFile>,
    /// `Some(offset)` when the bytes are not UTF-8 (the text is then lossy).
    pub invalid_utf8_at: Option<usize>,
}

pub fn read(input: &Input) -> Result<ReadInput, InputError> {
    let name = input.display_name();
    let bytes = match input {
        Input::Stdin => {
            let mut buf = Vec::new();
            std::io::stdin()
                .lock()
                .take(MAX_FILE_MIB * 1024 * 1024 + 1)
                .read_to_end(&mut buf)
                .map_err(|e| InputError::Io {
                    path: name.clone(),
                    source: e,
                })?;
            buf
        }
        Input::File(path) => {
            let io = |e| InputError::Io {
                path: name.clone(),
                source: e,
            };
            let len = fs::metadata(path).map_err(io)?.len();
            if len > MAX_FILE_MIB * 1024 * 1024 {
                return Err(InputError::TooLarge {
                    path: name,
                    limit: MAX_FILE_MIB,
                });
            }
            fs::read(path).map_err(io)?
        }
    };
    if bytes.len() as u64 > MAX_FILE_MIB * 1024 * 1024 {
        return Err(InputError::TooLarge {
            path: name,
            limit: MAX_FILE_MIB,
        });
    }
    Ok(from_bytes(name, bytes))
}

/// Wraps bytes as a source (used for stdin, files and tests).
pub fn from_bytes(name: String, bytes: Vec<u8>) -> ReadInput {
    match String::from_utf8(bytes) {
        Ok(text) => ReadInput {
            source: Arc::new(SourceFile::new(name, text)),
            invalid_utf8_at: None,
        },
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            // Lossy decoding keeps the valid prefix byte for byte, so `at`
            // still points at the first bad byte.
            ReadInput {
                source: Arc::new(SourceFile::new(name, text)),
                invalid_utf8_at: Some(at),
            }
        }
    }
}
