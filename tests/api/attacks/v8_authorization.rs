//! ASVS chapter 8, authorization, attacked: an API token as the way around an account's
//! 2-step rule (6.3.3, 8.3.1), a search filter as an oracle for masked fields (8.2.3),
//! and invitations that outlive the right of whoever sent them (8.3.1).

use serde_json::json;

use crate::contacts::{ola, world};
use crate::helpers::on_both_backends;
use crate::people::{PASSWORD, person};
use crate::recovery::with_mailbox;
use crate::second_step::enable_totp;

on_both_backends! {
    /// Finding 2 of the review: a member without 2-step was refused the account's data
    /// on a session but made an API token and read everything with it; tokens made
    /// before the rule kept working.
    async fn asvs_6_3_3_api_tokens_obey_the_account_s_2_step_rule(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let w = world(&app, &mailbox).await;
        let account = format!("/api/v1/accounts/{}", w.a);
        let tokens = format!("{account}/tokens");
        let contacts = format!("{account}/contacts");
        let new_token = json!({"name": "sync", "scope": "read", "expires_in_days": 30});
        let (status, before) = app.post_json(&tokens, new_token.clone(), Some(&w.admin)).await;
        assert_eq!(status, 201, "{before}");
        let before = before["token"].as_str().unwrap().to_owned();
        assert_eq!(app.get_json(&contacts, &before).await.0, 200);

        let owner = enable_totp(&app, &w.owner).await;
        let (status, _) = app.send_json(reqwest::Method::PATCH, &account, json!({"require_second_step": true}), Some(&owner)).await;
        assert_eq!(status, 200);

        // The admin has no second step: no new token, and the old one stops working.
        let (status, problem) = app.post_json(&tokens, new_token.clone(), Some(&w.admin)).await;
        assert_eq!((status, problem["type"].as_str()), (403, Some("urn:skjold:problem:second-step-required")), "{problem}");
        let (status, _) = app.get_json(&contacts, &before).await;
        assert_eq!(status, 401, "a token made before the rule no longer opens the account");
        let (status, _) = app.get_json(&account, &before).await;
        assert_eq!(status, 401);

        // Once the admin meets the rule, their tokens work again and new ones can be made.
        let admin = enable_totp(&app, &w.admin).await;
        assert_eq!(app.get_json(&contacts, &before).await.0, 200);
        let (status, after) = app.post_json(&tokens, new_token, Some(&admin)).await;
        assert_eq!(status, 201, "{after}");
    }

    /// Finding 3: a restricted member saw e-mail addresses and phone numbers masked,
    /// but `?email=` and `?phone=` answered with hits, confirming a guess.
    async fn asvs_8_2_3_a_masked_field_cannot_be_searched_by_those_who_see_it_masked(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let w = world(&app, &mailbox).await;
        let contacts = format!("/api/v1/accounts/{}/contacts", w.a);
        let (status, created) = app.post_json(&contacts, ola(), Some(&w.owner)).await;
        assert_eq!(status, 201, "{created}");

        let guesses = [
            "email=ola.nordmann%40example.com",
            "email=someone.else%40example.com",
            "phone=%2B4791234123",
            "phone=%2B4791234124",
            "company=Integrera%20AS&email=ola.nordmann%40example.com",
        ];
        for query in guesses {
            let (status, answer) = app.get_json(&format!("{contacts}?{query}"), &w.restricted).await;
            assert_eq!(status, 403, "{query}: {answer}");
            assert_eq!(answer["type"], "urn:skjold:problem:forbidden", "the same answer for a hit and a miss");
        }
        // What they see in clear they may search by; those who see it all, by anything.
        let (status, page) = app.get_json(&format!("{contacts}?company=Integrera%20AS"), &w.restricted).await;
        assert_eq!((status, page["contacts"].as_array().map(Vec::len)), (200, Some(1)), "{page}");
        assert_eq!(page["contacts"][0]["email"], "o***@example.com");
        for token in [&w.owner, &w.admin, &w.member] {
            let (status, page) = app.get_json(&format!("{contacts}?{}", guesses[0]), token).await;
            assert_eq!((status, page["contacts"].as_array().map(Vec::len)), (200, Some(1)), "{page}");
        }
    }
}

