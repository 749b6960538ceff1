//! `hearth serve` and `hearth admin …`. See README.md for the commands and config.rs for the
//! configuration table.

mod admin;
mod config;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use config::Config;
use hearth_core::Core;

#[derive(Parser)]
#[command(
    name = "hearth",
    version,
    about = "A self-hosted server speaking the MediaFire Core API 1.5"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Manage users and applications (works while the server runs).
    Admin {
        #[command(flatten)]
        store: StoreArgs,
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
}

/// Where the data lives: shared by `serve` and every admin command.
#[derive(Args, Clone, Default)]
pub struct StoreArgs {
    /// Data directory (SQLite database, blobs).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// PostgreSQL URL for metadata instead of SQLite.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Configuration file (default: ./hearth.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks one).
    #[arg(long)]
    listen: Option<String>,
    /// PEM certificate chain (with --tls-key).
    #[arg(long)]
    tls_cert: Option<PathBuf>,
    /// PEM private key (with --tls-cert).
    #[arg(long)]
    tls_key: Option<PathBuf>,
    /// Serve TLS with a generated certificate for 127.0.0.1/localhost (written to DATA/tls/).
    #[arg(long)]
    tls_self_signed: bool,
}

impl StoreArgs {
    fn overrides(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        if let Some(d) = &self.data_dir {
            m.insert("data_dir".into(), d.display().to_string());
        }
        if let Some(u) = &self.database_url {
            m.insert("database_url".into(), u.clone());
        }
        m
    }

    fn load(&self, extra: BTreeMap<String, String>) -> anyhow::Result<Config> {
        let mut cli = self.overrides();
        cli.extend(extra);
        Config::load(self.config.as_deref(), cli)
    }
}

/// Opens the metadata store the configuration names.
async fn open_core(config: &Config) -> anyhow::Result<Core> {
    let db = match config.database_url() {
        Some(url) => hearth_store::Db::connect(url).await?,
        None => hearth_store::Db::open_data_dir(&config.data_dir()).await?,
    };
    let blobs = hearth_store::blob::LocalBlobStore::new(config.data_dir().join("blobs"))?;
    Ok(Core::new(
        db,
        config.settings()?,
        std::sync::Arc::new(blobs),
    ))
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Admin { store, command } => {
            let config = store.load(BTreeMap::new())?;
            init_logging("warn");
            let core = open_core(&config).await?;
            admin::run(&core, command).await?;
            core.announce_changes()
                .await
                .map_err(|e| anyhow::anyhow!("notifying a running server: {}", e.message))
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut flags = BTreeMap::new();
    if let Some(l) = &args.listen {
        flags.insert("listen".to_string(), l.clone());
    }
    if let Some(c) = &args.tls_cert {
        flags.insert("tls_cert".to_string(), c.display().to_string());
    }
    if let Some(k) = &args.tls_key {
        flags.insert("tls_key".to_string(), k.display().to_string());
    }
    if args.tls_self_signed {
        flags.insert("tls_self_signed".to_string(), "true".to_string());
    }
    let config = args.store.load(flags)?;
    init_logging(config.get("log"));
    // With SQLite, one server process owns the data directory: sessions live in its memory
    // (hearth-core's session_cache). Admin commands do not take this lock.
    let _lock = match config.database_url() {
        Some(_) => None,
        None => Some(lock_data_dir(&config.data_dir())?),
    };
    let core = open_core(&config).await?;
    let boot = core.bootstrap().await?;
    let options = hearth_server::ServerOptions {
        listen: config.listen()?,
        tls: config.tls()?,
        cors_origins: config.cors_origins(),
    };
    let server = hearth_server::bind(&options, core.clone()).await?;
    let addr = server.local_addr()?;
    // Background jobs (large copies, moves, deletes, purges …), also those a previous process
    // left unfinished.
    let _jobs = core.start_jobs();
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on http://{addr}")?;
        if !matches!(options.tls, hearth_server::TlsMode::Off) {
            writeln!(out, "listening on https://{addr} (same port)")?;
        }
        if let (Some(email), Some(pw)) = (&boot.admin_email, &boot.admin_password) {
            writeln!(
                out,
                "created administrator {email} with password {pw} (shown once)"
            )?;
        }
        out.flush()?;
    }
    if let Some(email) = &boot.admin_email {
        tracing::info!(%email, "created the administrator account; its password was printed once on stdout");
    }
    if let Some(app) = boot.created_app {
        tracing::info!(
            application_id = app,
            "created application without an API key"
        );
    }
    if let hearth_server::TlsMode::SelfSigned { cert_out } = &options.tls {
        tracing::info!(cert = %cert_out.display(), "self-signed certificate written");
    }
    tokio::select! {
        r = server.run() => r,
        _ = shutdown_signal() => {
            tracing::info!("shutting down");
            core.flush_sessions().await
        }
    }
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// Holds an exclusive lock on `DIR/hearth.lock` for the life of the process.
fn lock_data_dir(dir: &std::path::Path) -> anyhow::Result<std::fs::File> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("hearth.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(_) => anyhow::bail!(
            "another `hearth serve` is using {} (SQLite mode allows one server process per data directory; use PostgreSQL for several)",
            dir.display()
        ),
    }
}
