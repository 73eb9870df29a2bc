//! Programs outside Rust that the course uses (netcat, tmux, a shell), found the way a
//! shell finds them: along the `PATH`, with Windows's `PATHEXT` endings.

use std::env;
use std::ffi::OsString;
use std::path::PathBuf;

/// The first file called `name` on the `PATH` (on Windows also `name.exe`, `name.cmd`, ...).
pub fn find_program(name: &str) -> Option<PathBuf> {
    find_program_in(name, &env::var_os("PATH")?)
}

/// The same along a `PATH` given as its value (tests pass one without netcat).
pub fn find_program_in(name: &str, path: &OsString) -> Option<PathBuf> {
    let endings: Vec<String> = if cfg!(windows) {
        let pathext = env::var("PATHEXT").unwrap_or_else(|_| ".EXE;.CMD;.BAT;.COM".into());
        std::iter::once(String::new())
            .chain(pathext.split(';').map(str::to_lowercase))
            .collect()
    } else {
        vec![String::new()]
    };
    env::split_paths(path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .flat_map(|dir| {
            endings
                .iter()
                .map(move |ending| dir.join(format!("{name}{ending}")))
        })
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_is_found_only_along_the_path_given() {
        let cargo = PathBuf::from(process::cargo());
        let Some(dir) = cargo.parent().filter(|dir| dir.is_dir()) else {
            return; // cargo is found by name here: nothing to compare with
        };
        let path = env::join_paths([dir]).expect("a PATH");
        assert!(find_program_in("cargo", &path).is_some());
        assert_eq!(find_program_in("no-such-program-here", &path), None);
        assert_eq!(find_program_in("cargo", &OsString::new()), None);
    }
}
