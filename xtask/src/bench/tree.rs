//! `cargo xtask bench tree`: a folder of 1,000,000 files, generated directly in the database
//! (SQLite through the `sqlite3` command line, PostgreSQL through `psql`) while the release
//! server is stopped, then measured over HTTP with signed v2 calls: folder/get_content chunk 1,
//! a chunk fetched right after the one before it (keyset cursor), a cold jump to the last
//! chunk, folder/search for a rare name, device/get_changes at an old and a recent revision.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use hearth_client::Client;

use super::{build_release, median, start_hearth, write_section};

const FILES: i64 = 1_000_000;
/// Rows per generating transaction.
const BATCH: i64 = 250_000;
const CHUNK_SIZE: i64 = 100;
/// The deepest full chunk: 10,000 of 100 files is the last one.
const LAST_CHUNK: i64 = FILES / CHUNK_SIZE;
const REPS: usize = 7;
/// The whole run after the release build (both databases).
const BUDGET: Duration = Duration::from_secs(15 * 60);
const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "bench";
/// The rare name folder/search looks for; three files carry it.
const RARE: &str = "zanzibar";
const RARE_AT: [i64; 3] = [123_457, 555_555, 987_654];

pub fn run(root: &Path) -> Result<()> {
    let bin = build_release(root)?;
    let deadline = Instant::now() + BUDGET;
    let sqlite3 = sqlite3_binary()?;
    let work = tempfile::tempdir()?;

    println!("== SQLite");
    let data = work.path().join("sqlite");
    let sqlite = measure(&bin, &data, None, deadline, |sql| {
        let mut cmd = Command::new(&sqlite3);
        cmd.arg("-bail")
            .arg(data.join("hearth.db"))
            .arg(format!(".read {}", sql.display()));
        run_until(cmd, deadline, "sqlite3")
    })?;

    println!("== PostgreSQL");
    let pg = match PgDatabase::create() {
        Ok(pgdb) => {
            let data = work.path().join("pg");
            let url = pgdb.url();
            let r = measure(&bin, &data, Some(&url), deadline, |sql| {
                let mut cmd = psql(&pgdb.name);
                cmd.arg("-f").arg(sql);
                run_until(cmd, deadline, "psql")
            });
            drop(pgdb);
            Some(r?)
        }
        Err(e) => {
            eprintln!("PostgreSQL not measured: {e:#}");
            None
        }
    };

    let body = report(&sqlite, pg.as_ref());
    print!("{body}");
    write_section(root, "tree", &body)
}

/// Latencies of one database, in milliseconds.
struct Figures {
    load_s: f64,
    chunk1: Vec<f64>,
    keyset: Vec<f64>,
    cold_last: Vec<f64>,
    search: Vec<f64>,
    changes_old: Vec<f64>,
    changes_recent: Vec<f64>,
}

