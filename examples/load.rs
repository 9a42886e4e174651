//! Load, floods and slow clients against the release receiver, measured and checked.
//!
//! ```text
//! scripts/load [--scale 1] [--max-secs 10] [--concurrency 16] [--only webhooks,forged,...]
//! ```
//!
//! `scripts/load` builds `examples/receiver.rs` and this driver in release mode, then runs
//! this with `--receiver target/release/examples/receiver`. The driver makes a fresh RSA
//! key pair and Velo secret, starts the receiver on a free loopback port with its output
//! in a log file, and runs the scenarios one after another, each bounded by a request count
//! (`--scale` multiplies them) and a time limit (`--max-secs`). For each it prints requests,
//! requests/s, status counts, latency p50/p99/max, the receiver's CPU time per request
//! and the driver's own (it shares the cores), the receiver's resident memory (VmRSS from
//! /proc, sampled every 20 ms) before, at peak and after, and the bytes and lines it
//! logged. It then checks what the receiver promises (see [`Checks`]) and exits 1 when
//! something fails, so the run is a test, not only a printout.
//!
//! Loopback only, and Linux only: it reads /proc and sends SIGTERM with `kill`.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{json, Value};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::watch;
use wix_backend_events::dispatch::DEFAULT_DEDUPE_CAPACITY;
use wix_backend_events::testing::{now, webhook_claims, TestAlg, TestSigner};
use wix_backend_events::velo_auth::{VeloSecret, SIGNATURE_HEADER};
use wix_backend_events::{Event, EventSet};

/// The receiver's body limit (`app::Limits::body_bytes`, which has no flag).
const BODY_LIMIT: usize = 1024 * 1024;
/// The limits the driver starts the receiver with: its defaults, passed explicitly so that
/// the checks below and the receiver agree.
const HEADER_TIMEOUT: Duration = Duration::from_secs(2);
const DEADLINE: Duration = Duration::from_millis(1000);
const MAX_CONNECTIONS: usize = 512;
const MAX_IN_FLIGHT: usize = 256;
/// How long Wix waits for a webhook's answer.
const WIX_TIMEOUT: Duration = Duration::from_millis(1250);
/// Longest wait for one exchange before it counts as unanswered.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(15);
/// After a scenario, time for the receiver's once-a-second summary of refusals to land
/// in the log, so that the scenario's log figures include it.
const SETTLE: Duration = Duration::from_millis(1200);
/// Longest log line accepted from the receiver: whatever a sender sends, a line stays short.
const MAX_LOG_LINE: usize = 1024;
/// The Velo event every valid delivery on the main receiver carries: the demo handler
/// logs it with its id, which is how the run checks that nothing acknowledged was lost.
const HANDLED: &str = "wixCrm_onContactDeleted";
const HANDLED_EVENT_TYPE: &str = "wix.contacts.v4.contact_deleted";
/// A Velo event the demo handler does not implement: answered `not_subscribed` without a
/// log line, but still deduplicated (the capacity scenario).
const NOT_SUBSCRIBED: &str = "wixContacts_onLabelDeleted";

/// Drives the receiver with floods, slow clients and a shutdown, and checks its answers,
/// memory and logs.
#[derive(Debug, Parser)]
#[command(name = "load")]
struct Args {
    /// The receiver binary (`cargo build --release --example receiver`).
    #[arg(long, value_name = "PATH")]
    receiver: PathBuf,
    /// Multiplies every scenario's request count (0.1 for a quick try, 10 for a long run).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// Longest time a flood may send for, in seconds; it stops earlier at its count.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    max_secs: u64,
    /// Connections each flood keeps busy at once.
    #[arg(long, value_name = "N", default_value_t = 16)]
    concurrency: usize,
    /// How long the slow-client and connection-limit scenarios last, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 6)]
    slow_secs: u64,
    /// Distinct ids sent once the deduplication store is full.
    #[arg(long, value_name = "N", default_value_t = 20_000)]
    past_capacity: usize,
    /// Longest time the capacity scenario may take to fill the store, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 180)]
    capacity_secs: u64,
    /// How much more a refused request may cost than the valid one it is compared with
    /// (0.1: 10 %), for measurement noise.
    #[arg(long, default_value_t = 0.10)]
    tolerance: f64,
    /// Largest resident memory accepted from the receiver in any scenario, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    max_rss_mib: u64,
    /// Scenarios to run, comma-separated (all by default): webhooks, velo, duplicates,
    /// forged, unknown-names, big-bodies, slow-clients, connection-limit, in-flight-limit,
    /// drain, capacity.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    only: Vec<String>,
    /// Folder for the key, the receivers' logs and results.md (a new one under the
    /// system's temporary folder by default).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
}

const SCENARIOS: [&str; 11] = [
    "webhooks",
    "velo",
    "duplicates",
    "forged",
    "unknown-names",
    "big-bodies",
    "slow-clients",
    "connection-limit",
    "in-flight-limit",
    "drain",
    "capacity",
];

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the selected scenarios; whether every check passed.
async fn run(args: Args) -> Result<bool, String> {
    for name in &args.only {
        if !SCENARIOS.contains(&name.as_str()) {
            return Err(format!("unknown scenario `{name}`; the scenarios are {}", SCENARIOS.join(", ")));
        }
    }
    if !(args.scale > 0.0 && args.scale.is_finite()) || args.concurrency == 0 {
        return Err("--scale must be positive and --concurrency at least 1".to_owned());
    }
    let dir = match &args.work_dir {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("wix-events-load-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir).map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
    eprintln!("load: keys, logs and results in {}", dir.display());

    let signer = Arc::new(TestSigner::generate());
    let key_path = dir.join("public.pem");
    std::fs::write(&key_path, signer.public_key_pem())
        .map_err(|error| format!("cannot write {}: {error}", key_path.display()))?;
    let secret = random_hex(32)?;
    let context = Context::new(&args, dir.clone(), key_path, secret, signer)?;
    let mut report = Report::default();

    let main = context.start_receiver("receiver").await?;
    scenarios_on_main(&context, &main, &mut report).await?;
    finish_main(&context, main, &mut report).await?;
    if context.wants("capacity") {
        let second = context.start_receiver("receiver-capacity").await?;
        capacity(&context, second, &mut report).await?;
    }

    let table = report.markdown();
    let results = dir.join("results.md");
    std::fs::write(&results, &table).map_err(|error| format!("cannot write {}: {error}", results.display()))?;
    println!("\n{table}");
    println!("{}", report.checks.summary());
    eprintln!("load: table written to {}", results.display());
    Ok(report.checks.failed == 0)
}

/// What every scenario needs: the settings, the key and secret, the receiver binary.
struct Context {
    receiver: PathBuf,
    dir: PathBuf,
    key_path: PathBuf,
    secret: String,
    velo: Arc<VeloSecret>,
    signer: Arc<TestSigner>,
    scale: f64,
    max: Duration,
    concurrency: usize,
    slow: Duration,
    past_capacity: usize,
    capacity_max: Duration,
    tolerance: f64,
    max_rss_kib: u64,
    only: Vec<String>,
    ticks_per_second: u64,
}

impl Context {
    fn new(
        args: &Args,
        dir: PathBuf,
        key_path: PathBuf,
        secret: String,
        signer: Arc<TestSigner>,
    ) -> Result<Self, String> {
        let mut only = args.only.clone();
        // Duplicates are the webhook scenario's deliveries sent again.
        if only.iter().any(|name| name == "duplicates") && !only.iter().any(|name| name == "webhooks") {
            only.push("webhooks".to_owned());
        }
        Ok(Self {
            receiver: args.receiver.clone(),
            dir,
            key_path,
            velo: Arc::new(VeloSecret::new(&secret)),
            secret,
            signer,
            scale: args.scale,
            max: Duration::from_secs(args.max_secs.max(1)),
            concurrency: args.concurrency,
            slow: Duration::from_secs(args.slow_secs.max(1)),
            past_capacity: args.past_capacity.max(1),
            capacity_max: Duration::from_secs(args.capacity_secs.max(1)),
            tolerance: args.tolerance.max(0.0),
            max_rss_kib: args.max_rss_mib.saturating_mul(1024),
            only,
            ticks_per_second: clock_ticks_per_second(),
        })
    }

    fn wants(&self, scenario: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|name| name == scenario)
    }

    /// A scenario's request count at this run's scale.
    fn count(&self, base: usize) -> usize {
        ((base as f64) * self.scale).ceil().max(1.0) as usize
    }

    /// Starts the release receiver on a free loopback port, its output going to `<name>.log`.
    async fn start_receiver(&self, name: &str) -> Result<Receiver, String> {
        let log = self.dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).map_err(|error| format!("cannot create {}: {error}", log.display()))?;
        let file2 = file.try_clone().map_err(|error| format!("{}: {error}", log.display()))?;
        let port = free_port()?;
        let mut command = tokio::process::Command::new(&self.receiver);
        command
            .arg("--public-key")
            .arg(&self.key_path)
            .args(["--port", &port.to_string()])
            .args(["--header-timeout-ms", &HEADER_TIMEOUT.as_millis().to_string()])
            .args(["--deadline-ms", &DEADLINE.as_millis().to_string()])
            .args(["--max-connections", &MAX_CONNECTIONS.to_string()])
            .args(["--max-in-flight", &MAX_IN_FLIGHT.to_string()])
            // The secret through the environment, as the README recommends.
            .env("WIX_EVENTS_SECRET", &self.secret)
            .env_remove("WIX_EVENTS_PREVIOUS_SECRET")
            .env_remove("WIX_EVENTS_REDIS_URL")
            .env_remove("WIX_WEBHOOK_PUBLIC_KEY_FILE")
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(file2)
            // A failed run must not leave a receiver behind.
            .kill_on_drop(true);
        let mut child =
            command.spawn().map_err(|error| format!("cannot start {}: {error}", self.receiver.display()))?;
        let pid = child.id().ok_or("the receiver exited at once")?;
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!("the receiver exited with {status}; see {}", log.display()));
            }
            if TcpStream::connect(address).await.is_ok() {
                break;
            }
            if started.elapsed() > Duration::from_secs(10) {
                return Err(format!("the receiver is not listening on {address} after 10 s; see {}", log.display()));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Let the probe connection above be closed and the process settle.
        tokio::time::sleep(Duration::from_millis(300)).await;
        eprintln!("load: {name} (pid {pid}) listening on {address}");
        Ok(Receiver { child, pid, address, log, probe: Probe { pid, ticks_per_second: self.ticks_per_second } })
    }

    /// A valid Velo delivery of `event` with this id, signed now.
    fn velo_request(&self, address: SocketAddr, event: &str, id: &str) -> Vec<u8> {
        let body = json!({"metadata": {"id": id, "entityId": "c-1", "eventTime": "2024-05-01T10:00:00.123Z"}});
        let body = body.to_string().into_bytes();
        let signature = self.velo.sign(event, &body);
        post(address, &format!("/velo/{event}"), "application/json", &[(SIGNATURE_HEADER, &signature)], &body)
    }
}

