//! The account's register of people (contacts): stored sealed with the account's data
//! key (C17), shown masked to those who may not see personal data (C15), and every
//! disclosure of unmasked personal data to a person audited.
//!
//! Every answer leaves through [`App::disclose`], the one place that decides between the
//! value and its mask, so no path can hand a `restricted` caller an unmasked field.

use skjold_crypto::{AccountCipher, FieldContext};
use skjold_domain::{
    ContactDetails, ContactError, ContactField, ContactId, ContactInput, ContactPatch,
    EmailAddress, NationalId, PersonName, PhoneNumber, date_text, mask_email, mask_national_id,
    mask_phone,
};
use time::{Date, OffsetDateTime};

use crate::App;
use crate::auth::RequestMeta;
use crate::error::AppError;
use crate::permissions::{AccountScope, Operation};
use crate::ports::{ContactFilter, SealedContact};

const TABLE: &str = "contacts";
/// The most contacts one page lists.
pub const MAX_PAGE: u32 = 100;

/// A contact as this caller may see it. For a caller without
/// [`Operation::SeePersonalData`] the personal fields hold masks and the sensitive ones
/// are withheld (`None`, with `masked` set).
#[derive(Debug, Clone)]
pub struct ContactView {
    pub id: ContactId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub date_of_birth: Option<String>,
    pub national_id: Option<String>,
    pub notes: Option<String>,
    pub company: Option<String>,
    pub tags: Vec<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub masked: bool,
}

/// One page of a listing, and where the next one starts.
#[derive(Debug, Clone)]
pub struct ContactPage {
    pub contacts: Vec<ContactView>,
    pub next: Option<ContactId>,
}

/// What to list: exact e-mail and phone are found through their blind indexes.
#[derive(Debug, Clone, Default)]
pub struct ContactQuery {
    pub tag: Option<String>,
    pub company: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub after: Option<ContactId>,
    pub limit: Option<u32>,
}

/// A contact opened: its details and the stored facts about it.
struct Opened {
    id: ContactId,
    details: ContactDetails,
    created_at: OffsetDateTime,
    updated_at: OffsetDateTime,
}

/// What a caller without [`Operation::SeePersonalData`] sees of a name: the given name
/// and the initials of the others ("Ola N."), enough to work with, not to identify.
fn mask_name(name: &PersonName) -> String {
    let mut words = name.as_str().split_whitespace();
    let first = words.next().unwrap_or_default();
    words.fold(first.to_owned(), |mut masked, word| {
        if let Some(initial) = word.chars().next() {
            masked.push(' ');
            masked.push(initial);
            masked.push('.');
        }
        masked
    })
}

impl App {
    /// Now, in whole seconds as the store keeps times, so an answer shows the time that
    /// later reads will show.
    fn stored_now(&self) -> OffsetDateTime {
        let now = self.clock.now();
        now.replace_nanosecond(0).unwrap_or(now)
    }

    /// The blind index of a contact's e-mail or phone, keyed per account so the same
    /// address in two accounts cannot be matched across them.
    fn contact_index(&self, scope: &AccountScope, field: ContactField, value: &str) -> [u8; 32] {
        self.blind_index.of(
            &format!("{TABLE}.{}/{}", field.as_str(), scope.account()),
            value,
        )
    }

    fn seal_contact(
        &self,
        scope: &AccountScope,
        cipher: &AccountCipher,
        id: ContactId,
        details: &ContactDetails,
        created_at: OffsetDateTime,
    ) -> Result<SealedContact, AppError> {
        let row = id.to_string();
        let seal = |field: ContactField, value: &str| {
            let at = FieldContext {
                table: TABLE,
                column: field.as_str(),
                row: &row,
            };
            cipher
                .seal(value, at)
                .map_err(|e| AppError::unexpected(e.to_string()))
        };
        let optional = |field, value: Option<&str>| value.map(|v| seal(field, v)).transpose();
        Ok(SealedContact {
            id,
            key_version: cipher.version(),
            name: seal(ContactField::Name, details.name.as_str())?,
            email: optional(
                ContactField::Email,
                details.email.as_ref().map(EmailAddress::as_str),
            )?,
            email_index: details
                .email
                .as_ref()
                .map(|e| self.contact_index(scope, ContactField::Email, e.as_str())),
            phone: optional(
                ContactField::Phone,
                details.phone.as_ref().map(PhoneNumber::as_str),
            )?,
            phone_index: details
                .phone
                .as_ref()
                .map(|p| self.contact_index(scope, ContactField::Phone, p.as_str())),
            address: optional(ContactField::Address, details.address.as_deref())?,
            birth_date: optional(
                ContactField::DateOfBirth,
                details.date_of_birth.map(date_text).as_deref(),
            )?,
            national_id: optional(
                ContactField::NationalId,
                details.national_id.as_ref().map(NationalId::as_str),
            )?,
            notes: optional(ContactField::Notes, details.notes.as_deref())?,
            company: details.company.clone(),
            tags: details.tags.clone(),
            created_at,
            updated_at: self.stored_now(),
        })
    }

