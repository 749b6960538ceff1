//! `cargo xtask bench data`: moving bytes. Against nginx (Debian `nginx-light`, WebDAV `PUT`),
//! driven by the same load generator in the same run: a 1 GiB durable upload, a 1 GiB
//! download, 10,000 durable 4 KiB uploads from 16 clients. Beside them: the server's peak
//! memory during the 1 GiB transfers and the latency of `upload/instant` for a 1 GiB and a
//! 4 KiB content (it must not depend on the size).
//!
//! "Durable" means the same on both sides: when the timer stops, the file's bytes and its
//! directory entry have been fsynced. Hearth answers `upload/simple` only after its blob store
//! fsynced the blob (see the report text); nginx's `PUT` never fsyncs, so the benchmark's
//! client opens the file nginx wrote and fsyncs it and its directory right after the answer,
//! inside the timed span.
//!
//! Quick runs: `cargo xtask bench data --size-mib 64 --files 500 --reps 3`; `--bin PATH`
//! measures another server binary (anything but the defaults only prints its figures).
//! Back-to-back runs: set `BENCH_KEEP_WORK=1` and remove the kept directories later (see
//! where it is read).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use hearth_client::{encode, Client};
use http::Method;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::load::{self, BodyConn, Chunks};
use super::{admin, build_release, median, start_hearth, start_nginx, write_section};

const MIB: u64 = 1 << 20;
const DEFAULT_SIZE_MIB: u64 = 1024;
const DEFAULT_FILES: u64 = 10_000;
const DEFAULT_REPS: usize = 3;
/// Bytes of a small file.
const SMALL: usize = 4096;
/// Concurrent clients of the small-file run.
const CLIENTS: usize = 16;
/// Body pieces the client hands to the socket.
const PIECE: usize = 256 * 1024;
/// Repetitions of each instant-upload latency.
const INSTANT_REPS: usize = 9;
const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "bench";
/// The nginx server block: WebDAV PUT into the served root, bodies of any size.
const NGINX_EXTRA: &str =
    "client_max_body_size 0;\n    dav_methods PUT;\n    dav_access user:rw group:r all:r;";

struct Opts {
    size_mib: u64,
    files: u64,
    reps: usize,
    /// A prebuilt server binary to measure instead of this tree's release build (A/B runs).
    bin: Option<PathBuf>,
}

impl Opts {
    /// `--size-mib N`, `--files N`, `--reps N` after `bench data`.
    fn from_args() -> Result<Opts> {
        let mut o = Opts {
            size_mib: DEFAULT_SIZE_MIB,
            files: DEFAULT_FILES,
            reps: DEFAULT_REPS,
            bin: None,
        };
        let args: Vec<String> = std::env::args().collect();
        let Some(at) = args.iter().position(|a| a == "data") else {
            return Ok(o);
        };
        let mut it = args[at + 1..].iter();
        while let Some(flag) = it.next() {
            if flag == "--bin" {
                o.bin = Some(PathBuf::from(it.next().context("--bin needs a path")?));
                continue;
            }
            let value = it
                .next()
                .with_context(|| format!("{flag} needs a value"))?
                .parse::<u64>()
                .with_context(|| format!("{flag} takes a number"))?;
            match flag.as_str() {
                "--size-mib" if value >= 1 => o.size_mib = value,
                "--files" if value >= 1 => o.files = value,
                "--reps" if value >= 1 => o.reps = value as usize,
                _ => bail!(
                    "unknown or invalid flag {flag} {value} (--size-mib, --files, --reps, --bin)"
                ),
            }
        }
        Ok(o)
    }

    fn is_default(&self) -> bool {
        self.size_mib == DEFAULT_SIZE_MIB
            && self.files == DEFAULT_FILES
            && self.reps == DEFAULT_REPS
            && self.bin.is_none()
    }

    fn size(&self) -> u64 {
        self.size_mib * MIB
    }

    /// "1 GiB" or "64 MiB".
    fn size_label(&self) -> String {
        if self.size_mib.is_multiple_of(1024) {
            format!("{} GiB", self.size_mib / 1024)
        } else {
            format!("{} MiB", self.size_mib)
        }
    }
}

