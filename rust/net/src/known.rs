//! A bounded set of recently seen 32-byte ids (transactions a peer knows,
//! transactions recently refused): the oldest entries drop out when full, so
//! memory per peer stays bounded like the reference's rolling filters.

use std::collections::{HashSet, VecDeque};

pub(crate) struct RecentSet {
    capacity: usize,
    set: HashSet<[u8; 32]>,
    order: VecDeque<[u8; 32]>,
}

impl RecentSet {
    pub fn new(capacity: usize) -> RecentSet {
        RecentSet { capacity, set: HashSet::new(), order: VecDeque::new() }
    }

    pub fn insert(&mut self, id: [u8; 32]) {
        if !self.set.insert(id) {
            return;
        }
        self.order.push_back(id);
        if self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
    }

    pub fn contains(&self, id: &[u8; 32]) -> bool {
        self.set.contains(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgets_the_oldest_when_full() {
        let mut set = RecentSet::new(2);
        set.insert([1; 32]);
        set.insert([2; 32]);
        set.insert([2; 32]);
        set.insert([3; 32]);
        assert!(!set.contains(&[1; 32]) && set.contains(&[2; 32]) && set.contains(&[3; 32]));
    }
}
