//! An account's members in the browser (C15, C16): the list every member may see, and
//! for owners and admins the small forms that invite, change a role and remove. Each
//! form is a plain POST that the app decides on and audits exactly as it does for the
//! API (only an owner touches the owner role, an account always keeps an owner); this
//! module only turns the app's refusals into messages beside the field they concern.
//!
//! Also the page an invitation's link opens. The link carries its code in the fragment,
//! which no server, log or `Referer` header sees; the shared script moves it into the
//! form, and the signed-in invitee posts it.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use skjold_app::{AccountScope, App, AppError, Operation};
use skjold_domain::{Role, UserId};

use super::account::{
    AccountNav, InAccount, ListMembers, ManageMembers, TransferOwnership, failed, role_label, shown,
};
use super::assets::verify_script_path;
use super::pages::{Frame, LangQuery, html, invalid_email, too_many, utc_minute, with_status};
use super::sign_in::{SignedIn, keep_session, signed_in_caller};
use crate::routes::api::Meta;

/// The list page, which the account switcher and every redirect here lead back to.
const SECTION: &str = "/app/members";

/// Every role, most powerful first, as the forms offer them.
const ROLES: [Role; 4] = [Role::Owner, Role::Admin, Role::Member, Role::Restricted];

/// One member as the table shows it.
struct Row {
    id: String,
    /// The name, or a dash when there is none or the caller's role may not see it.
    name: String,
    /// The address, masked for a caller who may not see personal data.
    email: String,
    role: &'static str,
    role_label: &'static str,
    joined: String,
    /// The caller may change or remove this member: they manage members, and the member
    /// is no owner unless the caller may touch owners.
    editable: bool,
}

/// One pending invitation as the page lists it.
struct Pending {
    id: String,
    email: String,
    role_label: &'static str,
    expires: String,
}

/// Where an error belongs on the members page.
#[derive(Clone, Copy)]
enum Spot {
    /// The invitation form's address, its role, or the form as a whole.
    InviteEmail,
    InviteRole,
    Invite,
    /// One member's role select, or their remove button.
    RowRole,
    RowRemove,
    /// The transfer of ownership.
    Transfer,
}

impl Spot {
    /// The name the template knows the spot by.
    fn field(self) -> &'static str {
        match self {
            Spot::InviteEmail => "invite-email",
            Spot::InviteRole => "invite-role",
            Spot::Invite => "invite",
            Spot::RowRole => "row-role",
            Spot::RowRemove => "row-remove",
            Spot::Transfer => "transfer",
        }
    }
}

/// What went wrong, and where the page says it.
struct Refusal {
    status: StatusCode,
    spot: Spot,
    /// The member's row, for [`Spot::RowRole`] and [`Spot::RowRemove`].
    row: String,
    message: &'static str,
}

#[derive(Template)]
#[template(path = "members.html")]
struct Members {
    page: Frame,
    nav: AccountNav,
    rows: Vec<Row>,
    /// The caller may invite, change and remove.
    manage: bool,
    /// Pending invitations, for a caller who manages members.
    pending: Vec<Pending>,
    /// The caller owns the account and another member could take it over.
    transfer: bool,
    /// The roles the caller may give (code and label): the owner role only for owners.
    roles: Vec<(&'static str, &'static str)>,
    /// What just happened, after a redirect here; empty for nothing.
    done: &'static str,
    /// The invitation form's values, kept when it is refused.
    invite_email: String,
    invite_role: String,
    /// Where the error belongs ([`Spot::field`]); empty without one.
    field: &'static str,
    /// The member whose row the error belongs to.
    row: String,
    error: &'static str,
}

#[derive(Template)]
#[template(path = "accept_invitation.html")]
struct AcceptInvitation {
    page: Frame,
    /// A valid session came along: the form; otherwise, how to get one first.
    signed_in: bool,
    script: &'static str,
    error: Option<&'static str>,
}

