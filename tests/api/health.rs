//! `/healthz` and `/readyz` answer without revealing internals.

use crate::helpers::{on_both_backends, spawn_app};

on_both_backends! {
    async fn healthz_and_readyz_answer_with_no_internal_details(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };

        let live = app.get("/healthz").await;
        assert_eq!(live.status(), 200);
        assert_eq!(live.json::<serde_json::Value>().await.unwrap(), serde_json::json!({"status": "ok"}));

        let ready = app.get("/readyz").await;
        assert_eq!(ready.status(), 200);
        assert_eq!(ready.json::<serde_json::Value>().await.unwrap(), serde_json::json!({"status": "ready"}));
    }

    async fn responses_use_http2_when_offered(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        let response = app.get("/healthz").await;
        assert_eq!(response.version(), reqwest::Version::HTTP_2);
    }
}
