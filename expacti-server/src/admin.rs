//! Admin operations on the database: shell tokens, reviewers, reviewer API tokens, and the
//! first admin. They print secrets once, to standard output, and store only hashes.

use std::path::Path;

use crate::api::Role;
use crate::auth;
use crate::db::{self, Db};
use crate::error::{AppError, Result};
use crate::time::{now_ms, rfc3339};

/// Writes a file readable only by its owner.
pub fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o
        .open(path)
        .map_err(|e| AppError::Config(format!("cannot create {}: {e}", path.display())))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.write_all(b"\n"))
        .map_err(|e| AppError::Config(format!("cannot write {}: {e}", path.display())))
}

/// On first use (no reviewers at all) creates the reviewer `admin` with a random password,
/// written to `DATA/initial-admin-password` (mode 0600), and says so on standard error.
/// Every command that opens the storage does this, so `reviewer token create --name admin`
/// works before the first `serve`; of processes racing here, only the one whose insert
/// lands writes the file.
pub async fn ensure_admin(db: &Db, data: &Path) -> Result<()> {
    let n = db::int(
        &sqlx::query("SELECT COUNT(*) AS n FROM reviewers")
            .fetch_one(&db.pool)
            .await?,
        "n",
    )?;
    if n > 0 {
        return Ok(());
    }
    let password = expacti_core::audit::hex(&auth::random_bytes::<12>()?);
    let inserted = sqlx::query(
        "INSERT INTO reviewers (name, password_hash, role, created_at) VALUES ('admin', $1, 'admin', $2) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(auth::hash_password(&password)?)
    .bind(now_ms())
    .execute(&db.pool)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(());
    }
    let path = data.join("initial-admin-password");
    let _ = std::fs::remove_file(&path);
    write_private(&path, &password)?;
    eprintln!(
        "expacti-server: created the reviewer `admin`; its password is in {} (delete the file once \
         you have it). Create an API token with `expacti-server reviewer token create --name admin`.",
        path.display()
    );
    Ok(())
}

/// Adds a reviewer.
pub async fn add_reviewer(db: &Db, name: &str, role: Role, password: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@-".contains(c))
    {
        return Err(AppError::BadRequest(format!(
            "`{name}`: a reviewer name is 1 to 64 letters, digits, `.`, `_`, `@` or `-`"
        )));
    }
    let role_s = match role {
        Role::Admin => "admin",
        Role::Reviewer => "reviewer",
        Role::Viewer => "viewer",
    };
    let hash = auth::hash_password(password)?;
    let n = sqlx::query(
        "INSERT INTO reviewers (name, password_hash, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(hash)
    .bind(role_s)
    .bind(now_ms())
    .execute(&db.pool)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::Conflict(format!(
            "the reviewer `{name}` exists already"
        )));
    }
    Ok(())
}

/// Removes a reviewer and revokes their API tokens.
pub async fn remove_reviewer(db: &Db, name: &str) -> Result<()> {
    let now = now_ms();
    let n =
        sqlx::query("UPDATE reviewers SET removed_at = $1 WHERE name = $2 AND removed_at IS NULL")
            .bind(now)
            .bind(name)
            .execute(&db.pool)
            .await?
            .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE reviewer = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(name)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Creates a reviewer API token; returns the token text (shown once).
pub async fn create_api_token(db: &Db, reviewer: &str, name: &str) -> Result<String> {
    let exists = sqlx::query("SELECT name FROM reviewers WHERE name = $1 AND removed_at IS NULL")
        .bind(reviewer)
        .fetch_optional(&db.pool)
        .await?;
    if exists.is_none() {
        return Err(AppError::BadRequest(format!("no reviewer `{reviewer}`")));
    }
    let (id, token, hash) = auth::new_token(auth::API_PREFIX)?;
    sqlx::query(
        "INSERT INTO api_tokens (id, reviewer, name, hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(reviewer)
    .bind(name)
    .bind(hash)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok(token)
}

/// Creates a shell token; returns (id, token text shown once).
pub async fn create_shell_token(
    db: &Db,
    name: &str,
    repository: Option<&str>,
    environment: Option<&str>,
) -> Result<(String, String)> {
    let (id, token, hash) = auth::new_token(auth::SHELL_PREFIX)?;
    sqlx::query(
        "INSERT INTO shell_tokens (id, name, hash, repository, environment, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(name)
    .bind(hash)
    .bind(repository)
    .bind(environment)
    .bind(now_ms())
    .execute(&db.pool)
    .await?;
    Ok((id, token))
}

/// Shell tokens as lines: id, name, scope, created, revoked. Never the secret.
pub async fn list_shell_tokens(db: &Db) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT id, name, repository, environment, created_at, revoked_at FROM shell_tokens ORDER BY created_at",
    )
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(format!(
                "{}\t{}\trepository={}\tenvironment={}\tcreated={}\t{}",
                db::str_col(r, "id")?,
                db::str_col(r, "name")?,
                db::opt_str(r, "repository")?.unwrap_or_else(|| "*".into()),
                db::opt_str(r, "environment")?.unwrap_or_else(|| "*".into()),
                rfc3339(db::int(r, "created_at")?),
                db::opt_int(r, "revoked_at")?
                    .map(|t| format!("revoked={}", rfc3339(t)))
                    .unwrap_or_else(|| "active".into()),
            ))
        })
        .collect()
}

/// Revokes a shell token by id or name.
pub async fn revoke_shell_token(db: &Db, which: &str) -> Result<u64> {
    let n = sqlx::query(
        "UPDATE shell_tokens SET revoked_at = $1 WHERE (id = $2 OR name = $3) AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(which)
    .bind(which)
    .execute(&db.pool)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(AppError::NotFound);
    }
    Ok(n)
}
