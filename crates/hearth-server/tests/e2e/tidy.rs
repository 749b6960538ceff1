//! Structure checks: crate dependency edges point downward only (DESIGN.md), and every call of
//! the calls table is either implemented or listed as missing.

use std::collections::BTreeMap;

/// Each crate and the hearth-* crates it may depend on (normal dependencies).
const ALLOWED: &[(&str, &[&str])] = &[
    ("hearth-api", &[]),
    ("hearth-store", &[]),
    ("hearth-core", &["hearth-api", "hearth-store"]),
    ("hearth-server", &["hearth-api", "hearth-core"]),
    ("hearth-client", &["hearth-api"]),
    (
        "hearth",
        &["hearth-api", "hearth-store", "hearth-core", "hearth-server"],
    ),
];

fn normal_hearth_deps(manifest: &str) -> Vec<String> {
    let mut deps = Vec::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps {
            if let Some(name) = line.split(['=', '.', ' ']).next() {
                if name.starts_with("hearth") {
                    deps.push(name.to_string());
                }
            }
        }
    }
    deps
}

#[test]
fn crate_dependencies_point_downward() {
    let crates_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let allowed: BTreeMap<_, _> = ALLOWED.iter().copied().collect();
    let mut seen = 0;
    for entry in std::fs::read_dir(crates_dir).unwrap() {
        let dir = entry.unwrap().path();
        let manifest = dir.join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let name = dir.file_name().unwrap().to_str().unwrap().to_string();
        let ok = allowed
            .get(name.as_str())
            .unwrap_or_else(|| panic!("crate {name} is not in the layering table"));
        for dep in normal_hearth_deps(&text) {
            assert!(
                ok.contains(&dep.as_str()),
                "{name} must not depend on {dep}"
            );
        }
        seen += 1;
    }
    assert_eq!(seen, ALLOWED.len());
}

#[test]
fn the_parser_finds_dependencies() {
    let deps = normal_hearth_deps("[dependencies]\nhearth-api.workspace = true\nfoo = 1\n[dev-dependencies]\nhearth-client = 1\n");
    assert_eq!(deps, vec!["hearth-api"]);
}

#[test]
fn every_implemented_call_is_in_the_calls_table() {
    for name in hearth_server::handlers::implemented() {
        let (group, call) = name.split_once('/').unwrap();
        assert!(
            hearth_api::calls::find_call(group, call).is_some(),
            "{name}"
        );
    }
}
