//! Staff operations: every role gets what it needs and nothing more, refusals are audited, and
//! an appeal is decided either way with a record of who decided.

use kanava::config::{self, Overrides};
use kanava::control::Request;
use kanava::services::Services;
use kanava::staff::{self, Actor, Operation, OperationError, Outcome, Role};

async fn services() -> Services {
    let config = config::load(None, std::iter::empty(), &Overrides::default()).expect("defaults");
    Services::temporary(&config).await.expect("services")
}

fn actor(id: &str, role: Role) -> Actor {
    Actor::new(id, role).expect("valid id")
}

fn block(user: &str) -> Operation {
    Operation::BlockAdd {
        channel: "webchat".into(),
        user: user.into(),
        reason: "spam links".into(),
        hours: None,
    }
}

fn export(user: &str) -> Operation {
    Operation::SubjectExport {
        channel: "webchat".into(),
        user: user.into(),
        reason: "request 7".into(),
    }
}

async fn audit_kinds(s: &Services) -> Vec<(String, String)> {
    match staff::execute(
        s,
        &actor("root", Role::Admin),
        Operation::AuditQuery {
            since: 0,
            kind: None,
        },
    )
    .await
    {
        Ok(Outcome::Audit(records)) => records.into_iter().map(|r| (r.kind, r.actor)).collect(),
        other => panic!("audit query: {other:?}"),
    }
}

#[tokio::test]
async fn each_role_is_refused_what_it_does_not_need_and_the_refusal_is_audited() {
    let s = services().await;
    let moderator = actor("mod-anna", Role::Moderator);
    let dpo = actor("dpo-eva", Role::DataProtection);

    // A moderator blocks, but cannot read what a person said (export) or purge.
    staff::execute(&s, &moderator, block("abc"))
        .await
        .expect("moderator blocks");
    let denied = staff::execute(&s, &moderator, export("abc")).await;
    assert!(
        matches!(denied, Err(OperationError::Denied { .. })),
        "{denied:?}"
    );
    let message = denied.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("mod-anna") && message.contains("subject_export"),
        "{message}"
    );
    let purge = staff::execute(&s, &moderator, Operation::Purge { dry_run: true }).await;
    assert!(
        matches!(purge, Err(OperationError::Denied { .. })),
        "{purge:?}"
    );

    // The data protection officer exports, but does not moderate.
    staff::execute(&s, &dpo, export("abc"))
        .await
        .expect("dpo exports");
    let denied = staff::execute(&s, &dpo, block("xyz")).await;
    assert!(
        matches!(denied, Err(OperationError::Denied { .. })),
        "{denied:?}"
    );
    assert!(
        !s.guard.block_list().iter().any(|b| b.user == "xyz"),
        "the refused block was not made"
    );

    let kinds = audit_kinds(&s).await;
    let denials: Vec<&str> = kinds
        .iter()
        .filter(|(k, _)| k == "denied")
        .map(|(_, a)| a.as_str())
        .collect();
    assert_eq!(denials, ["mod-anna", "mod-anna", "dpo-eva"], "{kinds:?}");
    assert!(
        kinds.contains(&("export".into(), "dpo-eva".into())),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn an_appeal_is_rejected_or_accepted_with_the_decider_on_record() {
    let s = services().await;
    let moderator = actor("mod-ben", Role::Moderator);
    staff::execute(&s, &moderator, block("abc"))
        .await
        .expect("block");
    let decide = |accept| Operation::AppealDecide {
        channel: "webchat".into(),
        user: "abc".into(),
        accept,
        reason: "reviewed the transcript".into(),
    };

    let kept = staff::execute(&s, &moderator, decide(false)).await;
    assert!(matches!(kept, Ok(Outcome::Appeal { .. })), "{kept:?}");
    assert!(s.guard.block_list().iter().any(|b| b.user == "abc"));

    staff::execute(&s, &moderator, decide(true))
        .await
        .expect("accept");
    let now = kanava::clock::Clock::now(s.clock.as_ref());
    assert!(!s
        .guard
        .block_list()
        .iter()
        .any(|b| b.user == "abc" && b.active(now)));

    // Nothing left to appeal against.
    let again = staff::execute(&s, &moderator, decide(false)).await;
    assert!(
        again
            .as_ref()
            .is_err_and(|e| e.to_string().contains("not blocked")),
        "{again:?}"
    );

    let kinds = audit_kinds(&s).await;
    let ours: Vec<&str> = kinds
        .iter()
        .filter(|(_, a)| a == "mod-ben")
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(ours, ["block", "appeal_rejected", "unblock"], "{kinds:?}");
}

#[test]
fn a_request_with_a_bad_actor_is_refused_naming_the_field() {
    for (line, expect) in [
        (
            r#"{"actor":{"id":"system","role":"admin"},"operation":"stats"}"#,
            "system",
        ),
        (
            r#"{"actor":{"id":"a b","role":"admin"},"operation":"stats"}"#,
            "a b",
        ),
        (
            r#"{"actor":{"id":"anna","role":"superuser"},"operation":"stats"}"#,
            "superuser",
        ),
        (r#"{"operation":"stats"}"#, "actor"),
    ] {
        let err = serde_json::from_str::<Request>(line).expect_err(line);
        assert!(err.to_string().contains(expect), "{line}: {err}");
    }
    let ok: Request = serde_json::from_str(
        r#"{"actor":{"id":"anna","role":"moderator"},"operation":"block_list"}"#,
    )
    .expect("valid");
    assert_eq!(ok.actor.role(), Role::Moderator);
    assert_eq!(ok.operation, Operation::BlockList);
}
