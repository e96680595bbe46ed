//! A consistent copy of every row, and loading one into an empty database: what a backup
//! holds (C9). One code path for both backends, and a copy taken on one restores on the
//! other: every column is an integer, a boolean, text or bytes on both.
//!
//! Every statement here is built from names that are not input: the tables of
//! [`TABLES`] and the columns the database's own catalog lists (an import checks a
//! backup's names against both before it uses them); values are always bound.
//!
//! The copy is read in one transaction, so it is one moment's state while the server
//! keeps writing: on PostgreSQL a `REPEATABLE READ READ ONLY` transaction (one snapshot
//! for every statement in it); on SQLite a read transaction over the write-ahead log,
//! which sees the database as it was when the transaction began.

use std::sync::Arc;

use futures_util::TryStreamExt;
use sqlx::{AssertSqlSafe, Column, Row, TypeInfo, ValueRef};
use time::OffsetDateTime;

use crate::database::Database;
use crate::error::StoreError;
use crate::sql::{on_pool, secs};

/// Every table, parents before children, so rows load in this order without breaking a
/// foreign key. An export refuses a database with a table this does not name.
pub const TABLES: &[&str] = &[
    "skjold_meta",
    "accounts",
    "users",
    "memberships",
    "sessions",
    "audit_events",
    "one_time_tokens",
    "api_tokens",
    "email_changes",
    "account_keys",
    "contacts",
    "contact_tags",
    "invitations",
    "job_runs",
    "second_steps",
    "recovery_codes",
    "sign_in_challenges",
    "rate_limits",
    "known_devices",
    "sign_in_failures",
    "sms_codes",
    "sms_sends",
    "audit_chain_heads",
];

/// One stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Int(i64),
    Bool(bool),
    Text(String),
    Bytes(Vec<u8>),
}

/// What an export hands its sink, in order: a table, then its rows, then the next table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    Table { name: String, columns: Vec<String> },
    Row(Vec<Cell>),
}

/// Where an export's records go; an error stops the export.
pub trait RecordSink {
    type Error: From<StoreError>;
    fn record(&mut self, record: Record) -> Result<(), Self::Error>;
}

fn decode_sqlite(row: &sqlx::sqlite::SqliteRow, i: usize) -> Result<Cell, StoreError> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Cell::Null);
    }
    // SQLite's own storage class of this value (the tables are STRICT).
    Ok(match raw.type_info().name() {
        "INTEGER" => Cell::Int(row.try_get(i)?),
        "BLOB" => Cell::Bytes(row.try_get(i)?),
        "TEXT" => Cell::Text(row.try_get(i)?),
        other => return Err(StoreError::Snapshot(format!("a column of type {other}"))),
    })
}

fn decode_postgres(row: &sqlx::postgres::PgRow, i: usize) -> Result<Cell, StoreError> {
    if row.try_get_raw(i)?.is_null() {
        return Ok(Cell::Null);
    }
    Ok(match row.column(i).type_info().name() {
        "INT8" => Cell::Int(row.try_get(i)?),
        "INT4" => Cell::Int(row.try_get::<i32, _>(i)?.into()),
        "INT2" => Cell::Int(row.try_get::<i16, _>(i)?.into()),
        "BOOL" => Cell::Bool(row.try_get(i)?),
        "BYTEA" => Cell::Bytes(row.try_get(i)?),
        "TEXT" | "VARCHAR" => Cell::Text(row.try_get(i)?),
        other => return Err(StoreError::Snapshot(format!("a column of type {other}"))),
    })
}

/// The audit events of each chain up to its newest one older than `$1`: what
/// `prune_audit_events` deletes, so what an audit archive must hold first.
const AUDIT_EVENTS_BEFORE: &str = "WHERE seq <= (SELECT MAX(older.seq) FROM audit_events older \
     WHERE older.chain = audit_events.chain AND older.at < $1)";

