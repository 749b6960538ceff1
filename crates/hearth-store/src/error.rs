//! The crate's one error type.

/// Errors of every store operation. Callers match on the domain variants and treat
/// [`StoreError::Other`] as internal (the server maps it to 100 ERROR_INTERNAL).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key is already taken (duplicate e-mail, application id, token hash, …).
    #[error("conflict: the key already exists")]
    Conflict,
    /// The row (or blob) the operation addresses does not exist.
    #[error("not found")]
    NotFound,
    /// Written content does not match the expected SHA-256 or size; nothing was stored.
    #[error("content mismatch: {0}")]
    Mismatch(String),
    /// Anything else: I/O, connection loss, a bug.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// `Result` with [`StoreError`].
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Other(e.into()),
        }
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        StoreError::Other(e.into())
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        StoreError::Other(e.into())
    }
}
