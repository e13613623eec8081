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

    // Reloading the page draws the conversation again.
    c.refresh().await.expect("reload");
    wait_for_text(&c, ".msg.user", "Enter Finland ei toimi").await;
    wait_for_text(&c, ".msg.bot.history", "").await;

    // "New conversation" starts over: a welcome, none of the old messages.
    c.find(Locator::Css("button[data-kanava=new]"))
        .await
        .expect("new conversation button")
        .click()
        .await
        .expect("click");
    wait_for_text(&c, ".msg.bot[data-kind=welcome]", "").await;
    assert!(
        c.find_all(Locator::Css(".msg.user"))
            .await
            .expect("find")
            .is_empty(),
        "the old conversation is still shown"
    );
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

/// Clicks the embed's launcher on the host page.
async fn open_widget(c: &fantoccini::Client) {
    c.find(Locator::Css("button[data-kanava=launcher]"))
        .await
        .expect("launcher")
        .click()
        .await
        .expect("open");
}

/// Geometry of the chat's parts inside the frame: `[top, bottom, left, right]` of the header,
/// the log and the input, then the frame's viewport width and height.
async fn parts_in_view(c: &fantoccini::Client) -> Vec<f64> {
    let v = c
        .execute(
            "var r = function (s) { var e = document.querySelector(s).getBoundingClientRect(); \
             return [e.top, e.bottom, e.left, e.right]; }; \
             return [].concat(r('.kanava header'), r('.kanava .log'), r('#kanava-input'), \
             [innerWidth, innerHeight]);",
            vec![],
        )
        .await
        .expect("geometry");
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

/// The embed snippet on another site's page: the chat opens in a frame that fits the viewport
/// on a desktop, a phone and at 400 % zoom (320×256) after five long answers; the host page's
/// own CSS does not reach it; Escape closes it and gives focus back to the launcher. A site
/// whose origin is not allowed is told so in the widget, and the server log names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_widget_fits_every_viewport_and_escape_closes_it() {
    use axum::response::Html;
    let (_driver, c) = chromium("en").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let host = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let host_port = host.local_addr().expect("addr").port();
    let allowed = format!("[\"http://127.0.0.1:{host_port}\"]");
    let server = Server::start(
        &data,
        &[
            ("KANAVA_WEBCHAT_ALLOWED_ORIGINS", allowed.as_str()),
            ("KANAVA_TERMS_USER_MESSAGES_PER_MINUTE", "600"),
            ("KANAVA_TERMS_USER_BURST", "100"),
        ],
    );
    // A host page with hostile CSS of its own, served from another origin.
    let page = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Host</title>\
         <style>div, iframe {{ display: block !important; }} button {{ font-size: 40px; }}</style>\
         </head><body><header><h1>Host site</h1></header><main><p>Host content.</p></main>\
         <script src=\"http://{}/embed.js\" data-lang=\"en\"></script></body></html>",
        server.addr
    );
    let app = axum::Router::new().route("/", axum::routing::get(move || async move { Html(page) }));
    tokio::spawn(async move {
        let _ = axum::serve(host, app).await;
    });
    let shots = std::env::temp_dir().join("kanava-screenshots");
    let _ = std::fs::create_dir_all(&shots);

    for (w, h) in [(1280u32, 800u32), (390, 844), (320, 256)] {
        c.goto(&format!("http://127.0.0.1:{host_port}/"))
            .await
            .expect("host page");
        // The window is larger than its viewport (the browser's own frame): size the window
        // so that the page's viewport is w×h CSS pixels.
        c.set_window_size(w, h).await.expect("resize");
        let inner = c
            .execute("return [innerWidth, innerHeight];", vec![])
            .await
            .expect("viewport");
        let dw = w.saturating_sub(inner[0].as_u64().unwrap_or(u64::from(w)) as u32);
        let dh = h.saturating_sub(inner[1].as_u64().unwrap_or(u64::from(h)) as u32);
        c.set_window_size(w + dw, h + dh).await.expect("resize");
        open_widget(&c).await;
        c.find(Locator::Css("div[data-kanava=panel] iframe"))
            .await
            .expect("frame")
            .enter_frame()
            .await
            .expect("enter frame");
        // The chat resumes after the first round (no welcome again): wait for its input.
        for _ in 0..100 {
            if c.find(Locator::Id("kanava-input")).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for i in 0..5 {
            let before = c
                .find_all(Locator::Css(".msg.bot"))
                .await
                .map_or(0, |v| v.len());
            c.find(Locator::Id("kanava-input"))
                .await
                .expect("input")
                .send_keys(&format!("Mitä teen, jos Enter Finland ei toimi? ({i})\n"))
                .await
                .expect("type");
            for _ in 0..100 {
                let now = c
                    .find_all(Locator::Css(".msg.bot"))
                    .await
                    .map_or(0, |v| v.len());
                if now > before {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let g = parts_in_view(&c).await;
        let (vw, vh) = (g[12], g[13]);
        for (part, r) in ["header", "log", "input"].iter().zip(g.chunks(4)) {
            assert!(
                r[0] >= -0.5 && r[1] <= vh + 0.5 && r[2] >= -0.5 && r[3] <= vw + 0.5 && r[1] > r[0],
                "{w}×{h}: the {part} is outside the chat's viewport ({vw}×{vh}): {r:?}"
            );
        }
        if let Ok(png) = c.screenshot().await {
            let _ = std::fs::write(shots.join(format!("embed-{w}x{h}.png")), png);
        }
        // Escape inside the chat closes it; focus goes back to the launcher.
        c.find(Locator::Id("kanava-input"))
            .await
            .expect("input")
            .send_keys("\u{E00C}")
            .await
            .expect("escape");
        c.enter_parent_frame().await.expect("parent");
        let mut closed = serde_json::Value::Null;
        for _ in 0..50 {
            closed = c
                .execute(
                    "var p = document.querySelector('div[data-kanava=panel]'); \
                     var f = p.querySelector('iframe').getBoundingClientRect(); \
                     return [p.style.display, document.activeElement.getAttribute('data-kanava'), \
                     f.width <= innerWidth + 0.5];",
                    vec![],
                )
                .await
                .expect("state");
            if closed[0] == "none" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(closed[0], "none", "{w}×{h}: Escape did not close the chat");
        assert_eq!(closed[1], "launcher", "{w}×{h}: focus did not return");
    }

    // The same page from an origin that is not allowed (localhost instead of 127.0.0.1).
    c.set_window_size(1280, 800).await.expect("resize");
    c.goto(&format!("http://localhost:{host_port}/"))
        .await
        .expect("host page");
    open_widget(&c).await;
    let told = wait_for_text(&c, "div[data-kanava=panel] [role=alert]", "not allowed").await;
    assert!(told.contains(&server.addr.to_string()), "{told}");
    let log = std::fs::read_to_string(data.with_extension("stderr.log")).unwrap_or_default();
    assert!(
        log.contains("tried to embed the chat")
            && log.contains(&format!("http://localhost:{host_port}")),
        "the refused origin is not in the log"
    );
    c.close().await.expect("close");
}