/// The release receiver running as a child process.
struct Receiver {
    child: tokio::process::Child,
    pid: u32,
    address: SocketAddr,
    log: PathBuf,
    probe: Probe,
}

impl Receiver {
    /// Sends SIGTERM (what container runtimes send on shutdown).
    fn terminate(&self) -> Result<(), String> {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .map_err(|error| format!("cannot run kill: {error}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("kill -TERM {} failed: {status}", self.pid))
        }
    }

    /// Waits for the process to exit; its exit code and how long it took, or `None` if it
    /// was still running after `limit` (then it is killed).
    async fn wait_exit(&mut self, limit: Duration) -> (Option<i32>, Duration) {
        let started = Instant::now();
        match tokio::time::timeout(limit, self.child.wait()).await {
            Ok(Ok(status)) => (status.code(), started.elapsed()),
            _ => {
                let _ = self.child.start_kill();
                (None, started.elapsed())
            }
        }
    }
}

/// Watches the process from now until it exits: how long it took, `None` past 10 s.
fn watch_exit(probe: Probe) -> tokio::task::JoinHandle<Option<Duration>> {
    tokio::spawn(async move {
        let signalled = Instant::now();
        while signalled.elapsed() < Duration::from_secs(10) {
            if probe.exited() {
                return Some(signalled.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        None
    })
}

// ---------------------------------------------------------------------------------------
// Measuring the receiver: memory, CPU, log.

/// What [`Probe::cpu`] read.
enum CpuReading {
    /// CPU nanoseconds by thread id.
    Threads(BTreeMap<u32, u64>),
    /// The process's user and system time, in clock ticks' precision.
    Ticks(Duration),
}

/// Reads one process's figures from /proc.
#[derive(Clone, Copy)]
struct Probe {
    pid: u32,
    ticks_per_second: u64,
}

impl Probe {
    /// A field of /proc/<pid>/status in KiB (`VmRSS`, `VmHWM`).
    fn status_kib(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = status.lines().find(|line| line.starts_with(field) && line[field.len()..].starts_with(':'))?;
        line[field.len() + 1..].split_whitespace().next()?.parse().ok()
    }

    /// A reading of the CPU time used so far by the process's threads, to subtract from a
    /// later one ([`Probe::cpu_since`]): the nanoseconds of /proc/<pid>/task/*/schedstat
    /// by thread, or else the clock ticks of /proc/<pid>/stat, which are too coarse
    /// (10 ms) for short scenarios.
    fn cpu(&self) -> Option<CpuReading> {
        self.scheduled().map(CpuReading::Threads).or_else(|| self.ticks().map(CpuReading::Ticks))
    }

    /// The CPU time used since `before`. By thread: a thread that exits in between (a
    /// runtime's idle blocking thread) takes its time with it rather than making the
    /// sum go backwards; a thread started in between counts from zero.
    fn cpu_since(&self, before: &CpuReading) -> Option<Duration> {
        let nanos = match (before, self.cpu()?) {
            (CpuReading::Threads(before), CpuReading::Threads(now)) => {
                now.iter().map(|(thread, nanos)| nanos.saturating_sub(before.get(thread).copied().unwrap_or(0))).sum()
            }
            (CpuReading::Ticks(before), CpuReading::Ticks(now)) => {
                return Some(now.saturating_sub(*before));
            }
            _ => return None,
        };
        Some(Duration::from_nanos(nanos))
    }

    /// Each live thread's CPU nanoseconds, by thread id.
    fn scheduled(&self) -> Option<BTreeMap<u32, u64>> {
        let tasks = std::fs::read_dir(format!("/proc/{}/task", self.pid)).ok()?;
        let mut threads = BTreeMap::new();
        for task in tasks {
            let task = task.ok()?;
            let thread = task.file_name().to_str()?.parse().ok()?;
            let schedstat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
            threads.insert(thread, schedstat.split_whitespace().next()?.parse::<u64>().ok()?);
        }
        // An exited process has no threads left to count.
        (!threads.is_empty()).then_some(threads)
    }

    fn ticks(&self) -> Option<Duration> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).ok()?;
        // The command name, in parentheses, may hold spaces: count fields after it.
        let (_, after_name) = stat.rsplit_once(')')?;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        // Fields 14 and 15 of stat(5) (utime, stime); `after_name` starts at field 3.
        let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(Duration::from_secs_f64(ticks as f64 / self.ticks_per_second.max(1) as f64))
    }

    /// Whether the process has exited (gone, or a zombie not yet waited for).
    fn exited(&self) -> bool {
        match std::fs::read_to_string(format!("/proc/{}/stat", self.pid)) {
            Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, after)| after.trim_start().starts_with('Z')),
            Err(_) => true,
        }
    }
}

/// Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 on Linux).
fn clock_ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100)
}

