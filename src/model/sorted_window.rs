//! The window's samples in sorted order, for rank queries in O(log n).
//!
//! The empirical model asks "how many recorded intervals are at least this
//! long?" and "which interval is the k-th longest?". A sorted copy of the
//! window answers both, but keeping an array sorted costs O(n) per
//! heartbeat. This is a treap instead: one node per ring slot of the
//! window (node `i` mirrors slot `i`, so no allocation after construction,
//! except for a restored window's, which grows with the window),
//! ordered by `(value, slot)`, with heap priorities from a fixed hash of the
//! slot and subtree sizes for ranks. Insert, remove and both queries take
//! O(log n) expected time; 16 bytes per sample.

use crate::window::grown;

/// No child.
const NIL: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Node {
    value: u32,
    left: u32,
    right: u32,
    /// Nodes in this subtree, this one included.
    size: u32,
}

/// A node of a slot not in the tree.
const EMPTY: Node = Node {
    value: 0,
    left: NIL,
    right: NIL,
    size: 0,
};

/// A multiset of `u32` samples keyed by ring slot (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SortedWindow {
    nodes: Box<[Node]>,
    root: u32,
}

/// The fixed heap priority of a slot (MurmurHash3's 32-bit finaliser, a
/// bijection, so no two slots tie).
#[inline]
fn priority(slot: u32) -> u32 {
    let mut h = slot ^ (slot >> 16);
    h = h.wrapping_mul(0x85EB_CA6B);
    h ^= h >> 13;
    h = h.wrapping_mul(0xC2B2_AE35);
    h ^ (h >> 16)
}

impl SortedWindow {
    /// An empty multiset with nodes allocated for `room` slots: all of a
    /// window's, or, for a restored window, the slots it was given, the
    /// tree growing with the window (see `Window::with_room`).
    pub(crate) fn with_room(room: usize) -> SortedWindow {
        SortedWindow {
            nodes: vec![EMPTY; room].into_boxed_slice(),
            root: NIL,
        }
    }

    /// Makes room for `slot`, doubling as the window does, up to `capacity`.
    #[cold]
    fn grow(&mut self, slot: usize, capacity: usize) {
        if slot >= capacity {
            return;
        }
        self.nodes = grown(&self.nodes, slot + 1, capacity, EMPTY);
    }

    /// Number of samples held.
    pub(crate) fn len(&self) -> usize {
        self.size(self.root) as usize
    }

    /// Removes every sample.
    pub(crate) fn clear(&mut self) {
        self.root = NIL;
    }

    #[inline]
    fn size(&self, node: u32) -> u32 {
        self.nodes.get(node as usize).map_or(0, |n| n.size)
    }

    fn node(&self, node: u32) -> Node {
        self.nodes[node as usize]
    }

    fn fix_size(&mut self, node: u32) {
        let n = self.node(node);
        let size = 1 + self.size(n.left) + self.size(n.right);
        self.nodes[node as usize].size = size;
    }

    /// Whether `a` sorts before `b`: by value, then by slot.
    #[inline]
    fn before(&self, a: u32, b: u32) -> bool {
        (self.node(a).value, a) < (self.node(b).value, b)
    }

    /// Splits the tree at `node` into the keys before `key` and the rest.
    fn split(&mut self, node: u32, key: u32) -> (u32, u32) {
        if node == NIL {
            return (NIL, NIL);
        }
        if self.before(node, key) {
            let (l, r) = self.split(self.node(node).right, key);
            self.nodes[node as usize].right = l;
            self.fix_size(node);
            (node, r)
        } else {
            let (l, r) = self.split(self.node(node).left, key);
            self.nodes[node as usize].left = r;
            self.fix_size(node);
            (l, node)
        }
    }

    /// Joins two trees whose keys are all ordered `a` before `b`.
    fn merge(&mut self, a: u32, b: u32) -> u32 {
        if a == NIL {
            return b;
        }
        if b == NIL {
            return a;
        }
        if priority(a) > priority(b) {
            let right = self.merge(self.node(a).right, b);
            self.nodes[a as usize].right = right;
            self.fix_size(a);
            a
        } else {
            let left = self.merge(a, self.node(b).left);
            self.nodes[b as usize].left = left;
            self.fix_size(b);
            b
        }
    }

    /// Inserts `value` as the sample of ring slot `slot`, which must not be
    /// in the tree (remove it first), in a window of `capacity` slots.
    /// A tree built [`with_room`](Self::with_room) for fewer slots grows as
    /// its window does; slots past `capacity` are ignored.
    pub(crate) fn insert(&mut self, slot: usize, value: u32, capacity: usize) {
        let Ok(key) = u32::try_from(slot) else { return };
        if slot >= self.nodes.len() {
            self.grow(slot, capacity);
        }
        let Some(node) = self.nodes.get_mut(slot) else {
            return;
        };
        *node = Node {
            value,
            left: NIL,
            right: NIL,
            size: 1,
        };
        self.root = self.insert_into(self.root, (value, key), priority(key));
    }

