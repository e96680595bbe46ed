//! The site in a real browser (C16, C21): Debian's headless `chromium`, driven over
//! WebDriver through `chromedriver`, against the real server over HTTPS. Each test
//! fails on any console error the browser logged, CSP refusals included, and saves
//! screenshots under `target/screenshots/`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{Backend, Launch, TestApp, skip};

const PACKAGES: &str = "apt-get install chromium chromium-driver";

/// A browser session, with the chromedriver that runs it; both end on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// The browser's console, which chromedriver keeps when asked (`goog:loggingPrefs`).
#[derive(Debug)]
struct ConsoleLog;

impl WebDriverCompatibleCommand for ConsoleLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

/// The server's certificate is from the test run's own development CA, which the
/// browser does not know: it is told to trust that certificate's key (base64 SHA-256 of
/// its SubjectPublicKeyInfo) as it would a publicly trusted one, so the origin is a
/// secure context with `Secure` cookies, unlike a certificate error clicked through.
fn trusted_key(app: &TestApp) -> String {
    let cert = app.key_dir().join("tls/dev-cert.pem");
    let out = Command::new("sh")
        .arg("-c")
        .arg(
            "openssl x509 -pubkey -noout -in \"$1\" | openssl pkey -pubin -outform der \
             | openssl dgst -sha256 -binary | openssl base64 -A",
        )
        .arg("sh")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

impl Browser {
    /// A fresh headless browser with no cookies, trusting `app`'s certificate; `None`
    /// (after a loud skip) when chromium or chromedriver is not installed.
    pub async fn start(app: &TestApp) -> Option<Browser> {
        if !std::path::Path::new("/usr/bin/chromium").exists() {
            skip("chromium", PACKAGES);
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let Ok(driver) = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        else {
            skip("chromedriver", PACKAGES);
            return None;
        };
        let spki = trusted_key(app);
        let mut capabilities = Capabilities::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                         "--window-size=1280,900", "--lang=nb",
                         format!("--ignore-certificate-errors-spki-list={spki}")],
                // What a Norwegian visitor's browser asks for.
                "prefs": {"intl.accept_languages": "nb,no,en"},
            }),
        );
        capabilities.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
        let url = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let connected =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(capabilities.clone())
                    .connect(&url)
                    .await;
            match connected {
                Ok(client) => return Some(Browser { client, driver }),
                Err(error) if std::time::Instant::now() > deadline => {
                    panic!("chromedriver did not start a session: {error}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }

    /// Every console error since the last call (CSP refusals are among them).
    pub async fn console_errors(&self) -> Vec<String> {
        let log = self.client.issue_cmd(ConsoleLog).await.unwrap();
        log.as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Saves the page as `target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// The names and values of the cookies the browser holds for the site.
    pub async fn cookies(&self) -> Vec<(String, String)> {
        self.client
            .get_all_cookies()
            .await
            .unwrap()
            .iter()
            .map(|c| (c.name().to_owned(), c.value().to_owned()))
            .collect()
    }

    pub async fn text_of(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    /// Clicks a form's button and waits until the browser holds a consent cookie whose
    /// value starts with `value` and the page it was sent back to has loaded.
    pub async fn choose(&self, css: &str, value: &str) {
        self.click(css).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let cookies = self.cookies().await;
            let set = cookies.iter().any(|(_, v)| v.starts_with(value));
            let loaded = self
                .client
                .execute("return document.readyState", vec![])
                .await
                .is_ok_and(|state| state == "complete");
            if set && loaded {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no {value} consent: {cookies:?} on {}",
                self.client.source().await.unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clears the field and types `text` into it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// A field's live value (what a script or the person set, not its attribute).
    pub async fn value(&self, css: &str) -> String {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.prop("value").await.unwrap().unwrap_or_default()
    }

    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let element = self.client.find(Locator::Css(css)).await.unwrap();
        element.attr(name).await.unwrap()
    }

    /// Clicks a form's button and waits for the page the server answered with.
    pub async fn submit(&self, css: &str) {
        let before = self.client.find(Locator::Css("html")).await.unwrap();
        self.click(css).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        // The old page's root goes stale once the new one has replaced it.
        while before.tag_name().await.is_ok() {
            assert!(std::time::Instant::now() < deadline, "no new page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.client
            .wait()
            .for_element(Locator::Css("footer"))
            .await
            .unwrap();
    }

    pub async fn has(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap()
            .is_empty()
    }

    /// Ends the session; dropping `self` then stops chromedriver.
    pub async fn close(self) {
        self.client.clone().close().await.unwrap();
    }
}

/// A server for the browser, with the numbers the security page must show.
async fn site() -> Option<TestApp> {
    Some(
        Launch::new(Backend::Sqlite)
            .await?
            .arg("--backup-min-days")
            .arg("35")
            .arg("--log-retention-days")
            .arg("60")
            .start()
            .await,
    )
}

#[tokio::test]
async fn c21_the_banner_asks_first_no_optional_cookie_before_a_choice_and_each_choice_persists() {
    let Some(app) = site().await else { return };
    let Some(browser) = Browser::start(&app).await else {
        return;
    };
    let b = &browser;

    // First visit: the banner, in Norwegian, and no cookie at all.
    b.client.goto(&app.url("/")).await.unwrap();
    assert!(b.has(".banner").await, "the banner is shown");
    assert_eq!(b.text_of("#cookie-title").await, "Informasjonskapsler");
    assert!(
        b.cookies().await.is_empty(),
        "no cookie before a choice: {:?}",
        b.cookies().await
    );
    b.screenshot("landing").await;

    // Reject all: back on the same page without the banner, one necessary cookie
    // holding "nothing optional", still so after a reload and on other pages.
    b.choose("button[value=none]", "1.000.").await;
    assert!(!b.has(".banner").await);
    let cookies = b.cookies().await;
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert_eq!(cookies[0].0, "__Host-skjold-consent");
    assert!(cookies[0].1.starts_with("1.000."), "{cookies:?}");
    b.client.refresh().await.unwrap();
    assert!(!b.has(".banner").await, "the choice persists");
    b.client.goto(&app.url("/privacy")).await.unwrap();
    assert!(!b.has(".banner").await);

    // Changing it is one click away in the footer; accept all there.
    b.click("footer a[href^='/cookies']").await;
    b.choose("button[value=all]", "1.111.").await;
    b.client.goto(&app.url("/cookies")).await.unwrap();
    assert!(
        b.text_of("main")
            .await
            .contains("Ditt nåværende valg ble gjort")
    );

    // "Velg selv" opens the categories without a script: statistics only.
    b.click("details summary").await;
    // The form shows the current choice (all three on): statistics stays, the rest go.
    if !b.has("input[name=statistics]:checked").await {
        b.click("input[name=statistics]").await;
    }
    if b.has("input[name=marketing]:checked").await {
        b.click("input[name=marketing]").await;
    }
    if b.has("input[name=preferences]:checked").await {
        b.click("input[name=preferences]").await;
    }
    b.choose("button[value=some]", "1.010.").await;
    assert_eq!(
        b.cookies().await.len(),
        1,
        "still only the necessary cookie"
    );

    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.close().await;
}

#[tokio::test]
async fn c16_the_security_page_shows_the_configured_retention_in_the_browser() {
    let Some(app) = site().await else { return };
    let Some(browser) = Browser::start(&app).await else {
        return;
    };
    let b = &browser;
    b.client.goto(&app.url("/security?lang=en")).await.unwrap();
    assert_eq!(b.text_of("[data-fact=backup-min-days]").await, "35");
    assert_eq!(b.text_of("[data-fact=backup-max-days]").await, "90");
    assert_eq!(b.text_of("[data-fact=log-retention-days]").await, "60");
    assert!(b.text_of("h1").await.contains("Security"));
    b.screenshot("security").await;
    // The stylesheet applied: the banner has its own background, not the page's.
    let background = b
        .client
        .find(Locator::Css(".banner"))
        .await
        .unwrap()
        .css_value("background-color")
        .await
        .unwrap();
    assert_ne!(
        background, "rgba(0, 0, 0, 0)",
        "the embedded stylesheet loaded"
    );
    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.close().await;
}

#[tokio::test]
async fn c11_c13_a_person_signs_in_with_the_2_step_code_and_out_in_the_browser() {
    let mailbox = crate::mailbox::Mailbox::start().await;
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let app = launch.mail_to(&mailbox).start().await;
    let email = "kari@example.no";
    let (token, _) = crate::people::person(&app, &mailbox, email).await;
    let (_, totp) = crate::second_step::enable_totp_secret(&app, &token).await;
    let Some(browser) = Browser::start(&app).await else {
        return;
    };
    let b = &browser;
    b.client.goto(&app.url("/cookies")).await.unwrap();
    b.choose("button[value=none]", "1.000.").await;

    // A wrong password: the form again, the message beside the password field.
    b.client.goto(&app.url("/login")).await.unwrap();
    b.screenshot("sign-in").await;
    b.type_into("#email", email).await;
    b.type_into("#password", "not the password at all").await;
    b.submit("form.stacked button").await;
    assert_eq!(
        b.text_of("#password-error").await,
        "Feil e-post eller passord."
    );
    assert_eq!(
        b.attribute("#password", "aria-invalid").await.as_deref(),
        Some("true")
    );

    // The right one, then the authenticator's code (the next step's: the current one
    // was spent confirming the app), and signed in, the session in the __Host- cookie.
    b.type_into("#password", crate::people::PASSWORD).await;
    b.submit("form.stacked button").await;
    b.screenshot("second-step").await;
    let unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    b.type_into("#code", &totp.code_at(unix + 30).unwrap())
        .await;
    b.submit("form.stacked button").await;
    assert_eq!(b.text_of("#signed-in-as").await, email);
    assert!(
        b.cookies()
            .await
            .iter()
            .any(|(n, _)| n == "__Host-skjold_session")
    );
    b.submit("#sign-out button").await;
    assert!(
        !b.cookies()
            .await
            .iter()
            .any(|(n, _)| n == "__Host-skjold_session")
    );
    b.client.goto(&app.url("/app")).await.unwrap();
    assert!(
        b.has("#password").await,
        "signed out: /app leads to the login form"
    );

    let errors = b.console_errors().await;
    // The wrong password's 401 is the browser's only complaint, and an expected one.
    assert!(
        errors
            .iter()
            .all(|e| e.contains("/login") && e.contains("401")),
        "console errors: {errors:?}"
    );
    browser.close().await;
}

#[tokio::test]
async fn c11_c13_sign_up_confirm_sign_in_set_up_2_step_sign_in_with_it_and_a_password_change_signs_out_elsewhere()
 {
    let mailbox = crate::mailbox::Mailbox::start().await;
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let app = launch.mail_to(&mailbox).start().await;
    let Some(browser) = Browser::start(&app).await else {
        return;
    };
    let b = &browser;
    let email = "ola@example.no";
    b.client.goto(&app.url("/signup")).await.unwrap();
    b.choose("button[value=none]", "1.000.").await;

    // A common password is refused beside its field, the other values kept.
    b.type_into("#account_name", "Nordmann AS").await;
    b.type_into("#email", email).await;
    b.type_into("#password", "password123").await;
    b.submit("form.stacked button").await;
    assert!(
        b.has("#password-error").await,
        "the refusal beside the password"
    );
    assert_eq!(b.attribute("#email", "value").await.as_deref(), Some(email));
    b.type_into("#password", crate::people::PASSWORD).await;
    b.submit("form.stacked button").await;
    assert!(b.has("#check-mail").await);

    // The link in the mail: its code is moved from the fragment into the form.
    let mail = mailbox.wait_for(email, "Confirm your e-mail address").await;
    let link = mail
        .body
        .split_whitespace()
        .find(|word| word.contains("/verify-email#token="))
        .expect("a confirmation link")
        .to_owned();
    b.client.goto(&link).await.unwrap();
    // The field's live value, which the script set (not its attribute).
    let code = b.value("#token").await;
    assert!(code.starts_with("skjv_"), "{code:?}");
    let address = b.client.current_url().await.unwrap();
    assert!(
        address.fragment().is_none(),
        "the code left the address bar: {address}"
    );
    b.submit("form.stacked button").await;
    assert!(b.has("#confirmed").await);

    // And signs in.
    b.click("#confirmed a").await;
    b.type_into("#email", email).await;
    b.type_into("#password", crate::people::PASSWORD).await;
    b.submit("form.stacked button").await;
    assert_eq!(b.text_of("#signed-in-as").await, email);
    assert!(
        b.has("#nav-app").await,
        "the menu leads to the app, not the login"
    );
    b.screenshot("app").await;

    // Sets up an authenticator app: the password, then the secret shown as text and as
    // an otpauth: link; a wrong code is named beside the field and the secret stays.
    b.click("#two-step-link").await;
    b.type_into("#totp-password", crate::people::PASSWORD).await;
    b.submit("#begin-totp button").await;
    let secret_text = b.text_of("#totp-secret").await;
    let link = b.attribute("#totp-link", "href").await.unwrap_or_default();
    assert!(
        link.starts_with("otpauth://totp/") && link.contains(&secret_text),
        "{link}"
    );
    assert!(
        b.has("#totp-qr svg").await,
        "a QR code for the app's camera"
    );
    b.screenshot("two-step-setup").await;
    let secret = skjold_crypto::TotpSecret::from_base32(&secret_text).unwrap();
    let unix = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    b.type_into("#totp-code", "000000").await;
    b.submit("#confirm-totp button").await;
    assert!(
        b.has("#totp-code-error").await,
        "the wrong code beside the field"
    );
    assert_eq!(b.text_of("#totp-secret").await, secret_text);
    b.type_into("#totp-code", &secret.code_at(unix()).unwrap())
        .await;
    b.submit("#confirm-totp button").await;
    assert!(b.has("#totp-on").await, "{}", b.text_of("main").await);
    let codes = b
        .client
        .find_all(Locator::Css("#recovery-codes li"))
        .await
        .unwrap();
    assert_eq!(codes.len(), 10, "ten recovery codes, shown once");
    let recovery_code = codes[0].text().await.unwrap();
    let another_code = codes[1].text().await.unwrap();
    b.screenshot("two-step").await;

    // Signs out, and in again: now the password is not enough, the app's code is asked
    // for (the next step's: this one was spent confirming).
    b.client.goto(&app.url("/app")).await.unwrap();
    b.submit("#sign-out button").await;
    b.client.goto(&app.url("/login")).await.unwrap();
    b.type_into("#email", email).await;
    b.type_into("#password", crate::people::PASSWORD).await;
    b.submit("form.stacked button").await;
    assert!(b.has("#code").await, "the 2-step code is asked for");
    assert!(!b.has("#signed-in-as").await);
    b.type_into("#code", &secret.code_at(unix() + 30).unwrap())
        .await;
    b.submit("form.stacked button").await;
    assert_eq!(b.text_of("#signed-in-as").await, email);
    assert!(b.text_of("#two-step-status").await.contains("Slått på"));

    // Signed in in a second browser as well, there with a recovery code; changing the
    // password in the first signs the second out, and the first stays in.
    let Some(other) = Browser::start(&app).await else {
        return;
    };
    other.client.goto(&app.url("/login")).await.unwrap();
    other.type_into("#email", email).await;
    other.type_into("#password", crate::people::PASSWORD).await;
    other.submit("form.stacked button").await;
    other.type_into("#code", &recovery_code).await;
    other.submit("form.stacked button").await;
    assert_eq!(other.text_of("#signed-in-as").await, email);

    // The first lists both sessions and signs the other out with one click.
    b.client.goto(&app.url("/app")).await.unwrap();
    let rows = b
        .client
        .find_all(Locator::Css("table.sessions tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "both sessions listed");
    b.submit("#end-others button").await;
    other.client.goto(&app.url("/app")).await.unwrap();
    assert!(
        other.has("#password").await,
        "signed out from the first browser"
    );
    assert_eq!(b.text_of("#signed-in-as").await, email);

    // Signed in there again (the next recovery code); now the password changes.
    other.type_into("#email", email).await;
    other.type_into("#password", crate::people::PASSWORD).await;
    other.submit("form.stacked button").await;
    other.type_into("#code", &another_code).await;
    other.submit("form.stacked button").await;
    assert_eq!(other.text_of("#signed-in-as").await, email);
    b.type_into("#current", "not my password at all").await;
    b.type_into("#new", "a brand new long passphrase").await;
    b.submit("#change-password button").await;
    assert!(
        b.has("#current-error").await,
        "a wrong current password is named beside it"
    );
    b.type_into("#current", crate::people::PASSWORD).await;
    b.type_into("#new", "a brand new long passphrase").await;
    b.submit("#change-password button").await;
    assert!(b.has("#password-changed").await);
    other.client.goto(&app.url("/app")).await.unwrap();
    assert!(
        other.has("#password").await,
        "the other browser is signed out"
    );
    b.client.goto(&app.url("/app")).await.unwrap();
    assert_eq!(
        b.text_of("#signed-in-as").await,
        email,
        "this browser stays in"
    );

    // The refused forms' 422s are the only complaints, and expected ones.
    let errors = b.console_errors().await;
    assert!(
        errors.iter().all(|e| e.contains("422")),
        "console errors: {errors:?}"
    );
    assert!(other.console_errors().await.is_empty());
    other.close().await;
    browser.close().await;
}

/// A fresh browser that has answered the cookie banner ("only necessary"), signed in
/// as `email` through the login form.
pub async fn signed_in(app: &TestApp, email: &str) -> Option<Browser> {
    let browser = Browser::start(app).await?;
    browser.client.goto(&app.url("/cookies")).await.unwrap();
    browser.choose("button[value=none]", "1.000.").await;
    sign_in(&browser, app, email).await;
    Some(browser)
}

/// Signs `email` in in `browser` through the login form (no 2-step step).
pub async fn sign_in(browser: &Browser, app: &TestApp, email: &str) {
    browser.client.goto(&app.url("/login")).await.unwrap();
    browser.type_into("#email", email).await;
    browser
        .type_into("#password", crate::people::PASSWORD)
        .await;
    browser.submit("form.stacked button").await;
    assert_eq!(browser.text_of("#signed-in-as").await, email);
}

#[tokio::test]
async fn c15_a_restricted_member_sees_the_contacts_masked_and_no_audit_trail_in_the_browser() {
    let mailbox = crate::mailbox::Mailbox::start().await;
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let app = launch.mail_to(&mailbox).start().await;
    let (owner, me) = crate::people::person(&app, &mailbox, "eier@example.no").await;
    let account = me["memberships"][0]["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let contacts = format!("/api/v1/accounts/{account}/contacts");
    for (name, email, phone) in [
        (
            "Kari Nordmann",
            "kari.nordmann@example.com",
            "+47 912 34 123",
        ),
        ("Per Hansen", "per.hansen@example.com", "+47 934 56 789"),
    ] {
        let (status, body) = app
            .post_json(
                &contacts,
                serde_json::json!({"name": name, "email": email, "phone": phone,
                    "national_id": "17058510068", "company": "Integrera AS", "tags": ["kunde"]}),
                Some(&owner),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    crate::people::member(
        &app,
        &mailbox,
        &owner,
        &account,
        "begrenset@example.no",
        "restricted",
    )
    .await;

    for (email, who) in [
        ("eier@example.no", "owner"),
        ("begrenset@example.no", "restricted"),
    ] {
        let Some(browser) = Browser::start(&app).await else {
            return;
        };
        let b = &browser;
        b.client.goto(&app.url("/cookies")).await.unwrap();
        b.choose("button[value=none]", "1.000.").await;
        sign_in(b, &app, email).await;
        // The owner's account (a member also has the account their sign-up made).
        b.submit(&format!("ul.accounts a[href*='{account}']")).await;
        assert!(
            b.has("table.contacts").await,
            "{who}: {}",
            b.text_of("main").await
        );
        let table = b.text_of("table.contacts").await;
        b.screenshot(&format!("contacts-{who}")).await;
        if who == "owner" {
            assert!(
                table.contains("kari.nordmann@example.com") && table.contains("17058510068"),
                "{table}"
            );
            assert!(!b.has("#masked-note").await);
        } else {
            assert!(b.has("#masked-note").await);
            assert!(table.contains("k***@example.com"), "{table}");
            for clear in ["kari.nordmann@", "17058510068", "912 34 123"] {
                assert!(
                    !table.contains(clear),
                    "{clear} shown to a restricted member: {table}"
                );
            }
            assert!(
                table.contains("Integrera AS"),
                "company is not personal data: {table}"
            );
            // The switcher leads to the member's own account, where they are the owner.
            assert_eq!(b.text_of("#my-role").await, "begrenset");
            let own = b
                .client
                .find_all(Locator::Css("#account-switch option"))
                .await
                .unwrap();
            assert_eq!(own.len(), 2, "both accounts offered");
            b.client
                .find(Locator::Css("#account-switch"))
                .await
                .unwrap()
                .select_by_index(if own[0].attr("selected").await.unwrap().is_some() {
                    1
                } else {
                    0
                })
                .await
                .unwrap();
            b.submit(".switcher button").await;
            assert_eq!(b.text_of("#my-role").await, "eier");
            // The language link keeps the page, its account and all.
            b.submit("a[hreflang=en]").await;
            assert_eq!(b.text_of("#my-role").await, "owner");
            assert_eq!(b.attribute("html", "lang").await.as_deref(), Some("en"));
            b.submit("a[hreflang=nb]").await;
            assert!(!b.has("#masked-note").await);
            assert!(
                !b.client
                    .current_url()
                    .await
                    .unwrap()
                    .as_str()
                    .contains(&account),
                "another account"
            );
        }
        // The audit trail: owners and admins only.
        b.client.goto(&app.url("/app")).await.unwrap();
        let audit_link = format!("a.audit-link[href*='{account}']");
        if who == "owner" {
            b.submit(&audit_link).await;
            let trail = b.text_of("table.audit").await;
            assert!(
                trail.contains("contact_created") && trail.contains("pii_read"),
                "{trail}"
            );
            b.screenshot("audit").await;
        } else {
            assert!(
                !b.has(&audit_link).await,
                "no audit link for a restricted member"
            );
            let refused = app
                .client
                .get(app.url(&format!("/app/audit?account={account}")))
                .header(
                    "cookie",
                    format!(
                        "__Host-skjold_session={}",
                        b.cookies()
                            .await
                            .into_iter()
                            .find(|(n, _)| n == "__Host-skjold_session")
                            .unwrap()
                            .1
                    ),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(
                refused.status(),
                403,
                "the page itself refuses, not only the link"
            );
        }
        let errors = b.console_errors().await;
        assert!(errors.is_empty(), "console errors: {errors:?}");
        browser.close().await;
    }
}
