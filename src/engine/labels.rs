//! A partition's label values (centres, units, categories, topics, return reasons):
//! one reference-counted string table, so that events hold 4-byte ids and a label
//! whose last user is gone frees its slot.
//!
//! Every stored event holds a reference to each label it names, every order to its
//! centre, every counter cell to its key's labels. Caps on distinct labels apply only
//! where labels are exposed (the views), never here: state keeps the real names.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// Id of an interned label value, local to one partition.
pub type LabelId = u32;

struct Entry {
    name: Box<str>,
    refs: u32,
}

#[derive(Default)]
pub struct Interner {
    index: HashTable<LabelId>,
    entries: Vec<Option<Entry>>,
    free: Vec<LabelId>,
}

fn hash(name: &str) -> u64 {
    FxBuildHasher.hash_one(name)
}

/// `a == b` for names as short as labels are (a unit's is 20-30 bytes of UTF-8): two
/// overlapping words from each end, compared in place, where the library's comparison
/// called `memcmp` for every look-up (two or three an event).
fn same(a: &[u8], b: &[u8]) -> bool {
    fn ends<const N: usize>(s: &[u8]) -> ([u8; N], [u8; N]) {
        let head = s.first_chunk::<N>().copied().unwrap_or([0; N]);
        let tail = s.last_chunk::<N>().copied().unwrap_or([0; N]);
        (head, tail)
    }
    if a.len() != b.len() {
        return false;
    }
    match a.len() {
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        4..=7 => ends::<4>(a) == ends::<4>(b),
        8..=15 => ends::<8>(a) == ends::<8>(b),
        16..=32 => ends::<16>(a) == ends::<16>(b),
        _ => a == b,
    }
}

impl Interner {
    /// The id of `name` with one more reference (a new id if it was not held).
    pub fn intern(&mut self, name: &str) -> LabelId {
        let h = hash(name);
        if let Some(&id) = self.index.find(h, |&id| self.is(id, name)) {
            if let Some(e) = self.entries[id as usize].as_mut() {
                e.refs += 1;
            }
            return id;
        }
        let entry = Entry {
            name: name.into(),
            refs: 1,
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.entries[id as usize] = Some(entry);
                id
            }
            None => {
                self.entries.push(Some(entry));
                (self.entries.len() - 1) as LabelId
            }
        };
        let entries = &self.entries;
        self.index.insert_unique(h, id, |&i| {
            entries[i as usize].as_ref().map_or(0, |e| hash(&e.name))
        });
        id
    }

    /// Whether `id` is the id of `name`: what a look-up by hash checks of each id it
    /// finds, and what a guessed id is checked by without hashing.
    pub fn is(&self, id: LabelId, name: &str) -> bool {
        matches!(self.entries.get(id as usize), Some(Some(e)) if same(e.name.as_bytes(), name.as_bytes()))
    }

    /// The id of `name` if it is held, without taking a reference.
    pub fn get(&self, name: &str) -> Option<LabelId> {
        self.index
            .find(hash(name), |&id| self.is(id, name))
            .copied()
    }

    /// One more reference to a held id.
    pub fn retain(&mut self, id: LabelId) {
        if let Some(Some(e)) = self.entries.get_mut(id as usize) {
            e.refs += 1;
        }
    }

    /// Drops one reference; the last one frees the id.
    pub fn release(&mut self, id: LabelId) {
        let Some(Some(e)) = self.entries.get_mut(id as usize) else {
            return;
        };
        e.refs -= 1;
        if e.refs > 0 {
            return;
        }
        let h = hash(&e.name);
        self.entries[id as usize] = None;
        if let Ok(slot) = self.index.find_entry(h, |&i| i == id) {
            slot.remove();
        }
        self.free.push(id);
    }

    /// The name of a held id ("" for an id that is not held: a bug, never a panic).
    pub fn name(&self, id: LabelId) -> &str {
        match self.entries.get(id as usize) {
            Some(Some(e)) => &e.name,
            _ => "",
        }
    }

    /// Distinct labels held.
    pub fn len(&self) -> usize {
        self.entries.len() - self.free.len()
    }

    #[cfg(test)]
    pub fn refs(&self, id: LabelId) -> u32 {
        self.entries
            .get(id as usize)
            .and_then(Option::as_ref)
            .map_or(0, |e| e.refs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_is_equality() {
        // Every length around the word sizes, equal, differing in any one byte, and
        // one byte longer.
        for len in 0..=66 {
            let a: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
            assert!(same(&a, &a.clone()), "{len}");
            for i in 0..len {
                let mut b = a.clone();
                b[i] ^= 0x80;
                assert!(!same(&a, &b), "{len}, byte {i}");
            }
            let mut longer = a.clone();
            longer.push(0);
            assert!(!same(&a, &longer), "{len}");
        }
    }

    #[test]
    fn the_last_release_frees_the_slot_for_reuse() {
        let mut i = Interner::default();
        let a = i.intern("市公安局");
        assert_eq!(i.intern("市公安局"), a);
        let b = i.intern("供电局");
        assert_eq!((i.refs(a), i.len()), (2, 2));
        i.release(a);
        assert_eq!(i.get("市公安局"), Some(a));
        i.release(a);
        assert_eq!((i.get("市公安局"), i.len()), (None, 1));
        let c = i.intern("水务集团");
        assert_eq!(c, a, "a freed id is reused");
        assert_eq!((i.name(c), i.name(b)), ("水务集团", "供电局"));
        i.release(b);
        i.release(b);
        assert_eq!(i.len(), 1, "releasing a freed id changes nothing");
    }
}
