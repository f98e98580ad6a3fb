//! Storage: one code path over SQLite (the default, in the data directory) and PostgreSQL,
//! through sqlx's `Any` driver with runtime queries and `$N` placeholders (both accept them).
//! Migrations are plain SQL files that both dialects read, applied at start in order.

use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use crate::error::{AppError, Result};

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The migrations, in order: (version, SQL).
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_run_id.sql")),
    (3, include_str!("../migrations/0003_dismissed.sql")),
    (4, include_str!("../migrations/0004_routing.sql")),
    (5, include_str!("../migrations/0005_attached.sql")),
    (6, include_str!("../migrations/0006_partial_indexes.sql")),
];

/// Set on every SQLite connection.
const SQLITE_PRAGMAS: &[&str] = &[
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA foreign_keys = ON",
    // 8 MiB of page cache a connection (the default is 2 MiB): the indexes every write
    // touches stay in memory.
    "PRAGMA cache_size = -8192",
    // No checkpoint inside a commit (it would copy pages into the database file and fsync it
    // while every writer waits): the background task checkpoints every 500 ms on a
    // connection of its own.
    "PRAGMA wal_autocheckpoint = 0",
];

/// The database.
#[derive(Debug, Clone)]
pub struct Db {
    /// The pool.
    pub pool: AnyPool,
    /// Which database.
    pub backend: Backend,
}

impl Db {
    /// Opens (creating an SQLite file if needed) and migrates the database at `url`.
    pub async fn open(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(AppError::Config(format!(
                "`{url}`: the database URL must start with sqlite: or postgres://"
            )));
        };
        let mut opts = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            // Every write goes through the server's write lock; WAL lets readers go on.
            opts = opts.max_connections(8).after_connect(|conn, _| {
                Box::pin(async move {
                    for pragma in SQLITE_PRAGMAS {
                        sqlx::query(*pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            });
        } else {
            opts = opts.max_connections(16);
        }
        let pool = opts.connect(url).await?;
        let db = Db { pool, backend };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<()> {
        let mut tx = self.begin().await?;
        if self.backend == Backend::Postgres {
            // Replicas starting together migrate one at a time.
            sqlx::query("SELECT pg_advisory_xact_lock(7274856)")
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            .execute(&mut *tx)
            .await?;
        let current: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version")
            .fetch_one(&mut *tx)
            .await?
            .try_get::<i64, _>("v")?;
        for (version, sql) in MIGRATIONS {
            if *version <= current {
                continue;
            }
            for stmt in split_statements(sql) {
                sqlx::query(sqlx::AssertSqlSafe(stmt))
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("INSERT INTO schema_version (version) VALUES ($1)")
                .bind(*version)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Begins a write transaction: `BEGIN IMMEDIATE` on SQLite, so a transaction that reads
    /// and then writes never fails on another process's commit (admin commands run beside
    /// the server); a plain `BEGIN` on PostgreSQL, where rows are locked `FOR UPDATE`.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// `FOR UPDATE` where the database has row locks.
    pub fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Postgres => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// Copies the SQLite write-ahead log into the database without blocking writers; a no-op
    /// on PostgreSQL.
    pub async fn checkpoint_wal(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").fetch_one(&self.pool).await.is_ok()
    }
}

/// Splits a migration into statements at `;` ends of lines (the files hold no `;` inside
/// strings), dropping comment lines.
fn split_statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in sql.lines() {
        let t = line.trim();
        if t.starts_with("--") || t.is_empty() {
            continue;
        }
        cur.push_str(line);
        cur.push('\n');
        if t.ends_with(';') {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

/// Reads an optional text column.
pub fn opt_str(row: &AnyRow, col: &str) -> Result<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

/// Reads a text column.
pub fn str_col(row: &AnyRow, col: &str) -> Result<String> {
    Ok(row.try_get::<String, _>(col)?)
}

/// Reads an integer column.
pub fn int(row: &AnyRow, col: &str) -> Result<i64> {
    Ok(row.try_get::<i64, _>(col)?)
}

/// Reads an optional integer column.
pub fn opt_int(row: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(row.try_get::<Option<i64>, _>(col)?)
}

/// The default SQLite URL for a data directory.
pub fn sqlite_url(dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("expacti.db").display())
}
