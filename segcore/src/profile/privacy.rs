//! Privacy rules of every profile and report.
//!
//! - **Minimum group size**: a figure is published only when it describes at least
//!   `min_group_size` customers ([`publishable`]); smaller groups (a segment, a category cell in a
//!   segment, a Lorenz step) are suppressed: `None` in the structs, `null` in JSON and a marked
//!   "suppressed" cell in Markdown / HTML.
//! - **No customer-level rows**: profiles and reports hold aggregates only. The only
//!   customer-level outputs are the explicit CRM exports ([`crate::profile::Migration::movers`]),
//!   and those can carry pseudonyms instead of ids ([`Pseudonymiser`]).
//!
//! Not covered: differencing across overlapping reports (publishing a segment of 10 and the same
//! segment minus one customer reveals that customer); keep one `min_group_size` per audience.

use crate::error::{Error, Result};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// `true` when a group of `count` customers may be published under `min_group_size`.
pub fn publishable(count: usize, min_group_size: usize) -> bool {
    count >= min_group_size && count > 0
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

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<Pseudonymiser>();
    }
}