/// The status line after a redirect (`?done=`).
#[derive(Deserialize)]
pub(crate) struct Done {
    done: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct InviteForm {
    email: String,
    role: String,
}

#[derive(Deserialize)]
pub(crate) struct RoleForm {
    user: String,
    role: String,
}

#[derive(Deserialize)]
pub(crate) struct RemoveForm {
    user: String,
}

#[derive(Deserialize)]
pub(crate) struct RevokeForm {
    invitation: String,
}

#[derive(Deserialize)]
pub(crate) struct TokenForm {
    token: SecretString,
}

/// The frame of a members page; a form's answer is shown as the list page, so the
/// language link leads there rather than to the form's address.
fn as_list(mut page: Frame) -> Frame {
    SECTION.clone_into(&mut page.path);
    page
}

/// Back to the list after a change, saying what was done (POST, redirect, GET: a reload
/// does not send the form again).
fn back(page: &Frame, nav: &AccountNav, done: &str) -> Response {
    Redirect::to(&format!(
        "{SECTION}?account={}&done={done}{}",
        nav.id,
        page.and_keep()
    ))
    .into_response()
}

/// The invitation form as it first shows: no address, the role `member`.
fn empty_invitation() -> (String, String) {
    (String::new(), Role::Member.as_str().to_owned())
}

/// The members page again after a change to a member was refused, the refusal beside
/// what it concerns.
async fn again(
    app: &App,
    scope: AccountScope,
    page: Frame,
    nav: AccountNav,
    refusal: Refusal,
) -> Response {
    page_of(app, scope, page, nav, "", empty_invitation(), Some(refusal)).await
}

/// The members page of `scope`'s account, with the outcome of what was just tried.
async fn page_of(
    app: &App,
    scope: AccountScope,
    page: Frame,
    nav: AccountNav,
    done: &str,
    invite: (String, String),
    refusal: Option<Refusal>,
) -> Response {
    let nb = page.nb;
    let members = match app.members(scope).await {
        Ok(members) => members,
        Err(error) => return failed(error),
    };
    let manage = scope.allows(Operation::ManageMembers);
    let owners = scope.allows(Operation::TransferOwnership);
    let pending = if manage {
        match app.invitations(scope).await {
            Ok(invitations) => invitations
                .into_iter()
                .map(|i| Pending {
                    id: i.id,
                    email: shown(i.email_masked),
                    role_label: role_label(i.role, nb),
                    expires: utc_minute(i.expires_at),
                })
                .collect(),
            Err(error) => return failed(error),
        }
    } else {
        Vec::new()
    };
    let rows: Vec<Row> = members
        .into_iter()
        .map(|m| Row {
            id: m.user_id.to_string(),
            name: shown(m.name),
            email: m.email,
            role: m.role.as_str(),
            role_label: role_label(m.role, nb),
            joined: utc_minute(m.joined_at),
            editable: manage && (m.role != Role::Owner || owners),
        })
        .collect();
    let transfer = owners && rows.iter().any(|r| r.role != Role::Owner.as_str());
    let roles = ROLES
        .into_iter()
        .filter(|r| *r != Role::Owner || owners)
        .map(|r| (r.as_str(), role_label(r, nb)))
        .collect();
    let done = match (done, nb) {
        ("invited", true) => "Invitasjonen er sendt. Lenken i den virker i sju dager.",
        ("invited", false) => "The invitation is sent. Its link works for seven days.",
        ("role", true) => "Rollen er endret. Medlemmet må logge inn på nytt.",
        ("role", false) => "The role is changed. The member signs in again.",
        ("removed", true) => "Medlemmet er fjernet.",
        ("removed", false) => "The member is removed.",
        ("revoked", true) => "Invitasjonen er trukket tilbake. Lenken i den virker ikke lenger.",
        ("revoked", false) => "The invitation is revoked. Its link no longer works.",
        ("transferred", true) => "Eierskapet er overført. Du er nå administrator.",
        ("transferred", false) => "The ownership is transferred. You are an admin now.",
        _ => "",
    };
    let (status, field, row, error) = match refusal {
        None => (StatusCode::OK, "", String::new(), ""),
        Some(p) => (p.status, p.spot.field(), p.row, p.message),
    };
    let (invite_email, invite_role) = invite;
    with_status(
        html(
            Members {
                page,
                nav,
                rows,
                manage,
                pending,
                transfer,
                roles,
                done,
                invite_email,
                invite_role,
                field,
                row,
                error,
            }
            .render(),
        ),
        status,
    )
}

/// The message for a refusal the app gives every member change alike; `None` for an
/// error the page does not explain (answered as the API would).
fn common(error: &AppError, nb: bool) -> Option<(StatusCode, &'static str)> {
    match error {
        AppError::Forbidden => Some((
            StatusCode::FORBIDDEN,
            if nb {
                "Bare en eier kan gi, endre eller ta bort eierrollen."
            } else {
                "Only an owner can give, change or take away the owner role."
            },
        )),
        AppError::InvalidInput(_) => Some((
            StatusCode::UNPROCESSABLE_ENTITY,
            if nb {
                "Kontoen må alltid ha en eier: gjør noen andre til eier først."
            } else {
                "An account always keeps an owner: make someone else owner first."
            },
        )),
        AppError::RateLimited { .. } => Some((StatusCode::TOO_MANY_REQUESTS, too_many(nb))),
        _ => None,
    }
}

/// A role from a form's select, or the message for one the page never offers.
fn chosen_role(text: &str, nb: bool) -> Result<Role, &'static str> {
    text.parse::<Role>().map_err(|_| {
        if nb {
            "Velg en av rollene i listen."
        } else {
            "Choose one of the roles in the list."
        }
    })
}

