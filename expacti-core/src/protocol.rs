//! Wire types of the shell protocol (`/ws/shell`, SPEC §8): JSON text frames, one message each,
//! tagged by `type`. No logic lives here; the server and the client both use these types so
//! they cannot drift apart.
//!
//! A shell sends [`ClientMessage::Request`] with its own request id; the server answers
//! [`ServerMessage::Pending`] when a human must decide, then [`ServerMessage::Decision`]. A
//! shell that reconnects and sends the same request (same id, same command) resumes it. After
//! running an approved command the shell sends [`ClientMessage::Exit`], answered by
//! [`ServerMessage::ExitRecorded`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The longest command the server accepts, in bytes.
pub const MAX_COMMAND: usize = 64 * 1024;
/// The longest frame either side sends, in bytes.
pub const MAX_FRAME: usize = 256 * 1024;
/// The longest client request id.
pub const MAX_ID: usize = 128;

/// What a shell sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Ask to run a command.
    Request {
        /// The client's request id: the same id resumes the same request.
        id: String,
        /// The command line.
        command: String,
        /// Context: source, repository, workflow, run_id, job, step, sha, ref, actor,
        /// environment, host, cwd.
        #[serde(default)]
        context: BTreeMap<String, String>,
        /// How long the shell will wait, in seconds.
        #[serde(default)]
        timeout_secs: Option<u64>,
    },
    /// The command ran and exited with this code.
    Exit {
        /// The client's request id.
        id: String,
        /// The exit code.
        code: i32,
    },
    /// Keep-alive.
    Ping,
}

/// The decision a shell receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Run it.
    Allow,
    /// Do not run it.
    Deny,
    /// Nobody answered in time; do not run it.
    TimedOut,
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// A reviewer must decide; wait.
    Pending {
        /// The client's request id.
        id: String,
        /// The server's request id.
        request: String,
        /// Where a reviewer decides.
        url: String,
        /// Seconds left before the request times out.
        expires_in_secs: u64,
        /// The risk level.
        risk: String,
    },
    /// The decision.
    Decision {
        /// The client's request id.
        id: String,
        /// The server's request id.
        request: String,
        /// SHA-256 (hex) of the exact command the decision is about: a shell runs nothing
        /// unless it equals the hash of the command it asked about.
        command_sha256: String,
        /// What was decided.
        outcome: Outcome,
        /// Why, in words.
        why: String,
        /// Who decided, for a human decision.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reviewer: Option<String>,
    },
    /// The exit code was recorded.
    ExitRecorded {
        /// The client's request id.
        id: String,
    },
    /// Keep-alive answer.
    Pong,
    /// The message could not be handled; the connection stays open unless it was fatal.
    Error {
        /// The client's request id, when the error is about one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// What is wrong.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_have_a_stable_json_form() {
        let m: ClientMessage = serde_json::from_str(
            r#"{"type":"request","id":"a1","command":"ls","context":{"source":"ci"}}"#,
        )
        .unwrap();
        assert_eq!(
            m,
            ClientMessage::Request {
                id: "a1".into(),
                command: "ls".into(),
                context: [("source".to_string(), "ci".to_string())].into(),
                timeout_secs: None,
            }
        );
        assert!(
            serde_json::from_str::<ClientMessage>(
                r#"{"type":"request","id":"a","command":"ls","x":1}"#
            )
            .is_err()
        );
        let d = ServerMessage::Decision {
            id: "a1".into(),
            request: "r".into(),
            command_sha256: "00".into(),
            outcome: Outcome::TimedOut,
            why: "w".into(),
            reviewer: None,
        };
        assert_eq!(
            serde_json::to_string(&d).unwrap(),
            r#"{"type":"decision","id":"a1","request":"r","command_sha256":"00","outcome":"timed_out","why":"w"}"#
        );
    }
}
