use super::FileContext;
use super::{report, Check, CheckInfo};
use crate::diagnostic::{Diagnostic, Severity};
use crate::rules::{LoadProblem, RuleFile};

pub struct Manifest;

static INFO: CheckInfo = CheckInfo {
    id: "structure/manifest",
    severity: Severity::Error,
    default_enabled: true,
    options: &[],
    summary: "A PrometheusRule manifest without the parts that carry rules",
    docs: r#"## What it does
Checks that a document with `kind: PrometheusRule` has `apiVersion: monitoring.coreos.com/v1` and a
`spec.groups` list. Documents of other kinds in the same file (ConfigMaps, Deployments from
`helm template`) are skipped without a word.

## Why is this bad?
The Prometheus Operator only reads `spec.groups` of a `monitoring.coreos.com` PrometheusRule; anything
else is rejected by the API server or loads no rules.

## Example
```yaml
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: redis}
groups:            # must be under spec:
  - name: redis
```

## Fixed
```yaml
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: redis}
spec:
  groups:
    - name: redis
```"#,
};

impl Check for Manifest {
    fn info(&self) -> &'static CheckInfo {
        &INFO
    }

    fn check_file(&self, file: &RuleFile, _cx: &FileContext<'_>, out: &mut Vec<Diagnostic>) {
        for problem in &file.problems {
            if let LoadProblem::BadManifest { message, span } = problem {
                out.push(report(&INFO, file, *span, message.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::places;
    use super::*;

    #[test]
    fn reports_manifests_without_spec_groups() {
        let text =
            "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: x}\n";
        assert_eq!(places(&Manifest, text), ["2:1"]);
        let good =
            "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nspec:\n  groups: []\n";
        assert!(places(&Manifest, good).is_empty());
        let other = "apiVersion: v1\nkind: ConfigMap\ndata: {}\n";
        assert!(places(&Manifest, other).is_empty());
    }
}
