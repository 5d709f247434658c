//! A lint run: load every input, run the selected checks, collect findings.

use rayon::prelude::*;

use crate::checks::{self, Check, Context, Settings};
use crate::diagnostic::{Diagnostic, Severity};
use crate::input::{self, Input, InputError};
use crate::rules::{self, LoadOptions, RuleFile, RuleSet};
use crate::runbook::{RunbookError, RunbookSet};
use crate::suppression;

/// Which checks run, as `--select`/`--ignore` say: ids or id prefixes.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub select: Vec<String>,
    /// Added to the default set (turns on checks that are off by default).
    pub extend_select: Vec<String>,
    pub ignore: Vec<String>,
}

/// A selector that names no check.
#[derive(Debug, thiserror::Error)]
#[error("unknown check or check prefix {selector:?}{}", suggestion.as_ref().map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default())]
pub struct UnknownSelector {
    pub selector: String,
    pub suggestion: Option<String>,
}

use checks::id_matches as matches;

impl Selection {
    /// Checks every selector names at least one check.
    pub fn validate(&self) -> Result<(), UnknownSelector> {
        let ids: Vec<&str> = checks::registry().iter().map(|c| c.info().id).collect();
        for s in self
            .select
            .iter()
            .chain(&self.extend_select)
            .chain(&self.ignore)
        {
            if !ids.iter().any(|id| matches(s, id)) {
                return Err(UnknownSelector {
                    selector: s.clone(),
                    suggestion: checks::closest(s, &ids).map(str::to_string),
                });
            }
        }
        Ok(())
    }

    pub fn enabled(&self, info: &checks::CheckInfo) -> bool {
        let id = info.id;
        let selected = if self.select.is_empty() {
            info.default_enabled
        } else {
            self.select.iter().any(|s| matches(s, id))
        };
        let extended = self.extend_select.iter().any(|s| matches(s, id));
        (selected || extended) && !self.ignore.iter().any(|s| matches(s, id))
    }
}

#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    pub load: LoadOptions,
    pub selection: Selection,
    /// `--runbook` pages or folders.
    pub runbooks: Vec<String>,
    /// `--runbook-map URL_PREFIX=PATH`.
    pub runbook_maps: Vec<String>,
    /// Only some of the rule files are given (pre-commit).
    pub partial: bool,
    /// Policy and facts the configurable checks use.
    pub settings: Settings,
    /// Severity overrides, by check id or family; later entries win.
    pub severity: Vec<(String, Severity)>,
    /// `--alertmanager`: the configuration the alerts are routed through.
    pub alertmanager: Option<crate::alertmanager::LintInput>,
}

/// Why a run could not start (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Runbook(#[from] RunbookError),
}

/// What a run found.
#[derive(Debug)]
pub struct LintResult {
    pub rules: RuleSet,
    pub runbooks: RunbookSet,
    /// Sorted by file and place.
    pub diagnostics: Vec<Diagnostic>,
    /// Findings silenced by `# firedrill disable` comments.
    pub suppressed: usize,
    /// Whose verdict on PromQL, with which feature flags.
    pub promql: crate::promql::ParseOptions,
    /// The Alertmanager configuration checked with the rules, by name.
    pub alertmanager: Option<String>,
    /// What a `--baseline` held back.
    pub baseline: Option<BaselineSummary>,
}

/// The findings a baseline held back, and those it holds that are gone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BaselineSummary {
    pub path: String,
    pub baselined: usize,
    /// `None` when the run did not look at whole files (`--changed-since`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<usize>,
}

