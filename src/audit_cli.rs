//! `skjold audit …`: the operator's checks of the audit trail (C10).

use std::io::Write;
use std::sync::Arc;

use anyhow::bail;
use skjold_crypto::Keyring;

use crate::config::ServeConfig;
use crate::keys::NO_LINKS;
use crate::serve::{build_app, check_keyring_environment, open_database};

/// `skjold audit verify`: walks every chain; exits with an error if one is broken.
pub async fn verify(config: &ServeConfig, out: &mut impl Write) -> anyhow::Result<()> {
    let keyring = Arc::new(Keyring::open(&config.key_dir)?);
    check_keyring_environment(&keyring, config)?;
    let database = open_database(config, &keyring, None).await?;
    let app = build_app(config, &keyring, &database, NO_LINKS.to_owned())?;
    let report = app.verify_audit_trail().await?;
    database.close().await;
    let mut problems = 0;
    if report.chains.is_empty() {
        writeln!(out, "no audit events yet")?;
    }
    for chain in &report.chains {
        let name = if chain.chain == skjold_app::NO_ACCOUNT_CHAIN {
            "events of no account".to_owned()
        } else {
            format!("account {}", chain.chain)
        };
        let state = if chain.problems.is_empty() {
            "chain intact"
        } else {
            "CHAIN BROKEN"
        };
        writeln!(out, "{name}: {} events, {state}", chain.events)?;
        for problem in &chain.problems {
            writeln!(out, "  {problem}")?;
        }
        problems += chain.problems.len();
    }
    if report.unchained > 0 {
        writeln!(
            out,
            "{} events recorded before the chains began are not covered",
            report.unchained
        )?;
    }
    if problems > 0 {
        bail!("{problems} problems in the audit trail");
    }
    Ok(())
}
