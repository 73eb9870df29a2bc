//! `cargo xtask reset N [--yes] [--from REF]`: puts a lesson back to its skeleton as shipped.
//!
//! # Where the shipped skeleton comes from
//!
//! From git, which every clone has. The question is which commit, because a learner may
//! have committed their own work (rustlings users often do), and then `HEAD` holds *their*
//! program, not the skeleton. The candidates, in order:
//!
//! 1. `--from REF`, when given: any commit, branch or tag.
//! 2. The upstream of the current branch (`@{upstream}`, usually `origin/main`), then
//!    `origin/HEAD`, `origin/main` and `origin/master`: what was cloned or last pulled from
//!    the course's repository, which the learner's local commits do not change.
//! 3. `HEAD`, for a copy with no remote.
//!
//! The first candidate that has `lessons/lessonN` *and* still has a `todo!(` in its
//! `src/main.rs` is used; a candidate whose program has no `todo!(` left is the learner's
//! finished work (say, pushed to their own fork) and is skipped. We do not go back to the
//! first commit that shipped the lesson: a later `git pull` may have brought a corrected
//! skeleton, and the learner should get that one.
//!
//! Files are read with `git cat-file --filters`, which applies the checkout's line-ending
//! and other conversions, so a restored file is byte for byte what `git checkout` would
//! write. Nothing is staged: the index and the branches are never changed.
//!
//! Only the files of `lessons/lessonN` that git has are written; files the learner added
//! there are listed and left alone. Before a file is overwritten, its current content is
//! copied to `target/xtask/reset-backups/`, so even a hasty `--yes` loses nothing.

use std::fs;
use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::hint;
use crate::progress::{self, STATE_DIR};
use crate::verify::discover_lessons;

/// The skeleton of one lesson as git has it.
pub(crate) struct Pristine {
    pub lesson: u32,
    /// How the commit was chosen, for messages: `origin/main (1a2b3c4)`.
    pub source: String,
    /// Every file of `lessons/lessonN` in that commit (paths relative to the workspace root)
    /// with its content as a checkout would write it.
    pub files: Vec<(PathBuf, Vec<u8>)>,
}

/// How a working file differs from the shipped one.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Difference {
    Changed(PathBuf),
    Missing(PathBuf),
}

impl Difference {
    fn path(&self) -> &Path {
        match self {
            Difference::Changed(path) | Difference::Missing(path) => path,
        }
    }
}

impl Pristine {
    /// The shipped files that are not, byte for byte, in the working tree.
    pub(crate) fn differences(&self) -> Vec<Difference> {
        self.files
            .iter()
            .filter_map(|(path, content)| match fs::read(path) {
                Ok(current) if current == *content => None,
                Ok(_) => Some(Difference::Changed(path.clone())),
                Err(_) => Some(Difference::Missing(path.clone())),
            })
            .collect()
    }

    /// Files in `lessons/lessonN` that the skeleton does not have (left alone by reset).
    fn extra_files(&self) -> Vec<PathBuf> {
        let mut found = Vec::new();
        progress::collect_files(
            Path::new(&format!("lessons/lesson{}", self.lesson)),
            &mut found,
        );
        let mut extra: Vec<PathBuf> = found
            .into_iter()
            .filter(|path| !self.files.iter().any(|(shipped, _)| shipped == path))
            .collect();
        extra.sort();
        extra
    }
}

struct Options {
    lesson: u32,
    yes: bool,
    from: Option<String>,
}