impl LintResult {
    /// "Prometheus 3.16's verdict", "Prometheus 3.13's verdict with
    /// promql-duration-expr": what a CI log shows the run judged by.
    pub fn verdict_of(&self) -> String {
        let features = self.promql.features();
        if features.is_empty() {
            format!("Prometheus {}'s verdict", self.promql.version)
        } else {
            format!(
                "Prometheus {}'s verdict with {}",
                self.promql.version,
                features.join(", ")
            )
        }
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    pub fn worst(&self) -> Option<Severity> {
        self.diagnostics.iter().map(|d| d.severity).max()
    }

    pub fn rule_count(&self) -> usize {
        self.rules
            .files
            .iter()
            .flat_map(|f| &f.documents)
            .flat_map(|d| &d.groups)
            .map(|g| g.rules.len())
            .sum()
    }

    /// What runbook coverage found on the reported files, when a runbook
    /// was given: the summary line says it, not only the findings.
    pub fn runbook_summary(&self) -> Option<RunbookSummary> {
        if self.runbooks.is_empty() {
            return None;
        }
        let mut names: Vec<&str> = Vec::new();
        let mut summary = RunbookSummary {
            pages: self
                .runbooks
                .pages
                .iter()
                .filter(|p| p.explicit)
                .map(|p| p.source.name.clone())
                .collect(),
            ..RunbookSummary::default()
        };
        for (_, _, rule) in crate::checks::alerts(&self.rules) {
            let name = rule.name();
            if !names.contains(&name) {
                names.push(name);
                summary.alerts += 1;
                summary.covered += usize::from(self.runbooks.coverage(name).is_some());
            }
            let url = rule
                .annotations
                .iter()
                .find(|e| e.key.value == "runbook_url")
                .map(|e| e.value.value.trim())
                .filter(|u| !u.is_empty());
            if let Some(url) = url {
                match self.runbooks.resolve_runbook_url(url) {
                    crate::runbook::Resolution::Found { .. } => summary.urls_resolved += 1,
                    crate::runbook::Resolution::Unmapped => summary.urls_unchecked += 1,
                    _ => summary.urls_broken += 1,
                }
            }
        }
        Some(summary)
    }
}

/// Runbook coverage in numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunbookSummary {
    /// The runbook pages given with `--runbook`.
    pub pages: Vec<String>,
    /// Distinct alert names, and those with a runbook entry.
    pub alerts: usize,
    pub covered: usize,
    /// `runbook_url` annotations that lead to a page and section, that do
    /// not, and that no `--runbook-map` covers (not checked).
    pub urls_resolved: usize,
    pub urls_broken: usize,
    pub urls_unchecked: usize,
}

/// Reads and loads inputs in parallel. Unreadable inputs stop the run.
pub fn load_inputs(inputs: &[Input], options: LoadOptions) -> Result<RuleSet, InputError> {
    input::check_total(inputs)?;
    let files: Vec<RuleFile> = inputs
        .par_iter()
        .map(|i| {
            let read = input::read(i)?;
            Ok(match read.invalid_utf8_at {
                Some(at) => rules::not_utf8(read.source, at),
                None => rules::load(read.source, options),
            })
        })
        .collect::<Result<_, InputError>>()?;
    Ok(RuleSet { files })
}

/// Runs the selected checks over a loaded rule set.
pub fn check(rules: RuleSet, runbooks: RunbookSet, options: &LintOptions) -> LintResult {
    let selection = &options.selection;
    let settings = &options.settings;
    let active: Vec<&'static dyn Check> = checks::registry()
        .iter()
        .copied()
        .filter(|c| selection.enabled(c.info()))
        .collect();
    let house = checks::House::read(&rules);
    let mut diagnostics: Vec<Diagnostic> = rules
        .files
        .par_iter()
        .flat_map_iter(|file| {
            let mut out = Vec::new();
            let cx = checks::FileContext {
                settings,
                house: house.for_file(file),
                whole: house.whole(),
            };
            for check in &active {
                check.check_file(file, &cx, &mut out);
            }
            out
        })
        .collect();
    let ctx = Context {
        rules: &rules,
        runbooks: &runbooks,
        partial: options.partial,
        settings,
        house: &house,
        alertmanager: options.alertmanager.as_ref(),
    };
    for check in &active {
        check.check_set(&ctx, &mut diagnostics);
    }
    attach_rules(&rules, &mut diagnostics);
    for d in &mut diagnostics {
        if let Some((_, level)) = options
            .severity
            .iter()
            .rev()
            .find(|(id, _)| matches(id, d.check))
        {
            d.severity = *level;
        }
    }
    let suppressed = suppress(&rules, &mut diagnostics, selection);
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    LintResult {
        rules,
        runbooks,
        diagnostics,
        suppressed,
        promql: options.load.promql,
        alertmanager: options.alertmanager.as_ref().map(|a| a.source.name.clone()),
        baseline: None,
    }
}

