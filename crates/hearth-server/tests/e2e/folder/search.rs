//! folder/search: ASCII-case-insensitive matching of names and descriptions, scope (a folder,
//! the whole tree, live items, own items, public subtrees), filters, the result limit.

use super::{bob, err, names, Alice};
use crate::harness::TestServer;

#[tokio::test]
async fn search_names_and_descriptions() {
    let s = TestServer::start().await;
    let a = Alice::login(&s).await;
    let (reports, _) = a.mk("Reports", None).await;
    let (y2024, _) = a.mk("2024", Some(&reports)).await;
    let annual = a.file(&s, Some(&y2024), "Annual REPORT.pdf", b"pdf!").await;
    a.file(&s, Some(&reports), "report", b"plain").await;
    a.file(&s, None, "holiday.jpg", b"jpg").await;
    let (misc, _) = a.mk("Misc", None).await;
    a.c.call(
        "folder/update",
        &[
            ("folder_key", &misc),
            ("description", "old reports and such"),
        ],
    )
    .await
    .unwrap();
    let (trashed, _) = a.mk("Report archive", None).await;
    a.c.call("folder/delete", &[("folder_key", &trashed)])
        .await
        .unwrap();
    a.mk("Ärger Report", None).await;
    a.mk("100% done", None).await;
    a.mk("1000 done", None).await;

    let search = |params: Vec<(&'static str, String)>| {
        let c = &a.c;
        async move {
            let p: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            c.call("folder/search", &p).await
        }
    };
    let v = search(vec![("search_text", "rEpOrT".into())])
        .await
        .unwrap();
    let r = &v["response"];
    let results = &r["results"];
    // Best first: the exact name, then names starting with it, then containing it, then a
    // description match; folders before files at equal relevancy.
    let found: Vec<(String, String)> = results
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let t = e["type"].as_str().unwrap().to_string();
            let n = e[if t == "file" { "filename" } else { "name" }]
                .as_str()
                .unwrap()
                .to_string();
            (t, n)
        })
        .collect();
    let expected = [
        ("file", "report"),
        ("folder", "Reports"),
        ("folder", "Ärger Report"),
        ("file", "Annual REPORT.pdf"),
        ("folder", "Misc"),
    ];
    assert_eq!(
        found,
        expected.map(|(t, n)| (t.to_string(), n.to_string())),
        "live items only: {v}"
    );
    assert_eq!(r["results_count"], "5");
    let file = &results[3];
    assert_eq!(file["quickkey"], annual.as_str());
    assert_eq!(file["parent_folderkey"], y2024.as_str());
    assert_eq!(file["parent_name"], "2024");
    assert_eq!(file["filetype"], "document");
    assert_eq!(file["size"], "4");
    assert_eq!(file["relevancy"], "1");
    let folder = &results[1];
    assert_eq!(folder["folderkey"], reports.as_str());
    assert_eq!(folder["parent_folderkey"], "myfiles");
    assert_eq!(folder["parent_name"], "myfiles");
    assert_eq!(
        (
            folder["total_folders"].as_str(),
            folder["total_files"].as_str(),
            folder["total_size"].as_str()
        ),
        (Some("1"), Some("2"), Some("9"))
    );
    assert_eq!(folder["privacy"], "private");

    // Several words: all must occur. LIKE metacharacters are literal.
    let v = search(vec![("search_text", "annual pdf".into())])
        .await
        .unwrap();
    assert_eq!(
        names(&v["response"]["results"], "filename"),
        ["Annual REPORT.pdf"]
    );
    let v = search(vec![("search_text", "0%".into())]).await.unwrap();
    assert_eq!(names(&v["response"]["results"], "name"), ["100% done"]);
    // ASCII case only: "ä" does not match "Ä".
    let v = search(vec![("search_text", "ärger".into())]).await.unwrap();
    assert_eq!(v["response"]["results_count"], "0");
    assert_eq!(v["response"]["results"], serde_json::json!([]));
    // Within one folder (itself excluded).
    let v = search(vec![
        ("search_text", "report".into()),
        ("folder_key", reports.clone()),
    ])
    .await
    .unwrap();
    assert_eq!(
        names(&v["response"]["results"], "filename"),
        ["report", "Annual REPORT.pdf"]
    );
    // search_all: the whole tree whatever folder_key says.
    let v = search(vec![
        ("search_text", "report".into()),
        ("folder_key", y2024.clone()),
        ("search_all", "yes".into()),
    ])
    .await
    .unwrap();
    assert_eq!(v["response"]["results_count"], "5");
    // Filters.
    let v = search(vec![
        ("search_text", "o".into()),
        ("filter", "image".into()),
    ])
    .await
    .unwrap();
    assert_eq!(
        names(&v["response"]["results"], "filename"),
        ["holiday.jpg"]
    );
    let v = search(vec![
        ("search_text", "report".into()),
        ("filter", "public".into()),
    ])
    .await
    .unwrap();
    assert_eq!(v["response"]["results_count"], "0");
    // Errors.
    for (p, code, status) in [
        (vec![], 128, 400),
        (vec![("search_text", "  ".to_string())], 128, 400),
        (
            vec![("search_text", "x".into()), ("filter", "nope".into())],
            129,
            400,
        ),
        (
            vec![("search_text", "x".into()), ("search_all", "sure".into())],
            129,
            400,
        ),
        (
            vec![("search_text", "x".into()), ("device_id", "3".into())],
            141,
            404,
        ),
    ] {
        let e = err(search(p.clone()).await);
        assert_eq!((e.0, e.2), (code, status), "{p:?}");
    }
    search(vec![
        ("search_text", "x".into()),
        ("device_id", "-1".into()),
    ])
    .await
    .unwrap();
    let e = err(s
        .client()
        .call("folder/search", &[("search_text", "report")])
        .await);
    assert_eq!(
        (e.0, e.1.as_str(), e.2),
        (104, "Session Token is missing", 403)
    );

    let (status, xml) = a.xml("folder/search", &[("search_text", "annual")]).await;
    assert_eq!(status, 200);
    assert!(
        xml.contains(&format!(
            "<results_count>1</results_count><results><result><type>file</type><quickkey>{annual}</quickkey>"
        )),
        "{xml}"
    );
}

