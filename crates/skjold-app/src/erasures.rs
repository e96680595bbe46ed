//! The erasure ledger (C9): deleted data stays in backups until they expire, so a restore
//! could bring back a person who asked to be erased. Every erasure is therefore recorded
//! outside the database, as a keyed hash of the subject's identifiers and the time, and a
//! restore re-applies the erasures recorded after its backup was taken.
//!
//! The hash is the blind index's HMAC: the ledger holds no personal data, and without
//! the keyring an entry cannot be tied to anyone. The index key outlives master key
//! rotations, so an entry keeps matching its subject for as long as backups are kept.

use skjold_domain::{AccountId, ContactId};
use time::OffsetDateTime;

use crate::contacts::MAX_PAGE;
use crate::permissions::AccountScope;
use crate::ports::ContactFilter;
use crate::{App, AppError};

/// Who was erased: a keyed hash of their identifiers, never the identifiers. Written as
/// 64 hexadecimal digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErasedSubject([u8; 32]);

impl std::fmt::Display for ErasedSubject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&skjold_domain::hex(&self.0))
    }
}

/// Not 64 hexadecimal digits.
#[derive(Debug, thiserror::Error)]
#[error("an erased subject is 64 hexadecimal digits")]
pub struct NotASubject;

impl std::str::FromStr for ErasedSubject {
    type Err = NotASubject;

    fn from_str(text: &str) -> Result<ErasedSubject, NotASubject> {
        let digits = text.as_bytes();
        if digits.len() != 64 || !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err(NotASubject);
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| NotASubject)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| NotASubject)?;
        }
        Ok(ErasedSubject(bytes))
    }
}

/// One entry of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Erasure {
    pub subject: ErasedSubject,
    pub at: OffsetDateTime,
}

/// What applying the ledger to a restored database found and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErasureOutcome {
    /// Rows the ledger names that the restore brought back.
    pub found: u64,
    /// Of those, erased again (all of them, unless the operator kept them).
    pub erased: u64,
}

impl App {
    /// The ledger's name for a contact.
    fn contact_subject(&self, account: AccountId, id: ContactId) -> ErasedSubject {
        ErasedSubject(
            self.blind_index
                .of("erasure/contact", &format!("{account}/{id}")),
        )
    }

    /// Records that the contact is being erased; called before the row is deleted, so a
    /// failed ledger write leaves the contact in place rather than unrecorded.
    pub(crate) async fn record_contact_erasure(
        &self,
        scope: &AccountScope,
        id: ContactId,
    ) -> Result<(), AppError> {
        let erasure = Erasure {
            subject: self.contact_subject(scope.account(), id),
            at: self.clock.now(),
        };
        Ok(self.erasures.record(&erasure).await?)
    }

    /// After a restore, before anything serves: erases again every contact that
    /// `erasures` (the ledger's entries since the backup) names. With `keep`, the
    /// operator has decided that the erasure itself was the accident: the contacts stay,
    /// and each account's audit trail says so.
    pub async fn apply_erasures(
        &self,
        erasures: &[Erasure],
        keep: bool,
    ) -> Result<ErasureOutcome, AppError> {
        let subjects: std::collections::HashSet<ErasedSubject> =
            erasures.iter().map(|e| e.subject).collect();
        let mut outcome = ErasureOutcome::default();
        if subjects.is_empty() {
            return Ok(outcome);
        }
        let every = ContactFilter::default();
        for account in self.key_maintenance.accounts_with_data_keys().await? {
            let scope = AccountScope::operator(account);
            let mut after = None;
            loop {
                let page = self
                    .contacts_store
                    .contacts(&scope, &every, after, MAX_PAGE)
                    .await?;
                for contact in &page {
                    if !subjects.contains(&self.contact_subject(account, contact.id)) {
                        continue;
                    }
                    outcome.found += 1;
                    let action = if keep {
                        "erasure_not_reapplied"
                    } else {
                        self.contacts_store
                            .delete_contact(&scope, contact.id)
                            .await?;
                        outcome.erased += 1;
                        "erasure_reapplied"
                    };
                    let mut event = self.audit(action, Some(account), None, None);
                    event.detail = Some(format!("{{\"contact\":\"{}\"}}", contact.id));
                    self.record_audit(event).await?;
                }
                match page.last() {
                    Some(last) if page.len() == MAX_PAGE as usize => after = Some(last.id),
                    _ => break,
                }
            }
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_reads_back_as_written_and_nothing_else_parses() {
        let subject = ErasedSubject([0xab; 32]);
        let text = subject.to_string();
        assert_eq!(text, "ab".repeat(32));
        assert_eq!(text.parse::<ErasedSubject>().unwrap(), subject);
        for bad in [
            "",
            "ab",
            &"g0".repeat(32),
            &format!("+f{}", "00".repeat(31)),
            &"ab".repeat(33),
        ] {
            assert!(bad.parse::<ErasedSubject>().is_err(), "{bad}");
        }
    }
}