/// The rows of `table` in a stable order (by every column, left to right), so two
/// copies of the same state are the same bytes.
fn select_all(table: &str, columns: &[String]) -> String {
    format!(
        "SELECT {} FROM {table} ORDER BY {}",
        columns.join(", "),
        (1..=columns.len())
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

impl Database {
    /// The newest migration applied: a backup records it, and restores only into the
    /// same schema.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let sql = "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success";
        Ok(on_pool!(self, |pool| sqlx::query_scalar(sql)
            .fetch_one(pool)
            .await)?)
    }

    /// The tables that hold rows, of [`TABLES`].
    pub async fn tables_with_rows(&self) -> Result<Vec<&'static str>, StoreError> {
        let mut found = Vec::new();
        for table in TABLES {
            let sql = format!("SELECT EXISTS (SELECT 1 FROM {table})");
            let any: bool = on_pool!(self, |pool| sqlx::query_scalar(AssertSqlSafe(sql.as_str()))
                .fetch_one(pool)
                .await)?;
            if any {
                found.push(*table);
            }
        }
        Ok(found)
    }

    /// Every row of every table, as of one moment, into `sink`. Refuses to start if the
    /// database has a table [`TABLES`] does not name: a backup never leaves one out.
    pub async fn export<S: RecordSink>(&self, sink: &mut S) -> Result<(), S::Error> {
        let present: Vec<String> = match self {
            Database::Sqlite(pool) => {
                sqlx::query_scalar(
                    "SELECT name FROM sqlite_schema WHERE type = 'table'
                     AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
                )
                .fetch_all(pool)
                .await
            }
            Database::Postgres(pool) => {
                sqlx::query_scalar(
                    "SELECT table_name::text FROM information_schema.tables
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                     AND table_name <> '_sqlx_migrations'",
                )
                .fetch_all(pool)
                .await
            }
        }
        .map_err(StoreError::from)?;
        if let Some(unknown) = present.iter().find(|t| !TABLES.contains(&t.as_str())) {
            return Err(StoreError::Snapshot(format!(
                "table {unknown} is not among the tables a backup copies"
            ))
            .into());
        }
        // Every table read in `$tx`, each row decoded by `$decode`.
        macro_rules! copy {
            ($tx:expr, $decode:ident) => {{
                for table in TABLES {
                    let columns = self.columns(table).await?;
                    sink.record(Record::Table {
                        name: (*table).to_owned(),
                        columns: columns.clone(),
                    })?;
                    let sql = select_all(table, &columns);
                    let mut rows = sqlx::query(AssertSqlSafe(sql.as_str())).fetch(&mut *$tx);
                    while let Some(row) = rows.try_next().await.map_err(StoreError::from)? {
                        let cells = (0..columns.len())
                            .map(|i| $decode(&row, i))
                            .collect::<Result<_, _>>()?;
                        sink.record(Record::Row(cells))?;
                    }
                }
                $tx.rollback().await.map_err(StoreError::from)?;
            }};
        }
        match self {
            Database::Sqlite(pool) => {
                let mut tx = pool.begin().await.map_err(StoreError::from)?;
                copy!(tx, decode_sqlite);
            }
            Database::Postgres(pool) => {
                let mut tx = pool.begin().await.map_err(StoreError::from)?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await
                    .map_err(StoreError::from)?;
                copy!(tx, decode_postgres);
            }
        }
        Ok(())
    }

    /// How many audit events [`Database::export_audit_events_before`] would copy.
    pub async fn count_audit_events_before(
        &self,
        before: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let sql = format!("SELECT COUNT(*) FROM audit_events {AUDIT_EVENTS_BEFORE}");
        let count: i64 = on_pool!(self, |pool| sqlx::query_scalar(AssertSqlSafe(sql.as_str()))
            .bind(secs(before))
            .fetch_one(pool)
            .await)?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// The audit events that pruning with `before` deletes, each chain's in order, into
    /// `sink` as one `audit_events` table: what an audit archive holds (C17). How many.
    pub async fn export_audit_events_before<S: RecordSink>(
        &self,
        before: OffsetDateTime,
        sink: &mut S,
    ) -> Result<u64, S::Error> {
        let columns = self.columns("audit_events").await?;
        sink.record(Record::Table {
            name: "audit_events".to_owned(),
            columns: columns.clone(),
        })?;
        let sql = format!(
            "SELECT {} FROM audit_events {AUDIT_EVENTS_BEFORE} ORDER BY chain, seq",
            columns.join(", ")
        );
        let mut copied = 0;
        macro_rules! copy {
            ($pool:expr, $decode:ident) => {{
                let mut rows = sqlx::query(AssertSqlSafe(sql.as_str()))
                    .bind(secs(before))
                    .fetch($pool);
                while let Some(row) = rows.try_next().await.map_err(StoreError::from)? {
                    let cells = (0..columns.len())
                        .map(|i| $decode(&row, i))
                        .collect::<Result<_, _>>()?;
                    sink.record(Record::Row(cells))?;
                    copied += 1;
                }
            }};
        }
        match self {
            Database::Sqlite(pool) => copy!(pool, decode_sqlite),
            Database::Postgres(pool) => copy!(pool, decode_postgres),
        }
        Ok(copied)
    }

    /// The columns of `table`, in their declared order.
    async fn columns(&self, table: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .typed_columns(table)
            .await?
            .into_iter()
            .map(|(name, _)| name)
            .collect())
    }

    /// The columns of `table` with their declared types, upper-case (`BIGINT`, `TEXT`).
    async fn typed_columns(&self, table: &str) -> Result<Vec<(String, String)>, StoreError> {
        let columns: Vec<(String, String)> = match self {
            Database::Sqlite(pool) => {
                sqlx::query_as("SELECT name, type FROM pragma_table_info($1) ORDER BY cid")
                    .bind(table)
                    .fetch_all(pool)
                    .await?
            }
            Database::Postgres(pool) => {
                sqlx::query_as(
                    "SELECT column_name::text, data_type::text FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = $1
                     ORDER BY ordinal_position",
                )
                .bind(table)
                .fetch_all(pool)
                .await?
            }
        };
        Ok(columns
            .into_iter()
            .map(|(name, kind)| (name, kind.to_ascii_uppercase()))
            .collect())
    }

    /// Loads `records` (as [`Database::export`] made them) in one transaction: all of
    /// them or, on any error, none. The database must hold no rows, unless `replace`:
    /// then its rows are deleted in the same transaction, so a failed load keeps them.
    pub async fn import(
        &self,
        records: impl IntoIterator<Item = Result<Record, StoreError>>,
        replace: bool,
    ) -> Result<u64, StoreError> {
        if !replace && let Some(table) = self.tables_with_rows().await?.first() {
            return Err(StoreError::Snapshot(format!(
                "the target database is not empty (table {table} has rows)"
            )));
        }
        let mut loaded = 0;
        let mut insert: Arc<str> = Arc::from("");
        let mut kinds: Vec<String> = Vec::new();
        let mut records = records.into_iter();
        // PostgreSQL keeps identity columns (`GENERATED ALWAYS`) to itself unless told,
        // and their sequences must go on after the highest value loaded.
        let postgres = matches!(self, Database::Postgres(_));
        let overriding = if postgres {
            " OVERRIDING SYSTEM VALUE"
        } else {
            ""
        };
        macro_rules! load {
            ($pool:expr) => {{
                let mut tx = $pool.begin().await?;
                if replace {
                    for table in TABLES.iter().rev() {
                        sqlx::query(AssertSqlSafe(format!("DELETE FROM {table}")))
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                while let Some(record) = records.next().transpose()? {
                    match record {
                        Record::Table { name, columns } => {
                            if !TABLES.contains(&name.as_str()) {
                                return Err(StoreError::Snapshot(format!("unknown table {name}")));
                            }
                            let own = self.typed_columns(&name).await?;
                            if own.iter().map(|(n, _)| n).ne(columns.iter()) {
                                return Err(StoreError::Snapshot(format!(
                                    "table {name} has other columns than the backup's"
                                )));
                            }
                            kinds = own.into_iter().map(|(_, kind)| kind).collect();
                            insert = Arc::from(format!(
                                "INSERT INTO {name} ({}){overriding} VALUES ({})",
                                columns.join(", "),
                                (1..=columns.len())
                                    .map(|i| format!("${i}"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ));
                        }
                        Record::Row(cells) => {
                            if insert.is_empty() {
                                return Err(StoreError::Snapshot("a row before its table".into()));
                            }
                            let mut query = sqlx::query(AssertSqlSafe(Arc::clone(&insert)));
                            if cells.len() != kinds.len() {
                                return Err(StoreError::Snapshot(format!(
                                    "a row of {} values for {} columns",
                                    cells.len(),
                                    kinds.len()
                                )));
                            }
                            for (cell, kind) in cells.into_iter().zip(&kinds) {
                                query = match cell {
                                    // A NULL is bound with its column's type, which
                                    // PostgreSQL checks.
                                    Cell::Null => match kind.as_str() {
                                        "TEXT" => query.bind(None::<String>),
                                        "BYTEA" | "BLOB" => query.bind(None::<Vec<u8>>),
                                        "BOOLEAN" => query.bind(None::<bool>),
                                        _ => query.bind(None::<i64>),
                                    },
                                    // SQLite keeps booleans as integers: a copy
                                    // taken there loads into PostgreSQL too.
                                    Cell::Int(v) if kind == "BOOLEAN" => query.bind(v != 0),
                                    Cell::Int(v) => query.bind(v),
                                    Cell::Bool(v) => query.bind(v),
                                    Cell::Text(v) => query.bind(v),
                                    Cell::Bytes(v) => query.bind(v),
                                };
                            }
                            query.execute(&mut *tx).await?;
                            loaded += 1;
                        }
                    }
                }
                if postgres {
                    let identities: Vec<(String, String)> = sqlx::query_as(
                        "SELECT table_name::text, column_name::text FROM information_schema.columns
                         WHERE table_schema = current_schema() AND is_identity = 'YES'",
                    )
                    .fetch_all(&mut *tx)
                    .await?;
                    for (table, column) in identities {
                        sqlx::query(AssertSqlSafe(format!(
                            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                             COALESCE(MAX({column}), 0) + 1, false) FROM {table}"
                        )))
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                tx.commit().await?;
            }};
        }
        match self {
            Database::Sqlite(pool) => load!(pool),
            Database::Postgres(pool) => load!(pool),
        }
        Ok(loaded)
    }
}
