//! Accessibility of every page (C16, issue 8: labels, contrast, names, structure),
//! checked in the real browser by axe-core, the engine browser audits use, against
//! WCAG 2.1 A and AA. Any violation fails the test and is listed with its elements.

use serde_json::{Value, json};

use crate::browser::{Browser, sign_in};
use crate::helpers::{Backend, Launch, TestApp, skip};

const PACKAGE: &str = "npm install -g axe-core";

/// axe-core's script, from npm's global folder; `None` (after a loud skip) without it.
fn axe_source() -> Option<String> {
    let root = std::process::Command::new("npm")
        .args(["root", "-g"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
    let source = root.and_then(|root| {
        std::fs::read_to_string(std::path::Path::new(&root).join("axe-core/axe.min.js")).ok()
    });
    if source.is_none() {
        skip("axe-core", PACKAGE);
    }
    source
}

/// The WCAG 2.1 A/AA violations axe finds on the page `b` shows, one line each.
async fn violations(b: &Browser, axe: &str) -> Vec<String> {
    b.client.execute(axe, vec![]).await.unwrap();
    let found = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {runOnly: {type: 'tag',
                 values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
               .then(r => done(r.violations.map(v =>
                   v.id + ': ' + v.help + ' at ' +
                   v.nodes.map(n => n.target.join(' ')).join(', '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    match found {
        Value::Array(lines) => lines
            .into_iter()
            .map(|l| l.as_str().unwrap_or_default().to_owned())
            .collect(),
        other => vec![format!("unexpected answer: {other}")],
    }
}

/// Opens each of `paths` in `b` and collects what axe finds, by page.
async fn audit(b: &Browser, app: &TestApp, axe: &str, paths: &[String]) -> Vec<String> {
    let mut all = Vec::new();
    for path in paths {
        b.client.goto(&app.url(path)).await.unwrap();
        for line in violations(b, axe).await {
            all.push(format!("{path}: {line}"));
        }
    }
    all
}

#[tokio::test]
async fn c16_every_page_meets_wcag_2_1_aa_as_axe_checks_it_in_the_browser() {
    let Some(axe) = axe_source() else {
        return;
    };
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
    let (status, contact) = app
        .post_json(
            &format!("/api/v1/accounts/{account}/contacts"),
            json!({"name": "Kari Nordmann", "email": "kari@example.com",
                   "phone": "+47 912 34 123", "tags": ["kunde"]}),
            Some(&owner),
        )
        .await;
    assert_eq!(status, 201, "{contact}");
    let contact = contact["id"].as_str().unwrap().to_owned();
    let Some(browser) = Browser::start(&app).await else {
        return;
    };
    let b = &browser;

    // A first visit, with the cookie banner; then the public pages in both languages.
    let mut found = audit(b, &app, &axe, &["/".to_owned()]).await;
    b.choose("button[value=none]", "1.000.").await;
    let public: Vec<String> = [
        "/",
        "/security",
        "/privacy",
        "/cookies",
        "/login",
        "/signup",
        "/verify-email",
        "/forgot-password",
        "/reset-password",
        "/accept-invitation",
        "/security?lang=en",
    ]
    .iter()
    .map(|p| (*p).to_owned())
    .collect();
    found.extend(audit(b, &app, &axe, &public).await);

    // Signed in: the person's pages and every page of the account.
    sign_in(b, &app, "eier@example.no").await;
    let q = format!("account={account}");
    let signed_in = vec![
        "/app".to_owned(),
        "/app/two-step".to_owned(),
        format!("/app/contacts?{q}"),
        format!("/app/contacts/{contact}?{q}"),
        format!("/app/contacts/new?{q}"),
        format!("/app/members?{q}"),
        format!("/app/audit?{q}"),
        format!("/app/members?{q}&lang=en"),
    ];
    found.extend(audit(b, &app, &axe, &signed_in).await);
    // A form's refusal, with its error beside the field.
    b.client.goto(&app.url("/app/two-step")).await.unwrap();
    b.type_into("#totp-password", "not my password at all")
        .await;
    b.submit("#begin-totp button").await;
    assert!(b.has("#totp-password-error").await);
    for line in violations(b, &axe).await {
        found.push(format!("refused 2-step form: {line}"));
    }

    assert!(
        found.is_empty(),
        "accessibility violations:\n{}",
        found.join("\n")
    );
    browser.close().await;
}
