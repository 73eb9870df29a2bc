//! Several servers side by side: each scenario runs against every server in turn (never at
//! the same time: they would share the CPU), and the results come out as one Markdown table
//! that can be pasted into the book as it is, with the conditions of the run above it.
//!
//! Request/reply runs are interleaved: round 1 of every server at every level, then round 2,
//! so that a machine that gets busier during the run does not favour whoever went first.
//! With `--rounds R`, each cell shows the run with the median replies per second.
//!
//! Every line fits [`WIDTH`] columns, a terminal projected at a size the back of a room can
//! read: the tables name the servers briefly (`lesson 7`, `Go`), and whatever does not fit a
//! table's row (a server's errors, its threads in request/reply) is in the lines above it.

use std::fs;

use super::Options;
use super::WIDTH;
use super::hold::{self, HoldReport};
use super::request_reply::{self, Row, mebibytes, micros, shown};
use super::server::{Launch, ServerSpec};
use super::slowloris;

/// Request/reply against every server: returns how many replies came in all.
pub(super) fn request_reply(options: &Options, launch: &Launch) -> Result<usize, String> {
    let servers = &options.servers;
    let levels = &options.connections;
    // rows[level][server]: one row per round.
    let mut rows: Vec<Vec<Vec<Row>>> = vec![vec![Vec::new(); servers.len()]; levels.len()];
    let conditions = conditions(launch);
    for round in 1..=options.rounds {
        for (level, &connections) in levels.iter().enumerate() {
            for (index, server) in servers.iter().enumerate() {
                let mut running = server.start(false, launch)?;
                let row = request_reply::run(options, connections, &mut running);
                running.report_stderr();
                let row = row?;
                println!(
                    "  round {round}, {connections} clients, {}: {:.0} replies/s, p99 {}, \
                     {} threads, {} errors",
                    server.short_label(),
                    row.per_second,
                    micros(row.p99),
                    shown(row.threads),
                    row.errors
                );
                rows[level][index].push(row);
            }
        }
    }
    let about = format!(
        "Busy clients: each sends a line and waits for the reply, again and again, for {} s; \
         {}. {}",
        options.seconds,
        if options.rounds > 1 {
            format!("the median of {} runs", options.rounds)
        } else {
            "one run".to_string()
        },
        conditions
    );
    println!("\n{}\n", xtask::text::wrap(&about, 0, WIDTH));
    for line in REQUEST_REPLY_HEADING {
        println!("{line}");
    }
    let mut answered = 0;
    let mut errors = Vec::new();
    for (level, &connections) in levels.iter().enumerate() {
        let medians: Vec<Row> = rows[level].iter_mut().map(|runs| median(runs)).collect();
        let first = &medians[0];
        for (server, row) in servers.iter().zip(&medians) {
            answered += row.replies;
            println!("{}", request_reply_row(&server.short_label(), row, first));
            if row.errors > 0 {
                errors.push(format!(
                    "{} at {}: {}",
                    server.short_label(),
                    thousands(connections as u64),
                    thousands(row.errors)
                ));
            }
        }
    }
    if !errors.is_empty() {
        let note = format!("Errors (in the runs shown): {}.", errors.join("; "));
        println!("\n{}", xtask::text::wrap(&note, 0, WIDTH));
    }
    Ok(answered)
}

/// The request/reply comparison's heading and its alignment line.
const REQUEST_REPLY_HEADING: [&str; 2] = [
    "| clients | server | replies/s | ÷ first | p50 | p99 | ÷ first | p99.9 | peak RSS | CPU/reply |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
];

/// One server at one level, beside the first server at that level.
fn request_reply_row(label: &str, row: &Row, first: &Row) -> String {
    format!(
        "| {} | {label} | {:.0} | {} | {} | {} | {} | {} | {} | {} |",
        thousands(row.connections as u64),
        row.per_second,
        ratio(Some(row.per_second), Some(first.per_second)),
        micros(row.p50),
        micros(row.p99),
        ratio(row.p99.map(|p| p as f64), first.p99.map(|p| p as f64)),
        micros(row.p999),
        row.peak_rss.map_or("-".into(), mebibytes),
        row.cpu_per_reply()
    )
}

/// Holding `count` idle connections, on every server; one column each.
pub(super) fn hold(options: &Options, launch: &Launch, count: usize) -> Result<usize, String> {
    let conditions = conditions(launch);
    let mut reports: Vec<HoldReport> = Vec::new();
    for server in &options.servers {
        println!("{}:", server.label());
        let mut running = server.start(false, launch)?;
        let report = hold::hold(
            running.address,
            count,
            options.sources,
            &options.message,
            &mut running,
        );
        running.report_stderr();
        reports.push(report?);
    }
    let about = format!(
        "Holding {} connections, opened in waves, then one round trip on each. The server's \
         memory per connection is how much its RSS grew from before the first connection, \
         divided by the connections held. {conditions}",
        thousands(count as u64)
    );
    println!("\n{}\n", xtask::text::wrap(&about, 0, WIDTH));
    for line in hold_table(count, &options.servers, &reports) {
        println!("{line}");
    }
    Ok(reports.iter().map(|r| r.answered).sum())
}

