//! An account's members in a real browser (C15, C16): invitations by the mailed link,
//! role changes and removals through the site's plain forms, each refused by the app as
//! it would be through the API (an account keeps an owner; a member manages nobody).

use fantoccini::Locator;

use crate::browser::{Browser, sign_in, signed_in};
use crate::helpers::{Backend, Launch, TestApp};

/// The value of the browser's session cookie.
async fn session_of(b: &Browser) -> String {
    b.cookies()
        .await
        .into_iter()
        .find(|(n, _)| n == "__Host-skjold_session")
        .expect("a session cookie")
        .1
}

/// A form posted with `b`'s session, from this site as far as the server can tell.
async fn post_as(b: &Browser, app: &TestApp, path: &str, form: &[(&str, &str)]) -> u16 {
    app.client
        .post(app.url(path))
        .header(
            "cookie",
            format!("__Host-skjold_session={}", session_of(b).await),
        )
        .header("sec-fetch-site", "same-origin")
        .form(form)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Picks `value` in the select `css`.
async fn select(b: &Browser, css: &str, value: &str) {
    b.client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .select_by_value(value)
        .await
        .unwrap();
}

/// The console errors since the last look are only the expected refusals, by status.
async fn only_refusals(b: &Browser, status: &str) {
    let errors = b.console_errors().await;
    assert!(
        errors.iter().all(|e| e.contains(status)),
        "console errors: {errors:?}"
    );
}

#[tokio::test]
async fn c15_an_owner_invites_a_member_who_joins_by_the_mailed_link_and_the_owner_changes_then_removes_them_in_the_browser()
 {
    let mailbox = crate::mailbox::Mailbox::start().await;
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let app = launch.mail_to(&mailbox).start().await;
    let (owner_token, owner_me) = crate::people::person(&app, &mailbox, "eier@example.no").await;
    let account = owner_me["memberships"][0]["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let owner_id = owner_me["id"].as_str().unwrap().to_owned();
    let invited = "ny@example.no";
    let (_, invited_me) = crate::people::person(&app, &mailbox, invited).await;
    let invited_id = invited_me["id"].as_str().unwrap().to_owned();
    let members = format!("/app/members?account={account}");

    // The owner opens the members page from the account's frame.
    let Some(owner) = signed_in(&app, "eier@example.no").await else {
        return;
    };
    let b = &owner;
    b.client
        .goto(&app.url(&format!("/app/contacts?account={account}")))
        .await
        .unwrap();
    b.submit(&format!(".account-nav a[href^='{members}']"))
        .await;
    assert!(b.has("table.members").await, "{}", b.text_of("main").await);
    assert!(b.text_of("table.members").await.contains("eier@example.no"));
    assert!(b.has("form#invite").await);
    assert!(
        b.has("#invite-role option[value=owner]").await,
        "an owner may invite an owner"
    );

    // An address the server refuses: the message beside the field, the value kept.
    b.type_into("#invite-email", "ola@example").await;
    select(b, "#invite-role", "member").await;
    b.submit("#invite button").await;
    assert_eq!(
        b.text_of("#invite-email-error").await,
        "Skriv en gyldig e-postadresse."
    );
    assert_eq!(
        b.attribute("#invite-email", "aria-invalid")
            .await
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        b.attribute("#invite-email", "aria-describedby")
            .await
            .as_deref(),
        Some("invite-email-error")
    );
    assert_eq!(
        b.attribute("#invite-email", "value").await.as_deref(),
        Some("ola@example")
    );
    only_refusals(b, "422").await;

    // The right one: back on the list, told the invitation is on its way.
    b.type_into("#invite-email", invited).await;
    select(b, "#invite-role", "member").await;
    b.submit("#invite button").await;
    assert!(
        b.text_of("#done").await.contains("Invitasjonen er sendt"),
        "{}",
        b.text_of("main").await
    );
    assert_eq!(
        b.attribute("#done", "role").await.as_deref(),
        Some("status")
    );
    // The language link keeps the account but not the one-time status.
    let english = b
        .attribute("a[hreflang=en]", "href")
        .await
        .unwrap_or_default();
    assert!(
        english.contains("/app/members?account=") && !english.contains("done="),
        "{english}"
    );

    // Pending invitations are listed, masked, newest first; one sent by mistake is
    // taken back, and its link dies (issue 17, finding 4).
    assert!(b.text_of("#pending").await.contains("n***@example.no"));
    b.type_into("#invite-email", "angre@example.no").await;
    select(b, "#invite-role", "restricted").await;
    b.submit("#invite button").await;
    let pending = b.text_of("#pending").await;
    assert!(
        pending.contains("a***@example.no") && pending.contains("begrenset"),
        "{pending}"
    );
    // Both were sent within the same second: the row is found by its id, not its place.
    let (_, listed) = app
        .get_json(
            &format!("/api/v1/accounts/{account}/invitations"),
            &owner_token,
        )
        .await;
    let mistake = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"] == "a***@example.no")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    b.submit(&format!("#invitation-{mistake} .revoke-form button"))
        .await;
    assert!(
        b.text_of("#done").await.contains("trukket tilbake"),
        "{}",
        b.text_of("main").await
    );
    let pending = b.text_of("#pending").await;
    assert!(
        pending.contains("n***@example.no") && !pending.contains("a***@example.no"),
        "{pending}"
    );
    b.screenshot("members-pending").await;

    // The mailed link carries its code in the fragment.
    let mail = mailbox.wait_for(invited, "Invitation to join").await;
    let link = mail
        .body
        .split_whitespace()
        .find(|word| word.contains("/accept-invitation#token="))
        .expect("an invitation link")
        .to_owned();

    // Not signed in, the link's page says to sign in (or sign up) first, and where.
    let Some(joiner) = Browser::start(&app).await else {
        return;
    };
    let j = &joiner;
    j.client.goto(&app.url("/cookies")).await.unwrap();
    j.choose("button[value=none]", "1.000.").await;
    j.client.goto(&link).await.unwrap();
    assert!(j.has("#sign-in-first").await);
    assert!(!j.has("#token").await, "no form before signing in");
    assert_eq!(
        j.attribute("#sign-in-link", "href").await.as_deref(),
        Some("/login")
    );
    assert_eq!(
        j.attribute("#sign-up-link", "href").await.as_deref(),
        Some("/signup")
    );

    // Signed in, the same link: the script moved the code into the form.
    sign_in(j, &app, invited).await;
    j.client.goto(&link).await.unwrap();
    let code = j.value("#token").await;
    assert!(code.starts_with("skji_"), "{code:?}");
    let address = j.client.current_url().await.unwrap();
    assert!(
        address.fragment().is_none(),
        "the code left the address bar: {address}"
    );
    j.screenshot("accept-invitation").await;
    j.submit("#join button").await;
    let landed = j.client.current_url().await.unwrap();
    assert_eq!(landed.path(), "/app/contacts");
    assert_eq!(landed.query(), Some(format!("account={account}").as_str()));
    assert_eq!(j.text_of("#my-role").await, "medlem");

    // The link is spent: a second use is refused beside the field.
    j.client.goto(&link).await.unwrap();
    j.submit("#join button").await;
    assert!(
        j.text_of("#token-error").await.contains("brukt"),
        "{}",
        j.text_of("main").await
    );
    assert_eq!(
        j.attribute("#token", "aria-invalid").await.as_deref(),
        Some("true")
    );
    only_refusals(j, "400").await;

    // A plain member sees the members, but no form to change them...
    j.client.goto(&app.url(&members)).await.unwrap();
    assert!(j.text_of("table.members").await.contains("eier@example.no"));
    assert!(
        !j.has("form#invite").await,
        "no invitation form for a member"
    );
    assert!(!j.has("table.members select").await);
    assert!(!j.has("table.members button").await);
    // ...and the server refuses the forms themselves, not only their absence.
    let invite_path = format!("/app/members/invite?account={account}");
    let status = post_as(
        j,
        &app,
        &invite_path,
        &[("email", "snik@example.no"), ("role", "member")],
    )
    .await;
    assert_eq!(status, 403, "a member may not invite");
    let role_path = format!("/app/members/role?account={account}");
    let status = post_as(
        j,
        &app,
        &role_path,
        &[("user", owner_id.as_str()), ("role", "restricted")],
    )
    .await;
    assert_eq!(status, 403, "a member may not change roles");
    assert!(
        mailbox.to("snik@example.no").is_empty(),
        "no invitation was sent"
    );
    let errors = j.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");

    // The owner sees the new member and makes them restricted.
    b.client.goto(&app.url(&members)).await.unwrap();
    let row = format!("#member-{invited_id}");
    assert!(b.text_of(&row).await.contains(invited));
    assert_eq!(
        b.attribute(&row, "data-role").await.as_deref(),
        Some("member")
    );
    select(b, &format!("#role-{invited_id}"), "restricted").await;
    b.submit(&format!("{row} .role-form button")).await;
    assert!(
        b.text_of("#done").await.contains("Rollen er endret"),
        "{}",
        b.text_of("main").await
    );
    assert_eq!(
        b.attribute(&row, "data-role").await.as_deref(),
        Some("restricted")
    );
    b.screenshot("members").await;

    // The account's last owner cannot step down: said beside their own row.
    let own_row = format!("#member-{owner_id}");
    select(b, &format!("#role-{owner_id}"), "admin").await;
    b.submit(&format!("{own_row} .role-form button")).await;
    let error = format!("#member-{owner_id}-error");
    assert!(
        b.text_of(&error)
            .await
            .contains("Kontoen må alltid ha en eier"),
        "{}",
        b.text_of("main").await
    );
    assert_eq!(
        b.attribute(&format!("#role-{owner_id}"), "aria-describedby")
            .await
            .as_deref(),
        Some(format!("member-{owner_id}-error").as_str())
    );
    assert_eq!(
        b.attribute(&own_row, "data-role").await.as_deref(),
        Some("owner")
    );
    only_refusals(b, "422").await;

    // Then removes the member, who is gone from the list and from the account.
    b.submit(&format!("{row} .remove-form button")).await;
    assert!(
        b.text_of("#done").await.contains("Medlemmet er fjernet"),
        "{}",
        b.text_of("main").await
    );
    assert!(!b.has(&row).await);
    assert!(!b.text_of("table.members").await.contains(invited));

    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    joiner.close().await;
    owner.close().await;
}

#[tokio::test]
async fn c15_an_admin_manages_members_but_not_owners_and_a_link_for_another_address_is_refused_in_the_browser()
 {
    let mailbox = crate::mailbox::Mailbox::start().await;
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let app = launch.mail_to(&mailbox).start().await;
    let (owner, owner_me) = crate::people::person(&app, &mailbox, "eier@example.no").await;
    let account = owner_me["memberships"][0]["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let owner_id = owner_me["id"].as_str().unwrap().to_owned();
    crate::people::member(
        &app,
        &mailbox,
        &owner,
        &account,
        "admin@example.no",
        "admin",
    )
    .await;
    // An invitation for someone else, which the admin's session must not spend.
    let stranger = crate::people::invite(
        &app,
        &mailbox,
        &owner,
        &account,
        "annen@example.no",
        "member",
    )
    .await;

    let Some(admin) = signed_in(&app, "admin@example.no").await else {
        return;
    };
    let b = &admin;
    b.client
        .goto(&app.url(&format!("/app/members?account={account}&lang=en")))
        .await
        .unwrap();
    assert!(b.text_of("h1").await.starts_with("Members"));
    // The owner's row has no controls for an admin, and the owner role is not offered.
    let own_row = format!("#member-{owner_id}");
    assert!(!b.has(&format!("{own_row} select")).await);
    assert!(!b.has(&format!("{own_row} button")).await);
    assert!(b.text_of(&own_row).await.contains("owner"));
    assert!(b.has("form#invite").await);
    assert!(!b.has("#invite-role option[value=owner]").await);

    // Asking for it anyway: the app refuses, the page says why beside the role.
    let status = post_as(
        b,
        &app,
        &format!("/app/members/invite?account={account}&lang=en"),
        &[("email", "sjef@example.no"), ("role", "owner")],
    )
    .await;
    assert_eq!(status, 403, "only an owner invites an owner");
    let status = post_as(
        b,
        &app,
        &format!("/app/members/remove?account={account}"),
        &[("user", owner_id.as_str())],
    )
    .await;
    assert_eq!(status, 403, "an admin cannot remove an owner");

    // The admin invites a restricted member, in English.
    b.type_into("#invite-email", "begrenset@example.no").await;
    select(b, "#invite-role", "restricted").await;
    b.submit("#invite button").await;
    assert_eq!(
        b.text_of("#done").await,
        "The invitation is sent. Its link works for seven days."
    );
    mailbox
        .wait_for("begrenset@example.no", "Invitation to join")
        .await;

    // The stranger's link, opened in the admin's browser: refused, said beside the field.
    b.client
        .goto(&app.url(&format!("/accept-invitation?lang=en#token={stranger}")))
        .await
        .unwrap();
    b.submit("#join button").await;
    assert!(
        b.text_of("#token-error")
            .await
            .contains("for another address"),
        "{}",
        b.text_of("main").await
    );
    only_refusals(b, "400").await;
    b.screenshot("accept-invitation-refused").await;

    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:?}");
    admin.close().await;
}

#[tokio::test]
async fn c15_an_owner_hands_the_account_to_a_member_and_becomes_an_admin_in_the_browser() {
    let mailbox = crate::mailbox::Mailbox::start().await;
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let app = launch.mail_to(&mailbox).start().await;
    let (owner, owner_me) = crate::people::person(&app, &mailbox, "eier@example.no").await;
    let account = owner_me["memberships"][0]["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, heir) = crate::people::member(
        &app,
        &mailbox,
        &owner,
        &account,
        "arving@example.no",
        "member",
    )
    .await;
    let Some(browser) = signed_in(&app, "eier@example.no").await else {
        return;
    };
    let b = &browser;
    b.client
        .goto(&app.url(&format!("/app/members?account={account}")))
        .await
        .unwrap();
    // Only other members are offered; a made-up one is refused beside the form.
    let offered = b.text_of("#transfer-to").await;
    assert!(
        offered.contains("arving@example.no") && !offered.contains("eier@example.no"),
        "{offered}"
    );
    b.client
        .execute(
            "document.querySelector('#transfer-to option').value = arguments[0]",
            vec![serde_json::json!(owner_me["id"])],
        )
        .await
        .unwrap();
    b.submit("#transfer button").await;
    assert!(
        b.has("#transfer-error").await,
        "{}",
        b.text_of("main").await
    );
    only_refusals(b, "422").await;

    select(b, "#transfer-to", &heir).await;
    b.submit("#transfer button").await;
    assert!(b.text_of("#done").await.contains("administrator"));
    assert_eq!(b.text_of("#my-role").await, "administrator");
    assert_eq!(
        b.attribute(&format!("#member-{heir}"), "data-role")
            .await
            .as_deref(),
        Some("owner")
    );
    assert!(!b.has("#transfer").await, "an admin hands nothing over");
    // The session went on, re-issued: the page after the next click is still there.
    b.client.goto(&app.url("/app")).await.unwrap();
    assert_eq!(b.text_of("#signed-in-as").await, "eier@example.no");
    assert!(b.console_errors().await.is_empty());
    browser.close().await;
}