pub fn run(root: &Path) -> Result<()> {
    let opts = Opts::from_args()?;
    let bin = match &opts.bin {
        Some(b) => b.clone(),
        None => build_release(root)?,
    };
    let started = Instant::now();
    let work = tempfile::Builder::new()
        .prefix("hearth-bench-data-")
        .tempdir()?;
    // nginx's workers run as `nobody`: they must reach the served root and write into it.
    chmod(work.path(), 0o755)?;
    let www = work.path().join("www");
    let nginx_work = work.path().join("nginx");
    for dir in [www.join("small"), nginx_work.join("tmp")] {
        std::fs::create_dir_all(&dir)?;
    }
    for dir in [&www, &www.join("small"), &nginx_work.join("tmp")] {
        chmod(dir, 0o777)?;
    }
    chmod(&nginx_work, 0o755)?;

    let data = work.path().join("data");
    let server = start_hearth(&bin, &data, &[("HEARTH_ARGON2_PROFILE", "fast")])?;
    admin(
        &bin,
        &data,
        &["user", "create", "--email", EMAIL, "--password", PASSWORD],
    )?;
    let mut nginx = start_nginx(&nginx_work, &www, NGINX_EXTRA)?;
    let pid = server.pid();

    println!(
        "generating {} of pseudo-random bytes and {} SHA-256 headers…",
        opts.size_label(),
        opts.reps
    );
    let big = Bytes::from(random_bytes(opts.size() as usize, 0x9e37_79b9_7f4a_7c15));
    // Each repetition uploads different content (its first 16 bytes differ), so no upload is
    // a dedup hit; the hashes are computed here, untimed.
    let prefixes: Vec<Bytes> = (0..opts.reps)
        .map(|r| Bytes::from(format!("hearth bench {r:03}").into_bytes()))
        .collect();
    let hashes: Vec<String> = prefixes
        .iter()
        .map(|p| {
            let mut h = Sha256::new();
            h.update(p);
            h.update(&big[p.len()..]);
            hex::encode(h.finalize())
        })
        .collect();
    let body = |r: usize| {
        let p = &prefixes[r];
        Chunks::pieces(std::slice::from_ref(p), &big.slice(p.len()..), PIECE)
    };

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let figures = rt.block_on(async {
        let client = Client::new(&format!("http://{}", server.addr));
        client
            .login("42709", None, EMAIL, PASSWORD, 2)
            .await
            .context("login")?;
        let v = client
            .call("user/get_action_token", &[("type", "upload")])
            .await
            .context("user/get_action_token")?;
        let token = v["response"]["action_token"]
            .as_str()
            .context("no action_token")?
            .to_string();
        let mut f = Figures {
            load_start: load_average(),
            ..Figures::default()
        };

        // 1. Large upload; the server's memory is watched from here.
        tokio::time::sleep(Duration::from_millis(500)).await;
        f.idle_kib = status_kib(pid, "VmRSS")?;
        let mut peak = Peak::start(pid);
        let mut first_key = None;
        for (r, hash) in hashes.iter().enumerate() {
            for side in order(r) {
                let mut conn = BodyConn::open(side_addr(side, &server.addr, &nginx.addr)).await?;
                let name = format!("big-{r}.bin");
                let t = Instant::now();
                if side == HEARTH {
                    let key = hearth_upload(&mut conn, &token, &name, hash, body(r)).await?;
                    f.up_h.push(t.elapsed().as_secs_f64());
                    first_key.get_or_insert(key);
                } else {
                    nginx_put(&mut conn, &format!("/{name}"), body(r), www.join(&name)).await?;
                    f.up_n.push(t.elapsed().as_secs_f64());
                }
            }
            println!(
                "{} upload {}: hearth {:.2} s, nginx {:.2} s",
                opts.size_label(),
                r + 1,
                f.up_h[r],
                f.up_n[r]
            );
        }
        f.peak_up_kib = peak.finish(pid)?;

        // The uploaded file's direct link (the owner's signed URL).
        let p = poll(&server.addr, first_key.as_deref().unwrap_or_default()).await?;
        let quickkey = p["quickkey"].as_str().context("no quickkey")?.to_string();
        if p["hash"] != hashes[0].as_str() || p["size"] != opts.size().to_string().as_str() {
            bail!("the stored file differs from the upload: {p}");
        }
        let v = client
            .call(
                "file/get_links",
                &[("quick_key", &quickkey), ("link_type", "direct_download")],
            )
            .await
            .context("file/get_links")?;
        let url = v["response"]["links"][0]["direct_download"]
            .as_str()
            .context("no direct_download link")?;
        let hearth_path = url[url.find("/download/").context("odd link")?..].to_string();

        // 2. Large download, read to the end and discarded.
        let mut peak = Peak::start(pid);
        for r in 0..opts.reps {
            for side in order(r) {
                let addr = side_addr(side, &server.addr, &nginx.addr);
                let path = if side == HEARTH {
                    hearth_path.as_str()
                } else {
                    "/big-0.bin"
                };
                let mut conn = BodyConn::open(addr).await?;
                let t = Instant::now();
                let (status, n) = conn.get_discard(path).await?;
                let s = t.elapsed().as_secs_f64();
                if status != 200 || n != opts.size() {
                    bail!("download from {addr}: status {status}, {n} bytes");
                }
                (if side == HEARTH {
                    &mut f.down_h
                } else {
                    &mut f.down_n
                })
                .push(s);
            }
            println!(
                "{} download {}: hearth {:.2} s, nginx {:.2} s",
                opts.size_label(),
                r + 1,
                f.down_h[r],
                f.down_n[r]
            );
        }
        f.peak_down_kib = peak.finish(pid)?;

        // 3. Many small durable uploads from 16 clients.
        let mut small_hash = String::new();
        for r in 0..opts.reps {
            let files = small_files(opts.files, r as u64);
            small_hash.clone_from(&files[0].1);
            for side in order(r) {
                let s = if side == HEARTH {
                    small_hearth(&server.addr, &token, r, &files).await?
                } else {
                    small_nginx(&nginx.addr, &www.join("small"), r, &files).await?
                };
                (if side == HEARTH {
                    &mut f.small_h
                } else {
                    &mut f.small_n
                })
                .push(s);
            }
            println!(
                "{} × 4 KiB uploads {}: hearth {:.2} s, nginx {:.2} s",
                opts.files,
                r + 1,
                f.small_h[r],
                f.small_n[r]
            );
        }

        // 5. Instant uploads of content the account holds: large and small, alternating.
        let size = opts.size().to_string();
        let small_size = SMALL.to_string();
        for i in 0..INSTANT_REPS {
            for (hash, size, out) in [
                (&hashes[0], &size, &mut f.instant_big),
                (&small_hash, &small_size, &mut f.instant_small),
            ] {
                let name = format!("instant-{i}-{size}.bin");
                let t = Instant::now();
                let v = client
                    .call(
                        "upload/instant",
                        &[("filename", &name), ("hash", hash), ("size", size)],
                    )
                    .await
                    .context("upload/instant")?;
                out.push(t.elapsed().as_secs_f64() * 1e3);
                if v["response"]["quickkey"].as_str().is_none() {
                    bail!("upload/instant: {v}");
                }
            }
        }
        Ok::<_, anyhow::Error>(f)
    })?;
    nginx.stop();
    drop(nginx);
    drop(server);
    let total = started.elapsed().as_secs_f64();
    if std::env::var_os("BENCH_KEEP_WORK").is_some() {
        // Removing tens of thousands of files right before the next run slows that run's
        // file creation: ext4 without a journal skips inodes freed in the last minutes.
        println!("work directory kept: {}", work.keep().display());
    }

    let body = report(&opts, &figures, total);
    print!("\n{body}");
    if opts.is_default() {
        write_section(root, "data", &body)?;
    } else {
        println!("(not the default sizes: docs/benchmarks.md left as it is)");
    }
    Ok(())
}

