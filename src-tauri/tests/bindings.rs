//! The committed TypeScript bindings are what the Rust types produce now.

#![allow(clippy::unwrap_used)]

use std::path::Path;

#[test]
fn the_typescript_bindings_are_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(tiyan_app::bindings::PATH);
    let fresh = tiyan_app::bindings::typescript();
    if std::env::var_os("TIYAN_BLESS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: the Rust types changed. Run `TIYAN_BLESS=1 cargo test -p tiyan-app --test bindings` and commit it",
        path.display()
    );
}
