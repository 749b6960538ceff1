//! Signatures, key rotation, token claims, lifetimes, lockout and rate limits over real HTTP.

use std::time::Duration;

use hearth_api::signature::{call_signature, login_signature, next_secret_key};
use hearth_client::{encode, Client};

use crate::harness::{code, get, json, TestServer, APP_ID, EMAIL, PASSWORD};

/// A GET of `user/get_info` signed with `key`, as fuse sends it.
async fn signed_get_info(s: &TestServer, token: &str, time: &str, key: u32) -> serde_json::Value {
    let path = "/api/1.5/user/get_info.php";
    let query = encode(&[("session_token", token), ("response_format", "json")]);
    let sig = call_signature(key, time, path, query.as_bytes());
    let (_, _, body) = get(&s.url(&format!("{path}?{query}&signature={sig}"))).await;
    json(&body)["response"].clone()
}

async fn v2(s: &TestServer) -> (String, String, u32) {
    let c = s.login(2).await;
    let sess = c.session().unwrap();
    (sess.token, sess.time.unwrap(), sess.secret_key.unwrap())
}

/// A session whose next `keys` keys have distinct low bytes (see `step_past_low_byte_twins`):
/// for tests that a replayed or skipped-ahead key is refused.
async fn v2_without_twins(s: &TestServer, keys: usize) -> (String, String, u32) {
    for _ in 0..50 {
        let (token, time, key) = v2(s).await;
        let mut low: Vec<u32> = std::iter::successors(Some(key), |k| Some(next_secret_key(*k)))
            .take(keys)
            .map(|k| k % 256)
            .collect();
        low.sort_unstable();
        low.dedup();
        if low.len() == keys {
            return (token, time, key);
        }
    }
    panic!("50 logins without a twin-free key chain");
}

/// Signatures depend on `key mod 256` only (auth.md §4.4), so when the key one or two steps
/// ahead has the same low byte, a call signed with the current key is also valid once the key
/// has moved on (as the key, or one step ahead of it): two racing calls may then both be
/// answered, by the protocol's design (2 chances in 256). Tests about racing calls first step
/// past such a key with one call.
async fn step_past_low_byte_twins(s: &TestServer, token: &str, time: &str, key: &mut u32) {
    let twin = |k: u32| {
        let k1 = next_secret_key(k);
        k1 % 256 == k % 256 || next_secret_key(k1) % 256 == k % 256
    };
    while twin(*key) {
        let r = signed_get_info(s, token, time, *key).await;
        assert_eq!(r["result"], "Success", "{r}");
        *key = next_secret_key(*key);
    }
}

#[tokio::test]
async fn many_signed_calls_rotate_the_key_each_time() {
    let s = TestServer::start().await;
    for transport in [
        hearth_client::Transport::Get,
        hearth_client::Transport::Post,
    ] {
        let c = Client::new(&s.base).transport(transport);
        c.login(APP_ID, None, EMAIL, PASSWORD, 2).await.unwrap();
        let mut key = c.session().unwrap().secret_key.unwrap();
        for i in 0..50 {
            let call = ["user/get_info", "user/get_limits", "user/get_settings"][i % 3];
            let v = c.call(call, &[]).await.unwrap();
            assert_eq!(v["response"]["new_key"], "yes");
            key = next_secret_key(key);
            assert_eq!(c.session().unwrap().secret_key, Some(key));
        }
    }
}

#[tokio::test]
async fn unversioned_paths_sign_the_path_as_requested() {
    let s = TestServer::start().await;
    let c = Client::new(&s.base).version("");
    c.login(APP_ID, None, EMAIL, PASSWORD, 2).await.unwrap();
    c.call("user/get_info", &[]).await.unwrap();
    c.call("user/get_info", &[]).await.unwrap();
}