/// Sets a database up (server started once to migrate and create the account and the folder),
/// generates the files with `load(sql_file)` while the server is stopped, restarts it and
/// measures.
fn measure(
    bin: &Path,
    data: &Path,
    url: Option<&str>,
    deadline: Instant,
    load: impl FnOnce(&Path) -> Result<()>,
) -> Result<Figures> {
    std::fs::create_dir_all(data)?;
    let mut env = vec![("HEARTH_ARGON2_PROFILE", "fast")];
    if let Some(u) = url {
        env.push(("HEARTH_DATABASE_URL", u));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;

    let server = start_hearth(bin, data, &env)?;
    admin(
        bin,
        data,
        &env,
        &["user", "create", "--email", EMAIL, "--password", PASSWORD],
    )?;
    let folderkey = rt.block_on(async {
        let c = login(&server.addr).await?;
        let v = c
            .call("folder/create", &[("foldername", "Big")])
            .await
            .context("folder/create")?;
        let key = v["response"]["folder_key"].as_str();
        Ok::<_, anyhow::Error>(key.context("no folder_key")?.to_string())
    })?;
    drop(server);

    let sql = data.join("generate.sql");
    std::fs::write(&sql, generate_sql(url.is_some(), &folderkey))?;
    let t = Instant::now();
    println!("generating {FILES} files…");
    load(&sql)?;
    let load_s = t.elapsed().as_secs_f64();
    println!("generated in {load_s:.1} s");
    check_deadline(deadline)?;

    let server = start_hearth(bin, data, &env)?;
    let figures = rt.block_on(async {
        let c = login(&server.addr).await?;
        let content = |chunk: i64| {
            let (c, key) = (&c, folderkey.clone());
            async move {
                let n = chunk.to_string();
                let size = CHUNK_SIZE.to_string();
                let t = Instant::now();
                let v = c
                    .call(
                        "folder/get_content",
                        &[
                            ("folder_key", key.as_str()),
                            ("content_type", "files"),
                            ("order_by", "name"),
                            ("chunk_size", &size),
                            ("chunk", &n),
                        ],
                    )
                    .await
                    .with_context(|| format!("get_content chunk {chunk}"))?;
                let ms = t.elapsed().as_secs_f64() * 1e3;
                let fc = &v["response"]["folder_content"];
                let keys: Vec<String> = fc["files"]
                    .as_array()
                    .context("no files list")?
                    .iter()
                    .map(|f| f["quickkey"].as_str().unwrap_or_default().to_string())
                    .collect();
                Ok::<_, anyhow::Error>((ms, keys, fc["more_chunks"] == "yes"))
            }
        };

        let mut chunk1 = Vec::new();
        for _ in 0..REPS {
            let (ms, keys, more) = content(1).await?;
            if keys.len() != CHUNK_SIZE as usize || !more {
                bail!("chunk 1: {} files, more_chunks {more}", keys.len());
            }
            chunk1.push(ms);
        }
        check_deadline(deadline)?;
        // Cold first: no cursor for the last chunk exists until its predecessor was fetched.
        let mut cold_last = Vec::new();
        let mut last_keys = Vec::new();
        for _ in 0..REPS.min(5) {
            let (ms, keys, more) = content(LAST_CHUNK).await?;
            if keys.len() != CHUNK_SIZE as usize || more {
                bail!("last chunk: {} files, more_chunks {more}", keys.len());
            }
            cold_last.push(ms);
            last_keys = keys;
            check_deadline(deadline)?;
        }
        // Chunk k+1 right after chunk k (k fetched cold each time, untimed).
        let mut keyset = Vec::new();
        for _ in 0..REPS.min(5) {
            content(LAST_CHUNK - 1).await?;
            let (ms, keys, _) = content(LAST_CHUNK).await?;
            if keys != last_keys {
                bail!("the keyset chunk differs from the cold one");
            }
            keyset.push(ms);
            check_deadline(deadline)?;
        }

        let timed = |action: &'static str, params: Vec<(&'static str, String)>| {
            let c = &c;
            async move {
                let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let t = Instant::now();
                let v = c
                    .call(action, &p)
                    .await
                    .with_context(|| action.to_string())?;
                Ok::<_, anyhow::Error>((t.elapsed().as_secs_f64() * 1e3, v))
            }
        };
        let mut search = Vec::new();
        for _ in 0..REPS {
            let (ms, v) = timed(
                "folder/search",
                vec![
                    ("folder_key", folderkey.clone()),
                    ("search_text", RARE.into()),
                ],
            )
            .await?;
            let n = v["response"]["results"].as_array().map_or(0, Vec::len);
            if n != RARE_AT.len() {
                bail!("folder/search {RARE}: {n} results: {v}");
            }
            search.push(ms);
            check_deadline(deadline)?;
        }
        let mut changes_old = Vec::new();
        let mut changes_recent = Vec::new();
        for (list, rev) in [(&mut changes_old, 0), (&mut changes_recent, FILES - 300)] {
            for _ in 0..REPS {
                let (ms, v) =
                    timed("device/get_changes", vec![("revision", rev.to_string())]).await?;
                let files = v["response"]["updated"]["files"]
                    .as_array()
                    .map_or(0, Vec::len);
                if files == 0 {
                    bail!("device/get_changes at {rev}: no files: {v}");
                }
                list.push(ms);
            }
        }
        Ok(Figures {
            load_s,
            chunk1,
            keyset,
            cold_last,
            search,
            changes_old,
            changes_recent,
        })
    })?;
    drop(server);
    Ok(figures)
}

