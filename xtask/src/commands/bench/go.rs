//! The Go original, `concTCP.go`, as a server to compare with.
//!
//! The Go programs the course follows come with the guide it grew from and are not part of
//! this repository; they sit beside it, in `shared/seed/go/`, next to the clone or in a
//! folder above it. When that file and the `go` command are both there, `go build` makes
//! `target/bench/concTCP` once; otherwise the bench says which is missing and leaves Go out.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where the Go original is looked for, under the clone's parent folders.
const SOURCE: &str = "shared/seed/go/concTCP.go";

/// `go build`s the Go original, or says why it cannot (and the bench leaves it out).
pub(super) fn build(root: &Path, target: &Path) -> Result<PathBuf, String> {
    let source = root
        .ancestors()
        .skip(1)
        .map(|folder| folder.join(SOURCE))
        .find(|path| path.is_file())
        .ok_or_else(|| format!("{SOURCE} is not beside this clone"))?;
    let version = Command::new("go")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !version.is_ok_and(|status| status.success()) {
        return Err("the `go` command is not installed (https://go.dev/dl/)".into());
    }
    let program = target.join("concTCP");
    println!(
        "bench: go build -o {} {}",
        program.display(),
        source.display()
    );
    let built = Command::new("go")
        .arg("build")
        .arg("-o")
        .arg(&program)
        .arg(&source)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| format!("could not run go build: {error}"))?;
    if !built.status.success() {
        return Err(format!(
            "go build failed: {}",
            String::from_utf8_lossy(&built.stderr).trim()
        ));
    }
    Ok(program)
}
