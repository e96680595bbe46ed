//! The person's own settings in a real browser (C11, C16): the name, a new e-mail
//! address that counts only once its mailed link is followed signed in, and a forgotten
//! password replaced through the mailed link, which signs every session out.

use crate::browser::signed_in;
use crate::helpers::{Backend, Launch};
use crate::mailbox::Mail;

/// The link in `mail` to `path`, with its code in the fragment.
fn link_in(mail: &Mail, path: &str) -> String {
    mail.body
        .split_whitespace()
        .find(|word| word.contains(&format!("{path}#token=")))
        .unwrap_or_else(|| panic!("no {path} link in {}", mail.body))
        .to_owned()
}

#[tokio::test]
async fn c11_a_person_renames_themselves_moves_to_a_new_address_by_its_link_and_resets_a_forgotten_password()
 {
    let mailbox = crate::mailbox::Mailbox::start().await;
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let app = launch.mail_to(&mailbox).start().await;
    let old = "gammel@example.no";
    let new = "ny@example.no";
    crate::people::person(&app, &mailbox, old).await;
    let Some(browser) = signed_in(&app, old).await else {
        return;
    };
    let b = &browser;

    // The name: too long is named beside the field, a right one is kept.
    b.type_into("#name", &"x".repeat(101)).await;
    b.submit("#change-name button").await;
    assert!(b.has("#name-error").await);
    // The answer to the post is the account page; its language link leads there.
    let english = b
        .attribute("a[hreflang=en]", "href")
        .await
        .unwrap_or_default();
    assert!(english.ends_with("/app?lang=en"), "{english}");
    b.type_into("#name", "Kari Nordmann").await;
    b.submit("#change-name button").await;
    assert!(b.has("#name-changed").await);
    assert_eq!(
        b.attribute("#name", "value").await.as_deref(),
        Some("Kari Nordmann")
    );

    // A new address needs the password; then a link goes there, and nothing changes yet.
    b.type_into("#new-email", new).await;
    b.type_into("#email-password", "not my password at all")
        .await;
    b.submit("#change-email button").await;
    assert!(b.has("#email-password-error").await);
    b.type_into("#new-email", new).await;
    b.type_into("#email-password", crate::people::PASSWORD)
        .await;
    b.submit("#change-email button").await;
    assert!(b.has("#email-sent").await);
    assert_eq!(b.text_of("#signed-in-as").await, old);
    mailbox
        .wait_for(old, "A change of your e-mail address was requested")
        .await;

    // The link, followed signed in: the code leaves the address bar, the address changes.
    let mail = mailbox
        .wait_for(new, "Confirm your new e-mail address")
        .await;
    b.client
        .goto(&link_in(&mail, "/confirm-email-change"))
        .await
        .unwrap();
    let address = b.client.current_url().await.unwrap();
    assert!(address.fragment().is_none(), "{address}");
    b.submit("#confirm-email button").await;
    assert!(b.has("#email-changed").await, "{}", b.text_of("main").await);
    assert_eq!(b.text_of("#signed-in-as").await, new);
    mailbox
        .wait_for(old, "Your e-mail address was changed")
        .await;

    // Forgotten: the login page's link, the mailed link, a weak password refused beside
    // its field, a strong one saved; the session this browser had is gone.
    b.submit("#sign-out button").await;
    b.client.goto(&app.url("/login")).await.unwrap();
    b.click("#forgot-link").await;
    b.type_into("#email", new).await;
    b.submit("#forgot button").await;
    assert!(b.has("#reset-sent").await);
    let mail = mailbox.wait_for(new, "Reset your password").await;
    b.client
        .goto(&link_in(&mail, "/reset-password"))
        .await
        .unwrap();
    b.type_into("#password", "password123").await;
    b.submit("#reset button").await;
    assert!(
        b.has("#password-error").await,
        "{}",
        b.text_of("main").await
    );
    // The refusal spent nothing, and the form kept the code.
    b.type_into("#password", "et helt nytt og langt passord")
        .await;
    b.submit("#reset button").await;
    assert!(b.has("#reset-done").await, "{}", b.text_of("main").await);
    b.click("#reset-done a").await;
    b.type_into("#email", new).await;
    b.type_into("#password", "et helt nytt og langt passord")
        .await;
    b.submit("form.stacked button").await;
    assert_eq!(b.text_of("#signed-in-as").await, new);

    // The refused forms' 422s are the only complaints, and expected ones.
    let errors = b.console_errors().await;
    assert!(
        errors.iter().all(|e| e.contains("422")),
        "console errors: {errors:?}"
    );
    browser.close().await;
}

