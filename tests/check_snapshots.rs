//! One snapshot per check, as oxc and pint keep one per rule: the human
//! rendering (message, span, label, help) of the check on its failing
//! example, `fixtures/checks/<family>/<name>/`. Every check of the registry
//! has one. A folder may hold a `runbook.md` (given as `--runbook`) and an
//! `args` file (flags, one per line, in place of `--select=<id>`).

use std::path::Path;

#[test]
fn every_check_renders_its_failing_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/checks");
    let mut missing = Vec::new();
    for check in firedrill::checks::registry() {
        let id = check.info().id;
        let dir = root.join(id);
        if !dir.is_dir() {
            missing.push(id);
            continue;
        }
        let mut args: Vec<String> = vec![
            "lint".into(),
            "--color=never".into(),
            "--fail-on=info".into(),
        ];
        match std::fs::read_to_string(dir.join("args")) {
            Ok(text) => args.extend(text.lines().map(str::to_string)),
            Err(_) => args.push(format!("--select={id}")),
        }
        if dir.join("runbook.md").is_file() {
            args.push("--runbook=runbook.md".into());
        }
        args.push(".".into());
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_firedrill"))
            .args(&args)
            .current_dir(&dir)
            .env_remove("NO_COLOR")
            .output()
            .unwrap();
        let rendered = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            rendered.contains(&format!("{id}\n")) || rendered.contains(&format!("{id} ")),
            "{id}: its example is not reported:\n{rendered}"
        );
        assert_eq!(out.status.code(), Some(1), "{id}: {rendered}");
        insta::assert_snapshot!(id.replace('/', "__"), rendered);
    }
    assert!(
        missing.is_empty(),
        "checks without an example in fixtures/checks: {missing:?}"
    );
}
