//! The public website over HTTPS (C16, C21), as a browser sees it at the HTTP level:
//! what each page says, which cookies exist when, and what the server records.

use reqwest::header::{ACCEPT_LANGUAGE, COOKIE, LOCATION, ORIGIN, SET_COOKIE};

use crate::helpers::{Backend, Launch, TestApp, on_both_backends, spawn_app};

/// The consent cookie a choice set, as `name=value`.
fn consent_cookie(response: &reqwest::Response) -> String {
    let set = response
        .headers()
        .get(SET_COOKIE)
        .expect("a choice sets the consent cookie")
        .to_str()
        .unwrap();
    for attribute in ["Secure", "HttpOnly", "Path=/", "SameSite=Lax", "Max-Age="] {
        assert!(set.contains(attribute), "{set}");
    }
    set.split(';').next().unwrap().to_owned()
}

async fn choose(app: &TestApp, form: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url("/cookies"))
        .header(ORIGIN, app.url(""))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn page(app: &TestApp, path: &str, cookie: Option<&str>) -> String {
    let mut request = app.client.get(app.url(path));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    assert!(
        response.headers().get(SET_COOKIE).is_none(),
        "{path} sets no cookie"
    );
    response.text().await.unwrap()
}

on_both_backends! {
    async fn c21_no_cookie_before_a_choice_and_the_choice_is_kept_recorded_and_asked_again(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        // First visit: every page answers without a cookie, and asks in Norwegian with
        // three equally plain choices.
        for path in ["/", "/security", "/privacy", "/.well-known/security.txt"] {
            page(&app, path, None).await;
        }
        let first = page(&app, "/", None).await;
        for text in ["Godta alle", "Avvis alle", "Velg selv", "name=\"choice\" value=\"all\"", "name=\"choice\" value=\"none\"", "name=\"choice\" value=\"some\""] {
            assert!(first.contains(text), "{text}: {first}");
        }

        // Reject all: one strictly necessary cookie keeps the choice, nothing else on.
        let rejected = choose(&app, &[("choice", "none"), ("back", "/privacy")]).await;
        assert_eq!(rejected.status(), 303);
        assert_eq!(rejected.headers()[LOCATION], "/privacy");
        let cookie = consent_cookie(&rejected);
        assert!(cookie.starts_with("__Host-skjold-consent=1.000."), "{cookie}");
        let after = page(&app, "/", Some(&cookie)).await;
        assert!(!after.contains("Avvis alle"), "no banner once chosen");
        let settings = page(&app, "/cookies", Some(&cookie)).await;
        assert!(settings.contains("Ditt nåværende valg ble gjort"), "{settings}");
        assert!(!settings.contains("value=\"on\" checked"), "all optional categories off");

        // Choose: only statistics; the settings page shows it.
        let some = choose(&app, &[("choice", "some"), ("statistics", "on")]).await;
        let cookie = consent_cookie(&some);
        assert!(cookie.starts_with("__Host-skjold-consent=1.010."), "{cookie}");
        let settings = page(&app, "/cookies", Some(&cookie)).await;
        assert!(settings.contains("name=\"statistics\" value=\"on\" checked"), "{settings}");
        assert!(!settings.contains("name=\"marketing\" value=\"on\" checked"), "{settings}");

        // The server's proof of consent: the id, the policy and the categories, no address.
        let id = cookie.rsplit('.').next().unwrap();
        let detail = app.db_text(&format!(
            "SELECT detail FROM audit_events WHERE action = 'cookie_consent' AND detail LIKE '%{id}%'"
        )).await;
        assert!(detail.contains("\"statistics\":true") && detail.contains("\"policy\":1"), "{detail}");
        let addresses: i64 = app.db_value(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE action = 'cookie_consent' AND ip_prefix IS NOT NULL"
        ).await;
        assert_eq!(addresses, 0, "no address kept with a consent");

        // A choice made under an older policy asks again; so does a forged cookie.
        let old = cookie.replacen("consent=1.", "consent=0.", 1);
        assert!(page(&app, "/", Some(&old)).await.contains("Avvis alle"));
        assert!(page(&app, "/", Some("__Host-skjold-consent=1.111.x.y")).await.contains("Avvis alle"));

        // Another site cannot set a visitor's choice, nor send them elsewhere after it.
        let forged = app.client.post(app.url("/cookies")).header(ORIGIN, "https://evil.example")
            .form(&[("choice", "all")]).send().await.unwrap();
        assert_eq!(forged.status(), 403);
        assert!(forged.headers().get(SET_COOKIE).is_none());
        let cross_site = app.client.post(app.url("/cookies")).header("sec-fetch-site", "cross-site")
            .form(&[("choice", "all")]).send().await.unwrap();
        assert_eq!(cross_site.status(), 403);
        let away = choose(&app, &[("choice", "all"), ("back", "//evil.example/x")]).await;
        assert_eq!(away.headers()[LOCATION], "/");
    }
}

