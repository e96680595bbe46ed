//! Security headers on every HTTPS response, errors and 404s included
//! (C16; ASVS 3.4.1 HSTS, 3.4.3 CSP, 3.4.4 nosniff, 3.4.5 Referrer-Policy,
//! 3.4.6 frame-ancestors, 14.3.2 Cache-Control, 16.5.1 generic errors).

use crate::helpers::{on_both_backends, spawn_app};

fn assert_security_headers(what: &str, response: &reqwest::Response) {
    let h = response.headers();
    let get = |name: &str| {
        h.get(name)
            .unwrap_or_else(|| panic!("{what}: no {name} header"))
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        get("strict-transport-security"),
        "max-age=63072000; includeSubDomains; preload",
        "{what}"
    );
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    assert_eq!(get("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(get("cache-control"), "no-store", "{what}");
    let csp = get("content-security-policy");
    for directive in [
        "default-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: CSP {csp:?} lacks {directive}"
        );
    }
}

on_both_backends! {
    async fn asvs_3_4_every_route_and_every_error_carries_the_security_headers(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        for path in ["/healthz", "/readyz", "/does-not-exist", "/api/v1/nothing/here"] {
            let response = app.get(path).await;
            assert_security_headers(path, &response);
        }
        let wrong_method = app.client.post(app.url("/healthz")).send().await.unwrap();
        assert_eq!(wrong_method.status(), 405);
        assert_security_headers("POST /healthz", &wrong_method);
    }

    async fn asvs_16_5_1_an_unknown_path_is_a_problem_json_404_with_no_internals(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        let response = app.get("/api/v1/contacts/0000?x=1").await;
        assert_eq!(response.status(), 404);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "application/problem+json"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            body,
            serde_json::json!({"type": "urn:skjold:problem:not-found", "title": "Not found", "status": 404})
        );
    }

    async fn every_response_has_a_server_made_request_id(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        let response = app
            .client
            .get(app.url("/healthz"))
            .header("x-request-id", "forged-by-client")
            .send()
            .await
            .unwrap();
        let id = response.headers()["x-request-id"].to_str().unwrap();
        assert_ne!(id, "forged-by-client");
        assert_eq!(id.len(), 36, "a UUID: {id}");
    }
}