const HEARTH: u8 = 0;
const NGINX: u8 = 1;

/// Which side goes first alternates between repetitions.
fn order(r: usize) -> [u8; 2] {
    if r.is_multiple_of(2) {
        [HEARTH, NGINX]
    } else {
        [NGINX, HEARTH]
    }
}

fn side_addr<'a>(side: u8, hearth: &'a str, nginx: &'a str) -> &'a str {
    if side == HEARTH {
        hearth
    } else {
        nginx
    }
}

/// Figures: seconds per transfer or run, KiB, milliseconds for instant uploads.
#[derive(Default)]
struct Figures {
    up_h: Vec<f64>,
    up_n: Vec<f64>,
    down_h: Vec<f64>,
    down_n: Vec<f64>,
    small_h: Vec<f64>,
    small_n: Vec<f64>,
    idle_kib: u64,
    peak_up_kib: u64,
    peak_down_kib: u64,
    instant_big: Vec<f64>,
    instant_small: Vec<f64>,
    /// The 1-minute load average when the measurements started (other work on the cores).
    load_start: String,
}

/// `upload/simple` with a raw octet-stream body authenticated by an upload action token;
/// returns the upload key once the answer (sent after the blob is durable) arrived.
async fn hearth_upload(
    conn: &mut BodyConn,
    token: &str,
    name: &str,
    hash: &str,
    body: Chunks,
) -> Result<String> {
    let query = encode(&[("session_token", token), ("response_format", "json")]);
    let size = body.len().to_string();
    let (status, answer) = conn
        .send(
            Method::POST,
            &format!("/api/1.5/upload/simple.php?{query}"),
            &[
                ("content-type", "application/octet-stream"),
                ("x-filename", name),
                ("x-filesize", &size),
                ("x-filehash", hash),
            ],
            body,
        )
        .await?;
    let v: Value = serde_json::from_slice(&answer).unwrap_or_default();
    let d = &v["response"]["doupload"];
    match (status, d["result"].as_str(), d["key"].as_str()) {
        (200, Some("0"), Some(key)) => Ok(key.to_string()),
        _ => bail!(
            "upload/simple answered {status}: {}",
            String::from_utf8_lossy(&answer)
        ),
    }
}