#[tokio::test]
async fn c16_the_security_page_states_the_numbers_the_server_runs_with() {
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let app = launch
        .arg("--backup-min-days")
        .arg("45")
        .arg("--backup-max-days")
        .arg("60")
        .arg("--log-retention-days")
        .arg("30")
        .arg("--session-idle-minutes")
        .arg("20")
        .arg("--security-contact")
        .arg("mailto:sikkerhet@example.no")
        .start()
        .await;
    let english = app
        .client
        .get(app.url("/security"))
        .header(ACCEPT_LANGUAGE, "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (fact, value) in [
        ("backup-min-days", "45"),
        ("backup-max-days", "60"),
        ("log-retention-days", "30"),
        ("session-idle-minutes", "20"),
    ] {
        assert!(
            english.contains(&format!("data-fact=\"{fact}\">{value}<")),
            "{fact}: {english}"
        );
    }
    assert!(
        english.contains("<html lang=\"en\">") && english.contains("Backups"),
        "English by Accept-Language"
    );
    let norwegian = page(&app, "/security", None).await;
    assert!(norwegian.contains("<html lang=\"nb\">") && norwegian.contains("Sikkerhetskopier"));
    assert!(norwegian.contains("data-fact=\"backup-min-days\">45<"));
    let switched = page(&app, "/security?lang=en", None).await;
    assert!(
        switched.contains("<html lang=\"en\">"),
        "the switch overrides the browser"
    );
    // …and holds from page to page; without a switch the links carry no language.
    assert!(
        switched.contains("href=\"/privacy?lang=en\"")
            && switched.contains("name=\"back\" value=\"/security?lang=en\""),
        "{switched}"
    );
    assert!(norwegian.contains("href=\"/privacy\""), "{norwegian}");

    let txt = app.get("/.well-known/security.txt").await;
    assert_eq!(txt.headers()["content-type"], "text/plain; charset=utf-8");
    let txt = txt.text().await.unwrap();
    assert!(
        txt.contains("Contact: mailto:sikkerhet@example.no") && txt.contains("Expires: "),
        "{txt}"
    );

    // The stylesheet: named by its hash, cached for a year; a stale name is not found.
    let css = norwegian
        .split("href=\"")
        .find_map(|s| s.strip_prefix("/assets/"))
        .unwrap();
    let css = format!("/assets/{}", css.split('"').next().unwrap());
    let asset = app.get(&css).await;
    assert_eq!(asset.status(), 200);
    assert_eq!(
        asset.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(asset.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(app.get("/assets/site.000000000000.css").await.status(), 404);
    // No page carries a script or an inline style for the CSP to refuse.
    for body in [&english, &norwegian] {
        assert!(
            !body.contains("<script") && !body.contains("style="),
            "{body}"
        );
    }
}

#[tokio::test]
async fn c16_sign_in_forms_refuse_other_sites_and_the_app_asks_for_a_session() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    for path in [
        "/login",
        "/login/second-step",
        "/logout",
        "/app/password",
        "/app/sessions/end",
        "/app/sessions/end-others",
        "/signup",
        "/verify-email",
    ] {
        let forged = app
            .client
            .post(app.url(path))
            .header("sec-fetch-site", "cross-site")
            .form(&[
                ("email", "a@example.no"),
                ("password", "x"),
                ("challenge", "c"),
                ("code", "1"),
                ("current", "x"),
                ("new", "y"),
                ("session", "s"),
                ("account_name", "A"),
                ("token", "t"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 403, "{path}");
        assert!(forged.headers().get(SET_COOKIE).is_none());
    }
    let app_page = app.get("/app").await;
    assert_eq!(app_page.status(), 303);
    assert_eq!(app_page.headers()[LOCATION], "/login");
    let wrong = app
        .client
        .post(app.url("/login"))
        .header(ORIGIN, app.url(""))
        .form(&[
            ("email", "nobody@example.no"),
            ("password", "not the password at all"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get(SET_COOKIE).is_none());
    let body = wrong.text().await.unwrap();
    assert!(
        body.contains("id=\"password-error\"") && body.contains("value=\"nobody@example.no\""),
        "{body}"
    );
}

/// The `Set-Cookie` values of `response`.
fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn c21_a_switched_language_is_remembered_only_with_consent_to_preferences() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let switch = |cookie: String| {
        let request = app.client.get(app.url("/security?lang=en"));
        async move { request.header(COOKIE, cookie).send().await.unwrap() }
    };

    // Preferences refused (or no choice): the switch holds through the query only.
    let rejected = consent_cookie(&choose(&app, &[("choice", "none")]).await);
    let answer = switch(rejected.clone()).await;
    assert!(
        set_cookies(&answer).is_empty(),
        "{:?}",
        set_cookies(&answer)
    );
    assert!(page(&app, "/", None).await.contains("lang=\"nb\""));

    // Preferences allowed: the switch sets a preference cookie, and the next visit
    // without the query opens in English, against the browser's Norwegian.
    let some = consent_cookie(&choose(&app, &[("choice", "some"), ("preferences", "on")]).await);
    let answer = switch(some.clone()).await;
    let set = set_cookies(&answer);
    let remembered = set
        .iter()
        .find(|c| c.starts_with("__Host-skjold-lang=en"))
        .unwrap_or_else(|| panic!("{set:?}"));
    for attribute in ["Secure", "HttpOnly", "Path=/", "SameSite=Lax", "Max-Age="] {
        assert!(remembered.contains(attribute), "{remembered}");
    }
    let both = format!("{some}; __Host-skjold-lang=en");
    let next = app
        .client
        .get(app.url("/"))
        .header(COOKIE, &both)
        .header(ACCEPT_LANGUAGE, "nb")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(next.contains("lang=\"en\""), "{next}");

    // Without consent the same cookie counts for nothing, and withdrawing consent to
    // preferences deletes it.
    let ignored = format!("{rejected}; __Host-skjold-lang=en");
    assert!(
        page(&app, "/", Some(&ignored))
            .await
            .contains("lang=\"nb\"")
    );
    let withdrawn = app
        .client
        .post(app.url("/cookies"))
        .header(ORIGIN, app.url(""))
        .header(COOKIE, &both)
        .form(&[("choice", "none")])
        .send()
        .await
        .unwrap();
    assert!(
        set_cookies(&withdrawn)
            .iter()
            .any(|c| c.starts_with("__Host-skjold-lang=;") && c.contains("Max-Age=0")),
        "{:?}",
        set_cookies(&withdrawn)
    );
}