#[tokio::test]
async fn search_scope_for_other_users_and_the_result_limit() {
    let s = TestServer::with_settings(|st| st.limits.limit_search_results = 3).await;
    let a = Alice::login(&s).await;
    let (open, _) = a.mk("Open match", None).await;
    let (inner_pub, _) = a.mk("match public", Some(&open)).await;
    let (inner_priv, _) = a.mk("match private", Some(&open)).await;
    let (below_priv, _) = a.mk("match below private", Some(&inner_priv)).await;
    let (below_pub, _) = a.mk("match below public", Some(&inner_pub)).await;
    let f = a.file(&s, Some(&open), "match.txt", b"t").await;
    a.file(&s, Some(&open), "match-hidden.txt", b"t").await;
    a.publish_file(&s, &f).await;
    // Public, but below a private folder: not reachable for others.
    for k in [&open, &inner_pub, &below_pub, &below_priv] {
        a.c.call("folder/update", &[("folder_key", k), ("privacy", "public")])
            .await
            .unwrap();
    }
    let b = bob(&s).await;
    // Bob's own tree never shows alice's items.
    b.call("folder/create", &[("foldername", "bob match")])
        .await
        .unwrap();
    let v = b
        .call("folder/search", &[("search_text", "match")])
        .await
        .unwrap();
    assert_eq!(names(&v["response"]["results"], "name"), ["bob match"]);
    // In alice's public folder: the public subtree only, for bob and for anonymous callers.
    for c in [&b, &s.client()] {
        let v = c
            .call(
                "folder/search",
                &[("search_text", "match"), ("folder_key", &open)],
            )
            .await
            .unwrap();
        let r = &v["response"]["results"];
        let all: Vec<&str> = r
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().or(e["filename"].as_str()).unwrap())
            .collect();
        assert_eq!(
            all,
            ["match below public", "match public", "match.txt"],
            "{v}"
        );
    }
    // The owner sees everything, cut at limit_search_results (3).
    let v =
        a.c.call(
            "folder/search",
            &[("search_text", "match"), ("folder_key", &open)],
        )
        .await
        .unwrap();
    assert_eq!(v["response"]["results_count"], "3");
    assert_eq!(
        names(&v["response"]["results"], "name"),
        ["match below private", "match below public", "match private"],
        "folders first, by name"
    );
}
