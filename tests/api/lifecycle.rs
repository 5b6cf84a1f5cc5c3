//! The binary's life as an orchestrator sees it: `todoapi probe` for its
//! health checks, and SIGTERM for a rolling restart (serve on for
//! `server.shutdown_drain_secs` closing each connection after its answer,
//! stop accepting, let the requests in flight finish within
//! `server.shutdown_timeout_secs`, exit 0).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::helpers::*;

fn serve(db: &TestDb, jwks: &JwksServer, drain_secs: &str, shutdown_secs: &str) -> (Running, u16) {
    let (child, base) = Running::serve(&[
        ("APP_ENV", "test"),
        ("APP__SERVER__PORT", "0"),
        ("APP__DATABASE__URL", db.url()),
        ("APP__AUTH__JWKS_URI", jwks.uri.as_str()),
        ("APP__AUTH__DEV_ISSUER__ENABLED", "false"),
        ("APP__SERVER__SHUTDOWN_DRAIN_SECS", drain_secs),
        ("APP__SERVER__SHUTDOWN_TIMEOUT_SECS", shutdown_secs),
    ]);
    let port = base
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port");
    (child, port)
}

/// Waits until the server has its keys (ready answers 200).
fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let answer = raw_http(
            port,
            b"GET /api/ready/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        );
        if answer.starts_with("HTTP/1.1 200") {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the server never became ready");
}

fn terminate(child: &Running) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

/// Waits for the process to end; its exit status and how long it took.
fn wait_exit(child: &mut Running, limit: Duration) -> (std::process::ExitStatus, Duration) {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return (status, start.elapsed());
        }
        assert!(start.elapsed() < limit, "still running after {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn refused_soon(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_err() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A POST whose body is only half sent: the request is in flight.
fn half_sent_post(port: u16, body: &str) -> TcpStream {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let head = format!(
        "POST /api/task/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        token(),
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("head");
    stream
        .write_all(&body.as_bytes()[..body.len() / 2])
        .expect("half the body");
    stream
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_in_flight_requests_then_exits_0() {
    let jwks = JwksServer::start(&["k1"]).await;
    let db = TestDb::new();
    let (mut child, port) = serve(&db, &jwks, "1", "10");
    let outcome = tokio::task::spawn_blocking(move || {
        wait_ready(port);
        let body = r#"{"title": "Sent during a restart", "content": "Still saved."}"#;
        let mut in_flight = half_sent_post(port, body);
        std::thread::sleep(Duration::from_millis(200));
        terminate(&child);
        std::thread::sleep(Duration::from_millis(200));
        // Draining: still served, each answer closing its connection...
        let during = raw_http(
            port,
            b"GET /api/health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        );
        // ...then the listener closes...
        let refused = refused_soon(port);
        // ...and still answers the request it has.
        in_flight
            .write_all(&body.as_bytes()[body.len() / 2..])
            .expect("the rest of the body");
        let mut answer = Vec::new();
        let _ = in_flight.read_to_end(&mut answer);
        let (status, _) = wait_exit(&mut child, Duration::from_secs(15));
        let answer = String::from_utf8_lossy(&answer).into_owned();
        (during, refused, answer, status)
    })
    .await
    .expect("the exchange");
    let (during, refused, answer, status) = outcome;
    assert!(during.starts_with("HTTP/1.1 200"), "{during}");
    assert!(
        during.to_ascii_lowercase().contains("connection: close"),
        "{during}"
    );
    assert!(refused, "new connections are refused after SIGTERM");
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(answer.contains("Sent during a restart"), "{answer}");
    assert!(status.success(), "exit status {status:?}");
    assert_eq!(
        count_in(&db, "task WHERE title = 'Sent during a restart'"),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_that_never_ends_holds_the_exit_only_for_the_timeout() {
    let jwks = JwksServer::start(&["k1"]).await;
    let db = TestDb::new();
    let (mut child, port) = serve(&db, &jwks, "0", "1");
    let (status, took) = tokio::task::spawn_blocking(move || {
        wait_ready(port);
        let _stuck = half_sent_post(port, r#"{"title": "never", "content": "finished"}"#);
        std::thread::sleep(Duration::from_millis(200));
        terminate(&child);
        wait_exit(&mut child, Duration::from_secs(10))
    })
    .await
    .expect("the exchange");
    assert!(status.success(), "exit status {status:?}");
    assert!(
        took < Duration::from_secs(5),
        "exited {took:?} after SIGTERM, with a 1 s timeout"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn probe_answers_for_the_running_server() {
    let jwks = JwksServer::start(&["k1"]).await;
    let db = TestDb::new();
    let (mut child, port) = serve(&db, &jwks, "0", "10");
    let port_text = port.to_string();
    let probe = |args: &[&str], port: &str| {
        todoapi(
            args,
            &[
                ("APP_ENV", "test"),
                ("APP__SERVER__PORT", port),
                ("APP__DATABASE__URL", db.url()),
                ("APP__SERVER__HOST", "0.0.0.0"),
            ],
        )
        .output()
        .expect("run probe")
    };
    let done = tokio::task::spawn_blocking(move || wait_ready(port));
    done.await.expect("ready");
    for args in [&["probe"][..], &["probe", "--ready"][..]] {
        let out = probe(args, &port_text);
        assert!(out.status.success(), "{args:?}: {out:?}");
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("HTTP/1.1 200"));
    }
    terminate(&child);
    let _ =
        tokio::task::spawn_blocking(move || wait_exit(&mut child, Duration::from_secs(15))).await;
    let out = probe(&["probe"], &port_text);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot reach 127.0.0.1:"),
        "{out:?}"
    );
}

/// The listening socket's backlog is `server.backlog` (what `ss` reports as
/// Send-Q for a listener), not std's 128.
#[tokio::test]
async fn the_listen_backlog_is_the_setting() {
    for (backlog, expected) in [(None, "2048"), (Some("300"), "300")] {
        let vars: Vec<(&str, &str)> = backlog
            .map(|b| ("APP__SERVER__BACKLOG", b))
            .into_iter()
            .collect();
        let app = spawn_app_with(&vars).await;
        let out = std::process::Command::new("ss")
            .args(["-ltnH", &format!("sport = :{}", app.port)])
            .output()
            .expect("ss (iproute2)");
        let line = String::from_utf8_lossy(&out.stdout).into_owned();
        let send_q = line
            .split_whitespace()
            .nth(2)
            .unwrap_or_default()
            .to_owned();
        assert_eq!(send_q, expected, "{line}");
    }
}
