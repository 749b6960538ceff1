//! docs/calls.md is generated from the calls table and the handler table. Run with
//! UPDATE_DOCS=1 to rewrite it; otherwise the test fails when it is stale.

use hearth_api::calls::{AuthKind, CALLS};

fn render() -> String {
    let implemented_calls = hearth_server::handlers::implemented();
    let mut out = String::from(
        "# Calls\n\nGenerated from the calls table (`crates/hearth-api/src/calls.rs`) and the handler table\n(`crates/hearth-server/src/handlers/<group>/mod.rs`) by `UPDATE_DOCS=1 cargo test -p hearth-server --test e2e docs`.\nA missing call answers error 253 (HTTP 404), never a fake success.\n\n",
    );
    let implemented = CALLS
        .iter()
        .filter(|c| implemented_calls.contains(&c.name().as_str()))
        .count();
    out.push_str(&format!(
        "{implemented} of {} calls implemented, {} missing.\n\n| call | status | auth | may be async |\n|---|---|---|---|\n",
        CALLS.len(),
        CALLS.len() - implemented
    ));
    for c in CALLS {
        let name = c.name();
        let status = if implemented_calls.contains(&name.as_str()) {
            "implemented"
        } else {
            "**missing**"
        };
        let auth = match c.auth {
            AuthKind::None => "none",
            AuthKind::Ignored => "none (token ignored)",
            AuthKind::Optional => "optional",
            AuthKind::Session => "session",
            AuthKind::SessionOrUploadToken => "session or upload action token",
        };
        let asynchronous = if c.may_be_async { "yes" } else { "" };
        out.push_str(&format!(
            "| `{name}` | {status} | {auth} | {asynchronous} |\n"
        ));
    }
    out
}

#[test]
fn calls_md_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/calls.md");
    let fresh = render();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(path, &fresh).unwrap();
        return;
    }
    let current = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        current == fresh,
        "docs/calls.md is stale: run UPDATE_DOCS=1 cargo test -p hearth-server --test e2e docs"
    );
}
