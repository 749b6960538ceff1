//! hearth-store integration tests. Every repository test runs on SQLite and, when
//! `TEST_PG_URL` is set, on PostgreSQL (each test in its own database from a template).
//! Without `TEST_PG_URL` the PostgreSQL halves skip; `cargo xtask test` sets it (and fails under
//! `CI=true` when PostgreSQL is missing).

use std::time::Duration;

use hearth_store::accounts::{self, *};
use hearth_store::dialect::{like_contains, Dialect};
use hearth_store::testing::{fresh_postgres_db, fresh_sqlite_db, pg_url};
use hearth_store::{schema, Db, StoreError};
use sqlx::Row as _;

const MINUTE: i64 = 60_000_000;

/// Runs each listed `async fn(Db)` once on SQLite and once on PostgreSQL.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (db, _dir) = super::fresh_sqlite_db().await;
                    super::$name(db).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(url) = super::pg() else { return };
                    let (db, _guard) = super::fresh_postgres_db(&url).await.unwrap();
                    super::$name(db).await;
                }
            )*
        }
    };
}

on_both![
    users_create_and_look_up,
    users_mutations,
    update_profile_changes_only_given_fields,
    failed_logins_lock_the_account,
    settings_upsert_and_order,
    settings_cascade_with_the_user,
    applications,
    sessions_claim_release_rotate,
    sessions_delete,
    action_tokens,
    ilike_folds_ascii_only,
    placeholders_repeat,
    batched_writes_commit_together_and_fail_alone,
];

fn pg() -> Option<String> {
    let url = pg_url();
    if url.is_none() {
        // `cargo xtask test` runs these again with TEST_PG_URL set, and fails under CI=true
        // when PostgreSQL is missing.
        eprintln!("skipped: TEST_PG_URL not set");
    }
    url
}

fn new_user(email: &str) -> NewUser {
    NewUser {
        email: email.into(),
        password_hash: "hash".into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        display_name: "Ada L".into(),
        ekey: format!("ekey-{email}"),
        pkey: "pkey".into(),
        is_admin: false,
        quota_bytes: 1 << 30,
        created_us: 1_700_000_000_000_000,
    }
}

async fn users_create_and_look_up(db: Db) {
    assert_eq!(count_users(&db).await.unwrap(), 0);
    let mut nu = new_user("Ada@Example.COM");
    nu.is_admin = true;
    let u = create_user(&db, nu).await.unwrap();
    assert!(u.id > 0);
    assert_eq!(u.email, "ada@example.com");
    assert_eq!(u.first_name, "Ada");
    assert_eq!(u.gender, "none");
    assert!(u.is_admin);
    assert!(!u.disabled);
    assert_eq!(u.quota_bytes, 1 << 30);
    assert_eq!(u.used_bytes, 0);
    assert_eq!(u.created_us, 1_700_000_000_000_000);
    assert_eq!(u.tos_accepted, "");

    assert_eq!(user_by_id(&db, u.id).await.unwrap().as_ref(), Some(&u));
    assert_eq!(
        user_by_email(&db, "ADA@example.com")
            .await
            .unwrap()
            .as_ref(),
        Some(&u)
    );
    assert_eq!(
        user_by_ekey(&db, "ekey-Ada@Example.COM")
            .await
            .unwrap()
            .as_ref(),
        Some(&u)
    );
    assert_eq!(user_by_id(&db, u.id + 1000).await.unwrap(), None);
    assert_eq!(
        user_by_email(&db, "nobody@example.com").await.unwrap(),
        None
    );
    assert_eq!(user_by_ekey(&db, "nope").await.unwrap(), None);

    // The same e-mail in another case is a conflict; so is a taken ekey.
    let mut dup = new_user("ada@EXAMPLE.com");
    dup.ekey = "other".into();
    assert!(matches!(
        create_user(&db, dup).await,
        Err(StoreError::Conflict)
    ));
    let mut dup_ekey = new_user("bob@example.com");
    dup_ekey.ekey = u.ekey.clone();
    assert!(matches!(
        create_user(&db, dup_ekey).await,
        Err(StoreError::Conflict)
    ));

    let v = create_user(&db, new_user("bob@example.com")).await.unwrap();
    assert!(v.id > u.id);
    let all = list_users(&db).await.unwrap();
    assert_eq!(
        all.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![u.id, v.id]
    );
    assert_eq!(count_users(&db).await.unwrap(), 2);
}

