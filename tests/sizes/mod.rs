//! The sizes `docs/size.md` (and `docs/packaging.md`) state, checked against the binaries and
//! packages the tests build, so that the documentation cannot drift from them unnoticed.

use std::path::Path;

/// How far a built binary may be from its documented size before the test fails: small
/// changes need no edit of the docs, a real change does.
const TOLERANCE: f64 = 0.02;

/// The bytes `doc` (a path from the repository's root) gives in the `column`th figure (0 is
/// the first after the row's name) of the table row whose first cell is `row`.
pub fn documented_in(doc: &str, row: &str, column: usize) -> u64 {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc))
        .unwrap_or_else(|e| panic!("{doc}: {e}"));
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() > 3 && cells[1] == row {
            let cell = cells.get(2 + column).copied().unwrap_or_default();
            return cell
                .replace(',', "")
                .parse()
                .unwrap_or_else(|_| panic!("{doc}: {row}: {cell:?} is not a number"));
        }
    }
    panic!("{doc} has no row {row:?}");
}

/// Fails when `actual` is more than 2% away from what `docs/size.md` says for `row`.
pub fn check(row: &str, actual: u64) {
    check_in("docs/size.md", row, 0, actual);
}

/// Fails when `actual` is more than 2% away from what `doc` says for `row` in `column`.
pub fn check_in(doc: &str, row: &str, column: usize, actual: u64) {
    let stated = documented_in(doc, row, column);
    let off = (actual as f64 - stated as f64).abs() / stated as f64;
    assert!(
        off <= TOLERANCE,
        "{doc} says {stated} bytes for {row}, the build is {actual}: update the docs (and say why it moved)"
    );
}
