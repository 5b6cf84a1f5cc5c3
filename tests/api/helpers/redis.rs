//! A real Redis for the tests: the machine's at 127.0.0.1:6379 (or
//! `TEST_REDIS_URL`), else Debian's `redis-server` started on a free port
//! for the run. Each test writes below a key prefix of its own. With no
//! Redis at all, a test that needs one fails saying so: never skipped.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

pub struct TestRedis {
    pub address: SocketAddr,
    _server: Option<super::Running>,
}

impl TestRedis {
    pub fn url(&self) -> String {
        format!("redis://{}/0", self.address)
    }
}

/// Whether something answers PING at `address`.
fn answers(address: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(300)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

/// The suite's Redis (started at most once).
pub fn redis() -> &'static TestRedis {
    static REDIS: OnceLock<TestRedis> = OnceLock::new();
    REDIS.get_or_init(|| {
        let wanted = std::env::var("TEST_REDIS_URL").unwrap_or("redis://127.0.0.1:6379".into());
        let address = wanted
            .trim_start_matches("redis://")
            .split('/')
            .next()
            .and_then(|a| a.parse().ok());
        if let Some(address) = address.filter(|a| answers(*a)) {
            return TestRedis {
                address,
                _server: None,
            };
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        if std::process::Command::new("redis-server").arg("--version").output().is_err() {
            panic!("no Redis answers at {wanted} and there is no redis-server to start; install Debian's redis-server");
        }
        // A static is never dropped: a watcher stops this Redis once the
        // test process is gone, so that none outlives the run.
        let script = format!(
            "redis-server --port {port} --bind 127.0.0.1 --save '' --appendonly no & r=$!; \
             while kill -0 {} 2>/dev/null; do sleep 0.5; done; kill $r",
            std::process::id()
        );
        let server = std::process::Command::new("sh")
            .args(["-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map(super::Running::from_child)
            .unwrap_or_else(|e| panic!("cannot start redis-server: {e}"));
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        for _ in 0..100 {
            if answers(address) {
                return TestRedis {
                    address,
                    _server: Some(server),
                };
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server started on port {port} but does not answer PING");
    })
}

/// One command to Redis, its reply as text (test set-up and inspection).
pub fn redis_command(parts: &[&str]) -> String {
    let mut stream = TcpStream::connect(redis().address).expect("connect to Redis");
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let mut request = format!("*{}\r\n", parts.len());
    for part in parts {
        request.push_str(&format!("${}\r\n{part}\r\n", part.len()));
    }
    stream.write_all(request.as_bytes()).expect("send to Redis");
    let mut reply = [0u8; 512];
    let n = stream.read(&mut reply).unwrap_or(0);
    String::from_utf8_lossy(&reply[..n]).into_owned()
}

/// A key prefix no other test uses.
pub fn key_prefix(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("test-{test}-{}-{nanos}", std::process::id())
}