    /// Descends by key to where the new node's priority puts it, and splits
    /// only the (expected constant-size) subtree found there.
    ///
    /// `order` is the new node's `(value, slot)` and `rank` its priority,
    /// passed down rather than recomputed at every level.
    fn insert_into(&mut self, node: u32, order: (u32, u32), rank: u32) -> u32 {
        let key = order.1;
        if node == NIL {
            return key;
        }
        let n = self.node(node);
        if rank > priority(node) {
            let (l, r) = self.split(node, key);
            let n = &mut self.nodes[key as usize];
            n.left = l;
            n.right = r;
            self.fix_size(key);
            return key;
        }
        if order < (n.value, node) {
            let left = self.insert_into(n.left, order, rank);
            self.nodes[node as usize].left = left;
        } else {
            let right = self.insert_into(n.right, order, rank);
            self.nodes[node as usize].right = right;
        }
        self.nodes[node as usize].size += 1;
        node
    }

    /// Removes the sample of ring slot `slot`, which must be in the tree.
    pub(crate) fn remove(&mut self, slot: usize) {
        let Ok(key) = u32::try_from(slot) else { return };
        if slot >= self.nodes.len() {
            return;
        }
        let order = (self.node(key).value, key);
        self.root = self.remove_from(self.root, order);
    }

    fn remove_from(&mut self, node: u32, order: (u32, u32)) -> u32 {
        if node == NIL {
            return NIL;
        }
        let n = self.node(node);
        if node == order.1 {
            return self.merge(n.left, n.right);
        }
        if order < (n.value, node) {
            let left = self.remove_from(n.left, order);
            self.nodes[node as usize].left = left;
        } else {
            let right = self.remove_from(n.right, order);
            self.nodes[node as usize].right = right;
        }
        self.nodes[node as usize].size -= 1;
        node
    }

    /// Number of samples at least `value`.
    pub(crate) fn count_at_least(&self, value: u32) -> usize {
        let mut count = 0u32;
        let mut node = self.root;
        while node != NIL {
            let n = self.node(node);
            if n.value >= value {
                count += 1 + self.size(n.right);
                node = n.left;
            } else {
                node = n.right;
            }
        }
        count as usize
    }

    /// The `k`-th largest sample, `k` from 1; `None` if there are fewer.
    pub(crate) fn kth_largest(&self, k: usize) -> Option<u32> {
        let mut k = u32::try_from(k).ok()?;
        let mut node = self.root;
        while node != NIL {
            let n = self.node(node);
            let right = self.size(n.right);
            if k <= right {
                node = n.right;
            } else if k == right + 1 {
                return Some(n.value);
            } else {
                k -= right + 1;
                node = n.left;
            }
        }
        None
    }

    /// The largest sample.
    pub(crate) fn max(&self) -> Option<u32> {
        let mut node = self.root;
        let mut best = None;
        while node != NIL {
            let n = self.node(node);
            best = Some(n.value);
            node = n.right;
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::monotone_checks;
    use rand::Rng;

    #[test]
    #[cfg_attr(miri, ignore)]
    fn ranks_match_a_sorted_copy_while_sliding() {
        let capacity = 37;
        let mut tree = SortedWindow::with_room(capacity);
        let mut ring = vec![None; capacity];
        let mut rng = monotone_checks::rng(7);
        for step in 0..3000usize {
            let slot = step % capacity;
            if ring[slot].is_some() {
                tree.remove(slot);
            }
            // Few distinct values, so ties are common.
            let value = (rng.next_u64() % 50) as u32;
            tree.insert(slot, value, capacity);
            ring[slot] = Some(value);
            let mut sorted: Vec<u32> = ring.iter().flatten().copied().collect();
            sorted.sort_unstable();
            assert_eq!(tree.len(), sorted.len());
            for probe in 0..52 {
                let want = sorted.iter().filter(|&&v| v >= probe).count();
                assert_eq!(
                    tree.count_at_least(probe),
                    want,
                    "step {step} probe {probe}"
                );
            }
            for k in 1..=sorted.len() {
                assert_eq!(tree.kth_largest(k), Some(sorted[sorted.len() - k]));
            }
            assert_eq!(tree.kth_largest(sorted.len() + 1), None);
            assert_eq!(tree.max(), sorted.last().copied());
        }
        tree.clear();
        assert_eq!(tree.len(), 0);
        assert_eq!(tree.count_at_least(0), 0);
        assert_eq!(tree.max(), None);
    }

    #[test]
    fn a_tree_with_little_room_grows_into_the_same_tree() {
        let capacity = 37;
        let mut full = SortedWindow::with_room(capacity);
        let mut grown = SortedWindow::with_room(3);
        let mut rng = monotone_checks::rng(11);
        for step in 0..200usize {
            let slot = step % capacity;
            if step >= capacity {
                full.remove(slot);
                grown.remove(slot);
            }
            let value = (rng.next_u64() % 50) as u32;
            full.insert(slot, value, capacity);
            grown.insert(slot, value, capacity);
            assert!(grown.nodes.len() <= capacity);
            assert_eq!(grown.len(), full.len());
            for k in 1..=full.len() {
                assert_eq!(grown.kth_largest(k), full.kth_largest(k), "step {step}");
            }
        }
        // Grown to the capacity, node for node the same tree.
        assert_eq!(grown, full);
    }
}
