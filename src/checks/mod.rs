//! The checks. Each lives in its own file with its id, default severity,
//! documentation and code; [`registry`] is the one list of them all.

use crate::diagnostic::{Diagnostic, RuleName, Severity};
use crate::rules::{Group, Rule, RuleFile, RuleKind, RuleSet};
use crate::runbook::RunbookSet;

pub use house::{Conventions, House};
pub use settings::{Interval, Settings};

mod alert_always_fires;
mod alert_annotations;
mod alert_for;
mod alert_for_long;
mod alert_for_missing;
mod alert_label_url;
mod alert_labels;
mod alert_no_comparison;
mod alert_shadowed;
mod alert_template;
mod alert_topk;
mod alert_value_format;
mod alert_value_in_label;
mod alertmanager_config;
mod alertmanager_inhibit_equal;
mod alertmanager_unrouted;
mod group_interval;
pub mod house;
mod promql_absent_labels;
mod promql_aggregated_ratio;
mod promql_counter;
mod promql_eval_error;
mod promql_grouping_label;
mod promql_impossible;
mod promql_join_label_lost;
mod promql_precedence;
mod promql_rate_gauge;
mod promql_rate_of_sum;
mod promql_rate_window;
mod promql_regex;
mod promql_regex_in_equality;
mod promql_regex_simplify;
mod promql_syntax;
mod promql_unsatisfiable;
mod promql_vector_matching;
mod rule_duplicate;
mod rule_name;
mod rule_record_convention;
mod rule_same_series;
mod runbook_broken_link;
mod runbook_missing;
mod runbook_stale;
mod runbook_url_missing;
mod runbook_url_unresolved;
pub mod settings;
mod structure_annotation_name;
mod structure_duplicate_key;
mod structure_duration;
mod structure_embedded_rules;
mod structure_expr;
mod structure_group_name;
mod structure_ignored_document;
mod structure_label_name;
mod structure_manifest;
mod structure_record_fields;
mod structure_record_name;
mod structure_rule_kind;
mod structure_template;
mod structure_type;
mod structure_unknown_field;
mod suppression_unknown_id;
pub(crate) mod suppression_unused;
mod yaml_empty;
mod yaml_parse;

/// What a check is, for `firedrill checks`, `explain` and the docs.
#[derive(Debug)]
pub struct CheckInfo {
    /// Stable id, `family/name`.
    pub id: &'static str,
    pub severity: Severity,
    /// Off unless selected by id (`--select`/`--extend-select`).
    pub default_enabled: bool,
    /// One line.
    pub summary: &'static str,
    /// Markdown: *What it does*, *Why is this bad?*, *Example*.
    pub docs: &'static str,
    /// What `[checks."<id>"]` in `.firedrill.toml` may set; empty when nothing.
    pub options: &'static [OptionDoc],
}

/// One option of a configurable check, for `explain` and the docs.
#[derive(Debug)]
pub struct OptionDoc {
    pub name: &'static str,
    /// As written in TOML, or a sentence when there is no default.
    pub default: &'static str,
    pub doc: &'static str,
}

/// A check's options as the check itself read them; [`Settings::options`]
/// hands them back to it.
pub type Options = std::sync::Arc<dyn std::any::Any + Send + Sync>;

/// Why `[checks."<id>"]` was refused, and where in the config file.
#[derive(Debug)]
pub struct OptionsError {
    pub span: Option<std::ops::Range<usize>>,
    pub message: String,
}

impl From<toml::de::Error> for OptionsError {
    fn from(e: toml::de::Error) -> Self {
        OptionsError {
            span: e.span(),
            message: e.message().trim_end().to_string(),
        }
    }
}

impl OptionsError {
    pub fn at<T>(value: &toml::Spanned<T>, message: impl Into<String>) -> Self {
        OptionsError {
            span: Some(value.span()),
            message: message.into(),
        }
    }
}