/// Runs `cargo xtask reset N [--yes] [--from REF]` from the workspace root.
pub fn run(args: &[String]) -> Result<(), String> {
    let options = parse_options(args)?;
    let lesson = options.lesson;
    let pristine = pristine(lesson, options.from.as_deref())?;
    let differences = pristine.differences();
    let extra = pristine.extra_files();

    if differences.is_empty() {
        println!(
            "reset: lesson {lesson} is already the skeleton as shipped ({}); nothing to do.",
            pristine.source
        );
        print_extra(&extra);
        return Ok(());
    }

    println!(
        "reset: lesson {lesson} goes back to its skeleton from {}:",
        pristine.source
    );
    for difference in &differences {
        match difference {
            Difference::Changed(path) => {
                println!("  {}  (your changes are replaced)", path.display());
            }
            Difference::Missing(path) => println!("  {}  (missing: put back)", path.display()),
        }
    }
    if !options.yes && !confirmed(lesson)? {
        println!("reset: nothing changed.");
        return Ok(());
    }

    let backup = backup_dir(lesson);
    let mut saved = false;
    for difference in &differences {
        let path = difference.path();
        if let Difference::Changed(_) = difference {
            let copy = backup.join(path);
            if let Some(dir) = copy.parent() {
                fs::create_dir_all(dir)
                    .map_err(|err| format!("could not create {}: {err}", dir.display()))?;
            }
            fs::copy(path, &copy).map_err(|err| {
                format!(
                    "could not keep a copy of {} in {}: {err} (nothing was reset)",
                    path.display(),
                    copy.display()
                )
            })?;
            saved = true;
        }
    }
    for difference in &differences {
        let path = difference.path();
        let content = pristine
            .files
            .iter()
            .find(|(shipped, _)| shipped == path)
            .map(|(_, content)| content)
            .ok_or_else(|| format!("internal: no shipped content for {}", path.display()))?;
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)
                .map_err(|err| format!("could not create {}: {err}", dir.display()))?;
        }
        fs::write(path, content)
            .map_err(|err| format!("could not write {}: {err}", path.display()))?;
        println!("restored: {}", path.display());
    }
    if saved {
        println!("Your previous version is kept in {}.", backup.display());
    }
    print_extra(&extra);
    hint::forget(lesson);
    println!(
        "Lesson {lesson} starts over: `cargo xtask hint {lesson}` starts again from hint 1, \
         and the skeleton's TODOs are yours again."
    );
    Ok(())
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut lesson = None;
    let mut yes = false;
    let mut from = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--yes" | "-y" => yes = true,
            "--from" => {
                let reference = args
                    .next()
                    .ok_or("--from needs a git commit, branch or tag, e.g. --from origin/main")?;
                from = Some(reference.clone());
            }
            other if other.starts_with('-') => {
                return Err(format!("reset: unknown option `{other}`"));
            }
            other if lesson.is_none() => {
                lesson = Some(progress::parse_lesson(other, &discover_lessons()?)?);
            }
            other => return Err(format!("reset: one lesson at a time (`{other}` is extra)")),
        }
    }
    let lesson = lesson.ok_or(
        "reset: which lesson? e.g. `cargo xtask reset 1` (it asks before changing anything)",
    )?;
    Ok(Options { lesson, yes, from })
}

/// Asks on the terminal. Without one (a pipe, a closed stdin) nobody can answer, so the
/// answer is an error that says how to reset without asking.
fn confirmed(lesson: u32) -> Result<bool, String> {
    let stdin = io::stdin();
    if !stdin.is_terminal() {
        return Err(format!(
            "reset: not resetting without a confirmation, and there is no terminal to ask on; \
             `cargo xtask reset {lesson} --yes` resets without asking"
        ));
    }
    print!("Reset lesson {lesson}? [y/N] ");
    io::stdout()
        .flush()
        .map_err(|err| format!("could not write to the terminal: {err}"))?;
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|err| format!("could not read the answer: {err}"))?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn backup_dir(lesson: u32) -> PathBuf {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or(0);
    PathBuf::from(format!(
        "{STATE_DIR}/reset-backups/lesson{lesson}-{seconds}"
    ))
}

fn print_extra(extra: &[PathBuf]) {
    if extra.is_empty() {
        return;
    }
    println!(
        "Not part of the skeleton, so left as they are (delete them if you do not need them):"
    );
    for path in extra {
        println!("  {}", path.display());
    }
}

// ---------------------------------------------------------------------------------------
// The shipped skeleton, from git

