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
