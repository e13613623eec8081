//! Terms-of-use costs: classifying one (redacted) message, and the guard's check of one message
//! from a user who is neither blocked nor limited. `cargo bench --bench terms`.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use kanava::clock::SystemClock;
use kanava::guard::{Guard, IdentifierKey, TermsConfig, TermsGuard};
use kanava::policy::{Classifier, RuleClassifier};
use kanava_adapter::{ChannelId, Lang, UserIdentity};

fn bench(c: &mut Criterion) {
    let questions = [
        ("Missä vaiheessa hakemukseni [NUMBER] on?", Lang::Fi),
        (
            "Kuinka kauan oleskelulupahakemuksen käsittely kestää?",
            Lang::Fi,
        ),
        ("Vilken status har min ansökan?", Lang::Sv),
        ("Can I travel while my application is pending?", Lang::En),
        (
            "Buy cheap residence permits, guaranteed! Visit www.example.com",
            Lang::En,
        ),
    ];
    let mut i = 0;
    c.bench_function("classify/message", |b| {
        b.iter(|| {
            i = (i + 1) % questions.len();
            let (q, l) = questions[i];
            black_box(RuleClassifier.classify(black_box(q), l))
        })
    });

    // The guard's write-behind queue runs on a runtime; the checks themselves are synchronous.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let _entered = rt.enter();
    let storage = kanava::storage::temporary();
    let config = TermsConfig {
        user_rate: kanava::guard::Rate {
            per_minute: 1_000_000_000,
            burst: 1_000_000_000,
        },
        channel_rate: kanava::guard::Rate {
            per_minute: 1_000_000_000,
            burst: 1_000_000_000,
        },
        global_rate: kanava::guard::Rate {
            per_minute: 1_000_000_000,
            burst: 1_000_000_000,
        },
        ..TermsConfig::default()
    };
    let guard = rt
        .block_on(TermsGuard::open(
            &storage,
            config,
            IdentifierKey::new([1; 32]),
            Arc::new(SystemClock),
        ))
        .expect("guard");
    let users: Vec<UserIdentity> = (0..1000)
        .map(|n| UserIdentity::new(ChannelId::new("webchat"), format!("user-{n}")))
        .collect();
    let mut n = 0;
    c.bench_function("guard/check", |b| {
        b.iter(|| {
            n = (n + 1) % users.len();
            black_box(guard.admit(black_box(&users[n]), 1_800_000_000_000_000, None))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
