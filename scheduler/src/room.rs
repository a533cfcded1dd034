//! The nodes of one pool that have the same number of free whole GPUs, in name order, with the
//! most free CPU and memory of every span of them: so the first node by name that has enough of
//! both is found without walking the nodes that lack them (a CPU-heavy pod on a busy cluster used
//! to walk every node with a free GPU).
//!
//! A segment tree over the pool's nodes by name: a leaf holds a node's free CPU and memory while
//! the node is in this set, and -1 otherwise; every inner entry holds the largest of its two
//! children. A search goes down the leftmost children whose largest values reach the need.

/// Free CPU and memory of the pool's nodes that are in the set, by their position in name order.
#[derive(Debug, Clone)]
pub(crate) struct RoomTree {
    /// Leaves start here (a power of two at least the pool's node count).
    leaves: usize,
    cpu: Vec<i64>,
    memory: Vec<i64>,
    len: usize,
}

const ABSENT: i64 = -1;

impl RoomTree {
    /// An empty set for a pool of `nodes` nodes.
    pub fn new(nodes: usize) -> Self {
        let leaves = nodes.max(1).next_power_of_two();
        Self {
            leaves,
            cpu: vec![ABSENT; 2 * leaves],
            memory: vec![ABSENT; 2 * leaves],
            len: 0,
        }
    }

    /// Nodes in the set.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Puts the node at `pos` in the set with what it has free.
    pub fn insert(&mut self, pos: usize, cpu: i64, memory: i64) {
        if self.cpu[self.leaves + pos] == ABSENT {
            self.len += 1;
        }
        self.write(pos, cpu.max(0), memory.max(0));
    }

    /// Takes the node at `pos` out of the set.
    pub fn remove(&mut self, pos: usize) {
        if self.cpu[self.leaves + pos] != ABSENT {
            self.len -= 1;
            self.write(pos, ABSENT, ABSENT);
        }
    }

    fn write(&mut self, pos: usize, cpu: i64, memory: i64) {
        let mut i = self.leaves + pos;
        self.cpu[i] = cpu;
        self.memory[i] = memory;
        while i > 1 {
            i /= 2;
            let cpu = self.cpu[2 * i].max(self.cpu[2 * i + 1]);
            let memory = self.memory[2 * i].max(self.memory[2 * i + 1]);
            if (self.cpu[i], self.memory[i]) == (cpu, memory) {
                // Unchanged here, so above too.
                break;
            }
            self.cpu[i] = cpu;
            self.memory[i] = memory;
        }
    }

    /// The first position (in name order) of a node in the set with at least `cpu` and `memory`
    /// free that `also` accepts.
    pub fn first(
        &self,
        cpu: i64,
        memory: i64,
        mut also: impl FnMut(usize) -> bool,
    ) -> Option<usize> {
        let reaches = |i: usize| self.cpu[i] >= cpu.max(0) && self.memory[i] >= memory.max(0);
        if !reaches(1) {
            return None;
        }
        // Depth first, left before right, without a stack: down the leftmost child that reaches
        // the need; from a span that holds none, on to the next span to its right.
        let mut i = 1;
        loop {
            if i >= self.leaves {
                if also(i - self.leaves) {
                    return Some(i - self.leaves);
                }
            } else if reaches(2 * i) {
                i *= 2;
                continue;
            } else if reaches(2 * i + 1) {
                i = 2 * i + 1;
                continue;
            }
            loop {
                while i % 2 == 1 {
                    i /= 2;
                }
                if i == 0 {
                    return None;
                }
                i += 1;
                if reaches(i) {
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_node_by_name_with_enough_of_both() {
        let mut tree = RoomTree::new(5);
        tree.insert(0, 1_000, 100);
        tree.insert(1, 8_000, 10);
        tree.insert(3, 8_000, 100);
        tree.insert(4, 64_000, 1_000);
        assert_eq!(tree.len(), 4);
        assert_eq!(tree.first(0, 0, |_| true), Some(0));
        assert_eq!(tree.first(4_000, 50, |_| true), Some(3));
        assert_eq!(tree.first(4_000, 50, |pos| pos != 3), Some(4));
        assert_eq!(tree.first(128_000, 0, |_| true), None);
        tree.remove(3);
        tree.remove(3);
        assert_eq!(tree.len(), 3);
        assert_eq!(tree.first(4_000, 50, |_| true), Some(4));
        tree.insert(4, 0, 0);
        assert_eq!(tree.first(4_000, 50, |_| true), None);
        assert_eq!(tree.first(0, 0, |pos| pos > 1), Some(4));
    }

    #[test]
    fn a_search_matches_a_walk_of_every_node() {
        // A seeded walk over inserts and removals, checked against the plain scan.
        let mut x: u64 = 7;
        let mut step = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 33
        };
        let n = 37;
        let mut tree = RoomTree::new(n);
        let mut plain: Vec<Option<(i64, i64)>> = vec![None; n];
        for _ in 0..2_000 {
            let pos = step() as usize % n;
            if step() % 3 == 0 {
                tree.remove(pos);
                plain[pos] = None;
            } else {
                let (cpu, memory) = ((step() % 100) as i64, (step() % 100) as i64);
                tree.insert(pos, cpu, memory);
                plain[pos] = Some((cpu, memory));
            }
            let (cpu, memory) = ((step() % 100) as i64, (step() % 100) as i64);
            let skip = step() as usize % n;
            let expected = plain
                .iter()
                .enumerate()
                .position(|(i, p)| i != skip && p.is_some_and(|(c, m)| c >= cpu && m >= memory));
            assert_eq!(tree.first(cpu, memory, |i| i != skip), expected);
            assert_eq!(tree.len(), plain.iter().flatten().count());
        }
    }
}
