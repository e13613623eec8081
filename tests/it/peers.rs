//! Protocol peers the tests start as plain processes on 127.0.0.1 from `tests/peers` (npm
//! packages installed by `scripts/test`). A missing peer fails the test: it never skips.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;

use crate::support::repo;

/// A running Node.js peer. It exits when its stdin closes, i.e. when the test binary ends.
pub struct NodePeer {
    _child: Child,
    _stdin: ChildStdin,
    /// Its base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
}

/// Starts `tests/peers/<script>` and waits for its `listening <url>` line.
pub fn start_node(script: &str, args: &[&str]) -> NodePeer {
    let dir = repo().join("tests/peers");
    assert!(
        dir.join("node_modules").is_dir(),
        "the test peers are not installed: run `npm ci --prefix tests/peers` (scripts/test does this)"
    );
    let mut child = Command::new("node")
        .arg(dir.join(script))
        .args(args)
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start node for {script}: {e} (is Node.js installed?)"));
    let stdin = child.stdin.take().expect("stdin");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("peer's first line");
    let url = line
        .trim()
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("{script} did not start: {line:?}"))
        .to_string();
    NodePeer {
        _child: child,
        _stdin: stdin,
        url,
    }
}

/// The Telegram Bot API emulator, shared by every test of this binary (each test uses its own
/// bot token, so they do not see each other's updates).
pub fn telegram() -> &'static str {
    static PEER: OnceLock<NodePeer> = OnceLock::new();
    &PEER.get_or_init(|| start_node("telegram.js", &["0"])).url
}

/// A Synapse homeserver from the Python package index, run from its virtualenv on 127.0.0.1
/// with SQLite and every rate limit raised. `scripts/test` installs it.
pub struct Synapse {
    dir: tempfile::TempDir,
    child: Option<(Child, ChildStdin)>,
    pub url: String,
    pub port: u16,
}

pub const SYNAPSE_SECRET: &str = "kanava-test-registration-secret";

fn synapse_venv() -> std::path::PathBuf {
    std::env::var_os("KANAVA_SYNAPSE_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/kanava-synapse/venv")
        })
}

impl Synapse {
    pub fn start() -> Synapse {
        let venv = synapse_venv();
        assert!(
            venv.join("bin/python").exists(),
            "Synapse is not installed in {}: run scripts/test (it creates the virtualenv with pip)",
            venv.display()
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let port = crate::support::free_port();
        let d = dir.path().display();
        let limit = "{per_second: 10000, burst_count: 10000}";
        let config = format!(
            "server_name: localhost
pid_file: {d}/homeserver.pid
listeners:
  - port: {port}
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    x_forwarded: false
    resources: [{{names: [client], compress: false}}]
database: {{name: sqlite3, args: {{database: {d}/homeserver.db}}}}
log_config: {d}/log.yaml
media_store_path: {d}/media
signing_key_path: {d}/signing.key
registration_shared_secret: {SYNAPSE_SECRET}
report_stats: false
trusted_key_servers: []
suppress_key_server_warning: true
presence: {{enabled: false}}
enable_registration: false
caches: {{sync_response_cache_duration: 0}}
rc_message: {limit}
rc_registration: {limit}
rc_login: {{address: {limit}, account: {limit}, failed_attempts: {limit}}}
rc_joins: {{local: {limit}, remote: {limit}}}
rc_joins_per_room: {limit}
rc_invites: {{per_room: {limit}, per_user: {limit}, per_issuer: {limit}}}
rc_key_requests: {limit}
rc_3pid_validation: {limit}
rc_admin_redaction: {limit}
rc_room_creation: {limit}
rc_presence: {{per_user: {limit}}}
rc_delayed_event_mgmt: {limit}
rc_reports: {limit}
"
        );
        std::fs::write(dir.path().join("homeserver.yaml"), config).expect("config");
        let log = format!(
            "version: 1
formatters: {{precise: {{format: '%(asctime)s %(name)s %(levelname)s %(message)s'}}}}
handlers: {{file: {{class: logging.FileHandler, formatter: precise, filename: {d}/homeserver.log}}}}
root: {{level: WARNING, handlers: [file]}}
disable_existing_loggers: false
"
        );
        std::fs::write(dir.path().join("log.yaml"), log).expect("log config");
        let keys = Command::new(venv.join("bin/python"))
            .args(["-m", "synapse.app.homeserver", "-c"])
            .arg(dir.path().join("homeserver.yaml"))
            .arg("--generate-keys")
            .output()
            .expect("run synapse");
        assert!(
            keys.status.success(),
            "{}",
            String::from_utf8_lossy(&keys.stderr)
        );
        let mut s = Synapse {
            dir,
            child: None,
            url: format!("http://127.0.0.1:{port}"),
            port,
        };
        s.resume();
        s
    }

    /// Starts (again) on the same port and database.
    pub fn resume(&mut self) {
        let venv = synapse_venv();
        let mut child = Command::new(venv.join("bin/python"))
            .arg(repo().join("tests/peers/synapse_run.py"))
            .arg("-c")
            .arg(self.dir.path().join("homeserver.yaml"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start synapse");
        let stdin = child.stdin.take().expect("stdin");
        self.child = Some((child, stdin));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let up = http_ok(self.port, "/_matrix/client/versions");
            if up {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "Synapse did not come up: {}",
                std::fs::read_to_string(self.dir.path().join("homeserver.log")).unwrap_or_default()
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    /// Stops the homeserver (SIGTERM) and waits for it.
    pub fn pause(&mut self) {
        if let Some((mut c, stdin)) = self.child.take() {
            // Closing its stdin makes the wrapper stop Synapse and wait for it.
            drop(stdin);
            let _ = c.wait();
        }
    }

    /// Registers a user with the shared secret.
    pub fn register(&self, user: &str, password: &str, admin: bool) {
        let out = Command::new(synapse_venv().join("bin/register_new_matrix_user"))
            .args(["-u", user, "-p", password, "-k", SYNAPSE_SECRET])
            .arg(if admin { "--admin" } else { "--no-admin" })
            .arg(&self.url)
            .output()
            .expect("register_new_matrix_user");
        assert!(
            out.status.success(),
            "registering {user}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Synapse {
    fn drop(&mut self) {
        self.pause();
    }
}

/// The Synapse shared by the tests that do not stop it (each registers its own users).
pub fn synapse() -> &'static Synapse {
    static PEER: OnceLock<Synapse> = OnceLock::new();
    PEER.get_or_init(Synapse::start)
}

/// Whether `GET path` on a loopback port answers 200 (a dependency-free readiness probe).
fn http_ok(port: u16, path: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
    if s.write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    s.read_exact(&mut head).is_ok() && head.ends_with(b"200")
}
