//! `skjold keys rotate` (C2): a new master key version rewraps every account data key,
//! while servers keep serving; everything stays readable, before and after a restart; an
//! interrupted rotation is finished by running the command again.

use serde_json::json;

use crate::helpers::{Backend, TestApp, on_both_backends, skjold};
use crate::people::{PASSWORD, person};
use crate::recovery::with_mailbox;

fn rotate(app: &TestApp) -> String {
    rotate_with(app, &[])
}

fn rotate_with(app: &TestApp, flags: &[&str]) -> String {
    let args: Vec<&str> = ["keys", "rotate"].iter().chain(flags).copied().collect();
    let out = app.cli(&args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

async fn count(app: &TestApp, sql: &str) -> String {
    app.db_text(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM {sql}"))
        .await
}

async fn wrapped_under(app: &TestApp, key: &str) -> String {
    let sql =
        format!("SELECT CAST(COUNT(*) AS TEXT) FROM account_keys WHERE master_key_id = '{key}'");
    app.db_text(&sql).await
}

on_both_backends! {
    async fn c2_a_master_key_rotation_rewraps_data_keys_online_and_keeps_everything_readable(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let mut readers = Vec::new();
        for email in ["owner@a.example", "owner@b.example"] {
            let (token, me) = person(&app, &mailbox, email).await;
            let account = me["memberships"][0]["account_id"].as_str().unwrap().to_owned();
            let path = format!("/api/v1/accounts/{account}/contacts");
            let (status, contact) = app.post_json(&path, json!({"name": "Ola Nordmann", "national_id": "17058510068"}), Some(&token)).await;
            assert_eq!(status, 201);
            readers.push((token, format!("{path}/{}", contact["id"].as_str().unwrap())));
        }
        assert_eq!(wrapped_under(&app, "k1").await, "2");

        // Rotation while the server serves.
        let out = rotate(&app);
        assert!(out.contains("created master key k2"), "{out}");
        assert!(out.contains("done: 2 account data keys now wrapped under k2"), "{out}");
        assert_eq!(wrapped_under(&app, "k2").await, "2");
        for (token, path) in &readers {
            let (status, contact) = app.get_json(path, token).await;
            assert_eq!(status, 200, "the running server reads with the new key: {contact}");
            assert_eq!(contact["national_id"], "17058510068");
        }
        let listed = skjold(app.dir.path()).args(["keys", "list", "--key-dir", "keys"]).output().unwrap();
        let list = String::from_utf8_lossy(&listed.stdout).into_owned();
        let current: Vec<&str> = list.lines().filter(|l| l.trim_end().ends_with('*')).collect();
        assert!(current.len() == 1 && current[0].starts_with("k2"), "{list}");

        // After a restart: old fields (k1) and rewrapped keys (k2) read; new fields use k2.
        let mut app = app;
        app.stop().await;
        let app = app.relaunch().start().await;
        let token = app.sign_in("owner@a.example", PASSWORD).await.unwrap();
        assert_eq!(app.get_json(&readers[0].1, &token).await.0, 200);
        app.sign_up("new@c.example", PASSWORD).await;
        let sql = "SELECT CAST(COUNT(*) AS TEXT) FROM users WHERE email_key_id <> 'k2'";
        assert_eq!(app.db_text(sql).await, "0", "every address, the new user's too, is sealed under k2");
        assert_eq!(app.get_json("/api/v1/me", &app.sign_in("new@c.example", PASSWORD).await.unwrap()).await.0, 200);

        // An interrupted rotation: one data key left under k2 when k3 became current.
        let account_b = app.db_text("SELECT account_id FROM account_keys ORDER BY account_id DESC LIMIT 1").await;
        let saved: Vec<u8> = app.db_value(&format!("SELECT wrapped FROM account_keys WHERE account_id = '{account_b}'")).await;
        let out = rotate(&app);
        assert!(out.contains("created master key k3") && out.contains("done: 2"), "{out}");
        let hex: String = saved.iter().map(|b| format!("{b:02x}")).collect();
        let restore = match backend {
            Backend::Sqlite => format!("UPDATE account_keys SET master_key_id = 'k2', wrapped = X'{hex}' WHERE account_id = $1"),
            Backend::Postgres => format!("UPDATE account_keys SET master_key_id = 'k2', wrapped = '\\x{hex}'::bytea WHERE account_id = $1"),
        };
        app.db_execute(&restore, &account_b).await;
        assert_eq!(wrapped_under(&app, "k2").await, "1");
        let out = rotate(&app);
        assert!(out.contains("was not finished") && out.contains("done: 1 account data keys now wrapped under k3"), "{out}");
        assert_eq!(wrapped_under(&app, "k3").await, "2");
        for (email, (_, path)) in ["owner@a.example", "owner@b.example"].iter().zip(&readers) {
            let token = app.sign_in(email, PASSWORD).await.unwrap();
            assert_eq!(app.get_json(path, &token).await.0, 200, "{email}");
        }
    }

    async fn c2_new_data_keys_reseal_every_row_resumably_and_retire_the_old_ones(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let mut readers = Vec::new();
        for (email, contacts) in [("owner@a.example", 3), ("owner@b.example", 1)] {
            let (token, me) = person(&app, &mailbox, email).await;
            let account = me["memberships"][0]["account_id"].as_str().unwrap().to_owned();
            let path = format!("/api/v1/accounts/{account}/contacts");
            for n in 0..contacts {
                let body = json!({"name": format!("Person {n}"), "email": format!("p{n}@example.com")});
                let (_, contact) = app.post_json(&path, body, Some(&token)).await;
                let one = format!("{path}/{}", contact["id"].as_str().unwrap());
                readers.push((token.clone(), one, contact["updated_at"].clone()));
            }
        }
        let read_all = || async {
            for (token, path, updated_at) in &readers {
                let (status, contact) = app.get_json(path, token).await;
                assert_eq!(status, 200, "{path}: {contact}");
                assert_eq!(&contact["updated_at"], updated_at, "resealing is not an edit");
            }
        };

        // A run limited to two rows stops part-way; everything stays readable meanwhile.
        let out = rotate_with(&app, &["--data-keys", "--max-rows", "2"]);
        assert!(out.contains("2 new account data keys, 2 rows resealed") && out.contains("run again to continue"), "{out}");
        assert_eq!(count(&app, "contacts WHERE key_version = 2").await, "2");
        read_all().await;

        // The next run finishes, and retires every version-1 key.
        let out = rotate_with(&app, &["--data-keys"]);
        assert!(out.contains("0 new account data keys, 2 rows resealed"), "finishes, no new keys: {out}");
        assert_eq!(count(&app, "contacts WHERE key_version = 2").await, "4");
        assert_eq!(count(&app, "account_keys WHERE version = 1").await, "0");
        assert_eq!(count(&app, "account_keys").await, "2");
        read_all().await;

        // Another full run: new keys for both accounts, every row, the old ones gone.
        let out = rotate_with(&app, &["--data-keys"]);
        assert!(out.contains("2 new account data keys, 4 rows resealed, 2 old data keys retired"), "{out}");
        assert_eq!(count(&app, "contacts WHERE key_version = 3").await, "4");
        assert_eq!(count(&app, "account_keys").await, "2");
        read_all().await;
        let (token, path, _) = &readers[0];
        let (status, _) = app.send_json(reqwest::Method::PATCH, path, json!({"company": "Nordlys AS"}), Some(token)).await;
        assert_eq!(status, 200, "changes after a rotation are sealed with the new key");
        assert_eq!(app.get_json(path, token).await.1["company"], "Nordlys AS");
    }
}

fn refused(app: &TestApp, args: &[&str]) -> String {
    let out = app.cli(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        !out.status.success(),
        "{args:?} should be refused: {stderr}"
    );
    stderr
}

on_both_backends! {
    async fn c2_after_a_rotation_the_old_master_key_is_retired_once_nothing_needs_it(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let (token, me) = person(&app, &mailbox, "owner@a.example").await;
        let account = me["memberships"][0]["account_id"].as_str().unwrap().to_owned();
        let path = format!("/api/v1/accounts/{account}/contacts");
        let (_, contact) = app.post_json(&path, json!({"name": "Ola Nordmann", "email": "ola@example.com"}), Some(&token)).await;
        let contact_path = format!("{path}/{}", contact["id"].as_str().unwrap());
        let (status, _) = app.send_json(reqwest::Method::PATCH, "/api/v1/me", json!({"name": "Kari Nordmann", "email": "kari@b.example", "current_password": PASSWORD}), Some(&token)).await;
        assert_eq!(status, 200);
        assert_eq!(count(&app, "email_changes WHERE email_key_id = 'k1'").await, "1", "a pending address, sealed");
        let (status, setup) = app.post_json("/api/v1/me/second-step/totp", json!({"password": PASSWORD}), Some(&token)).await;
        assert_eq!(status, 201, "an authenticator's secret, sealed: {setup}");
        let totp = skjold_crypto::TotpSecret::from_base32(setup["secret"].as_str().unwrap()).unwrap();

        let err = refused(&app, &["keys", "retire", "k1"]);
        assert!(err.contains("k1 is the current master key") && err.contains("skjold keys rotate"), "{err}");
        let err = refused(&app, &["keys", "retire", "k9"]);
        assert!(err.contains("no master key k9"), "{err}");

        // A rotation while the server serves moves every data key and field to k2; one
        // address is put back under k1, as if the rotation had been interrupted.
        let user = me["id"].as_str().unwrap().to_owned();
        let saved: Vec<u8> = app.db_value(&format!("SELECT email_sealed FROM users WHERE id = '{user}'")).await;
        let out = rotate(&app);
        assert!(out.contains("created master key k2") && out.contains("4 user fields resealed"), "{out}");
        let hex: String = saved.iter().map(|b| format!("{b:02x}")).collect();
        let restore = match backend {
            Backend::Sqlite => format!("UPDATE users SET email_key_id = 'k1', email_sealed = X'{hex}' WHERE id = $1"),
            Backend::Postgres => format!("UPDATE users SET email_key_id = 'k1', email_sealed = '\\x{hex}'::bytea WHERE id = $1"),
        };
        app.db_execute(&restore, &user).await;
        let err = refused(&app, &["keys", "retire", "k1"]);
        assert!(err.contains("k1 is still needed: 0 account data keys are wrapped and 1 user fields sealed under it"), "{err}");
        let out = rotate(&app);
        assert!(out.contains("was not finished") && out.contains("1 user fields resealed"), "{out}");

        let mut app = app;
        if backend == Backend::Sqlite {
            assert!(out.contains("re-encrypts the embedded database file under k2 at its next start"), "{out}");
            let err = refused(&app, &["keys", "retire", "k1"]);
            assert!(err.contains("still encrypted under k1") && err.contains("restart the server"), "{err}");
            // A restart moves the file to k2, also after a crash part-way through a move:
            // before it began (the file still under k1) ...
            app.stop().await;
            let data = app.data_dir();
            std::fs::write(data.join("skjold.db.key-id.next"), "k2\n").unwrap();
            app = app.relaunch().start().await;
            assert_eq!(std::fs::read_to_string(data.join("skjold.db.key-id")).unwrap().trim(), "k2");
            assert!(!data.join("skjold.db.key-id.next").exists());
            // ... and after the file was re-encrypted but before its key id was written.
            app.stop().await;
            std::fs::write(data.join("skjold.db.key-id"), "k1\n").unwrap();
            std::fs::write(data.join("skjold.db.key-id.next"), "k2\n").unwrap();
            app = app.relaunch().start().await;
            assert_eq!(std::fs::read_to_string(data.join("skjold.db.key-id")).unwrap().trim(), "k2");
            // A second server shares the file, and leaves it under k2.
            let second = app.relaunch().start().await;
            assert_eq!(second.get("/readyz").await.status(), 200);
            drop(second);
        }

        let out = app.cli(&["keys", "retire", "k1"]);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("retired master key k1") && stdout.contains("offline key backup"), "{stdout}");
        assert!(!app.key_dir().join("master-k1.toml").exists());
        // Read from outside with what the keyring still holds (for SQLite: the file's k2 key).
        assert_eq!(count(&app, "users WHERE email_key_id = 'k2' AND name_key_id = 'k2'").await, "1");
        let listed = String::from_utf8_lossy(&skjold(app.dir.path()).args(["keys", "list", "--key-dir", "keys"]).output().unwrap().stdout).into_owned();
        assert!(!listed.contains("k1") && listed.contains("k2"), "{listed}");

        // Without k1, after a restart, everything still reads: sign-in by address (blind
        // index), the name, the pending address, the contact.
        app.stop().await;
        let app = app.relaunch().start().await;
        let token = app.sign_in("owner@a.example", PASSWORD).await.unwrap();
        let me = app.get_json("/api/v1/me", &token).await.1;
        assert_eq!((me["email"].as_str(), me["name"].as_str()), (Some("owner@a.example"), Some("Kari Nordmann")));
        let (status, contact) = app.get_json(&contact_path, &token).await;
        assert_eq!((status, contact["email"].as_str()), (200, Some("ola@example.com")));
        let link = mailbox.wait_for("kari@b.example", "Confirm your new e-mail address").await;
        let (status, _) = app.post_json("/api/v1/me/email/confirm", json!({"token": crate::mailbox::token_in(&link)}), Some(&token)).await;
        assert_eq!(status, 201, "the pending address, resealed under k2, is confirmed");
        let token = app.sign_in("kari@b.example", PASSWORD).await.unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let code = totp.code_at(now).unwrap();
        let (status, _) = app.post_json("/api/v1/me/second-step/totp/confirm", json!({"code": code}), Some(&token)).await;
        assert_eq!(status, 201, "the authenticator's secret, resealed under k2, still opens");
    }
}

on_both_backends! {
    async fn c2_an_overdue_master_key_is_marked_and_raises_one_event_a_day(backend: Backend) {
        let Some(mut app) = crate::helpers::spawn_app(backend).await else { return };
        app.stop().await;
        // As if k1 had been made years ago: only its date changes.
        let file = app.key_dir().join("master-k1.toml");
        let text = std::fs::read_to_string(&file).unwrap();
        let line = text.lines().find(|l| l.starts_with("created_at")).unwrap().to_owned();
        std::fs::write(&file, text.replace(&line, "created_at = \"2020-01-01T00:00:00Z\"")).unwrap();

        let events = "audit_events WHERE action = 'key_age_exceeded'";
        let mut app = app.relaunch().start().await;
        let mut seen = String::new();
        for _ in 0..100 {
            seen = count(&app, events).await;
            if seen != "0" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(seen, "1", "{}", app.output());
        let detail = app.db_text("SELECT detail FROM audit_events WHERE action = 'key_age_exceeded'").await;
        assert!(detail.contains("\"key\":\"k1\"") && detail.contains("\"max_days\":90"), "{detail}");
        app.wait_for_output("run skjold keys rotate").await;

        // Another instance (a restart here) within the day records nothing more.
        app.stop().await;
        let app = app.relaunch().start().await;
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(count(&app, events).await, "1");

        let list = |app: &TestApp| {
            let out = skjold(app.dir.path()).args(["keys", "list", "--key-dir", "keys"]).output().unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        assert!(list(&app).contains("* overdue: run skjold keys rotate"), "{}", list(&app));
        rotate(&app);
        let after = list(&app);
        assert!(!after.contains("overdue") && after.lines().any(|l| l.starts_with("k2") && l.trim_end().ends_with('*')), "{after}");
    }
}
