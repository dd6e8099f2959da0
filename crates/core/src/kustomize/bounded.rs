//! A map by path that forgets its oldest entries once their sizes pass a
//! budget: what render-all remembers for one run stays bounded however
//! many overlays there are. First in, first out: overlays that share files
//! are mostly neighbours in path order, so the newest entries are the ones
//! asked for again.

use std::collections::{HashMap, VecDeque};

/// Values by path within a budget of sizes.
pub(crate) struct Bounded<V> {
    values: HashMap<String, (V, usize), foldhash::fast::RandomState>,
    /// Paths in the order they were first kept.
    order: VecDeque<String>,
    size: usize,
    budget: usize,
}

impl<V> Bounded<V> {
    /// An empty map whose sizes may add up to `budget`.
    pub(crate) fn new(budget: usize) -> Self {
        Bounded {
            values: HashMap::default(),
            order: VecDeque::new(),
            size: 0,
            budget,
        }
    }

    /// The value kept for `path`.
    pub(crate) fn get(&self, path: &str) -> Option<&V> {
        self.values.get(path).map(|(value, _)| value)
    }

    /// Takes the value kept for `path` out.
    pub(crate) fn remove(&mut self, path: &str) -> Option<V> {
        let (value, size) = self.values.remove(path)?;
        self.size -= size;
        self.order.retain(|kept| kept != path);
        Some(value)
    }

    /// Keeps `value` (of `size`) for `path`, forgetting the oldest values
    /// while the sizes pass the budget; a value larger than the whole
    /// budget is not kept.
    pub(crate) fn insert(&mut self, path: &str, value: V, size: usize) {
        if size > self.budget {
            return;
        }
        match self.values.insert(path.to_owned(), (value, size)) {
            Some((_, old)) => self.size -= old,
            None => self.order.push_back(path.to_owned()),
        }
        self.size += size;
        while self.size > self.budget {
            let Some(oldest) = self.order.pop_front() else {
                break;
            };
            if let Some((_, gone)) = self.values.remove(&oldest) {
                self.size -= gone;
            }
        }
    }

    /// The sizes kept, added up.
    #[cfg(test)]
    pub(crate) fn size(&self) -> usize {
        self.size
    }
}

#[cfg(test)]
mod tests {
    use super::Bounded;

    #[test]
    fn the_oldest_go_first_and_the_budget_holds() {
        let mut kept = Bounded::new(10);
        for (i, path) in ["a", "b", "c", "d"].iter().enumerate() {
            kept.insert(path, i, 3);
        }
        assert_eq!(kept.size(), 9);
        assert_eq!(kept.get("a"), None);
        assert_eq!(kept.get("d"), Some(&3));
        // Kept again: the new value, sized anew, in its first place.
        kept.insert("b", 7, 4);
        assert_eq!((kept.get("b"), kept.size()), (Some(&7), 10));
        kept.insert("e", 9, 2);
        assert_eq!(kept.get("b"), None);
        assert!(kept.size() <= 10);
        // Too large to keep at all.
        kept.insert("huge", 0, 11);
        assert_eq!(kept.get("huge"), None);
        assert_eq!(kept.get("e"), Some(&9));
        // Taken out: its size is free again.
        let before = kept.size();
        assert_eq!(kept.remove("e"), Some(9));
        assert_eq!((kept.get("e"), kept.size()), (None, before - 2));
        assert_eq!(kept.remove("e"), None);
    }
}
