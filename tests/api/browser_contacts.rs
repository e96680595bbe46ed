//! The contacts pages and the audit trail in a real browser (C15, C10, C16): an owner
//! creates, finds, opens and changes a contact through the forms, a `restricted` member
//! sees the same contact masked and cannot change it, and the audit trail is filtered,
//! paged and names who acted. See `browser.rs` for the browser itself.

use fantoccini::Locator;
use reqwest::Method;
use serde_json::json;

use crate::browser::{Browser, signed_in};
use crate::helpers::{Backend, Launch};
use crate::mailbox::Mailbox;

const SESSION: &str = "__Host-skjold_session";

/// The texts of one column of a table's body rows (1-based, as CSS counts).
async fn column(b: &Browser, table: &str, n: usize) -> Vec<String> {
    let mut texts = Vec::new();
    for cell in b
        .client
        .find_all(Locator::Css(&format!("{table} tbody td:nth-child({n})")))
        .await
        .unwrap()
    {
        texts.push(cell.text().await.unwrap());
    }
    texts
}

/// Console errors since the last look are the expected answers to refused forms only
/// (the browser reports a page answered with 422 as an error).
async fn only_refusals(b: &Browser) {
    let errors = b.console_errors().await;
    assert!(
        errors.iter().all(|e| e.contains("422")),
        "console errors: {errors:?}"
    );
}

/// The session cookie `browser` holds, as a `cookie` header's value.
async fn session_cookie(browser: &Browser) -> String {
    let value = browser
        .cookies()
        .await
        .into_iter()
        .find(|(n, _)| n == SESSION)
        .unwrap()
        .1;
    format!("{SESSION}={value}")
}