/// The hold comparison: one row per measure, one column per server.
fn hold_table(count: usize, servers: &[ServerSpec], reports: &[HoldReport]) -> Vec<String> {
    let labels: Vec<String> = servers.iter().map(ServerSpec::short_label).collect();
    let mut lines = vec![
        format!(
            "| holding {} connections | {} |",
            thousands(count as u64),
            labels.join(" | ")
        ),
        format!("|---|{}", "---:|".repeat(labels.len())),
    ];
    let rows: [(&str, Cell); 11] = [
        ("connected", |r| thousands(r.connected as u64)),
        ("time to connect them all", |r| {
            format!("{:.2} s", r.connect_seconds)
        }),
        ("server CPU while all sit idle", |r| {
            hold::percent(r.idle_cpu)
        }),
        ("round trips answered", |r| thousands(r.answered as u64)),
        ("time for one round trip on each", |r| {
            format!("{:.2} s", r.round_seconds)
        }),
        ("server threads", |r| shown(r.threads)),
        ("server RSS before connecting", |r| {
            r.memory.before.map_or("-".into(), mebibytes)
        }),
        ("RSS per connection, all idle", |r| {
            hold::kibibytes(r.memory.idle_per_connection())
        }),
        ("RSS per connection, after replies", |r| {
            hold::kibibytes(r.memory.after_round_per_connection())
        }),
        ("server peak memory (RSS)", |r| {
            r.memory.peak.map_or("-".into(), mebibytes)
        }),
        ("all closed, a new client is told", |r| r.after_close.cell()),
    ];
    for (name, cell) in rows {
        let cells: Vec<String> = reports.iter().map(cell).collect();
        lines.push(format!("| {name} | {} |", cells.join(" | ")));
    }
    lines
}

/// One row of the hold table: how a report shows in its column.
type Cell = fn(&HoldReport) -> String;

/// Slowloris against every server; one group of columns each, one row per second.
pub(super) fn slowloris(
    options: &Options,
    launch: &Launch,
    stalled: usize,
) -> Result<usize, String> {
    let conditions = conditions(launch);
    let duration = std::time::Duration::from_secs_f64(options.seconds);
    let mut reports = Vec::new();
    for server in &options.servers {
        println!("{}:", server.label());
        let mut running = server.start(false, launch)?;
        let report = slowloris::run(&mut running, stalled, duration, &options.message);
        running.report_stderr();
        reports.push(report?);
    }
    let about = format!(
        "Slowloris: {} clients each send one byte of a line, then nothing; one more client \
         asks every 10 ms. `{{idle}}` is {} s. {conditions}",
        thousands(stalled as u64),
        launch.idle_timeout
    );
    println!("\n{}\n", xtask::text::wrap(&about, 0, WIDTH));
    let mut heading = String::from("| s |");
    let mut rule = String::from("|---:|");
    for server in &options.servers {
        let label = server.label();
        heading.push_str(&format!(
            " {label}: p50 / p99 | threads | RSS | stalled open | CPU |"
        ));
        rule.push_str("---:|---:|---:|---:|---:|");
    }
    for (server, report) in options.servers.iter().zip(&reports) {
        if let Some(problem) = &report.problem {
            println!(
                "({}: not every stalled client connected: {problem})",
                server.label()
            );
        }
    }
    println!("{heading}\n{rule}");
    let rows = reports.iter().map(|r| r.seconds.len()).max().unwrap_or(0);
    for at in 0..rows {
        let mut line = format!("| {} |", at + 1);
        for report in &reports {
            match report.seconds.get(at) {
                Some(second) => line.push_str(&format!(
                    " {} / {}{} | {} | {} | {} | {} |",
                    micros(second.p50),
                    micros(second.p99),
                    if second.errors > 0 {
                        format!(" ({} failed)", second.errors)
                    } else {
                        String::new()
                    },
                    shown(second.threads),
                    second.rss.map_or("-".into(), mebibytes),
                    thousands(second.stalled_open as u64),
                    hold::percent(second.cpu)
                )),
                None => line.push_str(" | | | | |"),
            }
        }
        println!("{line}");
    }
    Ok(reports
        .iter()
        .flat_map(|r| &r.seconds)
        .map(|s| s.answered)
        .sum())
}

/// The run of median replies per second among `runs` (sorted in place).
fn median(runs: &mut [Row]) -> Row {
    runs.sort_by(|a, b| a.per_second.total_cmp(&b.per_second));
    runs[runs.len() / 2].clone()
}

