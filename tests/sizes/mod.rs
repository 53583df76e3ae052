//! The sizes `docs/size.md` states, checked against the binaries the tests build, so that the
//! documentation cannot drift from them unnoticed.

use std::path::Path;

/// How far a built binary may be from its documented size before the test fails: small
/// changes need no edit of the docs, a real change does.
const TOLERANCE: f64 = 0.02;

/// The bytes `docs/size.md` gives for the row whose first cell is `row`.
pub fn documented(row: &str) -> u64 {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/size.md"))
        .expect("docs/size.md");
    for line in doc.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() > 3 && cells[1] == row {
            return cells[2]
                .replace(',', "")
                .parse()
                .unwrap_or_else(|_| panic!("docs/size.md: {row}: not a number"));
        }
    }
    panic!("docs/size.md has no row {row:?}");
}

/// Fails when `actual` is more than 2% away from what `docs/size.md` says for `row`.
pub fn check(row: &str, actual: u64) {
    let stated = documented(row);
    let off = (actual as f64 - stated as f64).abs() / stated as f64;
    assert!(
        off <= TOLERANCE,
        "docs/size.md says {stated} bytes for {row}, the build is {actual}: update the docs (and say why it moved)"
    );
}
