//! `GET /healthz` (the process is alive) and `GET /readyz` (it can serve: its database
//! answers). Load balancers poll these, so the bodies say nothing about internals.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use skjold_app::{App, Readiness};

use crate::problem::Problem;

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses(
        (status = 200, description = "The process is alive"),
    ),
)]
pub(crate) async fn get_healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "The database answers"),
        (status = 503, description = "Not ready", body = crate::problem::ProblemBody, content_type = "application/problem+json"),
    ),
)]
pub(crate) async fn get_readyz(State(app): State<App>) -> Response {
    match app.readiness().await {
        Readiness::Ready => Json(json!({ "status": "ready" })).into_response(),
        Readiness::Unavailable => Problem::Unavailable.into_response(),
    }
}