/// The generating SQL: `FILES` files in the folder `folderkey` in transactions of `BATCH`,
/// with distinct names (two words, a number, an extension; three carry [`RARE`]), spread
/// sizes, creation times, download counts and item revisions 1..FILES; then the folder's and
/// the account's revisions after them.
fn generate_sql(postgres: bool, folderkey: &str) -> String {
    const ADJ: [&str; 10] = [
        "annual", "draft", "final", "scanned", "holiday", "family", "project", "backup", "invoice",
        "quarter",
    ];
    const NOUN: [&str; 12] = [
        "report", "photo", "notes", "budget", "contract", "slides", "minutes", "letter", "receipt",
        "summary", "video", "plan",
    ];
    const EXT: [&str; 8] = ["pdf", "jpg", "docx", "xlsx", "png", "mp4", "txt", "zip"];
    let base_us: i64 = 1_600_000_000_000_000;
    let rare = RARE_AT
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let mut sql = String::new();
    if !postgres {
        sql.push_str("PRAGMA busy_timeout = 60000;\n");
    }
    let pick = |words: &[&str], n: &str| {
        if postgres {
            let list = words
                .iter()
                .map(|w| format!("'{w}'"))
                .collect::<Vec<_>>()
                .join(", ");
            format!("(ARRAY[{list}])[1 + ({n}) % {}]", words.len())
        } else {
            let mut case = format!("CASE ({n}) % {}", words.len());
            for (k, w) in words.iter().enumerate() {
                let _ = write!(case, " WHEN {k} THEN '{w}'");
            }
            case + " END"
        }
    };
    let (num, key, hash) = if postgres {
        (
            "lpad(((i * 7919) % 1000003)::text, 7, '0')".to_string(),
            "'bq' || lpad(i::text, 13, '0')".to_string(),
            "lpad(to_hex(i % 4096), 64, '0')".to_string(),
        )
    } else {
        (
            "printf('%07d', (i * 7919) % 1000003)".to_string(),
            "printf('bq%013d', i)".to_string(),
            "printf('%064x', i % 4096)".to_string(),
        )
    };
    let name = format!(
        "CASE WHEN i IN ({rare}) THEN '{RARE} ledger ' || {num} || '.xlsx' \
         ELSE {} || ' ' || {} || ' ' || {num} || '.' || {} END",
        pick(&ADJ, "i / 7"),
        pick(&NOUN, "i / 3"),
        pick(&EXT, "i"),
    );
    let mut lo = 1;
    while lo <= FILES {
        let hi = (lo + BATCH - 1).min(FILES);
        let series = if postgres {
            format!("generate_series({lo}::bigint, {hi}::bigint) AS g(i)")
        } else {
            format!(
                "(WITH RECURSIVE g(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM g WHERE i < {hi}) \
                 SELECT i FROM g) AS g"
            )
        };
        let _ = writeln!(
            sql,
            "BEGIN;\n\
             INSERT INTO files (user_id, quickkey, folder_id, name, description, privacy, \
             password_hash, created_us, mtime_us, revision, trash_state, delete_us, hash, size, \
             downloads)\n\
             SELECT f.user_id, {key}, f.id, {name}, '', 'private', '', \
             {base_us} + i * 1000000, {base_us} + i * 1000000, i, 0, 0, {hash}, \
             (i * 2654435761) % 50000000, i % 97\n\
             FROM {series} CROSS JOIN (SELECT id, user_id FROM folders WHERE folderkey = '{folderkey}') AS f;\n\
             COMMIT;"
        );
        lo = hi + 1;
    }
    let _ = writeln!(
        sql,
        "BEGIN;\n\
         UPDATE users SET device_revision = {rev} WHERE id = (SELECT user_id FROM folders WHERE folderkey = '{folderkey}');\n\
         UPDATE folders SET revision = {rev} WHERE folderkey = '{folderkey}';\n\
         COMMIT;",
        rev = FILES + 1,
    );
    if postgres {
        sql.push_str("VACUUM ANALYZE files;\n");
    }
    sql
}

