//! Accounts and applications: passwords (Argon2id), bootstrap, profile, settings, terms of
//! service, avatars, registration, and the administrator's operations.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use hearth_api::errors::{codes, ApiError};
use hearth_api::keys::random_token;
use hearth_store::accounts::{self as store, AppRow, NewUser, ProfileUpdate, UserRow};
use hearth_store::StoreError;
use sha2::{Digest, Sha256};

use crate::sessions::{Caller, Credential};
use crate::{internal, now_us, Argon2Profile, Core};

/// The application id mediafire-fuse and mediafire-shell use; created without a key.
pub const BUILTIN_APP_ID: i64 = 42709;

/// What bootstrapping an empty data directory created, to be said once in the log.
pub struct Bootstrap {
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    pub created_app: Option<i64>,
}

/// Account preferences with their defaults (user/get_settings).
pub const SETTING_DEFAULTS: &[(&str, &str)] = &[
    ("previous_file_versions", "5"),
    ("default_share_link_status", "enabled"),
    ("collect_metadata", "yes"),
    ("instant_uploads_enabled", "yes"),
];

/// Fields `user/update` may change.
#[derive(Default)]
pub struct UpdateRequest<'a> {
    pub email: Option<&'a str>,
    pub password: Option<&'a str>,
    pub current_password: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub display_name: Option<&'a str>,
    pub birth_date: Option<&'a str>,
    pub gender: Option<&'a str>,
    pub website: Option<&'a str>,
    pub location: Option<&'a str>,
}

pub struct TermsOfService {
    pub revision: String,
    pub terms: String,
    pub date: String,
    pub accepted: bool,
    pub acceptance_token: String,
}

const TERMS: &str = "<p>This Hearth server is operated by its administrator. Use it according to the rules they set.</p>";

fn argon2(profile: Argon2Profile) -> Argon2<'static> {
    let params = match profile {
        Argon2Profile::Default => Params::new(19 * 1024, 2, 1, None),
        Argon2Profile::Fast => Params::new(8, 1, 1, None),
    }
    .expect("static Argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Validates an e-mail address the way the error table distinguishes (216, 217, 122).
pub fn check_email(email: &str) -> Result<String, ApiError> {
    let email = email.trim();
    if email.len() <= 3 {
        return Err(ApiError::new(codes::EMAIL_ADDRESS_TOO_SHORT));
    }
    if email.len() >= 50 {
        return Err(ApiError::new(codes::EMAIL_ADDRESS_TOO_LONG));
    }
    let ok = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if !ok {
        return Err(ApiError::new(codes::EMAIL_MISFORMATTED));
    }
    Ok(email.to_lowercase())
}

/// Passwords: 1 to 256 bytes, no control characters.
pub fn check_password(password: &str) -> Result<(), ApiError> {
    if password.is_empty() || password.len() > 256 || password.chars().any(char::is_control) {
        return Err(ApiError::new(codes::PASSWORD_MISFORMATTED));
    }
    Ok(())
}

fn new_pkey() -> String {
    random_token(10)
}

fn store_err(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict => ApiError::new(codes::EMAIL_TAKEN),
        other => internal(other),
    }
}