/// The lesson's skeleton as shipped; `from` overrides the choice of commit (see the module
/// documentation for the rules).
pub(crate) fn pristine(lesson: u32, from: Option<&str>) -> Result<Pristine, String> {
    git_available(lesson)?;
    let candidates: Vec<String> = match from {
        Some(reference) => vec![reference.to_string()],
        None => default_candidates(),
    };
    let dir = format!("lessons/lesson{lesson}");
    let mut skipped = Vec::new();
    for reference in &candidates {
        let Some(commit) = resolve(reference) else {
            if from.is_some() {
                return Err(format!("reset: git knows no commit `{reference}`"));
            }
            continue;
        };
        let listing = git(&["ls-tree", "-r", "-z", "--name-only", &commit, "--", &dir])?;
        let paths: Vec<PathBuf> = String::from_utf8_lossy(&listing.stdout)
            .split('\0')
            .filter(|path| !path.is_empty())
            .map(PathBuf::from)
            .collect();
        if paths.is_empty() {
            skipped.push(format!("{reference} has no {dir}"));
            continue;
        }
        let mut files = Vec::new();
        for path in paths {
            let content = show(&commit, &path)?;
            files.push((path, content));
        }
        let main = PathBuf::from(format!("{dir}/src/main.rs"));
        let is_skeleton = files.iter().any(|(path, content)| {
            *path == main && String::from_utf8_lossy(content).contains("todo!(")
        });
        if !is_skeleton && from.is_none() {
            skipped.push(format!(
                "{reference} has a finished program in {} (no todo!() left): your own work?",
                main.display()
            ));
            continue;
        }
        let short = commit.get(..7).unwrap_or(&commit);
        return Ok(Pristine {
            lesson,
            source: format!("{reference} ({short})"),
            files,
        });
    }
    Err(format!(
        "could not find lesson {lesson}'s skeleton in git ({}). If you know a commit that has \
         it, name it: `cargo xtask reset {lesson} --from <commit>` (`git log --oneline -- {dir}` \
         lists the commits that changed it).",
        if skipped.is_empty() {
            "no commit to look in".to_string()
        } else {
            skipped.join("; ")
        }
    ))
}

/// `@{upstream}`, the usual remote names, then `HEAD`.
fn default_candidates() -> Vec<String> {
    let mut candidates = Vec::new();
    let upstream = git(&[
        "rev-parse",
        "--abbrev-ref",
        "--symbolic-full-name",
        "@{upstream}",
    ]);
    if let Ok(output) = upstream {
        let name = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if output.status.success() && !name.is_empty() {
            candidates.push(name);
        }
    }
    for reference in ["origin/HEAD", "origin/main", "origin/master", "HEAD"] {
        if !candidates.iter().any(|known| known == reference) {
            candidates.push(reference.to_string());
        }
    }
    candidates
}

/// The commit a name stands for, or `None` if git does not know it.
fn resolve(reference: &str) -> Option<String> {
    let output = git(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{reference}^{{commit}}"),
    ])
    .ok()?;
    let commit = String::from_utf8_lossy(&output.stdout).trim().to_string();
    (output.status.success() && !commit.is_empty()).then_some(commit)
}

/// The content of `path` in `commit`, converted as a checkout would write it.
fn show(commit: &str, path: &Path) -> Result<Vec<u8>, String> {
    // `./` makes the path relative to the current directory (the workspace root), which
    // need not be the top of the git repository.
    let object = format!("{commit}:./{}", path.to_string_lossy().replace('\\', "/"));
    let output = git(&["cat-file", "--filters", &object])?;
    if !output.status.success() {
        return Err(format!(
            "git could not read {object}: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(output.stdout)
}

fn git_available(lesson: u32) -> Result<(), String> {
    let output = Command::new("git")
        .args(["rev-parse", "--is-inside-work-tree"])
        .stdin(Stdio::null())
        .output()
        .map_err(|err| {
            format!(
                "git is needed to find the skeleton as shipped, and it could not be started \
                 ({err}). Install git (https://git-scm.com) and make sure `git --version` \
                 works; or download lessons/lesson{lesson}/ again from the course's repository."
            )
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "this workspace is not a git repository (was it downloaded as a zip?), so git \
             cannot say what the skeleton was: download lessons/lesson{lesson}/ again from \
             the course's repository, or clone it with git"
        ))
    }
}

/// Runs git in the workspace root and collects its output; `Err` only if git could not run.
fn git(args: &[&str]) -> Result<Output, String> {
    Command::new("git")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("could not run git {}: {err}", args.join(" ")))
}