async fn users_mutations(db: Db) {
    let u = create_user(&db, new_user("a@example.com")).await.unwrap();
    set_password(&db, u.id, "newhash", "newpkey").await.unwrap();
    set_disabled(&db, u.id, true).await.unwrap();
    set_quota(&db, u.id, 5_000_000_000_000).await.unwrap();
    set_tos_accepted(&db, u.id, "2024-01").await.unwrap();
    set_avatar(&db, u.id, "blob:abc").await.unwrap();
    let after = user_by_id(&db, u.id).await.unwrap().unwrap();
    assert_eq!(after.password_hash, "newhash");
    assert_eq!(after.pkey, "newpkey");
    assert!(after.disabled);
    assert_eq!(after.quota_bytes, 5_000_000_000_000);
    assert_eq!(after.tos_accepted, "2024-01");
    assert_eq!(after.avatar, "blob:abc");
    set_disabled(&db, u.id, false).await.unwrap();
    assert!(!user_by_id(&db, u.id).await.unwrap().unwrap().disabled);

    let missing = u.id + 1000;
    assert!(matches!(
        set_password(&db, missing, "h", "p").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        set_disabled(&db, missing, true).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        set_quota(&db, missing, 1).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        set_tos_accepted(&db, missing, "x").await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        set_avatar(&db, missing, "x").await,
        Err(StoreError::NotFound)
    ));
}

async fn update_profile_changes_only_given_fields(db: Db) {
    let u = create_user(&db, new_user("a@example.com")).await.unwrap();
    create_user(&db, new_user("taken@example.com"))
        .await
        .unwrap();

    let after = update_profile(
        &db,
        u.id,
        &ProfileUpdate {
            first_name: Some("Augusta".into()),
            gender: Some("female".into()),
            website: Some("https://example.com".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(after.first_name, "Augusta");
    assert_eq!(after.gender, "female");
    assert_eq!(after.website, "https://example.com");
    assert_eq!(after.last_name, "Lovelace", "untouched");
    assert_eq!(after.display_name, "Ada L", "untouched");
    assert_eq!(after.email, "a@example.com", "untouched");
    assert_eq!(user_by_id(&db, u.id).await.unwrap().unwrap(), after);

    let all = ProfileUpdate {
        email: Some("New@Example.com".into()),
        first_name: Some("f".into()),
        last_name: Some("l".into()),
        display_name: Some("d".into()),
        gender: Some("male".into()),
        birth_date: Some("1815-12-10".into()),
        location: Some("London".into()),
        website: Some("w".into()),
    };
    let after = update_profile(&db, u.id, &all).await.unwrap();
    assert_eq!(
        (
            after.email.as_str(),
            after.first_name.as_str(),
            after.last_name.as_str(),
            after.display_name.as_str(),
            after.gender.as_str(),
            after.birth_date.as_str(),
            after.location.as_str(),
            after.website.as_str()
        ),
        (
            "new@example.com",
            "f",
            "l",
            "d",
            "male",
            "1815-12-10",
            "London",
            "w"
        )
    );
    assert!(user_by_email(&db, "NEW@example.com")
        .await
        .unwrap()
        .is_some());

    // No fields: returns the row unchanged.
    assert_eq!(
        update_profile(&db, u.id, &ProfileUpdate::default())
            .await
            .unwrap(),
        after
    );
    let taken = ProfileUpdate {
        email: Some("TAKEN@example.com".into()),
        ..Default::default()
    };
    assert!(matches!(
        update_profile(&db, u.id, &taken).await,
        Err(StoreError::Conflict)
    ));
    assert!(matches!(
        update_profile(&db, u.id + 1000, &all).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        update_profile(&db, u.id + 1000, &ProfileUpdate::default()).await,
        Err(StoreError::NotFound)
    ));
}

async fn failed_logins_lock_the_account(db: Db) {
    let u = create_user(&db, new_user("a@example.com")).await.unwrap();
    let now = 1_000 * MINUTE;
    assert!(!record_failed_login(&db, u.id, now, 3, 15 * MINUTE)
        .await
        .unwrap());
    assert!(!record_failed_login(&db, u.id, now, 3, 15 * MINUTE)
        .await
        .unwrap());
    let row = user_by_id(&db, u.id).await.unwrap().unwrap();
    assert_eq!((row.failed_logins, row.locked_until_us), (2, 0));

    assert!(record_failed_login(&db, u.id, now, 3, 15 * MINUTE)
        .await
        .unwrap());
    let row = user_by_id(&db, u.id).await.unwrap().unwrap();
    assert_eq!(row.failed_logins, 0, "count restarts when the lock is set");
    assert_eq!(row.locked_until_us, now + 15 * MINUTE);

    // After the lock expires, a failure counts again without locking.
    let later = now + 16 * MINUTE;
    assert!(!record_failed_login(&db, u.id, later, 3, 15 * MINUTE)
        .await
        .unwrap());

    clear_failed_logins(&db, u.id).await.unwrap();
    let row = user_by_id(&db, u.id).await.unwrap().unwrap();
    assert_eq!((row.failed_logins, row.locked_until_us), (0, 0));

    assert!(matches!(
        record_failed_login(&db, u.id + 1000, now, 3, MINUTE).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        clear_failed_logins(&db, u.id + 1000).await,
        Err(StoreError::NotFound)
    ));

    // Concurrent failures are all counted (the UPDATE is atomic).
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            record_failed_login(&db, u.id, now, 1000, MINUTE)
                .await
                .unwrap()
        }));
    }
    for t in tasks {
        assert!(!t.await.unwrap());
    }
    let row = user_by_id(&db, u.id).await.unwrap().unwrap();
    assert_eq!(row.failed_logins, 10);
}