/// A duration option (`max = "24h"`), checked where it is written.
pub(crate) fn duration_option(
    value: &toml::Spanned<String>,
) -> Result<crate::rules::duration::Duration, OptionsError> {
    crate::rules::duration::Duration::parse(value.get_ref())
        .map_err(|message| OptionsError::at(value, message))
}

/// The value of `[checks."<id>"]`, as the config file wrote it.
pub type RawOptions<'a> = toml::Spanned<toml::de::DeValue<'a>>;

/// Reads `[checks."<id>"]` into a check's own serde type, keeping the
/// places of its values for errors.
pub(crate) fn read_options<T: serde::de::DeserializeOwned>(
    raw: RawOptions<'_>,
) -> Result<T, OptionsError> {
    Ok(T::deserialize(toml::de::ValueDeserializer::from(raw))?)
}

/// What every check sees.
pub struct Context<'a> {
    pub rules: &'a RuleSet,
    /// The runbook, when `--runbook`/`--runbook-map` named one.
    pub runbooks: &'a RunbookSet,
    /// Only some of the team's rule files were given (pre-commit): checks
    /// that need the whole set to be right stay quiet.
    pub partial: bool,
    pub settings: &'a Settings,
    /// The conventions of the rules, per folder and whole.
    pub house: &'a House,
    /// The Alertmanager configuration, when `--alertmanager` named one.
    pub alertmanager: Option<&'a crate::alertmanager::LintInput>,
}

/// What a per-file check sees besides the file: the team's settings and the
/// conventions of the rules around the file.
pub struct FileContext<'a> {
    pub settings: &'a Settings,
    pub house: &'a Conventions,
    /// The conventions of the whole rule set, for what a small folder does
    /// not show (how alerts are named).
    pub whole: &'a Conventions,
}

impl FileContext<'_> {
    /// How often the file's groups without `interval:` are evaluated, and why we think so.
    pub fn evaluation_interval(&self, file: &RuleFile) -> Interval {
        self.settings.evaluation_interval(is_manifest(file))
    }

    /// How often the series the file reads are scraped, and why we think so.
    pub fn scrape_interval(&self, file: &RuleFile) -> Interval {
        self.settings.scrape_interval(is_manifest(file))
    }
}

/// Whether the file holds PrometheusRule manifests (evaluated by the Prometheus Operator's rules).
fn is_manifest(file: &RuleFile) -> bool {
    file.documents
        .iter()
        .any(|d| matches!(d.form, crate::rules::Form::Manifest { .. }))
}

