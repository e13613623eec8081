//! The queue-position abuse, simulated through the whole engine (redaction, identifier hashing,
//! guard): (a) one user trying 1,000 sequential application numbers; (b) 50 users each trying 20
//! random numbers; (c) 1,000 ordinary users asking general questions, some mentioning one number
//! of their own once. Prints the figures the README quotes.

use std::sync::Arc;

use kanava::clock::{Clock, ManualClock};
use kanava::engine::Engine;
use kanava::guard::{IdentifierKey, TermsConfig, TermsGuard};
use kanava_adapter::{ChannelId, ChatId, Event, Inbound, UserIdentity};

struct Sim {
    engine: Engine,
    guard: Arc<TermsGuard>,
    clock: Arc<ManualClock>,
}

async fn sim() -> Sim {
    let storage = kanava::storage::temporary();
    let clock = Arc::new(ManualClock::new(1_800_000_000_000_000));
    let guard = Arc::new(
        TermsGuard::open(
            &storage,
            TermsConfig::default(),
            IdentifierKey::new([3; 32]),
            clock.clone(),
        )
        .await
        .expect("guard"),
    );
    let engine = crate::support::engine(storage.conversations, guard.clone(), clock.clone());
    Sim {
        engine,
        guard,
        clock,
    }
}

impl Sim {
    async fn say(&self, user: &str, text: &str) -> &'static str {
        self.clock.advance(1_500_000);
        let inbound = Inbound {
            identity: UserIdentity::new(ChannelId::new("webchat"), user),
            chat: ChatId::new(user),
            event: Event::Text(text.to_string()),
            client: None,
        };
        self.engine.turn(inbound).await.outcome
    }
}

/// Messages carrying an identifier that were processed (not refused) before the user was blocked.
async fn attacker(sim: &Sim, user: &str, numbers: impl Iterator<Item = u64>) -> (usize, bool) {
    let mut processed = 0;
    for n in numbers {
        let outcome = sim
            .say(user, &format!("Mikä on hakemuksen {n} jonosija?"))
            .await;
        match outcome {
            "enumeration" | "blocked" => return (processed, true),
            "lockdown" | "rate_limited" => {}
            _ => processed += 1,
        }
    }
    (processed, false)
}

#[tokio::test]
async fn queue_position_abuse_is_stopped_and_ordinary_users_are_not() {
    // (a) One user, 1,000 sequential application numbers.
    let s = sim().await;
    let (a_processed, a_blocked) = attacker(&s, "seq-bot", 20_240_000..21_240_000u64).await;
    assert!(
        a_blocked && a_processed <= 3,
        "sequential attacker: {a_processed} processed, blocked {a_blocked}"
    );

    // (b) 50 users, 20 random numbers each, interleaved, and (c) 1,000 ordinary users.
    let s = sim().await;
    let start = s.clock.now();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        10_000_000 + rng % 90_000_000
    };
    let mut worst_b = 0;
    let mut blocked_b = 0;
    let mut alert_after: Option<(u64, usize)> = None;
    let mut sent = 0usize;
    let general = [
        "Kuinka kauan oleskelulupahakemuksen käsittely kestää?",
        "Enter Finland ei toimi, mitä teen?",
        "Hur länge tar behandlingen av en ansökan?",
        "How can I follow my application?",
        "Can I travel while my application is pending?",
    ];
    let mut processed_b = [0usize; 50];
    let mut done_b = [false; 50];
    let mut wrongly_blocked = 0;
    for round in 0..20 {
        for (i, done) in done_b.iter_mut().enumerate() {
            if *done {
                continue;
            }
            sent += 1;
            let outcome = s
                .say(
                    &format!("bot{i}"),
                    &format!("What is the queue position of application {}?", next()),
                )
                .await;
            match outcome {
                "enumeration" | "blocked" => {
                    *done = true;
                    blocked_b += 1;
                }
                "lockdown" | "rate_limited" => {}
                _ => processed_b[i] += 1,
            }
            if alert_after.is_none() && s.guard.lockdown_active() {
                alert_after = Some((s.clock.now() - start, sent));
            }
        }
        // Ordinary users in between: 50 per round, each once; every tenth mentions one number
        // of their own.
        for j in 0..50 {
            let id = round * 50 + j;
            let text = if id % 10 == 0 {
                format!(
                    "Hakemukseni {} käsittely, kauanko vielä kestää?",
                    30_000_000 + id * 7919
                )
            } else {
                general[id % general.len()].to_string()
            };
            sent += 1;
            s.say(&format!("person{id}"), &text).await;
        }
    }
    worst_b = worst_b.max(processed_b.iter().copied().max().unwrap_or(0));
    for b in s.guard.block_list() {
        if b.user.starts_with("person") {
            wrongly_blocked += 1;
        }
    }
    let (alert_time, alert_msgs) = alert_after.expect("a global alert");
    println!("| scenario | result |");
    println!("|---|---|");
    println!("| (a) 1 user, 1,000 sequential numbers | blocked after {a_processed} processed message(s) with identifiers |");
    println!("| (b) 50 users × 20 random numbers | {blocked_b} of 50 blocked, at most {worst_b} processed each |");
    println!(
        "| global alert and lockdown | after {:.0} s and {alert_msgs} messages in all |",
        alert_time as f64 / 1e6
    );
    println!("| (c) 1,000 ordinary users | {wrongly_blocked} wrongly blocked |");
    assert_eq!(blocked_b, 50);
    assert!(
        worst_b <= 3,
        "a random-number attacker got {worst_b} through"
    );
    assert_eq!(wrongly_blocked, 0);
}