async fn settings_upsert_and_order(db: Db) {
    let u = create_user(&db, new_user("a@example.com")).await.unwrap();
    assert!(get_settings(&db, u.id).await.unwrap().is_empty());
    for name in ["b", "é", "a", "Z", "B"] {
        set_setting(&db, u.id, name, &format!("v-{name}"))
            .await
            .unwrap();
    }
    set_setting(&db, u.id, "a", "replaced").await.unwrap();
    let got = get_settings(&db, u.id).await.unwrap();
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["B", "Z", "a", "b", "é"], "bytewise order");
    assert_eq!(got[2].1, "replaced");
    assert!(matches!(
        set_setting(&db, u.id + 1000, "a", "b").await,
        Err(StoreError::NotFound)
    ));
}

async fn settings_cascade_with_the_user(db: Db) {
    let u = create_user(&db, new_user("a@example.com")).await.unwrap();
    set_setting(&db, u.id, "a", "1").await.unwrap();
    insert_session(&db, &session(&u, "s1", 1, 10 * MINUTE))
        .await
        .unwrap();
    insert_action_token(&db, &action(&u, "t1", 10 * MINUTE))
        .await
        .unwrap();
    // Foreign keys are enforced (SQLite: PRAGMA foreign_keys=ON on every connection).
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(u.id)
        .execute(db.writer())
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM user_settings) + (SELECT COUNT(*) FROM session_tokens) \
         + (SELECT COUNT(*) FROM action_tokens)",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(n, 0);
}

async fn applications(db: Db) {
    let now = 42 * MINUTE;
    let a = create_app(&db, Some(42), "Explicit", Some("k3y".into()), now)
        .await
        .unwrap();
    assert_eq!(
        a,
        AppRow {
            id: 42,
            name: "Explicit".into(),
            api_key: Some("k3y".into()),
            status: "active".into(),
            created_us: now,
        }
    );
    assert!(matches!(
        create_app(&db, Some(42), "Again", None, now).await,
        Err(StoreError::Conflict)
    ));
    let g1 = create_app(&db, None, "Gen1", None, now).await.unwrap();
    assert_eq!(g1.id, accounts::FIRST_GENERATED_APP_ID);
    assert_eq!(g1.api_key, None);
    let g2 = create_app(&db, None, "Gen2", None, now).await.unwrap();
    assert_eq!(g2.id, accounts::FIRST_GENERATED_APP_ID + 1);
    create_app(&db, Some(20000), "High", None, now)
        .await
        .unwrap();
    let g3 = create_app(&db, None, "Gen3", None, now).await.unwrap();
    assert_eq!(g3.id, 20001);

    assert_eq!(app_by_id(&db, 42).await.unwrap(), Some(a.clone()));
    assert_eq!(app_by_id(&db, 7).await.unwrap(), None);
    let ids: Vec<i64> = list_apps(&db).await.unwrap().iter().map(|a| a.id).collect();
    assert_eq!(ids, [42, 10000, 10001, 20000, 20001]);

    set_app_status(&db, 42, "suspended").await.unwrap();
    assert_eq!(
        app_by_id(&db, 42).await.unwrap().unwrap().status,
        "suspended"
    );
    assert!(matches!(
        set_app_status(&db, 7, "active").await,
        Err(StoreError::NotFound)
    ));
    let bad = set_app_status(&db, 42, "bogus").await;
    assert!(
        matches!(bad, Err(StoreError::Other(_))),
        "CHECK constraint: {bad:?}"
    );
    set_app_key(&db, 42, None).await.unwrap();
    assert_eq!(app_by_id(&db, 42).await.unwrap().unwrap().api_key, None);
    set_app_key(&db, 42, Some("new".into())).await.unwrap();
    assert_eq!(
        app_by_id(&db, 42)
            .await
            .unwrap()
            .unwrap()
            .api_key
            .as_deref(),
        Some("new")
    );

    // Concurrent generated ids never collide.
    let mut tasks = Vec::new();
    for i in 0..6 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            create_app(&db, None, &format!("c{i}"), None, now)
                .await
                .unwrap()
                .id
        }));
    }
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.unwrap());
    }
    got.sort();
    assert_eq!(got, (20002..20008).collect::<Vec<_>>());
}

