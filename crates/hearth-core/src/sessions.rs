//! Logins, session tokens (v1 and v2), call signatures with key rotation, action tokens.
//!
//! A v2 token is strictly sequential. Verification claims it with one compare-and-swap in the
//! database (so it holds across several server processes on one PostgreSQL); a concurrent call
//! on a claimed token gets 127. `finish` releases the claim: rotated after a success, unrotated
//! after an error. A signature made with the key one step ahead is accepted once and adopted
//! (mediafire-fuse rotates after errors); older keys are 127 (spec/auth.md §4.5).

use std::time::Duration;

use hearth_api::errors::{codes, ApiError};
use hearth_api::keys::random_token;
use hearth_api::signature::{next_secret_key, verify_call_signature, verify_login_signature};
use hearth_store::accounts::{self as store, SessionRow, UserRow};
use rand::Rng;

use crate::session_cache::Entry;
use crate::{internal, now_us, Core};

/// What a login asks for.
pub struct LoginRequest<'a> {
    pub application_id: Option<&'a str>,
    pub email: Option<&'a str>,
    pub ekey: Option<&'a str>,
    pub password: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub token_version: Option<&'a str>,
}

/// A freshly issued session token.
pub struct IssuedToken {
    pub session_token: String,
    /// Present for version 2.
    pub secret_key: Option<u32>,
    pub time: Option<String>,
    pub ekey: String,
    pub pkey: String,
}

/// The signed part of a request, for v2 verification.
pub struct SignedRequest<'a> {
    /// The request path exactly as received (`/api/1.5/user/get_info.php`).
    pub path: &'a str,
    /// Candidate signed strings (after the `?`), see hearth_api::signature.
    pub candidates: &'a [Vec<u8>],
    pub signature: Option<&'a str>,
}

/// Who is calling, once the token checked out.
#[derive(Clone, Debug)]
pub struct Caller {
    pub user_id: i64,
    pub app_id: i64,
    pub credential: Credential,
}

