//! `expacti-server`: serve, and the admin commands. Thin: everything lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use expacti_server::api::Role;
use expacti_server::{ServeOptions, Storage, admin};

/// The expacti approval server.
#[derive(Debug, Parser)]
#[command(name = "expacti-server", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args)]
struct StorageArgs {
    /// The data directory (SQLite database, audit signing key).
    #[arg(long, env = "EXPACTI_DATA", default_value = "expacti-data")]
    data: PathBuf,
    /// A database URL (postgres://…); SQLite in the data directory when absent.
    #[arg(long, env = "EXPACTI_DATABASE_URL")]
    database: Option<String>,
}

impl StorageArgs {
    fn storage(&self) -> Storage {
        Storage {
            data: self.data.clone(),
            database: self.database.clone(),
        }
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8800")]
        listen: String,
        #[command(flatten)]
        storage: StorageArgs,
        /// The policy file (TOML); without one every command goes to review.
        #[arg(long)]
        policy: Option<PathBuf>,
        /// The dashboard's public URL, for links in pending answers and notifications.
        #[arg(long)]
        public_url: Option<String>,
        /// Notification settings (TOML: Slack, webhooks, PagerDuty; see docs/notifications.md).
        #[arg(long)]
        notify: Option<PathBuf>,
        /// A waiting request whose shell went away and did not come back for this long is
        /// decided `abandoned` (`90s`, `5m`; at least 1 s).
        #[arg(long, default_value = "60s", value_parser = abandon_period)]
        abandon_after: std::time::Duration,
    },
    /// Shell tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Reviewers.
    #[command(subcommand)]
    Reviewer(ReviewerCmd),
    /// The audit signing key.
    #[command(subcommand)]
    Key(KeyCmd),
}

#[derive(Debug, Subcommand)]
enum KeyCmd {
    /// Replace the audit signing key with a new one (the old file is kept beside it as
    /// `audit-signing.key.retired-MILLIS`). Restart every replica with the new file; pin both
    /// public keys when verifying exports that span the rotation.
    Rotate {
        /// The data directory holding `audit-signing.key`.
        #[arg(long, env = "EXPACTI_DATA", default_value = "expacti-data")]
        data: PathBuf,
    },
}

fn abandon_period(s: &str) -> Result<std::time::Duration, String> {
    match expacti_core::policy::parse_duration(s) {
        Some(n) if n >= 1 => Ok(std::time::Duration::from_secs(n)),
        _ => Err(format!(
            "`{s}` is not a duration of at least 1 s (`90s`, `5m`)"
        )),
    }
}

#[derive(Debug, Subcommand)]
enum TokenCmd {
    /// Create a shell token; it is printed once.
    Create {
        #[arg(long)]
        name: String,
        /// Limit the token to one repository.
        #[arg(long)]
        repository: Option<String>,
        /// Limit the token to one environment.
        #[arg(long)]
        environment: Option<String>,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// List shell tokens (never their secrets).
    List {
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Revoke a shell token by id or name.
    Revoke {
        which: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Debug, Subcommand)]
enum ReviewerCmd {
    /// Add a reviewer; the password is read from standard input (one line) or generated.
    Add {
        #[arg(long)]
        name: String,
        /// admin, reviewer or viewer.
        #[arg(long, default_value = "reviewer")]
        role: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Remove a reviewer and revoke their API tokens.
    Remove {
        #[arg(long)]
        name: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Reviewer API tokens.
    #[command(subcommand)]
    Token(ReviewerTokenCmd),
}

#[derive(Debug, Subcommand)]
enum ReviewerTokenCmd {
    /// Create an API token for a reviewer; it is printed once.
    Create {
        /// The reviewer.
        #[arg(long)]
        name: String,
        /// A label for the token.
        #[arg(long, default_value = "api")]
        label: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

fn main() -> ExitCode {
    // Structured logs on standard error: `EXPACTI_LOG` filters (default `info`),
    // `EXPACTI_LOG_FORMAT=json` writes one JSON object a line. Tokens, passwords and
    // commands' secrets are never logged; request ids are.
    let filter = tracing_subscriber::EnvFilter::try_from_env("EXPACTI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("EXPACTI_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().init();
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    let cli = Cli::parse();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("expacti-server: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("expacti-server: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            listen,
            storage,
            policy,
            public_url,
            notify,
            abandon_after,
        } => {
            expacti_server::serve(ServeOptions {
                listen,
                storage: storage.storage(),
                policy,
                public_url,
                notify,
                clock: expacti_server::time::Clock::default(),
                abandon_after,
            })
            .await?;
        }
        Command::Token(TokenCmd::Create {
            name,
            repository,
            environment,
            storage,
        }) => {
            let db = storage.storage().open().await?;
            let (id, token) = admin::create_shell_token(
                &db,
                &name,
                repository.as_deref(),
                environment.as_deref(),
            )
            .await?;
            eprintln!("created shell token `{name}` (id {id}); it is shown once:");
            println!("{token}");
        }
        Command::Token(TokenCmd::List { storage }) => {
            let db = storage.storage().open().await?;
            for l in admin::list_shell_tokens(&db).await? {
                println!("{l}");
            }
        }
        Command::Token(TokenCmd::Revoke { which, storage }) => {
            let db = storage.storage().open().await?;
            admin::revoke_shell_token(&db, &which)
                .await
                .with_context(|| format!("no active token `{which}`"))?;
            eprintln!("revoked `{which}`");
        }
        Command::Reviewer(ReviewerCmd::Add {
            name,
            role,
            password_stdin,
            storage,
        }) => {
            let role = Role::parse(&role)
                .with_context(|| format!("`{role}`: expected admin, reviewer or viewer"))?;
            let db = storage.storage().open().await?;
            let password = if password_stdin {
                let mut l = String::new();
                std::io::stdin().read_line(&mut l)?;
                l.trim_end_matches(['\n', '\r']).to_string()
            } else {
                expacti_core::audit::hex(&expacti_server::auth::random_bytes::<12>()?)
            };
            anyhow::ensure!(
                password.len() >= 8,
                "the password must be at least 8 characters"
            );
            admin::add_reviewer(&db, &name, role, &password).await?;
            if password_stdin {
                eprintln!("added reviewer `{name}`");
            } else {
                eprintln!("added reviewer `{name}`; its password is shown once:");
                println!("{password}");
            }
        }
        Command::Reviewer(ReviewerCmd::Remove { name, storage }) => {
            let db = storage.storage().open().await?;
            admin::remove_reviewer(&db, &name)
                .await
                .with_context(|| format!("no reviewer `{name}`"))?;
            eprintln!("removed reviewer `{name}`");
        }
        Command::Reviewer(ReviewerCmd::Token(ReviewerTokenCmd::Create {
            name,
            label,
            storage,
        })) => {
            let db = storage.storage().open().await?;
            let token = admin::create_api_token(&db, &name, &label).await?;
            eprintln!("created an API token for `{name}`; it is shown once:");
            println!("{token}");
        }
        Command::Key(KeyCmd::Rotate { data }) => {
            let (old, new) = expacti_server::rotate_signing_key(&data)?;
            eprintln!(
                "rotated the audit signing key; restart every replica, then verify exports with \
                 `expacti audit verify --key OLD --key NEW`"
            );
            println!("old {old}\nnew {new}");
        }
    }
    Ok(())
}