fn session(u: &UserRow, token: &str, key: i64, expires_us: i64) -> SessionRow {
    SessionRow {
        token_hash: token_hash(token),
        user_id: u.id,
        app_id: 42,
        version: 2,
        secret_key: key,
        time_text: "1700000000.1234".into(),
        created_us: 0,
        expires_us,
        claimed_until_us: 0,
    }
}

fn action(u: &UserRow, token: &str, expires_us: i64) -> ActionTokenRow {
    ActionTokenRow {
        token_hash: token_hash(token),
        user_id: u.id,
        kind: "upload".into(),
        created_us: 0,
        expires_us,
    }
}

async fn sessions_claim_release_rotate(db: Db) {
    let u = create_user(&db, new_user("a@example.com")).await.unwrap();
    let s = session(&u, "tok", 111, 100 * MINUTE);
    insert_session(&db, &s).await.unwrap();
    assert!(matches!(
        insert_session(&db, &s).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        session_by_hash(&db, &s.token_hash).await.unwrap(),
        Some(s.clone())
    );
    assert_eq!(session_by_hash(&db, "nope").await.unwrap(), None);

    let now = 10 * MINUTE;
    let lease = now + MINUTE;
    let h = &s.token_hash;
    assert!(
        !claim_session(&db, h, 999, now, lease).await.unwrap(),
        "wrong key"
    );
    assert!(claim_session(&db, h, 111, now, lease).await.unwrap());
    assert!(
        !claim_session(&db, h, 111, now + 1, lease).await.unwrap(),
        "already claimed"
    );
    assert_eq!(
        session_by_hash(&db, h)
            .await
            .unwrap()
            .unwrap()
            .claimed_until_us,
        lease
    );
    // An abandoned claim lapses after its lease.
    assert!(claim_session(&db, h, 111, lease + 1, lease + MINUTE)
        .await
        .unwrap());

    // Release with rotation and a new expiry.
    assert!(
        !release_session(&db, h, 999, Some(222), None).await.unwrap(),
        "wrong claimed key"
    );
    assert!(release_session(&db, h, 111, Some(222), Some(200 * MINUTE))
        .await
        .unwrap());
    let row = session_by_hash(&db, h).await.unwrap().unwrap();
    assert_eq!(
        (row.secret_key, row.claimed_until_us, row.expires_us),
        (222, 0, 200 * MINUTE)
    );
    assert!(
        !claim_session(&db, h, 111, now, lease).await.unwrap(),
        "old key"
    );

    // Release without rotation keeps key and expiry.
    assert!(claim_session(&db, h, 222, now, lease).await.unwrap());
    assert!(release_session(&db, h, 222, None, None).await.unwrap());
    let row = session_by_hash(&db, h).await.unwrap().unwrap();
    assert_eq!(
        (row.secret_key, row.claimed_until_us, row.expires_us),
        (222, 0, 200 * MINUTE)
    );

    // Expired sessions cannot be claimed.
    assert!(extend_session(&db, h, now).await.unwrap());
    assert!(!claim_session(&db, h, 222, now, lease).await.unwrap());
    assert!(!extend_session(&db, "nope", now).await.unwrap());

    // Exactly one of many concurrent claims wins.
    assert!(extend_session(&db, h, 100 * MINUTE).await.unwrap());
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let db = db.clone();
        let h = h.clone();
        tasks.push(tokio::spawn(async move {
            claim_session(&db, &h, 222, now, lease).await.unwrap()
        }));
    }
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1);
}

