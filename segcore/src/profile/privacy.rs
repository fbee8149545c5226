//! Privacy rules of every profile and report.
//!
//! - **Minimum group size**: a figure is published only when it describes at least
//!   `min_group_size` customers ([`publishable`]); smaller groups (a segment, a category cell in a
//!   segment, a Lorenz step) are suppressed: `None` in the structs, `null` in JSON and a marked
//!   "suppressed" cell in Markdown / HTML. A category count of zero describes nobody and is
//!   printed (except in a suppressed segment).
//! - **No customer-level rows**: profiles and reports hold aggregates only. The only
//!   customer-level outputs are the explicit CRM exports ([`crate::profile::Migration::movers`]),
//!   and those can carry pseudonyms instead of ids ([`Pseudonymiser`]).
//!
//! - **No recovery by subtraction** ([`protect_table`]): in a table of counts whose row totals
//!   (segment sizes) and column totals (base counts) are printed, one hidden cell in a row is the
//!   total minus the others. Complementary suppression hides further cells (the cheapest: the
//!   smallest non-zero counts) until no hidden count is determined by the printed figures. In a
//!   small table that can take most cells: two segments x two categories with one small cell
//!   hide all four.
//!
//! - **No recovery by differencing across segments** ([`hidden_groups`]): every additive figure
//!   (size, share, mean, revenue and margin share) of the base is published next to the
//!   segments', so the hidden segments' figures taken together follow from the published ones
//!   (the base's mean times its count minus the other segments' sums). Complementary suppression
//!   hides further segments (the smallest first) until the hidden ones hold at least
//!   `min_group_size` customers together: what can be derived then describes a group. The same
//!   rule holds per numeric column, where missing values make a cell's count differ from its
//!   segment's size ([`hidden_cells`]).
//!
//! Not covered: bounds (a hidden count is known to be >= 0, so an attacker can narrow it to an
//! interval, e.g. when the other hidden cells of its row sum to little); order statistics
//! (a published median or quartile of the base constrains the hidden values only to intervals);
//! differencing across overlapping reports (publishing a segment of 10 and the same
//! segment minus one customer reveals that customer); keep one `min_group_size` per audience.

use crate::error::{Error, Result};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// `true` when a group of `count` customers may be published under `min_group_size`.
pub fn publishable(count: usize, min_group_size: usize) -> bool {
    count >= min_group_size && count > 0
}

/// Which groups of a partition to hide: those of 1 to `min_group_size - 1` customers and, while
/// the hidden groups hold fewer than `min_group_size` customers together, the smallest published
/// group as a complement (ties: the first). Additive figures of the whole base (sizes, means,
/// revenue) are published too, so the hidden groups' figures taken together follow from the
/// published ones; with the complement they describe at least `min_group_size` customers.
/// Empty groups describe nobody and are never hidden.
///
/// ```
/// use segcore::profile::privacy::hidden_groups;
/// // A segment of 3 customers cannot be published, and alone its mean would be the base's
/// // total minus the others': the 40 is hidden with it (3 + 40 >= 10 customers).
/// assert_eq!(hidden_groups(&[3, 40, 200, 55], 10), [true, true, false, false]);
/// assert_eq!(hidden_groups(&[30, 40, 200], 10), [false; 3]);
/// ```
pub fn hidden_groups(sizes: &[usize], min_group_size: usize) -> Vec<bool> {
    let mut hidden: Vec<bool> = sizes
        .iter()
        .map(|&size| size > 0 && !publishable(size, min_group_size))
        .collect();
    complement(sizes, &mut hidden, min_group_size);
    hidden
}

/// [`hidden_groups`] for one numeric column: `counts[s]` are the values present in segment `s`
/// (missing values make them smaller than the segment's size), `hidden_segments` the segments
/// hidden as a whole. Hides the segments hidden as a whole, the cells of 1 to
/// `min_group_size - 1` values, and complements until the hidden cells hold 0 or at least
/// `min_group_size` values together.
pub fn hidden_cells(
    counts: &[usize],
    hidden_segments: &[bool],
    min_group_size: usize,
) -> Vec<bool> {
    let mut hidden: Vec<bool> = counts
        .iter()
        .zip(hidden_segments)
        .map(|(&count, &segment)| segment || (count > 0 && !publishable(count, min_group_size)))
        .collect();
    complement(counts, &mut hidden, min_group_size);
    hidden
}