pub trait Check: Sync {
    fn info(&self) -> &'static CheckInfo;
    /// Inspects one file (most checks are per file).
    fn check_file(&self, _file: &RuleFile, _cx: &FileContext<'_>, _out: &mut Vec<Diagnostic>) {}
    /// Inspects everything at once (checks that compare files).
    fn check_set(&self, _ctx: &Context<'_>, _out: &mut Vec<Diagnostic>) {}
    /// Reads its options from `[checks."<id>"]` (checks with options
    /// declare them in [`CheckInfo::options`] and override this).
    fn configure(&self, _raw: RawOptions<'_>) -> Result<Options, OptionsError> {
        Err(OptionsError {
            span: None,
            message: format!("check {:?} has no options", self.info().id),
        })
    }
}

/// Every check, in the order `firedrill checks` lists them.
pub fn registry() -> &'static [&'static dyn Check] {
    &[
        &yaml_parse::YamlParse,
        &yaml_empty::YamlEmpty,
        &structure_duplicate_key::DuplicateKey,
        &structure_unknown_field::UnknownField,
        &structure_type::WrongType,
        &structure_duration::BadDuration,
        &structure_manifest::Manifest,
        &structure_embedded_rules::EmbeddedRules,
        &structure_ignored_document::IgnoredDocument,
        &structure_group_name::GroupName,
        &structure_rule_kind::RuleKindCheck,
        &structure_expr::ExprRequired,
        &structure_record_fields::RecordFields,
        &structure_record_name::RecordName,
        &structure_label_name::LabelName,
        &structure_annotation_name::AnnotationName,
        &structure_template::Template,
        &promql_syntax::PromqlSyntax,
        &promql_eval_error::EvalError,
        &promql_rate_window::RateWindow,
        &promql_rate_of_sum::RateOfSum,
        &promql_rate_gauge::RateGauge,
        &promql_regex::Regex,
        &promql_regex_simplify::RegexSimplify,
        &promql_regex_in_equality::RegexInEquality,
        &promql_absent_labels::AbsentLabels,
        &promql_counter::Counter,
        &promql_impossible::Impossible,
        &promql_unsatisfiable::Unsatisfiable,
        &promql_vector_matching::VectorMatching,
        &promql_grouping_label::GroupingLabel,
        &promql_join_label_lost::JoinLabelLost,
        &promql_precedence::Precedence,
        &promql_aggregated_ratio::AggregatedRatio,
        &alert_no_comparison::NoComparison,
        &alert_always_fires::AlertAlwaysFires,
        &alert_shadowed::AlertShadowed,
        &alert_topk::AlertTopk,
        &alert_for::AlertFor,
        &alert_for_long::AlertForLong,
        &alert_for_missing::AlertForMissing,
        &alert_labels::AlertLabels,
        &alert_label_url::AlertLabelUrl,
        &alert_annotations::AlertAnnotations,
        &alert_template::AlertTemplate,
        &alert_value_in_label::ValueInLabel,
        &alert_value_format::ValueFormat,
        &rule_duplicate::RuleDuplicate,
        &rule_same_series::SameSeries,
        &rule_name::RuleName,
        &rule_record_convention::RecordConvention,
        &group_interval::GroupInterval,
        &runbook_missing::RunbookMissing,
        &runbook_broken_link::BrokenLink,
        &runbook_url_unresolved::UrlUnresolved,
        &runbook_stale::Stale,
        &runbook_url_missing::UrlMissing,
        &alertmanager_config::AlertmanagerConfig,
        &alertmanager_unrouted::Unrouted,
        &alertmanager_inhibit_equal::InhibitEqual,
        &suppression_unknown_id::UnknownId,
        &suppression_unused::Unused,
    ]
}

/// The options of a check as Markdown (`firedrill explain` and
/// docs/configuration.md); empty when it has none.
pub fn options_markdown(info: &CheckInfo) -> String {
    let mut out = String::new();
    for option in info.options {
        out.push_str(&format!(
            "- `{}` (default: {}): {}\n",
            option.name, option.default, option.doc
        ));
    }
    out
}

/// Every configurable check's options, for docs/configuration.md (a test
/// keeps the page in step).
pub fn all_options_markdown() -> String {
    let mut out = String::new();
    for check in registry() {
        let info = check.info();
        if info.options.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "`[checks.\"{}\"]`\n{}\n",
            info.id,
            options_markdown(info)
        ));
    }
    out
}

/// The table of checks in docs/checks.md, generated from the registry
/// (`firedrill checks --markdown`; a test keeps the page in step).
pub fn markdown_table() -> String {
    let mut out = String::from("| id | severity | what it catches |\n| --- | --- | --- |\n");
    for check in registry() {
        let info = check.info();
        let severity = if info.default_enabled {
            info.severity.as_str().to_string()
        } else {
            format!("{} (off by default)", info.severity.as_str())
        };
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            info.id, severity, info.summary
        ));
    }
    out
}

/// Whether `selector` (an id, or a family such as `alert` or `alert/`) names `id`.
pub fn id_matches(selector: &str, id: &str) -> bool {
    let selector = selector.trim_end_matches(['/', '*']);
    id == selector
        || id
            .strip_prefix(selector)
            .is_some_and(|rest| rest.starts_with('/'))
}

pub fn find(id: &str) -> Option<&'static dyn Check> {
    registry().iter().copied().find(|c| c.info().id == id)
}

/// A diagnostic of `info`'s check at its default severity.
pub(crate) fn report(
    info: &'static CheckInfo,
    file: &RuleFile,
    span: crate::source::Span,
    message: impl Into<String>,
) -> Diagnostic {
    Diagnostic::new(info.id, info.severity, &file.source, span, message)
}