#[tokio::test]
async fn replays_and_keys_two_ahead_are_127_one_ahead_is_adopted_once() {
    let s = TestServer::start().await;
    let (token, time, k0) = v2_without_twins(&s, 6).await;
    let r = signed_get_info(&s, &token, &time, k0).await;
    assert_eq!(r["result"], "Success");
    let k1 = next_secret_key(k0);
    assert_eq!(
        signed_get_info(&s, &token, &time, k1).await["result"],
        "Success"
    );
    // Replaying call n (key k0) after call n+1: 127, and no new_key.
    let r = signed_get_info(&s, &token, &time, k0).await;
    assert_eq!(r["error"], 127);
    assert!(r.get("new_key").is_none());
    // The server is at k2. Two ahead (k4): 127.
    let k2 = next_secret_key(k1);
    let k3 = next_secret_key(k2);
    let k4 = next_secret_key(k3);
    assert_eq!(signed_get_info(&s, &token, &time, k4).await["error"], 127);
    // One ahead (k3): accepted and adopted; the server then rotates to k4.
    assert_eq!(
        signed_get_info(&s, &token, &time, k3).await["result"],
        "Success"
    );
    // Replaying that one-ahead request: 127 (accepted once).
    assert_eq!(signed_get_info(&s, &token, &time, k3).await["error"], 127);
    assert_eq!(
        signed_get_info(&s, &token, &time, k4).await["result"],
        "Success"
    );
}

#[tokio::test]
async fn errors_never_rotate_and_fuse_style_rotation_after_errors_recovers() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    let key = c.session().unwrap().secret_key;
    let r = c
        .call_raw("user/get_action_token", &[("type", "bogus")])
        .await
        .unwrap();
    let v = r.json().unwrap();
    assert_eq!(v["response"]["error"], 129);
    assert!(v["response"].get("new_key").is_none());
    assert_eq!(
        c.session().unwrap().secret_key,
        key,
        "the client did not rotate"
    );
    c.call("user/get_info", &[]).await.unwrap();

    // fuse rotates after every call, errors included: the one-step-ahead rule keeps it in sync.
    let c = s.login(2).await;
    let mut sess = c.session().unwrap();
    let _ = c
        .call_raw("user/get_action_token", &[("type", "bogus")])
        .await
        .unwrap();
    sess.secret_key = sess.secret_key.map(next_secret_key);
    c.set_session(Some(sess));
    c.call("user/get_info", &[]).await.unwrap();
    c.call("user/get_info", &[]).await.unwrap();
}

#[tokio::test]
async fn two_concurrent_calls_on_one_v2_token_exactly_one_wins() {
    let s = TestServer::start().await;
    for _ in 0..5 {
        let (token, time, mut key) = v2(&s).await;
        step_past_low_byte_twins(&s, &token, &time, &mut key).await;
        let (a, b) = tokio::join!(
            signed_get_info(&s, &token, &time, key),
            signed_get_info(&s, &token, &time, key)
        );
        let wins = [&a, &b].iter().filter(|r| r["result"] == "Success").count();
        assert_eq!(wins, 1, "{a} {b}");
        let loser = if a["result"] == "Success" { &b } else { &a };
        assert_eq!(loser["error"], 127);
        // The token still works afterwards with the next key.
        let r = signed_get_info(&s, &token, &time, next_secret_key(key)).await;
        assert_eq!(r["result"], "Success", "{r}");
    }
}

/// Several calls race on one key while the session table is invalidated underneath them
/// (an application status change drops cached sessions): still exactly one wins each round,
/// and a key once used is never accepted again.
#[tokio::test]
async fn one_winner_per_key_while_sessions_are_invalidated() {
    let s = TestServer::start().await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let invalidator = {
        let core = s.core.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                core.set_app_status(APP_ID.parse().unwrap(), "active")
                    .await
                    .unwrap();
                tokio::time::sleep(std::time::Duration::from_micros(300)).await;
            }
        })
    };
    let (token, time, mut key) = v2(&s).await;
    for round in 0..60 {
        step_past_low_byte_twins(&s, &token, &time, &mut key).await;
        let results =
            futures_util::future::join_all((0..4).map(|_| signed_get_info(&s, &token, &time, key)))
                .await;
        let wins = results.iter().filter(|r| r["result"] == "Success").count();
        assert_eq!(wins, 1, "round {round}: {results:?}");
        // The used key is spent for good, even across invalidations.
        let replay = signed_get_info(&s, &token, &time, key).await;
        assert_eq!(replay["error"], 127, "round {round}: {replay}");
        key = next_secret_key(key);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    invalidator.await.unwrap();
}