    async fn open_contact(
        &self,
        scope: &AccountScope,
        sealed: SealedContact,
    ) -> Result<Opened, AppError> {
        let cipher = self.account_cipher(scope, sealed.key_version).await?;
        let row = sealed.id.to_string();
        let open = |field: ContactField, bytes: &[u8]| {
            let at = FieldContext {
                table: TABLE,
                column: field.as_str(),
                row: &row,
            };
            cipher
                .open(bytes, at)
                .map_err(|e| AppError::unexpected(format!("contact {row}: {e}")))
        };
        let optional =
            |field, bytes: &Option<Vec<u8>>| bytes.as_deref().map(|b| open(field, b)).transpose();
        // What was sealed was parsed before; parsing it again restores the types.
        let input = ContactInput {
            name: open(ContactField::Name, &sealed.name)?,
            email: optional(ContactField::Email, &sealed.email)?,
            phone: optional(ContactField::Phone, &sealed.phone)?,
            address: optional(ContactField::Address, &sealed.address)?,
            date_of_birth: optional(ContactField::DateOfBirth, &sealed.birth_date)?,
            national_id: optional(ContactField::NationalId, &sealed.national_id)?,
            notes: optional(ContactField::Notes, &sealed.notes)?,
            company: sealed.company,
            tags: sealed.tags,
        };
        let details = input
            .parse(Date::MAX)
            .map_err(|e| AppError::unexpected(format!("contact {row} no longer parses: {e}")))?;
        Ok(Opened {
            id: sealed.id,
            details,
            created_at: sealed.created_at,
            updated_at: sealed.updated_at,
        })
    }

    /// Turns opened contacts into what the caller may see: masked without
    /// [`Operation::SeePersonalData`]; otherwise unmasked, and if a person receives them,
    /// audited (one event for the whole answer, naming the contacts and fields).
    async fn disclose(
        &self,
        scope: &AccountScope,
        contacts: Vec<Opened>,
        meta: &RequestMeta,
    ) -> Result<Vec<ContactView>, AppError> {
        if !scope.allows(Operation::SeePersonalData) {
            return Ok(contacts.into_iter().map(masked_view).collect());
        }
        if let (Some(actor), false) = (scope.actor(), contacts.is_empty()) {
            let mut event = self.audit("pii_read", Some(scope.account()), Some(actor), Some(meta));
            event.detail = Some(disclosure_detail(&contacts));
            self.record_audit(event).await?;
        }
        Ok(contacts.into_iter().map(view).collect())
    }

    pub async fn create_contact(
        &self,
        scope: AccountScope,
        input: ContactInput,
        meta: &RequestMeta,
    ) -> Result<ContactView, AppError> {
        scope.require(Operation::WriteContacts)?;
        let details = input.parse(self.clock.now().date())?;
        let cipher = self.current_account_cipher(&scope).await?;
        let id = ContactId::new();
        let sealed = self.seal_contact(&scope, &cipher, id, &details, self.stored_now())?;
        self.contacts_store.create_contact(&scope, &sealed).await?;
        self.record_account_event("contact_created", &scope, meta)
            .await?;
        self.disclose_written(&scope, &sealed, details, meta).await
    }

