//! `cargo xtask transcripts [--check]`: the terminal sessions shown in the book, from real runs.
//!
//! A transcript typed by hand goes stale the day a program's output changes, and nobody
//! notices. So every session the book shows is played here with the reference solutions:
//! a server is started on port 0, its `Listening on` line is read, a client is started
//! against it and fed the lines a learner would type, and everything each program prints
//! is recorded as the learner's terminal would show it. The typed text is put back after
//! each `>> ` prompt, as the terminal echoes it.
//!
//! What changes from run to run is then made fixed, so the files only change when the
//! programs do: RFC 3339 times become [`SHOWN_TIME`], each port the system picked becomes
//! the port the book talks about (1234), and the lesson 4 server's random numbers become
//! fixed ones, in the order they come.
//!
//! Without `--check` the files are written to `book/src/transcripts/`, where chapters include
//! them. With `--check` nothing is written: the sessions are played again and compared with
//! the committed files, and any difference fails the command (CI runs it).
//!
//! Only our own programs are used, never `nc`, so the sessions play the same on every
//! system. Where the book shows a netcat terminal, a plain socket does what netcat does
//! (send each typed line, show the bytes that come back), so its transcript is exactly what
//! netcat shows. The sessions themselves are in `transcripts/sessions.rs`; a lesson's longer
//! scripts may live in a module of their own, such as `transcripts/sessions/protected.rs`.
//!
//! The sessions of `transcripts/sessions/wire.rs` record what crosses the loopback interface
//! with tcpdump (`transcripts/capture.rs`), for `wire.md`. Where tcpdump is missing or may not
//! capture (it needs root), they are skipped with a note and their files kept as they are;
//! on CI, which installs it and runs as root, that is an error.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use course::Course;
use xtask::Error;

use crate::flags;

mod capture;
mod normalise;
mod sessions;
mod terminal;

// The sessions write `super::normalise(..)`: what a run prints, made repeatable.
use normalise::{normalise, replace_numbers};

/// Where the transcripts live; chapters include them as `transcripts/NAME.txt`.
const DIR: &str = "book/src/transcripts";

/// Every RFC 3339 time a program prints is shown as this one.
const SHOWN_TIME: &str = "2026-11-28T10:15:00+01:00";

/// The port the book uses in its examples; every server port picked by the system shows as it.
const SHOWN_PORT: u16 = 1234;

/// How long any one step of a session may take before the session is declared stuck.
const STEP: Duration = Duration::from_secs(10);

/// Runs `cargo xtask transcripts [--check]` from the workspace root.
pub fn run(args: &flags::Transcripts) -> Result<(), Error> {
    let course = xtask::load_course()?;
    let played = play_all(&course)?;
    if args.check {
        compare_with_committed(&played)?;
    } else {
        write_all(&played)?;
    }
    Ok(())
}

/// What the sessions produced, and the files of the sessions that could not be played.
struct Played {
    transcripts: Vec<Transcript>,
    /// Files of sessions whose programs are not in this workspace (a lesson not written
    /// yet): neither written, nor compared, nor reported as stale.
    skipped: Vec<&'static str>,
}

/// One terminal of one session, ready to become a file under `book/src/transcripts/`.
struct Transcript {
    /// File name, e.g. `tcp-client.txt`.
    name: &'static str,
    /// What the terminal showed, normalised.
    text: String,
}

impl Transcript {
    fn new(name: &'static str, text: String) -> Transcript {
        Transcript { name, text }
    }
}

/// Builds the programs, then plays every session whose lessons are in the course.
fn play_all(course: &Course) -> Result<Played, String> {
    // Each session, and whether it captures packets.
    let sessions: Vec<(&sessions::Session, bool)> = sessions::SESSIONS
        .iter()
        .map(|session| (session, false))
        .chain(sessions::CAPTURES.iter().map(|session| (session, true)))
        .collect();
    // Two sessions writing the same file would hide one of them.
    let mut names = BTreeSet::new();
    if let Some(twice) = sessions
        .iter()
        .flat_map(|(session, _)| session.files)
        .find(|name| !names.insert(**name))
    {
        return Err(format!("two sessions write {twice}"));
    }

    let playable = |session: &sessions::Session| {
        session
            .lessons
            .iter()
            .all(|&number| course.lesson(number).is_some())
    };
    let mut needed: Vec<u32> = sessions
        .iter()
        .filter(|(session, _)| playable(session))
        .flat_map(|(session, _)| session.lessons.iter().copied())
        .collect();
    needed.sort_unstable();
    needed.dedup();
    let programs = Programs::build(course, &needed)?;

    let mut played = Played {
        transcripts: Vec::new(),
        skipped: Vec::new(),
    };
    // Asked once, and only if a session captures packets.
    let captures_playable = sessions::CAPTURES.iter().any(playable);
    let capture = !captures_playable || capture::can_capture()?;
    for (session, captures) in &sessions {
        if *captures && !capture {
            played.skipped.extend(session.files);
            continue;
        }
        if !playable(session) {
            println!(
                "transcripts: skipped {} (needs lesson(s) {:?}, not in course.toml yet)",
                session.files.join(", "),
                session.lessons
            );
            played.skipped.extend(session.files);
            continue;
        }
        let transcripts = (session.play)(&programs)?;
        let written: Vec<&str> = transcripts.iter().map(|t| t.name).collect();
        if written != session.files {
            return Err(format!(
                "a session declares {:?} but wrote {written:?}",
                session.files
            ));
        }
        played.transcripts.extend(transcripts);
    }
    Ok(played)
}