/// Hides the smallest published non-empty groups until the hidden ones hold 0 or at least
/// `min_group_size` customers.
fn complement(sizes: &[usize], hidden: &mut [bool], min_group_size: usize) {
    let hidden_total = |hidden: &[bool]| -> usize {
        sizes
            .iter()
            .zip(hidden.iter())
            .filter(|&(_, &h)| h)
            .map(|(&s, _)| s)
            .sum()
    };
    loop {
        let total = hidden_total(hidden);
        if total == 0 || total >= min_group_size {
            return;
        }
        let next = sizes
            .iter()
            .enumerate()
            .filter(|&(g, &size)| !hidden[g] && size > 0)
            .min_by_key(|&(g, &size)| (size, g));
        match next {
            Some((g, _)) => hidden[g] = true,
            // Everything is hidden: nothing more to do.
            None => return,
        }
    }
}

/// Which figures of a count table may be printed: primary suppression (counts of 1 to
/// `min_group_size - 1` customers, and every cell of a row in `suppressed_rows`) plus
/// complementary suppression, so that no hidden non-zero count can be recovered from the printed
/// ones, the row totals and the grand total. A zero describes no customer and is printed (unless
/// hidden as a complement or in a suppressed row).
///
/// `counts` is a `rows x columns` table in row-major order (segments x categories, with the
/// missing values as one more column). The reader knows the grand total, the row totals
/// (segment sizes) of the rows not in `suppressed_rows` and hence the sum of the others, and the
/// column totals (the base's counts) unless hidden here. Returns `(hidden cells, hidden column
/// totals)`.
///
/// A hidden count is determined by the printed figures exactly when it is a bridge of the graph
/// whose nodes are rows, columns, the grand total and the suppressed rows' hub and whose edges
/// are the hidden cells, column totals and sizes (the unknowns left free by the printed sums are
/// the cycles of that graph). So:
/// while a hidden count is a bridge, hide the printed cells on the cheapest path (smallest counts)
/// that closes a cycle through it. Deterministic: bridges and paths are taken in a fixed order.
///
/// ```
/// use segcore::profile::privacy::protect_table;
/// // Two segments x (two categories + missing); min group size 10.
/// let counts = [50, 4, 0, 30, 40, 0];
/// let (cells, totals) = protect_table(&counts, 2, 3, 10, &[false, false]);
/// // The 4 is hidden; in a table this small so are the 50, 30 and 40 (54 - 50 or 44 - 40 would
/// // give it away); the zeros describe nobody and stay printed.
/// assert_eq!(cells, [true, true, false, true, true, false]);
/// assert!(!totals[0]); // the base's 80 is still printed
/// ```
pub fn protect_table(
    counts: &[usize],
    rows: usize,
    columns: usize,
    min_group_size: usize,
    suppressed_rows: &[bool],
) -> (Vec<bool>, Vec<bool>) {
    assert_eq!(
        counts.len(),
        rows * columns,
        "protect_table: counts is a rows x columns table"
    );
    assert_eq!(
        suppressed_rows.len(),
        rows,
        "protect_table: one suppressed flag per row"
    );
    let totals: Vec<usize> = (0..columns)
        .map(|c| (0..rows).map(|r| counts[r * columns + c]).sum())
        .collect();
    // Edges: cell (r, c) = r * columns + c joins node r and node rows + c; column total c =
    // rows * columns + c joins node rows + c and the grand-total node rows + columns.
    let row_totals: Vec<usize> = (0..rows)
        .map(|r| counts[r * columns..(r + 1) * columns].iter().sum())
        .collect();
    // Nodes: rows, columns, the grand total, and the hub of the suppressed rows' sizes (only
    // their sum, n minus the printed sizes, is known). Edges: cell (r, c) = r * columns + c;
    // column total c = rows * columns + c (column to grand total); size of row r =
    // rows * columns + columns + r (row to hub; printed and fixed unless the row is suppressed).
    let n_nodes = rows + columns + 2;
    let grand = rows + columns;
    let hub = grand + 1;
    let n_cells = rows * columns;
    let n_edges = n_cells + columns + rows;
    let ends = |e: usize| -> (usize, usize) {
        if e < n_cells {
            (e / columns, rows + e % columns)
        } else if e < n_cells + columns {
            (rows + (e - n_cells), grand)
        } else {
            (e - n_cells - columns, hub)
        }
    };
    let value = |e: usize| -> usize {
        if e < n_cells {
            counts[e]
        } else if e < n_cells + columns {
            totals[e - n_cells]
        } else {
            row_totals[e - n_cells - columns]
        }
    };
    // Printed figures that cannot serve as complements: zeros (a hidden zero is pinned by its
    // line's hidden sum and >= 0) and the printed segment sizes (the other figures give them).
    let fixed = |e: usize| {
        value(e) == 0 || (e >= n_cells + columns && !suppressed_rows[e - n_cells - columns])
    };
    // Cost of hiding a printed figure as a complement: its count plus one; `None` when fixed.
    let price = |e: usize| (!fixed(e)).then(|| value(e).saturating_add(1));
    let mut hidden: Vec<bool> = (0..n_edges)
        .map(|e| {
            if e >= n_cells + columns {
                return suppressed_rows[e - n_cells - columns];
            }
            let small = value(e) > 0 && value(e) < min_group_size;
            small || (e < n_cells && suppressed_rows[e / columns])
        })
        .collect();
    let mut adjacency: Vec<Vec<usize>> = vec![Vec::new(); n_nodes];
    for e in 0..n_edges {
        let (a, b) = ends(e);
        adjacency[a].push(e);
        adjacency[b].push(e);
    }
    // A hidden zero needs no protection (recovering it reveals nobody); a count no path can
    // protect is left as is, since hiding more cannot help: the size of a lone suppressed row
    // (n minus the printed sizes), or a suppressed row's only non-zero cell when that size is
    // known.
    let mut unprotectable = vec![false; n_edges];
    let needs_protection = |e: usize, unprotectable: &[bool]| value(e) > 0 && !unprotectable[e];
    while let Some(bridge) = first_bridge(&adjacency, &hidden, &ends, |e| {
        needs_protection(e, &unprotectable)
    }) {
        let (from, to) = ends(bridge);
        match cheapest_path(&adjacency, &hidden, &ends, &price, bridge, from, to) {
            Some(path) => {
                for e in path {
                    hidden[e] = true;
                }
            }
            None => unprotectable[bridge] = true,
        }
    }
    hidden.truncate(n_cells + columns);
    let totals_hidden = hidden.split_off(n_cells);
    (hidden, totals_hidden)
}