/// Samples VmRSS every 20 ms while a scenario runs, keeping the peak.
struct Sampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    fn start(probe: Probe) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(probe.status_kib("VmRSS").unwrap_or(0)));
        let (stopped, highest) = (Arc::clone(&stop), Arc::clone(&peak));
        let task = tokio::spawn(async move {
            while !stopped.load(Ordering::Relaxed) {
                if let Some(rss) = probe.status_kib("VmRSS") {
                    highest.fetch_max(rss, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
        Self { stop, peak, task }
    }

    async fn finish(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        self.peak.load(Ordering::Relaxed)
    }
}

/// What the receiver wrote to its log over a scenario.
#[derive(Debug, Default, Clone, Copy)]
struct LogFigures {
    bytes: u64,
    lines: u64,
    longest_line: usize,
}

/// The log's length now, to measure what a scenario adds.
fn log_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|metadata| metadata.len()).unwrap_or(0)
}

/// Bytes, lines and the longest line written to the log since `from`.
fn log_since(path: &Path, from: u64) -> LogFigures {
    let mut text = Vec::new();
    let read = std::fs::File::open(path)
        .and_then(|mut file| file.seek(SeekFrom::Start(from)).and_then(|_| file.read_to_end(&mut text)));
    if read.is_err() {
        return LogFigures::default();
    }
    let lines = text.split(|byte| *byte == b'\n').filter(|line| !line.is_empty());
    let (count, longest) = lines.fold((0, 0), |(count, longest), line| (count + 1, longest.max(line.len())));
    LogFigures { bytes: text.len() as u64, lines: count, longest_line: longest }
}

/// The receiver's figures over one scenario, shared by the scenario's rows.
#[derive(Debug, Clone, Copy)]
struct Measured {
    elapsed: Duration,
    /// The receiver's CPU time over the scenario.
    cpu: Option<Duration>,
    /// The driver's own CPU time over the scenario: it shares the cores with the
    /// receiver, so a scenario dear to drive slows the receiver's answers.
    driver_cpu: Option<Duration>,
    rss_before: u64,
    rss_peak: u64,
    rss_after: u64,
    log: LogFigures,
}

/// Runs `scenario` while measuring the receiver; its rows and the figures.
async fn measure<F, T>(receiver: &Receiver, scenario: F) -> (T, Measured)
where
    F: std::future::Future<Output = T>,
{
    let probe = receiver.probe;
    let driver = Probe { pid: std::process::id(), ..probe };
    let rss_before = probe.status_kib("VmRSS").unwrap_or(0);
    let cpu_before = probe.cpu();
    let driver_before = driver.cpu();
    let log_before = log_len(&receiver.log);
    let sampler = Sampler::start(probe);
    let started = Instant::now();
    let output = scenario.await;
    let elapsed = started.elapsed();
    let cpu = cpu_before.and_then(|before| probe.cpu_since(&before));
    let driver_cpu = driver_before.and_then(|before| driver.cpu_since(&before));
    tokio::time::sleep(SETTLE).await;
    let rss_peak = sampler.finish().await;
    let rss_after = probe.status_kib("VmRSS").unwrap_or(0);
    let log = log_since(&receiver.log, log_before);
    (output, Measured { elapsed, cpu, driver_cpu, rss_before, rss_peak, rss_after, log })
}

// ---------------------------------------------------------------------------------------
// HTTP/1.1 by hand, over loopback.

/// A POST request with a `Content-Length`, kept alive.
fn post(address: SocketAddr, path: &str, content_type: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    request
}

/// An answer: status, whether the server closes the connection after it, and the body.
#[derive(Debug)]
struct Reply {
    status: u16,
    close: bool,
    body: Vec<u8>,
}

impl Reply {
    fn json_field(&self, field: &str) -> Option<String> {
        let json: Value = serde_json::from_slice(&self.body).ok()?;
        json.get(field)?.as_str().map(str::to_owned)
    }

    fn outcome(&self) -> Option<String> {
        self.json_field("outcome")
    }

    /// The status, the outcome or error, for a failure message.
    fn describe(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text: String = text.chars().take(160).collect();
        format!("{} {text}", self.status)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// Reads one answer; `None` when the server closed the connection without answering.
async fn read_reply<R: AsyncRead + Unpin>(reader: &mut R) -> std::io::Result<Option<Reply>> {
    let invalid = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let mut buffer = Vec::with_capacity(512);
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = find(&buffer, b"\r\n\r\n") {
            break end + 4;
        }
        if buffer.len() > 64 * 1024 {
            return Err(invalid("an answer head over 64 KiB"));
        }
        let read = match reader.read(&mut chunk).await {
            // A reset before any byte is a connection closed without an answer.
            Err(error) if buffer.is_empty() && error.kind() == std::io::ErrorKind::ConnectionReset => 0,
            read => read?,
        };
        if read == 0 {
            return if buffer.is_empty() { Ok(None) } else { Err(invalid("the answer head was cut short")) };
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = std::str::from_utf8(&buffer[..head_end]).map_err(|_| invalid("an answer head that is not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status =
        status_line.split(' ').nth(1).and_then(|code| code.parse().ok()).ok_or_else(|| invalid("no status code"))?;
    let mut length = None;
    let mut close = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_ascii_lowercase());
        match name.as_str() {
            "content-length" => length = value.parse::<usize>().ok(),
            "connection" => close = value == "close",
            _ => {}
        }
    }
    let mut body = buffer.split_off(head_end);
    match length {
        Some(length) => {
            while body.len() < length {
                let read = reader.read(&mut chunk).await?;
                if read == 0 {
                    return Err(invalid("the answer body was cut short"));
                }
                body.extend_from_slice(&chunk[..read]);
            }
            body.truncate(length);
        }
        None => {
            // No length: the body ends with the connection.
            reader.read_to_end(&mut body).await?;
            close = true;
        }
    }
    Ok(Some(Reply { status, close, body }))
}

/// A kept-alive connection, opened again when the server closes it.
struct Connection {
    address: SocketAddr,
    stream: Option<TcpStream>,
}

impl Connection {
    fn new(address: SocketAddr) -> Self {
        Self { address, stream: None }
    }

    /// Sends one request and reads its answer. A kept-alive connection the server closed
    /// in the meantime (nothing read back) is opened again and the request sent once more.
    async fn send(&mut self, request: &[u8]) -> Result<Reply, String> {
        for _ in 0..2 {
            let reused = self.stream.is_some();
            let stream = match &mut self.stream {
                Some(stream) => stream,
                None => {
                    let stream =
                        TcpStream::connect(self.address).await.map_err(|error| format!("cannot connect: {error}"))?;
                    self.stream.insert(stream)
                }
            };
            let exchange = async {
                stream.write_all(request).await?;
                read_reply(stream).await
            };
            let answer = tokio::time::timeout(EXCHANGE_TIMEOUT, exchange).await;
            match answer {
                Ok(Ok(Some(reply))) => {
                    if reply.close {
                        self.stream = None;
                    }
                    return Ok(reply);
                }
                Ok(Ok(None)) | Ok(Err(_)) if reused => self.stream = None,
                Ok(Ok(None)) => {
                    self.stream = None;
                    return Err("connection closed without an answer".to_owned());
                }
                Ok(Err(error)) => {
                    self.stream = None;
                    return Err(error.to_string());
                }
                Err(_) => {
                    self.stream = None;
                    return Err(format!("no answer within {} s", EXCHANGE_TIMEOUT.as_secs()));
                }
            }
        }
        Err("connection closed without an answer, twice".to_owned())
    }
}

/// How a request on its own connection is written.
enum Sending {
    /// All of it at once (while the answer is read, so an early answer is seen).
    All(Vec<u8>),
    /// The first part, then one byte of `filler` every `interval`, never finishing.
    Trickle { first: Vec<u8>, interval: Duration },
    /// The first part; the rest once `gate` turns true. `written` counts first parts sent.
    Gated { first: Vec<u8>, rest: Vec<u8>, gate: watch::Receiver<bool>, written: Arc<AtomicUsize> },
    /// Nothing: an idle connection.
    Nothing,
}

/// One request on a fresh connection, written while the answer is read: the time from
/// the connection to the answer (or to the close) and the answer, `Ok(None)` for a connection
/// closed without one.
async fn exchange_fresh(address: SocketAddr, sending: Sending) -> (Duration, Result<Option<Reply>, String>) {
    let stream = match TcpStream::connect(address).await {
        Ok(stream) => stream,
        Err(error) => return (Duration::ZERO, Err(format!("cannot connect: {error}"))),
    };
    // Timed from the connection on: a connection waiting in the receiver's backlog to be
    // accepted counts, the client's own TCP handshake does not.
    let started = Instant::now();
    let (mut reader, mut writer) = stream.into_split();
    let writing = tokio::spawn(async move {
        // Write errors are expected once the server has answered or closed: the answer
        // (or the close) is what counts.
        match sending {
            Sending::All(bytes) => {
                let _ = writer.write_all(&bytes).await;
            }
            Sending::Trickle { first, interval } => {
                if writer.write_all(&first).await.is_ok() {
                    loop {
                        tokio::time::sleep(interval).await;
                        if writer.write_all(b"a").await.is_err() {
                            break;
                        }
                    }
                }
            }
            Sending::Gated { first, rest, mut gate, written } => {
                if writer.write_all(&first).await.is_ok() {
                    written.fetch_add(1, Ordering::SeqCst);
                    if gate.wait_for(|open| *open).await.is_ok() {
                        let _ = writer.write_all(&rest).await;
                    }
                }
            }
            Sending::Nothing => {}
        }
        // Keep the write half open until the exchange ends: dropping it would half-close
        // the connection, which the server may take as the end of the request.
        std::future::pending::<()>().await;
    });
    let answer = tokio::time::timeout(EXCHANGE_TIMEOUT, read_reply(&mut reader)).await;
    let elapsed = started.elapsed();
    writing.abort();
    let answer = match answer {
        Ok(Ok(reply)) => Ok(reply),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err(format!("no answer or close within {} s", EXCHANGE_TIMEOUT.as_secs())),
    };
    (elapsed, answer)
}

// ---------------------------------------------------------------------------------------
// Floods: many requests, a few connections, counted.

/// Answers and timings of a set of requests.
#[derive(Debug, Default)]
struct Tally {
    /// Count per status; 0 for a connection closed (or refused) without an answer.
    statuses: BTreeMap<u16, u64>,
    latencies: Vec<Duration>,
    failures: u64,
    first_failures: Vec<String>,
    /// Ids of the events answered 200 `handled`.
    handled: Vec<String>,
}

impl Tally {
    fn requests(&self) -> u64 {
        self.statuses.values().sum()
    }

    fn count(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }

    fn fail(&mut self, message: String) {
        self.failures += 1;
        if self.first_failures.len() < 5 {
            self.first_failures.push(message);
        }
    }

    /// Records one exchange, checked with `check`; `unanswered_ok` accepts no answer.
    fn record(
        &mut self,
        id: Option<&str>,
        latency: Duration,
        answer: Result<Option<Reply>, String>,
        check: &Check,
        unanswered_ok: bool,
    ) {
        match answer {
            Ok(Some(reply)) => {
                *self.statuses.entry(reply.status).or_default() += 1;
                self.latencies.push(latency);
                if let Err(message) = check(&reply) {
                    self.fail(format!("{message}: got {}", reply.describe()));
                }
                if let (Some(id), Some("handled")) = (id, reply.outcome().as_deref()) {
                    self.handled.push(id.to_owned());
                }
            }
            Ok(None) | Err(_) if unanswered_ok => *self.statuses.entry(0).or_default() += 1,
            Ok(None) => {
                *self.statuses.entry(0).or_default() += 1;
                self.fail("closed without an answer".to_owned());
            }
            Err(error) => {
                *self.statuses.entry(0).or_default() += 1;
                self.fail(error);
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        for (status, count) in other.statuses {
            *self.statuses.entry(status).or_default() += count;
        }
        self.latencies.extend(other.latencies);
        self.failures += other.failures;
        for message in other.first_failures {
            if self.first_failures.len() < 5 {
                self.first_failures.push(message);
            }
        }
        self.handled.extend(other.handled);
    }

    fn percentile(&self, quantile: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        match sorted.len() {
            0 => Duration::ZERO,
            len => sorted[(((len as f64) * quantile).ceil() as usize).clamp(1, len) - 1],
        }
    }
}

/// What an answer must be.
type Check = dyn Fn(&Reply) -> Result<(), String> + Send + Sync;

/// One request of a flood, and the event id it delivers (for the lost-event check).
struct Planned {
    bytes: Vec<u8>,
    id: Option<String>,
}

/// A flood: `count` requests made by `make` from their index, `concurrency` at a time,
/// for at most `max`.
struct Flood {
    count: usize,
    concurrency: usize,
    max: Duration,
    make: Box<dyn Fn(usize) -> Planned + Send + Sync>,
    check: Box<Check>,
    /// Each request on its own connection, written while the answer is read (for bodies
    /// the server may refuse before reading them); else kept-alive connections.
    fresh: bool,
    /// Stop a connection's requests at the first one unanswered (the server is going away).
    stop_when_unanswered: bool,
    /// Count a connection closed without an answer as such, not as a failure (the server
    /// closes with the request partly unread, and the reset may overtake its answer).
    unanswered_ok: bool,
    /// Each connection waits this long between requests: valid traffic at a steady rate
    /// beside slow clients, rather than as fast as it goes.
    pace: Option<Duration>,
    /// Every request, built before the flood starts (see [`Flood::prepared`]); empty when
    /// each is made by the worker that sends it.
    plans: Vec<Planned>,
}

impl Flood {
    fn new(
        count: usize,
        concurrency: usize,
        max: Duration,
        make: impl Fn(usize) -> Planned + Send + Sync + 'static,
        check: impl Fn(&Reply) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        Self {
            count,
            concurrency,
            max,
            make: Box::new(make),
            check: Box::new(check),
            fresh: false,
            stop_when_unanswered: false,
            unanswered_ok: false,
            pace: None,
            plans: Vec::new(),
        }
    }

    /// Builds every request now, before the flood is measured. For the floods whose
    /// latency is compared: building a request (a random name, its HMAC) takes the
    /// driver's CPU, which shares the cores with the receiver, so requests dearer to build
    /// would look slower to answer. Holds all `count` requests in memory at once.
    fn prepared(mut self) -> Self {
        self.plans = (0..self.count).map(&self.make).collect();
        self
    }

    fn fresh(mut self) -> Self {
        self.fresh = true;
        self
    }

    fn paced(mut self, concurrency: usize, pace: Duration, max: Duration) -> Self {
        self.concurrency = concurrency;
        self.pace = Some(pace);
        self.max = max;
        self
    }

    fn unanswered_ok(mut self) -> Self {
        self.unanswered_ok = true;
        self
    }

    async fn run(self, address: SocketAddr) -> Tally {
        let flood = Arc::new(self);
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let workers: Vec<_> = (0..flood.concurrency.min(flood.count))
            .map(|_| {
                let (flood, next) = (Arc::clone(&flood), Arc::clone(&next));
                tokio::spawn(async move { flood.worker(address, &next, started).await })
            })
            .collect();
        let mut tally = Tally::default();
        for worker in workers {
            match worker.await {
                Ok(part) => tally.merge(part),
                Err(error) => tally.fail(format!("a load task failed: {error}")),
            }
        }
        tally
    }

    /// Sends requests until the count or the time is up: `plans[index]` when the flood is
    /// prepared, else each made here.
    async fn worker(&self, address: SocketAddr, next: &AtomicUsize, started: Instant) -> Tally {
        let mut connection = Connection::new(address);
        let mut tally = Tally::default();
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            if index >= self.count || started.elapsed() >= self.max {
                break;
            }
            let made;
            let Planned { bytes, id } = match self.plans.get(index) {
                Some(planned) => planned,
                None => {
                    made = (self.make)(index);
                    &made
                }
            };
            // A request on a connection of its own is handed over whole: copied before the
            // clock starts.
            let fresh = self.fresh.then(|| Sending::All(bytes.clone()));
            let sent = Instant::now();
            let answer = match fresh {
                Some(sending) => exchange_fresh(address, sending).await.1,
                None => connection.send(bytes).await.map(Some),
            };
            let unanswered = !matches!(answer, Ok(Some(_)));
            let unanswered_ok = self.unanswered_ok || self.stop_when_unanswered;
            tally.record(id.as_deref(), sent.elapsed(), answer, &*self.check, unanswered_ok);
            if unanswered && self.stop_when_unanswered {
                break;
            }
            if let Some(pace) = self.pace {
                tokio::time::sleep(pace).await;
            }
        }
        tally
    }
}

/// An answer of this status, and with this outcome when given.
fn expect(status: u16, outcome: Option<&'static str>) -> impl Fn(&Reply) -> Result<(), String> + Send + Sync {
    move |reply: &Reply| {
        let outcome_matches = outcome.is_none_or(|outcome| reply.outcome().as_deref() == Some(outcome));
        if reply.status == status && outcome_matches {
            Ok(())
        } else {
            Err(format!("expected {status}{}", outcome.map(|outcome| format!(" {outcome}")).unwrap_or_default()))
        }
    }
}

/// An answer with one of these statuses.
fn expect_any(statuses: &'static [u16]) -> impl Fn(&Reply) -> Result<(), String> + Send + Sync {
    move |reply: &Reply| {
        if statuses.contains(&reply.status) {
            Ok(())
        } else {
            Err(format!("expected one of {statuses:?}"))
        }
    }
}

// ---------------------------------------------------------------------------------------
// The report: rows and checks.

/// One line of the table.
struct Row {
    scenario: String,
    tally: Tally,
    measured: Measured,
    /// Rows measured at the same time as the one above share its receiver figures, which
    /// are printed once.
    shared: bool,
}

impl Row {
    fn rate(&self) -> f64 {
        self.tally.requests() as f64 / self.measured.elapsed.as_secs_f64().max(1e-9)
    }

    /// The receiver's CPU time per request, in microseconds.
    fn cpu_per_request(&self) -> Option<f64> {
        self.per_request(self.measured.cpu)
    }

    /// The driver's CPU time per request, in microseconds.
    fn driver_cpu_per_request(&self) -> Option<f64> {
        self.per_request(self.measured.driver_cpu)
    }

    fn per_request(&self, cpu: Option<Duration>) -> Option<f64> {
        let requests = self.tally.requests();
        if requests == 0 || self.shared {
            return None;
        }
        cpu.map(|cpu| cpu.as_secs_f64() * 1e6 / requests as f64)
    }
}

/// The outcome of the checks.
#[derive(Default)]
struct Checks {
    passed: u64,
    failed: u64,
    lines: Vec<String>,
}

impl Checks {
    fn check(&mut self, ok: bool, what: impl Into<String>) {
        let what = what.into();
        let line = format!("{} {what}", if ok { "ok  " } else { "FAIL" });
        eprintln!("  {line}");
        self.lines.push(line);
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
    }

    fn summary(&self) -> String {
        let mut text = String::from("Checks:\n");
        for line in &self.lines {
            let _ = writeln!(text, "  {line}");
        }
        let _ = write!(text, "{} passed, {} failed", self.passed, self.failed);
        text
    }
}

#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    checks: Checks,
    /// Ids answered 200 `handled` by the main receiver: each must be in its log.
    acknowledged: Vec<String>,
}

impl Report {
    /// Adds the rows of one measured scenario, prints them and checks what every scenario
    /// must meet: the failures its requests met, memory under the bound, short log lines,
    /// and, for scenarios of refused requests only, a bounded number of log lines.
    fn add(&mut self, context: &Context, rows: Vec<(String, Tally)>, measured: Measured, refusals_only: bool) {
        let Some(first) = rows.first().map(|(scenario, _)| scenario.clone()) else { return };
        for (index, (scenario, mut tally)) in rows.into_iter().enumerate() {
            self.acknowledged.append(&mut tally.handled);
            let row = Row { scenario, tally, measured, shared: index > 0 };
            eprintln!("{}", row_text(&row));
            let ok = row.tally.failures == 0;
            let mut what = format!("{}: every answer as expected", row.scenario);
            if !ok {
                let _ = write!(what, " ({} not: {})", row.tally.failures, row.tally.first_failures.join("; "));
            }
            self.checks.check(ok, what);
            self.rows.push(row);
        }
        self.checks.check(
            measured.rss_peak <= context.max_rss_kib,
            format!("{first}: peak RSS {} MiB within {} MiB", mib(measured.rss_peak), mib(context.max_rss_kib)),
        );
        self.checks.check(
            measured.log.longest_line <= MAX_LOG_LINE,
            format!("{first}: longest log line {} B within {MAX_LOG_LINE} B", measured.log.longest_line),
        );
        if refusals_only {
            // One line in full, then one summary a second, plus the last one.
            let allowed = (measured.elapsed + SETTLE).as_secs() + 3;
            self.checks.check(
                measured.log.lines <= allowed,
                format!("{first}: {} log lines for refusals, at most {allowed} (one a second)", measured.log.lines),
            );
        }
    }

    /// The row named `scenario`.
    fn row(&self, scenario: &str) -> Option<&Row> {
        self.rows.iter().find(|row| row.scenario == scenario)
    }

    /// Checks that `refused` cost no more than `valid`, in receiver CPU per request and in
    /// median latency, within the tolerance.
    fn no_dearer(&mut self, context: &Context, refused: &str, valid: &str) {
        let (Some(refused_row), Some(valid_row)) = (self.row(refused), self.row(valid)) else { return };
        let factor = 1.0 + context.tolerance;
        let (refused_p50, valid_p50) = (refused_row.tally.percentile(0.5), valid_row.tally.percentile(0.5));
        let p50_ok = refused_p50.as_secs_f64() <= valid_p50.as_secs_f64() * factor;
        let p50_line = format!(
            "{refused}: p50 {} no more than {valid}'s {} (+{:.0} %)",
            millis(refused_p50),
            millis(valid_p50),
            context.tolerance * 100.0
        );
        let cpu = refused_row.cpu_per_request().zip(valid_row.cpu_per_request());
        self.checks.check(p50_ok, p50_line);
        if let Some((refused_cpu, valid_cpu)) = cpu {
            self.checks.check(
                refused_cpu <= valid_cpu * factor,
                format!(
                    "{refused}: {refused_cpu:.0} µs CPU a request, no more than {valid}'s {valid_cpu:.0} µs (+{:.0} %)",
                    context.tolerance * 100.0
                ),
            );
        }
    }

    /// The table, in Markdown.
    fn markdown(&self) -> String {
        let mut table = String::from(
            "| scenario | requests | req/s | statuses | p50 | p99 | max | receiver CPU/req | driver CPU/req | RSS before / peak / after | log |\n\
             |---|---:|---:|---|---:|---:|---:|---:|---:|---|---|\n",
        );
        for row in &self.rows {
            let figures = row_figures(row);
            let _ = writeln!(table, "| {} |", figures.join(" | "));
        }
        table
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

fn millis(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

fn statuses_text(tally: &Tally) -> String {
    let parts: Vec<String> = tally
        .statuses
        .iter()
        .map(|(status, count)| match status {
            0 => format!("closed {count}"),
            status => format!("{status} {count}"),
        })
        .collect();
    parts.join(", ")
}

/// The figures of one row, as the table's cells.
fn row_figures(row: &Row) -> Vec<String> {
    let tally = &row.tally;
    let measured = &row.measured;
    let micros = |cpu: Option<f64>| cpu.map(|cpu| format!("{cpu:.0} µs")).unwrap_or_else(|| "-".to_owned());
    let (cpu, driver_cpu, rss, log) = if row.shared {
        ("″".to_owned(), "″".to_owned(), "″".to_owned(), "″".to_owned())
    } else {
        (
            micros(row.cpu_per_request()),
            micros(row.driver_cpu_per_request()),
            match measured.rss_after {
                0 => format!("{} / {} MiB / exited", mib(measured.rss_before), mib(measured.rss_peak)),
                after => format!("{} / {} / {} MiB", mib(measured.rss_before), mib(measured.rss_peak), mib(after)),
            },
            format!("{} B, {} lines", measured.log.bytes, measured.log.lines),
        )
    };
    vec![
        row.scenario.clone(),
        tally.requests().to_string(),
        format!("{:.0}", row.rate()),
        statuses_text(tally),
        millis(tally.percentile(0.5)),
        millis(tally.percentile(0.99)),
        millis(tally.percentile(1.0)),
        cpu,
        driver_cpu,
        rss,
        log,
    ]
}

fn row_text(row: &Row) -> String {
    let cells = row_figures(row);
    format!(
        "{:<44} {:>7} {:>7}/s  [{}]  p50 {} p99 {} max {}  cpu {} (driver {})  rss {}  log {}",
        cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], cells[6], cells[7], cells[8], cells[9], cells[10]
    )
}

// ---------------------------------------------------------------------------------------
// The scenarios.

/// Everything run against the main receiver, in order.
async fn scenarios_on_main(context: &Context, receiver: &Receiver, report: &mut Report) -> Result<(), String> {
    let address = receiver.address;
    let concurrency = context.concurrency;

    // (1) Valid webhooks, each a distinct event id. RSA signing is slow (about a
    // millisecond), so the tokens are signed before the clock starts.
    let webhooks = if context.wants("webhooks") {
        let count = context.count(10_000);
        eprintln!("load: signing {count} webhooks");
        Arc::new(sign_webhooks(&context.signer, count, "load-w", 0).await?)
    } else {
        Arc::new(Vec::new())
    };
    if context.wants("webhooks") {
        eprintln!("load: webhooks");
        let tokens = Arc::clone(&webhooks);
        let flood = Flood::new(
            tokens.len(),
            concurrency,
            context.max,
            move |index| {
                let (id, token) = &tokens[index];
                Planned { bytes: post(address, "/webhook", "text/plain", &[], token.as_bytes()), id: Some(id.clone()) }
            },
            expect(200, Some("handled")),
        );
        let (tally, measured) = measure(receiver, flood.run(address)).await;
        report.add(context, vec![("webhooks, distinct ids".to_owned(), tally)], measured, false);
    }

    // (1b) Valid Velo events, each a distinct id: the baseline for Velo refusals.
    if context.wants("velo") || context.wants("unknown-names") {
        eprintln!("load: velo");
        let flood = velo_flood(context, address, "load-v", context.count(50_000), 0).prepared();
        let (tally, measured) = measure(receiver, flood.run(address)).await;
        report.add(context, vec![("velo events, distinct ids".to_owned(), tally)], measured, false);
    }

    // (2) The same webhook deliveries again: answered 200 duplicate, handled once.
    if context.wants("duplicates") && !webhooks.is_empty() {
        eprintln!("load: duplicates");
        let tokens = Arc::clone(&webhooks);
        let flood = Flood::new(
            context.count(20_000),
            concurrency,
            context.max,
            move |index| {
                let (_, token) = &tokens[index % tokens.len()];
                Planned { bytes: post(address, "/webhook", "text/plain", &[], token.as_bytes()), id: None }
            },
            expect(200, Some("duplicate")),
        );
        let (tally, measured) = measure(receiver, flood.run(address)).await;
        report.add(context, vec![("webhooks again (duplicates)".to_owned(), tally)], measured, false);
    }

    // (3) Forged, expired and malformed deliveries on both routes.
    if context.wants("forged") {
        eprintln!("load: forged");
        let forgeries = Arc::new(forgeries(context, address)?);
        let shared = Arc::clone(&forgeries);
        let flood = Flood::new(
            context.count(20_000),
            concurrency,
            context.max,
            move |index| Planned { bytes: shared[index % shared.len()].clone(), id: None },
            expect_any(&[400, 401]),
        );
        let (tally, measured) = measure(receiver, flood.run(address)).await;
        report.add(context, vec![("forged tokens and signatures".to_owned(), tally)], measured, true);
        report.no_dearer(context, "forged tokens and signatures", "webhooks, distinct ids");
    }

    if context.wants("unknown-names") {
        unknown_names(context, receiver, report).await;
    }
    if context.wants("big-bodies") {
        big_bodies(context, receiver, report).await?;
    }
    if context.wants("slow-clients") {
        slow_clients(context, receiver, report).await;
    }
    if context.wants("connection-limit") {
        connection_limit(context, receiver, report).await;
    }
    if context.wants("in-flight-limit") {
        in_flight_limit(context, receiver, report).await;
    }
    Ok(())
}

/// `count` valid Velo deliveries of the handled event, ids `<prefix>-<n>`, bodies padded
/// by `padding(index)` bytes.
fn velo_flood(context: &Context, address: SocketAddr, prefix: &'static str, count: usize, padding: usize) -> Flood {
    let velo = Arc::clone(&context.velo);
    velo_flood_with(context, address, prefix, count, HANDLED, move |_| padding, velo, expect(200, Some("handled")))
}

#[allow(clippy::too_many_arguments)] // the scenarios' one way of making Velo floods
fn velo_flood_with(
    context: &Context,
    address: SocketAddr,
    prefix: &'static str,
    count: usize,
    event: &'static str,
    padding: impl Fn(usize) -> usize + Send + Sync + 'static,
    velo: Arc<VeloSecret>,
    check: impl Fn(&Reply) -> Result<(), String> + Send + Sync + 'static,
) -> Flood {
    let make = move |index: usize| {
        let id = format!("{prefix}-{index}");
        let mut body = json!({"metadata": {"id": id, "entityId": "c-1", "eventTime": "2024-05-01T10:00:00.123Z"}});
        let padding = padding(index);
        if padding > 0 {
            body["padding"] = Value::String("x".repeat(padding));
        }
        let body = body.to_string().into_bytes();
        let signature = velo.sign(event, &body);
        let bytes =
            post(address, &format!("/velo/{event}"), "application/json", &[(SIGNATURE_HEADER, &signature)], &body);
        Planned { bytes, id: Some(id) }
    };
    Flood::new(count, context.concurrency, context.max, make, check)
}

/// The domain event of a contact deletion with this id, padded by a field of `padding`
/// bytes.
fn contact_deleted(id: &str, padding: usize) -> Value {
    let mut body = json!({
        "id": id,
        "entityFqdn": "wix.contacts.v4.contact",
        "slug": "deleted",
        "entityId": "c-1",
        "deletedEvent": {},
        "eventTime": "2024-05-01T10:00:00.123456Z",
    });
    if padding > 0 {
        body["padding"] = Value::String("x".repeat(padding));
    }
    body
}

/// `count` signed webhooks with ids `<prefix>-<n>`, on every core: (id, token) pairs.
async fn sign_webhooks(
    signer: &Arc<TestSigner>,
    count: usize,
    prefix: &'static str,
    padding: usize,
) -> Result<Vec<(String, String)>, String> {
    let threads = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
    let tasks: Vec<_> = (0..threads)
        .map(|thread| {
            let signer = Arc::clone(signer);
            tokio::task::spawn_blocking(move || {
                (thread..count)
                    .step_by(threads)
                    .map(|index| {
                        let id = format!("{prefix}-{index}");
                        let token =
                            signer.sign_webhook(HANDLED_EVENT_TYPE, "instance-1", &contact_deleted(&id, padding), None);
                        (index, id, token)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut signed = Vec::with_capacity(count);
    for task in tasks {
        signed.extend(task.await.map_err(|error| format!("a signing task failed: {error}"))?);
    }
    signed.sort_by_key(|(index, _, _)| *index);
    Ok(signed.into_iter().map(|(_, id, token)| (id, token)).collect())
}

/// Requests the receiver must refuse with 400 or 401, of every kind it checks.
fn forgeries(context: &Context, address: SocketAddr) -> Result<Vec<Vec<u8>>, String> {
    let signer = &context.signer;
    let webhook = |token: &str| post(address, "/webhook", "text/plain", &[], token.as_bytes());
    let valid = signer.sign_webhook(HANDLED_EVENT_TYPE, "instance-1", &contact_deleted("load-forged", 0), None);
    let (unsigned, signature) = valid.rsplit_once('.').ok_or("a signed token without a signature")?;
    // One character changed in the middle of the signature (the last may carry only
    // padding bits).
    let mut altered = signature.to_owned().into_bytes();
    let middle = altered.len() / 2;
    altered[middle] = if altered[middle] == b'A' { b'B' } else { b'A' };
    let altered = format!("{unsigned}.{}", String::from_utf8_lossy(&altered));
    let claims = |iat: u64, exp: u64| {
        webhook_claims(HANDLED_EVENT_TYPE, "instance-1", &contact_deleted("load-forged", 0), None, iat, exp)
    };
    let other_key = TestSigner::generate();
    let fresh = claims(now(), now() + 300);
    let body = br#"{"metadata":{"id":"load-forged","entityId":"c-1"}}"#;
    let wrong_secret = VeloSecret::new("not-the-secret-0123456789abcdef0123").sign(HANDLED, body);
    let stale = context.velo.sign_at(now().saturating_sub(3600) as i64, HANDLED, body);
    let velo = |signature: Option<&str>| {
        let headers: Vec<(&str, &str)> = signature.map(|value| (SIGNATURE_HEADER, value)).into_iter().collect();
        post(address, &format!("/velo/{HANDLED}"), "application/json", &headers, body)
    };
    Ok(vec![
        webhook(&altered),
        webhook(&other_key.sign_claims(&fresh, TestAlg::Rs256)),
        webhook(&signer.sign_claims(&fresh, TestAlg::Unsigned)),
        webhook(&signer.sign_claims(&fresh, TestAlg::Hs256(signer.public_key_pem().as_bytes().to_vec()))),
        webhook(&signer.sign_claims(&claims(now() - 7200, now() - 3600), TestAlg::Rs256)),
        webhook("eyJhbGciOiJSUzI1NiJ9.not-base64-json.c2lnbmF0dXJl"),
        webhook(&"A".repeat(600)),
        velo(Some(&wrong_secret)),
        velo(None),
        velo(Some(&stale)),
        velo(Some("t=oops,v1=zz")),
    ])
}

/// A small deterministic generator (xorshift64*), so that runs send the same names.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// A Velo handler name of `length` bytes that no event has: every other one a near miss of
/// a real name (the suggestion's hardest case), the others random letters.
fn unknown_name(length: usize, seed: u64) -> String {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_";
    const NEAR: [&str; 3] =
        ["wixCrm_onContactCreated", "wixEcom_onOrderPaymentStatusUpdated", "wixBadges_onBadgeAssigned"];
    let mut random = Random(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let mut name: Vec<u8> =
        if seed.is_multiple_of(2) { NEAR[(seed / 2 % 3) as usize].as_bytes().to_vec() } else { Vec::new() };
    name.truncate(length);
    while name.len() < length {
        name.push(LETTERS[(random.next() % LETTERS.len() as u64) as usize]);
    }
    // Change one letter, so that a near miss of full length is not the real name.
    if let Some(last) = name.last_mut() {
        *last = if *last == b'Q' { b'Z' } else { b'Q' };
    }
    let name = String::from_utf8_lossy(&name).into_owned();
    if Event::by_velo_handler(&name).is_some() {
        format!("{}Q", &name[..name.len().saturating_sub(1)])
    } else {
        name
    }
}

/// The length of the `index`-th request of `count` spread evenly over `lengths`: every
/// length once `count` reaches the band's size, cycling beyond.
fn spread(index: usize, count: usize, lengths: std::ops::RangeInclusive<usize>) -> usize {
    let (low, high) = (*lengths.start(), *lengths.end());
    let band = high - low + 1;
    if count >= band {
        low + index % band
    } else {
        low + index * (band - 1) / (count - 1).max(1)
    }
}

/// The receiver's bound on a request head (`app::Limits::head_bytes`): longer names are
/// refused with 431 by the HTTP layer, before routing.
const HEAD_LIMIT: usize = 16 * 1024;

/// (4) Velo posts to unknown handler names of lengths 1 to 65,000, signed with the
/// secret (so that they reach the name lookup and its did-you-mean) or not (refused on
/// the signature), each band compared with valid deliveries of the same size.
async fn unknown_names(context: &Context, receiver: &Receiver, report: &mut Report) {
    type Lengths = std::ops::RangeInclusive<usize>;
    let address = receiver.address;
    // Names that fit in a request head, and names that make it longer than the limit.
    let (short, fitting, over) = (1..=128, 129..=HEAD_LIMIT - 512, HEAD_LIMIT..=65_000);
    let name_flood = |count: usize, lengths: Lengths, signed: bool, seed: u64, expected: u16| {
        let velo = Arc::clone(&context.velo);
        let make = move |index: usize| {
            let name = unknown_name(spread(index, count, lengths.clone()), seed + index as u64);
            let body = br#"{"metadata":{"id":"load-unknown","entityId":"c-1"}}"#;
            let signature = velo.sign(&name, body);
            let headers: &[(&str, &str)] = if signed { &[(SIGNATURE_HEADER, &signature)] } else { &[] };
            Planned { bytes: post(address, &format!("/velo/{name}"), "application/json", headers, body), id: None }
        };
        // Over the head limit the connection is closed with the head partly unread, and
        // the reset may overtake the 431.
        let flood = Flood::new(count, context.concurrency, context.max, make, expect(expected, None)).prepared();
        if expected == 431 {
            flood.unanswered_ok()
        } else {
            flood
        }
    };
    let padded = |count: usize, lengths: Lengths, prefix: &'static str| {
        let velo = Arc::clone(&context.velo);
        let padding = move |index| spread(index, count, lengths.clone());
        velo_flood_with(context, address, prefix, count, HANDLED, padding, velo, expect(200, Some("handled")))
    };

    eprintln!("load: unknown names 1-128, signed");
    let count = context.count(10_000);
    let (tally, measured) = measure(receiver, name_flood(count, short, true, 0, 404).run(address)).await;
    let short_name = "unknown names 1-128 B, signed (404)";
    report.add(context, vec![(short_name.to_owned(), tally)], measured, true);
    report.no_dearer(context, short_name, "velo events, distinct ids");

    // A long name makes a long request head, which the HTTP layer parses more slowly than
    // a body: the fair baseline is a valid delivery with a header as long as the name.
    let count = context.count(4_000);
    let fitting_baseline = format!("velo events, a header of 129-{} B", fitting.end());
    eprintln!("load: {fitting_baseline}");
    let velo = Arc::clone(&context.velo);
    let lengths = fitting.clone();
    let make = move |index: usize| {
        let id = format!("load-head-{index}");
        let body = json!({"metadata": {"id": id, "entityId": "c-1", "eventTime": "2024-05-01T10:00:00.123Z"}});
        let body = body.to_string().into_bytes();
        let signature = velo.sign(HANDLED, &body);
        let padding = "x".repeat(spread(index, count, lengths.clone()));
        let headers = [(SIGNATURE_HEADER, signature.as_str()), ("x-padding", padding.as_str())];
        Planned { bytes: post(address, &format!("/velo/{HANDLED}"), "application/json", &headers, &body), id: Some(id) }
    };
    let flood = Flood::new(count, context.concurrency, context.max, make, expect(200, Some("handled"))).prepared();
    let (tally, measured) = measure(receiver, flood.run(address)).await;
    report.add(context, vec![(fitting_baseline.clone(), tally)], measured, false);

    let signed_name = format!("unknown names 129-{} B, signed (404)", fitting.end());
    eprintln!("load: {signed_name}");
    let flood = name_flood(count, fitting.clone(), true, 1_000_000, 404);
    let (tally, measured) = measure(receiver, flood.run(address)).await;
    report.add(context, vec![(signed_name.clone(), tally)], measured, true);
    report.no_dearer(context, &signed_name, &fitting_baseline);

    // Unsigned names no event can have (past every byte of the longest name
    // percent-encoded) are refused before routing and before the signature check.
    let beyond = 3 * wix_backend_events::error::MAX_EVENT_NAME_LEN + 1..=*fitting.end();
    let unsigned_name = format!("unknown names {}-{} B, unsigned (404)", beyond.start(), beyond.end());
    eprintln!("load: {unsigned_name}");
    let flood = name_flood(count, beyond, false, 2_000_000, 404);
    let (tally, measured) = measure(receiver, flood.run(address)).await;
    report.add(context, vec![(unsigned_name.clone(), tally)], measured, true);
    report.no_dearer(context, &unsigned_name, &fitting_baseline);

    // The receiver closes the connection after a 431, so each of those requests opens a
    // new one: the baseline does too.
    let over_baseline = format!("velo events padded by {}-65,000 B, new connections", over.start());
    eprintln!("load: {over_baseline}");
    let flood = padded(count, over.clone(), "load-pad-b").fresh().prepared();
    let (tally, measured) = measure(receiver, flood.run(address)).await;
    report.add(context, vec![(over_baseline.clone(), tally)], measured, false);

    let over_name = format!("unknown names {}-65,000 B (431)", over.start());
    eprintln!("load: {over_name}");
    let (tally, measured) = measure(receiver, name_flood(count, over, true, 3_000_000, 431).run(address)).await;
    report.add(context, vec![(over_name.clone(), tally)], measured, true);
    report.no_dearer(context, &over_name, &over_baseline);
}

/// (5) Bodies at and over the 1 MiB limit: valid webhooks just under it (the baseline),
/// forged ones of the same size, and bodies over it with and without a declared length.
async fn big_bodies(context: &Context, receiver: &Receiver, report: &mut Report) -> Result<(), String> {
    let address = receiver.address;
    let count = context.count(200);
    // Find the padding that brings a token just under the limit: the token grows by 4/3
    // of the padding (base64 of plain `x`s).
    let probe = context.signer.sign_webhook(HANDLED_EVENT_TYPE, "instance-1", &contact_deleted("probe", 0), None);
    let padding = (BODY_LIMIT - probe.len() - 64) * 3 / 4;
    eprintln!("load: signing {count} webhooks of about 1 MiB");
    let big = Arc::new(sign_webhooks(&context.signer, count, "load-big", padding).await?);
    let largest = big.iter().map(|(_, token)| token.len()).max().unwrap_or(0);
    if largest > BODY_LIMIT {
        return Err(format!("a padded webhook of {largest} bytes is over the limit"));
    }

    eprintln!("load: valid webhooks of about 1 MiB");
    let tokens = Arc::clone(&big);
    let flood = Flood::new(
        count,
        context.concurrency,
        context.max,
        move |index| {
            let (id, token) = &tokens[index];
            Planned { bytes: post(address, "/webhook", "text/plain", &[], token.as_bytes()), id: Some(id.clone()) }
        },
        expect(200, Some("handled")),
    );
    let (tally, measured) = measure(receiver, flood.run(address)).await;
    let valid = format!("webhooks of {} KiB, valid", largest / 1024);
    report.add(context, vec![(valid.clone(), tally)], measured, false);

    // The same tokens with the signature altered: verified over the whole body, refused.
    eprintln!("load: forged webhooks of about 1 MiB");
    let forged: Arc<Vec<Vec<u8>>> = Arc::new(
        big.iter()
            .map(|(_, token)| {
                let mut bytes = token.clone().into_bytes();
                let dot = bytes.iter().rposition(|byte| *byte == b'.').unwrap_or(0);
                let middle = dot + (bytes.len() - dot) / 2;
                bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
                post(address, "/webhook", "text/plain", &[], &bytes)
            })
            .collect(),
    );
    let requests = Arc::clone(&forged);
    let flood = Flood::new(
        count,
        context.concurrency,
        context.max,
        move |index| Planned { bytes: requests[index % requests.len()].clone(), id: None },
        expect(401, None),
    );
    let (tally, measured) = measure(receiver, flood.run(address)).await;
    let forged_name = format!("webhooks of {} KiB, forged (401)", largest / 1024);
    report.add(context, vec![(forged_name.clone(), tally)], measured, true);
    report.no_dearer(context, &forged_name, &valid);

    // Over the limit with a declared length: refused on the header, before the body.
    eprintln!("load: declared bodies over 1 MiB");
    let over = post(address, "/webhook", "text/plain", &[], &vec![b'a'; BODY_LIMIT + 1]);
    let refused = Refused { context, receiver, address, count, baseline: &valid };
    refused.run(report, "1 MiB + 1 B declared (413)", over, 413).await;

    // Over the limit in chunks, with no declared length: refused once 1 MiB is read.
    eprintln!("load: chunked bodies over 1 MiB");
    let mut chunked = format!(
        "POST /webhook HTTP/1.1\r\nHost: {address}\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .into_bytes();
    let chunk = vec![b'a'; 64 * 1024];
    for _ in 0..(BODY_LIMIT / chunk.len() + 2) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(&chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    refused.run(report, "1 MiB + 128 KiB chunked (413)", chunked, 413).await;
    Ok(())
}

/// One request sent `count` times on fresh connections, each answered `status`, and
/// checked to cost no more than the `baseline` scenario.
struct Refused<'a> {
    context: &'a Context,
    receiver: &'a Receiver,
    address: SocketAddr,
    count: usize,
    baseline: &'a str,
}

impl Refused<'_> {
    async fn run(&self, report: &mut Report, name: &str, request: Vec<u8>, status: u16) {
        let request = Arc::new(request);
        let flood = Flood::new(
            self.count,
            self.context.concurrency,
            self.context.max,
            move |_| Planned { bytes: request.to_vec(), id: None },
            expect(status, None),
        )
        .fresh();
        let (tally, measured) = measure(self.receiver, flood.run(self.address)).await;
        report.add(self.context, vec![(name.to_owned(), tally)], measured, true);
        report.no_dearer(self.context, name, self.baseline);
    }
}

/// Connections that trickle or idle, reconnecting as soon as they are cut off, until
/// `until`: each one's time from connecting to being cut off (or answered).
async fn pest(address: SocketAddr, until: Instant, make: impl Fn() -> Sending + Send + 'static) -> Tally {
    let mut tally = Tally::default();
    while Instant::now() < until {
        let (elapsed, answer) = exchange_fresh(address, make()).await;
        match answer {
            Ok(Some(reply)) => {
                *tally.statuses.entry(reply.status).or_default() += 1;
                tally.latencies.push(elapsed);
            }
            Ok(None) => {
                *tally.statuses.entry(0).or_default() += 1;
                tally.latencies.push(elapsed);
            }
            Err(error) => {
                tally.fail(error);
                // Do not spin on a refused connection.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    tally
}

/// Runs `count` pests at once until `until`, merged.
async fn pests(
    count: usize,
    address: SocketAddr,
    until: Instant,
    make: impl Fn() -> Sending + Clone + Send + 'static,
) -> Tally {
    let tasks: Vec<_> = (0..count).map(|_| tokio::spawn(pest(address, until, make.clone()))).collect();
    let mut tally = Tally::default();
    for task in tasks {
        match task.await {
            Ok(part) => tally.merge(part),
            Err(error) => tally.fail(format!("a load task failed: {error}")),
        }
    }
    tally
}

/// Checks that every cut-off came within `limit` and had the expected status.
fn check_cut_off(tally: &mut Tally, limit: Duration, status: u16) {
    let slowest = tally.percentile(1.0);
    if slowest > limit {
        tally.fail(format!("a slow client was cut off only after {}, over {}", millis(slowest), millis(limit)));
    }
    let others: u64 = tally.statuses.iter().filter(|(code, _)| **code != status).map(|(_, count)| count).sum();
    if others > 0 {
        tally.fail(format!("{others} slow clients got another answer than {status}"));
    }
}

/// (6) Slow clients trickling headers or bodies while valid traffic runs: the slow ones
/// are cut off by the read timeouts, the valid ones answered well within Wix's timeout.
async fn slow_clients(context: &Context, receiver: &Receiver, report: &mut Report) {
    eprintln!("load: slow clients");
    let address = receiver.address;
    let until = Instant::now() + context.slow;
    let slow_headers = pests(100, address, until, move || Sending::Trickle {
        first: format!("POST /webhook HTTP/1.1\r\nHost: {address}\r\nX-Slow: ").into_bytes(),
        interval: Duration::from_millis(100),
    });
    let slow_bodies = pests(100, address, until, move || Sending::Trickle {
        first: format!(
            "POST /velo/{HANDLED} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Content-Length: 65536\r\n\r\n{{\"metadata\":"
        )
        .into_bytes(),
        interval: Duration::from_millis(100),
    });
    // Valid traffic at a steady pace (4 connections, one delivery each 5 ms apiece).
    let valid =
        velo_flood(context, address, "load-slow", usize::MAX, 0).paced(4, Duration::from_millis(5), context.slow);
    let scenario = async { tokio::join!(valid.run(address), slow_headers, slow_bodies) };
    let ((mut valid, mut headers, mut bodies), measured) = measure(receiver, scenario).await;
    let slowest = valid.percentile(1.0);
    if slowest >= WIX_TIMEOUT {
        valid.fail(format!("a valid delivery took {} among slow clients", millis(slowest)));
    }
    check_cut_off(&mut headers, HEADER_TIMEOUT + Duration::from_millis(500), 0);
    check_cut_off(&mut bodies, DEADLINE + Duration::from_millis(500), 408);
    report.add(
        context,
        vec![
            ("valid velo events among 200 slow clients".to_owned(), valid),
            ("  100 trickling headers (cut off)".to_owned(), headers),
            ("  100 trickling bodies (408)".to_owned(), bodies),
        ],
        measured,
        false,
    );
}

/// (6b) More idle connections than the connection limit, reconnecting when cut off: a
/// valid delivery waits in the listen backlog at most the header timeout, then is answered.
async fn connection_limit(context: &Context, receiver: &Receiver, report: &mut Report) {
    eprintln!("load: connection limit");
    let address = receiver.address;
    let idle_count = MAX_CONNECTIONS + 88;
    let until = Instant::now() + context.slow;
    let idle = pests(idle_count, address, until, || Sending::Nothing);
    let valid = async {
        // Let the idle connections take every slot first.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let max = context.slow.saturating_sub(Duration::from_millis(300));
        let flood = velo_flood(context, address, "load-idle", usize::MAX, 0).fresh();
        flood.paced(4, Duration::from_millis(5), max).run(address).await
    };
    let ((mut valid, mut idle), measured) = measure(receiver, async { tokio::join!(valid, idle) }).await;
    let limit = HEADER_TIMEOUT + DEADLINE + Duration::from_millis(500);
    let slowest = valid.percentile(1.0);
    if slowest > limit {
        valid.fail(format!(
            "a valid delivery took {} behind idle connections, over {}",
            millis(slowest),
            millis(limit)
        ));
    }
    // Idle ones waiting in the backlog are accepted late, then given the header timeout.
    check_cut_off(&mut idle, 2 * HEADER_TIMEOUT + Duration::from_millis(500), 0);
    report.add(
        context,
        vec![
            (format!("valid velo events, {idle_count} idle connections"), valid),
            (format!("  {idle_count} idle connections (cut off)"), idle),
        ],
        measured,
        false,
    );
}

/// (8) More requests at once than the in-flight limit: bodies held back until all are in,
/// so that the first `MAX_IN_FLIGHT` hold their slots; the rest get 503 at once.
async fn in_flight_limit(context: &Context, receiver: &Receiver, report: &mut Report) {
    eprintln!("load: in-flight limit");
    let address = receiver.address;
    let count = MAX_IN_FLIGHT + 64;
    let (gate, gated) = watch::channel(false);
    let written = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let scenario = async {
        let exchanges: Vec<_> = (0..count)
            .map(|index| {
                let id = format!("load-limit-{index}");
                let request = context.velo_request(address, HANDLED, &id);
                let split = request.len() - 10;
                let sending = Sending::Gated {
                    first: request[..split].to_vec(),
                    rest: request[split..].to_vec(),
                    gate: gated.clone(),
                    written: Arc::clone(&written),
                };
                let answered = Arc::clone(&answered);
                tokio::spawn(async move {
                    let exchange = exchange_fresh(address, sending).await;
                    answered.fetch_add(1, Ordering::SeqCst);
                    (id, exchange)
                })
            })
            .collect();
        // The bodies complete once every request past the limit has been refused, which
        // means the receiver has read every head and the others hold their slots (or,
        // should that not happen, well within the deadline).
        let started = Instant::now();
        while answered.load(Ordering::SeqCst) < count - MAX_IN_FLIGHT && started.elapsed() < DEADLINE * 6 / 10 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let _ = gate.send(true);
        let mut tally = Tally::default();
        let check = |reply: &Reply| match (reply.status, reply.outcome().as_deref()) {
            (200, Some("handled")) | (503, None) => Ok(()),
            _ => Err("expected 200 handled or 503".to_owned()),
        };
        for exchange in exchanges {
            // A refused request's body is left unread, so the close may reset the
            // connection and lose the 503 on the way: Wix retries either way.
            match exchange.await {
                Ok((id, (latency, answer))) => tally.record(Some(&id), latency, answer, &check, true),
                Err(error) => tally.fail(format!("a load task failed: {error}")),
            }
        }
        tally
    };
    let (mut tally, measured) = measure(receiver, scenario).await;
    let (handled, busy) = (tally.count(200), tally.count(503) + tally.count(0));
    if handled != MAX_IN_FLIGHT as u64 || busy != (count - MAX_IN_FLIGHT) as u64 {
        tally.fail(format!(
            "expected {MAX_IN_FLIGHT} answered 200 and {} answered 503 (or reset), got {handled} and {busy}",
            count - MAX_IN_FLIGHT
        ));
    }
    report.add(context, vec![(format!("{count} requests at once, limit {MAX_IN_FLIGHT}"), tally)], measured, false);
}

/// (9) SIGTERM while requests are in progress: the requests whose bodies are still
/// arriving are answered and handled, the receiver exits 0, and every event it answered
/// 200 `handled` over the whole run is in its log (handled, not lost).
async fn finish_main(context: &Context, mut receiver: Receiver, report: &mut Report) -> Result<(), String> {
    let address = receiver.address;
    let (mut held, measured, exit) = if context.wants("drain") {
        eprintln!("load: drain on SIGTERM");
        let count = 32;
        let (gate, gated) = watch::channel(false);
        let written = Arc::new(AtomicUsize::new(0));
        let held: Vec<_> = (0..count)
            .map(|index| {
                let id = format!("load-held-{index}");
                let request = context.velo_request(address, HANDLED, &id);
                let split = request.len() / 2;
                let sending = Sending::Gated {
                    first: request[..split].to_vec(),
                    rest: request[split..].to_vec(),
                    gate: gated.clone(),
                    written: Arc::clone(&written),
                };
                tokio::spawn(async move { (id, exchange_fresh(address, sending).await) })
            })
            .collect();
        let mut traffic = velo_flood(context, address, "load-drain", usize::MAX, 0).paced(
            context.concurrency,
            Duration::from_millis(1),
            Duration::from_secs(3),
        );
        traffic.stop_when_unanswered = true;
        let scenario = async {
            let flood = tokio::spawn(traffic.run(address));
            let started = Instant::now();
            while written.load(Ordering::SeqCst) < count && started.elapsed() < DEADLINE / 2 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            receiver.terminate()?;
            let exit = watch_exit(receiver.probe);
            // The bodies arrive after the signal: the drain must wait for them.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let _ = gate.send(true);
            let mut held_tally = Tally::default();
            for exchange in held {
                match exchange.await {
                    Ok((id, (latency, answer))) => {
                        held_tally.record(Some(&id), latency, answer, &expect(200, Some("handled")), false)
                    }
                    Err(error) => held_tally.fail(format!("a load task failed: {error}")),
                }
            }
            let flood = flood.await.map_err(|error| format!("a load task failed: {error}"))?;
            let exited = exit.await.map_err(|error| format!("a load task failed: {error}"))?;
            Ok::<_, String>((held_tally, flood, exited))
        };
        let (tallies, measured) = measure(&receiver, scenario).await;
        let (held, flood, exited) = tallies?;
        let (code, _) = receiver.wait_exit(Duration::from_secs(10)).await;
        (Some((held, flood)), Some(measured), (code, exited))
    } else {
        receiver.terminate()?;
        let exit = watch_exit(receiver.probe);
        let (code, _) = receiver.wait_exit(Duration::from_secs(10)).await;
        (None, None, (code, exit.await.map_err(|error| format!("a load task failed: {error}"))?))
    };
    if let (Some((held, flood)), Some(measured)) = (held.take(), measured) {
        report.add(
            context,
            vec![
                ("SIGTERM: 32 requests with bodies in transit".to_owned(), held),
                ("  traffic during the SIGTERM".to_owned(), flood),
            ],
            measured,
            false,
        );
    }
    let (code, took) = exit;
    let took = took.map(millis).unwrap_or_else(|| "more than 10 s".to_owned());
    report.checks.check(
        code == Some(0),
        format!("SIGTERM: the receiver drained and exited with {code:?} {took} after the signal (expected 0)"),
    );

    // Every acknowledged event is in the log: the demo handler logs each one it handles.
    let log = std::fs::read_to_string(&receiver.log).map_err(|error| format!("{}: {error}", receiver.log.display()))?;
    let logged: HashSet<&str> = log
        .lines()
        .filter(|line| line.contains("contact deleted"))
        .filter_map(|line| line.split_once("event_id=Some(\"")?.1.split_once("\")").map(|(id, _)| id))
        .collect();
    let lost: Vec<&String> = report.acknowledged.iter().filter(|id| !logged.contains(id.as_str())).collect();
    report.checks.check(
        lost.is_empty(),
        format!(
            "{} events answered 200 handled, {} of them not in the receiver's log{}",
            report.acknowledged.len(),
            lost.len(),
            lost.first().map(|id| format!(" (first: {id})")).unwrap_or_default()
        ),
    );
    Ok(())
}

/// (7) On a fresh receiver: more distinct ids than the in-memory deduplication store
/// holds. It remembers exactly its capacity, answers 503 past it (Wix retries later)
/// rather than forgetting an id, still knows the first ids, and its memory stops growing.
async fn capacity(context: &Context, mut receiver: Receiver, report: &mut Report) -> Result<(), String> {
    let address = receiver.address;
    let velo = Arc::clone(&context.velo);
    let capacity = DEFAULT_DEDUPE_CAPACITY;

    eprintln!("load: filling the dedupe store ({capacity} ids)");
    let mut fill = velo_flood_with(
        context,
        address,
        "load-cap",
        capacity,
        NOT_SUBSCRIBED,
        |_| 0,
        Arc::clone(&velo),
        expect(200, Some("not_subscribed")),
    );
    fill.max = context.capacity_max;
    let (tally, filled) = measure(&receiver, fill.run(address)).await;
    let sent = tally.requests();
    report.add(context, vec![(format!("fresh receiver: {capacity} distinct ids (store fills)"), tally)], filled, false);

    eprintln!("load: {} more distinct ids", context.past_capacity);
    let mut past = velo_flood_with(
        context,
        address,
        "load-past",
        context.past_capacity,
        NOT_SUBSCRIBED,
        |_| 0,
        Arc::clone(&velo),
        move |reply: &Reply| match (reply.status, reply.json_field("error")) {
            (503, Some(error)) if error.contains("full") => Ok(()),
            _ => Err("expected 503 with the store full".to_owned()),
        },
    );
    past.max = context.capacity_max;
    let (tally, beyond) = measure(&receiver, past.run(address)).await;
    let past_ids = tally.requests();
    report.add(
        context,
        vec![(format!("{} more distinct ids (store full)", context.past_capacity), tally)],
        beyond,
        true,
    );

    eprintln!("load: the first ids again");
    let mut again = velo_flood_with(
        context,
        address,
        "load-cap",
        context.count(1_000).min(capacity),
        NOT_SUBSCRIBED,
        |_| 0,
        velo,
        expect(200, Some("duplicate")),
    );
    again.max = context.max;
    let (tally, measured) = measure(&receiver, again.run(address)).await;
    report.add(context, vec![("the first ids again (still remembered)".to_owned(), tally)], measured, false);

    report.checks.check(
        sent == capacity as u64,
        format!("the store was filled: {sent} of {capacity} ids sent within {} s", context.capacity_max.as_secs()),
    );
    // Memory past capacity: what grew per id while filling, against what grows per id
    // once full (with 2 MiB for the allocator's noise).
    let fill_growth = filled.rss_after.saturating_sub(filled.rss_before) as f64 / capacity as f64;
    let past_growth = beyond.rss_peak.saturating_sub(filled.rss_after) as f64;
    let allowed = 2048.0 + 0.1 * fill_growth * past_ids as f64;
    report.checks.check(
        past_growth <= allowed,
        format!(
            "memory plateaus: {:.0} B a remembered id while filling; {past_ids} ids past capacity added {} KiB \
             (at most {:.0} KiB)",
            fill_growth * 1024.0,
            past_growth,
            allowed
        ),
    );
    receiver.terminate()?;
    let exit = watch_exit(receiver.probe);
    let (code, _) = receiver.wait_exit(Duration::from_secs(10)).await;
    let took = exit.await.map_err(|error| format!("a load task failed: {error}"))?;
    let took = took.map(millis).unwrap_or_else(|| "more than 10 s".to_owned());
    report.checks.check(
        code == Some(0),
        format!("the capacity receiver exited with {code:?} {took} after SIGTERM (expected 0)"),
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Small helpers.

/// A loopback port free at the time of asking.
fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|error| format!("cannot find a free port: {error}"))?;
    listener.local_addr().map(|address| address.port()).map_err(|error| format!("cannot find a free port: {error}"))
}

/// `bytes` random bytes from the system, in hex.
fn random_hex(bytes: usize) -> Result<String, String> {
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut file| file.read_exact(&mut buffer))
        .map_err(|error| format!("cannot read /dev/urandom: {error}"))?;
    Ok(buffer.iter().map(|byte| format!("{byte:02x}")).collect())
}