/// Drops the findings `# firedrill disable` comments cover; returns how many
/// were dropped, and reports comments that silenced nothing.
fn suppress(rules: &RuleSet, diagnostics: &mut Vec<Diagnostic>, selection: &Selection) -> usize {
    let mut by_file: std::collections::HashMap<&str, Vec<(suppression::Directive, Vec<bool>)>> =
        std::collections::HashMap::new();
    for file in &rules.files {
        let found = suppression::directives(file);
        if !found.is_empty() {
            let with_hits = found
                .into_iter()
                .map(|d| {
                    let hits = vec![false; d.ids.len()];
                    (d, hits)
                })
                .collect();
            by_file.insert(file.source.name.as_str(), with_hits);
        }
    }
    if by_file.is_empty() {
        return 0;
    }
    let before = diagnostics.len();
    diagnostics.retain(|d| {
        let Some(directives) = by_file.get_mut(d.source.name.as_str()) else {
            return true;
        };
        let mut keep = true;
        for (directive, hits) in directives.iter_mut() {
            if !directive.covers(d.span.start) {
                continue;
            }
            for (k, (id, _)) in directive.ids.iter().enumerate() {
                if matches(id, d.check) {
                    hits[k] = true;
                    keep = false;
                }
            }
        }
        keep
    });
    let suppressed = before - diagnostics.len();
    let unused_check = checks::find(checks::suppression_unused::ID).map(|c| c.info());
    if unused_check.is_some_and(|info| selection.enabled(info)) {
        for file in &rules.files {
            let Some(directives) = by_file.get(file.source.name.as_str()) else {
                continue;
            };
            for (directive, hits) in directives {
                for ((id, span), hit) in directive.ids.iter().zip(hits) {
                    // Only when every check the id names ran: a comment for a
                    // check that was not selected this time is not stale.
                    let named: Vec<_> = checks::registry()
                        .iter()
                        .filter(|c| matches(id, c.info().id))
                        .collect();
                    if !hit
                        && !named.is_empty()
                        && named.iter().all(|c| selection.enabled(c.info()))
                    {
                        diagnostics
                            .push(checks::suppression_unused::report_unused(file, *span, id));
                    }
                }
            }
        }
    }
    suppressed
}

/// Names the group and rule of findings that lie inside a rule but were
/// made without one (problems met while loading, such as unknown fields),
/// so every finding about a rule says which rule.
fn attach_rules(rules: &RuleSet, diagnostics: &mut [Diagnostic]) {
    type Spans<'a> = Vec<(
        usize,
        usize,
        &'a crate::rules::Group,
        &'a crate::rules::Rule,
    )>;
    // Per file, its rules' spans by start, so each finding is a binary search.
    let mut by_file: std::collections::HashMap<&str, Spans> = std::collections::HashMap::new();
    for file in &rules.files {
        let spans = by_file.entry(file.source.name.as_str()).or_default();
        for group in file.documents.iter().flat_map(|doc| &doc.groups) {
            for rule in &group.rules {
                spans.push((rule.span.start, rule.span.end, group, rule));
            }
        }
    }
    for spans in by_file.values_mut() {
        spans.sort_by_key(|s| s.0);
    }
    for d in diagnostics.iter_mut().filter(|d| d.rule.is_none()) {
        let Some(spans) = by_file.get(d.source.name.as_str()) else {
            continue;
        };
        let at = d.span.start;
        // Rules do not overlap: the last one starting at or before `at` is the only candidate.
        let i = spans.partition_point(|s| s.0 <= at);
        let Some(&(_, end, group, rule)) = i.checked_sub(1).map(|i| &spans[i]) else {
            continue;
        };
        if at < end {
            d.rule = checks::rule_name(rule);
            if d.group.is_none() {
                d.group = Some(group.name().to_string());
            }
        }
    }
}

/// Loads and checks, the whole `firedrill lint`.
pub fn lint(inputs: &[Input], options: &LintOptions) -> Result<LintResult, RunError> {
    let runbooks = RunbookSet::load(&options.runbooks, &options.runbook_maps)?;
    let rules = load_inputs(inputs, options.load)?;
    Ok(check(rules, runbooks, options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_match_ids_and_families() {
        assert!(matches("structure", "structure/type"));
        assert!(matches("structure/", "structure/type"));
        assert!(matches("promql/syntax", "promql/syntax"));
        assert!(!matches("struct", "structure/type"));
        let s = Selection {
            select: vec!["structure".into()],
            ignore: vec!["structure/type".into()],
            ..Selection::default()
        };
        let info = |id| checks::find(id).unwrap().info();
        assert!(s.enabled(info("structure/expr")));
        assert!(!s.enabled(info("structure/type")));
        assert!(!s.enabled(info("promql/syntax")));
        assert!(!Selection::default().enabled(info("runbook/url-missing")));
        let extended = Selection {
            extend_select: vec!["runbook/url-missing".into()],
            ..Selection::default()
        };
        assert!(extended.enabled(info("runbook/url-missing")));
        assert!(extended.enabled(info("promql/syntax")));
        let bad = Selection {
            select: vec!["promql/syntx".into()],
            ..Selection::default()
        };
        let e = bad.validate().unwrap_err();
        assert_eq!(e.suggestion.as_deref(), Some("promql/syntax"));
    }
}
