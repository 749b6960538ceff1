//! Liveness of the metadata database (system/get_status, /healthz).

use crate::Db;

impl Db {
    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(self.pool()).await.is_ok()
    }
}
