//! The command line: `ask` output, `knowledge check` errors and exit codes.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::{kanava_bin, repo};

#[test]
fn ask_prints_one_json_line_per_question_from_stdin() {
    let mut child = Command::new(kanava_bin())
        .args(["ask", "--knowledge"])
        .arg(repo().join("knowledge"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"Enter Finland ei toimi\nhur l\xc3\xa4nge tar behandlingen\n\xff\xfe not utf8\nwhat is the capital of australia\n").expect("write");
    drop(stdin);
    let out = child.wait_with_output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 3, "the invalid line is skipped with a message");
    assert_eq!(
        (
            lines[0]["lang"].as_str(),
            lines[0]["topic"].as_str(),
            lines[0]["verdict"].as_str()
        ),
        (Some("fi"), Some("enter-finland-outage"), Some("answered"))
    );
    assert_eq!(
        (lines[1]["lang"].as_str(), lines[1]["topic"].as_str()),
        (Some("sv"), Some("processing-time"))
    );
    assert_eq!(
        (lines[2]["topic"].as_str(), lines[2]["verdict"].as_str()),
        (None, Some("fallback"))
    );
    let c = lines[0]["confidence"].as_f64().expect("confidence");
    assert!((0.0..=1.0).contains(&c));
    let first = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(first.starts_with("{\"lang\":\"fi\",\"topic\":"), "{first}");
}

#[test]
fn knowledge_check_names_file_line_and_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(repo().join("knowledge/topics")).expect("topics") {
        let p = entry.expect("entry").path();
        std::fs::copy(&p, dir.path().join(p.file_name().expect("name"))).expect("copy");
    }
    let broken = dir.path().join("languages.txt");
    let src = std::fs::read_to_string(&broken).expect("read");
    std::fs::write(
        &broken,
        src.replace("related: human-advisor", "related: human-advisr"),
    )
    .expect("write");
    let out = Command::new(kanava_bin())
        .args(["knowledge", "check"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("languages.txt:2: related topic \"human-advisr\" does not exist"),
        "{stdout}"
    );

    let ok = Command::new(kanava_bin())
        .args(["knowledge", "check"])
        .arg(repo().join("knowledge"))
        .output()
        .expect("run");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
}

#[test]
fn bad_config_names_the_key_and_exits_non_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("k.toml");
    std::fs::write(&cfg, "[conversation]\nsession_idle_minutes = 0\n").expect("write");
    let out = Command::new(kanava_bin())
        .arg("--config")
        .arg(&cfg)
        .args(["ask", "hi"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "config key `conversation.session_idle_minutes`: 0 is outside 1..=1440 minutes"
        ),
        "{err}"
    );
}

#[test]
fn redact_streams_one_line_per_line_and_survives_bad_bytes() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(kanava_bin())
        .arg("redact")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    // Streaming: each answer arrives before the next line is written.
    let mut line = String::new();
    stdin
        .write_all(b"hetu 131052-308T kiitos\n")
        .expect("write");
    stdin.flush().expect("flush");
    stdout.read_line(&mut line).expect("read");
    assert_eq!(line, "hetu [HETU] kiitos\n");
    stdin
        .write_all(b"\xff\xfe 1234567\n\nplain text\nno newline at end")
        .expect("write");
    drop(stdin);
    let rest: Vec<String> = stdout.lines().map(|l| l.expect("utf-8")).collect();
    assert_eq!(
        rest,
        [
            "\u{FFFD}\u{FFFD} [NUMBER]",
            "",
            "plain text",
            "no newline at end"
        ]
    );
    assert!(child.wait().expect("wait").success());
}

