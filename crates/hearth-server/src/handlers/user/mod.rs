//! The user group: logins, tokens, profile, settings, terms, avatar.

pub mod accept_tos;
pub mod destroy_action_token;
pub mod fetch_tos;
pub mod get_action_token;
pub mod get_avatar;
pub mod get_devices;
pub mod get_info;
pub mod get_limits;
pub mod get_session_token;
pub mod get_settings;
pub mod register;
pub mod renew_session_token;
pub mod set_avatar;
pub mod set_settings;
pub mod update;
pub mod upgrade_session_token;

super::calls! {
    "user/accept_tos" => accept_tos,
    "user/destroy_action_token" => destroy_action_token,
    "user/fetch_tos" => fetch_tos,
    "user/get_action_token" => get_action_token,
    "user/get_avatar" => get_avatar,
    "user/get_devices" => get_devices,
    "user/get_info" => get_info,
    "user/get_limits" => get_limits,
    "user/get_session_token" => get_session_token,
    "user/get_settings" => get_settings,
    "user/register" => register,
    "user/renew_session_token" => renew_session_token,
    "user/set_avatar" => set_avatar,
    "user/set_settings" => set_settings,
    "user/update" => update,
    "user/upgrade_session_token" => upgrade_session_token,
}

use hearth_api::response::Obj;
use hearth_core::sessions::IssuedToken;

/// The fields of a freshly issued token (get_session_token, upgrade_session_token).
pub fn token_fields(t: IssuedToken) -> Obj {
    let mut o = Obj::new().str("session_token", t.session_token);
    if let (Some(key), Some(time)) = (t.secret_key, t.time) {
        o = o.num("secret_key", key as u64).str("time", time);
    }
    o.str("ekey", t.ekey).str("pkey", t.pkey)
}