    pub async fn contact(
        &self,
        scope: AccountScope,
        id: ContactId,
        meta: &RequestMeta,
    ) -> Result<ContactView, AppError> {
        scope.require(Operation::ReadContacts)?;
        let sealed = self
            .contacts_store
            .contact(&scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let opened = self.open_contact(&scope, sealed).await?;
        self.disclose_one(&scope, opened, meta).await
    }

    /// Changes the fields `patch` names, here in the `app` layer where the values are
    /// whole: a `restricted` caller, who only ever sees masks, changes the fields it sends
    /// and leaves the rest intact. Sealed again with the account's current data key.
    pub async fn update_contact(
        &self,
        scope: AccountScope,
        id: ContactId,
        patch: ContactPatch,
        meta: &RequestMeta,
    ) -> Result<ContactView, AppError> {
        scope.require(Operation::WriteContacts)?;
        let existing = self
            .contacts_store
            .contact(&scope, id)
            .await?
            .ok_or(AppError::NotFound)?;
        let existing = self.open_contact(&scope, existing).await?;
        let details = patch
            .apply(existing.details.to_input())
            .parse(self.clock.now().date())?;
        let cipher = self.current_account_cipher(&scope).await?;
        let sealed = self.seal_contact(&scope, &cipher, id, &details, existing.created_at)?;
        if !self.contacts_store.update_contact(&scope, &sealed).await? {
            return Err(AppError::NotFound);
        }
        self.record_account_event("contact_updated", &scope, meta)
            .await?;
        self.disclose_written(&scope, &sealed, details, meta).await
    }

    pub async fn delete_contact(
        &self,
        scope: AccountScope,
        id: ContactId,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        scope.require(Operation::WriteContacts)?;
        if self.contacts_store.contact(&scope, id).await?.is_none() {
            return Err(AppError::NotFound);
        }
        self.record_contact_erasure(&scope, id).await?;
        if !self.contacts_store.delete_contact(&scope, id).await? {
            return Err(AppError::NotFound);
        }
        self.record_account_event("contact_deleted", &scope, meta)
            .await
    }

    pub async fn contacts(
        &self,
        scope: AccountScope,
        query: ContactQuery,
        meta: &RequestMeta,
    ) -> Result<ContactPage, AppError> {
        scope.require(Operation::ReadContacts)?;
        // A filter is an oracle for the value it matches: whoever sees a field masked
        // may not search by it (ASVS 8.2.3), or hits would confirm a guessed address or
        // sweep a masked number digit by digit.
        if (query.email.is_some() || query.phone.is_some())
            && !scope.allows(Operation::SeePersonalData)
        {
            return Err(AppError::Forbidden);
        }
        let limit = query.limit.unwrap_or(50).clamp(1, MAX_PAGE);
        let email = query
            .email
            .as_deref()
            .map(EmailAddress::parse)
            .transpose()?;
        let phone = query
            .phone
            .as_deref()
            .map(PhoneNumber::parse)
            .transpose()
            .map_err(ContactError::from)?;
        let filter = ContactFilter {
            tag: query.tag.map(|t| t.trim().to_lowercase()),
            company: query.company.map(|c| c.trim().to_owned()),
            email_index: email.map(|e| self.contact_index(&scope, ContactField::Email, e.as_str())),
            phone_index: phone.map(|p| self.contact_index(&scope, ContactField::Phone, p.as_str())),
        };
        // One more than asked tells whether another page follows.
        let mut sealed = self
            .contacts_store
            .contacts(&scope, &filter, query.after, limit + 1)
            .await?;
        let more = sealed.len() > limit as usize;
        sealed.truncate(limit as usize);
        let next = more.then(|| sealed.last().map(|c| c.id)).flatten();
        let mut opened = Vec::with_capacity(sealed.len());
        for contact in sealed {
            opened.push(self.open_contact(&scope, contact).await?);
        }
        Ok(ContactPage {
            contacts: self.disclose(&scope, opened, meta).await?,
            next,
        })
    }

    /// Every contact of the account, oldest first, for an export. They pass through the
    /// same [`App::disclose`] as every other read, so what the caller receives is masked
    /// and audited exactly as there; the export itself is audited too. Needs
    /// [`Operation::ExportContacts`] (no `restricted` member, no API token) and a
    /// verified address.
    pub async fn export_contacts(
        &self,
        scope: AccountScope,
        meta: &RequestMeta,
    ) -> Result<Vec<ContactView>, AppError> {
        scope.require(Operation::ExportContacts)?;
        self.require_verified(scope.actor().ok_or(AppError::Forbidden)?)
            .await?;
        let all = ContactFilter::default();
        let mut opened = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .contacts_store
                .contacts(&scope, &all, after, MAX_PAGE)
                .await?;
            let full = page.len() == MAX_PAGE as usize;
            after = page.last().map(|c| c.id);
            for contact in page {
                opened.push(self.open_contact(&scope, contact).await?);
            }
            if !full {
                break;
            }
        }
        self.record_account_event("contacts_exported", &scope, meta)
            .await?;
        self.disclose(&scope, opened, meta).await
    }

