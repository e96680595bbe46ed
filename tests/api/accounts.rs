//! Accounts, passwords and sessions (C11, C12) as a client and an attacker see them.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{Backend, Launch, TestApp, on_both_backends, spawn_app};

const EMAIL: &str = "ola.nordmann@example.no";
const PASSWORD: &str = "korrekt hest batteri stift";

/// Starts a server whose clock is the real one plus the seconds in `clock.txt`.
async fn with_clock(backend: Backend) -> Option<TestApp> {
    let launch = Launch::new(backend).await?;
    Some(
        launch
            .arg("--test-clock-file")
            .arg("clock.txt")
            .start()
            .await,
    )
}

fn set_clock(app: &TestApp, seconds: i64) {
    std::fs::write(app.dir.path().join("clock.txt"), seconds.to_string()).unwrap();
}

on_both_backends! {
    async fn asvs_11_4_2_the_stored_password_is_an_argon2id_phc_string_at_owasp_cost(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        app.sign_up(EMAIL, PASSWORD).await;
        let stored = app.db_text("SELECT password_hash FROM users").await;
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
        assert!(!stored.contains(PASSWORD));
        // The e-mail is not in the database in clear either.
        let sealed = app.db_text("SELECT email_key_id FROM users").await;
        assert_eq!(sealed, "k1");
        let me = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        assert_eq!(app.get_json("/api/v1/me", &me).await.1["email"], EMAIL);
    }

    async fn c11_a_hash_with_weak_parameters_is_upgraded_at_the_next_login(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        app.sign_up(EMAIL, PASSWORD).await;
        let weak = skjold_crypto::PasswordHashing::new_unchecked(skjold_crypto::HashParams {
            memory_kib: 1024, iterations: 1, parallelism: 1,
        }).unwrap().hash(PASSWORD).unwrap();
        app.db_execute("UPDATE users SET password_hash = $1", &weak).await;
        assert!(app.sign_in(EMAIL, PASSWORD).await.is_ok());
        let upgraded = app.db_text("SELECT password_hash FROM users").await;
        assert!(upgraded.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{upgraded}");
        assert!(app.sign_in(EMAIL, PASSWORD).await.is_ok(), "the upgraded hash verifies");
    }

    async fn asvs_6_2_short_and_common_passwords_are_refused_and_long_ones_work_as_typed(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        for (password, reason) in [
            ("fourteen chars", "at least 15 characters"),
            ("passwordpassword", "most commonly used"),
        ] {
            let body = json!({"account_name": "A", "email": EMAIL, "password": password});
            let (status, answer) = app.post_json("/api/v1/signup", body, None).await;
            assert_eq!(status, 422, "{answer}");
            assert!(answer["detail"].as_str().unwrap().contains(reason), "{answer}");
        }
        let long: String = "Blåbær på brødskiva 🦀 ".chars().cycle().take(128).collect();
        assert_eq!(long.chars().count(), 128);
        app.sign_up(EMAIL, &long).await;
        assert!(app.sign_in(EMAIL, &long).await.is_ok());
        let shorter: String = long.chars().take(127).collect();
        assert_eq!(app.sign_in(EMAIL, &shorter).await.unwrap_err().0, 401, "no truncation");
        assert_eq!(app.sign_in(EMAIL, &long.to_uppercase()).await.unwrap_err().0, 401, "no case folding");
    }

    async fn asvs_6_2_3_changing_the_password_needs_the_current_one(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        app.sign_up(EMAIL, PASSWORD).await;
        let token = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        let new = "a completely different passphrase";
        let (status, _) = app
            .post_json("/api/v1/me/password", json!({"current_password": "not the current one!", "new_password": new}), Some(&token))
            .await;
        assert_eq!(status, 403);
        let (status, answer) = app
            .post_json("/api/v1/me/password", json!({"current_password": PASSWORD, "new_password": new}), Some(&token))
            .await;
        assert_eq!(status, 201, "{answer}");
        assert_eq!(app.sign_in(EMAIL, PASSWORD).await.unwrap_err().0, 401);
        assert!(app.sign_in(EMAIL, new).await.is_ok());
    }

    async fn asvs_7_4_3_a_password_change_ends_every_other_session_on_every_instance(backend: Backend) {
        let Some(first) = spawn_app(backend).await else { return };
        let second = first.relaunch().start().await;
        first.sign_up(EMAIL, PASSWORD).await;
        let a = first.sign_in(EMAIL, PASSWORD).await.unwrap();
        let b = first.sign_in(EMAIL, PASSWORD).await.unwrap();
        let c = second.sign_in(EMAIL, PASSWORD).await.unwrap();
        for (app, token) in [(&first, &b), (&second, &c), (&second, &b)] {
            assert_eq!(app.get_json("/api/v1/me", token).await.0, 200);
        }
        let new = "a completely different passphrase";
        let (status, answer) = first
            .post_json("/api/v1/me/password", json!({"current_password": PASSWORD, "new_password": new}), Some(&a))
            .await;
        assert_eq!(status, 201);
        let reissued = answer["token"].as_str().unwrap();
        assert_ne!(reissued, a);
        for (app, token) in [(&first, &b), (&second, &c), (&second, &b), (&first, &a)] {
            assert_eq!(app.get_json("/api/v1/me", token).await.0, 401, "an old session still works");
        }
        assert_eq!(second.get_json("/api/v1/me", reissued).await.0, 200, "the changing session continues");
    }

    async fn asvs_7_4_1_logout_kills_the_token_and_a_new_login_gets_a_new_one(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        app.sign_up(EMAIL, PASSWORD).await;
        let first = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        let response = app.client.delete(app.url("/api/v1/sessions/current")).bearer_auth(&first).send().await.unwrap();
        assert_eq!(response.status(), 204);
        assert_eq!(app.get_json("/api/v1/me", &first).await.0, 401);
        let second = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        assert_ne!(first, second, "7.2.4: a new token at every login");
        assert!(second.starts_with("skjs_") && second.len() >= 5 + 43, "≥ 256 random bits");
        assert_eq!(app.get_json("/api/v1/me", &first).await.0, 401);
        assert_eq!(app.get_json("/api/v1/me", "skjs_forged").await.0, 401);
    }

    async fn asvs_7_3_1_an_idle_session_dies_after_the_idle_timeout(backend: Backend) {
        let Some(app) = with_clock(backend).await else { return };
        app.sign_up(EMAIL, PASSWORD).await;
        let token = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        set_clock(&app, 29 * 60);
        assert_eq!(app.get_json("/api/v1/me", &token).await.0, 200, "29 idle minutes are fine");
        set_clock(&app, 29 * 60 + 31 * 60);
        assert_eq!(app.get_json("/api/v1/me", &token).await.0, 401, "31 idle minutes are not");
        set_clock(&app, 0);
        assert_eq!(app.get_json("/api/v1/me", &token).await.0, 401, "and it stays dead");
    }

    async fn c12_a_session_s_last_use_is_written_once_a_minute_not_on_every_request(backend: Backend) {
        let Some(app) = with_clock(backend).await else { return };
        app.sign_up(EMAIL, PASSWORD).await;
        let token = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        let last_seen = || {
            let app = &app;
            let token = token.clone();
            async move {
                let (status, list) = app.get_json("/api/v1/sessions", &token).await;
                assert_eq!(status, 200, "{list}");
                list[0]["last_seen_at"].as_str().unwrap().to_owned()
            }
        };
        let signed_in = last_seen().await;
        set_clock(&app, 50);
        assert_eq!(last_seen().await, signed_in, "within a minute: not written again");
        set_clock(&app, 61);
        let later = last_seen().await;
        assert_ne!(later, signed_in, "a minute on: written");
        let rows = app.db_text("SELECT CAST(COUNT(*) AS TEXT) FROM sessions").await;
        assert_eq!(rows, "1");
    }

    async fn asvs_7_3_2_a_busy_session_dies_at_its_absolute_lifetime(backend: Backend) {
        let Some(app) = with_clock(backend).await else { return };
        app.sign_up(EMAIL, PASSWORD).await;
        let token = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        // A request every 20 minutes for just under 12 hours.
        let mut minutes = 0;
        while minutes + 20 < 12 * 60 {
            minutes += 20;
            set_clock(&app, minutes * 60);
            assert_eq!(app.get_json("/api/v1/me", &token).await.0, 200, "at {minutes} minutes");
        }
        set_clock(&app, 12 * 60 * 60);
        assert_eq!(app.get_json("/api/v1/me", &token).await.0, 401, "at 12 hours");
    }

    async fn asvs_6_3_unknown_and_known_addresses_get_the_same_answer(backend: Backend) {
        // Behind a trusted proxy, so each timed try comes from its own client and meets
        // no brute-force delay (those are the same for both kinds, see brute_force.rs).
        let Some(launch) = Launch::new(backend).await else { return };
        let app = launch.arg("--trusted-proxies").arg("127.0.0.1/32").start().await;
        app.sign_up(EMAIL, PASSWORD).await;
        let known = app.sign_in(EMAIL, "wrong but long enough").await.unwrap_err();
        let unknown = app.sign_in("nobody@example.no", "wrong but long enough").await.unwrap_err();
        assert_eq!(known, unknown);
        assert_eq!(known.0, 401);
        // Sign-up with a taken address answers exactly like a fresh one.
        let taken = app.post_json("/api/v1/signup", json!({"account_name": "B", "email": EMAIL, "password": PASSWORD}), None).await;
        let fresh = app.post_json("/api/v1/signup", json!({"account_name": "B", "email": "new@example.no", "password": PASSWORD}), None).await;
        assert_eq!(taken, fresh);
        assert!(app.output().contains("mail to ola.nordmann@example.no: Someone tried to sign up"), "{}", app.output());

        // Timing: the median of several tries of each is within a small factor.
        let time = |email: &'static str, network: u8| {
            let app = &app;
            async move {
                let mut samples = Vec::new();
                for n in 0..7 {
                    let start = Instant::now();
                    let response = app
                        .client
                        .post(app.url("/api/v1/sessions"))
                        .header("x-forwarded-for", format!("10.{network}.0.{n}"))
                        .json(&json!({"email": email, "password": "wrong but long enough"}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 401);
                    samples.push(start.elapsed());
                }
                samples.sort();
                samples[samples.len() / 2]
            }
        };
        let known_time = time(EMAIL, 1).await;
        let unknown_time = time("nobody@example.no", 2).await;
        let ratio = known_time.as_secs_f64() / unknown_time.as_secs_f64();
        assert!((0.5..2.0).contains(&ratio), "known {known_time:?} vs unknown {unknown_time:?}");
        assert!(known_time > Duration::from_millis(1), "a real hash was computed");
    }
}

on_both_backends! {
    async fn asvs_7_5_2_users_list_and_end_their_own_sessions_and_no_one_elses(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        app.sign_up(EMAIL, PASSWORD).await;
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        let body = json!({"email": EMAIL, "password": PASSWORD});
        let response = app.client.post(app.url("/api/v1/sessions")).header("user-agent", firefox).json(&body).send().await.unwrap();
        let other: serde_json::Value = response.json().await.unwrap();
        let other_token = other["token"].as_str().unwrap().to_owned();
        let third = app.sign_in(EMAIL, PASSWORD).await.unwrap();
        let mine = app.sign_in(EMAIL, PASSWORD).await.unwrap();

        let (status, list) = app.get_json("/api/v1/sessions", &mine).await;
        assert_eq!(status, 200);
        let list = list.as_array().unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
        let ff = list.iter().find(|s| s["id"] == other["session_id"]).unwrap();
        assert_eq!(ff["device"], "Firefox on Linux");
        assert_eq!(ff["network"], "127.0.0.0/24", "the address is truncated");

        // Someone else cannot end this user's session, and learns nothing from trying.
        app.sign_up("mallory@example.no", "mallory's own long passphrase").await;
        let mallory = app.sign_in("mallory@example.no", "mallory's own long passphrase").await.unwrap();
        let target = format!("/api/v1/sessions/{}", other["session_id"].as_str().unwrap());
        let attempt = app.client.delete(app.url(&target)).bearer_auth(&mallory).send().await.unwrap();
        assert_eq!(attempt.status(), 404);
        let unknown = app.client.delete(app.url(&format!("/api/v1/sessions/{}", uuid::Uuid::new_v4()))).bearer_auth(&mallory).send().await.unwrap();
        assert_eq!(unknown.status(), 404);
        assert_eq!(app.get_json("/api/v1/me", &other_token).await.0, 200);

        let ended = app.client.delete(app.url(&target)).bearer_auth(&mine).send().await.unwrap();
        assert_eq!(ended.status(), 204);
        assert_eq!(app.get_json("/api/v1/me", &other_token).await.0, 401);

        let all = app.client.delete(app.url("/api/v1/sessions")).bearer_auth(&mine).send().await.unwrap();
        assert_eq!(all.status(), 204);
        assert_eq!(app.get_json("/api/v1/me", &third).await.0, 401);
        assert_eq!(app.get_json("/api/v1/me", &mine).await.0, 200);
        assert_eq!(app.get_json("/api/v1/sessions", &mine).await.1.as_array().unwrap().len(), 1);
    }
}

on_both_backends! {
    async fn asvs_3_3_the_session_cookie_is_host_only_secure_httponly_and_csrf_safe(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        app.sign_up(EMAIL, PASSWORD).await;
        let response = app.client.post(app.url("/api/v1/sessions")).json(&json!({"email": EMAIL, "password": PASSWORD})).send().await.unwrap();
        let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        for attribute in ["__Host-skjold_session=skjs_", "Path=/", "Secure", "HttpOnly", "SameSite=Lax", "Max-Age=4319"] {
            assert!(set_cookie.contains(attribute), "{attribute} missing: {set_cookie}");
        }
        assert!(!set_cookie.contains("Domain="), "a __Host- cookie has no Domain");
        let cookie = set_cookie.split(';').next().unwrap().to_owned();

        // Reading with the cookie alone works.
        let me = app.client.get(app.url("/api/v1/me")).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(me.status(), 200);

        // A change carried by the cookie must come from this site.
        let change = json!({"current_password": PASSWORD, "new_password": "a completely different passphrase"});
        let post = |headers: &[(&'static str, String)]| {
            let mut request = app.client.post(app.url("/api/v1/me/password")).header("cookie", &cookie).json(&change);
            for (name, value) in headers {
                request = request.header(*name, value);
            }
            request.send()
        };
        for forged in [
            vec![],
            vec![("sec-fetch-site", "cross-site".to_owned())],
            vec![("sec-fetch-site", "same-site".to_owned())],
            vec![("origin", "https://evil.example".to_owned())],
            vec![("origin", format!("http://localhost:{}", app.https.port()))],
        ] {
            let response = post(&forged).await.unwrap();
            assert_eq!(response.status(), 403, "{forged:?}");
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["type"], "urn:skjold:problem:cross-site-request");
        }
        assert!(app.sign_in(EMAIL, PASSWORD).await.is_ok(), "nothing changed");
        let same = post(&[("origin", format!("https://localhost:{}", app.https.port()))]).await.unwrap();
        assert_eq!(same.status(), 201);

        // Logging out clears the cookie.
        let new_cookie = same.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
        let out = app.client.delete(app.url("/api/v1/sessions/current"))
            .header("cookie", &new_cookie).header("sec-fetch-site", "same-origin").send().await.unwrap();
        assert_eq!(out.status(), 204);
        let cleared = out.headers()["set-cookie"].to_str().unwrap();
        assert!(cleared.starts_with("__Host-skjold_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
        let after = app.client.get(app.url("/api/v1/me")).header("cookie", &new_cookie).send().await.unwrap();
        assert_eq!(after.status(), 401);
    }
}
