//! Benchmarks: `cargo xtask bench <name>`. Each one starts the release server and, where it
//! compares, nginx on the same machine, drives both with the same load generator (below), and
//! writes its figures with the command that produced them into docs/benchmarks.md.

pub mod auth;
pub mod data;
pub mod load;
pub mod tree;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::{cargo, target_dir};

/// A running server process, killed on drop.
pub struct Proc {
    child: Child,
    pub addr: String,
}

impl Proc {
    /// The process id (for /proc/<pid>/status).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Asks the process to stop (SIGTERM: nginx's master then stops its workers, which a
    /// SIGKILL of the master would leave running) and waits up to 5 s for it.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds `hearth` in release mode and returns its path.
pub fn build_release(root: &Path) -> Result<PathBuf> {
    let status = cargo(root)
        .args(["build", "--release", "-p", "hearth"])
        .status()
        .context("running cargo build --release")?;
    if !status.success() {
        bail!("cargo build --release -p hearth failed");
    }
    Ok(target_dir(root).join("release").join("hearth"))
}

/// Starts `hearth serve` on a free loopback port with `data_dir`; returns once it listens.
pub fn start_hearth(bin: &Path, data_dir: &Path, env: &[(&str, &str)]) -> Result<Proc> {
    let mut cmd = Command::new(bin);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("HEARTH_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().context("starting hearth")?;
    let stdout = child.stdout.take().context("hearth stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let first = lines
        .next()
        .context("hearth printed nothing")?
        .context("reading hearth stdout")?;
    let addr = first
        .strip_prefix("listening on http://")
        .with_context(|| format!("unexpected first line: {first}"))?
        .to_string();
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Ok(Proc { child, addr })
}

/// `hearth admin …` against `data_dir`.
pub fn admin(bin: &Path, data_dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(bin)
        .arg("admin")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("HEARTH_ARGON2_PROFILE", "fast")
        .output()
        .context("running hearth admin")?;
    if !out.status.success() {
        bail!(
            "hearth admin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// nginx from Debian (`nginx-light`), installed on first use.
fn nginx_binary() -> Result<PathBuf> {
    for p in ["/usr/sbin/nginx", "/usr/bin/nginx"] {
        if Path::new(p).exists() {
            return Ok(PathBuf::from(p));
        }
    }
    eprintln!("nginx not found: installing Debian's nginx-light");
    let ok = Command::new("apt-get")
        .args([
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            "nginx-light",
        ])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        let _ = Command::new("apt-get").args(["update", "-q"]).status();
        let ok = Command::new("apt-get")
            .args([
                "install",
                "-y",
                "-q",
                "--no-install-recommends",
                "nginx-light",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()?
            .success();
        if !ok {
            bail!("could not install nginx-light");
        }
    }
    Ok(PathBuf::from("/usr/sbin/nginx"))
}

/// Starts nginx serving `root` on a free loopback port, with `extra` lines in its server block.
pub fn start_nginx(work: &Path, root: &Path, extra: &str) -> Result<Proc> {
    let bin = nginx_binary()?;
    let port = free_port()?;
    let conf = work.join("nginx.conf");
    std::fs::create_dir_all(work.join("tmp"))?;
    std::fs::write(
        &conf,
        format!(
            "worker_processes auto;\ndaemon off;\npid {work}/nginx.pid;\nerror_log {work}/error.log warn;\n\
             events {{ worker_connections 4096; }}\n\
             http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 1000000;\n\
             client_body_temp_path {work}/tmp;\n  proxy_temp_path {work}/tmp;\n  fastcgi_temp_path {work}/tmp;\n\
             uwsgi_temp_path {work}/tmp;\n  scgi_temp_path {work}/tmp;\n  types {{ application/octet-stream bin; }}\n\
             server {{\n    listen 127.0.0.1:{port};\n    root {root};\n    {extra}\n  }}\n}}\n",
            work = work.display(),
            root = root.display(),
        ),
    )?;
    let child = Command::new(bin)
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .arg(work)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting nginx")?;
    let addr = format!("127.0.0.1:{port}");
    wait_for_port(&addr)?;
    Ok(Proc { child, addr })
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn wait_for_port(addr: &str) -> Result<()> {
    for _ in 0..100 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("{addr} did not open")
}

/// Replaces (or appends) the section `name` of docs/benchmarks.md.
pub fn write_section(root: &Path, name: &str, body: &str) -> Result<()> {
    let path = root.join("docs").join("benchmarks.md");
    let current = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        "# Benchmarks\n\nFigures from `cargo xtask bench <name>` on this project's machine kind (2 cores,\n24 GiB, loopback). Each section is rewritten by its benchmark and names the command that made it.\nRatios compare Hearth with nginx measured in the same run by the same load generator.\n".to_string()
    });
    let (start, end) = (
        format!("<!-- bench:{name} -->"),
        format!("<!-- /bench:{name} -->"),
    );
    let section = format!("{start}\n{body}{end}\n");
    let updated = match (current.find(&start), current.find(&end)) {
        (Some(a), Some(b)) if b > a => {
            format!(
                "{}{}{}",
                &current[..a],
                section,
                &current[b + end.len()..].trim_start_matches('\n')
            )
        }
        _ => format!(
            "{}\n{}",
            current.trim_end_matches('\n').to_string() + "\n",
            section
        ),
    };
    std::fs::write(&path, updated)?;
    println!("wrote {}", path.display());
    Ok(())
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}