/// `GET /app/members?account=<id>`: the account's members, and the forms for a caller
/// who manages them.
pub(crate) async fn members(at: InAccount<ListMembers>, Query(done): Query<Done>) -> Response {
    let InAccount {
        app,
        scope,
        nav,
        page,
        ..
    } = at;
    let done = done.done.unwrap_or_default();
    page_of(&app, scope, page, nav, &done, empty_invitation(), None).await
}

/// `POST /app/members/invite?account=<id>` `email`, `role`: mails an invitation.
pub(crate) async fn invite(
    at: InAccount<ManageMembers>,
    Meta(meta): Meta,
    Form(form): Form<InviteForm>,
) -> Response {
    let InAccount {
        app,
        caller: _,
        scope,
        nav,
        page,
        ..
    } = at;
    let page = as_list(page);
    let nb = page.nb;
    let (status, spot, message) = match chosen_role(&form.role, nb) {
        Err(message) => (StatusCode::UNPROCESSABLE_ENTITY, Spot::InviteRole, message),
        Ok(role) => match app.invite(scope, &form.email, role.as_str(), &meta).await {
            Ok(()) => return back(&page, &nav, "invited"),
            Err(AppError::Email(_)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                Spot::InviteEmail,
                invalid_email(nb),
            ),
            Err(AppError::Forbidden) => (
                StatusCode::FORBIDDEN,
                Spot::InviteRole,
                if nb {
                    "Bare en eier kan invitere en ny eier."
                } else {
                    "Only an owner can invite a new owner."
                },
            ),
            Err(AppError::VerificationRequired) => (
                StatusCode::FORBIDDEN,
                Spot::Invite,
                if nb {
                    "Bekreft e-postadressen din først: åpne lenken vi sendte deg."
                } else {
                    "Confirm your e-mail address first: open the link we sent you."
                },
            ),
            Err(AppError::RateLimited { .. }) => {
                (StatusCode::TOO_MANY_REQUESTS, Spot::Invite, too_many(nb))
            }
            Err(other) => return failed(other),
        },
    };
    let refusal = Refusal {
        status,
        spot,
        row: String::new(),
        message,
    };
    let invite = (form.email, form.role);
    page_of(&app, scope, page, nav, "", invite, Some(refusal)).await
}

/// `POST /app/members/revoke?account=<id>` `invitation`: takes back a pending
/// invitation; its link stops working.
pub(crate) async fn revoke(
    at: InAccount<ManageMembers>,
    Meta(meta): Meta,
    Form(form): Form<RevokeForm>,
) -> Response {
    let InAccount {
        app,
        scope,
        nav,
        page,
        ..
    } = at;
    let page = as_list(page);
    match app.revoke_invitation(scope, &form.invitation, &meta).await {
        // Gone already (accepted, expired or revoked in another tab): the list says so.
        Ok(()) | Err(AppError::NotFound) => back(&page, &nav, "revoked"),
        Err(error) => failed(error),
    }
}

/// `POST /app/members/role?account=<id>` `user`, `role`: gives a member another role.
/// Their sessions end (the app raises their security stamp), so it holds at once.
pub(crate) async fn change_role(
    at: InAccount<ManageMembers>,
    Meta(meta): Meta,
    Form(form): Form<RoleForm>,
) -> Response {
    let InAccount {
        app,
        caller,
        scope,
        nav,
        page,
        ..
    } = at;
    let page = as_list(page);
    let Ok(user) = form.user.parse::<UserId>() else {
        return failed(AppError::NotFound);
    };
    let nb = page.nb;
    let (status, message) = match chosen_role(&form.role, nb) {
        Ok(role) => match app.change_role(scope, user, role.as_str(), &meta).await {
            // A change to the caller's own role ends their session too: off to sign in again.
            Ok(()) if user == caller.user_id => return Redirect::to("/app").into_response(),
            Ok(()) => return back(&page, &nav, "role"),
            Err(error) => match common(&error, nb) {
                Some(explained) => explained,
                None => return failed(error),
            },
        },
        Err(message) => (StatusCode::UNPROCESSABLE_ENTITY, message),
    };
    let refusal = Refusal {
        status,
        spot: Spot::RowRole,
        row: form.user,
        message,
    };
    again(&app, scope, page, nav, refusal).await
}

