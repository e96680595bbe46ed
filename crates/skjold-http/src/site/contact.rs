//! One contact in the browser (C15, C16): its page, with every field as the app returns
//! it (masked for a `restricted` member), and the form that creates or changes it, its
//! refusals beside their fields. The app decides, audits and masks; the page only asks.

use askama::Template;
use axum::extract::{Form, Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use skjold_app::{AppError, ContactView, Operation};
use skjold_domain::{
    ContactError, ContactId, ContactInput, ContactPatch, NameError, NationalIdError,
};

use super::account::{AccountNav, InAccount, ReadContacts, WriteContacts, failed, shown};
use super::pages::{Frame, html, utc_minute, with_status};
use crate::routes::api::Meta;

use super::contacts::{SECTION, given};

/// A contact's fields as the pages show them (the list and the contact's own page): as
/// the app returned them (masked for a `restricted` member), absent values as a dash.
pub(super) struct Shown {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) email: String,
    pub(super) phone: String,
    pub(super) address: String,
    pub(super) date_of_birth: String,
    pub(super) national_id: String,
    pub(super) notes: String,
    pub(super) company: String,
    pub(super) tags: String,
    pub(super) created: String,
    pub(super) updated: String,
}

impl Shown {
    pub(super) fn of(c: &ContactView) -> Shown {
        let shown = |v: &Option<String>| shown(v.clone());
        Shown {
            id: c.id.to_string(),
            name: c.name.clone(),
            email: shown(&c.email),
            phone: shown(&c.phone),
            address: shown(&c.address),
            date_of_birth: shown(&c.date_of_birth),
            national_id: shown(&c.national_id),
            notes: shown(&c.notes),
            company: shown(&c.company),
            tags: if c.tags.is_empty() {
                "–".to_owned()
            } else {
                c.tags.join(", ")
            },
            created: utc_minute(c.created_at),
            updated: utc_minute(c.updated_at),
        }
    }
}

/// The contact form as sent, and as it is filled in again: every field as text, tags
/// separated by commas. A field left out counts as empty.
#[derive(Default, Deserialize)]
pub(crate) struct ContactForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address: String,
    /// `YYYY-MM-DD`, as `<input type="date">` sends it.
    #[serde(default)]
    date_of_birth: String,
    #[serde(default)]
    national_id: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    company: String,
    #[serde(default)]
    tags: String,
}

impl ContactForm {
    /// The stored values, to edit (only ever unmasked ones: see [`update`]).
    fn of(c: &ContactView) -> ContactForm {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        ContactForm {
            name: c.name.clone(),
            email: text(&c.email),
            phone: text(&c.phone),
            address: text(&c.address),
            date_of_birth: text(&c.date_of_birth),
            national_id: text(&c.national_id),
            notes: text(&c.notes),
            company: text(&c.company),
            tags: c.tags.join(", "),
        }
    }

    fn input(&self) -> ContactInput {
        let optional = |v: &str| given(&Some(v.to_owned()));
        ContactInput {
            name: self.name.clone(),
            email: optional(&self.email),
            phone: optional(&self.phone),
            address: optional(&self.address),
            date_of_birth: optional(&self.date_of_birth),
            national_id: optional(&self.national_id),
            notes: optional(&self.notes),
            company: optional(&self.company),
            tags: self
                .tags
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    /// The form holds every field, so the change sets every one (an empty field empties
    /// it), unlike the API's patch, which may leave fields out.
    fn patch(&self) -> ContactPatch {
        let input = self.input();
        ContactPatch {
            name: Some(input.name),
            email: Some(input.email),
            phone: Some(input.phone),
            address: Some(input.address),
            date_of_birth: Some(input.date_of_birth),
            national_id: Some(input.national_id),
            notes: Some(input.notes),
            company: Some(input.company),
            tags: Some(input.tags),
        }
    }
}

#[derive(Template)]
#[template(path = "contact.html")]
struct ContactPage {
    page: Frame,
    nav: AccountNav,
    /// The stored contact; `None` on the new-contact page.
    shown: Option<Shown>,
    /// The values are masked for this person's role.
    masked: bool,
    /// The form is offered: the person may write and sees the values as they are.
    editable: bool,
    form: ContactForm,
    /// The change or the new contact was just saved.
    saved: bool,
    /// The field an error belongs beside (`name`, `email`, …); empty without one.
    field: &'static str,
    error: String,
}

/// `?saved=1` after a change: the page says it was saved.
#[derive(Deserialize)]
pub(crate) struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// The frame of one contact's page, whose language link leads back to that page (also
/// from the answer to its form, posted to the same address).
fn contact_frame(mut page: Frame, nav: &AccountNav, id: ContactId) -> Frame {
    page.path = format!("{SECTION}/{id}");
    page.query = format!("account={}", nav.id);
    page
}

pub(super) fn email_refused(nb: bool) -> &'static str {
    if nb {
        "Skriv en gyldig e-postadresse, for eksempel ola@example.no."
    } else {
        "Enter a valid e-mail address, such as ola@example.com."
    }
}

pub(super) fn phone_refused(nb: bool) -> &'static str {
    if nb {
        "Skriv et telefonnummer som +47 912 34 567 eller 91234567."
    } else {
        "Enter a phone number such as +47 912 34 567 or 91234567."
    }
}

