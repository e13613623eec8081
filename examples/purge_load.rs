//! Purge under load: 1,000,000 due transcript records are purged (in the server's paused
//! batches) while live questions keep coming; prints purge records/s and the live reply latency
//! (p50/p99) before and during the purge. The records are spread over ten months three years
//! back, so the sled backend drops whole month partitions.
//! `cargo run --release --example purge_load [RECORDS]`

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kanava::clock::{Clock, SystemClock};
use kanava::engine::{Engine, EngineConfig, Parts};
use kanava::guard::OpenGuard;
use kanava::metrics::Metrics;
use kanava::policy::RuleClassifier;
use kanava::redact::PiiRedactor;
use kanava::retention::Stores;
use kanava::retention::{purge, RetentionConfig};
use kanava::storage::{ConversationKey, Role, SessionState, TranscriptRecord};
use kanava_adapter::{ChannelId, ChatId, Event, Inbound, Lang, UserIdentity};

fn percentile(v: &mut [Duration], p: f64) -> f64 {
    v.sort_unstable();
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)].as_secs_f64() * 1e6
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let total: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let storage = kanava::storage::open_embedded(dir.path())?;
    let store = storage.conversations.clone();
    let now = SystemClock.now();
    let three_years = 3 * 365 * 24 * 3600 * 1_000_000u64;
    let ten_months = 300 * 24 * 3600 * 1_000_000u64;
    let t = Instant::now();
    for i in 0..total / 2 {
        let conv = ConversationKey {
            channel: "webchat".into(),
            chat: format!("old{}", i % 50_000),
        };
        // Spread over ten months, so the purge meets whole months as a real one would.
        let at = now - three_years + i * (ten_months / (total / 2).max(1));
        let record = TranscriptRecord {
            at,
            channel: "webchat".into(),
            user: conv.chat.clone(),
            chat: conv.chat.clone(),
            session: "s".into(),
            role: Role::User,
            lang: Lang::Fi,
            text: "Kuinka kauan käsittely kestää?".into(),
            topic: None,
            outcome: None,
            confidence: None,
            redactions: Default::default(),
        };
        let session = SessionState {
            id: "s".into(),
            user: conv.chat.clone(),
            started: at,
            last_active: at,
            lang: Lang::Fi,
            lang_chosen: false,
        };
        // The records are written when this is called; the durability wait is not needed here.
        drop(store.append_turn(
            &conv,
            &session,
            vec![
                record.clone(),
                TranscriptRecord {
                    role: Role::Bot,
                    ..record
                },
            ],
        ));
    }
    storage.moderation.flush().await?;
    println!(
        "seeded {total} due records in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    // Records due for purge are two years old: in a running server they are long out of the
    // page cache. Reopen, so the purge meets them on disk as it would (`PURGE_HOT=1` keeps
    // them cached, the worst case).
    let (storage, store) = if std::env::var_os("PURGE_HOT").is_some() {
        (storage, store)
    } else {
        drop(store);
        drop(storage);
        let storage = kanava::storage::open_embedded(dir.path())?;
        let store = storage.conversations.clone();
        (storage, store)
    };

    let engine = Arc::new(Engine::new(
        Parts {
            knowledge: Arc::new(
                kanava::knowledge::KnowledgeBase::load(std::path::Path::new("knowledge"))
                    .map_err(|p| format!("{p:?}"))?,
            ),
            store: store.clone(),
            guard: Arc::new(OpenGuard),
            redactor: Arc::new(PiiRedactor),
            classifier: Arc::new(RuleClassifier),
            clock: Arc::new(SystemClock),
            metrics: Metrics::new(),
        },
        EngineConfig::default(),
    ));
    let live = |engine: Arc<Engine>, stop: Arc<AtomicBool>| async move {
        let mut lat = Vec::new();
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            n += 1;
            let inbound = Inbound {
                identity: UserIdentity::new(ChannelId::new("webchat"), format!("live{}", n % 100)),
                chat: ChatId::new(format!("live{}", n % 100)),
                event: Event::Text("Enter Finland ei toimi, mitä teen?".into()),
                client: None,
            };
            let t = Instant::now();
            engine.turn(inbound).await;
            lat.push(t.elapsed());
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        lat
    };

    // Baseline: live traffic alone for 3 s.
    let stop = Arc::new(AtomicBool::new(false));
    let h = tokio::spawn(live(engine.clone(), stop.clone()));
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    let mut base = h.await?;

    // Purge with live traffic.
    let stop = Arc::new(AtomicBool::new(false));
    let h = tokio::spawn(live(engine.clone(), stop.clone()));
    let t = Instant::now();
    // As in the server (`server::purge_daily`): on the blocking pool, since sled works when
    // called and the purge must not hold a tokio worker.
    let runtime = tokio::runtime::Handle::current();
    // Two runs, timed apart: the records (month partitions) first, with sessions kept, then the
    // sessions (a time index, deleted in batches).
    let (report, records_secs) = tokio::task::spawn_blocking(move || {
        runtime.block_on(async move {
            let audit = kanava::audit::AuditLog::open(storage.audit.clone()).await?;
            let stores = Stores {
                conversations: storage.conversations.as_ref(),
                moderation: storage.moderation.as_ref(),
                audit: &audit,
            };
            let pause = Duration::from_millis(2);
            let keep_sessions = RetentionConfig {
                sessions: u64::MAX,
                ..RetentionConfig::default()
            };
            let t = Instant::now();
            let report = purge(
                stores,
                &keep_sessions,
                SystemClock.now(),
                false,
                "bench",
                pause,
            )
            .await?;
            let records_secs = t.elapsed().as_secs_f64();
            let stores = Stores {
                conversations: storage.conversations.as_ref(),
                moderation: storage.moderation.as_ref(),
                audit: &audit,
            };
            let t = Instant::now();
            let sessions = purge(
                stores,
                &RetentionConfig::default(),
                SystemClock.now(),
                false,
                "bench",
                pause,
            )
            .await?;
            println!(
                "sessions: {} purged in {:.2} s",
                sessions
                    .classes
                    .iter()
                    .find(|c| c.class == "sessions")
                    .map_or(0, |c| c.purged),
                t.elapsed().as_secs_f64()
            );
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((report, records_secs))
        })
    })
    .await?
    .map_err(|e| e.to_string())?;
    let secs = t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut during = h.await?;
    let purged = report
        .classes
        .iter()
        .find(|c| c.class == "transcripts")
        .map_or(0, |c| c.purged);
    println!(
        "purged {purged} transcript records in {records_secs:.2} s: {:.0} records/s (with the sessions: {secs:.1} s)",
        purged as f64 / records_secs
    );
    println!(
        "live reply latency before: p50 {:.0} µs, p99 {:.0} µs ({} replies)",
        percentile(&mut base, 0.5),
        percentile(&mut base, 0.99),
        base.len()
    );
    println!(
        "live reply latency during: p50 {:.0} µs, p99 {:.0} µs ({} replies)",
        percentile(&mut during, 0.5),
        percentile(&mut during, 0.99),
        during.len()
    );
    Ok(())
}