/// `value ÷ base`, as `1.23×`.
fn ratio(value: Option<f64>, base: Option<f64>) -> String {
    match (value, base) {
        (Some(value), Some(base)) if base > 0.0 => format!("{:.2}×", value / base),
        _ => "-".into(),
    }
}

/// `12,345`.
pub(super) fn thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut shown = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            shown.push(',');
        }
        shown.push(digit);
    }
    shown
}

/// The machine and the load it had when the run started, and the pinning: numbers from a
/// busy machine are not numbers from a quiet one, and a table should say which it is.
pub(super) fn conditions(launch: &super::server::Launch) -> String {
    let cpus = launch.cpus;
    let load: Option<f64> = fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse().ok());
    let shown = load.map_or(String::new(), |load| {
        format!(", load average {load:.2} at the start")
    });
    // The scheduler shares a core fairly between threads, not between programs: on a busy
    // machine a server with a thousand threads gets far more of it than one with four.
    let busy = match load {
        Some(load) if load > cpus as f64 / 2.0 => {
            " The machine is busy: other programs share the server's core, and a server with \
             many threads can get more of it than one with few (Go), so these numbers favour \
             thread-per-client servers; measure again on a quiet machine."
        }
        _ => "",
    };
    format!(
        "{cpus} CPUs{shown}; {}.{busy}",
        super::pin::Pinning::describe(launch.pinning.as_ref())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::path::PathBuf;

    use super::hold::{AfterClose, Memory};

    /// Four servers, as in `--compare 5,6,7,go`.
    fn four_servers() -> Vec<ServerSpec> {
        let mut servers: Vec<ServerSpec> =
            ["lesson5-solution", "lesson6-solution", "lesson7-solution"]
                .map(|package| ServerSpec::lesson(package, Vec::new()))
                .into_iter()
                .collect();
        servers.push(ServerSpec::Go(PathBuf::from("concTCP")));
        servers
    }

    fn assert_fits(lines: &[String]) {
        for line in lines {
            let width = line.chars().count();
            assert!(width <= WIDTH, "{width} columns: {line}");
        }
    }

    #[test]
    fn the_request_reply_table_fits_with_four_servers() {
        // The widest a run on one machine gives: under a million replies per second, under
        // a gigabyte, a p99 ratio with two digits before the point.
        let widest = Row {
            connections: 10_000,
            replies: 1,
            per_second: 999_999.0,
            p50: Some(9_999_000),
            p99: Some(9_999_000),
            p999: Some(9_999_000),
            errors: 100_000,
            threads: Some(10_002),
            peak_rss: Some(999 * 1024),
            cpu: Some(99.0e-6),
        };
        let first = Row {
            per_second: 99_999.0,
            p99: Some(100_000),
            ..widest.clone()
        };
        let mut lines: Vec<String> = REQUEST_REPLY_HEADING.map(String::from).to_vec();
        for server in four_servers() {
            lines.push(request_reply_row(&server.short_label(), &widest, &first));
        }
        assert!(
            lines[2].contains("| lesson 5 | 999999 | 10.00× |"),
            "{}",
            lines[2]
        );
        assert!(
            lines[2].ends_with("| 999.0 MiB | 99.0 µs |"),
            "{}",
            lines[2]
        );
        assert_fits(&lines);
    }

    #[test]
    fn the_hold_table_shows_memory_per_connection_and_fits_with_four_servers() {
        let widest = HoldReport {
            connected: 100_000,
            connect_seconds: 99.99,
            idle_cpu: Some(1.0),
            answered: 100_000,
            round_seconds: 99.99,
            threads: Some(100_002),
            memory: Memory {
                before: Some(3 * 1024),
                idle: Some(3 * 1024 + 100_000 * 64),
                after_round: Some(3 * 1024 + 100_000 * 9999),
                peak: Some(999 * 1024),
                connections: 100_000,
            },
            after_close: AfterClose::Told("100000".into(), 14.99),
        };
        let reports = vec![widest; 4];
        let lines = hold_table(100_000, &four_servers(), &reports);
        assert_eq!(
            lines[0],
            "| holding 100,000 connections | lesson 5 | lesson 6 | lesson 7 | Go |"
        );
        let row = |name: &str| {
            lines
                .iter()
                .find(|line| line.starts_with(&format!("| {name} |")))
                .cloned()
                .unwrap_or_else(|| panic!("no row {name:?} in {lines:#?}"))
        };
        assert!(row("RSS per connection, all idle").ends_with("| 64.0 KiB |"));
        assert!(row("RSS per connection, after replies").ends_with("| 9999.0 KiB |"));
        assert!(row("server RSS before connecting").ends_with("| 3.0 MiB |"));
        assert!(row("server peak memory (RSS)").ends_with("| 999.0 MiB |"));
        assert!(row("all closed, a new client is told").ends_with("| 1000…, 15.0 s |"));
        assert_fits(&lines);
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(123_456_789), "123,456,789");
    }
}