async fn sessions_delete(db: Db) {
    let u = create_user(&db, new_user("a@example.com")).await.unwrap();
    let v = create_user(&db, new_user("b@example.com")).await.unwrap();
    for (user, tok, exp) in [
        (&u, "u1", 10),
        (&u, "u2", 20),
        (&u, "u3", 30),
        (&v, "v1", 10),
        (&v, "v2", 40),
    ] {
        insert_session(&db, &session(user, tok, 1, exp * MINUTE))
            .await
            .unwrap();
    }
    assert_eq!(delete_expired_sessions(&db, 20 * MINUTE).await.unwrap(), 3);
    assert!(session_by_hash(&db, &token_hash("u3"))
        .await
        .unwrap()
        .is_some());
    assert!(session_by_hash(&db, &token_hash("u2"))
        .await
        .unwrap()
        .is_none());

    for tok in ["u4", "u5"] {
        insert_session(&db, &session(&u, tok, 1, 50 * MINUTE))
            .await
            .unwrap();
    }
    assert_eq!(
        delete_user_sessions(&db, u.id, Some(&token_hash("u4")))
            .await
            .unwrap(),
        2
    );
    assert!(session_by_hash(&db, &token_hash("u4"))
        .await
        .unwrap()
        .is_some());
    assert_eq!(delete_user_sessions(&db, u.id, None).await.unwrap(), 1);
    assert_eq!(delete_user_sessions(&db, u.id, None).await.unwrap(), 0);

    assert!(delete_session(&db, &token_hash("v2")).await.unwrap());
    assert!(!delete_session(&db, &token_hash("v2")).await.unwrap());
}

async fn action_tokens(db: Db) {
    let u = create_user(&db, new_user("a@example.com")).await.unwrap();
    let t = action(&u, "act", 10 * MINUTE);
    insert_action_token(&db, &t).await.unwrap();
    assert!(matches!(
        insert_action_token(&db, &t).await,
        Err(StoreError::Conflict)
    ));
    let mut image = action(&u, "img", 30 * MINUTE);
    image.kind = "image".into();
    insert_action_token(&db, &image).await.unwrap();
    assert_eq!(
        action_token_by_hash(&db, &t.token_hash).await.unwrap(),
        Some(t.clone())
    );
    assert_eq!(action_token_by_hash(&db, "nope").await.unwrap(), None);
    assert_eq!(
        delete_expired_action_tokens(&db, 10 * MINUTE)
            .await
            .unwrap(),
        1
    );
    assert!(delete_action_token(&db, &image.token_hash).await.unwrap());
    assert!(!delete_action_token(&db, &image.token_hash).await.unwrap());
}

async fn ilike_folds_ascii_only(db: Db) {
    let names = ["Ärger ABC", "100% sure", "1000 sure", "a_b", "axb"];
    for (i, name) in names.iter().enumerate() {
        let mut nu = new_user(&format!("u{i}@example.com"));
        nu.display_name = name.to_string();
        create_user(&db, nu).await.unwrap();
    }
    let search = |needle: &'static str| {
        let db = db.clone();
        async move {
            let sql = format!(
                "SELECT display_name FROM users WHERE {} ORDER BY {}",
                db.dialect().ilike("display_name", "$1"),
                db.dialect().order_by_name("display_name")
            );
            let rows = sqlx::query(&sql)
                .bind(like_contains(needle))
                .fetch_all(db.pool())
                .await
                .unwrap();
            rows.iter()
                .map(|r| r.get::<String, _>("display_name"))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search("abc").await, ["Ärger ABC"]);
    assert_eq!(search("äRGER").await, Vec::<String>::new(), "ASCII only");
    assert_eq!(search("Ärger").await, ["Ärger ABC"]);
    assert_eq!(search("0%").await, ["100% sure"], "% is literal");
    assert_eq!(search("A_B").await, ["a_b"], "_ is literal");
    assert_eq!(search("SURE").await, ["100% sure", "1000 sure"]);
}

async fn placeholders_repeat(db: Db) {
    // `$N` binds by number on both, and a placeholder may appear twice.
    let v: i64 = sqlx::query_scalar(
        "SELECT CAST($1 AS BIGINT) * 10 + CAST($2 AS BIGINT) + CAST($1 AS BIGINT)",
    )
    .bind(3_i64)
    .bind(4_i64)
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(v, 37);
    assert!(hearth_store::now_us() > 0);
}

// ---------------------------------------------------------------------------------------------
// Database-specific