/// The lowest-numbered edge among `hidden` that is a bridge of the hidden subgraph and `wanted`
/// (iterative Tarjan low-link, so deep graphs cannot overflow the stack).
fn first_bridge(
    adjacency: &[Vec<usize>],
    hidden: &[bool],
    ends: &impl Fn(usize) -> (usize, usize),
    wanted: impl Fn(usize) -> bool,
) -> Option<usize> {
    let n = adjacency.len();
    let mut order = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut bridges = Vec::new();
    let mut counter = 0;
    for root in 0..n {
        if order[root] != usize::MAX {
            continue;
        }
        order[root] = counter;
        low[root] = counter;
        counter += 1;
        // (node, edge it was entered by, next adjacency index)
        let mut stack = vec![(root, usize::MAX, 0usize)];
        while let Some(&mut (node, parent_edge, ref mut next)) = stack.last_mut() {
            if let Some(&e) = adjacency[node].get(*next) {
                *next += 1;
                if !hidden[e] || e == parent_edge {
                    continue;
                }
                let (a, b) = ends(e);
                let other = if a == node { b } else { a };
                if order[other] == usize::MAX {
                    order[other] = counter;
                    low[other] = counter;
                    counter += 1;
                    stack.push((other, e, 0));
                } else {
                    low[node] = low[node].min(order[other]);
                }
            } else {
                stack.pop();
                if let Some(&(parent, _, _)) = stack.last() {
                    low[parent] = low[parent].min(low[node]);
                    if low[node] > order[parent] {
                        bridges.push(parent_edge);
                    }
                }
            }
        }
    }
    bridges.into_iter().filter(|&e| wanted(e)).min()
}

