//! A real browser: headless Chromium (Debian's chromium + chromium-driver) loads the chat page,
//! types a question, sees the answer, switches language. The test command installs both; when
//! they are missing this test fails, it never skips.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};

use crate::support::{free_port, repo, Server};

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
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

/// A headless Chromium session through chromedriver, with the UI language `lang`.
async fn chromium(lang: &str) -> (Driver, fantoccini::Client) {
    let driver_bin =
        std::env::var("KANAVA_CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let chromium = std::env::var("KANAVA_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        std::path::Path::new(&driver_bin).exists(),
        "{driver_bin} is missing: run the README's test command, which installs chromium-driver"
    );
    let port = free_port();
    let driver = Driver(
        Command::new(&driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=390,844", "--allow-file-access-from-files", &format!("--lang={lang}")]
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
    (driver, client.expect("chromedriver session"))
}

#[tokio::test]
async fn chat_page_answers_and_switches_language_in_chromium() {
    let (_driver, c) = chromium("fi").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&dir.path().join("data"), &[]);
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

/// Microsoft's own Web Chat (npm `botframework-webchat`) in Chromium, talking to kanava through
/// offline-directline: the greeting in the page's language, a question, a suggested action.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn microsofts_web_chat_talks_to_kanava_through_direct_line() {
    use crate::contract::Channel;
    let (_driver, c) = chromium("sv").await;
    let dl = crate::contract::botframework::DirectLineUser::start().await;
    let page = format!(
        "file://{}?directline={}/directline&locale=sv-FI",
        repo().join("tests/peers/webchat.html").display(),
        dl.directline.url
    );
    c.goto(&page).await.expect("load page");
    let welcome = kanava::i18n::Text::Welcome.get(kanava_adapter::Lang::Sv);
    let greeting: String = welcome.chars().take(30).collect();
    wait_for_text(&c, "body", &greeting).await;
    let input = c
        .find(Locator::Css(
            "input[data-id=webchat-sendbox-input], .webchat__send-box-text-box__input",
        ))
        .await
        .expect("send box");
    input
        .send_keys("Hur länge tar behandlingen av min ansökan?\n")
        .await
        .expect("type");
    wait_for_text(&c, "body", "Behandlingstiden").await;
    let buttons = c
        .find_all(Locator::Css(".webchat__suggested-action"))
        .await
        .expect("suggested actions");
    let first = buttons.first().expect("a suggested action");
    let label = first.text().await.expect("label");
    first.click().await.expect("click");
    // The chosen topic's answer (its title was the button) arrives after the button press.
    let kb = crate::retrieval::kb();
    let topic = kb
        .topics()
        .iter()
        .find(|t| t.text(kanava_adapter::Lang::Sv).title == label.trim())
        .unwrap_or_else(|| panic!("a topic titled {label:?}"));
    let opening: String = topic
        .text(kanava_adapter::Lang::Sv)
        .answer
        .to_plain()
        .chars()
        .take(25)
        .collect();
    wait_for_text(&c, "body", &opening).await;
    drop(dl);
    c.close().await.expect("close");
}
