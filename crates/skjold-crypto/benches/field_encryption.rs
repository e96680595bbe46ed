//! The cost of field-level encryption (C17): sealing and opening one contact field with
//! an account's data key, and unwrapping the data key itself, which every request that
//! reads an account's data does once. Figures go into docs/benchmarks.md.
//!
//!     cargo bench -p skjold-crypto --bench field_encryption

// Setup that fails leaves nothing to measure: stopping with the reason is the report.
#![allow(clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use skjold_crypto::{AccountCipher, DataKey, FieldContext, Keyring};
use skjold_domain::Environment;

const AT: FieldContext<'static> = FieldContext {
    table: "contacts",
    column: "email",
    row: "0196f5a0-7c1e-7000-8000-000000000000",
};

fn field_encryption(c: &mut Criterion) {
    let dir = std::env::temp_dir().join(format!("skjold-bench-keys-{}", std::process::id()));
    let keyring = Keyring::open_or_create(&dir, Environment::Test, time::OffsetDateTime::now_utc())
        .expect("a keyring");
    let master = keyring.current();
    let account = "0196f5a0-7c1e-7000-8000-000000000001";
    let key = DataKey::generate(1).expect("a data key");
    let wrapped = key.wrap(master, account).expect("wrapped");
    let cipher = AccountCipher::new(account, &key);
    let value = "ola.nordmann@example.com";
    let sealed = cipher.seal(value, AT).expect("sealed");
    let notes = "n".repeat(2000);
    let sealed_notes = cipher.seal(&notes, AT).expect("sealed");

    c.bench_function("seal a 24-byte field", |b| {
        b.iter(|| cipher.seal(black_box(value), AT))
    });
    c.bench_function("open a 24-byte field", |b| {
        b.iter(|| cipher.open(black_box(&sealed), AT))
    });
    c.bench_function("open a 2000-byte field", |b| {
        b.iter(|| cipher.open(black_box(&sealed_notes), AT))
    });
    c.bench_function("unwrap a data key", |b| {
        b.iter(|| DataKey::unwrap(master, black_box(&wrapped), account, 1))
    });
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, field_encryption);
criterion_main!(benches);