/// The printed edges of the cheapest path from `from` to `to` not using `skip`: hidden edges
/// cost nothing, a printed one its `price` (`None`: not usable); ties go to the lower node and edge numbers. `None` when no path exists.
fn cheapest_path(
    adjacency: &[Vec<usize>],
    hidden: &[bool],
    ends: &impl Fn(usize) -> (usize, usize),
    price: &impl Fn(usize) -> Option<usize>,
    skip: usize,
    from: usize,
    to: usize,
) -> Option<Vec<usize>> {
    let n = adjacency.len();
    let mut cost = vec![usize::MAX; n];
    let mut via = vec![usize::MAX; n];
    let mut queue = BinaryHeap::new();
    cost[from] = 0;
    queue.push(Reverse((0usize, from)));
    while let Some(Reverse((c, node))) = queue.pop() {
        if c > cost[node] {
            continue;
        }
        if node == to {
            break;
        }
        for &e in &adjacency[node] {
            if e == skip {
                continue;
            }
            let step = if hidden[e] {
                0
            } else {
                match price(e) {
                    Some(p) => p,
                    None => continue,
                }
            };
            let (a, b) = ends(e);
            let other = if a == node { b } else { a };

            let next = c.saturating_add(step);
            if next < cost[other] {
                cost[other] = next;
                via[other] = e;
                queue.push(Reverse((next, other)));
            }
        }
    }
    if cost[to] == usize::MAX {
        return None;
    }
    let mut path = Vec::new();
    let mut node = to;
    while node != from {
        let e = via[node];
        if !hidden[e] {
            path.push(e);
        }
        let (a, b) = ends(e);
        node = if a == node { b } else { a };
    }
    Some(path)
}

/// Keyed-hash pseudonyms of customer ids (HMAC-SHA-256, first 16 bytes as 32 hex digits).
///
/// The same key and id always give the same pseudonym, so exports of different dates join on
/// it; without the key, ids cannot be recovered or confirmed by hashing guesses (unlike an
/// unkeyed hash of a short id space). Keep the key secret and out of the export.
///
/// ```
/// use segcore::profile::Pseudonymiser;
/// let p = Pseudonymiser::new(b"a secret key of 16+ bytes")?;
/// let a = p.pseudonym("C00000042");
/// assert_eq!(a.len(), 32);
/// assert_eq!(a, p.pseudonym("C00000042"));
/// assert_ne!(a, p.pseudonym("C00000043"));
/// # Ok::<(), segcore::Error>(())
/// ```
#[derive(Clone)]
pub struct Pseudonymiser {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Pseudonymiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.write_str("Pseudonymiser { key: <hidden> }")
    }
}

/// Shortest accepted key: 128 bits.
pub const MIN_KEY_BYTES: usize = 16;

impl Pseudonymiser {
    /// A pseudonymiser with a secret `key` of at least [`MIN_KEY_BYTES`] bytes.
    pub fn new(key: &[u8]) -> Result<Pseudonymiser> {
        if key.len() < MIN_KEY_BYTES {
            return Err(Error::invalid_parameter(
                "key",
                format!("{} bytes", key.len()),
                format!("a secret key of at least {MIN_KEY_BYTES} bytes"),
            ));
        }
        let mac = Hmac::<Sha256>::new_from_slice(key)
            .expect("HMAC accepts keys of any length (checked >= 16 bytes)");
        Ok(Pseudonymiser { mac })
    }

