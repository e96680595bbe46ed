//! A contact: one entry of an account's register of the people it deals with, and the
//! classification of each of its fields, which decides how the field is stored (C17) and
//! who sees it unmasked (C15).

use time::Date;
use time::macros::format_description;

use crate::{EmailAddress, EmailError, NameError, NationalId, NationalIdError, PersonName};
use crate::{PhoneError, PhoneNumber};

/// How much harm a field's disclosure does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classification {
    /// Not about a person: stored as it is, shown to every role.
    Public,
    /// Identifies or describes a person: encrypted at rest, masked for `restricted`.
    Personal,
    /// Personal data whose disclosure does particular harm (identity numbers, free-text
    /// notes that may hold anything): encrypted, and withheld from `restricted` entirely.
    Sensitive,
}

/// The fields of a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactField {
    Name,
    Email,
    Phone,
    Address,
    DateOfBirth,
    NationalId,
    Notes,
    Company,
    Tags,
}

impl ContactField {
    pub const ALL: [ContactField; 9] = [
        ContactField::Name,
        ContactField::Email,
        ContactField::Phone,
        ContactField::Address,
        ContactField::DateOfBirth,
        ContactField::NationalId,
        ContactField::Notes,
        ContactField::Company,
        ContactField::Tags,
    ];

    pub fn classification(self) -> Classification {
        match self {
            ContactField::Company | ContactField::Tags => Classification::Public,
            ContactField::Name
            | ContactField::Email
            | ContactField::Phone
            | ContactField::Address
            | ContactField::DateOfBirth => Classification::Personal,
            ContactField::NationalId | ContactField::Notes => Classification::Sensitive,
        }
    }

    /// The field's name in the API and in audit events; also its column's stem.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactField::Name => "name",
            ContactField::Email => "email",
            ContactField::Phone => "phone",
            ContactField::Address => "address",
            ContactField::DateOfBirth => "date_of_birth",
            ContactField::NationalId => "national_id",
            ContactField::Notes => "notes",
            ContactField::Company => "company",
            ContactField::Tags => "tags",
        }
    }
}

/// Limits that keep a register a register, not a document store.
const MAX_ADDRESS: usize = 300;
const MAX_NOTES: usize = 5000;
const MAX_COMPANY: usize = 200;
const MAX_TAG: usize = 50;
const MAX_TAGS: usize = 20;

/// A contact's details as typed, before parsing. `None` leaves a field empty.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    pub national_id: Option<String>,
    pub notes: Option<String>,
    pub company: Option<String>,
    pub tags: Vec<String>,
}

/// A change to some of a contact's fields: `None` keeps a field, `Some(None)` empties
/// it, `Some(Some(v))` sets it.
#[derive(Debug, Clone, Default)]
pub struct ContactPatch {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub address: Option<Option<String>>,
    pub date_of_birth: Option<Option<String>>,
    pub national_id: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub company: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
}

impl ContactPatch {
    /// `base` with this patch's changes.
    pub fn apply(self, base: ContactInput) -> ContactInput {
        ContactInput {
            name: self.name.unwrap_or(base.name),
            email: self.email.unwrap_or(base.email),
            phone: self.phone.unwrap_or(base.phone),
            address: self.address.unwrap_or(base.address),
            date_of_birth: self.date_of_birth.unwrap_or(base.date_of_birth),
            national_id: self.national_id.unwrap_or(base.national_id),
            notes: self.notes.unwrap_or(base.notes),
            company: self.company.unwrap_or(base.company),
            tags: self.tags.unwrap_or(base.tags),
        }
    }
}

/// A contact's details, every field parsed.
#[derive(Clone, PartialEq, Eq)]
pub struct ContactDetails {
    pub name: PersonName,
    pub email: Option<EmailAddress>,
    pub phone: Option<PhoneNumber>,
    pub address: Option<String>,
    pub date_of_birth: Option<Date>,
    pub national_id: Option<NationalId>,
    pub notes: Option<String>,
    pub company: Option<String>,
    /// Lower-case, sorted, without duplicates.
    pub tags: Vec<String>,
}

impl ContactDetails {
    /// The details as text again, the form they are typed, stored and patched in.
    pub fn to_input(&self) -> ContactInput {
        ContactInput {
            name: self.name.as_str().to_owned(),
            email: self.email.as_ref().map(|e| e.as_str().to_owned()),
            phone: self.phone.as_ref().map(|p| p.as_str().to_owned()),
            address: self.address.clone(),
            date_of_birth: self.date_of_birth.map(date_text),
            national_id: self.national_id.as_ref().map(|n| n.as_str().to_owned()),
            notes: self.notes.clone(),
            company: self.company.clone(),
            tags: self.tags.clone(),
        }
    }
}

/// `YYYY-MM-DD`, the one way dates of birth are written.
pub fn date_text(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

/// Personal data: a `Debug` print shows which fields are set, never their values.
impl std::fmt::Debug for ContactDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactDetails")
            .field("company", &self.company)
            .field("tags", &self.tags)
            .finish_non_exhaustive()
    }
}

