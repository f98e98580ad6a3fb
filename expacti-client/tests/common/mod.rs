//! A fake expacti server for the client's tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use expacti_core::protocol::{ClientMessage, Outcome, ServerMessage};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// A fake server answering every request with `answer(request id, command)`.
pub fn fake_server(answer: fn(&str, &str) -> Vec<ServerMessage>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let (sock, _) = l.accept().await.unwrap();
                tokio::spawn(async move {
                    let mut ws = tokio_tungstenite::accept_async(sock).await.unwrap();
                    while let Some(Ok(m)) = ws.next().await {
                        let Message::Text(t) = m else { continue };
                        if let Ok(ClientMessage::Request { id, command, .. }) =
                            serde_json::from_str::<ClientMessage>(t.as_str())
                        {
                            for a in answer(&id, &command) {
                                let text = serde_json::to_string(&a).unwrap();
                                if ws.send(Message::Text(text.into())).await.is_err() {
                                    return;
                                }
                            }
                        }
                    }
                });
            }
        });
    });
    format!("http://{addr}")
}

pub fn allow(id: &str, sha: String) -> ServerMessage {
    ServerMessage::Decision {
        id: id.into(),
        request: "r1".into(),
        command_sha256: sha,
        outcome: Outcome::Allow,
        why: "fake".into(),
        reviewer: None,
    }
}

pub fn deny(id: &str, why: &str) -> ServerMessage {
    ServerMessage::Decision {
        id: id.into(),
        request: "r".into(),
        command_sha256: String::new(),
        outcome: Outcome::Deny,
        why: why.into(),
        reviewer: Some("alice".into()),
    }
}