/// nginx `PUT`, then fsync of the written file and of its directory (nginx never fsyncs).
async fn nginx_put(conn: &mut BodyConn, path: &str, body: Chunks, file: PathBuf) -> Result<()> {
    let (status, answer) = conn.send(Method::PUT, path, &[], body).await?;
    if status != 201 && status != 204 {
        bail!(
            "nginx PUT {path}: {status}: {}",
            String::from_utf8_lossy(&answer)
        );
    }
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        std::fs::File::open(&file)?.sync_all()?;
        std::fs::File::open(file.parent().unwrap_or(Path::new("/")))?.sync_all()
    })
    .await?
    .with_context(|| format!("fsync after PUT {path}"))
}

/// `upload/poll_upload` (no token): the `doupload` of a finished upload.
async fn poll(addr: &str, key: &str) -> Result<Value> {
    let mut conn = BodyConn::open(addr).await?;
    poll_on(&mut conn, key).await
}

async fn poll_on(conn: &mut BodyConn, key: &str) -> Result<Value> {
    let (status, body) = conn
        .send(
            Method::GET,
            &format!("/api/1.5/upload/poll_upload.php?key={key}&response_format=json"),
            &[],
            Chunks::empty(),
        )
        .await?;
    let v: Value = serde_json::from_slice(&body).unwrap_or_default();
    let d = v["response"]["doupload"].clone();
    if status != 200 || d["status"] != "99" || d["fileerror"] != "" || d["quickkey"].is_null() {
        bail!(
            "poll_upload {key}: {status}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    Ok(d)
}

/// `files` distinct small contents with their SHA-256, for repetition `rep`.
fn small_files(files: u64, rep: u64) -> Arc<Vec<(Bytes, String)>> {
    Arc::new(
        (0..files)
            .map(|i| {
                let b = random_bytes(SMALL, (rep << 32) + i + 1);
                let h = hex::encode(Sha256::digest(&b));
                (Bytes::from(b), h)
            })
            .collect(),
    )
}

/// Seconds for all small uploads to Hearth; then every upload key is polled (untimed) to
/// check that each became a file.
async fn small_hearth(
    addr: &str,
    token: &str,
    rep: usize,
    files: &Arc<Vec<(Bytes, String)>>,
) -> Result<f64> {
    let keys = Arc::new(Mutex::new(Vec::new()));
    let out = load::run_jobs(CLIENTS, files.len() as u64, |_, jobs| {
        let (addr, token, files, keys) = (
            addr.to_string(),
            token.to_string(),
            files.clone(),
            keys.clone(),
        );
        async move {
            let mut conn = BodyConn::open(&addr).await?;
            let mut n = 0;
            while let Some(i) = jobs.next() {
                let (data, hash) = &files[i as usize];
                let name = format!("small-{rep}-{i}.bin");
                let body = Chunks::pieces(&[], data, PIECE);
                let key = hearth_upload(&mut conn, &token, &name, hash, body).await?;
                keys.lock().unwrap().push(key);
                n += 1;
            }
            Ok(n)
        }
    })
    .await?;
    let keys = Arc::new(std::mem::take(&mut *keys.lock().unwrap()));
    load::run_jobs(CLIENTS, keys.len() as u64, |_, jobs| {
        let (addr, keys) = (addr.to_string(), keys.clone());
        async move {
            let mut conn = BodyConn::open(&addr).await?;
            let mut n = 0;
            while let Some(i) = jobs.next() {
                poll_on(&mut conn, &keys[i as usize]).await?;
                n += 1;
            }
            Ok(n)
        }
    })
    .await
    .context("checking the small uploads")?;
    Ok(out.seconds)
}

/// Seconds for all small PUTs to nginx, each followed by its fsyncs.
async fn small_nginx(
    addr: &str,
    dir: &Path,
    rep: usize,
    files: &Arc<Vec<(Bytes, String)>>,
) -> Result<f64> {
    let out = load::run_jobs(CLIENTS, files.len() as u64, |_, jobs| {
        let (addr, dir, files) = (addr.to_string(), dir.to_path_buf(), files.clone());
        async move {
            let mut conn = BodyConn::open(&addr).await?;
            let mut n = 0;
            while let Some(i) = jobs.next() {
                let name = format!("{rep}-{i}.bin");
                let body = Chunks::pieces(&[], &files[i as usize].0, PIECE);
                nginx_put(&mut conn, &format!("/small/{name}"), body, dir.join(&name)).await?;
                n += 1;
            }
            Ok(n)
        }
    })
    .await?;
    Ok(out.seconds)
}

/// Pseudo-random bytes (xorshift64*): incompressible, not zeros, cheap to make.
fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A field of /proc/<pid>/status in KiB (`VmRSS`, `VmHWM`).
fn status_kib(pid: u32, field: &str) -> Result<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    s.lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .strip_prefix(':')?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}

/// The server's peak resident memory over a phase: the kernel's high-water mark (`VmHWM`),
/// reset at the start of the phase through `/proc/<pid>/clear_refs`; where that reset is not
/// possible, the highest `VmRSS` sampled every 5 ms.
struct Peak {
    reset: bool,
    sampler: Option<(
        Arc<std::sync::atomic::AtomicBool>,
        std::thread::JoinHandle<u64>,
    )>,
}

impl Peak {
    fn start(pid: u32) -> Peak {
        let reset = std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let mut max = 0;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                max = max.max(status_kib(pid, "VmRSS").unwrap_or(0));
                std::thread::sleep(Duration::from_millis(5));
            }
            max
        });
        Peak {
            reset,
            sampler: Some((stop, handle)),
        }
    }

    fn finish(&mut self, pid: u32) -> Result<u64> {
        let sampled = match self.sampler.take() {
            Some((stop, h)) => {
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                h.join().unwrap_or(0)
            }
            None => 0,
        };
        Ok(if self.reset {
            status_kib(pid, "VmHWM")?.max(sampled)
        } else {
            sampled
        })
    }
}

