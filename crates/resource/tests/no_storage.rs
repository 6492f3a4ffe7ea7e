//! The crate is for any service: its normal dependencies include no database driver, no
//! connection pool, and not the authorization server itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

/// Crates a resource server must never pull in through this one.
const FORBIDDEN: &[&str] = &["diesel", "libsqlite3-sys", "pq-sys", "r2d2", "castellan"];

#[test]
fn the_crate_has_no_storage_dependency() {
    let output = Command::new(env!("CARGO"))
        .args(["tree", "-p", "castellan-resource", "-e", "normal"])
        .args(["--prefix", "none", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Each line: `name vX.Y.Z (path or source) [(*)]`.
    let names: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(names.contains(&"castellan-resource"), "{stdout}");
    assert!(
        names.contains(&"jsonwebtoken"),
        "the tree was read: {stdout}"
    );
    for name in FORBIDDEN {
        assert!(
            !names.contains(name),
            "castellan-resource depends on {name}:\n{stdout}"
        );
    }
}