#[tokio::test]
async fn token_hash_is_hex_sha256() {
    assert_eq!(
        token_hash("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[tokio::test]
async fn sqlite_settings_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    let db = Db::open_data_dir(&data).await.unwrap();
    assert_eq!(db.dialect(), Dialect::Sqlite);
    assert!(data.join("hearth.db").is_file());
    let mut conn = db.pool().acquire().await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(mode.to_lowercase(), "wal");
    for (pragma, want) in [
        ("synchronous", 1_i64),
        ("busy_timeout", 5000),
        ("foreign_keys", 1),
    ] {
        let got: i64 = sqlx::query_scalar(&format!("PRAGMA {pragma}"))
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        assert_eq!(got, want, "{pragma}");
    }
    drop(conn);
    let u = create_user(&db, new_user("a@example.com")).await.unwrap();
    db.close().await;

    // Reopening runs no migration twice and keeps the data.
    let db = Db::open_data_dir(&data).await.unwrap();
    assert_eq!(user_by_id(&db, u.id).await.unwrap(), Some(u));
}

#[tokio::test]
async fn sqlite_memory_url_shares_one_database() {
    let db = Db::connect("sqlite::memory:").await.unwrap();
    let u = create_user(&db, new_user("a@example.com")).await.unwrap();
    assert_eq!(user_by_id(&db, u.id).await.unwrap(), Some(u));
}

#[tokio::test]
async fn sqlite_url_creates_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    let db = Db::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    assert!(path.is_file());
    assert_eq!(count_users(&db).await.unwrap(), 0);
}

#[tokio::test]
async fn unsupported_url_is_an_error() {
    assert!(Db::connect("mysql://localhost/x").await.is_err());
}

/// SQLite: `begin_write` (BEGIN IMMEDIATE on the one writer) makes a second writer wait for
/// the first instead of failing; a transaction on a reader connection cannot write at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_write_transactions_wait_for_each_other() {
    let (db, _dir) = fresh_sqlite_db().await;
    let u = create_user(&db, new_user("a@example.com")).await.unwrap();
    set_setting(&db, u.id, "n", "0").await.unwrap();

    async fn read(tx: &mut hearth_store::db::WriteTx, id: i64) -> i64 {
        let v: String =
            sqlx::query_scalar("SELECT value FROM user_settings WHERE user_id = $1 AND name = 'n'")
                .bind(id)
                .fetch_one(&mut **tx)
                .await
                .unwrap();
        v.parse().unwrap()
    }
    async fn write(tx: &mut hearth_store::db::WriteTx, id: i64, v: i64) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE user_settings SET value = $2 WHERE user_id = $1 AND name = 'n'")
            .bind(id)
            .bind(v.to_string())
            .execute(&mut **tx)
            .await
            .map(|_| ())
    }

    // Control: a reader connection refuses writes at once (`query_only`; a write there would
    // wait on the writer's lock while blocking its thread).
    let mut t = db.pool().begin().await.unwrap();
    let started = std::time::Instant::now();
    let err = write(&mut t, u.id, 7).await.unwrap_err();
    assert!(err.to_string().contains("readonly"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2), "failed at once");
    drop(t);

    // begin_write: the second writer waits, then sees the first one's commit.
    let mut t1 = db.begin_write().await.unwrap();
    let v1 = read(&mut t1, u.id).await;
    let db2 = db.clone();
    let second = tokio::spawn(async move {
        let mut t2 = db2.begin_write().await.unwrap();
        let v2 = read(&mut t2, u.id).await;
        write(&mut t2, u.id, v2 + 1).await.unwrap();
        t2.commit().await.unwrap();
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!second.is_finished(), "second writer waits for the first");
    write(&mut t1, u.id, v1 + 1).await.unwrap();
    t1.commit().await.unwrap();
    second.await.unwrap();
    let mut t = db.begin_write().await.unwrap();
    assert_eq!(read(&mut t, u.id).await, 2);
}

/// A dropped write transaction rolls back (both databases).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_write_transaction_rolls_back() {
    async fn check(db: Db) {
        {
            let mut tx = db.begin_write().await.unwrap();
            sqlx::query("INSERT INTO applications (id, name, created_us) VALUES ($1, $2, $3)")
                .bind(5_i64)
                .bind("x")
                .bind(0_i64)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        assert_eq!(app_by_id(&db, 5).await.unwrap(), None);
        let mut tx = db.begin_write().await.unwrap();
        sqlx::query("INSERT INTO applications (id, name, created_us) VALUES ($1, $2, $3)")
            .bind(5_i64)
            .bind("x")
            .bind(0_i64)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(app_by_id(&db, 5).await.unwrap().is_some());
    }
    let (db, _dir) = fresh_sqlite_db().await;
    check(db).await;
    if let Some(url) = pg() {
        let (db, _guard) = fresh_postgres_db(&url).await.unwrap();
        check(db).await;
    }
}

