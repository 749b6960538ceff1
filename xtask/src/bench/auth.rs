//! `cargo xtask bench auth`: signed `user/get_info` calls per second with 16 concurrent clients,
//! each holding its own v2 token (a token pool), against nginx serving a 4 KiB static file,
//! both driven by the same load generator in the same run.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use hearth_api::signature::{call_signature, next_secret_key};

use super::load::{self, Conn};
use super::{admin, build_release, median, start_hearth, start_nginx, write_section};

const CLIENTS: usize = 16;
const SECONDS: u64 = 8;
const ROUNDS: usize = 3;

pub fn run(root: &Path) -> Result<()> {
    let bin = build_release(root)?;
    let work = tempfile::tempdir()?;
    let data = work.path().join("data");
    let server = start_hearth(&bin, &data, &[("HEARTH_ARGON2_PROFILE", "fast")])?;
    admin(
        &bin,
        &data,
        &[
            "user",
            "create",
            "--email",
            "bench@example.com",
            "--password",
            "bench",
        ],
    )?;
    let static_root = work.path().join("www");
    std::fs::create_dir_all(&static_root)?;
    std::fs::write(static_root.join("4k.bin"), vec![b'x'; 4096])?;
    let nginx = start_nginx(&work.path().join("nginx"), &static_root, "")?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (hearth_rates, nginx_rates) = rt.block_on(async {
        let mut tokens = login_pool(&server.addr, CLIENTS).await?;
        let mut h = Vec::new();
        let mut n = Vec::new();
        for round in 0..ROUNDS {
            let hr = signed_get_info(&server.addr, &mut tokens).await?;
            let nr = static_get(&nginx.addr).await?;
            println!(
                "round {}: hearth {:.0} calls/s, nginx {:.0} req/s",
                round + 1,
                hr,
                nr
            );
            h.push(hr);
            n.push(nr);
        }
        Ok::<_, anyhow::Error>((h, n))
    })?;
    let (hm, nm) = (median(hearth_rates.clone()), median(nginx_rates.clone()));
    let ratio = hm / nm;
    println!("median: hearth {hm:.0} signed calls/s, nginx {nm:.0} req/s, ratio {ratio:.2}");
    let fmt = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let body = format!(
        "## Signed calls (`cargo xtask bench auth`)\n\n\
         {CLIENTS} concurrent keep-alive clients for {SECONDS} s per round, {ROUNDS} rounds, alternating.\n\
         Hearth: signed `user/get_info` (v2 tokens, one per client; every call verified, claimed,\n\
         answered and rotated), release build, embedded SQLite mode. Durability setting: the claim is\n\
         an in-memory flag and rotated keys are written behind every 25 ms in one transaction (group\n\
         commit) on SQLite in WAL mode with `synchronous=NORMAL` (docs/api-quirks.md). nginx (Debian\n\
         nginx-light, `worker_processes auto`): GET of a 4 KiB static file. Same load generator\n\
         (`xtask/src/bench/load.rs`) for both, on the same 2 cores as the servers.\n\n\
         | side | rounds | median |\n|---|---|---|\n\
         | Hearth signed `user/get_info` | {} calls/s | **{hm:.0} calls/s** |\n\
         | nginx 4 KiB static GET | {} req/s | **{nm:.0} req/s** |\n\n\
         Ratio Hearth / nginx: **{ratio:.2}** (aim: at least 0.30).\n\n",
        fmt(&hearth_rates),
        fmt(&nginx_rates),
    );
    write_section(root, "auth", &body)?;
    drop(nginx);
    drop(server);
    Ok(())
}

struct Token {
    token: String,
    time: String,
    key: u32,
}

async fn login_pool(addr: &str, n: usize) -> Result<Vec<Token>> {
    let client = hearth_client::Client::new(&format!("http://{addr}"));
    let mut out = Vec::new();
    for _ in 0..n {
        client
            .login("42709", None, "bench@example.com", "bench", 2)
            .await
            .context("login")?;
        let s = client.session().context("no session")?;
        out.push(Token {
            token: s.token,
            time: s.time.context("no time")?,
            key: s.secret_key.context("no key")?,
        });
    }
    Ok(out)
}

/// Signed calls per second. Each worker keeps its token's key in step with the server.
async fn signed_get_info(addr: &str, tokens: &mut [Token]) -> Result<f64> {
    let addr = addr.to_string();
    let states: Vec<(String, String, u32)> = tokens
        .iter()
        .map(|t| (t.token.clone(), t.time.clone(), t.key))
        .collect();
    let shared = std::sync::Arc::new(std::sync::Mutex::new(states));
    let out = load::run(CLIENTS, Duration::from_secs(SECONDS), |i, deadline| {
        let addr = addr.clone();
        let shared = shared.clone();
        async move {
            let (token, time, mut key) = shared.lock().unwrap()[i].clone();
            let mut conn = Conn::open(&addr).await?;
            let path = "/api/1.5/user/get_info.php";
            let mut n = 0;
            while Instant::now() < deadline {
                let query = format!("session_token={token}&response_format=json");
                let sig = call_signature(key, &time, path, query.as_bytes());
                let (status, body) = conn.get(&format!("{path}?{query}&signature={sig}")).await?;
                if status != 200 || !contains(&body, br#""new_key":"yes""#) {
                    bail!(
                        "unexpected answer {status}: {}",
                        String::from_utf8_lossy(&body)
                    );
                }
                key = next_secret_key(key);
                n += 1;
            }
            shared.lock().unwrap()[i].2 = key;
            Ok(n)
        }
    })
    .await?;
    // Carry each token's key into the next round.
    for (t, (_, _, key)) in tokens.iter_mut().zip(shared.lock().unwrap().iter()) {
        t.key = *key;
    }
    Ok(out.per_second())
}

async fn static_get(addr: &str) -> Result<f64> {
    let addr = addr.to_string();
    let out = load::run(CLIENTS, Duration::from_secs(SECONDS), |_, deadline| {
        let addr = addr.clone();
        async move {
            let mut conn = Conn::open(&addr).await?;
            let mut n = 0;
            while Instant::now() < deadline {
                let (status, body) = conn.get("/4k.bin").await?;
                if status != 200 || body.len() != 4096 {
                    bail!("unexpected answer {status}, {} bytes", body.len());
                }
                n += 1;
            }
            Ok(n)
        }
    })
    .await?;
    Ok(out.per_second())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