impl Core {
    pub async fn hash_password(&self, password: &str) -> Result<String, ApiError> {
        let profile = self.settings().argon2;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2(profile)
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
        })
        .await
        .map_err(internal)?
        .map_err(internal)
    }

    pub(crate) async fn verify_password(&self, password: &str, hash: &str) -> bool {
        let profile = self.settings().argon2;
        let (password, hash) = (password.to_owned(), hash.to_owned());
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| {
                    argon2(profile)
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .unwrap_or(false)
    }

    /// Spends the time of a password check, so unknown accounts are not faster to refuse.
    pub(crate) async fn burn_password_check(&self, password: &str) {
        let _ = self.hash_password(password).await;
    }

    /// On an empty data directory: an administrator with a random password, and application
    /// 42709 without a key.
    pub async fn bootstrap(&self) -> anyhow::Result<Bootstrap> {
        let mut out = Bootstrap {
            admin_email: None,
            admin_password: None,
            created_app: None,
        };
        if store::count_users(self.db()).await? == 0 {
            let password = random_token(20);
            self.create_user("admin@localhost", &password, "", "", true)
                .await
                .map_err(|e| anyhow::anyhow!("creating the administrator: {e}"))?;
            out.admin_email = Some("admin@localhost".into());
            out.admin_password = Some(password);
        }
        if store::app_by_id(self.db(), BUILTIN_APP_ID).await?.is_none() {
            match store::create_app(
                self.db(),
                Some(BUILTIN_APP_ID),
                "mediafire-fuse",
                None,
                now_us(),
            )
            .await
            {
                Ok(_) | Err(StoreError::Conflict) => out.created_app = Some(BUILTIN_APP_ID),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    pub async fn create_user(
        &self,
        email: &str,
        password: &str,
        first_name: &str,
        last_name: &str,
        is_admin: bool,
    ) -> Result<UserRow, ApiError> {
        let email = check_email(email)?;
        check_password(password)?;
        let password_hash = self.hash_password(password).await?;
        let display_name = format!("{first_name} {last_name}").trim().to_string();
        store::create_user(
            self.db(),
            NewUser {
                email,
                password_hash,
                first_name: first_name.to_string(),
                last_name: last_name.to_string(),
                display_name,
                ekey: random_token(32),
                pkey: new_pkey(),
                is_admin,
                quota_bytes: self.settings().default_quota_bytes as i64,
                created_us: now_us(),
            },
        )
        .await
        .map_err(store_err)
    }

    pub async fn user(&self, id: i64) -> Result<UserRow, ApiError> {
        store::user_by_id(self.db(), id)
            .await
            .map_err(internal)?
            .ok_or_else(|| ApiError::new(codes::INVALID_TOKEN))
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, ApiError> {
        store::user_by_email(self.db(), email)
            .await
            .map_err(internal)
    }

    pub async fn list_users(&self) -> Result<Vec<UserRow>, ApiError> {
        store::list_users(self.db()).await.map_err(internal)
    }

    /// Sets a password, gives the account a new pkey and ends every session except `keep`.
    pub async fn set_password(
        &self,
        user_id: i64,
        password: &str,
        keep_session: Option<&str>,
    ) -> Result<(), ApiError> {
        check_password(password)?;
        let hash = self.hash_password(password).await?;
        store::set_password(self.db(), user_id, &hash, &new_pkey())
            .await
            .map_err(internal)?;
        store::delete_user_sessions(self.db(), user_id, keep_session)
            .await
            .map_err(internal)?;
        if let Some(cache) = self.session_cache() {
            cache.remove_user(user_id, keep_session);
        }
        Ok(())
    }

    pub async fn set_disabled(&self, user_id: i64, disabled: bool) -> Result<(), ApiError> {
        store::set_disabled(self.db(), user_id, disabled)
            .await
            .map_err(internal)?;
        if disabled {
            self.revoke_sessions(user_id).await?;
        }
        Ok(())
    }

    pub async fn set_quota(&self, user_id: i64, bytes: u64) -> Result<(), ApiError> {
        store::set_quota(self.db(), user_id, bytes as i64)
            .await
            .map_err(internal)
    }

    pub async fn revoke_sessions(&self, user_id: i64) -> Result<u64, ApiError> {
        let n = store::delete_user_sessions(self.db(), user_id, None)
            .await
            .map_err(internal)?;
        if let Some(cache) = self.session_cache() {
            cache.remove_user(user_id, None);
        }
        Ok(n)
    }

    pub async fn create_app(
        &self,
        id: Option<i64>,
        name: &str,
        with_key: bool,
    ) -> Result<AppRow, ApiError> {
        let key = with_key.then(|| random_token(40));
        store::create_app(self.db(), id, name, key, now_us())
            .await
            .map_err(|e| match e {
                StoreError::Conflict => ApiError::with_message(
                    codes::DUPLICATE_ENTRY,
                    "An application with this id exists already.".into(),
                ),
                other => internal(other),
            })
    }

    pub async fn list_apps(&self) -> Result<Vec<AppRow>, ApiError> {
        store::list_apps(self.db()).await.map_err(internal)
    }

    pub async fn set_app_status(&self, id: i64, status: &str) -> Result<(), ApiError> {
        store::set_app_status(self.db(), id, status)
            .await
            .map_err(internal)?;
        if let Some(cache) = self.session_cache() {
            cache.invalidate();
        }
        Ok(())
    }

    /// The caller's settings, defaults filled in.
    pub async fn user_settings(&self, user_id: i64) -> Result<Vec<(String, String)>, ApiError> {
        let stored = store::get_settings(self.db(), user_id)
            .await
            .map_err(internal)?;
        Ok(SETTING_DEFAULTS
            .iter()
            .map(|(name, default)| {
                let value = stored
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| default.to_string());
                (name.to_string(), value)
            })
            .collect())
    }

    /// `user/set_settings`: validates every value before storing any.
    pub async fn set_user_settings(
        &self,
        user_id: i64,
        changes: &[(&str, &str)],
    ) -> Result<(), ApiError> {
        if changes.is_empty() {
            return Err(ApiError::new(codes::MISSING_PARAMS));
        }
        for (name, value) in changes {
            let ok = match *name {
                "previous_file_versions" => value.parse::<u32>().is_ok_and(|n| n <= 100),
                "default_share_link_status" => matches!(*value, "enabled" | "disabled" | "inherit"),
                "collect_metadata" | "instant_uploads_enabled" => matches!(*value, "yes" | "no"),
                _ => false,
            };
            if !ok {
                return Err(ApiError::new(codes::INVALID_PARAMS));
            }
        }
        for (name, value) in changes {
            store::set_setting(self.db(), user_id, name, value)
                .await
                .map_err(internal)?;
        }
        Ok(())
    }

    /// `user/update`. E-mail and password changes need the current password; a password
    /// change gives a new pkey and ends the account's other sessions.
    pub async fn update_user(
        &self,
        caller: &Caller,
        req: UpdateRequest<'_>,
    ) -> Result<(), ApiError> {
        let user = self.user(caller.user_id).await?;
        let sensitive = req.email.is_some() || req.password.is_some();
        if sensitive {
            let current = req
                .current_password
                .filter(|p| !p.is_empty())
                .ok_or_else(|| ApiError::new(codes::MISSING_PARAMS))?;
            if !self.verify_password(current, &user.password_hash).await {
                return Err(ApiError::new(codes::INVALID_CREDENTIALS));
            }
        }
        let email = req.email.map(check_email).transpose()?;
        if let Some(p) = req.password {
            check_password(p)?;
        }
        if let Some(g) = req.gender {
            if !matches!(g, "male" | "female" | "none") {
                return Err(ApiError::new(codes::INVALID_PARAMS));
            }
        }
        if let Some(d) = req.birth_date.filter(|d| !d.is_empty()) {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            if time::Date::parse(d, format).is_err() {
                return Err(ApiError::new(codes::INVALID_DATE));
            }
        }
        let update = ProfileUpdate {
            email,
            first_name: req.first_name.map(str::to_string),
            last_name: req.last_name.map(str::to_string),
            display_name: req.display_name.map(str::to_string),
            gender: req.gender.map(str::to_string),
            birth_date: req.birth_date.map(str::to_string),
            location: req.location.map(str::to_string),
            website: req.website.map(str::to_string),
        };
        let nothing = update.email.is_none()
            && update.first_name.is_none()
            && update.last_name.is_none()
            && update.display_name.is_none()
            && update.gender.is_none()
            && update.birth_date.is_none()
            && update.location.is_none()
            && update.website.is_none();
        if nothing && req.password.is_none() {
            return Err(ApiError::new(codes::MISSING_PARAMS));
        }
        if !nothing {
            store::update_profile(self.db(), user.id, &update)
                .await
                .map_err(store_err)?;
        }
        if let Some(p) = req.password {
            let keep = match &caller.credential {
                Credential::Session { token_hash, .. } => Some(token_hash.as_str()),
                Credential::Action { .. } | Credential::Internal => None,
            };
            self.set_password(user.id, p, keep).await?;
        }
        Ok(())
    }

    fn acceptance_token(&self, user: &UserRow) -> String {
        let mut h = Sha256::new();
        h.update(user.ekey.as_bytes());
        h.update(b"/tos/");
        h.update(self.settings().tos_revision.as_bytes());
        hex::encode(&h.finalize()[..16])
    }

    /// Tells a running server (which may cache sessions, applications and users) that this
    /// process changed them: `hearth admin` calls it after every command.
    pub async fn announce_changes(&self) -> Result<(), ApiError> {
        store::bump_session_epoch(self.db()).await.map_err(internal)
    }

    /// The text of the current terms of service.
    pub fn terms_text(&self) -> String {
        TERMS.to_string()
    }

    pub async fn terms_of_service(&self, user_id: i64) -> Result<TermsOfService, ApiError> {
        let user = self.user(user_id).await?;
        let revision = self.settings().tos_revision.clone();
        Ok(TermsOfService {
            accepted: user.tos_accepted == revision,
            acceptance_token: self.acceptance_token(&user),
            revision,
            terms: self.terms_text(),
            date: crate::time_fmt::date_time(0),
        })
    }

    pub async fn accept_terms(&self, user_id: i64, token: Option<&str>) -> Result<(), ApiError> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::new(codes::MISSING_PARAMS))?;
        let user = self.user(user_id).await?;
        if token != self.acceptance_token(&user) {
            return Err(ApiError::new(codes::INVALID_ACCEPTANCE_TOKEN));
        }
        store::set_tos_accepted(self.db(), user_id, &self.settings().tos_revision)
            .await
            .map_err(internal)
    }

    pub async fn set_avatar(&self, user_id: i64, value: &str) -> Result<(), ApiError> {
        store::set_avatar(self.db(), user_id, value)
            .await
            .map_err(internal)
    }

    /// `user/register`: off unless `allow_registration`.
    pub async fn register(
        &self,
        application_id: Option<&str>,
        email: Option<&str>,
        password: Option<&str>,
        first_name: &str,
        last_name: &str,
    ) -> Result<UserRow, ApiError> {
        if !self.settings().allow_registration {
            return Err(ApiError::new(codes::ACCESS_DENIED));
        }
        let id: i64 = application_id
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::new(codes::MISSING_PARAMS))?
            .parse()
            .map_err(|_| ApiError::new(codes::INVALID_APPID))?;
        match store::app_by_id(self.db(), id).await.map_err(internal)? {
            Some(a) if a.status == "active" => {}
            Some(a) if a.status == "suspended" => {
                return Err(ApiError::new(codes::APPLICATION_SUSPENDED))
            }
            Some(_) => return Err(ApiError::new(codes::APPLICATION_DISABLED)),
            None => return Err(ApiError::new(codes::INVALID_APPID)),
        }
        let (email, password) = match (email, password) {
            (Some(e), Some(p)) if !e.is_empty() && !p.is_empty() => (e, p),
            _ => return Err(ApiError::new(codes::MISSING_PARAMS)),
        };
        self.create_user(email, password, first_name, last_name, false)
            .await
    }
}
