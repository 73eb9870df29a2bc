//! Building with cargo, and finding what it built.
//!
//! `cargo build --message-format=json-render-diagnostics` prints cargo's own messages as
//! JSON lines on stdout (the compiler's, rendered for people, go to stderr). Each
//! `compiler-artifact` message names the package, the target and, for a program or a test
//! binary, the executable: right whatever the target directory is. The few fields needed
//! are read from the text directly (xtask has no JSON dependency).

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// One program or test binary cargo built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The package it belongs to: `lesson1-solution`.
    pub package: String,
    /// The target's name: the binary's name, or the test file's (`lesson1`, `interop`).
    pub target: String,
    /// Built as a test harness (`cargo test --no-run`), not as a program.
    pub test: bool,
    pub executable: PathBuf,
}

/// Runs `cargo <args> --message-format=json-render-diagnostics` (a `build` or a
/// `test --no-run`), with the compiler's messages shown on stderr, and returns every
/// executable it built.
pub fn build(args: &[&str]) -> Result<Vec<Artifact>, String> {
    let output = Command::new(process::cargo())
        .args(args)
        .arg("--message-format=json-render-diagnostics")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| format!("could not start cargo: {err}"))?;
    if !output.status.success() {
        return Err(format!(
            "`cargo {}` failed (its messages are above)",
            args.join(" ")
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(artifact)
        .collect())
}

/// The executable of one cargo message, if it is a `compiler-artifact` that has one.
pub fn artifact(message: &str) -> Option<Artifact> {
    if !message.contains("\"reason\":\"compiler-artifact\"") {
        return None;
    }
    let executable = string_after(message, "\"executable\":")?;
    let target_part = &message[message.find("\"target\":")?..];
    let target = string_after(target_part, "\"name\":")?;
    let test = message.contains("\"test\":true");
    let package = string_after(message, "\"package_id\":").map_or_else(String::new, |id| {
        // `path+file:///work/solutions/lesson1#lesson1-solution@0.1.0` (cargo 1.77 and
        // later), or `lesson1-solution 0.1.0 (path+file:///...)` before.
        match id.split_once('#') {
            Some((_, rest)) => rest.split('@').next().unwrap_or(rest).to_string(),
            None => id.split(' ').next().unwrap_or(&id).to_string(),
        }
    });
    Some(Artifact {
        package,
        target,
        test,
        executable: PathBuf::from(executable),
    })
}

/// The JSON string that follows `key` (which includes the colon), unescaped; `None` for
/// `null` or anything else.
fn string_after(text: &str, key: &str) -> Option<String> {
    let start = text.find(key)? + key.len();
    let mut chars = text[start..].trim_start().strip_prefix('"')?.chars();
    let mut value = String::new();
    loop {
        match chars.next()? {
            '"' => return Some(value),
            '\\' => match chars.next()? {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    value.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                other => value.push(other), // `\\`, `\"`, `\/`
            },
            other => value.push(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_executable_comes_from_cargos_message() {
        let message = r#"{"reason":"compiler-artifact","package_id":"path+file:///w#lesson2-solution@0.1.0","target":{"kind":["bin"],"name":"lesson2-solution"},"profile":{"test":false},"executable":"C:\\work\\target\\debug\\lesson2-solution.exe","fresh":true}"#;
        assert_eq!(
            artifact(message),
            Some(Artifact {
                package: "lesson2-solution".into(),
                target: "lesson2-solution".into(),
                test: false,
                executable: PathBuf::from(r"C:\work\target\debug\lesson2-solution.exe"),
            })
        );
        let library =
            r#"{"reason":"compiler-artifact","target":{"name":"netkit"},"executable":null}"#;
        assert_eq!(artifact(library), None);
        let test = r#"{"reason":"compiler-artifact","target":{"kind":["test"],"name":"interop"},"profile":{"opt_level":"0","test":true},"executable":"/t/interop-1"}"#;
        assert!(artifact(test).is_some_and(|a| a.test && a.target == "interop"));
    }
}