impl Caller {
    /// The owner acting through the server itself (uploads finishing, admin work): no token.
    pub fn owner(user_id: i64) -> Caller {
        Caller {
            user_id,
            app_id: 0,
            credential: Credential::Internal,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Credential {
    /// The server acting for the owner; never comes from a request.
    Internal,
    Session {
        version: u8,
        token_hash: String,
        /// For v2: the key the claim was taken on and whether the client signed one step ahead.
        claim: Option<Claim>,
    },
    /// An action token passed as `session_token`: never signed, never rotates.
    Action { kind: String },
}

#[derive(Clone, Debug)]
pub struct Claim {
    pub key: u32,
    pub one_step_ahead: bool,
}

/// Which kinds of token a call accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Accepts {
    SessionOnly,
    SessionOrUploadToken,
}

const SECRET_KEY_MAX: u32 = 2_147_483_646;

fn us(d: Duration) -> i64 {
    d.as_micros().min(i64::MAX as u128) as i64
}

impl Core {
    /// `user/get_session_token`: checks the application, the SHA-1 login signature, the
    /// lockout and the password, then issues a v1 or v2 token.
    pub async fn login(&self, req: LoginRequest<'_>) -> Result<IssuedToken, ApiError> {
        let app = self.application_for_login(req.application_id).await?;
        let version = match req.token_version.unwrap_or("1").trim() {
            "" | "1" => 1u8,
            "2" => 2,
            _ => return Err(ApiError::new(codes::INVALID_PARAMS)),
        };
        let password = req.password.filter(|p| !p.is_empty());
        let (credential, password) = match (req.email, req.ekey, password) {
            (Some(e), _, Some(p)) if !e.is_empty() => (e, p),
            (_, Some(k), Some(p)) if !k.is_empty() => (k, p),
            _ => return Err(ApiError::new(codes::MISSING_PARAMS)),
        };
        let signature = req
            .signature
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::new(codes::MISSING_PARAMS))?;
        let app_id_text = app.id.to_string();
        if !verify_login_signature(
            &[credential.as_bytes(), password.as_bytes()],
            &app_id_text,
            app.api_key.as_deref(),
            app.api_key.is_some(),
            signature,
        ) {
            return Err(ApiError::new(codes::INVALID_SIGNATURE));
        }
        let by_email = req.email.is_some_and(|e| !e.is_empty());
        let user = self.check_password(by_email, credential, password).await?;
        self.issue_token(&user, app.id, version).await
    }

    /// The login of the browser widget (`/auth/mediafire_login.php`): the user types the
    /// password into the server's own page, so there is no application signature; it issues a
    /// version-1 token, as the JS SDK expects from the widget (spec/auth.md §6.3).
    pub async fn widget_login(
        &self,
        application_id: Option<&str>,
        email: &str,
        password: &str,
    ) -> Result<IssuedToken, ApiError> {
        let app = self.application_for_login(application_id).await?;
        if email.is_empty() || password.is_empty() {
            return Err(ApiError::new(codes::MISSING_PARAMS));
        }
        let user = self.check_password(true, email, password).await?;
        self.issue_token(&user, app.id, 1).await
    }

    /// Finds the account by e-mail (or ekey) and checks the password, with the lockout rules.
    /// Unknown accounts answer like a wrong password: a login must not reveal who exists.
    async fn check_password(
        &self,
        by_email: bool,
        credential: &str,
        password: &str,
    ) -> Result<UserRow, ApiError> {
        let user = if by_email {
            store::user_by_email(self.db(), credential).await
        } else {
            store::user_by_ekey(self.db(), credential).await
        }
        .map_err(internal)?;
        let Some(user) = user else {
            self.burn_password_check(password).await;
            return Err(ApiError::new(codes::INVALID_CREDENTIALS));
        };
        let now = now_us();
        if user.locked_until_us > now {
            return Err(ApiError::new(codes::ACCOUNT_TEMPORARILY_LOCKED));
        }
        let ok = self.verify_password(password, &user.password_hash).await;
        if !ok || user.disabled {
            if !ok {
                let s = self.settings();
                store::record_failed_login(
                    self.db(),
                    user.id,
                    now,
                    s.lockout_failures as i64,
                    us(s.lockout_duration),
                )
                .await
                .map_err(internal)?;
            }
            return Err(ApiError::new(codes::INVALID_CREDENTIALS));
        }
        if user.failed_logins != 0 {
            store::clear_failed_logins(self.db(), user.id)
                .await
                .map_err(internal)?;
        }
        Ok(user)
    }

    async fn application_for_login(
        &self,
        application_id: Option<&str>,
    ) -> Result<store::AppRow, ApiError> {
        let text = application_id
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::new(codes::MISSING_PARAMS))?;
        let id: i64 = text
            .trim()
            .parse()
            .map_err(|_| ApiError::new(codes::INVALID_APPID))?;
        let app = store::app_by_id(self.db(), id)
            .await
            .map_err(internal)?
            .ok_or_else(|| ApiError::new(codes::INVALID_APPID))?;
        match app.status.as_str() {
            "active" => {}
            "suspended" => return Err(ApiError::new(codes::APPLICATION_SUSPENDED)),
            _ => return Err(ApiError::new(codes::APPLICATION_DISABLED)),
        }
        if !self
            .rate_limiter()
            .admit_app(app.id, self.settings().rate_limit_per_app)
        {
            return Err(ApiError::new(codes::ACCESS_LIMIT_REACHED));
        }
        Ok(app)
    }