/// Whether `$labels.<label>` in annotation `key` is generated text, the same
/// on nearly every alert of the set ([`Conventions::boilerplate`]): a
/// generator's choice (`(instance {{ $labels.instance }})` appended to every
/// summary), which its maintainers make knowingly, so the template checks
/// leave it alone and report the text written for one alert.
pub(crate) fn is_boilerplate(house: &House, key: &str, label: &str) -> bool {
    house.whole().boilerplate(key, label).is_some()
}

/// The rule's name for a diagnostic.
pub(crate) fn rule_name(rule: &Rule) -> Option<RuleName> {
    match rule.kind() {
        Some(RuleKind::Alert(t)) => Some(RuleName::Alert(t.value.clone())),
        Some(RuleKind::Record(t)) => Some(RuleName::Record(t.value.clone())),
        None => None,
    }
}

/// Every alerting rule of the set, with its file and group.
pub(crate) fn alerts(set: &RuleSet) -> impl Iterator<Item = (&RuleFile, &Group, &Rule)> {
    set.files.iter().flat_map(|f| {
        groups(f).flat_map(move |g| {
            g.rules
                .iter()
                .filter(|r| r.is_alert())
                .map(move |r| (f, g, r))
        })
    })
}

/// Calls `f` for every group of every rule document in the file.
pub(crate) fn groups(file: &RuleFile) -> impl Iterator<Item = &Group> {
    file.documents.iter().flat_map(|d| d.groups.iter())
}

/// A diagnostic about one rule: tagged with its group and name.
pub(crate) fn report_rule(
    info: &'static CheckInfo,
    file: &RuleFile,
    group: &Group,
    rule: &Rule,
    span: crate::source::Span,
    message: impl Into<String>,
) -> Diagnostic {
    report(info, file, span, message)
        .group(group.name())
        .rule(rule_name(rule))
}

/// A PromQL error Prometheus gives for a rule, at its place in the
/// expression, in Prometheus's words after `prefix`, with its help.
pub(crate) fn report_promql_error(
    info: &'static CheckInfo,
    file: &RuleFile,
    group: &Group,
    rule: &Rule,
    expr: &crate::rules::RuleExpr,
    error: &crate::promql::PromqlError,
    prefix: &str,
) -> Diagnostic {
    let span = expr.file_span(error.start, error.end);
    let d = report_rule(
        info,
        file,
        group,
        rule,
        span,
        format!("{prefix}{}", error.message),
    )
    .label(error.message.clone());
    match &error.help {
        Some(help) => d.help(help.clone()),
        None => d,
    }
}

/// For each rule of the file whose expression parsed: its binary operations,
/// left to right, each with the place of its operator in the file (the
/// whole expression where the operator could not be placed).
pub(crate) fn binary_operations(
    file: &RuleFile,
) -> impl Iterator<
    Item = (
        &Group,
        &Rule,
        Vec<(&promql_parser::parser::BinaryExpr, crate::source::Span)>,
    ),
> {
    groups(file).flat_map(|group| {
        group.rules.iter().filter_map(move |rule| {
            let (expr, parsed) = parsed_expr(rule)?;
            let ops = crate::promql::binary_operators(parsed, &expr.text.value)
                .into_iter()
                .map(|(b, at)| (b, at.map_or(expr.text.span, |(s, e)| expr.file_span(s, e))))
                .collect();
            Some((group, rule, ops))
        })
    })
}

/// The rule's expression, when it parsed.
pub(crate) fn parsed_expr(rule: &Rule) -> Option<(&crate::rules::RuleExpr, &crate::promql::Expr)> {
    let expr = rule.expr.as_ref()?;
    expr.parsed.as_ref().ok().map(|parsed| (expr, parsed))
}

/// The file span of bytes `start..end` of a string field's value (through
/// quotes, escapes and folding).
pub(crate) fn value_span(
    file: &RuleFile,
    text: &crate::rules::Text,
    start: usize,
    end: usize,
) -> crate::source::Span {
    let offsets = crate::rules::expr_map::offsets_for(&file.source.text, text);
    let last = offsets.len() - 1;
    let from = offsets[start.min(last)];
    let to = offsets[end.saturating_sub(1).min(last)] + 1;
    crate::source::Span::new(from, to)
}

