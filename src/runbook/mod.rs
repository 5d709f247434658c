//! The team's runbook: Markdown pages that say what to do when an alert fires.
//!
//! Three layouts are understood, and may be mixed:
//! 1. an **index table**: a table whose first column names alerts (`RedisDown`,
//!    `FPMPoolSaturation / FPMListenQueueBacklog`, globs like `Redis*`) and whose
//!    row links to a section (`[Redis pod down](#redis-pod-down)`); a row without
//!    a link ("✅ ignore") still covers its alerts;
//! 2. a **heading per alert** (`## KubePodCrashLooping`, or `## Alert Name: X`);
//! 3. a **page per alert** in a folder tree (`<component>/<AlertName>.md`,
//!    matched case-insensitively; front matter allowed).
//!
//! `runbook_url` annotations resolve through URL-prefix maps
//! (`https://runbooks.example.com/runbooks/=docs/runbooks/`) to pages and anchors.

pub mod markdown;
pub mod slug;

use std::collections::HashMap;
use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::source::{Source, SourceFile, Span};
pub use markdown::{Heading, Link};

/// A runbook source could not be read (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum RunbookError {
    #[error("runbook {path}: no such file or directory")]
    NotFound { path: String },
    #[error("runbook {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("runbook {path}: no *.md files in this directory")]
    Empty { path: String },
    #[error("--runbook-map {text:?}: expected URL_PREFIX=LOCAL_PATH")]
    BadMap { text: String },
}

/// A URL prefix and the local file or folder it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlMap {
    pub prefix: String,
    pub local: PathBuf,
}

impl UrlMap {
    pub fn parse(text: &str) -> Result<UrlMap, RunbookError> {
        let (prefix, local) = text
            .rsplit_once('=')
            .ok_or_else(|| RunbookError::BadMap { text: text.into() })?;
        if prefix.is_empty() || local.is_empty() {
            return Err(RunbookError::BadMap { text: text.into() });
        }
        Ok(UrlMap {
            prefix: prefix.to_string(),
            local: PathBuf::from(local),
        })
    }
}

/// An index-table entry: one alert-name pattern of a row.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexEntry {
    pub pattern: String,
    /// The first-column cell.
    pub span: Span,
    /// The row's first link, if any.
    pub link: Option<Link>,
}

#[derive(Debug)]
pub struct Page {
    pub source: Source,
    /// Lowercased, normalised path: the key URL resolution looks up.
    pub key: String,
    /// Named by `--runbook` (its entries count for `runbook/stale`), rather
    /// than only reachable through a URL map.
    pub explicit: bool,
    pub doc: markdown::Document,
    pub entries: Vec<IndexEntry>,
    /// Lookups over `entries`, headings and anchors, so that a runbook of
    /// 100,000 rows costs a hash lookup per alert, not a scan.
    lookup: Lookup,
}

#[derive(Debug, Default)]
struct Lookup {
    /// Entries without `*` or `?`, by name: the first one.
    exact: HashMap<String, usize>,
    /// Entries with `*` or `?`, in page order.
    globs: Vec<usize>,
    /// Headings by the alert name they carry, lowercased: the first one.
    headings: HashMap<String, usize>,
    anchors: std::collections::HashSet<String>,
    /// The same, lowercased: GitHub resolves `#KubePodNotReady` to the
    /// heading whose slug is `kubepodnotready`.
    anchors_lower: std::collections::HashSet<String>,
}

impl Lookup {
    fn new(doc: &markdown::Document, entries: &[IndexEntry]) -> Lookup {
        let mut lookup = Lookup::default();
        for (i, entry) in entries.iter().enumerate() {
            if entry.pattern.contains(['*', '?']) {
                lookup.globs.push(i);
            } else {
                lookup.exact.entry(entry.pattern.clone()).or_insert(i);
            }
        }
        for (i, h) in doc.headings.iter().enumerate() {
            let name = heading_alert_name(&h.text).to_ascii_lowercase();
            lookup.headings.entry(name).or_insert(i);
        }
        lookup.anchors = doc.anchors.iter().cloned().collect();
        lookup.anchors_lower = doc.anchors.iter().map(|a| a.to_lowercase()).collect();
        lookup
    }
}

