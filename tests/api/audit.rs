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
