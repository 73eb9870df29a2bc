//! The learner's state, and its only owner: which lessons were seen passing, and which hints
//! were shown.
//!
//! Both live in small text files under `target/xtask/`, outside the lessons, so the
//! lessons' folders only ever hold the learner's work and `cargo clean` forgets it all.
//! Nothing else reads or writes these files.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use course::{Course, Lesson};

/// Where the learner tooling keeps its state and logs.
pub const STATE_DIR: &str = "target/xtask";

const PASSED: &str = "passed.txt";
const HINTS_SEEN: &str = "hints-seen.txt";

fn state_file(name: &str) -> PathBuf {
    Path::new(STATE_DIR).join(name)
}

// Lessons seen passing: `lessonN <fingerprint>` per line in `passed.txt`.

/// Remembers that the lesson passed with its files as they are now.
pub fn record_pass(lesson: &Lesson) {
    let key = key(lesson);
    let mut lines: Vec<String> = fs::read_to_string(state_file(PASSED))
        .unwrap_or_default()
        .lines()
        .filter(|line| line.split_whitespace().next() != Some(key.as_str()))
        .map(str::to_string)
        .collect();
    lines.push(format!("{key} {:016x}", fingerprint(lesson)));
    // A record that cannot be written only costs a test run later.
    let _ = fs::create_dir_all(STATE_DIR);
    let _ = fs::write(state_file(PASSED), lines.join("\n") + "\n");
}

/// Whether the lesson was seen passing with exactly its current files and tests.
pub fn known_passed(lesson: &Lesson) -> bool {
    let wanted = format!("{} {:016x}", key(lesson), fingerprint(lesson));
    fs::read_to_string(state_file(PASSED))
        .unwrap_or_default()
        .lines()
        .any(|line| line.trim() == wanted)
}

/// The first lesson with tests not known to pass: what `watch` and `hint` work on when no
/// lesson is named. Cheap: it runs no tests (a lesson that passes but was never seen
/// passing counts as unfinished; its first test run then says it is done).
pub fn first_unfinished(course: &Course) -> Option<&Lesson> {
    course
        .lessons
        .iter()
        .find(|lesson| lesson.tests.is_file() && !known_passed(lesson))
}

/// How the state files name a lesson: by its learner package, `lesson1`.
fn key(lesson: &Lesson) -> String {
    lesson.skeleton.name.clone()
}

/// A hash of the lesson's files and of its tests. FNV-1a: tiny, and stable from one Rust
/// release to the next (unlike `DefaultHasher`), so the record stays valid.
fn fingerprint(lesson: &Lesson) -> u64 {
    let mut files = crate::fs::files_under(&lesson.skeleton.dir);
    files.extend(test_files(lesson));
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in files {
        let name = file.to_string_lossy().into_owned().into_bytes();
        let content = fs::read(&file).unwrap_or_default();
        for byte in name.iter().chain(&[0]).chain(&content).chain(&[0]) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

/// The lesson's test file and the parts it is split into: `tests/lesson5.rs` and every file
/// under `tests/lesson5/`. A change to any of them is a change to the tests.
/// (Paths as course.toml gives them, relative to the workspace root we run in.)
pub fn test_files(lesson: &Lesson) -> Vec<PathBuf> {
    test_files_in(Path::new(""), lesson)
}

/// [`test_files`] of a workspace at `root`.
fn test_files_in(root: &Path, lesson: &Lesson) -> Vec<PathBuf> {
    let tests = root.join(&lesson.tests);
    let mut files = vec![tests.clone()];
    let parts = tests.with_extension("");
    if parts.is_dir() {
        files.extend(crate::fs::files_under(&parts));
    }
    files
}

// Hints shown: `lessonN 1 2` per line in `hints-seen.txt`.

/// Which hints were shown, per lesson.
pub struct HintsSeen {
    lessons: Vec<(String, BTreeSet<u32>)>,
}

impl HintsSeen {
    pub fn load() -> HintsSeen {
        let text = fs::read_to_string(state_file(HINTS_SEEN)).unwrap_or_default();
        let lessons = text
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let lesson = words.next()?.to_string();
                let hints = words.filter_map(|word| word.parse().ok()).collect();
                Some((lesson, hints))
            })
            .collect();
        HintsSeen { lessons }
    }

    /// The hints of this lesson shown so far.
    pub fn shown(&self, lesson: &Lesson) -> BTreeSet<u32> {
        let key = key(lesson);
        self.lessons
            .iter()
            .find(|(name, _)| *name == key)
            .map(|(_, hints)| hints.clone())
            .unwrap_or_default()
    }

    pub fn mark(&mut self, lesson: &Lesson, hint: u32) {
        let key = key(lesson);
        match self.lessons.iter_mut().find(|(name, _)| *name == key) {
            Some((_, hints)) => {
                hints.insert(hint);
            }
            None => self.lessons.push((key, BTreeSet::from([hint]))),
        }
    }

    /// Forgets the lesson's hints (when the lesson starts over).
    pub fn forget(&mut self, lesson: &Lesson) {
        let key = key(lesson);
        self.lessons.retain(|(name, _)| *name != key);
    }

    pub fn save(&self) -> Result<(), String> {
        let mut text = String::new();
        for (lesson, hints) in &self.lessons {
            let numbers: Vec<String> = hints.iter().map(u32::to_string).collect();
            text.push_str(&format!("{lesson} {}\n", numbers.join(" ")));
        }
        crate::fs::write_text(&state_file(HINTS_SEEN), &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lesson 5's tests are split into `tests/lesson5/*.rs`: a change there is a change to
    /// its tests, so a pass recorded before it no longer counts.
    #[test]
    fn a_split_test_file_counts_with_its_parts() {
        let course = crate::load_course().expect("course.toml loads");
        let lesson = course.lesson(5).expect("lesson 5");
        let files = test_files_in(&course.root, lesson);
        assert!(
            files.contains(&course.root.join(&lesson.tests)),
            "{files:?}"
        );
        let part = course.root.join("tests/lesson5/todo1_threads.rs");
        assert!(files.contains(&part), "{files:?}");
    }
}
