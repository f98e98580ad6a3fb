//! A TCP forwarder for fault tests: a load balancer in front of replicas (each new connection
//! goes to the next backend that accepts it) and a switch in front of the database (cut: every
//! open connection is dropped and new ones are refused; restore: traffic flows again).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Proxy {
    pub addr: String,
    backends: Arc<Mutex<Vec<String>>>,
    up: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(backends: Vec<String>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let backends = Arc::new(Mutex::new(backends));
        let (up, _) = watch::channel(true);
        let (b, u) = (backends.clone(), up.clone());
        let task = tokio::spawn(async move {
            let mut next = 0usize;
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if !*u.borrow() {
                    drop(client); // Cut: refused.
                    continue;
                }
                let list = b.lock().unwrap().clone();
                next = next.wrapping_add(1);
                let mut rx = u.subscribe();
                tokio::spawn(async move {
                    let mut server = None;
                    for i in 0..list.len() {
                        let target = &list[(next + i) % list.len()];
                        if let Ok(Ok(s)) =
                            tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(target))
                                .await
                        {
                            server = Some(s);
                            break;
                        }
                    }
                    let Some(mut server) = server else {
                        return;
                    };
                    let mut client = client;
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = rx.wait_for(|up| !*up) => {} // Cut: both ends dropped.
                    }
                });
            }
        });
        Proxy {
            addr,
            backends,
            up,
            task,
        }
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.up.send_replace(false);
    }

    /// Lets traffic through again.
    pub fn restore(&self) {
        self.up.send_replace(true);
    }

    /// Where new connections go.
    pub fn set_backends(&self, list: Vec<String>) {
        *self.backends.lock().unwrap() = list;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut();
    }
}