on_both_backends! {
    /// Finding 4: invitations could not be listed or revoked, outlived the right of the
    /// person who sent them, needed no verified address, and were not limited.
    async fn asvs_8_3_1_invitations_are_listed_revocable_and_die_with_their_sender_s_right(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        // The hour's budget counts from the start of the hour: the test starts there.
        crate::brute_force::set_clock(&app, 0);
        let w = world(&app, &mailbox).await;
        let account = format!("/api/v1/accounts/{}", w.a);
        let invitations = format!("{account}/invitations");
        let invite = |token: String, email: String, role: &'static str| {
            let (app, invitations) = (&app, &invitations);
            async move { app.post_json(invitations, json!({"email": email, "role": role}), Some(&token)).await.0 }
        };
        assert_eq!(invite(w.admin.clone(), "new.admin@a.example".into(), "admin").await, 202);
        assert_eq!(invite(w.owner.clone(), "other@a.example".into(), "member").await, 202);

        // Listed for those who manage members, masked; nobody else learns of them.
        let (status, list) = app.get_json(&invitations, &w.owner).await;
        assert_eq!(status, 200, "{list}");
        let list = list.as_array().unwrap().clone();
        assert_eq!(list.len(), 2, "{list:?}");
        let emails: Vec<&str> = list.iter().map(|i| i["email"].as_str().unwrap()).collect();
        assert!(emails.contains(&"n***@a.example") && emails.contains(&"o***@a.example"), "{emails:?}");
        assert!(list.iter().all(|i| i["id"].as_str().unwrap().len() == 64 && i["expires_at"].is_string()));
        for token in [&w.member, &w.restricted] {
            assert_eq!(app.get_json(&invitations, token).await.0, 403);
        }
        assert_eq!(app.get_json(&invitations, &w.b_owner).await.0, 404, "another tenant");
        let other = list.iter().find(|i| i["email"] == "o***@a.example").unwrap()["id"].as_str().unwrap().to_owned();
        let revoke = format!("{invitations}/{other}");
        assert_eq!(app.send_json(reqwest::Method::DELETE, &revoke, json!(null), Some(&w.b_owner)).await.0, 404, "not theirs to revoke");
        assert_eq!(app.send_json(reqwest::Method::DELETE, &revoke, json!(null), Some(&w.member)).await.0, 403);

        // Revoked: the link is dead.
        assert_eq!(app.send_json(reqwest::Method::DELETE, &revoke, json!(null), Some(&w.owner)).await.0, 204);
        assert_eq!(app.send_json(reqwest::Method::DELETE, &revoke, json!(null), Some(&w.owner)).await.0, 404);
        let (other_session, _) = person(&app, &mailbox, "other@a.example").await;
        let link = crate::mailbox::token_in(&mailbox.wait_for("other@a.example", "Invitation to join").await);
        let (status, _) = app.post_json(&format!("/api/v1/invitations/{link}/accept"), json!({}), Some(&other_session)).await;
        assert_eq!(status, 400, "a revoked invitation");

        // The admin who sent the other one is removed: their invitation dies with them.
        let admin_id = app.get_json("/api/v1/me", &w.admin).await.1["id"].as_str().unwrap().to_owned();
        let removed = app.send_json(reqwest::Method::DELETE, &format!("{account}/members/{admin_id}"), json!(null), Some(&w.owner)).await.0;
        assert_eq!(removed, 204);
        let (_, list) = app.get_json(&invitations, &w.owner).await;
        assert_eq!(list, json!([]), "no longer pending");
        let (newcomer, _) = person(&app, &mailbox, "new.admin@a.example").await;
        let link = crate::mailbox::token_in(&mailbox.wait_for("new.admin@a.example", "Invitation to join").await);
        let (status, _) = app.post_json(&format!("/api/v1/invitations/{link}/accept"), json!({}), Some(&newcomer)).await;
        assert_eq!(status, 400, "the removed admin's invitation");
        assert_eq!(app.get_json(&account, &newcomer).await.0, 404, "not a member");

        // Accepting needs a verified address, and an unverified try does not spend it.
        assert_eq!(invite(w.owner.clone(), "unverified@a.example".into(), "member").await, 202);
        app.sign_up("unverified@a.example", PASSWORD).await;
        let unverified = app.sign_in("unverified@a.example", PASSWORD).await.unwrap();
        let link = crate::mailbox::token_in(&mailbox.wait_for("unverified@a.example", "Invitation to join").await);
        let accept = format!("/api/v1/invitations/{link}/accept");
        let (status, problem) = app.post_json(&accept, json!({}), Some(&unverified)).await;
        assert_eq!((status, problem["type"].as_str()), (403, Some("urn:skjold:problem:verification-required")), "{problem}");
        let verify = crate::mailbox::token_in(&mailbox.wait_for("unverified@a.example", "Confirm your e-mail address").await);
        assert_eq!(app.post_json("/api/v1/email-verification", json!({"token": verify}), None).await.0, 204);
        assert_eq!(app.post_json(&accept, json!({}), Some(&unverified)).await.0, 200);

        // One person sends at most 20 an hour: the owner sent five so far.
        let mut sent = 5;
        let refused = loop {
            let status = invite(w.owner.clone(), format!("bulk{sent}@c.example"), "member").await;
            if status != 202 {
                break status;
            }
            sent += 1;
            assert!(sent <= 20, "the 21st invitation of the hour went out");
        };
        assert_eq!((refused, sent), (429, 20));
        let count = "SELECT CAST(COUNT(*) AS TEXT) FROM audit_events WHERE action = 'invitation_revoked'";
        assert_eq!(app.db_text(count).await, "1");
    }

    /// Finding 4, the mail: an account name reached strangers with direction overrides
    /// that make a mail read differently from what it says.
    async fn asvs_8_3_1_an_account_name_cannot_reorder_the_text_around_it(backend: Backend) {
        let Some((app, _mailbox)) = with_mailbox(backend).await else { return };
        for name in ["Acme \u{202E}moc.elgoog", "Acme \u{2066}x\u{2069}", "Acme\u{200F}"] {
            let body = json!({"account_name": name, "email": "owner@d.example", "password": PASSWORD});
            let (status, problem) = app.post_json("/api/v1/signup", body, None).await;
            assert_eq!(status, 422, "{name:?}: {problem}");
            assert!(problem["detail"].as_str().unwrap().contains("direction"), "{problem}");
        }
    }
}