impl Page {
    /// The file name without `.md`.
    pub fn stem(&self) -> &str {
        let name = self
            .source
            .name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(&self.source.name);
        name.strip_suffix(".md").unwrap_or(name)
    }

    /// Whether the page has the anchor, in any letter case (as a browser on
    /// GitHub finds it).
    pub fn has_anchor(&self, anchor: &str) -> bool {
        self.lookup.anchors.contains(anchor)
            || self.lookup.anchors_lower.contains(&anchor.to_lowercase())
    }

    /// The first index entry whose pattern matches `alert`.
    pub fn entry_for(&self, alert: &str) -> Option<&IndexEntry> {
        let exact = self.lookup.exact.get(alert).copied();
        let glob = self
            .lookup
            .globs
            .iter()
            .copied()
            .take_while(|&i| exact.is_none_or(|e| i < e))
            .find(|&i| glob_match(&self.entries[i].pattern, alert));
        glob.or(exact).map(|i| &self.entries[i])
    }

    /// The first heading that names `alert` (case-insensitively).
    pub fn heading_for(&self, alert: &str) -> Option<&markdown::Heading> {
        let i = *self.lookup.headings.get(&alert.to_ascii_lowercase())?;
        Some(&self.doc.headings[i])
    }

    /// A page of a page-per-alert tree (not a section index).
    pub fn is_alert_page(&self) -> bool {
        let stem = self.stem();
        !stem.starts_with('_') && is_camel_identifier(stem)
    }
}

/// Where an alert's runbook entry is.
#[derive(Debug, Clone, Copy)]
pub enum Coverage<'a> {
    Row(&'a Page, &'a IndexEntry),
    Heading(&'a Page, &'a Heading),
    Page(&'a Page),
}

/// What a URL or link resolves to.
#[derive(Debug)]
pub enum Resolution<'a> {
    /// No URL map covers it: not checked.
    Unmapped,
    /// It maps to a local path with no page.
    NoPage {
        path: String,
    },
    /// The page exists but has no such anchor.
    NoAnchor {
        page: &'a Page,
        anchor: String,
    },
    Found {
        page: &'a Page,
    },
}

#[derive(Debug, Default)]
pub struct RunbookSet {
    pub pages: Vec<Page>,
    pub maps: Vec<UrlMap>,
    by_key: HashMap<String, usize>,
}