#[tokio::test]
async fn token_errors_104_105_215_127() {
    let s = TestServer::start().await;
    let (status, _, body) = get(&s.url("/api/1.5/user/get_info.php?response_format=json")).await;
    assert_eq!(
        (status, json(&body)["response"]["error"].as_u64()),
        (403, Some(104))
    );
    let (status, _, body) =
        get(&s.url("/api/1.5/user/get_info.php?response_format=json&session_token=00ff")).await;
    assert_eq!(
        (status, json(&body)["response"]["error"].as_u64()),
        (403, Some(105))
    );
    assert_eq!(
        json(&body)["response"]["message"],
        "The supplied Session Token is expired or invalid"
    );
    let (token, _, _) = v2(&s).await;
    let (status, _, body) = get(&s.url(&format!(
        "/api/1.5/user/get_info.php?response_format=json&session_token={token}"
    )))
    .await;
    assert_eq!(
        (status, json(&body)["response"]["error"].as_u64()),
        (403, Some(215))
    );
    let (status, _, body) = get(&s.url(&format!(
        "/api/1.5/user/get_info.php?response_format=json&session_token={token}&signature=0123456789abcdef0123456789abcdef"
    )))
    .await;
    assert_eq!(
        (status, json(&body)["response"]["error"].as_u64()),
        (403, Some(127))
    );
}

