//! `GET /api/v1/accounts/{id}/audit`: owners and admins read their account's trail,
//! filtered by action, actor and time, newest first; nobody else reads it.

use serde_json::{Value, json};

use crate::helpers::on_both_backends;
use crate::people::{member, person};
use crate::recovery::with_mailbox;

fn actions(page: &Value) -> Vec<String> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

on_both_backends! {
    async fn owners_and_admins_read_the_audit_trail_by_action_actor_and_time(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let (owner, me) = person(&app, &mailbox, "owner@a.example").await;
        let a = me["memberships"][0]["account_id"].as_str().unwrap().to_owned();
        let (admin, _) = member(&app, &mailbox, &owner, &a, "admin@a.example", "admin").await;
        let (kari, kari_id) = member(&app, &mailbox, &owner, &a, "kari@a.example", "member").await;
        let contacts = format!("/api/v1/accounts/{a}/contacts");
        let (_, ola) = app.post_json(&contacts, json!({"name": "Ola", "email": "ola@example.com"}), Some(&kari)).await;
        app.get_json(&format!("{contacts}/{}", ola["id"].as_str().unwrap()), &kari).await;

        let audit = format!("/api/v1/accounts/{a}/audit");
        let (status, page) = app.get_json(&audit, &owner).await;
        assert_eq!(status, 200, "{page}");
        let all = actions(&page);
        assert_eq!(&all[..2], ["pii_read", "pii_read"], "newest first: {all:?}");
        for expected in ["contact_created", "member_joined", "member_invited"] {
            assert!(all.iter().any(|a| a == expected), "{expected} in {all:?}");
        }
        let event = &page["events"][0];
        assert_eq!(event["actor_id"], kari_id.as_str());
        assert!(event["network"].as_str().unwrap().ends_with(".0/24"), "{event}");
        assert_eq!(event["detail"]["contacts"], json!([ola["id"]]));

        let by_kari = app.get_json(&format!("{audit}?actor={kari_id}"), &admin).await.1;
        assert_eq!(actions(&by_kari), ["pii_read", "pii_read", "contact_created", "member_joined"]);
        let created = app.get_json(&format!("{audit}?action=contact_created"), &admin).await.1;
        assert_eq!(actions(&created), ["contact_created"]);
        let future = app.get_json(&format!("{audit}?since=2999-01-01T00:00:00Z"), &owner).await.1;
        assert_eq!(actions(&future), Vec::<String>::new());

        let first = app.get_json(&format!("{audit}?limit=2"), &owner).await.1;
        assert_eq!(actions(&first).len(), 2);
        let next = first["next"].as_i64().unwrap();
        let older = app.get_json(&format!("{audit}?limit=100&before={next}"), &owner).await.1;
        assert_eq!(actions(&older), all[2..], "the pages join up");
        assert_eq!(older["next"], Value::Null);

        assert_eq!(app.get_json(&format!("{audit}?since=yesterday"), &owner).await.0, 422);
        assert_eq!(app.get_json(&audit, &kari).await.0, 403, "members do not read the trail");
        let (stranger, _) = person(&app, &mailbox, "owner@b.example").await;
        assert_eq!(app.get_json(&audit, &stranger).await.0, 404, "nor does anyone outside");
    }
}