#[test]
fn classify_prints_verdict_then_reason_per_line() {
    let mut child = Command::new(kanava_bin())
        .arg("classify")
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all("Missä vaiheessa hakemukseni 1234567 on?\nKuinka kauan käsittely kestää?\nBuy cheap permits at www.example.com\n\n".as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    let first: Vec<&str> = text
        .lines()
        .map(|l| l.split(' ').next().unwrap_or_default())
        .collect();
    assert_eq!(
        first,
        ["case_specific", "general", "advertising", "general"],
        "{text}"
    );
    assert!(
        text.lines().next().is_some_and(|l| l.contains("[NUMBER]")),
        "the reason names the signal: {text}"
    );
    assert!(!text.contains("1234567"));
}

#[test]
fn moderators_block_and_read_the_audit_through_a_running_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let server = crate::support::Server::start(&data, &[]);
    let run = |args: &[&str]| crate::support::kanava_data_ok(args, &data);
    run(&[
        "block",
        "add",
        "--channel",
        "webchat",
        "--user",
        "abc",
        "--reason",
        "spam links",
        "--hours",
        "24",
        "--moderator",
        "mod-anna",
    ]);
    let list = run(&["block", "list", "--json"]);
    assert!(
        list.contains("\"user\":\"abc\"") && list.contains("mod-anna"),
        "{list}"
    );
    run(&[
        "block",
        "remove",
        "--channel",
        "webchat",
        "--user",
        "abc",
        "--reason",
        "mistake",
        "--moderator",
        "mod-ben",
    ]);
    assert!(server.stop().success());
    // With no server, the same commands open the store directly.
    let audit = run(&["audit", "--json", "--since", "1h"]);
    let kinds: Vec<String> = audit
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("json")["kind"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(kinds, ["block", "unblock"], "{audit}");
    let err = Command::new(kanava_bin())
        .args([
            "block",
            "remove",
            "--channel",
            "webchat",
            "--user",
            "abc",
            "--reason",
            "again",
            "--moderator",
            "m",
            "--data",
        ])
        .arg(&data)
        .output()
        .expect("run");
    assert!(!err.status.success());
    assert!(String::from_utf8_lossy(&err.stderr).contains("webchat/abc is not blocked"));
}

#[test]
fn subject_commands_export_and_refuse_erasure_under_a_legal_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let _server = crate::support::Server::start(&data, &[("KANAVA_RETENTION_LEGAL_HOLD", "true")]);
    let base = [
        "--channel",
        "webchat",
        "--user",
        "nobody",
        "--reason",
        "request 7",
        "--staff",
        "dpo-eva",
    ];
    let args: Vec<&str> = ["subject", "export"]
        .iter()
        .chain(base.iter())
        .copied()
        .collect();
    let export: serde_json::Value =
        serde_json::from_str(&crate::support::kanava_data_ok(&args, &data)).expect("json");
    assert_eq!(export["user"], "nobody");
    let args: Vec<&str> = ["subject", "erase"]
        .iter()
        .chain(base.iter())
        .copied()
        .collect();
    let out = crate::support::kanava_data(&args, &data);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("legal hold"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let audit = Command::new(kanava_bin())
        .args(["audit", "--json", "--data"])
        .arg(&data)
        .output()
        .expect("run");
    let kinds: Vec<String> = String::from_utf8_lossy(&audit.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("json")["kind"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(kinds, ["export", "erase_refused"]);
}

#[test]
fn odd_arguments_get_an_error_never_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let run = |args: &[&str]| {
        Command::new(kanava_bin())
            .args(args)
            .arg("--data")
            .arg(&data)
            .output()
            .expect("run")
    };
    for (args, expect) in [
        // A unit that is not one, ending in a two-byte character.
        (&["audit", "--since", "7ä"][..], "--since \"7ä\": expected"),
        (&["audit", "--since", "ä"][..], "--since \"ä\": expected"),
        (
            &["audit", "--since", "99999999999999999d"][..],
            "too far back",
        ),
        // A block that would end past the end of time, or at once.
        (
            &[
                "block",
                "add",
                "--channel",
                "webchat",
                "--user",
                "u",
                "--reason",
                "r",
                "--moderator",
                "m",
                "--hours",
                "18446744073709551615",
            ][..],
            "--hours",
        ),
        (
            &[
                "block",
                "add",
                "--channel",
                "webchat",
                "--user",
                "u",
                "--reason",
                "r",
                "--moderator",
                "m",
                "--hours",
                "0",
            ][..],
            "--hours",
        ),
    ] {
        let out = run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(1 | 2)),
            "{args:?}: {:?} {err}",
            out.status
        );
        assert!(err.contains(expect), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    // Nothing was blocked by the refused commands: no data was even written.
    assert!(
        !data.exists(),
        "a refused command created the data directory"
    );
}

#[test]
fn appeals_are_decided_from_the_command_line_and_staff_ids_are_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    // Offline commands work on an existing data directory only (a mistyped path is an error).
    std::fs::create_dir(&data).expect("data dir");
    let who = ["--channel", "telegram", "--user", "42", "--reason"];
    let run = |args: &[&str]| crate::support::kanava_data(args, &data);
    let ok = |args: &[&str]| crate::support::kanava_data_ok(args, &data);
    let cmd = |head: &[&'static str], reason: &'static str, tail: &[&'static str]| {
        let mut v: Vec<&str> = head.to_vec();
        v.extend(who);
        v.push(reason);
        v.extend(tail);
        v
    };
    ok(&cmd(
        &["block", "add"],
        "flooding",
        &["--moderator", "mod-anna"],
    ));

    // A personal id with a space, or one of kanava's own, is refused before anything happens.
    for bad in ["anna k", "system", ""] {
        let out = run(&cmd(
            &["block", "appeal"],
            "r",
            &["--reject", "--moderator", bad],
        ));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{bad:?} accepted");
        assert!(
            err.contains("staff id") && !err.contains("panicked"),
            "{bad:?}: {err}"
        );
    }
    // Neither --accept nor --reject: clap says which flag is missing.
    let out = run(&cmd(&["block", "appeal"], "r", &["--moderator", "mod-ben"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--reject"));

    let decided = ok(&cmd(
        &["block", "appeal"],
        "not convinced",
        &["--reject", "--moderator", "mod-ben"],
    ));
    // Offline there is no channel to tell the user through; the moderator is told so.
    assert!(
        decided.contains("\"told\":\"no\"") && decided.contains("not serving"),
        "{decided}"
    );
    assert!(ok(&["block", "list", "--json"]).contains("\"user\":\"42\""));
    ok(&cmd(
        &["block", "appeal"],
        "apologised",
        &["--accept", "--moderator", "mod-ben"],
    ));
    assert!(!ok(&["block", "list", "--json"]).contains("\"user\":\"42\""));

    // --data also goes before the command, like --config.
    let out = Command::new(kanava_bin())
        .arg("--data")
        .arg(&data)
        .args(["audit", "--json"])
        .output()
        .expect("run");
    let records: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let seen: Vec<(&str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap_or_default(),
                r["actor"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("block", "mod-anna"),
            ("appeal_rejected", "mod-ben"),
            ("unblock", "mod-ben")
        ]
    );
    assert!(records[2]["reason"]
        .as_str()
        .is_some_and(|r| r.contains("appeal accepted: apologised")));
}
