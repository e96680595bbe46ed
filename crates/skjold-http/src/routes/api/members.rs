//! An account's members and invitations, and the transfer of its ownership.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use skjold_app::{App, InvitationView, MemberView, Operation};
use utoipa::ToSchema;

use super::sessions::{SessionCreated, session_created};
use super::signup::Accepted;
use super::{ApiJson, Authenticated, Credential, Meta, id, rfc3339};
use crate::problem::{Problem, ProblemBody};

#[derive(Serialize, ToSchema)]
pub(super) struct MemberBody {
    user_id: String,
    /// Only for callers who may see personal data.
    name: Option<String>,
    /// Masked (`o***@example.com`) for callers who may not see personal data.
    email: String,
    role: String,
    joined_at: String,
}

fn member_body(m: MemberView) -> Result<MemberBody, Problem> {
    Ok(MemberBody {
        user_id: m.user_id.to_string(),
        name: m.name,
        email: m.email,
        role: m.role.to_string(),
        joined_at: rfc3339(m.joined_at)?,
    })
}

/// `GET /api/v1/accounts/{account_id}/members`.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/{account_id}/members",
    tag = "members",
    params(("account_id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "The members, oldest first", body = [MemberBody]),
        (status = 401, description = "No valid credential", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account for this caller", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn get_members(
    State(app): State<App>,
    Credential(token): Credential,
    Path(account_id): Path<String>,
) -> Result<Json<Vec<MemberBody>>, Problem> {
    let scope = app
        .authorize(&token, id(&account_id)?, Operation::ListMembers)
        .await?;
    let members = app.members(scope).await?;
    members
        .into_iter()
        .map(member_body)
        .collect::<Result<_, _>>()
        .map(Json)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct InvitationRequest {
    email: String,
    /// owner (only an owner may invite one), admin, member or restricted.
    role: String,
}

async fn invite(
    app: App,
    meta: skjold_app::RequestMeta,
    token: String,
    account_id: String,
    request: InvitationRequest,
) -> Result<(StatusCode, Json<Accepted>), Problem> {
    let scope = app
        .authorize(&token, id(&account_id)?, Operation::ManageMembers)
        .await?;
    app.invite(scope, &request.email, &request.role, &meta)
        .await?;
    let body = Accepted {
        status: "the invitation is on its way",
    };
    Ok((StatusCode::ACCEPTED, Json(body)))
}

/// `POST /api/v1/accounts/{account_id}/invitations` `{email, role}`: mails a link that
/// lets the owner of the address join with the role.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{account_id}/invitations",
    tag = "members",
    params(("account_id" = String, Path, description = "Account id")),
    request_body = InvitationRequest,
    responses(
        (status = 202, description = "Sent", body = Accepted),
        (status = 403, description = "The caller may not manage members, or has not verified their address", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account for this caller", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The address or role is malformed", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many invitations from this person this hour or from this account today", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn post_invitations(
    State(app): State<App>,
    Meta(meta): Meta,
    Credential(token): Credential,
    Path(account_id): Path<String>,
    ApiJson(request): ApiJson<InvitationRequest>,
) -> Result<(StatusCode, Json<Accepted>), Problem> {
    invite(app, meta, token, account_id, request).await
}

/// `POST /api/v1/accounts/{account_id}/members` `{email, role}`: adds a member the one
/// way a member can be added, by an invitation to their address.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{account_id}/members",
    tag = "members",
    params(("account_id" = String, Path, description = "Account id")),
    request_body = InvitationRequest,
    responses(
        (status = 202, description = "An invitation was sent", body = Accepted),
        (status = 403, description = "The caller may not manage members, or has not verified their address", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account for this caller", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The address or role is malformed", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many invitations from this person this hour or from this account today", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn post_members(
    State(app): State<App>,
    Meta(meta): Meta,
    Credential(token): Credential,
    Path(account_id): Path<String>,
    ApiJson(request): ApiJson<InvitationRequest>,
) -> Result<(StatusCode, Json<Accepted>), Problem> {
    invite(app, meta, token, account_id, request).await
}

/// A pending invitation.
#[derive(Serialize, ToSchema)]
pub(super) struct InvitationBody {
    /// Names the invitation for `DELETE …/invitations/{invitation_id}`; not its link.
    id: String,
    /// The invitee's address, masked (`o***@example.com`); absent for invitations
    /// older than the register.
    email: Option<String>,
    role: String,
    /// The user id of the member who sent it.
    invited_by: String,
    created_at: Option<String>,
    expires_at: String,
}

fn invitation_body(i: InvitationView) -> Result<InvitationBody, Problem> {
    Ok(InvitationBody {
        id: i.id,
        email: i.email_masked,
        role: i.role.to_string(),
        invited_by: i.invited_by.to_string(),
        created_at: i.created_at.map(rfc3339).transpose()?,
        expires_at: rfc3339(i.expires_at)?,
    })
}

/// `GET /api/v1/accounts/{account_id}/invitations`: the invitations that can still be
/// accepted.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/{account_id}/invitations",
    tag = "members",
    params(("account_id" = String, Path, description = "Account id")),
    responses(
        (status = 200, description = "Unused, unexpired invitations whose sender may still invite to their role, newest first", body = [InvitationBody]),
        (status = 401, description = "No valid credential", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not manage members", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account for this caller", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn get_invitations(
    State(app): State<App>,
    Credential(token): Credential,
    Path(account_id): Path<String>,
) -> Result<Json<Vec<InvitationBody>>, Problem> {
    let scope = app
        .authorize(&token, id(&account_id)?, Operation::ManageMembers)
        .await?;
    app.invitations(scope)
        .await?
        .into_iter()
        .map(invitation_body)
        .collect::<Result<_, _>>()
        .map(Json)
}

/// `DELETE /api/v1/accounts/{account_id}/invitations/{invitation_id}`: the link stops
/// working at once.
#[utoipa::path(
    delete,
    path = "/api/v1/accounts/{account_id}/invitations/{invitation_id}",
    tag = "members",
    params(
        ("account_id" = String, Path, description = "Account id"),
        ("invitation_id" = String, Path, description = "The invitation's id from the list"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid credential", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The caller may not manage members", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such pending invitation in this account", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn delete_invitation(
    State(app): State<App>,
    Meta(meta): Meta,
    Credential(token): Credential,
    Path((account_id, invitation_id)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    let scope = app
        .authorize(&token, id(&account_id)?, Operation::ManageMembers)
        .await?;
    app.revoke_invitation(scope, &invitation_id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub(super) struct JoinedBody {
    account_id: String,
    role: String,
}

/// `POST /api/v1/invitations/{token}/accept`: the signed-in user joins.
#[utoipa::path(
    post,
    path = "/api/v1/invitations/{token}/accept",
    tag = "members",
    params(("token" = String, Path, description = "The token from the invitation's link")),
    responses(
        (status = 200, description = "Joined", body = JoinedBody),
        (status = 400, description = "The link is invalid, used, expired, revoked, for another address, or its sender may no longer invite to that role", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "No valid session", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The caller has not verified their address", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn post_invitation_accept(
    State(app): State<App>,
    Meta(meta): Meta,
    Authenticated(caller): Authenticated,
    Path(token): Path<String>,
) -> Result<Json<JoinedBody>, Problem> {
    let (account, role) = app.accept_invitation(caller, &token, &meta).await?;
    Ok(Json(JoinedBody {
        account_id: account.to_string(),
        role: role.to_string(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RoleChange {
    role: String,
}

/// `PATCH /api/v1/accounts/{account_id}/members/{user_id}` `{role}`.
#[utoipa::path(
    patch,
    path = "/api/v1/accounts/{account_id}/members/{user_id}",
    tag = "members",
    params(
        ("account_id" = String, Path, description = "Account id"),
        ("user_id" = String, Path, description = "The member's user id"),
    ),
    request_body = RoleChange,
    responses(
        (status = 204, description = "Changed; the member's sessions ended"),
        (status = 403, description = "The caller may not make this change", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such member", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Unknown role, or the account would lose its last owner", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn patch_member(
    State(app): State<App>,
    Meta(meta): Meta,
    Credential(token): Credential,
    Path((account_id, user_id)): Path<(String, String)>,
    ApiJson(change): ApiJson<RoleChange>,
) -> Result<StatusCode, Problem> {
    let scope = app
        .authorize(&token, id(&account_id)?, Operation::ManageMembers)
        .await?;
    app.change_role(scope, id(&user_id)?, &change.role, &meta)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/accounts/{account_id}/members/{user_id}`.
#[utoipa::path(
    delete,
    path = "/api/v1/accounts/{account_id}/members/{user_id}",
    tag = "members",
    params(
        ("account_id" = String, Path, description = "Account id"),
        ("user_id" = String, Path, description = "The member's user id"),
    ),
    responses(
        (status = 204, description = "Removed; the member's sessions ended"),
        (status = 403, description = "The caller may not make this change", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such member", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "The account would lose its last owner", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn delete_member(
    State(app): State<App>,
    Meta(meta): Meta,
    Credential(token): Credential,
    Path((account_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    let scope = app
        .authorize(&token, id(&account_id)?, Operation::ManageMembers)
        .await?;
    app.remove_member(scope, id(&user_id)?, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct OwnershipTransfer {
    user_id: String,
}

/// `POST /api/v1/accounts/{account_id}/transfer-ownership` `{user_id}`: the member
/// becomes owner, the caller admin; answers with the caller's re-issued session.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{account_id}/transfer-ownership",
    tag = "members",
    params(("account_id" = String, Path, description = "Account id")),
    request_body = OwnershipTransfer,
    responses(
        (status = 201, description = "Transferred; the caller is now admin, under a new session", body = SessionCreated),
        (status = 403, description = "Only an owner may transfer ownership", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such member", body = ProblemBody, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])),
)]
pub(super) async fn post_transfer_ownership(
    State(app): State<App>,
    Meta(meta): Meta,
    Credential(token): Credential,
    Path(account_id): Path<String>,
    ApiJson(transfer): ApiJson<OwnershipTransfer>,
) -> Result<Response, Problem> {
    let scope = app
        .authorize(&token, id(&account_id)?, Operation::TransferOwnership)
        .await?;
    let to = id(&transfer.user_id)?;
    session_created(app.transfer_ownership(scope, to, &meta).await?)
}