/// Both migration folders produce the same schema (types normalised), and the comparison
/// notices a difference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgres_schemas_match() {
    let (lite, _dir) = fresh_sqlite_db().await;
    let lite_schema = schema::read_schema(&lite).await.unwrap();
    for t in [
        "users",
        "user_settings",
        "applications",
        "session_tokens",
        "action_tokens",
        "session_epoch",
        "folders",
        "files",
        "file_versions",
        "contents",
        "tombstones",
        "one_time_keys",
        "filedrops",
        "user_avatars",
        "uploads",
        "resumable_uploads",
        "resumable_units",
    ] {
        assert!(lite_schema.tables.contains_key(t), "{t} missing");
    }
    assert_eq!(lite_schema.tables["users"].len(), 23);
    for idx in [
        ("users", "email", true),
        ("users", "ekey", true),
        ("session_tokens", "user_id", false),
    ] {
        let want = (idx.0.to_string(), vec![idx.1.to_string()], idx.2);
        assert!(lite_schema.indexes.contains(&want), "{want:?}");
    }
    let Some(url) = pg() else { return };
    let (pg_db, _guard) = fresh_postgres_db(&url).await.unwrap();
    let pg_schema = schema::read_schema(&pg_db).await.unwrap();
    let d = schema::diff(&lite_schema, &pg_schema);
    assert!(d.is_empty(), "schemas differ:\n{}", d.join("\n"));

    sqlx::query("ALTER TABLE users ADD COLUMN extra TEXT")
        .execute(pg_db.pool())
        .await
        .unwrap();
    sqlx::query("ALTER TABLE session_tokens ALTER COLUMN time_text DROP NOT NULL")
        .execute(pg_db.pool())
        .await
        .unwrap();
    let changed = schema::read_schema(&pg_db).await.unwrap();
    let d = schema::diff(&lite_schema, &changed);
    assert_eq!(d.len(), 2, "{d:#?}");
}

/// Each PostgreSQL test database is dropped with its guard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_test_database_is_dropped() {
    let Some(url) = pg() else { return };
    let (db, guard) = fresh_postgres_db(&url).await.unwrap();
    let name = guard.name().to_owned();
    db.close().await;
    drop(guard);
    // A plain connection: `Db::connect` would migrate the administration database.
    use sqlx::Connection as _;
    let mut admin = sqlx::AnyConnection::connect(&url).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(n, 0);
}

/// SQLite: commits never checkpoint (the writer's `wal_autocheckpoint` is 0); a task of the
/// `Db` copies the WAL into the database file by itself and restarts the WAL, which is then
/// overwritten instead of growing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_wal_is_checkpointed_off_the_writer() {
    let (db, dir) = fresh_sqlite_db().await;
    let auto: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
        .fetch_one(db.writer())
        .await
        .unwrap();
    assert_eq!(auto, 0);
    let file = dir.path().join("hearth.db");
    let before = std::fs::metadata(&file).unwrap().len();
    sqlx::query("CREATE TABLE filler (b BLOB)")
        .execute(db.writer())
        .await
        .unwrap();
    for _ in 0..32 {
        sqlx::query("INSERT INTO filler (b) VALUES ($1)")
            .bind(vec![9u8; 64 * 1024])
            .execute(db.writer())
            .await
            .unwrap();
    }
    let mut grown = 0;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        grown = std::fs::metadata(&file).unwrap().len();
        if grown >= before + 2 * 1024 * 1024 {
            break;
        }
    }
    assert!(
        grown >= before + 2 * 1024 * 1024,
        "the 2 MiB written reached the database file: {before} -> {grown}"
    );
    // The WAL starts over after each checkpoint: writing as much again does not grow it.
    let wal = dir.path().join("hearth.db-wal");
    let first = std::fs::metadata(&wal).unwrap().len();
    tokio::time::sleep(Duration::from_millis(600)).await;
    for _ in 0..32 {
        sqlx::query("INSERT INTO filler (b) VALUES ($1)")
            .bind(vec![8u8; 64 * 1024])
            .execute(db.writer())
            .await
            .unwrap();
    }
    let second = std::fs::metadata(&wal).unwrap().len();
    assert!(
        second <= first + 256 * 1024,
        "the WAL was reused, not appended to: {first} -> {second}"
    );
    db.close().await;
}