/// The field a refused contact's error belongs beside, and what to say there.
fn refusal(error: &ContactError, nb: bool) -> (&'static str, String) {
    let say = |nb_text: &str, en_text: &str| if nb { nb_text } else { en_text }.to_owned();
    match error {
        ContactError::Name(NameError::Empty(_)) => ("name", say("Skriv et navn.", "Enter a name.")),
        ContactError::Name(_) => (
            "name",
            say(
                "Skriv et navn på opptil 100 tegn, uten kontrolltegn.",
                "Enter a name of up to 100 characters, without control characters.",
            ),
        ),
        ContactError::Email(_) => ("email", email_refused(nb).to_owned()),
        ContactError::Phone(_) => ("phone", phone_refused(nb).to_owned()),
        ContactError::NationalId(NationalIdError::Format) => (
            "national_id",
            say(
                "Fødselsnummeret må ha 11 siffer.",
                "The national identity number must have 11 digits.",
            ),
        ),
        ContactError::NationalId(NationalIdError::CheckDigits) => (
            "national_id",
            say(
                "Kontrollsifrene stemmer ikke: se etter en skrivefeil.",
                "The check digits do not match: look for a typo.",
            ),
        ),
        ContactError::NationalId(NationalIdError::Date) => (
            "national_id",
            say(
                "Fødselsnummeret begynner ikke med en ekte fødselsdato.",
                "The national identity number does not begin with a real date of birth.",
            ),
        ),
        ContactError::DateOfBirth => (
            "date_of_birth",
            say(
                "Skriv en fødselsdato som ikke er fram i tid.",
                "Enter a date of birth that is not in the future.",
            ),
        ),
        ContactError::TooLong { field, max } => (
            *field,
            if nb {
                format!("Skriv høyst {max} tegn.")
            } else {
                format!("Write at most {max} characters.")
            },
        ),
        ContactError::ControlCharacter(field) => (
            *field,
            say(
                "Feltet kan ikke ha kontrolltegn.",
                "The field may not hold control characters.",
            ),
        ),
        ContactError::Tags => (
            "tags",
            say(
                "Høyst 20 stikkord, hvert på 1 til 50 tegn, skilt med komma.",
                "At most 20 tags, each of 1 to 50 characters, separated by commas.",
            ),
        ),
    }
}

