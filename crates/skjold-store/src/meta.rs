//! Facts the database keeps about itself: the environment it was created for (C8).

use skjold_domain::Environment;

use crate::database::Database;
use crate::error::StoreError;
use crate::sql::on_pool;

const ENVIRONMENT: &str = "environment";

impl Database {
    /// Records `configured` as the database's environment if it has none yet (a new
    /// database), and refuses to go on if it records another one.
    pub async fn claim_environment(&self, configured: Environment) -> Result<(), StoreError> {
        let recorded: String = match self {
            Database::Sqlite(pool) => {
                sqlx::query(
                    "INSERT INTO skjold_meta (key, value) VALUES (?1, ?2) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(ENVIRONMENT)
                .bind(configured.as_str())
                .execute(pool)
                .await?;
                sqlx::query_scalar("SELECT value FROM skjold_meta WHERE key = ?1")
                    .bind(ENVIRONMENT)
                    .fetch_one(pool)
                    .await?
            }
            Database::Postgres(pool) => {
                sqlx::query(
                    "INSERT INTO skjold_meta (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(ENVIRONMENT)
                .bind(configured.as_str())
                .execute(pool)
                .await?;
                sqlx::query_scalar("SELECT value FROM skjold_meta WHERE key = $1")
                    .bind(ENVIRONMENT)
                    .fetch_one(pool)
                    .await?
            }
        };
        let recorded: Environment = recorded
            .parse()
            .map_err(|_| StoreError::UnknownEnvironment(recorded))?;
        if recorded != configured {
            return Err(StoreError::EnvironmentMismatch {
                recorded,
                configured,
            });
        }
        Ok(())
    }

    /// Records `environment` as the database's, replacing what it recorded: for a restore
    /// the operator explicitly allowed from another environment.
    pub async fn reclaim_environment(&self, environment: Environment) -> Result<(), StoreError> {
        let sql = "UPDATE skjold_meta SET value = $1 WHERE key = $2";
        on_pool!(self, |pool| sqlx::query(sql)
            .bind(environment.as_str())
            .bind(ENVIRONMENT)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }
}