/// `write_batched`: jobs submitted while the writer is busy all run (on SQLite in one batch;
/// when one fails, the batch runs again job by job); a job that fails — by its own choice or
/// on a constraint — changes nothing, and the others of its batch commit.
async fn batched_writes_commit_together_and_fail_alone(db: Db) {
    async fn insert(c: &mut hearth_store::Conn, id: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO applications (id, name, created_us) VALUES ($1, 'app', 0)")
            .bind(id)
            .execute(&mut *c)
            .await?;
        Ok(())
    }
    let mut taken = db.begin_write().await.unwrap();
    insert(&mut taken, 100).await.unwrap();
    taken.commit().await.unwrap();
    // Holding the writer makes the jobs queue behind it.
    let hold = db.begin_write().await.unwrap();
    let mut jobs = Vec::new();
    for i in 1..=20_i64 {
        let db = db.clone();
        jobs.push(tokio::spawn(async move {
            db.write_batched(move |c| {
                Box::pin(async move {
                    match i {
                        // Writes, then gives up: rolled back.
                        7 => {
                            insert(c, 1007).await?;
                            Err(StoreError::Mismatch("job 7 gives up".into()))
                        }
                        // Writes, then hits a taken key: rolled back.
                        13 => {
                            insert(c, 1013).await?;
                            insert(c, 100).await?;
                            Ok(i)
                        }
                        _ => insert(c, i).await.map(|()| i),
                    }
                })
            })
            .await
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    hold.commit().await.unwrap();
    for (n, job) in jobs.into_iter().enumerate() {
        let i = n as i64 + 1;
        let result = job.await.unwrap().expect("the batch committed");
        match i {
            7 => assert!(matches!(result, Err(StoreError::Mismatch(_)))),
            13 => assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}"),
            _ => assert_eq!(result.unwrap(), i, "job {i}"),
        }
    }
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM applications WHERE name = 'app' ORDER BY id")
            .fetch_all(db.pool())
            .await
            .unwrap();
    // A job alone (nothing else queued) that fails leaves nothing either.
    let alone = db
        .write_batched(|c| {
            Box::pin(async move {
                insert(c, 2000).await?;
                Err::<(), _>(StoreError::Mismatch("alone, gives up".into()))
            })
        })
        .await
        .unwrap();
    assert!(alone.is_err());
    let mut expected: Vec<i64> = (1..=20).filter(|i| *i != 7 && *i != 13).collect();
    expected.push(100);
    assert_eq!(ids, expected);
}

/// `long_query` runs a query to its end on both runtime flavors (on the multi-threaded one,
/// SQLite's statement runs after this worker handed its other tasks away).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_queries_run_on_a_multi_threaded_runtime() {
    let (db, _dir) = fresh_sqlite_db().await;
    let mut c = db.acquire().await.unwrap();
    let n: i64 = db
        .long_query(
            sqlx::query_scalar(
                "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 100000) \
                 SELECT COUNT(*) FROM r",
            )
            .fetch_one(&mut *c),
        )
        .await
        .unwrap();
    assert_eq!(n, 100_000);
}

#[tokio::test]
async fn long_queries_run_on_a_current_thread_runtime() {
    let (db, _dir) = fresh_sqlite_db().await;
    let one: i64 = db
        .long_query(sqlx::query_scalar("SELECT 1").fetch_one(db.pool()))
        .await
        .unwrap();
    assert_eq!(one, 1);
}

/// A long read in another connection (another process's `hearth admin` command) keeps the
/// checkpointer from restarting the WAL; it must not keep the writer waiting long for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_reader_elsewhere_does_not_stall_the_writer() {
    use sqlx::{Connection as _, Executor as _};
    let (db, dir) = fresh_sqlite_db().await;
    sqlx::query("CREATE TABLE t (v INTEGER)")
        .execute(db.writer())
        .await
        .unwrap();
    let url = format!("sqlite://{}", dir.path().join("hearth.db").display());
    let mut other = sqlx::AnyConnection::connect(&url).await.unwrap();
    other.execute("BEGIN").await.unwrap();
    let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
        .fetch_one(&mut other)
        .await
        .unwrap();
    let mut slowest = Duration::ZERO;
    for i in 0..12_i64 {
        let t = std::time::Instant::now();
        sqlx::query("INSERT INTO t (v) VALUES ($1)")
            .bind(i)
            .execute(db.writer())
            .await
            .unwrap();
        slowest = slowest.max(t.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    other.execute("COMMIT").await.unwrap();
    assert!(
        slowest < Duration::from_millis(700),
        "a write waited {slowest:?}"
    );
}