fn report(sqlite: &Figures, pg: Option<&Figures>) -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mut out = format!(
        "## A folder of 1,000,000 files (`cargo xtask bench tree`)\n\n\
         Machine: {cpus} cores ({cpu}), {mem_gib:.0} GiB, loopback; release build. {FILES} file rows in\n\
         one folder, generated directly in the database (bulk `INSERT … SELECT` in transactions of\n\
         {BATCH} rows: `sqlite3` for SQLite, `psql` for PostgreSQL, followed there by `VACUUM\n\
         ANALYZE files`) while the server was stopped; item revisions spread over 1..{FILES}.\n\
         Latency of one signed v2 call over HTTP (hearth-client, JSON), {REPS} repetitions (5 for the\n\
         last-chunk rows): min / median in ms. `folder/get_content`: `content_type=files`,\n\
         `order_by=name`, `chunk_size={CHUNK_SIZE}`. The folder holds {LAST_CHUNK} full chunks, so \"chunk k+1\n\
         after chunk k\" is measured at k = {} (chunk {LAST_CHUNK}, the last full one, fetched right\n\
         after chunk {} was fetched cold and untimed): it continues from the keyset cursor that\n\
         chunk left. The cold jump is the same chunk {LAST_CHUNK} with no cursor (OFFSET {}).\n\n\
         | call | SQLite | PostgreSQL |\n|---|---|---|\n",
        LAST_CHUNK - 1,
        LAST_CHUNK - 1,
        (LAST_CHUNK - 1) * CHUNK_SIZE,
    );
    let cell = |v: Option<&Vec<f64>>| match v {
        Some(v) => {
            let min = v.iter().copied().fold(f64::INFINITY, f64::min);
            format!("{min:.1} / **{:.1}**", median(v.clone()))
        }
        None => "not measured".into(),
    };
    type Row = (&'static str, fn(&Figures) -> &Vec<f64>);
    let rows: [Row; 6] = [
        ("`folder/get_content` chunk 1", |f| &f.chunk1),
        (
            "`folder/get_content` chunk k+1 right after chunk k (keyset)",
            |f| &f.keyset,
        ),
        (
            "`folder/get_content` cold jump to the last chunk (OFFSET)",
            |f| &f.cold_last,
        ),
        ("`folder/search` for a rare name (3 hits)", |f| &f.search),
        ("`device/get_changes` at revision 0", |f| &f.changes_old),
        (
            "`device/get_changes` at a recent revision (1,000,000 − 300)",
            |f| &f.changes_recent,
        ),
    ];
    for (what, get) in rows {
        let _ = writeln!(
            out,
            "| {what} | {} | {} |",
            cell(Some(get(sqlite))),
            cell(pg.map(get))
        );
    }
    let ratio = |f: &Figures| median(f.keyset.clone()) / median(f.chunk1.clone());
    let _ = writeln!(
        out,
        "| generating the files | {:.0} s | {} |\n",
        sqlite.load_s,
        pg.map_or("not measured".into(), |f| format!("{:.0} s", f.load_s))
    );
    let _ = writeln!(
        out,
        "Ratio chunk(k+1) / chunk(1), medians (aim: at most 1.5): SQLite **{:.2}**, PostgreSQL **{}**.\n",
        ratio(sqlite),
        pg.map_or("not measured".into(), |f| format!("{:.2}", ratio(f)))
    );
    out
}

fn check_deadline(deadline: Instant) -> Result<()> {
    if Instant::now() > deadline {
        bail!(
            "the benchmark ran past its budget of {} s",
            BUDGET.as_secs()
        );
    }
    Ok(())
}

/// Runs `cmd` to completion, killing it when the deadline passes.
fn run_until(mut cmd: Command, deadline: Instant, what: &str) -> Result<()> {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {what}"))?;
    loop {
        if let Some(status) = child.try_wait()? {
            if !status.success() {
                bail!("{what} failed: {status}");
            }
            return Ok(());
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{what} ran past the benchmark's budget");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn login(addr: &str) -> Result<Client> {
    let c = Client::new(&format!("http://{addr}"));
    c.login("42709", None, EMAIL, PASSWORD, 2)
        .await
        .context("login")?;
    Ok(c)
}

/// `hearth admin …` with the benchmark's environment (database URL included).
fn admin(bin: &Path, data: &Path, env: &[(&str, &str)], args: &[&str]) -> Result<()> {
    let mut cmd = Command::new(bin);
    cmd.arg("admin").args(args).arg("--data-dir").arg(data);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().context("running hearth admin")?;
    if !out.status.success() {
        bail!(
            "hearth admin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Debian's `sqlite3` command line, installed on first use.
fn sqlite3_binary() -> Result<PathBuf> {
    for p in ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"] {
        if Path::new(p).exists() {
            return Ok(PathBuf::from(p));
        }
    }
    eprintln!("sqlite3 not found: installing Debian's sqlite3");
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends", "sqlite3"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    if !install() {
        let _ = Command::new("apt-get").args(["update", "-q"]).status();
        if !install() {
            bail!("could not install sqlite3");
        }
    }
    Ok(PathBuf::from("/usr/bin/sqlite3"))
}

const PG_HOST: &str = "127.0.0.1";

fn psql(db: &str) -> Command {
    let mut cmd = Command::new("psql");
    cmd.args([
        "-h",
        PG_HOST,
        "-U",
        "postgres",
        "-d",
        db,
        "-q",
        "-v",
        "ON_ERROR_STOP=1",
    ]);
    cmd
}

/// A fresh PostgreSQL database on 127.0.0.1:5432, dropped on drop.
struct PgDatabase {
    name: String,
}

impl PgDatabase {
    fn create() -> Result<PgDatabase> {
        let name = format!("bench_tree_{}", std::process::id());
        let out = psql("postgres")
            .args(["-c", &format!("CREATE DATABASE {name}")])
            .output()
            .context("running psql (is PostgreSQL on 127.0.0.1:5432?)")?;
        if !out.status.success() {
            bail!("CREATE DATABASE: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(PgDatabase { name })
    }

    fn url(&self) -> String {
        format!("postgres://postgres@{PG_HOST}:5432/{}", self.name)
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = psql("postgres")
            .args([
                "-c",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .stderr(Stdio::null())
            .status();
    }
}