/// The reference solutions the sessions run, built, by lesson number.
struct Programs {
    /// The package name (what the learner types after `-p`) and the executable.
    solutions: BTreeMap<u32, (String, PathBuf)>,
}

impl Programs {
    /// Builds the solutions of these lessons, so that a session never times out on a
    /// compile, and notes where cargo put them.
    fn build(course: &Course, lessons: &[u32]) -> Result<Programs, String> {
        let packages: Vec<(u32, &str)> = lessons
            .iter()
            .filter_map(|&number| course.lesson(number))
            .map(|lesson| (lesson.number, lesson.solution.name.as_str()))
            .collect();
        let mut args = vec!["build", "--quiet"];
        for (_, package) in &packages {
            args.extend(["--package", package]);
        }
        let artifacts = xtask::cargo::build(&args)?;
        let mut solutions = BTreeMap::new();
        for (number, package) in packages {
            let executable = artifacts
                .iter()
                .find(|artifact| !artifact.test && artifact.target == package)
                .map(|artifact| artifact.executable.clone())
                .ok_or_else(|| format!("cargo built {package} but did not say where it is"))?;
            solutions.insert(number, (package.to_string(), executable));
        }
        Ok(Programs { solutions })
    }

    /// Lesson `number`'s solution: its package name and its executable.
    fn solution(&self, number: u32) -> Result<&(String, PathBuf), String> {
        self.solutions
            .get(&number)
            .ok_or_else(|| format!("lesson {number}'s solution was not built"))
    }
}

fn write_all(played: &Played) -> Result<(), String> {
    let transcripts = &played.transcripts;
    fs::create_dir_all(DIR).map_err(|err| format!("could not create {DIR}: {err}"))?;
    for transcript in transcripts {
        let path = Path::new(DIR).join(transcript.name);
        fs::write(&path, &transcript.text)
            .map_err(|err| format!("could not write {}: {err}", path.display()))?;
    }
    for stale in unplayed_files(played)? {
        fs::remove_file(&stale)
            .map_err(|err| format!("could not remove {}: {err}", stale.display()))?;
        println!(
            "transcripts: removed {}, which no session plays",
            stale.display()
        );
    }
    println!(
        "transcripts: wrote {} files to {DIR}/ (review them with `git diff {DIR}`)",
        transcripts.len()
    );
    Ok(())
}

fn compare_with_committed(played: &Played) -> Result<(), String> {
    let transcripts = &played.transcripts;
    let mut problems = Vec::new();
    for transcript in transcripts {
        let path = Path::new(DIR).join(transcript.name);
        match fs::read_to_string(&path) {
            Ok(committed) if committed == transcript.text => {}
            Ok(committed) => problems.push(format!(
                "{}: no longer matches what the programs print (- committed, + now):\n{}",
                path.display(),
                xtask::text::line_diff(&committed, &transcript.text)
            )),
            Err(_) => problems.push(format!("{}: missing", path.display())),
        }
    }
    for stale in unplayed_files(played)? {
        problems.push(format!(
            "{}: no session plays it any more; delete it, or the chapters show a stale session",
            stale.display()
        ));
    }
    problems.extend(not_included(transcripts)?);
    if problems.is_empty() {
        println!(
            "transcripts: all {} files in {DIR}/ match the programs",
            transcripts.len()
        );
        return Ok(());
    }
    for problem in &problems {
        println!("transcripts: {problem}");
    }
    Err(format!(
        "{} transcript problem(s), listed above; run `cargo xtask transcripts` to write them \
         again, then review `git diff {DIR}` and the chapters that include them",
        problems.len()
    ))
}

/// Files in the transcripts folder that no session writes.
fn unplayed_files(played: &Played) -> Result<Vec<PathBuf>, String> {
    let Ok(entries) = fs::read_dir(DIR) else {
        return Ok(Vec::new());
    };
    let mut stale = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|err| format!("could not list {DIR}: {err}"))?
            .path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let known =
            played.transcripts.iter().any(|t| t.name == name) || played.skipped.contains(&name);
        if name.ends_with(".txt") && !known {
            stale.push(path);
        }
    }
    stale.sort();
    Ok(stale)
}

/// A transcript that no chapter includes is work nobody sees: report it.
fn not_included(transcripts: &[Transcript]) -> Result<Vec<String>, String> {
    let mut chapters = String::new();
    for page in xtask::book_check::files_with_extension(Path::new("book/src"), "md")? {
        chapters.push_str(
            &fs::read_to_string(&page)
                .map_err(|err| format!("could not read {}: {err}", page.display()))?,
        );
    }
    Ok(transcripts
        .iter()
        .filter(|t| !chapters.contains(&format!("transcripts/{}", t.name)))
        .map(|t| format!("{DIR}/{}: no chapter includes it", t.name))
        .collect())
}
