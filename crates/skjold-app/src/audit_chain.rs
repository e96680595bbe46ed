//! The audit trail's integrity and lifetime (C10): every event is appended to its
//! account's hash chain by the store and copied to the log; `skjold audit verify` walks
//! each chain and names the events that were altered, deleted or moved; retention deletes
//! events past the configured age from each chain's start.

use skjold_crypto::{AUDIT_GENESIS, AuditLink, audit_hash};
use time::OffsetDateTime;

use crate::App;
use crate::error::AppError;
use crate::ports::{AuditChainHead, AuditEvent};

/// Events read from the store at a time while verifying.
const PAGE: u32 = 1000;

/// What verifying one chain found.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    /// The account's id, or `-` for events of no account.
    pub chain: String,
    pub events: u64,
    /// One sentence per problem, naming the event (its id and place in the chain).
    pub problems: Vec<String>,
}

/// What verifying the whole audit trail found.
#[derive(Debug, Clone)]
pub struct AuditVerification {
    pub chains: Vec<ChainCheck>,
    /// Events recorded before the chains began, which they do not cover.
    pub unchained: u64,
}

impl AuditVerification {
    pub fn intact(&self) -> bool {
        self.chains.iter().all(|c| c.problems.is_empty())
    }
}

impl App {
    /// Records an audit event (appended to its chain by the store) and copies it to the
    /// log, and so to the log vault, on the `skjold::audit` target.
    pub(crate) async fn record_audit(&self, event: AuditEvent) -> Result<(), AppError> {
        tracing::info!(
            target: "skjold::audit",
            action = event.action,
            account = event.account_id.map(|a| a.to_string()),
            actor = event.actor_id.map(|a| a.to_string()),
            ip_prefix = event.ip_prefix.as_deref(),
            detail = event.detail.as_deref(),
            "audit event"
        );
        Ok(self.accounts.record(event).await?)
    }

    /// Walks every chain from its start to its head, recomputing each hash.
    pub async fn verify_audit_trail(&self) -> Result<AuditVerification, AppError> {
        let mut chains = Vec::new();
        for head in self.audit_log.audit_chain_heads().await? {
            chains.push(self.verify_chain(&head).await?);
        }
        Ok(AuditVerification {
            chains,
            unchained: self.audit_log.unchained_audit_events().await?,
        })
    }

    async fn verify_chain(&self, head: &AuditChainHead) -> Result<ChainCheck, AppError> {
        let mut problems = Vec::new();
        let mut expected = head.first_seq;
        let mut prev = head.first_prev_hash.unwrap_or(AUDIT_GENESIS);
        let mut events = 0;
        loop {
            let page = self
                .audit_log
                .audit_chain_events(&head.chain, expected - 1, PAGE)
                .await?;
            let Some(last) = page.last().map(|e| e.seq) else {
                break;
            };
            for event in &page {
                let name = format!("event {} (#{} of the chain)", event.id, event.seq);
                if event.seq != expected {
                    problems.push(format!(
                        "events #{expected} to #{} are missing, before {name}",
                        event.seq - 1
                    ));
                }
                if event.prev_hash != prev {
                    problems.push(format!(
                        "{name}: the chain breaks here: the event before it was altered, deleted or moved"
                    ));
                }
                let stored_prev: [u8; 32] =
                    event.prev_hash.as_slice().try_into().unwrap_or([0xff; 32]);
                let recomputed = audit_hash(
                    &stored_prev,
                    &AuditLink {
                        chain: &head.chain,
                        seq: event.seq,
                        at: event.at,
                        actor_id: event.actor_id.as_deref(),
                        action: &event.action,
                        ip_prefix: event.ip_prefix.as_deref(),
                        detail: event.detail.as_deref(),
                    },
                );
                if event.hash != recomputed {
                    problems.push(format!(
                        "{name}: altered: its hash does not match what it says"
                    ));
                }
                prev = event.hash.as_slice().try_into().unwrap_or([0xff; 32]);
                expected = event.seq + 1;
                events += 1;
            }
            if page.len() < PAGE as usize {
                expected = last + 1;
                break;
            }
        }
        if expected - 1 < head.seq {
            problems.push(format!(
                "events #{expected} to #{} at the end of the chain are missing",
                head.seq
            ));
        } else if prev != head.hash {
            problems.push(format!(
                "the chain's head does not match its newest event, #{}",
                expected - 1
            ));
        }
        Ok(ChainCheck {
            chain: head.chain.clone(),
            events,
            problems,
        })
    }

    /// Deletes the audit events older than `before` from every chain's start (each
    /// chain's events up to its newest one older than that): how many went. Logged, so
    /// the deletion is on record.
    pub async fn prune_audit_trail(&self, before: OffsetDateTime) -> Result<u64, AppError> {
        let deleted = self.audit_log.prune_audit_events(before).await?;
        if deleted > 0 {
            tracing::info!(
                target: "skjold::audit",
                deleted,
                before = %before,
                "audit events past their retention deleted"
            );
        }
        Ok(deleted)
    }
}
