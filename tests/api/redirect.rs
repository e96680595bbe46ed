//! Plain HTTP only redirects to HTTPS (C16; ASVS 12.2.1).

use crate::helpers::{on_both_backends, spawn_app};

on_both_backends! {
    async fn asvs_12_2_1_http_redirects_every_request_to_the_same_path_on_https(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        let plain = crate::helpers::http_client();
        for (method, path) in [
            (reqwest::Method::GET, "/healthz"),
            (reqwest::Method::GET, "/some/page?q=1&r=two"),
            (reqwest::Method::POST, "/api/v1/sessions"),
        ] {
            let response = plain
                .request(method.clone(), format!("http://localhost:{}{}", app.redirect.port(), path))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 308, "{method} {path}");
            assert_eq!(
                response.headers()["location"].to_str().unwrap(),
                format!("https://localhost:{}{}", app.https.port(), path),
                "{method} {path}"
            );
            assert!(response.text().await.unwrap().is_empty(), "the redirect serves no content");
        }
        // Following the redirect lands on the real thing over HTTPS.
        let followed = app.get("/healthz").await;
        assert_eq!(followed.status(), 200);
    }
}