impl RunbookSet {
    /// Loads `--runbook` files and folders, and what `--runbook-map` points at.
    pub fn load(runbooks: &[String], maps: &[String]) -> Result<RunbookSet, RunbookError> {
        let mut set = RunbookSet::default();
        for m in maps {
            set.maps.push(UrlMap::parse(m)?);
        }
        // Longest prefix first, so the most specific map wins.
        set.maps.sort_by_key(|m| std::cmp::Reverse(m.prefix.len()));
        for path in runbooks {
            set.add(Path::new(path), true, true)?;
        }
        let locals: Vec<PathBuf> = set.maps.iter().map(|m| m.local.clone()).collect();
        for local in locals {
            set.add(&local, false, false)?;
        }
        Ok(set)
    }

    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }

    fn add(
        &mut self,
        path: &Path,
        explicit: bool,
        must_have_pages: bool,
    ) -> Result<(), RunbookError> {
        let shown = path.display().to_string();
        let meta = fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => RunbookError::NotFound {
                path: shown.clone(),
            },
            _ => RunbookError::Io {
                path: shown.clone(),
                source: e,
            },
        })?;
        let mut files = Vec::new();
        if meta.is_dir() {
            collect_markdown(path, &mut files).map_err(|e| RunbookError::Io {
                path: shown.clone(),
                source: e,
            })?;
            if files.is_empty() && must_have_pages {
                return Err(RunbookError::Empty { path: shown });
            }
        } else {
            files.push(path.to_path_buf());
        }
        for file in files {
            let key = normalise(&file);
            if let Some(&i) = self.by_key.get(&key) {
                self.pages[i].explicit |= explicit;
                continue;
            }
            let bytes = fs::read(&file).map_err(|e| RunbookError::Io {
                path: file.display().to_string(),
                source: e,
            })?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let source = Arc::new(SourceFile::new(file.display().to_string(), text));
            self.push(source, key, explicit);
        }
        Ok(())
    }

    /// Adds a page from text (tests, and pages that are not files).
    pub fn push(&mut self, source: Source, key: String, explicit: bool) {
        let doc = markdown::parse(&source.text);
        let entries = index_entries(&doc);
        let lookup = Lookup::new(&doc, &entries);
        self.by_key.insert(key.clone(), self.pages.len());
        self.pages.push(Page {
            source,
            key,
            explicit,
            doc,
            entries,
            lookup,
        });
    }

    /// The runbook entry for an alert, if there is one.
    pub fn coverage(&self, alert: &str) -> Option<Coverage<'_>> {
        for page in &self.pages {
            if let Some(entry) = page.entry_for(alert) {
                return Some(Coverage::Row(page, entry));
            }
        }
        for page in &self.pages {
            if let Some(h) = page.heading_for(alert) {
                return Some(Coverage::Heading(page, h));
            }
        }
        self.pages
            .iter()
            .find(|p| p.stem().eq_ignore_ascii_case(alert))
            .map(Coverage::Page)
    }

    /// Where the alert's `runbook_url` annotation leads, when it leads to a
    /// page of the set (and the section, when it names one that exists).
    pub fn linked_from(&self, rule: &crate::rules::Rule) -> Option<(&Page, Option<String>)> {
        let url = rule
            .annotations
            .iter()
            .find(|e| e.key.value == "runbook_url")?
            .value
            .value
            .trim();
        if url.contains("{{") {
            return None;
        }
        match self.resolve_runbook_url(url) {
            Resolution::Found { page } => {
                let anchor = url.split_once('#').map(|(_, a)| a.to_lowercase());
                Some((page, anchor.filter(|a| !a.is_empty())))
            }
            _ => None,
        }
    }

    /// Resolves a `runbook_url` annotation's value: an absolute URL through
    /// the URL maps, or a bare `#anchor` as a section of the one runbook
    /// page given (unchecked when several were given).
    pub fn resolve_runbook_url(&self, url: &str) -> Resolution<'_> {
        if !url.starts_with('#') {
            return self.resolve_url(url);
        }
        let explicit: Vec<_> = self.pages.iter().filter(|p| p.explicit).collect();
        match explicit.as_slice() {
            [page] => self.resolve_link(page, url),
            _ => Resolution::Unmapped,
        }
    }

    /// Resolves an absolute URL (a `runbook_url`) through the URL maps.
    pub fn resolve_url(&self, url: &str) -> Resolution<'_> {
        let Some(map) = self.maps.iter().find(|m| url.starts_with(&m.prefix)) else {
            return Resolution::Unmapped;
        };
        let rest = &url[map.prefix.len()..];
        let (path_part, anchor) = split_anchor(rest);
        let target = if path_part.is_empty() {
            map.local.clone()
        } else {
            map.local.join(path_part.trim_start_matches('/'))
        };
        self.resolve_path(&target, anchor)
    }

    /// Resolves a link written in `page` (`#anchor`, `other.md#x`, or a URL).
    pub fn resolve_link(&self, page: &Page, dest: &str) -> Resolution<'_> {
        if dest.contains("://") || dest.starts_with("mailto:") {
            return self.resolve_url(dest);
        }
        let (path_part, anchor) = split_anchor(dest);
        if path_part.is_empty() {
            let page = self
                .pages
                .iter()
                .find(|p| p.key == page.key)
                .expect("page of this set");
            return match anchor {
                Some(a) if !page.has_anchor(a) => Resolution::NoAnchor {
                    page,
                    anchor: a.to_string(),
                },
                _ => Resolution::Found { page },
            };
        }
        let base = Path::new(&page.source.name)
            .parent()
            .unwrap_or(Path::new(""));
        self.resolve_path(&base.join(path_part), anchor)
    }

    fn resolve_path(&self, target: &Path, anchor: Option<&str>) -> Resolution<'_> {
        let key = normalise(target);
        let key = key.trim_end_matches('/').to_string();
        let candidates = [
            key.clone(),
            format!("{key}.md"),
            format!("{key}/_index.md"),
            format!("{key}/index.md"),
            format!("{key}/readme.md"),
        ];
        let Some(page) = candidates
            .iter()
            .find_map(|k| self.by_key.get(k))
            .map(|&i| &self.pages[i])
        else {
            return Resolution::NoPage {
                path: target.display().to_string(),
            };
        };
        match anchor {
            Some(a) if !a.is_empty() && !page.has_anchor(a) => Resolution::NoAnchor {
                page,
                anchor: a.to_string(),
            },
            _ => Resolution::Found { page },
        }
    }
}

