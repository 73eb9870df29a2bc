//! Several servers side by side: each scenario runs against every server in turn (never at
//! the same time: they would share the CPU), and the results come out as one Markdown table
//! that can be pasted into the book as it is, with the conditions of the run above it.
//!
//! Request/reply runs are interleaved: round 1 of every server at every level, then round 2,
//! so that a machine that gets busier during the run does not favour whoever went first.
//! With `--rounds R`, each cell shows the run with the median replies per second.

use std::fs;

use super::Options;
use super::hold::{self, HoldReport};
use super::request_reply::{self, Row, mebibytes, micros, shown};
use super::server::Launch;
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
                    "  round {round}, {connections} clients, {}: {:.0} replies/s, p99 {}",
                    server.label(),
                    row.per_second,
                    micros(row.p99)
                );
                rows[level][index].push(row);
            }
        }
    }
    println!(
        "\nBusy clients: each sends a line and waits for the reply, again and again, for {} s; \
         {}. {}\n",
        options.seconds,
        if options.rounds > 1 {
            format!("the median of {} runs", options.rounds)
        } else {
            "one run".to_string()
        },
        conditions
    );
    println!(
        "| clients | server | replies/s | ÷ first | p50 | p99 | ÷ first | p99.9 | errors | \
         threads | peak RSS | CPU/reply |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut answered = 0;
    for (level, &connections) in levels.iter().enumerate() {
        let medians: Vec<Row> = rows[level].iter_mut().map(|runs| median(runs)).collect();
        let first = &medians[0];
        for (server, row) in servers.iter().zip(&medians) {
            answered += row.replies;
            println!(
                "| {} | {} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                thousands(connections as u64),
                server.label(),
                row.per_second,
                ratio(Some(row.per_second), Some(first.per_second)),
                micros(row.p50),
                micros(row.p99),
                ratio(row.p99.map(|p| p as f64), first.p99.map(|p| p as f64)),
                micros(row.p999),
                row.errors,
                shown(row.threads),
                row.peak_rss.map_or("-".into(), mebibytes),
                row.cpu_per_reply()
            );
        }
    }
    Ok(answered)
}

/// Holding `count` idle connections, on every server; one column each.
pub(super) fn hold(options: &Options, launch: &Launch, count: usize) -> Result<usize, String> {
    let conditions = conditions(launch);
    let mut reports: Vec<HoldReport> = Vec::new();
    for server in &options.servers {
        println!("{}:", server.label());
        let mut running = server.start(false, launch)?;
        let report = hold::hold(running.address, count, &options.message, &mut running);
        running.report_stderr();
        reports.push(report?);
    }
    println!(
        "\nHolding {} connections, opened in waves, then one round trip on each. {conditions}\n",
        thousands(count as u64)
    );
    let labels: Vec<String> = options.servers.iter().map(|s| s.label()).collect();
    println!(
        "| holding {} connections | {} |",
        thousands(count as u64),
        labels.join(" | ")
    );
    println!("|---|{}", "---:|".repeat(labels.len()));
    let rows: [(&str, Cell); 8] = [
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
        ("server peak memory (RSS)", |r| {
            r.peak_rss.map_or("-".into(), mebibytes)
        }),
        ("all closed, then a new client asks: the reply", |r| {
            r.after_close.clone()
        }),
    ];
    for (name, cell) in rows {
        let cells: Vec<String> = reports.iter().map(cell).collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
    Ok(reports.iter().map(|r| r.answered).sum())
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
    println!(
        "\nSlowloris: {} clients each send one byte of a line, then nothing; one more client \
         asks every 10 ms. `{{idle}}` is {} s. {conditions}\n",
        thousands(stalled as u64),
        launch.idle_timeout
    );
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

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(123_456_789), "123,456,789");
    }
}
