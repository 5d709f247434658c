//! Running git in a test repository, with an identity and no signing.

use std::path::Path;
use std::process::Command;

/// Runs git in `dir`; panics with git's message when it fails; returns stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_with(dir, args, &[])
}

/// [`git`] with extra environment variables (`GIT_COMMITTER_DATE`, say).
pub fn git_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    super::tools::require("git", "git");
    let out = Command::new("git")
        .envs(env.iter().copied())
        .current_dir(dir)
        .args([
            "-c",
            "user.name=firedrill",
            "-c",
            "user.email=ci@firedrill.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
