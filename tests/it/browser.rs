//! A real browser: headless Chromium (Debian's chromium + chromium-driver) loads the chat page,
//! types a question, sees the answer, switches language. The test command installs both; when
//! they are missing this test fails, it never skips.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};

use crate::support::Server;

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

async fn wait_for_text(c: &fantoccini::Client, css: &str, needle: &str) -> String {
    for _ in 0..100 {
        if let Ok(els) = c.find_all(Locator::Css(css)).await {
            for e in els {
                if let Ok(t) = e.text().await {
                    if t.contains(needle) {
                        return t;
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {css} containing {needle:?} within 10 s");
}

#[tokio::test]
async fn chat_page_answers_and_switches_language_in_chromium() {
    let driver_bin =
        std::env::var("KANAVA_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let chromium = std::env::var("KANAVA_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&driver_bin).exists(),
        "{driver_bin} is missing: run the README's test command, which installs chromium-driver"
    );
    let port = free_port();
    let _driver = Driver(
        Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&dir.path().join("data"), &[]);

    let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=390,844", "--lang=fi"]
        }
    }))
    .expect("caps");
    // Two TLS back ends are linked into the tests (ring for teloxide's client, aws-lc for
    // fantoccini's); rustls needs to be told which is the process default.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut client = None;
    for _ in 0..50 {
        match ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
    let c = client.expect("chromedriver session");
    c.goto(&format!("http://{}/", server.addr))
        .await
        .expect("load page");
    wait_for_text(&c, ".msg.bot[data-kind=welcome]", "chatbot").await;

    // The input is labelled, and Enter sends.
    let label = c
        .find(Locator::Css("label[for=kanava-input]"))
        .await
        .expect("label")
        .text()
        .await
        .expect("text");
    assert!(!label.is_empty());
    let input = c.find(Locator::Id("kanava-input")).await.expect("input");
    input
        .send_keys("Enter Finland ei toimi, mitä teen?\n")
        .await
        .expect("type");
    let answer = wait_for_text(&c, ".msg.bot[data-topic=enter-finland-outage]", "katko").await;
    assert!(answer.contains("2–4"), "{answer}");

    // Switch to Swedish with the button: the UI and the next answer are Swedish.
    c.find(Locator::Css("button[data-lang=sv]"))
        .await
        .expect("sv button")
        .click()
        .await
        .expect("click");
    wait_for_text(&c, ".msg.bot[data-kind=acknowledgement]", "svenska").await;
    let send_label = c
        .find(Locator::Css("form button[type=submit]"))
        .await
        .expect("send")
        .text()
        .await
        .expect("text");
    assert_eq!(send_label, "Skicka");
    let input = c.find(Locator::Id("kanava-input")).await.expect("input");
    input
        .send_keys("How long does processing take?\n")
        .await
        .expect("type");
    wait_for_text(
        &c,
        ".msg.bot[data-topic=processing-time]",
        "Behandlingstiden",
    )
    .await;

    // A suggested topic button answers that topic.
    let buttons = c
        .find_all(Locator::Css(
            ".msg.bot[data-topic=processing-time] .suggestions button",
        ))
        .await
        .expect("buttons");
    assert!(!buttons.is_empty());
    let topic = buttons[0]
        .attr("data-topic")
        .await
        .expect("attr")
        .expect("topic");
    buttons[0].click().await.expect("click");
    wait_for_text(&c, &format!(".msg.bot[data-topic={topic}]"), "").await;
    c.close().await.expect("close");
}