/// `skjold audit verify` against the server's database: success and what it printed.
fn verify(app: &crate::helpers::TestApp) -> (bool, String) {
    let out = app.cli(&["audit", "verify"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

on_both_backends! {
    async fn c10_the_audit_trail_is_a_hash_chain_per_account_that_names_each_change(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let (token, me) = person(&app, &mailbox, "owner@a.example").await;
        let account = me["memberships"][0]["account_id"].as_str().unwrap().to_owned();
        let contacts = format!("/api/v1/accounts/{account}/contacts");
        for n in 0..3 {
            let (status, created) = app.post_json(&contacts, json!({"name": format!("Kontakt {n}")}), Some(&token)).await;
            assert_eq!(status, 201, "{created}");
            let path = format!("{contacts}/{}", created["id"].as_str().unwrap());
            assert_eq!(app.get_json(&path, &token).await.0, 200);
        }
        let (ok, text) = verify(&app);
        assert!(ok, "{text}");
        assert!(text.contains(&format!("account {account}: ")) && text.contains("chain intact"), "{text}");
        assert!(text.contains("events of no account"), "{text}");
        let log = app.wait_for_output("pii_read").await;
        assert!(log.contains("skjold::audit"), "audit events go to the log, and so to the vault: {log}");

        // The API hands out the chain, so a copy of the trail can be checked on its own.
        let (status, page) = app.get_json(&format!("/api/v1/accounts/{account}/audit"), &token).await;
        assert_eq!(status, 200, "{page}");
        let mut links: Vec<(i64, String, String)> = page["events"].as_array().unwrap().iter()
            .map(|e| (e["seq"].as_i64().unwrap(), e["prev_hash"].as_str().unwrap().to_owned(), e["hash"].as_str().unwrap().to_owned()))
            .collect();
        links.sort();
        assert_eq!((links[0].0, links[0].1.as_str()), (1, "0".repeat(64).as_str()), "{page}");
        for pair in links.windows(2) {
            assert_eq!((pair[1].0, &pair[1].1), (pair[0].0 + 1, &pair[0].2), "each event names the one before");
        }

        let count = |sql: &str| sql.replace("$1", &format!("'{account}'"));
        let events: i64 = app.db_value(&count("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE chain = $1")).await;
        assert!(events >= 4, "{events}");

        // An altered event is named; the chain goes on intact after it.
        app.db_execute("UPDATE audit_events SET action = 'nothing_happened' WHERE chain = $1 AND seq = 2", &account).await;
        let (ok, text) = verify(&app);
        assert!(!ok);
        assert!(text.contains("(#2 of the chain): altered"), "{text}");
        assert_eq!(text.matches("CHAIN BROKEN").count(), 1, "{text}");

        // A deleted one: the gap is named.
        app.db_execute("DELETE FROM audit_events WHERE chain = $1 AND seq = 3", &account).await;
        let (_, text) = verify(&app);
        assert!(text.contains("events #3 to #3 are missing"), "{text}");

        // Two swapped places: the chain breaks where they stand.
        app.db_execute("UPDATE audit_events SET seq = -1 WHERE chain = $1 AND seq = 4", &account).await;
        app.db_execute("UPDATE audit_events SET seq = 4 WHERE chain = $1 AND seq = 5", &account).await;
        app.db_execute("UPDATE audit_events SET seq = 5 WHERE chain = $1 AND seq = -1", &account).await;
        let (_, text) = verify(&app);
        assert!(text.contains("(#4 of the chain): the chain breaks here"), "{text}");

        // The newest one deleted: the head still knows how long the chain was.
        let newest = format!("DELETE FROM audit_events WHERE chain = $1 AND seq = {events}");
        app.db_execute(&newest, &account).await;
        let (_, text) = verify(&app);
        assert!(text.contains(&format!("to #{events} at the end of the chain are missing")), "{text}");
    }

    async fn c10_audit_events_past_their_retention_are_archived_then_deleted_and_the_chain_stays_verifiable(backend: Backend) {
        let Some((mut app, mailbox)) = with_mailbox(backend).await else { return };
        let (token, me) = person(&app, &mailbox, "owner@a.example").await;
        let account = me["memberships"][0]["account_id"].as_str().unwrap().to_owned();
        let contacts = format!("/api/v1/accounts/{account}/contacts");
        assert_eq!(app.post_json(&contacts, json!({"name": "Gammel"}), Some(&token)).await.0, 201);
        let old: i64 = app.db_value("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events").await;
        assert!(app.stop().await.success());
        let dir = app.dir.path().to_owned();
        let wait_for = |app: &crate::helpers::TestApp, text: &str| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while !app.output().contains(text) {
                assert!(std::time::Instant::now() < deadline, "{}", app.output());
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        };

        // A year and a month later the daily job, run as the server starts, would delete
        // them; but the backup store cannot be written, so it deletes nothing.
        std::fs::write(dir.join("clock.txt"), (396 * 86_400).to_string()).unwrap();
        std::fs::write(dir.join("not-a-directory"), "").unwrap();
        let mut blocked = app.relaunch().mail_to(&mailbox).arg("--test-clock-file").arg("clock.txt")
            .arg("--backup-store").arg("not-a-directory").start().await;
        wait_for(&blocked, "none were deleted");
        let count: i64 = blocked.db_value("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events").await;
        assert!(count >= old, "nothing deleted: {count} of {old}");
        assert!(blocked.stop().await.success());

        // The next day it archives them, encrypted, into the backup store, then deletes them.
        std::fs::write(dir.join("clock.txt"), (397 * 86_400).to_string()).unwrap();
        let mut app = app.relaunch().mail_to(&mailbox).arg("--test-clock-file").arg("clock.txt").start().await;
        wait_for(&app, "audit events past their retention deleted");
        assert!(app.output().contains("audit events past their retention archived"), "{}", app.output());
        // Everything recorded before the stop is now more than 365 days old.
        let cutoff = time::OffsetDateTime::now_utc().unix_timestamp() + 31 * 86_400;
        let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) FROM audit_events WHERE at < {cutoff}");
        let left: i64 = app.db_value(&sql).await;
        assert_eq!(left, 0, "all {old} old events went");
        let token = app.sign_in("owner@a.example", crate::people::PASSWORD).await.unwrap();
        assert_eq!(app.post_json(&contacts, json!({"name": "Ny"}), Some(&token)).await.0, 201);
        let (ok, text) = verify(&app);
        assert!(ok, "retention is not tampering: {text}");
        assert!(app.stop().await.success());

        // The archive holds them all; the operator reads them back with the backup identity.
        let listed = app.cli(&["audit", "archives"]);
        let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
        let id = listed.split_whitespace().next().expect("one archive").to_owned();
        assert!(listed.contains(" events"), "{listed}");
        let read = app.cli(&["audit", "read-archive", &id]);
        assert!(read.status.success(), "{}", String::from_utf8_lossy(&read.stderr));
        let events: Vec<Value> = String::from_utf8(read.stdout).unwrap().lines()
            .map(|l| serde_json::from_str(l).unwrap()).collect();
        assert!(events.len() as i64 >= old, "{} archived, {old} before", events.len());
        assert!(events.iter().any(|e| e["chain"] == account.as_str() && e["seq"] == 1), "{events:?}");
        assert!(events.iter().all(|e| e["hash"].as_str().is_some_and(|h| h.len() == 64)), "{events:?}");
        let archive = std::fs::read(dir.join(format!("skjold-backups/audit-archives/{id}.backup"))).unwrap();
        assert!(!archive.windows(account.len()).any(|w| w == account.as_bytes()), "encrypted");
    }
}
