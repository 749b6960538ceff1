//! Tidy checks: the calls and error tables against copies of the spec's lists
//! (`tests/data/calls.txt` = spec/calls.txt, `tests/data/seed-error-codes.txt` = the seed
//! page's error list).

use std::collections::BTreeSet;
use std::path::Path;

use hearth_api::errors::{error_info, ApiError, ERRORS};
use hearth_api::response::{singular_of, SINGULARS};
use hearth_api::{find_call, parse_api_path, CALLS};

const CALLS_TXT: &str = include_str!("data/calls.txt");
const SEED_ERRORS: &str = include_str!("data/seed-error-codes.txt");

fn listed_calls(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// `(code, name, message)` from `NNN : NAME: message` lines; the first line of a code wins.
fn seed_errors() -> Vec<(u16, &'static str, Option<&'static str>)> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for line in SEED_ERRORS.lines().filter(|l| !l.trim().is_empty()) {
        let (code, rest) = line.split_once(" : ").expect("NNN : NAME: message");
        let code: u16 = code.trim().parse().expect("numeric code");
        let (name, message) = match rest.split_once(':') {
            Some((name, message)) => (name.trim(), Some(message.trim())),
            None => (rest.trim(), None),
        };
        if seen.insert(code) {
            out.push((code, name, message));
        }
    }
    out
}

#[test]
fn every_listed_call_is_in_the_table() {
    let listed = listed_calls(CALLS_TXT);
    assert_eq!(listed.len(), 95);
    for name in &listed {
        let (group, call) = name.split_once('/').expect("group/call");
        let spec = find_call(group, call).unwrap_or_else(|| panic!("{name} missing from CALLS"));
        assert!(spec.in_seed_menu, "{name}");
        let path = format!("/api/1.5/{name}.php");
        assert_eq!(parse_api_path(&path).unwrap().call, spec);
    }
    let extra: Vec<String> = CALLS
        .iter()
        .filter(|c| !listed.contains(&c.name().as_str()))
        .map(|c| c.name())
        .collect();
    assert_eq!(extra, ["user/upgrade_session_token"]);
    for spec in CALLS {
        assert_eq!(spec.in_seed_menu, listed.contains(&spec.name().as_str()));
    }
}

#[test]
fn calls_copy_matches_shared_spec() {
    // CI keeps shared/ beside the repository; elsewhere the copy stands alone.
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/spec/calls.txt");
    if let Ok(text) = std::fs::read_to_string(shared) {
        assert_eq!(
            listed_calls(&text),
            listed_calls(CALLS_TXT),
            "tests/data/calls.txt is stale"
        );
    }
}

#[test]
fn every_seed_code_is_in_the_table() {
    let seed = seed_errors();
    assert!(seed.len() > 140);
    for (code, name, message) in &seed {
        let info = error_info(*code).unwrap_or_else(|| panic!("{code} missing from ERRORS"));
        match message {
            // 254 is cut off in the seed: its visible name is a prefix of ours.
            None => assert!(
                info.name.starts_with(name),
                "{code}: {} vs {name}",
                info.name
            ),
            Some(message) => {
                assert_eq!(info.name, *name, "{code}");
                // 207's seed message is a code fragment; we wrote our own.
                if *code != 207 {
                    let seed_text = message.strip_suffix('.').unwrap_or(message);
                    assert_eq!(ApiError::new(*code).message, seed_text, "{code}");
                }
            }
        }
    }
    let seed_codes: BTreeSet<u16> = seed.iter().map(|(c, ..)| *c).collect();
    let extra: Vec<u16> = ERRORS
        .iter()
        .map(|i| i.code)
        .filter(|c| !seed_codes.contains(c))
        .collect();
    assert_eq!(extra, [134, 135, 136, 282]);
}

#[test]
fn every_singular_has_an_entry() {
    for (plural, singular) in SINGULARS {
        assert_eq!(singular_of(plural), Some(*singular));
    }
    // The list names the spec files show in responses.
    for plural in [
        "files",
        "folders",
        "new_folderkeys",
        "new_quickkeys",
        "file_infos",
        "folder_infos",
        "links",
        "web_uploads",
        "results",
        "quickkeys",
        "file_versions",
        "chain_folders",
        "words",
        "devices",
        "updates",
        "shares",
        "products",
        "contacts",
        "contact_groups",
        "sources",
        "notifications",
        "image_sizes",
        "print_services",
        "mime_types",
        "extensions",
    ] {
        assert!(singular_of(plural).is_some(), "{plural}");
    }
}