    /// The pseudonym of one id.
    pub fn pseudonym(&self, id: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(id.as_bytes());
        let digest = mac.finalize().into_bytes();
        digest[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Pseudonyms of many ids, in order.
    pub fn pseudonymise(&self, ids: &[String]) -> Vec<String> {
        ids.iter().map(|id| self.pseudonym(id)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_known_answer() {
        // RFC 4231 test case 2 uses a 4-byte key; this one: Python
        // hmac.new(b"0123456789abcdef", b"C1", hashlib.sha256).hexdigest()[:32]
        let p = Pseudonymiser::new(b"0123456789abcdef").unwrap();
        assert_eq!(p.pseudonym("C1"), KNOWN);
        assert!(Pseudonymiser::new(b"short").is_err());
        assert!(!format!("{p:?}").contains("0123"));
    }

    const KNOWN: &str = "9847d1d4a07bd1e7c7f37ba534196f13";

    #[test]
    fn group_rule() {
        assert!(publishable(10, 10));
        assert!(!publishable(9, 10));
        assert!(!publishable(0, 1));
    }

    /// Linear-algebra oracle (independent of the graph argument): is hidden count `v` (a cell,
    /// or `cells.len() + c` for column total `c`) determined by the printed figures (row totals,
    /// printed column totals, grand total, printed cells)? It is iff the unit vector of `v` lies
    /// in the row space of the equations in the hidden unknowns.
    fn recoverable(
        rows: usize,
        columns: usize,
        cells: &[bool],
        totals: &[bool],
        suppressed: &[bool],
        v: usize,
    ) -> bool {
        // Unknowns: hidden cells, hidden column totals, sizes of suppressed rows.
        let size = |r: usize| cells.len() + columns + r;
        let unknown: Vec<usize> = (0..cells.len())
            .filter(|&e| cells[e])
            .chain((0..columns).filter(|&c| totals[c]).map(|c| cells.len() + c))
            .chain((0..rows).filter(|&r| suppressed[r]).map(size))
            .collect();
        let index = |e: usize| unknown.iter().position(|&u| u == e);
        let mut equations: Vec<Vec<f64>> = Vec::new();
        for r in 0..rows {
            let mut eq = vec![0.0; unknown.len()];
            for c in 0..columns {
                if let Some(i) = index(r * columns + c) {
                    eq[i] = 1.0;
                }
            }
            if let Some(i) = index(size(r)) {
                eq[i] = -1.0;
            }
            equations.push(eq);
        }
        for c in 0..columns {
            let mut eq = vec![0.0; unknown.len()];
            for r in 0..rows {
                if let Some(i) = index(r * columns + c) {
                    eq[i] = 1.0;
                }
            }
            if let Some(i) = index(cells.len() + c) {
                eq[i] = -1.0;
            }
            equations.push(eq);
        }
        let mut eq = vec![0.0; unknown.len()];
        for c in 0..columns {
            if let Some(i) = index(cells.len() + c) {
                eq[i] = 1.0;
            }
        }
        equations.push(eq);
        let mut eq = vec![0.0; unknown.len()];
        for r in 0..rows {
            if let Some(i) = index(size(r)) {
                eq[i] = 1.0;
            }
        }
        equations.push(eq);
        let before = rank(equations.clone());
        let mut with = equations;
        let mut unit = vec![0.0; unknown.len()];
        unit[index(v).expect("v is hidden")] = 1.0;
        with.push(unit);
        rank(with) == before
    }

    /// Recoverable even if every non-zero figure (and every cell of a suppressed row) were
    /// hidden: nothing a suppression can prevent (e.g. a lone suppressed row's only non-zero
    /// cell, which equals its size, n minus the printed sizes).
    fn inherently_recoverable(
        counts: &[usize],
        rows: usize,
        columns: usize,
        suppressed: &[bool],
        v: usize,
    ) -> bool {
        let cells: Vec<bool> = (0..counts.len())
            .map(|e| counts[e] > 0 || suppressed[e / columns])
            .collect();
        let totals: Vec<bool> = (0..columns)
            .map(|c| (0..rows).any(|r| counts[r * columns + c] > 0))
            .collect();
        recoverable(rows, columns, &cells, &totals, suppressed, v)
    }

    fn rank(mut m: Vec<Vec<f64>>) -> usize {
        let cols = m.first().map_or(0, Vec::len);
        let mut rank = 0;
        for c in 0..cols {
            let Some(p) = (rank..m.len()).find(|&r| m[r][c].abs() > 1e-9) else {
                continue;
            };
            m.swap(rank, p);
            let pivot = m[rank].clone();
            for (r, row) in m.iter_mut().enumerate() {
                if r != rank && row[c].abs() > 1e-9 {
                    let f = row[c] / pivot[c];
                    for (x, y) in row.iter_mut().zip(&pivot) {
                        *x -= f * y;
                    }
                }
            }
            rank += 1;
        }
        rank
    }

    #[test]
    fn a_lone_hidden_cell_gets_a_partner() {
        // One small cell per row: without complementary suppression 54 - 50 = 4.
        let counts = [50, 4, 0, 30, 40, 0];
        let (cells, totals) = protect_table(&counts, 2, 3, 10, &[false; 2]);
        assert_eq!(
            cells,
            [true, true, false, true, true, false],
            "zeros stay printed"
        );
        for v in (0..6).filter(|&v| cells[v]) {
            assert!(
                !recoverable(2, 3, &cells, &totals, &[false; 2], v),
                "cell {v}: {cells:?} {totals:?}"
            );
        }
        // The same table without the partner: the 4 is determined (the oracle can fail).
        let lone = [false, true, false, false, false, false];
        assert!(recoverable(2, 3, &lone, &[false; 3], &[false; 2], 1));
        // Nothing small: nothing hidden.
        let (cells, totals) = protect_table(&[20, 30, 40, 50], 2, 2, 10, &[false; 2]);
        assert!(!cells.iter().any(|&h| h) && !totals.iter().any(|&h| h));
        // A suppressed row hides all its cells, and they are protected like the others.
        let counts = [3, 0, 40, 30];
        let (cells, totals) = protect_table(&counts, 2, 2, 10, &[true, false]);
        assert!(cells[0] && cells[1]);
        for v in (0..4).filter(|&v| cells[v] && counts[v] > 0) {
            assert!(!recoverable(2, 2, &cells, &totals, &[true, false], v));
        }
        // The suppressed row's size is n - 70 = 3 and its 3 is its only non-zero cell: with
        // the row's zero printed nothing could hide it (the oracle's exemption).
        let printed_zero = [true, false, true, true];
        assert!(recoverable(
            2,
            2,
            &printed_zero,
            &[true, true],
            &[true, false],
            0
        ));
    }

    #[test]
    fn no_hidden_count_is_determined_random_tables() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(9);
        for _ in 0..300 {
            // At least two columns: a one-column table's cells are its (known) row totals.
            let rows = rng.gen_range(1..6);
            let columns = rng.gen_range(2..6);
            let m = rng.gen_range(1..15);
            let counts: Vec<usize> = (0..rows * columns)
                .map(|_| {
                    if rng.gen_bool(0.4) {
                        rng.gen_range(0..m + 1)
                    } else {
                        rng.gen_range(0..60)
                    }
                })
                .collect();
            // As in a profile: a row (segment) smaller than the minimum is suppressed whole.
            let suppressed: Vec<bool> = (0..rows)
                .map(|r| {
                    counts[r * columns..(r + 1) * columns].iter().sum::<usize>() < m
                        || rng.gen_bool(0.15)
                })
                .collect();
            let (cells, totals) = protect_table(&counts, rows, columns, m, &suppressed);
            for (v, &count) in counts.iter().enumerate() {
                if (count > 0 && count < m) || suppressed[v / columns] {
                    assert!(cells[v]);
                }
                // A hidden zero may be recovered: it reveals nobody.
                if cells[v]
                    && count > 0
                    && !inherently_recoverable(&counts, rows, columns, &suppressed, v)
                {
                    assert!(
                        !recoverable(rows, columns, &cells, &totals, &suppressed, v),
                        "{rows}x{columns} m={m} {counts:?}: cell {v} determined; {cells:?} {totals:?}"
                    );
                }
            }
            let total = |c: usize| (0..rows).map(|r| counts[r * columns + c]).sum::<usize>();
            for c in (0..columns).filter(|&c| {
                totals[c]
                    && total(c) > 0
                    && !inherently_recoverable(
                        &counts,
                        rows,
                        columns,
                        &suppressed,
                        counts.len() + c,
                    )
            }) {
                assert!(
                    !recoverable(rows, columns, &cells, &totals, &suppressed, cells.len() + c),
                    "{rows}x{columns} m={m} {counts:?}: total {c} determined"
                );
            }
        }
    }

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<Pseudonymiser>();
    }
}