fn split_anchor(s: &str) -> (&str, Option<&str>) {
    let (before, anchor) = match s.split_once('#') {
        Some((b, a)) => (b, Some(a)),
        None => (s, None),
    };
    let path = before.split_once('?').map_or(before, |(p, _)| p);
    (path, anchor)
}

fn collect_markdown(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type()?.is_dir() {
            if !name.starts_with('.') {
                collect_markdown(&path, out)?;
            }
        } else if name.to_ascii_lowercase().ends_with(".md") {
            out.push(path);
        }
    }
    Ok(())
}

/// A path as a lowercase `/`-joined string with `.` and `..` resolved
/// lexically, so the same file reached two ways gives one key.
pub fn normalise(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut absolute = false;
    for c in path.components() {
        match c {
            Component::RootDir => absolute = true,
            Component::CurDir | Component::Prefix(_) => {}
            Component::ParentDir => {
                if parts.last().is_some_and(|p| p != "..") {
                    parts.pop();
                } else {
                    parts.push("..".into());
                }
            }
            Component::Normal(p) => parts.push(p.to_string_lossy().to_lowercase()),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// The alert a heading names: `KubePodCrashLooping`, `` `X` ``, `Alert Name: X`,
/// `Alert Name: "X"`.
pub fn heading_alert_name(text: &str) -> &str {
    let t = text.trim();
    let lower = t.to_ascii_lowercase();
    let t = if lower.starts_with("alert name:") {
        &t["alert name:".len()..]
    } else if lower.starts_with("alert:") {
        &t["alert:".len()..]
    } else {
        t
    };
    t.trim()
        .trim_matches(['`', '"', '\'', '\u{201c}', '\u{201d}'])
        .trim()
}

/// A CamelCase identifier (`KubePodCrashLooping`), as alert names are
/// written; prose words (`Meaning`, `runbook`, `README`) are not.
pub fn is_camel_identifier(text: &str) -> bool {
    let t = text.trim().trim_matches('`');
    looks_like_alert_name(t)
        && t.chars()
            .zip(t.chars().skip(1))
            .any(|(a, b)| a.is_ascii_lowercase() && b.is_ascii_uppercase())
}

/// An alert name or glob as runbooks write them: one identifier-like word.
pub fn looks_like_alert_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '*')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '*' | '?' | '-' | '.'))
        && s.chars().any(|c| c.is_ascii_alphabetic())
}

/// Splits a first-column cell into alert-name patterns, or `None` when the
/// cell is prose rather than names.
fn cell_patterns(text: &str) -> Option<Vec<String>> {
    let parts: Vec<String> = text
        .split([',', '/'])
        .flat_map(|p| p.split(" or "))
        .map(|p| p.trim().trim_matches('`').trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()
        && parts
            .iter()
            .all(|p| looks_like_alert_name(p) && !p.contains(' ')))
    .then_some(parts)
}

