//! The log vault (C10): no secret reaches a log or any file the server writes; segments
//! are encrypted to the operator, hash-chained, crash-safe, and expire.

use std::path::{Path, PathBuf};
use std::process::Output;

use reqwest::Method;
use serde_json::json;
use skjold_ops::segment::{GENESIS, SegmentHeader, hash_of, seal};
use time::{Duration, OffsetDateTime};

use crate::emulators::{
    AZURITE_ACCOUNT, AZURITE_KEY, Azurite, S3RVER_KEY_ID, S3RVER_SECRET, S3rver, store_args,
};
use crate::helpers::{Backend, Launch, TestApp, on_both_backends, skjold};
use crate::mailbox::Mailbox;
use crate::people::{PASSWORD, person};

const EMAIL: &str = "kari@a.example";

/// `skjold logs <args>` in `dir`, against the log store and keys there.
fn logs(dir: &Path, args: &[&str]) -> Output {
    skjold(dir)
        .arg("logs")
        .args(args)
        .output()
        .expect("running skjold logs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every file under `dir`, recursively.
pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

pub(crate) fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The segment files of the one instance in `store`, in chain order.
fn segments(store: &Path) -> Vec<PathBuf> {
    let instance = std::fs::read_dir(store)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .unwrap();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&instance)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    names.sort();
    names
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// A server whose segments are sealed every kibibyte, so a few requests make several.
async fn small_segments(backend: Backend) -> Option<TestApp> {
    let launch = Launch::new(backend).await?;
    Some(
        launch
            .arg("--log-segment-kib")
            .arg("1")
            .arg("--log-segment-seconds")
            .arg("1")
            .start()
            .await,
    )
}

on_both_backends! {
    async fn c10_no_secret_reaches_the_logs_or_any_file_the_server_writes(backend: Backend) {
        let mailbox = Mailbox::start().await;
        let Some(launch) = Launch::new(backend).await else { return };
        // Debug logs from every library, and the reasons of refused requests, which quote
        // what a body held: the more is logged, the more could leak.
        let mut app = launch.mail_to(&mailbox).arg("--log").arg("debug").start().await;
        let (token, me) = person(&app, &mailbox, EMAIL).await;
        let account = me["memberships"][0]["account_id"].as_str().unwrap().to_owned();

        let (status, setup) = app.post_json("/api/v1/me/second-step/totp", json!({"password": PASSWORD}), Some(&token)).await;
        assert_eq!(status, 201, "{setup}");
        let totp_secret = setup["secret"].as_str().unwrap().to_owned();
        const CARD: &str = "4111 1111 1111 1111";
        const NATIONAL_ID: &str = "17058510068";
        let contact = json!({"name": "Ola Nordmann", "national_id": NATIONAL_ID, "notes": format!("card {CARD}")});
        let path = format!("/api/v1/accounts/{account}/contacts");
        assert_eq!(app.post_json(&path, contact, Some(&token)).await.0, 201);

        // Error paths: secrets in a query string, a path, a broken body, a wrong password,
        // a made-up bearer token and cookie.
        let bogus = "skjs_Bogus0Token1That2Looks3Real4And5Is6Long7Enough8";
        let _ = app.client.get(app.url(&format!("/api/v1/me?password={PASSWORD}&card={CARD}")))
            .header("authorization", format!("Bearer {bogus}"))
            .header("cookie", format!("__Host-session={bogus}"))
            .send().await.unwrap();
        let _ = app.client.post(app.url(&format!("/api/v1/invitations/{bogus}/accept")))
            .bearer_auth(&token).json(&json!({})).send().await.unwrap();
        let broken = format!("{{\"email\": \"{EMAIL}\", \"password\": \"{PASSWORD}\", \"national_id\": \"{NATIONAL_ID}\"");
        let _ = app.client.post(app.url("/api/v1/sessions")).header("content-type", "application/json")
            .body(broken).send().await.unwrap();
        let _ = app.post_json("/api/v1/sessions", json!({"email": EMAIL, "password": format!("{PASSWORD} {CARD}")}), None).await;
        let _ = app.send_json(Method::PATCH, &format!("{path}/not-a-contact"), json!({"national_id": NATIONAL_ID, "notes": CARD}), Some(&token)).await;
        for tags in [CARD, NATIONAL_ID] {
            let (status, problem) = app.post_json(&path, json!({"name": "Kari", "tags": tags}), Some(&token)).await;
            assert_eq!(status, 422, "{problem}");
            assert!(problem["detail"].as_str().unwrap().contains(tags), "the client is told what it sent: {problem}");
        }
        assert!(app.stop().await.success());

        let secrets = [PASSWORD, totp_secret.as_str(), token.as_str(), bogus, CARD, "4111111111111111", NATIONAL_ID];
        let out = logs(app.dir.path(), &["read", "--data-dir", "data", "--key-dir", "keys"]);
        assert!(out.status.success(), "{}", text(&out));
        let decrypted = String::from_utf8(out.stdout).unwrap();
        assert!(decrypted.lines().count() > 20, "debug lines were logged: {decrypted}");
        assert!(decrypted.contains("request finished") && decrypted.contains("database closed; stopped"), "{decrypted}");
        let refused = decrypted.lines().filter(|l| l.contains("request refused") && l.contains("invalid type: string") && l.contains("[redacted]"));
        assert_eq!(refused.count(), 2, "the refusals were logged, the values they quote redacted: {decrypted}");
        let written: Vec<(String, Vec<u8>)> = files_under(&app.data_dir())
            .into_iter()
            .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
            .chain([("stdout and stderr".to_owned(), app.output().into_bytes())])
            .chain([("the decrypted log".to_owned(), decrypted.into_bytes())])
            .collect();
        assert!(written.iter().any(|(p, _)| p.ends_with(".seg")), "segments were written");
        for secret in secrets {
            for (place, bytes) in &written {
                assert!(!contains(bytes, secret), "{secret:?} reached {place}");
            }
        }
    }

    async fn c10_logs_verify_names_a_deleted_a_modified_and_a_swapped_segment(backend: Backend) {
        let Some(mut app) = small_segments(backend).await else { return };
        for _ in 0..40 {
            assert_eq!(app.get("/healthz").await.status(), 200);
        }
        assert!(app.stop().await.success());
        let dir = app.dir.path();
        let store = app.data_dir().join("logs");
        let verify = |extra: &[&str]| {
            let mut args = vec!["verify", "--log-store", "data/logs", "--key-dir", "keys"];
            args.extend_from_slice(extra);
            logs(dir, &args)
        };
        let intact = verify(&["--identity", "keys/log-operator.identity"]);
        assert!(intact.status.success(), "{}", text(&intact));
        assert!(text(&intact).contains("chain intact"));
        let all = segments(&store);
        assert!(all.len() >= 6, "{} segments", all.len());
        let (second, third, fourth) = (all[1].clone(), all[2].clone(), all[3].clone());
        let restore: Vec<(PathBuf, Vec<u8>)> = all.iter().map(|p| (p.clone(), std::fs::read(p).unwrap())).collect();
        let put_back = || for (p, bytes) in &restore { std::fs::write(p, bytes).unwrap() };

        // Deleted.
        std::fs::remove_file(&third).unwrap();
        let out = verify(&[]);
        assert!(!out.status.success());
        assert!(text(&out).contains(&format!("{}: segments 3 to 3 are missing", name(&fourth))), "{}", text(&out));
        put_back();

        // Modified: the next segment's record of its hash gives it away; the key, itself.
        let mut bytes = std::fs::read(&second).unwrap();
        let last = bytes.len() - 10;
        bytes[last] ^= 0x01;
        std::fs::write(&second, bytes).unwrap();
        let out = verify(&[]);
        assert!(!out.status.success());
        assert!(text(&out).contains(&format!("{}: the chain breaks here", name(&third))), "{}", text(&out));
        let out = verify(&["--identity", "keys/log-operator.identity"]);
        assert!(text(&out).contains(&format!("{}: altered", name(&second))), "{}", text(&out));
        put_back();

        // Swapped.
        std::fs::write(&second, &restore[2].1).unwrap();
        std::fs::write(&third, &restore[1].1).unwrap();
        let out = verify(&[]);
        assert!(!out.status.success());
        assert!(text(&out).contains(&format!("{}: out of order", name(&second))), "{}", text(&out));
        put_back();

        // The newest segment, changed: only opening it can tell.
        let newest = all.last().unwrap();
        let mut bytes = std::fs::read(newest).unwrap();
        let last = bytes.len() - 10;
        bytes[last] ^= 0x01;
        std::fs::write(newest, bytes).unwrap();
        let out = verify(&["--identity", "keys/log-operator.identity"]);
        assert!(text(&out).contains(&format!("{}: altered", name(newest))), "{}", text(&out));
        put_back();
        assert!(verify(&[]).status.success());
    }

    async fn c10_a_sigkill_while_writing_leaves_every_sealed_segment_readable(backend: Backend) {
        let Some(mut app) = small_segments(backend).await else { return };
        let load: Vec<_> = (0..8)
            .map(|_| {
                let (client, url) = (app.client.clone(), app.url("/healthz"));
                tokio::spawn(async move { while client.get(&url).send().await.is_ok() {} })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        app.kill();
        for task in load {
            task.abort();
        }
        let identity = ["--identity", "keys/log-operator.identity"];
        let verify = |dir: &Path| logs(dir, &[&["verify", "--data-dir", "data", "--key-dir", "keys"][..], &identity[..]].concat());
        let out = verify(app.dir.path());
        assert!(out.status.success(), "every sealed segment opens: {}", text(&out));
        let sealed = segments(&app.data_dir().join("logs")).len();
        assert!(sealed >= 2, "{sealed} segments sealed before the kill");

        // A restart continues the chain after the last sealed segment.
        let mut app = app.relaunch().arg("--log-segment-kib").arg("1").start().await;
        assert_eq!(app.get("/healthz").await.status(), 200);
        assert!(app.stop().await.success());
        let out = verify(app.dir.path());
        assert!(out.status.success(), "{}", text(&out));
        assert!(segments(&app.data_dir().join("logs")).len() > sealed);
    }
}

/// A chain of segments of `instance` in `store`, the `n`-th ending `ages[n]` ago,
/// sealed to a new identity left in `store/operator.identity`.
fn old_segments(store: &Path, instance: &str, ages: &[Duration]) {
    let (identity, recipient) = skjold_ops::identity::new_identity_file("test");
    std::fs::create_dir_all(store).unwrap();
    std::fs::write(store.join("operator.identity"), identity).unwrap();
    let recipients = skjold_ops::identity::recipients_from(&[recipient]).unwrap();
    let dir = store.join(instance);
    std::fs::create_dir_all(&dir).unwrap();
    let mut prev = GENESIS.to_owned();
    let now = OffsetDateTime::now_utc();
    for (i, age) in ages.iter().enumerate() {
        let header = SegmentHeader {
            instance: instance.to_owned(),
            seq: i as u64 + 1,
            first_at: now - *age - Duration::minutes(5),
            last_at: now - *age,
            lines: 1,
            prev_hash: prev.clone(),
        };
        let file = seal(&header, b"{\"message\":\"old\"}\n", &recipients).unwrap();
        prev = hash_of(&file);
        std::fs::write(dir.join(header.file_name()), file).unwrap();
    }
}

#[tokio::test]
async fn c10_retention_deletes_exactly_the_segments_past_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let ages = [
        Duration::days(120),
        Duration::days(91),
        Duration::days(89),
        Duration::hours(1),
    ];
    old_segments(&store, "node-a", &ages);
    let before: Vec<String> = segments(&store).iter().map(|p| name(p)).collect();

    let refused = logs(
        dir.path(),
        &["prune", "--log-store", "store", "--retention-days", "91"],
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("at most 90 days"),
        "{}",
        text(&refused)
    );
    assert_eq!(segments(&store).len(), 4, "nothing deleted");

    let out = logs(
        dir.path(),
        &["prune", "--log-store", "store", "--retention-days", "90"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let after: Vec<String> = segments(&store).iter().map(|p| name(p)).collect();
    assert_eq!(
        after,
        before[2..],
        "the 120- and 91-day-old segments went, the rest stayed"
    );
    assert!(
        text(&out).contains(&format!("deleted node-a/{}", before[0])),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("log segments past their retention deleted"),
        "the deletion is logged: {}",
        text(&out)
    );
    let verify = logs(
        dir.path(),
        &[
            "verify",
            "--log-store",
            "store",
            "--identity",
            "store/operator.identity",
        ],
    );
    assert!(
        verify.status.success(),
        "retention is not tampering: {}",
        text(&verify)
    );

    // Shorter is allowed.
    let out = logs(
        dir.path(),
        &["prune", "--log-store", "store", "--retention-days", "1"],
    );
    assert!(out.status.success());
    assert_eq!(segments(&store).len(), 1);
}

#[tokio::test]
async fn c10_a_server_prunes_once_a_day_and_logs_it() {
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let mut probe = launch;
    let dir = probe
        .dir
        .get_or_insert_with(|| std::sync::Arc::new(tempfile::tempdir().unwrap()))
        .path()
        .to_owned();
    old_segments(
        &dir.join("shared-logs"),
        "old-node",
        &[Duration::days(100), Duration::days(2)],
    );
    let mut app = probe
        .arg("--log-store")
        .arg("shared-logs")
        .arg("--log-retention-days")
        .arg("30")
        .start()
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !app
        .output()
        .contains("log segments past their retention deleted")
    {
        assert!(std::time::Instant::now() < deadline, "{}", app.output());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(app.stop().await.success());
    let left = std::fs::read_dir(dir.join("shared-logs/old-node"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "seg")
        })
        .count();
    assert_eq!(left, 1, "only the 100-day-old segment went");

    let refused = Launch::new(Backend::Sqlite)
        .await
        .unwrap()
        .arg("--log-retention-days")
        .arg("120")
        .command()
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("at most 90 days"));
}

#[tokio::test]
async fn c10_segments_go_to_azure_blob_storage_and_read_back_from_there() {
    let emulator = tempfile::tempdir().unwrap();
    let Some(azurite) = Azurite::start(emulator.path(), "logs").await else {
        return;
    };
    let store = store_args("log", "azure://logs", AZURITE_ACCOUNT, &azurite.endpoint);
    let store: Vec<&str> = store.iter().map(String::as_str).collect();
    segments_go_to_object_storage(&store, AZURITE_KEY, emulator.path()).await;
}

#[tokio::test]
async fn c10_segments_go_to_s3_compatible_storage_and_read_back_from_there() {
    let emulator = tempfile::tempdir().unwrap();
    let Some(s3) = S3rver::start(emulator.path(), "logs").await else {
        return;
    };
    let store = store_args("log", "s3://logs", S3RVER_KEY_ID, &s3.endpoint);
    let store: Vec<&str> = store.iter().map(String::as_str).collect();
    segments_go_to_object_storage(&store, S3RVER_SECRET, emulator.path()).await;

    // Credentials the service does not know are refused, loudly, and the secret is not
    // repeated in the message.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("store.key"), "not the secret").unwrap();
    let mut args = vec!["list"];
    args.extend_from_slice(&store);
    args[4] = "SOMEONE-ELSE";
    let out = logs(dir.path(), &args);
    assert!(!out.status.success());
    assert!(text(&out).contains("InvalidAccessKeyId"), "{}", text(&out));
    assert!(!text(&out).contains("not the secret"), "{}", text(&out));
}

/// A server whose log store is the object store `store` names (its key in `store.key`)
/// writes segments there, `skjold logs` verifies and reads them from there, nothing is
/// kept on local disk, and what the emulator keeps in `emulator_dir` is ciphertext.
async fn segments_go_to_object_storage(store: &[&str], key: &str, emulator_dir: &Path) {
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let mut launch = launch;
    let dir = launch
        .dir
        .get_or_insert_with(|| std::sync::Arc::new(tempfile::tempdir().unwrap()))
        .path()
        .to_owned();
    std::fs::write(dir.join("store.key"), key).unwrap();
    let mut app = store
        .iter()
        .fold(launch, |l, a| l.arg(*a))
        .arg("--log-segment-kib")
        .arg("1")
        .start()
        .await;
    for _ in 0..20 {
        assert_eq!(app.get("/healthz").await.status(), 200);
    }
    assert!(app.stop().await.success());
    assert!(
        !app.data_dir().join("logs").exists(),
        "nothing was kept on local disk"
    );

    let with_store = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(store);
        all.extend_from_slice(&["--key-dir", "keys"]);
        logs(&dir, &all)
    };
    let out = with_store(&["verify", "--identity", "keys/log-operator.identity"]);
    assert!(out.status.success(), "{}", text(&out));
    let listed = text(&with_store(&["list"]));
    assert!(
        listed.lines().count() >= 3,
        "several segments in the store: {listed}"
    );
    let read = with_store(&["read"]);
    assert!(read.status.success(), "{}", text(&read));
    let lines = String::from_utf8(read.stdout).unwrap();
    assert!(
        lines.contains("request finished") && lines.contains("database closed; stopped"),
        "{lines}"
    );
    // The objects themselves are ciphertext.
    let objects = files_under(emulator_dir);
    assert!(!objects.is_empty());
    for object in objects {
        assert!(
            !contains(&std::fs::read(&object).unwrap(), "request finished"),
            "{} holds clear text",
            object.display()
        );
    }
}
