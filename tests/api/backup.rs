//! Encrypted backups (C9, C17): `skjold backup create|list|verify|restore` against a real
//! server and database, the archives opened with the backup identity as an operator would.

use std::path::Path;
use std::process::Output;

use serde_json::json;
use skjold_ops::backup::{ArchiveReader, ArchiveWriter, Manifest};
use skjold_ops::identity::identities_from;
use skjold_store::{Record, RecordSink};

use crate::emulators::{
    AZURITE_ACCOUNT, AZURITE_KEY, Azurite, S3RVER_KEY_ID, S3RVER_SECRET, S3rver, store_args,
};
use crate::helpers::{
    Backend, Launch, TestApp, TestDatabase, on_both_backends, postgres_admin, skjold,
};
use crate::log_vault::{contains, files_under};
use crate::people::{PASSWORD, person};
use crate::recovery::with_mailbox;

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `skjold backup <args>` with the server's settings and the backup store `backups`.
fn backup(app: &TestApp, args: &[&str]) -> Output {
    let mut all = vec!["backup"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--backup-store", "backups"]);
    app.cli(&all)
}

/// The id of the one backup `create` printed.
fn created_id(out: &Output) -> String {
    assert!(out.status.success(), "{}", text(out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .split_whitespace()
        .nth(1)
        .expect("backup <id> created")
        .to_owned()
}

/// Every record of a backup, opened with the development identity in `keys`.
fn records(dir: &Path, id: &str) -> Vec<Record> {
    let identity = std::fs::read_to_string(dir.join("keys/backup-operator.identity")).unwrap();
    let file = std::fs::File::open(dir.join(format!("backups/{id}.backup"))).unwrap();
    let reader = ArchiveReader::open(
        std::io::BufReader::new(file),
        &identities_from(&identity).unwrap(),
    )
    .unwrap();
    reader.map(Result::unwrap).collect()
}

/// Records without the tables whose rows the restored server's own start changes or
/// that are clocks of their own (none yet): the rows a restore must give back exactly.
fn rows_of(records: &[Record], table: &str) -> usize {
    let mut current = String::new();
    records
        .iter()
        .filter(|r| match r {
            Record::Table { name, .. } => {
                current = name.clone();
                false
            }
            Record::Row(_) => current == table,
        })
        .count()
}

/// Where a restore goes: a new data directory, or a new PostgreSQL database; with the
/// same keyring.
async fn restore_target(backend: Backend) -> (Vec<String>, Option<TestDatabase>) {
    restore_target_in(backend, "restored").await
}

/// [`restore_target`] with the data directory `data_dir`.
async fn restore_target_in(
    backend: Backend,
    data_dir: &str,
) -> (Vec<String>, Option<TestDatabase>) {
    match backend {
        Backend::Sqlite => (vec!["--data-dir".into(), data_dir.into()], None),
        Backend::Postgres => {
            let database = TestDatabase::create(postgres_admin().unwrap()).await;
            (
                vec![
                    "--data-dir".into(),
                    data_dir.into(),
                    "--database-url".into(),
                    database.url(),
                ],
                Some(database),
            )
        }
    }
}

fn restore(dir: &Path, id: &str, target: &[String], extra: &[&str]) -> Output {
    skjold(dir)
        .args([
            "backup",
            "restore",
            id,
            "--key-dir",
            "keys",
            "--backup-store",
            "backups",
        ])
        .args(target)
        .args(extra)
        .output()
        .unwrap()
}

on_both_backends! {
    async fn c9_a_backup_taken_under_write_load_restores_every_row(backend: Backend) {
        let Some((app, mailbox)) = with_mailbox(backend).await else { return };
        let (token, me) = person(&app, &mailbox, "ola@example.no").await;
        let account = me["memberships"][0]["account_id"].as_str().unwrap().to_owned();
        let contacts = format!("/api/v1/accounts/{account}/contacts");
        for i in 0..20 {
            let (status, body) = app.post_json(&contacts, json!({"name": format!("Kari {i}"), "national_id": "17058510068", "tags": ["kunde"]}), Some(&token)).await;
            assert_eq!(status, 201, "{body}");
        }

        // Writers keep going while the backup is taken.
        let app = std::sync::Arc::new(app);
        let writer = {
            let (app, token, contacts) = (app.clone(), token.clone(), contacts.clone());
            tokio::spawn(async move {
                let mut written = 0;
                loop {
                    let (status, _) = app.post_json(&contacts, json!({"name": "Under load", "tags": ["a", "b"]}), Some(&token)).await;
                    if status != 201 { break written; }
                    written += 1;
                    if written >= 400 { break written; }
                }
            })
        };
        let created = { let app = app.clone(); tokio::task::spawn_blocking(move || backup(&app, &["create"])).await.unwrap() };
        let id = created_id(&created);
        let written = writer.await.unwrap();
        assert!(written > 0);
        let dir = app.dir.path().to_owned();

        let listed = text(&backup(&app, &["list"]));
        assert!(listed.contains(&id), "{listed}");
        let verified = backup(&app, &["verify", &id]);
        assert!(verified.status.success(), "{}", text(&verified));
        assert!(text(&verified).contains("intact"), "{}", text(&verified));

        // Nothing in the store is readable without the backup identity.
        for file in std::fs::read_dir(dir.join("backups")).unwrap() {
            let path = file.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            assert!(!bytes.windows(6).any(|w| w == b"Kari 1"), "{} holds clear text", path.display());
        }

        // The copy is of one moment: whole contacts with their tags, as many as were
        // written by then.
        let taken = records(&dir, &id);
        let copied = rows_of(&taken, "contacts");
        assert!((20..=20 + written as usize).contains(&copied), "{copied}");
        assert_eq!(rows_of(&taken, "contact_tags"), 20 + 2 * (copied - 20), "tags of exactly the contacts copied");

        // Restored into an empty database, it is the same rows: a backup of the restored
        // database holds the same records.
        let (target, _database) = restore_target(backend).await;
        let restored = restore(&dir, &id, &target, &[]);
        assert!(restored.status.success(), "{}", text(&restored));
        let again = skjold(&dir).args(["backup", "create", "--key-dir", "keys", "--backup-store", "backups"]).args(&target).output().unwrap();
        let again = created_id(&again);
        assert_eq!(records(&dir, &again), taken, "every row identical after the restore");

        // A second restore into the now full database is refused, and --force replaces.
        let refused = restore(&dir, &id, &target, &[]);
        assert!(!refused.status.success());
        assert!(text(&refused).contains("not empty"), "{}", text(&refused));
        let forced = restore(&dir, &id, &target, &["--force"]);
        assert!(forced.status.success(), "{}", text(&forced));

        // The restored database serves: the same person signs in and reads a contact.
        let Ok(mut app) = std::sync::Arc::try_unwrap(app) else { panic!("the writer is done") };
        assert!(app.stop().await.success());
        let mut launch = app.relaunch();
        if backend == Backend::Sqlite {
            std::fs::rename(dir.join("data"), dir.join("before")).unwrap();
            std::fs::rename(dir.join("restored"), dir.join("data")).unwrap();
        } else {
            launch.database = _database.map(std::sync::Arc::new);
        }
        let served = launch.start().await;
        let token = served.sign_in("ola@example.no", PASSWORD).await.unwrap();
        let (status, list) = served.get_json(&contacts, &token).await;
        assert_eq!(status, 200, "{list}");
        assert!(list.to_string().contains("Kari 7"), "{list}");
    }

    async fn c9_a_damaged_or_foreign_backup_is_refused(backend: Backend) {
        let Some(launch) = Launch::new(backend).await else { return };
        let app = launch.start().await;
        assert_eq!(app.get("/healthz").await.status(), 200);
        let id = created_id(&backup(&app, &["create"]));
        let dir = app.dir.path().to_owned();
        let archive = dir.join(format!("backups/{id}.backup"));
        let original = std::fs::read(&archive).unwrap();
        let (target, _database) = restore_target(backend).await;

        // One flipped byte: verify and restore both refuse, and nothing is restored.
        let mut flipped = original.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x40;
        std::fs::write(&archive, &flipped).unwrap();
        let verified = backup(&app, &["verify", &id]);
        assert!(!verified.status.success());
        assert!(text(&verified).contains("damaged"), "{}", text(&verified));
        let restored = restore(&dir, &id, &target, &[]);
        assert!(!restored.status.success());
        assert!(text(&restored).contains("damaged"), "{}", text(&restored));
        std::fs::write(&archive, &original).unwrap();

        // The server's own key material does not open a backup: not the log vault's
        // identity, and the backup needs its own identity file.
        let other = restore(&dir, &id, &target, &["--identity", "keys/log-operator.identity"]);
        assert!(!other.status.success());
        assert!(text(&other).contains("cannot open backup"), "{}", text(&other));

        // A production backup is not restored into another environment.
        let identity = identities_from(&std::fs::read_to_string(dir.join("keys/backup-operator.identity")).unwrap()).unwrap();
        let manifest_path = dir.join(format!("backups/{}", Manifest::manifest_name(&id)));
        let mut manifest: Manifest = serde_json::from_str(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
        let mut reader = ArchiveReader::open(&original[..], &identity).unwrap();
        let mut header = reader.header.clone();
        header.environment = "production".to_owned();
        let mut writer = ArchiveWriter::new(Vec::new(), &header, &[identity[0].to_public()]).unwrap();
        while let Some(record) = reader.next_record().unwrap() {
            writer.record(record).unwrap();
        }
        let (bytes, sealed) = writer.finish().unwrap();
        std::fs::write(&archive, &bytes).unwrap();
        manifest.environment = "production".to_owned();
        manifest.archive_sha256 = sealed.archive_sha256;
        manifest.archive_bytes = sealed.archive_bytes;
        std::fs::write(&manifest_path, serde_json::to_string(&manifest).unwrap()).unwrap();
        assert!(backup(&app, &["verify", &id]).status.success(), "a sound archive");
        let refused = restore(&dir, &id, &target, &[]);
        assert!(!refused.status.success());
        assert!(text(&refused).contains("is of the production environment"), "{}", text(&refused));
    }

    async fn c9_a_restore_erases_again_what_was_erased_after_its_backup(backend: Backend) {
        let mailbox = crate::mailbox::Mailbox::start().await;
        let Some(launch) = Launch::new(backend).await else { return };
        let app = launch.mail_to(&mailbox).arg("--backup-store").arg("backups").start().await;
        let (token, me) = person(&app, &mailbox, "ola@example.no").await;
        let account = me["memberships"][0]["account_id"].as_str().unwrap().to_owned();
        let contacts = format!("/api/v1/accounts/{account}/contacts");
        let mut ids = Vec::new();
        for name in ["Kari Slettet", "Per Beholdt"] {
            let (status, body) = app.post_json(&contacts, json!({"name": name, "email": "kari.slettet@example.no"}), Some(&token)).await;
            assert_eq!(status, 201, "{body}");
            ids.push(body["id"].as_str().unwrap().to_owned());
        }
        let id = created_id(&backup(&app, &["create"]));
        let dir = app.dir.path().to_owned();

        // Kari asks to be erased after the backup: the ledger records a keyed hash, and
        // nothing that names her, her contact or her account.
        let (status, _) = app.send_json(reqwest::Method::DELETE, &format!("{contacts}/{}", ids[0]), json!({}), Some(&token)).await;
        assert_eq!(status, 204);
        let ledger: Vec<_> = std::fs::read_dir(dir.join("backups/erasures")).unwrap().map(|e| e.unwrap().path()).collect();
        assert_eq!(ledger.len(), 1, "{ledger:?}");
        let entry = std::fs::read_to_string(&ledger[0]).unwrap();
        for clear in [ids[0].as_str(), account.as_str(), "Kari", "kari.slettet"] {
            assert!(!entry.contains(clear), "{clear} in the ledger: {entry}");
        }
        // An unknown contact is not recorded.
        let (status, _) = app.send_json(reqwest::Method::DELETE, &format!("{contacts}/{}", ids[0]), json!({}), Some(&token)).await;
        assert_eq!(status, 404);
        assert_eq!(std::fs::read_dir(dir.join("backups/erasures")).unwrap().count(), 1);

        // The restore brings her back from the backup and erases her again before anything
        // serves; the other contact stays, and the audit trail says what happened.
        let (target, _database) = restore_target(backend).await;
        let restored = restore(&dir, &id, &target, &[]);
        assert!(restored.status.success(), "{}", text(&restored));
        assert!(text(&restored).contains("1 erasure recorded after the backup applied again"), "{}", text(&restored));
        let after = created_id(&skjold(&dir).args(["backup", "create", "--key-dir", "keys", "--backup-store", "backups"]).args(&target).output().unwrap());
        let copy = records(&dir, &after);
        assert_eq!(rows_of(&copy, "contacts"), 1, "only the contact never erased");
        let rendered = format!("{copy:?}");
        assert!(rendered.contains("erasure_reapplied") && rendered.contains(&ids[0]), "audited");

        // The operator who says the erasure itself was the accident keeps her, on record.
        let (target, _database) = restore_target_in(backend, "kept").await;
        let kept = restore(&dir, &id, &target, &["--keep-erased"]);
        assert!(kept.status.success(), "{}", text(&kept));
        assert!(text(&kept).contains("kept 1 erased"), "{}", text(&kept));
        let after = created_id(&skjold(&dir).args(["backup", "create", "--key-dir", "keys", "--backup-store", "backups"]).args(&target).output().unwrap());
        let copy = records(&dir, &after);
        assert_eq!(rows_of(&copy, "contacts"), 2);
        assert!(format!("{copy:?}").contains("erasure_not_reapplied"), "audited");
    }
}

#[tokio::test]
async fn c9_a_backup_identity_is_made_for_the_operator_and_its_secret_is_not_printed() {
    let dir = tempfile::tempdir().unwrap();
    let made = skjold(dir.path())
        .args(["backup", "new-identity", "--out", "backup.identity"])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", text(&made));
    let out = text(&made);
    assert!(out.contains("backup_recipients = [\"age1"), "{out}");
    let identity = std::fs::read_to_string(dir.path().join("backup.identity")).unwrap();
    let secret = identity
        .lines()
        .find(|l| l.starts_with("AGE-SECRET-KEY-"))
        .unwrap();
    assert!(!out.contains(secret), "the secret key is not printed");
}

/// One backup a simulated day for 120 days, pruned every day, with the clock moved
/// forward through `--test-clock-file`: what is left is exactly what the policy says.
#[tokio::test]
async fn c9_retention_keeps_30_days_whole_one_a_week_to_90_and_nothing_older() {
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let mut app = launch.start().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    assert!(app.stop().await.success());
    let dir = app.dir.path().to_owned();
    let run = |args: &[&str]| {
        let mut all = vec!["backup"];
        all.extend_from_slice(args);
        all.extend_from_slice(&[
            "--backup-store",
            "backups",
            "--test-clock-file",
            "clock.txt",
        ]);
        let out = app.cli(&all);
        assert!(out.status.success(), "{}", text(&out));
        out
    };
    let mut taken = Vec::new();
    for day in 0..120 {
        std::fs::write(dir.join("clock.txt"), (day * 86_400).to_string()).unwrap();
        let id = created_id(&run(&["create"]));
        let manifest: Manifest = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("backups/{}", Manifest::manifest_name(&id))))
                .unwrap(),
        )
        .unwrap();
        taken.push((id, manifest.created_at));
        run(&["prune"]);
    }
    let now = time::OffsetDateTime::now_utc() + time::Duration::days(119);
    let week = |at: time::OffsetDateTime| at.unix_timestamp().div_euclid(7 * 86_400);
    let expected: Vec<&str> = taken
        .iter()
        .filter(|(_, at)| {
            let age = now - *at;
            let newest_of_its_week = !taken.iter().any(|(_, other)| {
                week(*other) == week(*at) && other > at && now - *other <= time::Duration::days(90)
            });
            age < time::Duration::days(30)
                || (age <= time::Duration::days(90) && newest_of_its_week)
        })
        .map(|(id, _)| id.as_str())
        .collect();
    let listed = String::from_utf8(run(&["list"]).stdout).unwrap();
    let left: Vec<&str> = listed
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(left, expected);
    assert!(
        (37..=41).contains(&left.len()),
        "30 days whole and 8 or 9 weeks: {}",
        left.len()
    );
    assert_eq!(
        std::fs::read_dir(dir.join("backups")).unwrap().count(),
        2 * left.len(),
        "archive and manifest of each, nothing else"
    );

    // Settings outside 30 ≤ min ≤ max ≤ 90 are refused.
    for (flag, days, says) in [
        ("--backup-min-days", "20", "at least 30"),
        ("--backup-max-days", "120", "past 90"),
    ] {
        let out = app.cli(&["backup", "prune", "--backup-store", "backups", flag, days]);
        assert!(!out.status.success());
        assert!(text(&out).contains(says), "{}", text(&out));
    }
}

/// The server takes the day's backup in its hour; a failed one and a missing one are
/// security events.
#[tokio::test]
async fn c9_the_server_backs_up_daily_and_raises_failures_and_overdue_backups() {
    let hour = time::OffsetDateTime::now_utc().hour().to_string();
    let wait_for = |app: &TestApp, what: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !app.output().contains(what) {
            assert!(
                std::time::Instant::now() < deadline,
                "no {what:?} in {}",
                app.output()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };

    // In its hour, the server takes a backup into the store, and it verifies.
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let mut app = launch
        .arg("--backup-hour")
        .arg(&hour)
        .arg("--backup-store")
        .arg("backups")
        .start()
        .await;
    wait_for(&app, "backup created");
    assert!(app.stop().await.success());
    let listed = String::from_utf8(backup(&app, &["list"]).stdout).unwrap();
    let id = listed
        .split_whitespace()
        .next()
        .expect("one backup")
        .to_owned();
    assert!(backup(&app, &["verify", &id]).status.success());

    // A backup that cannot be written is a security event and an alert. (Another
    // database: this one's backup for today is taken.)
    let mut launch = Launch::new(Backend::Sqlite).await.unwrap();
    let dir = launch
        .dir
        .get_or_insert_with(|| std::sync::Arc::new(tempfile::tempdir().unwrap()))
        .path()
        .to_owned();
    std::fs::write(dir.join("not-a-directory"), "").unwrap();
    let mut broken = launch
        .arg("--backup-hour")
        .arg(&hour)
        .arg("--backup-store")
        .arg("not-a-directory/backups")
        .start()
        .await;
    wait_for(&broken, "the scheduled backup failed");
    wait_for(&broken, "backup_failed");
    assert!(broken.stop().await.success());

    // Out of its hour, with the newest backup 30 hours old, the server raises an alert.
    std::fs::write(app.dir.path().join("clock.txt"), (30 * 3600).to_string()).unwrap();
    let other_hour = ((time::OffsetDateTime::now_utc().hour() + 12) % 24).to_string();
    let late = app
        .relaunch()
        .arg("--backup-hour")
        .arg(&other_hour)
        .arg("--backup-store")
        .arg("backups")
        .arg("--test-clock-file")
        .arg("clock.txt")
        .start()
        .await;
    wait_for(&late, "backup_overdue");
    assert!(!late.output().contains("backup created"), "not in its hour");
}

#[tokio::test]
async fn c9_backups_go_to_azure_blob_storage_and_restore_from_there() {
    let emulator = tempfile::tempdir().unwrap();
    let Some(azurite) = Azurite::start(emulator.path(), "backups").await else {
        return;
    };
    let store = store_args(
        "backup",
        "azure://backups",
        AZURITE_ACCOUNT,
        &azurite.endpoint,
    );
    let store: Vec<&str> = store.iter().map(String::as_str).collect();
    backups_in_object_storage(&store, AZURITE_KEY, emulator.path()).await;
}

#[tokio::test]
async fn c9_backups_go_to_s3_compatible_storage_and_restore_from_there() {
    let emulator = tempfile::tempdir().unwrap();
    let Some(s3) = S3rver::start(emulator.path(), "backups").await else {
        return;
    };
    let store = store_args("backup", "s3://backups", S3RVER_KEY_ID, &s3.endpoint);
    let store: Vec<&str> = store.iter().map(String::as_str).collect();
    backups_in_object_storage(&store, S3RVER_SECRET, emulator.path()).await;
}

/// With the backup store in object storage (`store`, its key in `store.key`): the
/// server records an erasure there, and `skjold backup create`, `list`, `verify`,
/// `restore` and `prune` work against it; nothing is kept on local disk, and what the
/// emulator keeps in `emulator_dir` is ciphertext and keyed hashes.
async fn backups_in_object_storage(store: &[&str], key: &str, emulator_dir: &Path) {
    let mailbox = crate::mailbox::Mailbox::start().await;
    let Some(mut launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let dir = launch
        .dir
        .get_or_insert_with(|| std::sync::Arc::new(tempfile::tempdir().unwrap()))
        .path()
        .to_owned();
    std::fs::write(dir.join("store.key"), key).unwrap();
    let app = store
        .iter()
        .fold(launch.mail_to(&mailbox), |l, a| l.arg(*a))
        .start()
        .await;
    let (token, me) = person(&app, &mailbox, "ola@example.no").await;
    let account = me["memberships"][0]["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let contacts = format!("/api/v1/accounts/{account}/contacts");
    let mut ids = Vec::new();
    for name in ["Kari Skyslettet", "Per Skybeholdt"] {
        let (status, body) = app
            .post_json(&contacts, json!({"name": name}), Some(&token))
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let run = |args: &[&str]| {
        let mut all = vec!["backup"];
        all.extend_from_slice(args);
        all.extend_from_slice(store);
        all.extend_from_slice(&["--test-clock-file", "clock.txt"]);
        app.cli(&all)
    };
    std::fs::write(dir.join("clock.txt"), "0").unwrap();

    let created = run(&["create"]);
    let id = created_id(&created);
    let url = store[1];
    assert!(
        text(&created).contains(&format!("stored in {url}/{id}.backup")),
        "{}",
        text(&created)
    );
    assert!(
        !dir.join("skjold-backups").exists() && !dir.join("backups").exists(),
        "nothing was kept on local disk"
    );
    let listed = run(&["list"]);
    assert!(
        listed.status.success() && text(&listed).starts_with(&id),
        "{}",
        text(&listed)
    );
    let verified = run(&["verify", &id]);
    assert!(verified.status.success(), "{}", text(&verified));
    assert!(text(&verified).contains("intact"), "{}", text(&verified));

    // An erasure after the backup goes to the ledger in the same store, and the restore
    // applies it.
    let (status, _) = app
        .send_json(
            reqwest::Method::DELETE,
            &format!("{contacts}/{}", ids[0]),
            json!({}),
            Some(&token),
        )
        .await;
    assert_eq!(status, 204);
    let restored = skjold(&dir)
        .args([
            "backup",
            "restore",
            &id,
            "--key-dir",
            "keys",
            "--data-dir",
            "restored",
        ])
        .args(store)
        .output()
        .unwrap();
    assert!(restored.status.success(), "{}", text(&restored));
    assert!(
        text(&restored)
            .contains("1 erasure recorded after the backup applied again: 1 contacts erased"),
        "{}",
        text(&restored)
    );
    let copy = created_id(
        &skjold(&dir)
            .args([
                "backup",
                "create",
                "--key-dir",
                "keys",
                "--data-dir",
                "restored",
            ])
            .args(["--backup-store", "backups"])
            .output()
            .unwrap(),
    );
    let copied = records(&dir, &copy);
    assert_eq!(
        rows_of(&copied, "contacts"),
        1,
        "only the contact never erased"
    );

    // What the service keeps: no name, no contact id in clear.
    let objects = files_under(emulator_dir);
    assert!(!objects.is_empty());
    for object in objects {
        let bytes = std::fs::read(&object).unwrap();
        for clear in ["Skyslettet", "Skybeholdt", ids[0].as_str()] {
            assert!(
                !contains(&bytes, clear),
                "{} holds {clear}",
                object.display()
            );
        }
    }

    // 100 days on, retention deletes the backup and the ledger entry no backup needs.
    std::fs::write(dir.join("clock.txt"), (100 * 86_400).to_string()).unwrap();
    let pruned = run(&["prune"]);
    assert!(pruned.status.success(), "{}", text(&pruned));
    let pruned = text(&pruned);
    assert!(pruned.contains(&format!("deleted backup {id}")), "{pruned}");
    assert!(
        pruned.contains("1 erasure ledger entries older than every backup deleted"),
        "{pruned}"
    );
    assert!(
        text(&run(&["list"])).contains(&format!("no backups in {url}")),
        "the store is empty"
    );
}
