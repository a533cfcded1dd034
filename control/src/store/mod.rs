//! The store: one sea-orm connection pool over SQLite (a file, WAL) or PostgreSQL, migrated at
//! start.

use std::path::Path;
use std::time::Duration;

use rota_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

pub mod entity;
pub mod server_lock;
pub mod settings;

/// The default store: a SQLite file under `./data/`.
pub const DEFAULT_URL: &str = "sqlite://data/rota.db";

/// A migrated connection pool, and the connection writes go through.
#[derive(Debug, Clone)]
pub struct Store {
    /// The pool, for reads (and anything else).
    pub db: DatabaseConnection,
    /// Where write transactions run: on SQLite one connection of its own, so that writers queue
    /// in order in the pool instead of contending for SQLite's lock, whose busy handler sleeps
    /// 1, 2, 5, 10, 15, 20, 25… ms between tries (the tail of a burst of submissions). On
    /// PostgreSQL, the pool.
    writer: DatabaseConnection,
}

impl Store {
    /// Connects to `url` (`sqlite://PATH` or `postgres://…`), creating a SQLite file and its
    /// folder when missing, and runs the migrations.
    pub async fn open(url: &str) -> Result<Self, DbErr> {
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .sqlx_logging(false)
            .acquire_timeout(Duration::from_secs(10));
        let sqlite = sqlite_path(url).is_some();
        if let Some(path) = sqlite_path(url) {
            if let Some(dir) = Path::new(path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
            }
            // One writer at a time is SQLite's rule; WAL lets readers go on meanwhile. NORMAL
            // syncing in WAL mode loses nothing a process crash could take.
            options.max_connections(8).map_sqlx_sqlite_opts(|o| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
            });
        } else {
            options.max_connections(16);
        }
        let db = Database::connect(options.clone()).await?;
        Migrator::up(&db, None).await?;
        let writer = if sqlite {
            options.max_connections(1).min_connections(1);
            Database::connect(options).await?
        } else {
            db.clone()
        };
        Ok(Store { db, writer })
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so that it waits its turn instead of failing when another writer
    /// commits between its first read and its first write.
    pub async fn write(&self) -> Result<DatabaseTransaction, DbErr> {
        self.writer
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            })
            .await
    }

    /// Whether the store answers a trivial query.
    pub async fn ping(&self) -> bool {
        self.db.execute_unprepared("SELECT 1").await.is_ok()
    }

    /// Whether `url` names a PostgreSQL store (one that several servers may share).
    pub fn is_postgres(url: &str) -> bool {
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }

    /// SQLite or PostgreSQL.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.starts_with(":memory:")).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::sqlite_path;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(sqlite_path("sqlite://data/rota.db"), Some("data/rota.db"));
        assert_eq!(
            sqlite_path("sqlite:///tmp/x.db?mode=rwc"),
            Some("/tmp/x.db")
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://localhost/rota"), None);
    }
}
