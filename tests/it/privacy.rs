//! Nothing personal reaches the logs or the database: a conversation full of personal data runs
//! with every tracing event captured at TRACE level; afterwards neither the captured output nor
//! any file sled wrote contains any of it.

use std::io::Write;
use std::sync::{Arc, Mutex};

use kanava::clock::ManualClock;
use kanava::guard::OpenGuard;
use kanava_adapter::{ChannelId, ChatId, Event, Inbound, UserIdentity};

/// Everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const PERSONAL: &[&str] = &[
    "131052-308T",
    "811218-9876",
    "12345678",
    "01.01.1900",
    "matti.meikalainen@example.fi",
    "+358 40 123 4567",
    "FI21 1234 5600 0007 85",
    "4111 1111 1111 1111",
    "192.168.10.77",
    "Aino Virtanen",
    "Mannerheimintie 12 A 5",
    "FP1234567",
];

#[tokio::test(flavor = "current_thread")]
async fn no_personal_data_in_logs_or_storage() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let dir = tempfile::tempdir().expect("tempdir");
    let store = kanava::storage::open_embedded(dir.path())
        .expect("storage")
        .conversations;
    let engine = crate::support::engine(
        store.clone(),
        Arc::new(OpenGuard),
        Arc::new(ManualClock::new(1_700_000_000_000_000)),
    );
    let questions = [
        "Hei, henkilötunnukseni on 131052-308T ja hakemusnumero 12345678, missä vaiheessa se on?",
        "Mitt personnummer är 811218-9876, jag är född 01.01.1900.",
        "Email me at matti.meikalainen@example.fi or call +358 40 123 4567.",
        "Maksoin tililtä FI21 1234 5600 0007 85 kortilla 4111 1111 1111 1111 osoitteesta 192.168.10.77",
        "Nimeni on Aino Virtanen, asun Mannerheimintie 12 A 5 ja passini on FP1234567.",
    ];
    for q in questions {
        let inbound = Inbound {
            identity: UserIdentity::new(ChannelId::new("test"), "u1"),
            chat: ChatId::new("c1"),
            event: Event::Text(q.to_string()),
            client: None,
        };
        let turn = engine.turn(inbound).await;
        assert!(!turn.replies.is_empty());
    }
    tracing::info!("conversation done");

    let log =
        String::from_utf8_lossy(&captured.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    assert!(
        log.contains("conversation done"),
        "the subscriber captured output"
    );
    for p in PERSONAL {
        assert!(!log.contains(p), "{p} reached the log:\n{log}");
    }

    let stored = store.transcript_all().await.expect("records");
    assert_eq!(stored.len(), 2 * questions.len());
    let total: u32 = stored.iter().flat_map(|r| r.redactions.values()).sum();
    assert_eq!(
        total,
        PERSONAL.len() as u32,
        "redaction counts are stored with the transcript"
    );
    drop(engine);
    drop(store);
    let mut files = Vec::new();
    for entry in walk(dir.path()) {
        files.push(std::fs::read(&entry).expect("read"));
    }
    assert!(!files.is_empty());
    for p in PERSONAL {
        let needle = p.as_bytes();
        assert!(
            !files
                .iter()
                .any(|f| f.windows(needle.len()).any(|w| w == needle)),
            "{p} is in sled's files"
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
