//! System tools some tests run. A missing one fails its test with one line
//! naming the Debian package that provides it (README's package line
//! installs them all).

use std::path::Path;

/// Whether `program` (a name looked up on PATH, or an absolute path) is
/// an executable file.
fn installed(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if program.contains('/') {
        return executable(Path::new(program));
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| executable(&dir.join(program))))
}

/// Panics, in one line, when `program` is not installed.
pub fn require(program: &str, package: &str) {
    assert!(
        installed(program),
        "this test runs `{program}`, which is not installed: apt-get install {package}"
    );
}

/// The Python that can `import module`: Debian's `/usr/bin/python3` first,
/// then the one on PATH; panics in one line naming the package otherwise.
pub fn python_with(module: &str, package: &str) -> &'static str {
    let has = |python: &str| {
        std::process::Command::new(python)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    for python in ["/usr/bin/python3", "python3"] {
        if has(python) {
            return python;
        }
    }
    panic!("this test needs the Python module `{module}`, which is not installed: apt-get install {package}");
}
