//! `hearth admin …`: users and applications, straight on the store (safe while serving:
//! SQLite in WAL mode with a busy timeout, or PostgreSQL).

use anyhow::{bail, Context};
use clap::Subcommand;
use hearth_core::Core;

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Applications (application_id + optional API key).
    #[command(subcommand)]
    App(AppCommand),
    /// User accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Check stored content: every file's bytes are stored with the right size, and every
    /// reference count equals the references. Exit status 1 when something is wrong.
    Fsck {
        /// Also re-hash every referenced blob (reads all stored bytes).
        #[arg(long)]
        verify_hashes: bool,
        /// Set wrong reference counts to the references found.
        #[arg(long)]
        repair: bool,
    },
    /// Run one round of the garbage collector now (it also runs every minute while serving).
    Gc,
}

#[derive(Subcommand)]
pub enum AppCommand {
    /// Create an application; prints application_id=N and api_key=K.
    Create {
        #[arg(long)]
        id: Option<i64>,
        #[arg(long, default_value = "application")]
        name: String,
        /// No API key: clients sign logins without one.
        #[arg(long)]
        no_key: bool,
    },
    List,
    /// Refuse logins and calls of this application (145).
    Disable {
        id: i64,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account; prints email=E.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long, default_value = "")]
        first_name: String,
        #[arg(long, default_value = "")]
        last_name: String,
        #[arg(long)]
        admin: bool,
    },
    List,
    /// Set a password; ends the account's sessions.
    SetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
    },
    /// Refuse logins and end the account's sessions.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Storage quota in bytes.
    SetQuota {
        #[arg(long)]
        email: String,
        #[arg(long)]
        bytes: u64,
    },
    /// End every session of the account.
    RevokeSessions {
        #[arg(long)]
        email: String,
    },
}

async fn user_id(core: &Core, email: &str) -> anyhow::Result<i64> {
    match core.user_by_email(&email.to_lowercase()).await {
        Ok(Some(u)) => Ok(u.id),
        Ok(None) => bail!("no user with e-mail {email}"),
        Err(e) => bail!("{e}"),
    }
}

pub async fn run(core: &Core, command: AdminCommand) -> anyhow::Result<()> {
    let api = |e: hearth_api::errors::ApiError| anyhow::anyhow!("{} ({})", e.message, e.code);
    match command {
        AdminCommand::Fsck {
            verify_hashes,
            repair,
        } => {
            let r = core.fsck(verify_hashes, repair).await?;
            println!(
                "contents={} references={} blobs={} unreferenced={} orphan_blobs={} repaired={}",
                r.contents, r.files_checked, r.blobs, r.unreferenced, r.orphan_blobs, r.repaired
            );
            let problems = r.problems();
            for p in &problems {
                println!("problem: {p}");
            }
            if problems.is_empty() {
                println!("ok");
            } else if !repair || !r.missing_blobs.is_empty() || !r.corrupt.is_empty() {
                std::process::exit(1);
            }
        }
        AdminCommand::Gc => {
            let r = core.collect_garbage().await?;
            println!(
                "removed={} missing={} kept_fresh={}",
                r.removed, r.missing, r.kept_fresh
            );
        }
        AdminCommand::App(AppCommand::Create { id, name, no_key }) => {
            let app = core.create_app(id, &name, !no_key).await.map_err(api)?;
            println!("application_id={}", app.id);
            if let Some(key) = app.api_key {
                println!("api_key={key}");
            }
        }
        AdminCommand::App(AppCommand::List) => {
            for a in core.list_apps().await.map_err(api)? {
                let key = if a.api_key.is_some() { "key" } else { "no-key" };
                println!("{}\t{}\t{}\t{}", a.id, a.status, key, a.name);
            }
        }
        AdminCommand::App(AppCommand::Disable { id }) => {
            core.set_app_status(id, "disabled")
                .await
                .map_err(api)
                .context("disabling the application")?;
            println!("application_id={id} disabled");
        }
        AdminCommand::User(UserCommand::Create {
            email,
            password,
            first_name,
            last_name,
            admin,
        }) => {
            let u = core
                .create_user(&email, &password, &first_name, &last_name, admin)
                .await
                .map_err(api)?;
            println!("email={}", u.email);
        }
        AdminCommand::User(UserCommand::List) => {
            for u in core.list_users().await.map_err(api)? {
                let state = if u.disabled { "disabled" } else { "active" };
                println!(
                    "{}\t{}\t{}\tquota={}\tused={}",
                    u.id, u.email, state, u.quota_bytes, u.used_bytes
                );
            }
        }
        AdminCommand::User(UserCommand::SetPassword { email, password }) => {
            let id = user_id(core, &email).await?;
            core.set_password(id, &password, None).await.map_err(api)?;
            println!("email={email} password set");
        }
        AdminCommand::User(UserCommand::Disable { email }) => {
            let id = user_id(core, &email).await?;
            core.set_disabled(id, true).await.map_err(api)?;
            println!("email={email} disabled");
        }
        AdminCommand::User(UserCommand::SetQuota { email, bytes }) => {
            let id = user_id(core, &email).await?;
            core.set_quota(id, bytes).await.map_err(api)?;
            println!("email={email} quota={bytes}");
        }
        AdminCommand::User(UserCommand::RevokeSessions { email }) => {
            let id = user_id(core, &email).await?;
            let n = core.revoke_sessions(id).await.map_err(api)?;
            println!("email={email} sessions_revoked={n}");
        }
    }
    Ok(())
}
