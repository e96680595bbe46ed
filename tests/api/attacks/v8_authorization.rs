//! ASVS chapter 8, authorization, attacked: an API token as the way around an account's
//! 2-step rule (6.3.3, 8.3.1) and a search filter as an oracle for masked fields (8.2.3).

use serde_json::json;

use crate::contacts::{ola, world};
use crate::helpers::on_both_backends;
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
