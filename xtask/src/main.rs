//! `cargo xtask`: the project's own build and test driver.
//!
//! `cargo xtask test` runs every test suite in phases (SQLite, PostgreSQL, the real-client
//! interop suite), prints each phase's time and a summary, and exits non-zero when a phase
//! failed — or, with `CI=true`, when a phase was skipped.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

mod bench;

const HELP: &str = "\
cargo xtask <command>

commands:
  test           run all test phases:
                   sqlite    cargo test --workspace (TEST_PG_URL removed)
                   postgres  cargo test --workspace --test store --test e2e --test jobs_restart
                             --test crash_uploads
                             with TEST_PG_URL
                             (the store and end-to-end suites; --workspace keeps the feature
                             set of the sqlite phase, so nothing is rebuilt)
                             (default postgres://postgres@127.0.0.1:5432/test; skipped when
                             PostgreSQL does not answer)
                   interop   cargo build -p hearth, then pytest interop/ in interop/.venv
                             against target/debug/hearth (skipped without python3)
                 with CI=true a skipped phase counts as a failure
  bench <name>   run a benchmark: auth, tree, data (results go to docs/benchmarks.md)
                 bench data takes --size-mib N, --files N, --reps N, --bin PATH for quick runs
                 (a run with other than the defaults does not write docs/benchmarks.md)
  help           print this text
";

/// Benchmarks runnable by `cargo xtask bench <name>`: (name, what it measures, entry point).
type Bench = (&'static str, &'static str, fn(&Path) -> Result<()>);
const BENCHES: &[Bench] = &[
    (
        "auth",
        "signed user/get_info calls/s (16 clients, token pool) vs nginx 4 KiB static GET",
        bench::auth::run,
    ),
    (
        "tree",
        "a folder of 1,000,000 files: get_content chunks (keyset, cold), search, get_changes",
        bench::tree::run,
    ),
    (
        "data",
        "1 GiB upload/download and 10,000 durable 4 KiB uploads vs nginx, RSS, instant uploads",
        bench::data::run,
    ),
];

const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const PG_HOST: &str = "127.0.0.1";
const PG_PORT: u16 = 5432;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    match args.first().map(String::as_str) {
        Some("test") if args.len() == 1 => cmd_test(&root),
        Some("bench") => cmd_bench(&root, &args[1..]),
        None | Some("help" | "--help" | "-h") => {
            print!("{HELP}");
            ExitCode::SUCCESS
        }
        Some(_) => {
            eprintln!("unknown command or arguments: {}\n", args.join(" "));
            eprint!("{HELP}");
            ExitCode::from(2)
        }
    }
}

fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

fn cmd_bench(root: &Path, args: &[String]) -> ExitCode {
    let Some(name) = args.first() else {
        eprintln!("usage: cargo xtask bench <name>");
        list_benches();
        return ExitCode::from(2);
    };
    match BENCHES.iter().find(|(n, _, _)| n == name) {
        Some((_, _, run)) => match run(root) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("bench {name} failed: {e:#}");
                ExitCode::FAILURE
            }
        },
        None => {
            eprintln!("unknown benchmark: {name}");
            list_benches();
            ExitCode::from(2)
        }
    }
}

fn list_benches() {
    if BENCHES.is_empty() {
        eprintln!("(no benchmarks are defined yet)");
    }
    for (name, what, _) in BENCHES {
        eprintln!("  {name:<20} {what}");
    }
}

// ---------------------------------------------------------------------------------------------
// cargo xtask test

enum Outcome {
    Passed,
    Failed(String),
    Skipped(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Passed => f.write_str("PASSED"),
            Outcome::Failed(why) => write!(f, "FAILED ({why})"),
            Outcome::Skipped(why) => write!(f, "SKIPPED ({why})"),
        }
    }
}

struct PhaseResult {
    name: &'static str,
    outcome: Outcome,
    secs: f64,
}

