//! Which system this is, and how a package is installed on it: the fix lines of the
//! doctor name the command for this very machine (apt, dnf, pacman, brew, winget, ...).

use std::fs;
use std::path::Path;

/// The operating system, as far as installing things goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum System {
    /// Linux, with its package manager if known; `wsl` inside Windows's WSL.
    Linux {
        manager: Option<Manager>,
        wsl: bool,
    },
    MacOs,
    Windows,
    Other,
}

/// A Linux distribution's package manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Manager {
    Apt,
    Dnf,
    Pacman,
    Zypper,
    Apk,
}

/// A package, named the way each system names it.
pub(super) struct Package {
    pub apt: &'static str,
    pub dnf: &'static str,
    pub pacman: &'static str,
    pub zypper: &'static str,
    pub apk: &'static str,
    pub brew: &'static str,
    /// `None`: nothing to install on Windows (the line says what to do instead).
    pub winget: Option<&'static str>,
}

impl System {
    /// This machine.
    pub fn detect() -> System {
        if cfg!(target_os = "macos") {
            System::MacOs
        } else if cfg!(windows) {
            System::Windows
        } else if cfg!(target_os = "linux") {
            let os_release = fs::read_to_string("/etc/os-release").unwrap_or_default();
            let manager = manager_of(&os_release).or_else(manager_on_path);
            let wsl = fs::read_to_string("/proc/sys/kernel/osrelease")
                .is_ok_and(|release| release.to_lowercase().contains("microsoft"));
            System::Linux { manager, wsl }
        } else {
            System::Other
        }
    }

    /// A few words for the doctor's first line.
    pub fn describe(self) -> String {
        match self {
            System::Linux { manager, wsl } => {
                let base = if wsl { "Linux in WSL" } else { "Linux" };
                match manager {
                    Some(manager) => format!("{base}, {}", manager.program()),
                    None => base.to_string(),
                }
            }
            System::MacOs => "macOS".into(),
            System::Windows => "Windows".into(),
            System::Other => std::env::consts::OS.into(),
        }
    }

    /// The command that installs `package` here.
    pub fn install(self, package: &Package) -> String {
        match self {
            System::Linux {
                manager: Some(manager),
                ..
            } => {
                let name = match manager {
                    Manager::Apt => package.apt,
                    Manager::Dnf => package.dnf,
                    Manager::Pacman => package.pacman,
                    Manager::Zypper => package.zypper,
                    Manager::Apk => package.apk,
                };
                format!("{} {name}", manager.install_command())
            }
            System::Linux { manager: None, .. } | System::Other => {
                format!("install {} with your system's package manager", package.apt)
            }
            System::MacOs => format!("brew install {}", package.brew),
            System::Windows => match package.winget {
                Some(id) => format!("winget install {id} (or work in WSL)"),
                None => "not available on Windows: work in WSL".into(),
            },
        }
    }
}

impl Manager {
    fn program(self) -> &'static str {
        match self {
            Manager::Apt => "apt",
            Manager::Dnf => "dnf",
            Manager::Pacman => "pacman",
            Manager::Zypper => "zypper",
            Manager::Apk => "apk",
        }
    }

    fn install_command(self) -> &'static str {
        match self {
            Manager::Apt => "sudo apt-get install",
            Manager::Dnf => "sudo dnf install",
            Manager::Pacman => "sudo pacman -S",
            Manager::Zypper => "sudo zypper install",
            Manager::Apk => "sudo apk add",
        }
    }
}

/// The package manager of the distribution `/etc/os-release` describes (its `ID` and
/// `ID_LIKE`: Ubuntu is "like" Debian).
fn manager_of(os_release: &str) -> Option<Manager> {
    let ids: Vec<String> = os_release
        .lines()
        .filter_map(|line| {
            line.strip_prefix("ID=")
                .or_else(|| line.strip_prefix("ID_LIKE="))
        })
        .flat_map(|value| {
            value
                .trim_matches('"')
                .split_whitespace()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    let is = |names: &[&str]| ids.iter().any(|id| names.contains(&id.as_str()));
    if is(&["debian", "ubuntu"]) {
        Some(Manager::Apt)
    } else if is(&["fedora", "rhel", "centos"]) {
        Some(Manager::Dnf)
    } else if is(&["arch"]) {
        Some(Manager::Pacman)
    } else if is(&["suse", "opensuse"]) {
        Some(Manager::Zypper)
    } else if is(&["alpine"]) {
        Some(Manager::Apk)
    } else {
        None
    }
}

/// A package manager found in the usual place, when `/etc/os-release` did not say.
fn manager_on_path() -> Option<Manager> {
    [
        ("/usr/bin/apt-get", Manager::Apt),
        ("/usr/bin/dnf", Manager::Dnf),
        ("/usr/bin/pacman", Manager::Pacman),
        ("/usr/bin/zypper", Manager::Zypper),
        ("/sbin/apk", Manager::Apk),
    ]
    .into_iter()
    .find(|(path, _)| Path::new(path).exists())
    .map(|(_, manager)| manager)
}

#[cfg(test)]
mod tests {
    use super::super::checks::NETCAT;
    use super::*;

    #[test]
    fn the_distribution_names_its_package_manager() {
        let ubuntu = "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\n";
        assert_eq!(manager_of(ubuntu), Some(Manager::Apt));
        let rocky = "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n";
        assert_eq!(manager_of(rocky), Some(Manager::Dnf));
        assert_eq!(manager_of("ID=nixos\n"), None);
    }

    #[test]
    fn each_system_gets_its_own_fix() {
        let debian = System::Linux {
            manager: Some(Manager::Apt),
            wsl: false,
        };
        assert_eq!(
            debian.install(&NETCAT),
            "sudo apt-get install netcat-openbsd"
        );
        assert_eq!(System::MacOs.install(&NETCAT), "brew install netcat");
        assert!(
            System::Windows
                .install(&NETCAT)
                .starts_with("winget install Insecure.Nmap")
        );
    }
}