/// Index entries of every table whose first column names alerts: its header
/// says "alert", or most of its rows are alert names.
fn index_entries(doc: &markdown::Document) -> Vec<IndexEntry> {
    let mut out = Vec::new();
    for table in &doc.tables {
        let header_says_alert = table
            .header
            .first()
            .is_some_and(|c| c.text.to_ascii_lowercase().contains("alert"));
        let named: Vec<_> = table
            .rows
            .iter()
            .filter_map(|row| Some((row, cell_patterns(&row.first()?.text)?)))
            .collect();
        let camel = named
            .iter()
            .filter(|(_, ps)| ps.iter().all(|p| p.chars().any(|c| c.is_ascii_uppercase())))
            .count();
        if !(header_says_alert || (camel * 2 > table.rows.len() && camel > 0)) {
            continue;
        }
        for (row, patterns) in named {
            let link = row.iter().flat_map(|c| c.links.iter()).next().cloned();
            for pattern in patterns {
                out.push(IndexEntry {
                    pattern,
                    span: row[0].span,
                    link: link.clone(),
                });
            }
        }
    }
    out
}

/// `*` matches any run of characters, `?` one character; the rest literally.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str) -> RunbookSet {
        let mut s = RunbookSet::default();
        s.push(
            Arc::new(SourceFile::new("runbook.md", text.to_string())),
            "runbook.md".into(),
            true,
        );
        s
    }

    #[test]
    fn globs() {
        assert!(glob_match("Redis*", "RedisDown"));
        assert!(glob_match("*Down", "RedisDown"));
        assert!(glob_match("Re?isDown", "RedisDown"));
        assert!(!glob_match("Redis*", "MariaDBDown"));
        assert!(glob_match("RedisDown", "RedisDown"));
        assert!(!glob_match("RedisDown", "RedisDownNow"));
    }

    #[test]
    fn index_table_rows_cover_their_alerts() {
        let s = set("| Alert name pattern | Quick triage |\n|---|---|\n| WecareNodeNotReady / KubeNodeNotReady | [Node](#node) |\n| Redis* | [Redis](#redis) |\n| Watchdog | ✅ ignore |\n");
        assert!(matches!(
            s.coverage("KubeNodeNotReady"),
            Some(Coverage::Row(..))
        ));
        assert!(matches!(
            s.coverage("RedisEndpointEmpty"),
            Some(Coverage::Row(..))
        ));
        assert!(matches!(s.coverage("Watchdog"), Some(Coverage::Row(_, e)) if e.link.is_none()));
        assert!(s.coverage("MariaDBDown").is_none());
    }

    #[test]
    fn prose_tables_are_not_indexes() {
        let s = set("| Situation | Do |\n|---|---|\n| You're confident | Handle it |\n");
        assert!(s.pages[0].entries.is_empty());
    }

    #[test]
    fn headings_cover_alerts() {
        let s = set("# Runbook\n\n## KubePodCrashLooping\n\n## Alert Name: `TargetDown`\n");
        assert!(matches!(
            s.coverage("KubePodCrashLooping"),
            Some(Coverage::Heading(..))
        ));
        assert!(matches!(
            s.coverage("TargetDown"),
            Some(Coverage::Heading(..))
        ));
    }

    #[test]
    fn urls_resolve_through_maps_with_anchors() {
        let mut s = set("# Runbook\n\n## Redis pod down\n");
        s.maps
            .push(UrlMap::parse("https://docs.example/ops/incident-response=runbook.md").unwrap());
        assert!(matches!(
            s.resolve_url("https://docs.example/ops/incident-response#redis-pod-down"),
            Resolution::Found { .. }
        ));
        assert!(matches!(
            s.resolve_url("https://docs.example/ops/incident-response#nope"),
            Resolution::NoAnchor { .. }
        ));
        assert!(matches!(
            s.resolve_url("https://other.example/x"),
            Resolution::Unmapped
        ));
    }
}
