//! The command line: help everywhere, the keyring as an operator sees it, and the order
//! of the settings layers.

use std::process::Output;

use crate::helpers::{Backend, Launch, skjold};

fn run(dir: &std::path::Path, args: &[&str]) -> Output {
    skjold(dir).args(args).output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn every_subcommand_explains_itself() {
    let dir = tempfile::tempdir().unwrap();
    for (args, expect) in [
        (&["--help"][..], &["serve", "keys", "version"][..]),
        (
            &["serve", "--help"],
            &[
                "--data-dir",
                "--key-dir",
                "--listen",
                "--redirect-listen",
                "--metrics-listen",
                "--database-url",
                "--environment",
                "--config",
                "SKJOLD_DATA_DIR",
            ],
        ),
        (&["keys", "--help"], &["list", "rotate"]),
        (
            &["keys", "rotate", "--help"],
            &[
                "--key-dir",
                "--database-url",
                "rewrap",
                "while servers serve",
            ],
        ),
        (
            &["keys", "list", "--help"],
            &["--key-dir", "Never prints key"],
        ),
        (&["version", "--help"], &["version"]),
    ] {
        let text = stdout(&run(dir.path(), args));
        for e in expect {
            assert!(text.contains(e), "skjold {args:?}: no {e:?} in\n{text}");
        }
    }
    assert_eq!(
        stdout(&run(dir.path(), &["version"])).trim(),
        format!("skjold {}", env!("CARGO_PKG_VERSION"))
    );
}

#[tokio::test]
async fn c2_keys_list_shows_ids_dates_and_environment_but_never_material() {
    let Some(launch) = Launch::new(Backend::Sqlite).await else {
        return;
    };
    let mut app = launch.arg("--environment").arg("test").start().await;
    assert!(app.stop().await.success());
    let text = stdout(&run(app.dir.path(), &["keys", "list", "--key-dir", "keys"]));
    let row = text
        .lines()
        .find(|l| l.starts_with("k1 "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        row.contains(" test ") && row.trim_end().ends_with('*'),
        "{row}"
    );
    assert!(row.contains(&time_prefix()), "the creation date: {row}");

    let file = std::fs::read_to_string(app.key_dir().join("master-k1.toml")).unwrap();
    let material = file
        .lines()
        .find_map(|l| l.strip_prefix("material = "))
        .unwrap()
        .trim_matches('"');
    assert!(material.len() >= 43);
    assert!(
        !text.contains(material) && !text.contains(&material[..12]),
        "key material printed:\n{text}"
    );
}

#[test]
fn keys_list_without_a_keyring_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["keys", "list"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no keyring at skjold-keys") && stderr.contains("--key-dir"),
        "{stderr}"
    );
}

/// Today's date as `keys list` prints it (UTC).
fn time_prefix() -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test]
async fn settings_layer_file_then_environment_then_flags() {
    // Each launch creates a keyring for the environment it resolved; keys list shows it.
    let environment_of = |launch: Launch| async move {
        let mut app = launch.start().await;
        assert!(app.stop().await.success());
        let text = stdout(&run(app.dir.path(), &["keys", "list", "--key-dir", "keys"]));
        text.lines()
            .nth(1)
            .unwrap()
            .split_whitespace()
            .nth(2)
            .unwrap()
            .to_owned()
    };
    let with_file = || async {
        let mut launch = Launch::new(Backend::Sqlite).await.unwrap();
        let _ = launch.command();
        let dir = launch.dir.as_ref().unwrap().path().to_owned();
        std::fs::write(dir.join("settings.toml"), "environment = \"staging\"\n").unwrap();
        launch.arg("--config").arg("settings.toml")
    };

    assert_eq!(environment_of(with_file().await).await, "staging");
    assert_eq!(
        environment_of(with_file().await.env("SKJOLD_ENVIRONMENT", "test")).await,
        "test"
    );
    assert_eq!(
        environment_of(
            with_file()
                .await
                .env("SKJOLD_ENVIRONMENT", "test")
                .arg("--environment")
                .arg("development")
        )
        .await,
        "development"
    );
}