#[tokio::test]
async fn login_errors() {
    let s = TestServer::start().await;
    let c = s.client();
    assert_eq!(code(c.login(APP_ID, None, EMAIL, "wrong", 2).await), 107);
    assert_eq!(
        code(
            c.login(APP_ID, None, "nobody@example.com", PASSWORD, 2)
                .await
        ),
        107
    );
    assert_eq!(code(c.login("99999", None, EMAIL, PASSWORD, 2).await), 109);
    // A bad login signature.
    let r = c
        .send_unsigned(
            "user/get_session_token",
            &[
                ("email", EMAIL),
                ("password", PASSWORD),
                ("application_id", APP_ID),
                ("signature", "00"),
                ("response_format", "json"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.json().unwrap()["response"]["error"].as_u64()),
        (403, Some(127))
    );
    // No signature at all.
    let r = c
        .send_unsigned(
            "user/get_session_token",
            &[
                ("email", EMAIL),
                ("password", PASSWORD),
                ("application_id", APP_ID),
                ("response_format", "json"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(r.json().unwrap()["response"]["error"], 128);
    // The ekey works instead of the e-mail.
    let v = s.login(1).await.call("user/get_info", &[]).await.unwrap();
    let ekey = v["response"]["user_info"]["ekey"]
        .as_str()
        .unwrap()
        .to_string();
    let sig = login_signature(&[ekey.as_bytes(), PASSWORD.as_bytes(), APP_ID.as_bytes()]);
    let r = c
        .send_unsigned(
            "user/get_session_token",
            &[
                ("ekey", &ekey),
                ("password", PASSWORD),
                ("application_id", APP_ID),
                ("signature", &sig),
                ("response_format", "json"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(r.json().unwrap()["response"]["result"], "Success");
}

#[tokio::test]
async fn applications_with_keys_disabled_and_suspended() {
    let s = TestServer::start().await;
    let app = s.core.create_app(Some(5000), "keyed", true).await.unwrap();
    let key = app.api_key.unwrap();
    let c = s.client();
    c.login("5000", Some(&key), EMAIL, PASSWORD, 2)
        .await
        .unwrap();
    assert_eq!(
        code(c.login("5000", None, EMAIL, PASSWORD, 2).await),
        127,
        "the key is required"
    );
    // Without a key, signing with or without it both work for a key-less app.
    c.login(APP_ID, None, EMAIL, PASSWORD, 2).await.unwrap();
    s.core.set_app_status(5000, "disabled").await.unwrap();
    assert_eq!(
        code(c.login("5000", Some(&key), EMAIL, PASSWORD, 2).await),
        145
    );
    s.core.set_app_status(5000, "suspended").await.unwrap();
    assert_eq!(
        code(c.login("5000", Some(&key), EMAIL, PASSWORD, 2).await),
        146
    );
}

#[tokio::test]
async fn v1_tokens_expire_and_renew() {
    let s = TestServer::with_settings(|st| st.session_v1_lifetime = Duration::from_secs(2)).await;
    let c = s.login(1).await;
    let v = c.call("user/get_info", &[]).await.unwrap();
    assert!(
        v["response"].get("new_key").is_none(),
        "v1 tokens never rotate"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let v = c.call("user/renew_session_token", &[]).await.unwrap();
    assert_eq!(
        v["response"]["session_token"],
        c.session().unwrap().token.as_str()
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // 2.4 s after login, but renewed 1.2 s ago: still valid.
    c.call("user/get_info", &[]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(code(c.call("user/get_info", &[]).await), 105);
    assert_eq!(code(c.call("user/renew_session_token", &[]).await), 105);
}

#[tokio::test]
async fn the_sixth_failed_login_is_243_and_the_lock_lifts() {
    let s = TestServer::with_settings(|st| {
        st.lockout_failures = 5;
        st.lockout_duration = Duration::from_secs(2);
    })
    .await;
    let c = s.client();
    for _ in 0..5 {
        assert_eq!(code(c.login(APP_ID, None, EMAIL, "wrong", 2).await), 107);
    }
    assert_eq!(code(c.login(APP_ID, None, EMAIL, "wrong", 2).await), 243);
    assert_eq!(
        code(c.login(APP_ID, None, EMAIL, PASSWORD, 2).await),
        243,
        "locked even for the right password"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    c.login(APP_ID, None, EMAIL, PASSWORD, 2).await.unwrap();
}

#[tokio::test]
async fn the_sixth_call_in_a_second_is_163() {
    let s = TestServer::with_settings(|st| st.rate_limit_per_address = 5).await;
    let mut codes = Vec::new();
    for _ in 0..6 {
        let (status, _, body) =
            get(&s.url("/api/1.5/system/get_version.php?response_format=json")).await;
        codes.push((status, json(&body)["response"]["error"].as_u64()));
    }
    assert_eq!(&codes[..5], &[(200, None); 5]);
    assert_eq!(codes[5], (403, Some(163)));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _, _) = get(&s.url("/api/1.5/system/get_version.php")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn per_application_rate_limit() {
    let s = TestServer::with_settings(|st| st.rate_limit_per_app = 3).await;
    let c = s.login(1).await; // the login counts as one call of the application
    c.call("user/get_info", &[]).await.unwrap();
    c.call("user/get_info", &[]).await.unwrap();
    assert_eq!(code(c.call("user/get_info", &[]).await), 163);
}

#[tokio::test]
async fn revocations_and_application_changes_reach_live_sessions() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    c.call("user/get_info", &[]).await.unwrap();
    // Another process (`hearth admin user revoke-sessions`) deletes the rows directly.
    let user = s.core.user_by_email(EMAIL).await.unwrap().unwrap();
    hearth_store::accounts::delete_user_sessions(s.core.db(), user.id, None)
        .await
        .unwrap();
    let mut last = 0;
    for _ in 0..40 {
        match c.call("user/get_info", &[]).await {
            Err(e) => {
                last = e.code().unwrap();
                break;
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(25)).await,
        }
    }
    assert_eq!(last, 105, "a revoked token stops working within a second");

    let c = s.login(2).await;
    c.call("user/get_info", &[]).await.unwrap();
    s.core.set_app_status(42709, "disabled").await.unwrap();
    assert_eq!(code(c.call("user/get_info", &[]).await), 145);
    s.core.set_app_status(42709, "active").await.unwrap();
    c.call("user/get_info", &[]).await.unwrap();
}

#[tokio::test]
async fn rotated_keys_reach_the_database() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    for _ in 0..3 {
        c.call("user/get_info", &[]).await.unwrap();
    }
    let sess = c.session().unwrap();
    let hash = hearth_store::accounts::token_hash(&sess.token);
    let mut stored = 0;
    for _ in 0..40 {
        stored = hearth_store::accounts::session_by_hash(s.core.db(), &hash)
            .await
            .unwrap()
            .unwrap()
            .secret_key;
        if stored == sess.secret_key.unwrap() as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(stored, sess.secret_key.unwrap() as i64);
}

#[tokio::test]
async fn user_changes_by_another_process_are_seen() {
    let s = TestServer::start().await;
    let c = s.login(2).await;
    let v = c.call("user/get_limits", &[]).await.unwrap();
    assert_eq!(v["response"]["storage_limit"], (50u64 << 30).to_string());
    // `hearth admin user set-quota` from another process: the row changes, then the epoch.
    let user = s.core.user_by_email(EMAIL).await.unwrap().unwrap();
    let other = hearth_store::Db::connect(&s.db_url()).await.unwrap();
    hearth_store::accounts::set_quota(&other, user.id, 777)
        .await
        .unwrap();
    hearth_store::accounts::bump_session_epoch(&other)
        .await
        .unwrap();
    let mut seen = String::new();
    for _ in 0..40 {
        let v = c.call("user/get_limits", &[]).await.unwrap();
        seen = v["response"]["storage_limit"].as_str().unwrap().to_string();
        if seen == "777" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(seen, "777");
}

#[tokio::test]
async fn one_token_two_nodes_on_postgresql_exactly_one_wins() {
    if hearth_store::testing::pg_url().is_none() {
        eprintln!("skipped: several nodes need PostgreSQL (TEST_PG_URL)");
        return;
    }
    let a = TestServer::start().await;
    let b = TestServer::second_node(&a).await;
    for _ in 0..5 {
        let (token, time, mut key) = v2(&a).await;
        step_past_low_byte_twins(&a, &token, &time, &mut key).await;
        let (x, y) = tokio::join!(
            signed_get_info(&a, &token, &time, key),
            signed_get_info(&b, &token, &time, key)
        );
        let wins = [&x, &y].iter().filter(|r| r["result"] == "Success").count();
        assert_eq!(wins, 1, "{x} {y}");
        // Either node continues the chain.
        let k1 = next_secret_key(key);
        assert_eq!(
            signed_get_info(&b, &token, &time, k1).await["result"],
            "Success"
        );
        assert_eq!(
            signed_get_info(&a, &token, &time, next_secret_key(k1)).await["result"],
            "Success"
        );
    }
}

#[tokio::test]
async fn every_user_call_answers_an_xml_envelope() {
    let s = TestServer::start().await;
    let c = s.login(1).await;
    let token = c.session().unwrap().token;
    for name in hearth_server::handlers::implemented()
        .iter()
        .filter(|n| n.starts_with("user/"))
    {
        let (status, ct, body) =
            get(&s.url(&format!("/api/1.3/{name}.php?session_token={token}"))).await;
        assert_eq!(ct, "text/xml", "{name}");
        assert!(
            body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><action>"),
            "{name}: {body}"
        );
        assert!(
            body.contains(&format!("<action>{name}</action>")),
            "{name}: {body}"
        );
        let ok = body.contains("<result>Success</result>");
        assert_eq!(ok, status == 200, "{name}: {status} {body}");
        if !ok {
            assert!(
                body.contains("<error>") && body.contains("<message>"),
                "{name}: {body}"
            );
        }
    }
}