    pub(crate) async fn issue_token(
        &self,
        user: &UserRow,
        app_id: i64,
        version: u8,
    ) -> Result<IssuedToken, ApiError> {
        let token = random_token(128);
        let now = now_us();
        let s = self.settings();
        let (secret_key, time, lifetime) = if version == 2 {
            let key = rand::thread_rng().gen_range(1..=SECRET_KEY_MAX);
            // The exact text clients sign with: seconds with four decimals.
            let time = format!("{}.{:04}", now / 1_000_000, (now % 1_000_000) / 100);
            (Some(key), Some(time), s.session_v2_idle)
        } else {
            (None, None, s.session_v1_lifetime)
        };
        let row = SessionRow {
            token_hash: store::token_hash(&token),
            user_id: user.id,
            app_id,
            version: version as i64,
            secret_key: secret_key.unwrap_or(0) as i64,
            time_text: time.clone().unwrap_or_default(),
            created_us: now,
            expires_us: now.saturating_add(us(lifetime)),
            claimed_until_us: 0,
        };
        store::insert_session(self.db(), &row)
            .await
            .map_err(internal)?;
        Ok(IssuedToken {
            session_token: token,
            secret_key,
            time,
            ekey: user.ekey.clone(),
            pkey: user.pkey.clone(),
        })
    }

    /// Checks a `session_token` (and for v2 its signature) and claims v2 tokens.
    /// Every successful call must be followed by [`Core::finish`].
    pub async fn authenticate(
        &self,
        token: &str,
        signed: &SignedRequest<'_>,
        accepts: Accepts,
    ) -> Result<Caller, ApiError> {
        let hash = store::token_hash(token);
        let now = now_us();
        // A token the in-memory session table does not hold is looked up as an action token
        // first (upload tokens of busy uploaders); a session missing from the table is then
        // read as before.
        let action_checked = match self.session_cache() {
            Some(cache) if cache.get(&hash).is_none() => {
                let row = store::action_token_by_hash(self.db(), &hash)
                    .await
                    .map_err(internal)?;
                if let Some(t) = row {
                    return action_token_caller(t, accepts, now);
                }
                true
            }
            _ => false,
        };
        let Some(session) = self.session_state(&hash).await? else {
            if action_checked {
                return Err(ApiError::new(codes::INVALID_TOKEN));
            }
            return self.authenticate_action_token(&hash, accepts, now).await;
        };
        if session.expires_us <= now {
            return Err(ApiError::new(codes::INVALID_TOKEN));
        }
        self.admit_app(session.app_id)?;
        let claim = if session.version == 2 {
            Some(self.claim_v2(&hash, &session, signed, now).await?)
        } else {
            None
        };
        Ok(Caller {
            user_id: session.user_id,
            app_id: session.app_id,
            credential: Credential::Session {
                version: session.version,
                token_hash: hash,
                claim,
            },
        })
    }

    /// The session behind `hash` (from the in-memory table, or the database), with its
    /// application checked; `None` when no session has that hash.
    async fn session_state(&self, hash: &str) -> Result<Option<Entry>, ApiError> {
        let Some(cache) = self.session_cache() else {
            return self.load_session(hash).await;
        };
        cache.ensure_flusher();
        // A load that raced an invalidation or revocation is read again; each round reads
        // after the last change it saw, so this ends unless changes never stop.
        for _ in 0..8 {
            let generation = cache.generation();
            match cache.get(hash) {
                Some(e) if !e.stale => return Ok(Some(e)),
                // Something changed: re-check the row and its application.
                Some(_) => {}
                None => cache.prime().await.map_err(internal)?,
            }
            let Some(loaded) = self.load_session(hash).await? else {
                return Ok(None);
            };
            if let Some(e) = cache.insert_loaded(hash, loaded, generation) {
                return Ok(Some(e));
            }
        }
        Err(internal(
            "session table kept changing while a session was loaded",
        ))
    }

    /// Reads a session row and checks its application.
    async fn load_session(&self, hash: &str) -> Result<Option<Entry>, ApiError> {
        let Some(row) = store::session_by_hash(self.db(), hash)
            .await
            .map_err(internal)?
        else {
            return Ok(None);
        };
        let app = store::app_by_id(self.db(), row.app_id)
            .await
            .map_err(internal)?;
        match app.as_ref().map(|a| a.status.as_str()) {
            Some("active") => {}
            Some("suspended") => return Err(ApiError::new(codes::APPLICATION_SUSPENDED)),
            _ => return Err(ApiError::new(codes::APPLICATION_DISABLED)),
        }
        Ok(Some(Entry {
            user_id: row.user_id,
            app_id: row.app_id,
            version: row.version as u8,
            secret_key: row.secret_key as u32,
            time_text: row.time_text.into(),
            expires_us: row.expires_us,
            claimed: false,
            dirty: false,
            stale: false,
        }))
    }