fn chmod(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("chmod {}", path.display()))
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}

fn report(o: &Opts, f: &Figures, total_s: f64) -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let size = o.size_label();
    let mib = o.size_mib as f64;
    let files = o.files;
    let reps = o.reps;
    let load = load_average();
    let secs = |v: &[f64]| format!("{:.2} / **{:.2}** s", min(v), median(v.to_vec()));
    let rate = |v: &[f64], per: f64, unit: &str| format!("{:.0} {unit}", per / median(v.to_vec()));
    let ratio = |h: &[f64], n: &[f64]| median(n.to_vec()) / median(h.to_vec());
    let mut out = format!(
        "## Moving bytes (`cargo xtask bench data`)\n\n\
         One run, {cpus} cores, loopback, release build, embedded SQLite mode; Hearth and nginx\n\
         (Debian nginx-light, `worker_processes auto`, `sendfile on`, WebDAV `dav_methods PUT`,\n\
         `client_max_body_size 0`, otherwise default buffers) side by side on the same disk, driven\n\
         by the same load generator (`xtask/src/bench/load.rs`: `BodyConn`, `run_jobs`), which runs\n\
         on the same cores. {reps} repetitions of each transfer, the sides alternating which goes\n\
         first; min / **median**. Ratio = nginx median time / Hearth median time (above 1: Hearth is\n\
         faster). The {size} file is pseudo-random bytes made once in memory; each repetition changes\n\
         its first 16 bytes, so every upload is new content (no dedup). Its `X-Filehash` is computed\n\
         before the timer starts. The client sends bodies from memory in 256 KiB pieces and reads\n\
         downloads to the end, discarding them.\n\n\
         Durability when the timer stops, both sides: the file's bytes and its directory entry are\n\
         fsynced. Hearth answers `upload/simple` after its blob store wrote the temp file, fsynced\n\
         it, checked size and SHA-256, renamed it to `blobs/ab/<sha256>` and fsynced `ab` (and\n\
         `blobs`, unless the process had already made that entry durable), and after the file's\n\
         row committed (SQLite WAL, `synchronous=NORMAL`: the metadata commit is not fsynced; a\n\
         power cut may lose the last rows, never a blob they name; rows of uploads that finish\n\
         together share one commit).\n\
         nginx's `PUT` writes its temp file, renames it and answers without any fsync, so the\n\
         benchmark's client then opens the written file, fsyncs it and fsyncs its directory: the\n\
         nginx time is PUT answer + those two fsyncs.\n\n\
         | transfer | durability at the answer | Hearth | nginx | ratio | aim |\n|---|---|---|---|---|---|\n"
    );
    let _ = writeln!(
        out,
        "| {size} `upload/simple` (raw body, upload action token) vs `PUT` | file + directory fsynced (nginx: by the client after the answer) | {} ({}) | {} ({}) | **{:.2}** | ≥ 0.75 |",
        secs(&f.up_h),
        rate(&f.up_h, mib, "MiB/s"),
        secs(&f.up_n),
        rate(&f.up_n, mib, "MiB/s"),
        ratio(&f.up_h, &f.up_n),
    );
    let _ = writeln!(
        out,
        "| {size} direct download (`/download/<quickkey>/<name>`, owner's signed link) vs `GET` | reads only (from the page cache) | {} ({}) | {} ({}) | **{:.2}** | ≥ 0.90 |",
        secs(&f.down_h),
        rate(&f.down_h, mib, "MiB/s"),
        secs(&f.down_n),
        rate(&f.down_n, mib, "MiB/s"),
        ratio(&f.down_h, &f.down_n),
    );
    let _ = writeln!(
        out,
        "| {files} × 4 KiB `upload/simple` vs `PUT`, {CLIENTS} clients, distinct contents | every file + its directory fsynced before it counts | {} ({}) | {} ({}) | **{:.2}** | ≥ 0.40 |",
        secs(&f.small_h),
        rate(&f.small_h, files as f64, "files/s"),
        secs(&f.small_n),
        rate(&f.small_n, files as f64, "files/s"),
        ratio(&f.small_h, &f.small_n),
    );
    let above = |kib: u64| kib.saturating_sub(f.idle_kib) as f64 / 1024.0;
    let worst = above(f.peak_up_kib.max(f.peak_down_kib));
    let _ = writeln!(
        out,
        "\nAuthentication of every Hearth upload: one upload action token (`user/get_action_token\n\
         type=upload`, unsigned, never rotated, so the {CLIENTS} clients do not serialize on a session\n\
         key), passed as `session_token`. After each small-file run every upload key is polled\n\
         (untimed) and must show a stored file.\n\n\
         Server memory (Hearth process, `/proc/<pid>/status`; peak = `VmHWM` reset through\n\
         `clear_refs` at the start of each phase, checked against `VmRSS` sampled every 5 ms):\n\n\
         | phase | resident | above idle | aim |\n|---|---|---|---|\n\
         | idle (after login) | {:.1} MiB | — | |\n\
         | peak during the {size} uploads | {:.1} MiB | {:.1} MiB | < 64 MiB |\n\
         | peak during the {size} downloads | {:.1} MiB | {:.1} MiB | < 64 MiB |\n",
        f.idle_kib as f64 / 1024.0,
        f.peak_up_kib as f64 / 1024.0,
        above(f.peak_up_kib),
        f.peak_down_kib as f64 / 1024.0,
        above(f.peak_down_kib),
    );
    let _ = writeln!(
        out,
        "Peak above idle: **{worst:.1} MiB** (aim: under 64 MiB).\n"
    );
    let ims = |v: &[f64]| format!("{:.2} / **{:.2}** ms", min(v), median(v.to_vec()));
    let _ = writeln!(
        out,
        "`upload/instant` of content the account already holds (signed v2 call through\n\
         hearth-client, a new name each time, {INSTANT_REPS} repetitions, sizes alternating; durability: the\n\
         file row commits like any upload's, no blob is written):\n\n\
         | content | latency min / median |\n|---|---|\n\
         | {size} | {} |\n| 4 KiB | {} |\n\n\
         Ratio of the medians {size} / 4 KiB: **{:.2}** (aim: about 1, the time does not depend on the\n\
         size).\n",
        ims(&f.instant_big),
        ims(&f.instant_small),
        median(f.instant_big.clone()) / median(f.instant_small.clone()),
    );
    let _ = writeln!(
        out,
        "Whole run after the release build: {total_s:.0} s; load average (1 min) {} at the start,\n\
         {load} at the end.\n",
        f.load_start
    );
    out
}