    /// The same contact sealed with `cipher`, for a data key rotation: what a user sees
    /// does not change, so neither does `updated_at`.
    pub(crate) async fn reseal_contact(
        &self,
        scope: &AccountScope,
        cipher: &AccountCipher,
        sealed: SealedContact,
    ) -> Result<SealedContact, AppError> {
        let updated_at = sealed.updated_at;
        let opened = self.open_contact(scope, sealed).await?;
        let resealed =
            self.seal_contact(scope, cipher, opened.id, &opened.details, opened.created_at)?;
        Ok(SealedContact {
            updated_at,
            ..resealed
        })
    }

    /// The answer to a write: the contact as just stored, as the caller may see it.
    async fn disclose_written(
        &self,
        scope: &AccountScope,
        sealed: &SealedContact,
        details: ContactDetails,
        meta: &RequestMeta,
    ) -> Result<ContactView, AppError> {
        let opened = Opened {
            id: sealed.id,
            details,
            created_at: sealed.created_at,
            updated_at: sealed.updated_at,
        };
        self.disclose_one(scope, opened, meta).await
    }

    async fn disclose_one(
        &self,
        scope: &AccountScope,
        contact: Opened,
        meta: &RequestMeta,
    ) -> Result<ContactView, AppError> {
        self.disclose(scope, vec![contact], meta)
            .await?
            .pop()
            .ok_or_else(|| AppError::unexpected("a disclosed contact vanished"))
    }
}

fn view(c: Opened) -> ContactView {
    let d = c.details;
    ContactView {
        id: c.id,
        name: d.name.as_str().to_owned(),
        email: d.email.map(|e| e.as_str().to_owned()),
        phone: d.phone.map(|p| p.as_str().to_owned()),
        address: d.address,
        date_of_birth: d.date_of_birth.map(date_text),
        national_id: d.national_id.map(|n| n.as_str().to_owned()),
        notes: d.notes,
        company: d.company,
        tags: d.tags,
        created_at: c.created_at,
        updated_at: c.updated_at,
        masked: false,
    }
}

/// Personal fields masked, sensitive ones withheld, public ones as they are.
fn masked_view(c: Opened) -> ContactView {
    let d = c.details;
    ContactView {
        id: c.id,
        name: mask_name(&d.name),
        email: d.email.as_ref().map(mask_email),
        phone: d.phone.as_ref().map(mask_phone),
        address: d.address.map(|_| "***".to_owned()),
        date_of_birth: d.date_of_birth.map(|date| format!("{}-**-**", date.year())),
        national_id: d.national_id.as_ref().map(mask_national_id),
        notes: None,
        company: d.company,
        tags: d.tags,
        created_at: c.created_at,
        updated_at: c.updated_at,
        masked: true,
    }
}

/// `{"contacts":[…],"fields":[…]}`: which contacts, and which of their non-public fields
/// were disclosed. Ids and field names only; built by hand, as neither can need escaping.
fn disclosure_detail(contacts: &[Opened]) -> String {
    let ids: Vec<String> = contacts.iter().map(|c| format!("\"{}\"", c.id)).collect();
    let fields: Vec<String> = ContactField::ALL
        .into_iter()
        .filter(|f| f.classification() != skjold_domain::Classification::Public)
        .filter(|f| contacts.iter().any(|c| has_field(&c.details, *f)))
        .map(|f| format!("\"{}\"", f.as_str()))
        .collect();
    format!(
        "{{\"contacts\":[{}],\"fields\":[{}]}}",
        ids.join(","),
        fields.join(",")
    )
}

fn has_field(d: &ContactDetails, field: ContactField) -> bool {
    match field {
        ContactField::Name => true,
        ContactField::Email => d.email.is_some(),
        ContactField::Phone => d.phone.is_some(),
        ContactField::Address => d.address.is_some(),
        ContactField::DateOfBirth => d.date_of_birth.is_some(),
        ContactField::NationalId => d.national_id.is_some(),
        ContactField::Notes => d.notes.is_some(),
        ContactField::Company => d.company.is_some(),
        ContactField::Tags => !d.tags.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_name_keeps_the_given_name_and_initials() {
        let mask = |n: &str| mask_name(&PersonName::parse(n).unwrap());
        assert_eq!(mask("Ola Nordmann"), "Ola N.");
        assert_eq!(mask("Kari Anne Nordmann"), "Kari A. N.");
        assert_eq!(mask("Cher"), "Cher");
    }
}
