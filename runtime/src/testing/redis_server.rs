//! A throwaway `redis-server` for tests of [`RedisDedupe`](crate::dedupe::RedisDedupe).

use std::io;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The environment variable that makes a missing `redis-server` a test failure rather
/// than a skipped test (any value but `0`), as `.ci/run` sets it.
pub const REQUIRE_REDIS_ENV: &str = "WIX_EVENTS_REQUIRE_REDIS";

/// The environment variable naming the folder that servers' working folders go in
/// (the system's temporary folder otherwise). Each holds a `redis.pid`, so that a script
/// can stop the servers a killed test run left behind.
pub const REDIS_DIR_ENV: &str = "WIX_EVENTS_REDIS_DIR";

/// How long a server may take to accept connections.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts on another free port after a port was taken between choosing and binding.
const START_ATTEMPTS: usize = 3;

/// A `redis-server` of its own on 127.0.0.1 and a free port, without persistence, in a
/// fresh folder; killed and its folder removed when dropped.
///
/// ```no_run
/// # async fn demo() {
/// use wix_events_runtime::dedupe::RedisDedupe;
/// use wix_events_runtime::testing::RedisServer;
///
/// let Some(server) = RedisServer::start_or_skip() else { return };
/// let store = RedisDedupe::connect(&server.url()).await.unwrap();
/// # }
/// ```
#[derive(Debug)]
pub struct RedisServer {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl RedisServer {
    /// Starts a server with `redis-server` from `PATH`. An error of kind
    /// [`io::ErrorKind::NotFound`] means that Redis is not installed.
    pub fn start() -> io::Result<Self> {
        let mut last_error = None;
        for _ in 0..START_ATTEMPTS {
            match Self::start_once() {
                Ok(server) => return Ok(server),
                Err(error) if error.kind() == io::ErrorKind::NotFound => return Err(error),
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| io::Error::other("redis-server did not start")))
    }

    /// Starts a server for a test, or returns `None` after printing why the test is
    /// skipped when `redis-server` is not installed.
    ///
    /// # Panics
    ///
    /// When the server cannot start, and when it is not installed while
    /// [`REQUIRE_REDIS_ENV`] is set: a test that needs Redis fails then.
    pub fn start_or_skip() -> Option<Self> {
        match Self::start() {
            Ok(server) => Some(server),
            Err(error) if error.kind() == io::ErrorKind::NotFound && !redis_required() => {
                eprintln!("skipped: redis-server is not installed (set {REQUIRE_REDIS_ENV}=1 to make this a failure)");
                None
            }
            Err(error) => panic!("cannot start redis-server: {error}"),
        }
    }

    fn start_once() -> io::Result<Self> {
        let port = free_port()?;
        let dir = server_dir(port)?;
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .arg("--pidfile")
            .arg(dir.join("redis.pid"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(error) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(error);
            }
        };
        let mut server = Self { child, port, dir };
        server.wait_until_listening()?;
        Ok(server)
    }

    fn wait_until_listening(&mut self) -> io::Result<()> {
        let started = Instant::now();
        while started.elapsed() < STARTUP_TIMEOUT {
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!("redis-server on port {} exited: {status}", self.port)));
            }
            if TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(io::Error::new(io::ErrorKind::TimedOut, format!("redis-server on port {} did not listen", self.port)))
    }

    /// The URL to connect to, `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server at once, as a crash would (it keeps no data); the port stays
    /// closed until something else takes it.
    pub fn stop(&mut self) {
        // Errors mean the process has exited already.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether [`REQUIRE_REDIS_ENV`] asks for Redis.
pub fn redis_required() -> bool {
    std::env::var_os(REQUIRE_REDIS_ENV).is_some_and(|value| value != "0")
}

/// A port nothing listens on right now.
fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}

/// A fresh folder for one server.
fn server_dir(port: u16) -> io::Result<PathBuf> {
    static SERVERS: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::var_os(REDIS_DIR_ENV).map_or_else(std::env::temp_dir, PathBuf::from);
    let n = SERVERS.fetch_add(1, Ordering::Relaxed);
    let dir = base.join(format!("wix-events-redis-{}-{n}-{port}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
