//! user/get_session_token — logs in with e-mail (or ekey) and password, signed with SHA-1
//! (spec/auth.md §2); issues a v1 or v2 session token.

use hearth_core::sessions::LoginRequest;

use crate::handlers::{Ctx, Reply};

pub async fn handle(cx: &Ctx<'_>) -> Reply {
    let p = cx.params;
    let issued = cx
        .core
        .login(LoginRequest {
            application_id: p.get("application_id"),
            email: p.get("email"),
            ekey: p.get("ekey"),
            password: p.get("password"),
            signature: p.get("signature"),
            token_version: p.get("token_version"),
        })
        .await?;
    Ok(super::token_fields(issued))
}
