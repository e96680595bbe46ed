//! Request logs: who, what, when, never secrets (ASVS 16.2.1, 16.2.5, 14.2.1), and client
//! addresses from trusted proxies only (C6).

use crate::helpers::{Launch, on_both_backends, spawn_app};

on_both_backends! {
    async fn asvs_16_2_5_request_logs_carry_the_route_but_no_query_cookie_or_authorization(backend: Backend) {
        let Some(app) = spawn_app(backend).await else { return };
        let response = app
            .client
            .get(app.url("/healthz?token=query-secret-4711"))
            .header("authorization", "Bearer header-secret-4712")
            .header("cookie", "__Host-session=cookie-secret-4713")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
        let out = app.wait_for_output(&request_id).await;
        let line = out.lines().find(|l| l.contains(&request_id)).unwrap();
        assert!(line.contains("route=\"/healthz\""), "{line}");
        assert!(line.contains("status=200"), "{line}");
        assert!(line.contains("method=GET"), "{line}");
        for secret in ["query-secret-4711", "header-secret-4712", "cookie-secret-4713"] {
            assert!(!out.contains(secret), "{secret} reached the log:\n{out}");
        }
    }

    async fn c6_forwarded_addresses_are_believed_only_from_trusted_proxies(backend: Backend) {
        let send = |app: &crate::helpers::TestApp| {
            app.client
                .get(app.url("/healthz"))
                .header("x-forwarded-for", "203.0.113.7")
                .send()
        };

        let Some(untrusted) = spawn_app(backend).await else { return };
        let id = send(&untrusted).await.unwrap().headers()["x-request-id"].to_str().unwrap().to_owned();
        let out = untrusted.wait_for_output(&id).await;
        let line = out.lines().find(|l| l.contains(&id)).unwrap();
        assert!(line.contains("client_ip=127.0.0.1"), "{line}");
        assert!(!out.contains("203.0.113.7"), "{out}");

        let Some(launch) = Launch::new(backend).await else { return };
        let trusted = launch.arg("--trusted-proxies").arg("127.0.0.1/32,10.0.0.0/8").start().await;
        let id = send(&trusted).await.unwrap().headers()["x-request-id"].to_str().unwrap().to_owned();
        let out = trusted.wait_for_output(&id).await;
        let line = out.lines().find(|l| l.contains(&id)).unwrap();
        assert!(line.contains("client_ip=203.0.113.7"), "{line}");
    }

    async fn json_logs_are_one_object_a_line(backend: Backend) {
        let Some(launch) = Launch::new(backend).await else { return };
        let app = launch.env("SKJOLD_LOG_FORMAT", "json").start().await;
        let id = app.get("/readyz").await.headers()["x-request-id"].to_str().unwrap().to_owned();
        let out = app.wait_for_output(&id).await;
        let line = out.lines().find(|l| l.contains(&id)).unwrap();
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(event["span"]["route"], "/readyz", "{event}");
        assert_eq!(event["span"]["status"], 200, "{event}");
    }
}
