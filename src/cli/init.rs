//! `firedrill init`: read the rules, write a `.firedrill.toml` of the
//! conventions they show (src/init.rs decides; this reads and writes).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::{input, lint, rules};

use super::{exit, fail};

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Rule files or folders to read (default: the working directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// Where to write the configuration.
    #[arg(long, value_name = "FILE", default_value = ".firedrill.toml")]
    pub output: PathBuf,
    /// Replace an existing configuration file.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: InitArgs, out: &mut dyn Write) -> u8 {
    if args.output.exists() && !args.force {
        return fail(format!(
            "{} exists; `firedrill init --force` replaces it (its settings are not merged)",
            args.output.display()
        ));
    }
    let paths = if args.paths.is_empty() {
        vec![".".to_string()]
    } else {
        args.paths.clone()
    };
    let inputs = match input::expand(&paths) {
        Ok(i) => i,
        Err(e) => return fail(e),
    };
    let set = match lint::load_inputs(&inputs, Default::default()) {
        Ok(set) => set,
        Err(e) => return fail(e),
    };
    let rule_files: Vec<&rules::RuleFile> =
        set.files.iter().filter(|f| f.not_rules.is_none()).collect();
    if rule_files.is_empty()
        || rule_files
            .iter()
            .all(|f| f.documents.iter().all(|d| d.groups.is_empty()))
    {
        return fail(format!(
            "no rule files under {}: nothing to read conventions from, nothing written",
            paths.join(" ")
        ));
    }
    // Paths in the configuration are relative to it.
    let base = args
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let relative = |name: &str| relative_to(Path::new(name), &base);
    let generated: Vec<String> = rule_files
        .iter()
        .filter(|f| crate::init::generated(&f.source.text))
        .map(|f| relative(&f.source.name))
        .collect();
    let pages = markdown_pages(&paths, &relative);
    let date = crate::time::format_utc(crate::time::now_ms());
    let text = crate::init::propose(
        &set,
        &generated,
        &pages,
        crate::init::Scope {
            paths: &paths,
            date: date.get(..10).unwrap_or(&date),
        },
    );
    // Through a temporary file: a failure leaves nothing half written.
    let tmp = args.output.with_extension("firedrill-tmp");
    if let Err(e) = std::fs::write(&tmp, &text).and_then(|_| std::fs::rename(&tmp, &args.output)) {
        let _ = std::fs::remove_file(&tmp);
        return fail(format!("cannot write {}: {e}", args.output.display()));
    }
    let settings = text
        .lines()
        .filter(|l| !l.starts_with('#') && l.contains(" = "))
        .count();
    let _ = writeln!(
        out,
        "Wrote {}: {settings} setting{} from {} rule file{}, each with its evidence; read it, confirm or change each, and commit it.",
        args.output.display(),
        if settings == 1 { "" } else { "s" },
        rule_files.len(),
        if rule_files.len() == 1 { "" } else { "s" },
    );
    exit::CLEAN
}

/// `path` as seen from `base` (both relative to the working directory or
/// both absolute), `/`-separated.
fn relative_to(path: &Path, base: &Path) -> String {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (path, base) = (abs(path), abs(base));
    let mut p = path.components().peekable();
    let mut b = base.components().peekable();
    while let (Some(x), Some(y)) = (p.peek(), b.peek()) {
        if x != y {
            break;
        }
        p.next();
        b.next();
    }
    let mut parts: Vec<String> = b.map(|_| "..".to_string()).collect();
    parts.extend(p.map(|c| c.as_os_str().to_string_lossy().into_owned()));
    parts.join("/")
}

/// The Markdown pages under the paths (folders walked, hidden ones
/// skipped), at most a few hundred.
fn markdown_pages(paths: &[String], relative: &dyn Fn(&str) -> String) -> Vec<crate::init::Page> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = e.path();
            if name.starts_with('.') {
                continue;
            }
            if path.is_dir() {
                walk(&path, out);
            } else if name.ends_with(".md") && out.len() < 500 {
                out.push(path);
            }
        }
    }
    let mut found = Vec::new();
    for p in paths {
        let path = Path::new(p);
        if path.is_dir() {
            walk(path, &mut found);
        }
    }
    found
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            Some(crate::init::Page {
                path: relative(&p.display().to_string()),
                text,
            })
        })
        .collect()
}