/// Why a contact was refused; the message names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error(transparent)]
    Phone(#[from] PhoneError),
    #[error(transparent)]
    NationalId(#[from] NationalIdError),
    #[error("the date of birth must be a date written YYYY-MM-DD, not in the future")]
    DateOfBirth,
    #[error("the {field} may be at most {max} characters long")]
    TooLong { field: &'static str, max: usize },
    #[error("the {0} may not contain control characters other than line breaks")]
    ControlCharacter(&'static str),
    #[error("a contact may have at most 20 tags of 1 to 50 characters, without control characters")]
    Tags,
}

/// Trims `text`; empty means absent. Line breaks are allowed (addresses, notes); other
/// control characters are not.
fn text(
    value: Option<&str>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>, ContactError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max {
        return Err(ContactError::TooLong { field, max });
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ContactError::ControlCharacter(field));
    }
    Ok(Some(value.to_owned()))
}

fn tags(values: &[String]) -> Result<Vec<String>, ContactError> {
    let mut tags = values
        .iter()
        .map(|t| t.trim().to_lowercase())
        .map(|t| {
            let fits = (1..=MAX_TAG).contains(&t.chars().count());
            if fits && !t.chars().any(char::is_control) {
                Ok(t)
            } else {
                Err(ContactError::Tags)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    tags.sort();
    tags.dedup();
    if tags.len() > MAX_TAGS {
        return Err(ContactError::Tags);
    }
    Ok(tags)
}

/// Parses a date of birth; `today` bounds it, since nobody is born in the future.
pub fn parse_date_of_birth(text: &str, today: Date) -> Result<Date, ContactError> {
    let date = Date::parse(text.trim(), format_description!("[year]-[month]-[day]"))
        .map_err(|_| ContactError::DateOfBirth)?;
    if date > today {
        return Err(ContactError::DateOfBirth);
    }
    Ok(date)
}

impl ContactInput {
    /// Every field parsed, or the first that breaks a rule. `today` bounds the date of
    /// birth.
    pub fn parse(&self, today: Date) -> Result<ContactDetails, ContactError> {
        let nonempty = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        Ok(ContactDetails {
            name: PersonName::parse(&self.name)?,
            email: nonempty(&self.email)
                .as_deref()
                .map(EmailAddress::parse)
                .transpose()?,
            phone: nonempty(&self.phone)
                .as_deref()
                .map(PhoneNumber::parse)
                .transpose()?,
            address: text(self.address.as_deref(), "address", MAX_ADDRESS)?,
            date_of_birth: nonempty(&self.date_of_birth)
                .map(|d| parse_date_of_birth(&d, today))
                .transpose()?,
            national_id: nonempty(&self.national_id)
                .as_deref()
                .map(NationalId::parse)
                .transpose()?,
            notes: text(self.notes.as_deref(), "notes", MAX_NOTES)?,
            company: text(self.company.as_deref(), "company", MAX_COMPANY)?,
            tags: tags(&self.tags)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 25);

    #[test]
    fn each_field_has_the_classification_that_decides_its_storage_and_masking() {
        use Classification::*;
        let expected = [
            Personal, Personal, Personal, Personal, Personal, Sensitive, Sensitive, Public, Public,
        ];
        assert_eq!(
            ContactField::ALL.map(ContactField::classification),
            expected
        );
    }

    #[test]
    fn input_is_trimmed_checked_and_normalised() {
        let input = ContactInput {
            name: " Ola Nordmann ".into(),
            email: Some("".into()),
            address: Some("Storgata 1\n0155 Oslo".into()),
            date_of_birth: Some("1985-05-17".into()),
            company: Some(" Integrera AS ".into()),
            tags: vec!["Kunde".into(), "kunde".into(), "VIP ".into()],
            ..ContactInput::default()
        };
        let details = input.parse(TODAY).unwrap();
        assert_eq!(details.name.as_str(), "Ola Nordmann");
        assert_eq!(details.email, None, "empty is absent");
        assert_eq!(details.address.as_deref(), Some("Storgata 1\n0155 Oslo"));
        assert_eq!(details.date_of_birth, Some(date!(1985 - 05 - 17)));
        assert_eq!(details.company.as_deref(), Some("Integrera AS"));
        assert_eq!(details.tags, ["kunde", "vip"]);
        assert!(
            !format!("{details:?}").contains("Ola"),
            "Debug hides personal data"
        );
    }

    #[test]
    fn a_bad_field_is_named() {
        let base = ContactInput {
            name: "Ola".into(),
            ..ContactInput::default()
        };
        let refused = |input: ContactInput| input.parse(TODAY).unwrap_err().to_string();
        assert_eq!(
            refused(ContactInput {
                date_of_birth: Some("2030-01-01".into()),
                ..base.clone()
            }),
            "the date of birth must be a date written YYYY-MM-DD, not in the future"
        );
        assert_eq!(
            refused(ContactInput {
                notes: Some("n".repeat(5001)),
                ..base.clone()
            }),
            "the notes may be at most 5000 characters long"
        );
        assert!(
            refused(ContactInput {
                tags: vec!["".into()],
                ..base.clone()
            })
            .contains("tags")
        );
        assert!(
            refused(ContactInput {
                company: Some("A\u{7}B".into()),
                ..base
            })
            .contains("company")
        );
    }
}