/// The code in the newest text message the provider received.
fn newest_code(received: &crate::sms::Received) -> String {
    let messages = received.lock().unwrap();
    let (_, body) = messages.last().expect("a text message");
    let fields = crate::sms::form(body);
    crate::sms::code_in(&fields[2].1)
}

#[tokio::test]
async fn c13_a_person_adds_a_phone_signs_in_with_its_code_and_removes_it_in_the_browser() {
    let (addr, received) = crate::sms::provider(
        "/2010-04-01/Accounts/{sid}/Messages.json",
        axum::http::StatusCode::CREATED,
    )
    .await;
    let Some((app, mailbox)) = crate::sms::with_twilio(Backend::Sqlite, addr).await else {
        return;
    };
    let email = "telefon@example.no";
    crate::people::person(&app, &mailbox, email).await;
    let Some(browser) = signed_in(&app, email).await else {
        return;
    };
    let b = &browser;

    // The number and the password; the risk of text messages is told first. A number
    // that is none is named beside its field.
    b.click("#two-step-link").await;
    assert!(
        b.text_of("main")
            .await
            .contains("autentiseringsapp er tryggere")
    );
    b.type_into("#phone", "ring meg").await;
    b.type_into("#sms-password", crate::people::PASSWORD).await;
    b.submit("#begin-sms button").await;
    assert!(b.has("#phone-error").await, "{}", b.text_of("main").await);
    b.type_into("#phone", "+47 912 34 567").await;
    b.type_into("#sms-password", crate::people::PASSWORD).await;
    b.submit("#begin-sms button").await;
    b.type_into("#sms-code", &newest_code(&received)).await;
    b.submit("#confirm-sms button").await;
    assert!(b.has("#sms-on").await, "{}", b.text_of("main").await);
    assert_eq!(
        b.client
            .find_all(fantoccini::Locator::Css("#recovery-codes li"))
            .await
            .unwrap()
            .len(),
        10
    );

    // Signing in now sends a code to the phone (one per 30 s: the clock moves on).
    b.client.goto(&app.url("/app")).await.unwrap();
    b.submit("#sign-out button").await;
    crate::sms::set_clock(&app, 31);
    b.client.goto(&app.url("/login")).await.unwrap();
    b.type_into("#email", email).await;
    b.type_into("#password", crate::people::PASSWORD).await;
    b.submit("form.stacked button").await;
    assert!(
        b.text_of("main").await.contains("SMS"),
        "the form names the text message"
    );
    b.type_into("#code", &newest_code(&received)).await;
    b.submit("form.stacked button").await;
    assert_eq!(b.text_of("#signed-in-as").await, email);

    // Removing it takes the password and a fresh code sent for that.
    crate::sms::set_clock(&app, 62);
    b.click("#two-step-link").await;
    b.submit("#send-code button").await;
    assert!(b.has("#notice").await);
    b.type_into("#remove-sms-password", crate::people::PASSWORD)
        .await;
    b.type_into("#remove-sms-code", "000000").await;
    b.submit("#remove-sms button").await;
    assert!(
        b.has("#remove-sms-code-error").await,
        "{}",
        b.text_of("main").await
    );
    b.type_into("#remove-sms-password", crate::people::PASSWORD)
        .await;
    b.type_into("#remove-sms-code", &newest_code(&received))
        .await;
    b.submit("#remove-sms button").await;
    assert!(b.has("#begin-sms").await, "{}", b.text_of("main").await);
    assert!(b.text_of("#notice").await.contains("fjernet"));

    let errors = b.console_errors().await;
    assert!(
        errors.iter().all(|e| e.contains("422")),
        "console errors: {errors:?}"
    );
    browser.close().await;
}
