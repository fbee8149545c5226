//! Distinct customer ids, stored once and shared between a transaction log and the customer
//! table built from it.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;

/// Distinct customer ids in a fixed order, with a hash index from id to position.
///
/// Why not `HashMap<String, usize>`: at a million customers that map holds a second copy of
/// every id plus 32-byte buckets (~100 MiB); this index stores 4-byte positions into the one
/// `Vec<String>` (~10 MiB). Cloning is an `Arc` bump, so a log and the table of its customers
/// share one copy. The hash seed only decides bucket placement, never a result.
#[derive(Clone)]
pub(crate) struct CustomerIds(Arc<IdInterner>);

/// An id found twice, with both positions.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct DuplicateId {
    pub(crate) id: String,
    pub(crate) first: usize,
    pub(crate) second: usize,
}

/// Distinct strings in order of first sight, each stored once, with a position index.
#[derive(Default)]
pub(crate) struct IdInterner {
    ids: Vec<String>,
    index: hashbrown::HashTable<u32>,
    hasher: RandomState,
}

impl std::fmt::Debug for IdInterner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.ids).finish()
    }
}

impl IdInterner {
    /// Position of `id`, adding it at the end on first sight (positions wrap past `u32::MAX`
    /// distinct values, as the `u32` codes of the columns always did).
    pub(crate) fn intern(&mut self, id: &str) -> u32 {
        let IdInterner { ids, index, hasher } = self;
        let hash = hasher.hash_one(id);
        match index.entry(
            hash,
            |&j| ids[j as usize] == id,
            |&j| hasher.hash_one(ids[j as usize].as_str()),
        ) {
            hashbrown::hash_table::Entry::Occupied(first) => *first.get(),
            hashbrown::hash_table::Entry::Vacant(slot) => {
                let position = ids.len() as u32;
                ids.push(id.to_string());
                slot.insert(position);
                position
            }
        }
    }

    /// The distinct values in order of first sight.
    pub(crate) fn into_vec(self) -> Vec<String> {
        self.ids
    }

    /// The distinct values as shareable customer ids (the index is kept, not rebuilt).
    pub(crate) fn into_ids(self) -> CustomerIds {
        CustomerIds(Arc::new(self))
    }
}

impl CustomerIds {
    /// Interns `ids`; on a duplicate, the first one found.
    ///
    /// # Panics
    /// Never on user data: callers check `ids.len() < u32::MAX` first.
    pub(crate) fn new(ids: Vec<String>) -> std::result::Result<CustomerIds, DuplicateId> {
        assert!(
            ids.len() < u32::MAX as usize,
            "invariant: fewer than u32::MAX customer ids (checked by the callers)"
        );
        // Index positions into `ids` as they are (no second vector of the String headers).
        let hasher = RandomState::new();
        let mut index = hashbrown::HashTable::with_capacity(ids.len());
        for (second, id) in ids.iter().enumerate() {
            let hash = hasher.hash_one(id.as_str());
            match index.entry(
                hash,
                |&j: &u32| ids[j as usize] == *id,
                |&j: &u32| hasher.hash_one(ids[j as usize].as_str()),
            ) {
                hashbrown::hash_table::Entry::Occupied(first) => {
                    return Err(DuplicateId {
                        id: id.clone(),
                        first: *first.get() as usize,
                        second,
                    });
                }
                hashbrown::hash_table::Entry::Vacant(slot) => {
                    slot.insert(second as u32);
                }
            }
        }
        Ok(IdInterner { ids, index, hasher }.into_ids())
    }

    /// The ids in order.
    pub(crate) fn as_slice(&self) -> &[String] {
        &self.0.ids
    }

    /// Number of ids.
    pub(crate) fn len(&self) -> usize {
        self.0.ids.len()
    }

    /// Position of `id`, if present.
    pub(crate) fn position(&self, id: &str) -> Option<usize> {
        let inner = &*self.0;
        let hash = inner.hasher.hash_one(id);
        inner
            .index
            .find(hash, |&j| inner.ids[j as usize] == id)
            .map(|&j| j as usize)
    }

    /// `true` when both are the same shared set (no comparison of the ids needed).
    pub(crate) fn is_shared_with(&self, other: &CustomerIds) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl PartialEq for CustomerIds {
    fn eq(&self, other: &Self) -> bool {
        self.is_shared_with(other) || self.as_slice() == other.as_slice()
    }
}

impl std::fmt::Debug for CustomerIds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

/// Serialized as the plain list of ids, so saved documents do not change shape.
impl serde::Serialize for CustomerIds {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serde::Serialize::serialize(self.as_slice(), serializer)
    }
}

impl<'de> serde::Deserialize<'de> for CustomerIds {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let ids = <Vec<String> as serde::Deserialize>::deserialize(deserializer)?;
        if ids.len() >= u32::MAX as usize {
            return Err(serde::de::Error::custom("too many customer ids"));
        }
        CustomerIds::new(ids).map_err(|d| {
            serde::de::Error::custom(format!(
                "duplicate customer id `{}` at positions {} and {}",
                d.id, d.first, d.second
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_positions_and_rejects_duplicates() {
        let ids = CustomerIds::new(vec!["b".into(), "a".into(), "c".into()]).unwrap();
        assert_eq!(ids.position("a"), Some(1));
        assert_eq!(ids.position("c"), Some(2));
        assert_eq!(ids.position("d"), None);
        assert_eq!(ids.len(), 3);
        let shared = ids.clone();
        assert!(shared.is_shared_with(&ids));
        let copy = CustomerIds::new(vec!["b".into(), "a".into(), "c".into()]).unwrap();
        assert!(!copy.is_shared_with(&ids));
        assert_eq!(copy, ids);
        assert_eq!(
            CustomerIds::new(vec!["x".into(), "y".into(), "x".into()]).unwrap_err(),
            DuplicateId {
                id: "x".into(),
                first: 0,
                second: 2
            }
        );
        let many: Vec<String> = (0..10_000).map(|i| format!("C{i}")).collect();
        let many = CustomerIds::new(many).unwrap();
        assert!((0..10_000).all(|i| many.position(&format!("C{i}")) == Some(i)));
    }

    #[test]
    fn serde_round_trip_as_a_list() {
        let ids = CustomerIds::new(vec!["b".into(), "a".into()]).unwrap();
        let json = serde_json::to_string(&ids).unwrap();
        assert_eq!(json, r#"["b","a"]"#);
        let back: CustomerIds = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ids);
        assert_eq!(back.position("a"), Some(1));
        assert!(serde_json::from_str::<CustomerIds>(r#"["a","a"]"#).is_err());
    }

    #[test]
    fn is_send_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<CustomerIds>();
    }
}