fn cmd_test(root: &Path) -> ExitCode {
    let ci = is_ci();
    type Phase = fn(&Path) -> Result<Outcome>;
    let phases: [(&'static str, Phase); 3] = [
        ("sqlite", phase_sqlite),
        ("postgres", phase_postgres),
        ("interop", phase_interop),
    ];
    let total = phases.len();
    let mut results = Vec::new();
    for (i, (name, run)) in phases.into_iter().enumerate() {
        println!("\n==> [{}/{total}] phase {name}", i + 1);
        flush();
        let started = Instant::now();
        let outcome = run(root).unwrap_or_else(|e| Outcome::Failed(format!("{e:#}")));
        let secs = started.elapsed().as_secs_f64();
        match &outcome {
            Outcome::Skipped(why) => println!("SKIPPED {name} ({why})"),
            other => println!("==> phase {name}: {other}"),
        }
        println!("==> phase {name} took {secs:.1} s");
        flush();
        results.push(PhaseResult {
            name,
            outcome,
            secs,
        });
    }

    println!("\n==> summary{}", if ci { " (CI=true)" } else { "" });
    println!("{:<10} {:>9}  result", "phase", "seconds");
    let mut failed = false;
    for r in &results {
        println!("{:<10} {:>9.1}  {}", r.name, r.secs, r.outcome);
        match r.outcome {
            Outcome::Passed => {}
            Outcome::Failed(_) => failed = true,
            Outcome::Skipped(_) => failed |= ci,
        }
    }
    let total_secs: f64 = results.iter().map(|r| r.secs).sum();
    println!("{:<10} {:>9.1}", "total", total_secs);
    if failed {
        if ci
            && results
                .iter()
                .any(|r| matches!(r.outcome, Outcome::Skipped(_)))
        {
            println!("CI=true: a skipped phase counts as a failure");
        }
        println!("xtask test: FAILED");
        ExitCode::FAILURE
    } else {
        println!("xtask test: ok");
        ExitCode::SUCCESS
    }
}

fn is_ci() -> bool {
    std::env::var("CI")
        .map(|v| {
            let v = v.trim().to_ascii_lowercase();
            !v.is_empty() && v != "false" && v != "0"
        })
        .unwrap_or(false)
}

fn phase_sqlite(root: &Path) -> Result<Outcome> {
    let mut cmd = cargo(root);
    cmd.args(["test", "--workspace"]).env_remove("TEST_PG_URL");
    run_status(cmd, "cargo test --workspace")
}

fn phase_postgres(root: &Path) -> Result<Outcome> {
    let url = match std::env::var("TEST_PG_URL") {
        Ok(url) if !url.trim().is_empty() => {
            println!("using TEST_PG_URL from the environment");
            url
        }
        _ => {
            if let Err(why) = postgres_answers() {
                return Ok(Outcome::Skipped(why));
            }
            ensure_default_database();
            DEFAULT_PG_URL.to_string()
        }
    };
    let mut cmd = cargo(root);
    cmd.args([
        "test",
        "--workspace",
        "--test",
        "store",
        "--test",
        "e2e",
        "--test",
        "jobs_restart",
        "--test",
        "crash_uploads",
    ])
    .env("TEST_PG_URL", &url);
    run_status(
        cmd,
        "cargo test --workspace --test store --test e2e --test jobs_restart --test crash_uploads",
    )
}

/// `Ok` when PostgreSQL answers on 127.0.0.1:5432, else why not.
fn postgres_answers() -> Result<(), String> {
    if let Ok(status) = Command::new("pg_isready")
        .args(["-h", PG_HOST, "-p", &PG_PORT.to_string(), "-t", "5"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        return if status.success() {
            Ok(())
        } else {
            Err(format!(
                "pg_isready -h {PG_HOST} -p {PG_PORT}: no PostgreSQL answering ({status})"
            ))
        };
    }
    let addr = SocketAddr::from(([127, 0, 0, 1], PG_PORT));
    TcpStream::connect_timeout(&addr, Duration::from_secs(3))
        .map(drop)
        .map_err(|e| format!("pg_isready not installed and {addr} refused a TCP connect: {e}"))
}

/// Creates the `test` database of [`DEFAULT_PG_URL`] when it is missing (a fresh cluster has
/// only `postgres`). Best effort: the test suites report a clear error if this did not work.
fn ensure_default_database() {
    let psql = |sql: &str| {
        Command::new("psql")
            .args(["-h", PG_HOST, "-p", &PG_PORT.to_string(), "-U", "postgres"])
            .args(["-d", "postgres", "-tAc", sql])
            .stderr(Stdio::null())
            .output()
    };
    match psql("SELECT 1 FROM pg_database WHERE datname = 'test'") {
        Ok(out) if out.status.success() => {
            if String::from_utf8_lossy(&out.stdout).trim() != "1" {
                println!("creating database `test`");
                let _ = psql("CREATE DATABASE test");
            }
        }
        _ => println!("note: could not check for database `test` with psql"),
    }
}

fn phase_interop(root: &Path) -> Result<Outcome> {
    match Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => {}
        Ok(s) => return Ok(Outcome::Skipped(format!("python3 --version failed: {s}"))),
        Err(e) => return Ok(Outcome::Skipped(format!("python3 not found: {e}"))),
    }

    let mut build = cargo(root);
    build.args(["build", "-p", "hearth"]);
    if let Outcome::Failed(why) = run_status(build, "cargo build -p hearth")? {
        return Ok(Outcome::Failed(why));
    }
    let hearth_bin = target_dir(root).join("debug").join("hearth");
    if !hearth_bin.is_file() {
        bail!(
            "{} missing after cargo build -p hearth",
            hearth_bin.display()
        );
    }

    let interop = root.join("interop");
    let venv = interop.join(".venv");
    let python = venv.join("bin").join("python");
    if !python.is_file() {
        let mut cmd = Command::new("python3");
        cmd.args(["-m", "venv"]).arg(&venv);
        if let Outcome::Failed(why) = run_status(cmd, "python3 -m venv interop/.venv")? {
            return Ok(Outcome::Failed(why));
        }
    }

    let requirements = interop.join("requirements.txt");
    let wanted =
        fs::read(&requirements).with_context(|| format!("reading {}", requirements.display()))?;
    let stamp = venv.join(".requirements.stamp");
    if fs::read(&stamp).ok().as_deref() == Some(wanted.as_slice()) {
        println!("interop/.venv is up to date with requirements.txt");
    } else {
        let mut pip = Command::new(&python);
        pip.args(["-m", "pip", "install", "--disable-pip-version-check"])
            .args(["--require-hashes", "-r"])
            .arg(&requirements);
        if let Outcome::Failed(why) = run_status(pip, "pip install --require-hashes")? {
            return Ok(Outcome::Failed(why));
        }
        fs::write(&stamp, &wanted).with_context(|| format!("writing {}", stamp.display()))?;
    }

    let mut pytest = Command::new(&python);
    pytest
        .args(["-m", "pytest", "-q"])
        .arg(&interop)
        .current_dir(root)
        .env("HEARTH_BIN", &hearth_bin);
    run_status(pytest, "pytest -q interop/")
}

fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(PathBuf::from(dir)),
        _ => root.join("target"),
    }
}

fn cargo(root: &Path) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root);
    cmd
}

/// Runs `cmd` with its output passed through; a non-zero exit is a failed phase.
fn run_status(mut cmd: Command, what: &str) -> Result<Outcome> {
    println!("$ {what}");
    flush();
    let status = cmd
        .stdin(Stdio::null())
        .status()
        .with_context(|| format!("starting {what}"))?;
    Ok(if status.success() {
        Outcome::Passed
    } else {
        Outcome::Failed(format!("{what}: {status}"))
    })
}

fn flush() {
    let _ = std::io::stdout().flush();
}