/// `POST /app/members/remove?account=<id>` `user`: takes a member out of the account.
pub(crate) async fn remove(
    at: InAccount<ManageMembers>,
    Meta(meta): Meta,
    Form(form): Form<RemoveForm>,
) -> Response {
    let InAccount {
        app,
        caller,
        scope,
        nav,
        page,
        ..
    } = at;
    let page = as_list(page);
    let Ok(user) = form.user.parse::<UserId>() else {
        return failed(AppError::NotFound);
    };
    let (status, message) = match app.remove_member(scope, user, &meta).await {
        // Leaving the account: its pages are no longer the caller's.
        Ok(()) if user == caller.user_id => return Redirect::to("/app").into_response(),
        Ok(()) => return back(&page, &nav, "removed"),
        Err(error) => match common(&error, page.nb) {
            Some(explained) => explained,
            None => return failed(error),
        },
    };
    let refusal = Refusal {
        status,
        spot: Spot::RowRemove,
        row: form.user,
        message,
    };
    again(&app, scope, page, nav, refusal).await
}

/// `POST /app/members/transfer?account=<id>` `user`: the member becomes the owner and the
/// caller an admin; the caller's session is re-issued (their role changed too).
pub(crate) async fn transfer(
    at: InAccount<TransferOwnership>,
    Meta(meta): Meta,
    Form(form): Form<RemoveForm>,
) -> Response {
    let InAccount {
        app,
        scope,
        nav,
        page,
        ..
    } = at;
    let page = as_list(page);
    let Ok(user) = form.user.parse::<UserId>() else {
        return failed(AppError::NotFound);
    };
    let message = match app.transfer_ownership(scope, user, &meta).await {
        Ok(issued) => {
            let mut response = back(&page, &nav, "transferred");
            keep_session(&mut response, &issued);
            return response;
        }
        Err(AppError::InvalidInput(_) | AppError::NotFound) => {
            if page.nb {
                "Velg et annet medlem av kontoen."
            } else {
                "Choose another member of the account."
            }
        }
        Err(error) => return failed(error),
    };
    let refusal = Refusal {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        spot: Spot::Transfer,
        row: String::new(),
        message,
    };
    again(&app, scope, page, nav, refusal).await
}

/// `GET /accept-invitation`: the page the invitation's link opens. Signed in, the form
/// the script fills with the link's code; otherwise, the way to sign in (or sign up
/// with the invited address) first. The code never goes into an address here.
pub(crate) async fn accept_page(
    State(app): State<App>,
    uri: Uri,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let signed_in = signed_in_caller(&app, &headers).await.is_some();
    html(
        AcceptInvitation {
            page: Frame::new(&uri, &q, &headers),
            signed_in,
            script: verify_script_path(),
            error: None,
        }
        .render(),
    )
}

/// `POST /accept-invitation` `token`: joins the signed-in person to the invitation's
/// account, then opens it.
pub(crate) async fn accept(
    State(app): State<App>,
    Meta(meta): Meta,
    uri: Uri,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    SignedIn(caller): SignedIn,
    Form(form): Form<TokenForm>,
) -> Response {
    let page = Frame::new(&uri, &q, &headers);
    let nb = page.nb;
    let (status, error) = match app
        .accept_invitation(caller, form.token.expose_secret().trim(), &meta)
        .await
    {
        Ok((account, _)) => {
            return Redirect::to(&format!(
                "/app/contacts?account={account}{}",
                page.and_keep()
            ))
            .into_response();
        }
        Err(AppError::InvalidLink) => (
            StatusCode::BAD_REQUEST,
            if nb {
                "Lenken er ugyldig, brukt eller utløpt, eller invitasjonen gjelder en annen e-postadresse enn den du er logget inn med. Be om en ny invitasjon."
            } else {
                "The link is wrong, used or expired, or the invitation is for another address than the one you are signed in with. Ask for a new invitation."
            },
        ),
        Err(AppError::RateLimited { .. }) => (StatusCode::TOO_MANY_REQUESTS, too_many(nb)),
        Err(other) => return failed(other),
    };
    with_status(
        html(
            AcceptInvitation {
                page,
                signed_in: true,
                script: verify_script_path(),
                error: Some(error),
            }
            .render(),
        ),
        status,
    )
}