/// The form again with the refused values, the error beside its field (422), below
/// the stored contact as it is now, if there is one.
fn refused(
    nav: AccountNav,
    page: Frame,
    shown: Option<Shown>,
    form: ContactForm,
    error: &ContactError,
) -> Response {
    let (field, error) = refusal(error, page.nb);
    with_status(
        html(
            ContactPage {
                page,
                nav,
                shown,
                masked: false,
                editable: true,
                form,
                saved: false,
                field,
                error,
            }
            .render(),
        ),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// `GET /app/contacts/{id}?account=<id>`: one contact, every field as the person may
/// see it, and the form to change it for those who may.
pub(crate) async fn contact(
    at: InAccount<ReadContacts>,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Query(saved): Query<SavedQuery>,
) -> Response {
    let InAccount {
        app,
        scope,
        nav,
        page,
        ..
    } = at;
    let Ok(id) = id.parse::<ContactId>() else {
        return failed(AppError::NotFound);
    };
    let contact = match app.contact(scope, id, &meta).await {
        Ok(contact) => contact,
        Err(error) => return failed(error),
    };
    // A form from masks would send the masks back as the values: no form for a person
    // who sees them (see `update`).
    let editable = scope.allows(Operation::WriteContacts) && !contact.masked;
    html(
        ContactPage {
            page: contact_frame(page, &nav, id),
            nav,
            shown: Some(Shown::of(&contact)),
            masked: contact.masked,
            editable,
            form: if editable {
                ContactForm::of(&contact)
            } else {
                ContactForm::default()
            },
            saved: saved.saved.is_some(),
            field: "",
            error: String::new(),
        }
        .render(),
    )
}

/// `POST /app/contacts/{id}?account=<id>`: the form's values replace the contact's, then
/// back to the contact (303), or the form again with the refusal beside its field.
///
/// The form holds every field. A person who sees personal data masked could only send
/// the masks back, and the app, which lets such a person patch the fields they name,
/// would store them as the values; so this page refuses them (403) before the app is
/// asked, whatever the form they send.
pub(crate) async fn update(
    at: InAccount<WriteContacts>,
    Meta(meta): Meta,
    Path(id): Path<String>,
    Form(form): Form<ContactForm>,
) -> Response {
    let InAccount {
        app,
        scope,
        nav,
        page,
        ..
    } = at;
    if !scope.allows(Operation::SeePersonalData) {
        return failed(AppError::Forbidden);
    }
    let Ok(id) = id.parse::<ContactId>() else {
        return failed(AppError::NotFound);
    };
    let page = contact_frame(page, &nav, id);
    match app.update_contact(scope, id, form.patch(), &meta).await {
        Ok(_) => saved_redirect(&nav, id, &page),
        Err(AppError::Contact(error)) => match app.contact(scope, id, &meta).await {
            Ok(now) => refused(nav, page, Some(Shown::of(&now)), form, &error),
            Err(other) => failed(other),
        },
        Err(other) => failed(other),
    }
}

/// `POST /app/contacts/{id}/delete?account=<id>`: deletes the contact (and records its
/// erasure, so no restored backup brings it back), then the list, which says so.
pub(crate) async fn delete(
    at: InAccount<WriteContacts>,
    Meta(meta): Meta,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<ContactId>() else {
        return failed(AppError::NotFound);
    };
    match at.app.delete_contact(at.scope, id, &meta).await {
        Ok(()) => Redirect::to(&format!(
            "{SECTION}?account={}&done=deleted{}",
            at.nav.id,
            at.page.and_keep()
        ))
        .into_response(),
        Err(error) => failed(error),
    }
}

/// Back to the contact, which says it was saved (303: the browser fetches it with GET).
fn saved_redirect(nav: &AccountNav, id: ContactId, page: &Frame) -> Response {
    Redirect::to(&format!(
        "{SECTION}/{id}?account={}&saved=1{}",
        nav.id,
        page.and_keep()
    ))
    .into_response()
}

/// `GET /app/contacts/new?account=<id>`: the empty form.
pub(crate) async fn new_contact(at: InAccount<WriteContacts>) -> Response {
    html(
        ContactPage {
            page: at.page,
            nav: at.nav,
            shown: None,
            masked: false,
            editable: true,
            form: ContactForm::default(),
            saved: false,
            field: "",
            error: String::new(),
        }
        .render(),
    )
}

/// `POST /app/contacts/new?account=<id>`: creates the contact and opens it (303), or
/// the form again with the refusal beside its field. Whoever may write contacts may
/// create one, a `restricted` member too: what they type is theirs, not a mask.
pub(crate) async fn create(
    at: InAccount<WriteContacts>,
    Meta(meta): Meta,
    Form(form): Form<ContactForm>,
) -> Response {
    let InAccount {
        app,
        scope,
        nav,
        page,
        ..
    } = at;
    match app.create_contact(scope, form.input(), &meta).await {
        Ok(created) => saved_redirect(&nav, created.id, &page),
        Err(AppError::Contact(error)) => refused(nav, page, None, form, &error),
        Err(other) => failed(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_s_tags_are_split_on_commas_and_empty_fields_are_absent() {
        let form = ContactForm {
            name: "Ola".into(),
            email: "  ".into(),
            tags: "kunde, vip,, ".into(),
            ..ContactForm::default()
        };
        let input = form.input();
        assert_eq!(input.email, None);
        assert_eq!(input.tags, ["kunde", "vip"]);
        let patch = form.patch();
        assert_eq!(
            patch.phone,
            Some(None),
            "an empty field empties the stored one"
        );
    }
}