#[tokio::test]
async fn c15_an_owner_searches_opens_and_edits_a_contact_and_a_restricted_member_cannot_in_the_browser()
 {
    let mailbox = Mailbox::start().await;
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let app = launch.mail_to(&mailbox).start().await;
    let owner_email = "eier@example.no";
    let (owner, me) = crate::people::person(&app, &mailbox, owner_email).await;
    let account = me["memberships"][0]["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Another contact, which the search must leave out.
    let (status, body) = app
        .post_json(
            &format!("/api/v1/accounts/{account}/contacts"),
            json!({"name": "Per Hansen", "email": "per.hansen@example.com", "company": "Fjord AS"}),
            Some(&owner),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // More of one company than a page holds (50).
    for n in 1..=51 {
        let (status, body) = app
            .post_json(
                &format!("/api/v1/accounts/{account}/contacts"),
                json!({"name": format!("Kunde {n}"), "company": "Masse AS"}),
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

    let Some(browser) = signed_in(&app, owner_email).await else {
        return;
    };
    let b = &browser;

    // A new contact through the form: a bad e-mail is named beside its field (422) and
    // the other values stay; corrected, it is created and opened.
    b.client
        .goto(&app.url(&format!("/app/contacts?account={account}")))
        .await
        .unwrap();
    b.submit("#new-contact").await;
    assert!(b.has("#contact-form").await);
    b.type_into("#name", "Siri Solberg").await;
    b.type_into("#email", "siri.solberg(at)example.com").await;
    b.type_into("#phone", "+47 934 11 222").await;
    b.type_into("#national_id", "17058510068").await;
    b.type_into("#company", "Fjord AS").await;
    b.type_into("#tags", "Kunde, vip").await;
    b.type_into("#notes", "Ringer helst om morgenen.").await;
    b.submit("#contact-form button").await;
    assert!(b.has("#email-error").await, "{}", b.text_of("main").await);
    assert_eq!(
        b.attribute("#email", "aria-invalid").await.as_deref(),
        Some("true")
    );
    assert_eq!(
        b.attribute("#email", "aria-describedby").await.as_deref(),
        Some("email-error")
    );
    assert_eq!(
        b.attribute("#phone", "value").await.as_deref(),
        Some("+47 934 11 222"),
        "the other values are kept"
    );
    only_refusals(b).await;
    b.type_into("#email", "siri.solberg@example.com").await;
    b.submit("#contact-form button").await;
    assert!(b.has("#saved").await, "{}", b.text_of("main").await);
    assert_eq!(
        b.text_of("[data-field=email]").await,
        "siri.solberg@example.com"
    );
    assert_eq!(b.text_of("[data-field=tags]").await, "kunde, vip");
    let detail = b.client.current_url().await.unwrap();
    let contact = detail
        .path_segments()
        .unwrap()
        .next_back()
        .unwrap()
        .to_owned();
    assert_eq!(detail.path(), format!("/app/contacts/{contact}"));

    // Found by its exact e-mail, and only it; a company finds both.
    b.click("#back-to-contacts").await;
    b.client
        .wait()
        .for_element(Locator::Css("form.filters"))
        .await
        .unwrap();
    b.type_into("#filter-email", "siri.solberg@example.com")
        .await;
    b.submit("form.filters button").await;
    assert_eq!(column(b, "table.contacts", 1).await, ["Siri Solberg"]);
    assert_eq!(
        b.attribute("#filter-email", "value").await.as_deref(),
        Some("siri.solberg@example.com"),
        "the search stays in its field"
    );
    b.type_into("#filter-email", "").await;
    b.type_into("#filter-company", "Fjord AS").await;
    b.submit("form.filters button").await;
    assert_eq!(column(b, "table.contacts", 1).await.len(), 2);
    b.type_into("#filter-company", "Ingen AS").await;
    b.submit("form.filters button").await;
    assert!(b.has("#no-contacts").await);

    // A page at a time; the next page's link keeps the search.
    b.type_into("#filter-company", "Masse AS").await;
    b.submit("form.filters button").await;
    assert_eq!(column(b, "table.contacts", 1).await.len(), 50);
    b.submit("#next-page").await;
    assert_eq!(column(b, "table.contacts", 5).await, ["Masse AS"]);
    assert_eq!(
        b.attribute("#filter-company", "value").await.as_deref(),
        Some("Masse AS")
    );
    assert!(!b.has("#next-page").await, "the last page");

    // Opened from the list by its name, and changed: a new phone number.
    b.type_into("#filter-company", "").await;
    b.type_into("#filter-email", "siri.solberg@example.com")
        .await;
    b.submit("form.filters button").await;
    b.submit("table.contacts tbody a").await;
    assert_eq!(b.text_of("h1").await, "Siri Solberg");
    assert_eq!(b.text_of("[data-field=national_id]").await, "17058510068");
    b.screenshot("contact-detail").await;
    b.type_into("#phone", "+47 934 11 333").await;
    b.submit("#contact-form button").await;
    assert!(b.has("#saved").await, "{}", b.text_of("main").await);
    assert_eq!(b.text_of("[data-field=phone]").await, "+4793411333");
    assert_eq!(
        b.text_of("[data-field=notes]").await,
        "Ringer helst om morgenen.",
        "the other fields are as they were"
    );

    // The audit trail shows the change by the owner (no name set: the e-mail), and the
    // filter by action narrows the trail to it.
    b.client
        .goto(&app.url(&format!("/app/audit?account={account}")))
        .await
        .unwrap();
    let actions = column(b, "table.audit", 2).await;
    assert!(
        actions.iter().any(|a| a == "contact_updated")
            && actions.iter().any(|a| a != "contact_updated"),
        "{actions:?}"
    );
    b.type_into("#filter-action", "contact_updated").await;
    b.submit("#audit-filters button").await;
    assert_eq!(column(b, "table.audit", 2).await, ["contact_updated"]);
    assert_eq!(column(b, "table.audit", 3).await, [owner_email]);

    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.close().await;

    // The restricted member: the same page masked, no form, no clear value anywhere.
    let Some(browser) = signed_in(&app, "begrenset@example.no").await else {
        return;
    };
    let b = &browser;
    let page = format!("/app/contacts/{contact}?account={account}");
    b.client.goto(&app.url(&page)).await.unwrap();
    assert!(b.has("#masked-note").await, "{}", b.text_of("main").await);
    assert!(
        !b.has("#contact-form").await,
        "no edit form for masked values"
    );
    assert_eq!(b.text_of("h1").await, "Siri S.");
    assert_eq!(b.text_of("[data-field=email]").await, "s***@example.com");
    assert_eq!(b.text_of("[data-field=national_id]").await, "***********");
    let main = b.text_of("main").await;
    for clear in [
        "Solberg",
        "siri.solberg@",
        "17058510068",
        "93411333",
        "morgenen",
    ] {
        assert!(!main.contains(clear), "{clear} shown masked: {main}");
    }
    b.screenshot("contact-detail-restricted").await;

    // A hand-made post of the form is refused, and nothing changes.
    let refused = app
        .client
        .post(app.url(&page))
        .header("cookie", session_cookie(b).await)
        .header("origin", app.url(""))
        .header("sec-fetch-site", "same-origin")
        .form(&[
            ("name", "Siri S."),
            ("email", "s***@example.com"),
            ("phone", "+47 999 99 999"),
            ("national_id", ""),
            ("company", "Fjord AS"),
            ("tags", "kunde"),
            ("notes", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let (status, stored) = app
        .get_json(
            &format!("/api/v1/accounts/{account}/contacts/{contact}"),
            &owner,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(stored["name"], "Siri Solberg");
    assert_eq!(stored["email"], "siri.solberg@example.com");
    assert_eq!(stored["phone"], "+4793411333");
    assert_eq!(stored["national_id"], "17058510068");
    assert_eq!(stored["notes"], "Ringer helst om morgenen.");
    assert_eq!(stored["tags"], json!(["kunde", "vip"]));

    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.close().await;
}

#[tokio::test]
async fn c10_the_audit_trail_filters_pages_and_names_its_actors_in_the_browser() {
    let mailbox = Mailbox::start().await;
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let app = launch.mail_to(&mailbox).start().await;
    let owner_email = "eier@example.no";
    let (owner, me) = crate::people::person(&app, &mailbox, owner_email).await;
    let (status, body) = app
        .send_json(
            Method::PATCH,
            "/api/v1/me",
            json!({"name": "Eva Eier"}),
            Some(&owner),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let account = me["memberships"][0]["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member_email = "medlem@example.no";
    let (member, member_id) =
        crate::people::member(&app, &mailbox, &owner, &account, member_email, "member").await;
    let contacts = format!("/api/v1/accounts/{account}/contacts");
    let (status, created) = app
        .post_json(
            &contacts,
            json!({"name": "Kari Nordmann", "email": "kari.nordmann@example.com"}),
            Some(&owner),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let contact = format!("{contacts}/{}", created["id"].as_str().unwrap());
    // One change by each; then reads enough for more than one page (100 events).
    for token in [&owner, &member] {
        let (status, body) = app
            .send_json(
                Method::PATCH,
                &contact,
                json!({"company": "Fjord AS"}),
                Some(token),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    for _ in 0..100 {
        assert_eq!(app.get_json(&contact, &owner).await.0, 200);
    }

    let Some(browser) = signed_in(&app, owner_email).await else {
        return;
    };
    let b = &browser;
    let trail = format!("/app/audit?account={account}");
    b.client.goto(&app.url(&trail)).await.unwrap();

    // The newest hundred, each actor by name (the owner) or e-mail (the member, who set
    // no name), never by id; then the older ones.
    let first = column(b, "table.audit", 3).await;
    assert_eq!(first.len(), 100);
    assert!(first.iter().all(|a| a == "Eva Eier"), "{first:?}");
    b.submit("#older-events").await;
    let actors = column(b, "table.audit", 3).await;
    let actions = column(b, "table.audit", 2).await;
    assert!(!actors.is_empty());
    assert!(actors.iter().any(|a| a == member_email), "{actors:?}");
    assert!(
        actions.iter().any(|a| a == "member_joined"),
        "the oldest events: {actions:?}"
    );
    assert!(!actors.iter().any(|a| a.contains(&member_id)), "{actors:?}");
    assert!(b.has("#newest-events").await);

    // By action: both changes, each by its actor; by action and actor: the member's.
    b.click("#newest-events").await;
    b.client
        .wait()
        .for_element(Locator::Css("#audit-filters"))
        .await
        .unwrap();
    b.type_into("#filter-action", "contact_updated").await;
    b.submit("#audit-filters button").await;
    assert_eq!(
        column(b, "table.audit", 2).await,
        ["contact_updated", "contact_updated"]
    );
    assert_eq!(
        column(b, "table.audit", 3).await,
        [member_email, "Eva Eier"]
    );
    assert!(!b.has("#older-events").await);
    b.client
        .find(Locator::Css("#filter-actor"))
        .await
        .unwrap()
        .select_by_value(&member_id)
        .await
        .unwrap();
    b.submit("#audit-filters button").await;
    assert_eq!(column(b, "table.audit", 3).await, [member_email]);
    assert_eq!(
        b.attribute("#filter-action", "value").await.as_deref(),
        Some("contact_updated"),
        "the filter stays in the form"
    );
    b.screenshot("audit-filtered").await;

    // By day: today's events are there, none from a day to come; a day that is no date
    // is named beside its field.
    let today = time::OffsetDateTime::now_utc().date();
    let day = format!(
        "{:04}-{:02}-{:02}",
        today.year(),
        u8::from(today.month()),
        today.day()
    );
    b.client
        .goto(&app.url(&format!(
            "{trail}&action=contact_updated&since={day}&until={day}"
        )))
        .await
        .unwrap();
    assert_eq!(column(b, "table.audit", 2).await.len(), 2);
    b.client
        .goto(&app.url(&format!("{trail}&since=2999-01-01")))
        .await
        .unwrap();
    assert!(b.has("#no-events").await);
    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    b.client
        .goto(&app.url(&format!("{trail}&since=yesterday")))
        .await
        .unwrap();
    assert!(b.has("#filter-since-error").await);
    assert_eq!(
        b.attribute("#filter-since", "aria-invalid")
            .await
            .as_deref(),
        Some("true")
    );
    only_refusals(b).await;

    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    browser.close().await;
}

#[tokio::test]
async fn c9_an_owner_deletes_a_contact_in_the_browser_and_the_erasure_ledger_keeps_it_out_of_restores()
 {
    let mailbox = Mailbox::start().await;
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
    let (status, created) = app
        .post_json(
            &contacts,
            json!({"name": "Ola Sletteby", "email": "ola@example.com"}),
            Some(&owner),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let Some(browser) = signed_in(&app, "eier@example.no").await else {
        return;
    };
    let b = &browser;
    b.client
        .goto(&app.url(&format!("/app/contacts/{id}?account={account}")))
        .await
        .unwrap();
    assert!(
        b.text_of("#delete-contact")
            .await
            .contains("Slett kontakten")
    );
    b.submit("#delete-contact button").await;
    assert!(b.has("#deleted").await, "{}", b.text_of("main").await);
    assert!(
        !b.text_of("main").await.contains("Ola Sletteby"),
        "gone from the list"
    );
    let (status, _) = app.get_json(&format!("{contacts}/{id}"), &owner).await;
    assert_eq!(status, 404, "gone for the API too");
    // Recorded as erased, so a restored backup leaves it out; and in the audit trail.
    let ledger = std::fs::read_dir(app.dir.path().join("skjold-backups/erasures"))
        .map(|entries| entries.count())
        .unwrap_or_default();
    assert_eq!(ledger, 1, "one entry in the erasure ledger");
    b.client
        .goto(&app.url(&format!(
            "/app/audit?account={account}&action=contact_deleted"
        )))
        .await
        .unwrap();
    assert!(b.text_of("table.audit").await.contains("contact_deleted"));
    assert!(b.console_errors().await.is_empty());
    browser.close().await;
}
