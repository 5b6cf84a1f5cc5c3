//! Faults: a TCP relay that can be cut, a database that goes away and comes back.

use std::time::Duration;

/// A TCP relay to another server that can be cut (open connections dropped,
/// new ones refused) and restored: a database that goes away and comes back.
pub struct TcpRelay {
    pub port: u16,
    up: tokio::sync::watch::Sender<bool>,
}

impl TcpRelay {
    pub async fn start(target: std::net::SocketAddr) -> TcpRelay {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind relay");
        let port = listener.local_addr().expect("relay address").port();
        let (up, watch) = tokio::sync::watch::channel(true);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("relay runtime");
            rt.block_on(async move {
                listener
                    .set_nonblocking(true)
                    .expect("non-blocking listener");
                let listener = tokio::net::TcpListener::from_std(listener).expect("relay listener");
                loop {
                    let Ok((mut inbound, _)) = listener.accept().await else {
                        continue;
                    };
                    if !*watch.borrow() {
                        continue; // dropped: refused
                    }
                    let mut watch = watch.clone();
                    tokio::spawn(async move {
                        let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                            return;
                        };
                        let cut = async {
                            while *watch.borrow_and_update() {
                                if watch.changed().await.is_err() {
                                    std::future::pending::<()>().await;
                                }
                            }
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = cut => {}
                        }
                    });
                }
            });
        });
        TcpRelay { port, up }
    }

    /// Drops every open connection and refuses new ones until `restore`.
    pub async fn cut(&self) {
        let _ = self.up.send(false);
        // Let the relay's tasks see it and close their sockets.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    pub fn restore(&self) {
        let _ = self.up.send(true);
    }
}