/// "`a`, `b`", or "no labels": what a result carries, for messages.
pub(crate) fn label_list(labels: &std::collections::BTreeSet<String>) -> String {
    if labels.is_empty() {
        return "no labels".to_string();
    }
    labels
        .iter()
        .map(|l| format!("`{l}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) use crate::suggest::closest;

#[cfg(test)]
pub(crate) mod testing {
    //! Table-driven check tests: rule text in, findings out.
    use std::sync::Arc;

    use super::*;
    use crate::rules::{load, LoadOptions};
    use crate::source::SourceFile;

    pub fn load_text(text: &str) -> RuleFile {
        load_text_named("test.yaml", text)
    }

    pub fn load_text_named(name: &str, text: &str) -> RuleFile {
        load(
            Arc::new(SourceFile::new(name, text.to_string())),
            LoadOptions::default(),
        )
    }

    /// Runs one check on `text` and returns `(line:col, message)` of its findings.
    pub fn run(check: &dyn Check, text: &str) -> Vec<(String, String)> {
        run_with(check, text, &Settings::default())
    }

    /// [`run`] with settings other than the defaults.
    pub fn run_with(check: &dyn Check, text: &str, settings: &Settings) -> Vec<(String, String)> {
        let set = RuleSet {
            files: vec![load_text(text)],
        };
        let house = House::read(&set);
        let mut out = Vec::new();
        let cx = FileContext {
            settings,
            house: house.for_file(&set.files[0]),
            whole: house.whole(),
        };
        check.check_file(&set.files[0], &cx, &mut out);
        check.check_set(
            &Context {
                rules: &set,
                runbooks: &RunbookSet::default(),
                partial: false,
                settings,
                house: &house,
                alertmanager: None,
            },
            &mut out,
        );
        out.iter()
            .map(|d| {
                let lc = d.source.line_col(d.span.start);
                (format!("{}:{}", lc.line, lc.column), d.message.clone())
            })
            .collect()
    }

    /// Settings with `check` configured by `table`, the body of its
    /// `[checks."<id>"]` in `.firedrill.toml`.
    pub fn configured(check: &dyn Check, table: &str) -> Settings {
        let doc = toml::de::DeTable::parse(table).unwrap();
        let span = doc.span();
        let raw = toml::Spanned::new(span, toml::de::DeValue::Table(doc.into_inner()));
        let mut settings = Settings::default();
        settings.set_options(check.info().id, check.configure(raw).unwrap());
        settings
    }

    /// Runs a check with a runbook page given as text.
    pub fn run_with_runbook(
        check: &dyn Check,
        rules: &str,
        runbook: &str,
        maps: &[&str],
    ) -> Vec<(String, String)> {
        let mut runbooks = RunbookSet::default();
        runbooks.push(
            Arc::new(SourceFile::new("runbook.md", runbook.to_string())),
            "runbook.md".into(),
            true,
        );
        for m in maps {
            runbooks
                .maps
                .push(crate::runbook::UrlMap::parse(m).unwrap());
        }
        let set = RuleSet {
            files: vec![load_text(rules)],
        };
        let mut out = Vec::new();
        check.check_set(
            &Context {
                rules: &set,
                runbooks: &runbooks,
                partial: false,
                settings: &Settings::default(),
                house: &House::read(&set),
                alertmanager: None,
            },
            &mut out,
        );
        out.iter()
            .map(|d| {
                let lc = d.source.line_col(d.span.start);
                (
                    format!("{}:{}:{}", d.source.name, lc.line, lc.column),
                    d.message.clone(),
                )
            })
            .collect()
    }

    /// The `line:col` of each finding.
    pub fn places(check: &dyn Check, text: &str) -> Vec<String> {
        run(check, text).into_iter().map(|(p, _)| p).collect()
    }
}
