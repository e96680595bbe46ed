//! The account's contacts: what each role may do and see (C15), isolation between
//! accounts, encryption of personal fields at rest (C17) and the audit of every
//! disclosure of unmasked personal data.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, on_both_backends};
use crate::mailbox::Mailbox;
use crate::people::{member, person};
use crate::recovery::with_mailbox;

/// Account A with one person of each role, and account B with one contact.
pub(crate) struct World {
    pub a: String,
    pub owner: String,
    pub admin: String,
    pub member: String,
    pub restricted: String,
    pub b: String,
    pub b_owner: String,
    pub b_contact: String,
}

pub(crate) async fn world(app: &TestApp, mailbox: &Mailbox) -> World {
    let (owner, me) = person(app, mailbox, "owner@a.example").await;
    let a = me["memberships"][0]["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut joined = Vec::new();
    for role in ["admin", "member", "restricted"] {
        let email = format!("{role}@a.example");
        joined.push(member(app, mailbox, &owner, &a, &email, role).await.0);
    }
    let (b_owner, me) = person(app, mailbox, "owner@b.example").await;
    let b = me["memberships"][0]["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, created) = app
        .post_json(
            &format!("/api/v1/accounts/{b}/contacts"),
            json!({"name": "Bente B"}),
            Some(&b_owner),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let [admin, member, restricted] = <[String; 3]>::try_from(joined).unwrap();
    World {
        a,
        owner,
        admin,
        member,
        restricted,
        b,
        b_owner,
        b_contact: created["id"].as_str().unwrap().to_owned(),
    }
}

pub(crate) fn ola() -> Value {
    json!({
        "name": "Ola Nordmann",
        "email": "Ola.Nordmann@Example.com",
        "phone": "+47 912 34 123",
        "address": "Storgata 1\n0155 Oslo",
        "date_of_birth": "1985-05-17",
        "national_id": "17058510068",
        "notes": "Prefers phone calls",
        "company": "Integrera AS",
        "tags": ["kunde", "VIP"]
    })
}

async fn send(app: &TestApp, method: Method, path: &str, body: Value, token: &str) -> (u16, Value) {
    app.send_json(method, path, body, Some(token)).await
}

on_both_backends! {
    async fn c15_every_role_and_operation_through_the_api(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let w = world(&app, &mailbox).await;
        let contacts = format!("/api/v1/accounts/{}/contacts", w.a);
        let (status, ola) = app.post_json(&contacts, ola(), Some(&w.owner)).await;
        assert_eq!(status, 201, "{ola}");
        let one = format!("{contacts}/{}", ola["id"].as_str().unwrap());

        // (operation, method, path, body, allowed for owner, admin, member, restricted)
        let account = format!("/api/v1/accounts/{}", w.a);
        let table: [(&str, Method, String, Value, [bool; 4]); 10] = [
            ("view the account", Method::GET, account.clone(), Value::Null, [true, true, true, true]),
            ("list contacts", Method::GET, contacts.clone(), Value::Null, [true, true, true, true]),
            ("read a contact", Method::GET, one.clone(), Value::Null, [true, true, true, true]),
            ("change a contact", Method::PATCH, one.clone(), json!({"company": "Integrera AS"}), [true, true, true, true]),
            ("create a contact", Method::POST, contacts.clone(), json!({"name": "Kari"}), [true, true, true, true]),
            ("export contacts", Method::GET, format!("{contacts}/export"), Value::Null, [true, true, true, false]),
            ("list members", Method::GET, format!("{account}/members"), Value::Null, [true, true, true, true]),
            ("invite a member", Method::POST, format!("{account}/invitations"), json!({"email": "new@a.example", "role": "member"}), [true, true, false, false]),
            ("read the audit trail", Method::GET, format!("{account}/audit"), Value::Null, [true, true, false, false]),
            ("manage API tokens", Method::GET, format!("{account}/tokens"), Value::Null, [true, true, false, false]),
        ];
        let people = [("owner", &w.owner), ("admin", &w.admin), ("member", &w.member), ("restricted", &w.restricted)];
        for (what, method, path, body, allowed) in &table {
            for ((role, token), allowed) in people.iter().zip(allowed) {
                let (status, answer) = send(&app, method.clone(), path, body.clone(), token).await;
                if *allowed {
                    assert!((200..300).contains(&status), "{role} may {what}: {status} {answer}");
                } else {
                    assert_eq!(status, 403, "{role} may not {what}: {answer}");
                }
            }
        }
        // Deleting last: every role with the right to write may.
        for (role, token) in people {
            let (_, created) = app.post_json(&contacts, json!({"name": "Temporary"}), Some(token)).await;
            let path = format!("{contacts}/{}", created["id"].as_str().unwrap());
            assert_eq!(send(&app, Method::DELETE, &path, Value::Null, token).await.0, 204, "{role} deletes");
            assert_eq!(app.get_json(&path, token).await.0, 404, "{role}: gone");
        }

        // What each role sees of Ola: members as typed (normalised), restricted masked.
        let seen = app.get_json(&one, &w.member).await.1;
        assert_eq!(seen["email"], "ola.nordmann@example.com");
        assert_eq!(seen["phone"], "+4791234123");
        assert_eq!(seen["national_id"], "17058510068");
        assert_eq!(seen["notes"], "Prefers phone calls");
        assert_eq!(seen["masked"], false);
        let masked = app.get_json(&one, &w.restricted).await.1;
        assert_eq!(masked["name"], "Ola N.");
        assert_eq!(masked["email"], "o***@example.com");
        assert_eq!(masked["phone"], "+47 *** ** 123");
        assert_eq!(masked["national_id"], "***********");
        assert_eq!(masked["date_of_birth"], "1985-**-**");
        assert_eq!(masked["address"], "***");
        assert_eq!(masked["notes"], Value::Null, "notes are withheld");
        assert_eq!(masked["company"], "Integrera AS", "public fields are shown");
        assert_eq!(masked["tags"], json!(["kunde", "vip"]));
        assert_eq!(masked["masked"], true);
        let listed = app.get_json(&contacts, &w.restricted).await.1;
        assert!(listed["contacts"].as_array().unwrap().iter().all(|c| c["masked"] == true), "{listed}");
        assert!(!listed.to_string().contains("Nordmann"), "no unmasked value in a listing: {listed}");

        // A restricted member's change leaves the fields it only saw masked intact.
        let (status, changed) = send(&app, Method::PATCH, &one, json!({"tags": ["kunde"]}), &w.restricted).await;
        assert_eq!(status, 200, "{changed}");
        let after = app.get_json(&one, &w.owner).await.1;
        assert_eq!(after["email"], "ola.nordmann@example.com");
        assert_eq!(after["national_id"], "17058510068");
        assert_eq!(after["tags"], json!(["kunde"]));
    }

    async fn asvs_8_4_1_no_role_of_one_account_reaches_anything_of_another(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let w = world(&app, &mailbox).await;
        let missing = format!("/api/v1/accounts/{}/contacts/{}", w.a, uuid());
        for token in [&w.owner, &w.admin, &w.member, &w.restricted] {
            let (status, not_found) = app.get_json(&missing, token).await;
            assert_eq!(status, 404);
            for path in [
                format!("/api/v1/accounts/{}/contacts/{}", w.b, w.b_contact),
                format!("/api/v1/accounts/{}/contacts", w.b),
                format!("/api/v1/accounts/{}", w.b),
                format!("/api/v1/accounts/{}/contacts/{}", w.a, w.b_contact),
            ] {
                assert_eq!(app.get_json(&path, token).await, (404, not_found.clone()), "{path}");
                if !path.ends_with(&w.b_contact) {
                    continue;
                }
                for method in [Method::PATCH, Method::DELETE] {
                    let answer = send(&app, method.clone(), &path, json!({"name": "Taken"}), token).await;
                    assert_eq!(answer, (404, not_found.clone()), "{method} {path}");
                }
            }
        }
        let b_contact = format!("/api/v1/accounts/{}/contacts/{}", w.b, w.b_contact);
        assert_eq!(app.get_json(&b_contact, &w.b_owner).await.1["name"], "Bente B", "untouched");
    }

    async fn c17_no_personal_field_is_stored_in_clear_and_a_moved_ciphertext_does_not_open(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let w = world(&app, &mailbox).await;
        let contacts = format!("/api/v1/accounts/{}/contacts", w.a);
        let (_, ola) = app.post_json(&contacts, ola(), Some(&w.owner)).await;
        let (_, kari) = app.post_json(&contacts, json!({"name": "Kari Nordmann", "email": "kari@example.com"}), Some(&w.owner)).await;
        let (ola, kari) = (ola["id"].as_str().unwrap(), kari["id"].as_str().unwrap());

        for (column, clear) in [
            ("name_sealed", "Nordmann"),
            ("email_sealed", "nordmann@example"),
            ("email_index", "nordmann@example"),
            ("phone_sealed", "91234123"),
            ("phone_index", "91234123"),
            ("address_sealed", "Storgata"),
            ("birth_date_sealed", "1985-05-17"),
            ("national_id_sealed", "17058510068"),
            ("notes_sealed", "phone calls"),
        ] {
            let sql = format!("SELECT {column} FROM contacts WHERE id = '{ola}'");
            let stored: Vec<u8> = app.db_value(&sql).await;
            assert!(!stored.is_empty(), "{column} is stored");
            assert!(!stored.windows(clear.len()).any(|w| w == clear.as_bytes()), "{column} holds {clear:?} in clear");
        }
        assert_eq!(app.db_text(&format!("SELECT company FROM contacts WHERE id = '{ola}'")).await, "Integrera AS", "public: as typed");
        let wrapped: Vec<u8> = app.db_value("SELECT wrapped FROM account_keys").await;
        assert_eq!(wrapped.len(), 24 + 32 + 16, "the data key is stored wrapped: nonce, key, tag");

        // Ola's sealed e-mail copied into Kari's row, or into Kari's name, does not open.
        let kari_path = format!("{contacts}/{kari}");
        assert_eq!(app.get_json(&kari_path, &w.owner).await.0, 200);
        for column in ["email_sealed", "name_sealed"] {
            let sql = format!("UPDATE contacts SET {column} = (SELECT email_sealed FROM contacts WHERE id = $1) WHERE id = '{kari}'");
            app.db_execute(&sql, ola).await;
            let (status, problem) = app.get_json(&kari_path, &w.owner).await;
            assert_eq!(status, 500, "{column}: {problem}");
            assert!(!problem.to_string().contains("Nordmann"), "{problem}");
        }
        // Into another account's contact: account B's key, and the account bound in, differ.
        let sql = format!("UPDATE contacts SET name_sealed = (SELECT name_sealed FROM contacts WHERE id = $1) WHERE id = '{}'", w.b_contact);
        app.db_execute(&sql, ola).await;
        let b_contact = format!("/api/v1/accounts/{}/contacts/{}", w.b, w.b_contact);
        assert_eq!(app.get_json(&b_contact, &w.b_owner).await.0, 500);
    }

    async fn every_disclosure_of_unmasked_personal_data_to_a_person_is_audited(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let w = world(&app, &mailbox).await;
        let contacts = format!("/api/v1/accounts/{}/contacts", w.a);
        let (_, ola) = app.post_json(&contacts, ola(), Some(&w.owner)).await;
        let (_, kari) = app.post_json(&contacts, json!({"name": "Kari"}), Some(&w.owner)).await;
        let (ola, kari) = (ola["id"].as_str().unwrap(), kari["id"].as_str().unwrap());
        let before = pii_reads(&app).await;

        app.get_json(&format!("{contacts}/{ola}"), &w.member).await;
        let detail = app.db_text("SELECT detail FROM audit_events WHERE action = 'pii_read' ORDER BY id DESC LIMIT 1").await;
        let detail: Value = serde_json::from_str(&detail).unwrap();
        assert_eq!(detail["contacts"], json!([ola]));
        assert_eq!(detail["fields"], json!(["name", "email", "phone", "address", "date_of_birth", "national_id", "notes"]));
        assert!(!detail.to_string().contains("Nordmann"), "the audit names fields, never values");
        let actor = app.db_text("SELECT actor_id FROM audit_events WHERE action = 'pii_read' ORDER BY id DESC LIMIT 1").await;
        assert_eq!(actor, app.get_json("/api/v1/me", &w.member).await.1["id"]);

        app.get_json(&contacts, &w.admin).await;
        let detail = app.db_text("SELECT detail FROM audit_events WHERE action = 'pii_read' ORDER BY id DESC LIMIT 1").await;
        let detail: Value = serde_json::from_str(&detail).unwrap();
        assert_eq!(detail["contacts"], json!([ola, kari]), "one event for a listing, with every id");

        let after_two = pii_reads(&app).await;
        assert_eq!(after_two, before + 2);
        app.get_json(&format!("{contacts}/{ola}"), &w.restricted).await;
        app.get_json(&contacts, &w.restricted).await;
        assert_eq!(pii_reads(&app).await, after_two, "masked answers disclose nothing");
    }

    async fn contacts_are_found_by_tag_company_exact_email_or_phone_and_paged(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let w = world(&app, &mailbox).await;
        let contacts = format!("/api/v1/accounts/{}/contacts", w.a);
        app.post_json(&contacts, ola(), Some(&w.owner)).await;
        for name in ["Kari", "Per", "Pål"] {
            let body = json!({"name": name, "company": "Nordlys AS", "tags": ["leverandør"]});
            assert_eq!(app.post_json(&contacts, body, Some(&w.owner)).await.0, 201);
        }
        let names = |page: &Value| -> Vec<String> {
            page["contacts"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_owned()).collect()
        };
        let find = |query: &str| {
            let path = format!("{contacts}?{query}");
            let (app, token) = (&app, &w.owner);
            async move { app.get_json(&path, token).await }
        };
        assert_eq!(names(&find("tag=VIP").await.1), ["Ola Nordmann"]);
        assert_eq!(names(&find("company=Nordlys%20AS").await.1), ["Kari", "Per", "Pål"]);
        assert_eq!(names(&find("email=ola.nordmann%40example.com").await.1), ["Ola Nordmann"]);
        assert_eq!(names(&find("phone=91234123").await.1), ["Ola Nordmann"], "any form of the number");
        assert_eq!(names(&find("email=nobody%40example.com").await.1), Vec::<String>::new());
        // The other account's contacts never appear, even by exact search.
        assert_eq!(names(&app.get_json(&format!("/api/v1/accounts/{}/contacts?tag=vip", w.b), &w.b_owner).await.1), Vec::<String>::new());

        let first = find("limit=2").await.1;
        assert_eq!(names(&first), ["Ola Nordmann", "Kari"]);
        let next = first["next"].as_str().unwrap();
        let second = find(&format!("limit=2&after={next}")).await.1;
        assert_eq!(names(&second), ["Per", "Pål"]);
        assert_eq!(second["next"], Value::Null);
        assert_eq!(find("phone=123").await.0, 422, "a malformed filter is refused");
    }
}

on_both_backends! {
    async fn c15_an_export_holds_every_contact_audited_and_is_refused_to_restricted_members(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let w = world(&app, &mailbox).await;
        let contacts = format!("/api/v1/accounts/{}/contacts", w.a);
        let export = format!("{contacts}/export");
        let (status, ola) = app.post_json(&contacts, ola(), Some(&w.owner)).await;
        assert_eq!(status, 201, "{ola}");
        // More than one page (100) of contacts, one of them a would-be spreadsheet formula.
        for n in 0..100 {
            let (status, _) = app.post_json(&contacts, json!({"name": format!("Person {n}")}), Some(&w.member)).await;
            assert_eq!(status, 201);
        }
        let formula = "=HYPERLINK(\"https://evil.example\",\"click\")";
        app.post_json(&contacts, json!({"name": formula, "phone": "91234567"}), Some(&w.owner)).await;

        let before = pii_reads(&app).await;
        let (status, json_export) = app.get_json(&export, &w.member).await;
        assert_eq!(status, 200, "{json_export}");
        let all = json_export["contacts"].as_array().unwrap();
        assert_eq!(all.len(), 102);
        assert_eq!(all[0]["national_id"], "17058510068", "a member exports unmasked data");
        assert_eq!(json_export["account_id"], w.a.as_str());
        assert_eq!(pii_reads(&app).await, before + 1, "one disclosure event for the whole export");
        let sql = "SELECT CAST(COUNT(*) AS TEXT) FROM audit_events WHERE action = 'contacts_exported'";
        assert_eq!(app.db_text(sql).await, "1");

        let response = app.client.get(app.url(&format!("{export}?format=csv"))).bearer_auth(&w.owner).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let header = |name: &str| response.headers()[name].to_str().unwrap().to_owned();
        assert_eq!(header("content-type"), "text/csv; charset=utf-8");
        assert_eq!(header("content-disposition"), format!("attachment; filename=\"contacts-{}.csv\"", w.a));
        assert_eq!(header("cache-control"), "no-store");
        let csv = response.text().await.unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert!(lines[0].starts_with("id,name,email,phone,address,date_of_birth,national_id,notes"), "{}", lines[0]);
        assert!(csv.contains("Ola Nordmann,ola.nordmann@example.com,'+4791234123,"), "{csv}");
        assert!(csv.contains("\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"click\"\")\""), "a formula is made text: {csv}");
        assert!(!csv.contains(",=HYPERLINK") && !csv.contains("\"=HYPERLINK"), "{csv}");

        // Refused: restricted members, other accounts (as a missing account), API tokens,
        // an unknown format.
        let (status, problem) = app.get_json(&export, &w.restricted).await;
        assert_eq!(status, 403, "{problem}");
        let (status, missing) = app.get_json(&format!("/api/v1/accounts/{}/contacts/export", uuid()), &w.b_owner).await;
        assert_eq!(status, 404);
        assert_eq!(app.get_json(&export, &w.b_owner).await, (404, missing));
        let tokens = format!("/api/v1/accounts/{}/tokens", w.a);
        let (status, created) = app.post_json(&tokens, json!({"name": "sync", "scope": "read", "expires_in_days": 30}), Some(&w.owner)).await;
        assert_eq!(status, 201, "{created}");
        let (status, problem) = app.get_json(&export, created["token"].as_str().unwrap()).await;
        assert_eq!(status, 403, "an API token reads but does not export: {problem}");
        let (status, problem) = app.get_json(&format!("{export}?format=xlsx"), &w.owner).await;
        assert_eq!((status, problem["detail"].as_str()), (422, Some("format must be json or csv")));
        assert_eq!(app.db_text(sql).await, "2", "refusals export nothing");
    }

    async fn c15_an_export_waits_for_a_verified_address(backend: Backend) {
        let Some((app, _mailbox)) = with_mailbox(backend).await else { return };
        app.sign_up("new@a.example", crate::people::PASSWORD).await;
        let token = app.sign_in("new@a.example", crate::people::PASSWORD).await.unwrap();
        let me = app.get_json("/api/v1/me", &token).await.1;
        let account = me["memberships"][0]["account_id"].as_str().unwrap();
        let (status, problem) = app.get_json(&format!("/api/v1/accounts/{account}/contacts/export"), &token).await;
        assert_eq!((status, problem["type"].as_str()), (403, Some("urn:skjold:problem:verification-required")));
    }
}

async fn pii_reads(app: &TestApp) -> usize {
    let sql = "SELECT CAST(COUNT(*) AS TEXT) FROM audit_events WHERE action = 'pii_read'";
    app.db_text(sql).await.parse().unwrap()
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}
