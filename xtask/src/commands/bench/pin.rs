//! Pinning: the server on one CPU, the bench on the others.
//!
//! On a machine with few cores, a server and its load generator that share a core measure
//! mostly how the scheduler happens to place them, and the numbers swing from run to run.
//! So a server the bench starts runs under `taskset -c 0`, and the bench moves itself, every
//! thread it has and every thread it starts later, to the other CPUs (`taskset -a -p`).
//! `taskset` is Linux only (util-linux); elsewhere, or with one CPU, or with `--no-pin`,
//! nothing is pinned and the bench says so.

use std::process::{Command, Stdio};
use std::thread;

/// Where the server and the bench run, when they are pinned.
#[derive(Debug, Clone)]
pub(super) struct Pinning {
    /// The CPU the server is pinned to.
    pub(super) server_cpu: usize,
    /// The CPUs the bench keeps, as taskset writes them (`1`, `1-7`).
    pub(super) bench_cpus: String,
}

impl Pinning {
    /// The words that start a program pinned to the server's CPU.
    pub(super) fn server_prefix(&self) -> Vec<String> {
        vec!["taskset".into(), "-c".into(), self.server_cpu.to_string()]
    }

    /// How the table's heading describes it.
    pub(super) fn describe(pinning: Option<&Pinning>) -> String {
        match pinning {
            Some(pinning) => format!(
                "server pinned to CPU {}, bench to CPU {}",
                pinning.server_cpu, pinning.bench_cpus
            ),
            None => "not pinned".into(),
        }
    }
}

/// Pins the bench to every CPU but the first and returns where the server goes, or says
/// why nothing is pinned. `wanted`: the bench starts the server, and `--no-pin` was not given.
pub(super) fn pin_bench(wanted: bool) -> Option<Pinning> {
    let why_not = if !wanted {
        Some("the bench does not start the server, or --no-pin")
    } else if !cfg!(target_os = "linux") {
        Some("taskset is Linux only")
    } else if thread::available_parallelism().map_or(1, usize::from) < 2 {
        Some("one CPU: server and bench share it")
    } else {
        None
    };
    if let Some(why_not) = why_not {
        println!("bench: not pinned ({why_not})");
        return None;
    }
    let cpus = thread::available_parallelism().map_or(2, usize::from);
    let bench_cpus = if cpus == 2 {
        "1".to_string()
    } else {
        format!("1-{}", cpus - 1)
    };
    let pinned = Command::new("taskset")
        .args([
            "-a",
            "-p",
            "-c",
            &bench_cpus,
            &std::process::id().to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !pinned {
        println!("bench: not pinned (taskset is missing or refused: `apt-get install util-linux`)");
        return None;
    }
    let pinning = Pinning {
        server_cpu: 0,
        bench_cpus,
    };
    println!("bench: {}", Pinning::describe(Some(&pinning)));
    Some(pinning)
}