    fn admit_app(&self, app_id: i64) -> Result<(), ApiError> {
        if self
            .rate_limiter()
            .admit_app(app_id, self.settings().rate_limit_per_app)
        {
            Ok(())
        } else {
            Err(ApiError::new(codes::ACCESS_LIMIT_REACHED))
        }
    }

    async fn claim_v2(
        &self,
        hash: &str,
        session: &Entry,
        signed: &SignedRequest<'_>,
        now: i64,
    ) -> Result<Claim, ApiError> {
        let signature = signed
            .signature
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::new(codes::MISSING_SIGNATURE))?;
        let key = session.secret_key;
        let verify = |k: u32| {
            verify_call_signature(
                k,
                &session.time_text,
                signed.path,
                signed.candidates,
                signature,
            )
        };
        let one_step_ahead = if verify(key) {
            false
        } else if verify(next_secret_key(key)) {
            true
        } else {
            return Err(ApiError::new(codes::INVALID_SIGNATURE));
        };
        let claimed = match self.session_cache() {
            Some(cache) => cache.claim(hash, key),
            None => {
                let lease_until = now.saturating_add(us(self.settings().session_claim_lease));
                store::claim_session(self.db(), hash, key as i64, now, lease_until)
                    .await
                    .map_err(internal)?
            }
        };
        if !claimed {
            // Another call holds the token, or it moved on since we read it.
            return Err(ApiError::new(codes::INVALID_SIGNATURE));
        }
        Ok(Claim {
            key,
            one_step_ahead,
        })
    }

    async fn authenticate_action_token(
        &self,
        hash: &str,
        accepts: Accepts,
        now: i64,
    ) -> Result<Caller, ApiError> {
        match store::action_token_by_hash(self.db(), hash)
            .await
            .map_err(internal)?
        {
            Some(t) => action_token_caller(t, accepts, now),
            None => Err(ApiError::new(codes::INVALID_TOKEN)),
        }
    }

    /// Releases a v2 claim. Returns true when the key rotated (answer `new_key=yes`).
    /// `rotate` is false for errors and for answers that are not an envelope (raw zip).
    pub async fn finish(&self, caller: &Caller, rotate: bool) -> bool {
        let Credential::Session {
            token_hash,
            claim: Some(claim),
            ..
        } = &caller.credential
        else {
            return false;
        };
        // Adopt the one-step-ahead key the client used, then rotate past it on success.
        let base = if claim.one_step_ahead {
            next_secret_key(claim.key)
        } else {
            claim.key
        };
        let new_key = if rotate { next_secret_key(base) } else { base };
        let new_expires = now_us().saturating_add(us(self.settings().session_v2_idle));
        let saved = match self.session_cache() {
            Some(cache) if cache.release(token_hash, new_key, new_expires) => Ok(()),
            // Dropped from memory meanwhile (revoked by this process): write through.
            Some(_) => store::save_session_states(
                self.db(),
                &[(token_hash.clone(), new_key as i64, new_expires)],
            )
            .await
            .map_err(anyhow::Error::from),
            None => store::release_session(
                self.db(),
                token_hash,
                claim.key as i64,
                (new_key != claim.key).then_some(new_key as i64),
                Some(new_expires),
            )
            .await
            .map(|_| ())
            .map_err(anyhow::Error::from),
        };
        match saved {
            Ok(()) => rotate,
            Err(e) => {
                // The claim lapses after its lease; the client will see 127 and log in again.
                tracing::error!(error = %e, "releasing a session claim failed");
                false
            }
        }
    }

    /// `user/renew_session_token`: extends a token's life; the token string stays the same.
    pub async fn renew_session(&self, caller: &Caller) -> Result<(), ApiError> {
        let Credential::Session {
            version,
            token_hash,
            ..
        } = &caller.credential
        else {
            return Err(ApiError::new(codes::INVALID_TOKEN));
        };
        let s = self.settings();
        let life = if *version == 2 {
            s.session_v2_idle
        } else {
            s.session_v1_lifetime
        };
        let expires = now_us().saturating_add(us(life));
        if let Some(cache) = self.session_cache() {
            if cache.set_expiry(token_hash, expires) {
                return Ok(());
            }
        }
        store::extend_session(self.db(), token_hash, expires)
            .await
            .map_err(internal)?;
        Ok(())
    }

    /// `user/upgrade_session_token`: a fresh v2 token from a v1 token (252 for a v2 token).
    pub async fn upgrade_session(&self, caller: &Caller) -> Result<IssuedToken, ApiError> {
        match &caller.credential {
            Credential::Session { version: 1, .. } => {}
            Credential::Session { .. } => return Err(ApiError::new(codes::TOKEN_ALREADY_UPGRADED)),
            Credential::Action { .. } | Credential::Internal => {
                return Err(ApiError::new(codes::INVALID_TOKEN))
            }
        }
        let user = self.user(caller.user_id).await?;
        self.issue_token(&user, caller.app_id, 2).await
    }

    /// `user/get_action_token`.
    pub async fn create_action_token(
        &self,
        caller: &Caller,
        kind: Option<&str>,
        lifespan_minutes: Option<&str>,
    ) -> Result<String, ApiError> {
        let kind = match kind.map(str::trim) {
            None | Some("") => return Err(ApiError::new(codes::MISSING_PARAMS)),
            Some(k @ ("upload" | "image")) => k,
            Some(_) => return Err(ApiError::new(codes::INVALID_PARAMS)),
        };
        let s = self.settings();
        let minutes = match lifespan_minutes.map(str::trim).filter(|v| !v.is_empty()) {
            None => s.action_token_default_minutes,
            Some(v) => match v.parse::<u32>() {
                Ok(m) if m >= 1 => m.min(s.action_token_max_minutes),
                _ => return Err(ApiError::new(codes::INVALID_PARAMS)),
            },
        };
        let token = random_token(160);
        let now = now_us();
        store::insert_action_token(
            self.db(),
            &store::ActionTokenRow {
                token_hash: store::token_hash(&token),
                user_id: caller.user_id,
                kind: kind.to_string(),
                created_us: now,
                expires_us: now + minutes as i64 * 60_000_000,
            },
        )
        .await
        .map_err(internal)?;
        Ok(token)
    }

    /// `user/destroy_action_token`: only the owner's own tokens; an unknown one is 100 as
    /// MediaFire documents (auth.md §5.3).
    pub async fn destroy_action_token(
        &self,
        caller: &Caller,
        token: Option<&str>,
    ) -> Result<(), ApiError> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::new(codes::MISSING_PARAMS))?;
        let hash = store::token_hash(token);
        let row = store::action_token_by_hash(self.db(), &hash)
            .await
            .map_err(internal)?;
        match row {
            Some(t) if t.user_id == caller.user_id => {
                store::delete_action_token(self.db(), &hash)
                    .await
                    .map_err(internal)?;
                Ok(())
            }
            _ => Err(ApiError::new(codes::INTERNAL)),
        }
    }
}

/// The caller an action token stands for, if it is alive and this call accepts it.
fn action_token_caller(
    t: store::ActionTokenRow,
    accepts: Accepts,
    now: i64,
) -> Result<Caller, ApiError> {
    if t.expires_us > now && accepts == Accepts::SessionOrUploadToken && t.kind == "upload" {
        Ok(Caller {
            user_id: t.user_id,
            app_id: 0,
            credential: Credential::Action { kind: t.kind },
        })
    } else {
        // Expired, or an action token is no session token for this call.
        Err(ApiError::new(codes::INVALID_TOKEN))
    }
}
