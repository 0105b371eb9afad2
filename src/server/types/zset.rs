//! Sorted set: unique byte-string members with `f64` scores, ordered by
//! (score, member bytes), as Redis's `zset` type.
//!
//! Layout: one [`IndexMap`] holds every member exactly once together with its
//! skiplist node, so the member→node hash index and the node arena are the
//! same allocation. Nodes link to each other by their `u32` slot in the map.
//! The skiplist carries spans (Redis's `zskiplist`), giving O(log n) insert,
//! delete, rank and lookup-by-rank. Level 0 spans are always 1 and are not
//! stored; only the ~25% of nodes taller than one level own an extra
//! allocation for their upper levels.
//!
//! Removing a member swap-removes its map slot, which moves the last slot into
//! the hole; links to the moved node are then re-pointed with one extra
//! O(log n) search. Large bulk removals instead compact the map in one O(n)
//! pass.

use std::fmt;

use bytes::Bytes;
use indexmap::IndexMap;

use crate::util::num::parse_strtod_full;

/// Redis's `ZSKIPLIST_MAXLEVEL`.
const MAX_LEVEL: usize = 32;
/// "No node" link value.
const NIL: u32 = u32::MAX;
/// Pseudo-slot naming the skiplist header in search paths.
const HEAD: u32 = u32::MAX - 1;

/// Result of [`ZSet::insert`], which ZADD needs to compute its reply and
/// decide whether the keyspace changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// The member was new.
    Added,
    /// The member existed and its score changed.
    Updated,
    /// The member existed with an equal score (or the score was NaN); nothing
    /// changed.
    Unchanged,
}

/// One end of a score interval (ZRANGEBYSCORE, ZCOUNT, ...): `-inf`/`+inf`
/// are plain infinite values, `(x` sets `exclusive`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreBound {
    /// The bound's score; never NaN when produced by [`parse_score_bound`].
    pub value: f64,
    /// Whether members scoring exactly `value` are excluded.
    pub exclusive: bool,
}

impl ScoreBound {
    /// An inclusive bound, for callers that build ranges themselves.
    pub fn inclusive(value: f64) -> Self {
        Self {
            value,
            exclusive: false,
        }
    }
}

/// One end of a lexicographic interval (ZRANGEBYLEX, ZLEXCOUNT, ...),
/// borrowing the member bytes from the command argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LexBound<'a> {
    /// `-`: below every member.
    Min,
    /// `+`: above every member.
    Max,
    /// `[x`: members equal to `x` are included.
    Inclusive(&'a [u8]),
    /// `(x`: members equal to `x` are excluded.
    Exclusive(&'a [u8]),
}

/// Parses a score bound with Redis `zslParseRange` syntax (`1.5`, `(1.5`,
/// `-inf`, `+inf`, `(inf`, ...), including its `strtod` leniency: leading
/// whitespace and overflow are accepted, an empty number reads as 0, input
/// stops at a NUL byte. `None` means "min or max is not a float".
pub fn parse_score_bound(s: &[u8]) -> Option<ScoreBound> {
    let (exclusive, body) = match s.split_first() {
        Some((b'(', rest)) => (true, rest),
        _ => (false, s),
    };
    Some(ScoreBound {
        value: parse_strtod_full(body)?,
        exclusive,
    })
}

/// Parses a lex bound with Redis `zslParseLexRangeItem` syntax: `-`, `+`,
/// `[member` or `(member`. `None` means "min or max not valid string range
/// item".
pub fn parse_lex_bound(s: &[u8]) -> Option<LexBound<'_>> {
    let (&first, rest) = s.split_first()?;
    // Redis checks `c[1] == '\0'`, so a NUL right after `+`/`-` also ends it.
    let alone = rest.first().is_none_or(|&c| c == 0);
    match first {
        b'-' if alone => Some(LexBound::Min),
        b'+' if alone => Some(LexBound::Max),
        b'[' => Some(LexBound::Inclusive(rest)),
        b'(' => Some(LexBound::Exclusive(rest)),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Level {
    next: u32,
    span: u32,
}

#[derive(Debug, Clone)]
struct Node {
    score: f64,
    /// Previous node at level 0, `NIL` for the first node.
    back: u32,
    /// Next node at level 0 (span is implicitly 1).
    next0: u32,
    /// Levels 1.. of this node; empty (no allocation) for level-1 nodes.
    upper: Box<[Level]>,
}

/// A Redis sorted set. Holds at most `u32::MAX - 2` members.
#[derive(Clone)]
pub struct ZSet {
    map: IndexMap<Bytes, Node>,
    /// Header levels; `head.len()` is the current skiplist height (>= 1).
    /// `head[0].span` is unused.
    head: Vec<Level>,
    tail: u32,
    rng: u64,
}

impl Default for ZSet {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ZSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Whether `(a_score, a_member)` sorts before `(score, member)`.
#[inline]
fn entry_less(a_score: f64, a_member: &[u8], score: f64, member: &[u8]) -> bool {
    a_score < score || (a_score == score && a_member < member)
}

impl ZSet {
    /// Creates an empty sorted set.
    pub fn new() -> Self {
        Self {
            map: IndexMap::new(),
            head: vec![Level { next: NIL, span: 0 }],
            tail: NIL,
            rng: rand::random(),
        }
    }

    /// Number of members (ZCARD).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the set has no members (the key must then be deleted).
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Score of `member` (ZSCORE, ZMSCORE), O(1).
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.map.get(member).map(|n| n.score)
    }

    /// Adds `member` or changes its score (ZADD, ZINCRBY). The member bytes
    /// are copied only when the member is new.
    ///
    /// A NaN score is ignored (reported as `Unchanged`); commands must reject
    /// NaN themselves, as Redis does.
    ///
    /// # Panics
    /// If the set already holds `u32::MAX - 2` members.
    pub fn insert(&mut self, member: &[u8], score: f64) -> InsertOutcome {
        if score.is_nan() {
            return InsertOutcome::Unchanged;
        }
        if let Some(idx) = self.map.get_index_of(member) {
            if self.map[idx].score == score {
                return InsertOutcome::Unchanged;
            }
            self.update_score(idx as u32, score);
            return InsertOutcome::Updated;
        }
        assert!(self.map.len() < HEAD as usize, "sorted set is full");
        let node = Node {
            score,
            back: NIL,
            next0: NIL,
            upper: Box::new([]),
        };
        let (idx, _) = self.map.insert_full(Bytes::copy_from_slice(member), node);
        self.link(idx as u32);
        InsertOutcome::Added
    }

    /// Removes `member` (ZREM); returns whether it was present.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        let Some((idx, key, node)) = self.map.get_full(member) else {
            return false;
        };
        let (update, _) = self.find_update(node.score, key);
        let idx = idx as u32;
        self.unlink(idx, &update);
        self.swap_out(idx);
        self.maybe_shrink();
        true
    }

    /// 0-based rank of `member` (ZRANK, ZREVRANK with `reverse`).
    pub fn rank(&self, member: &[u8], reverse: bool) -> Option<usize> {
        let (key, node) = self.map.get_key_value(member)?;
        let score = node.score;
        let r = self.count_while(|m, s| entry_less(s, m, score, key));
        Some(if reverse { self.len() - 1 - r } else { r })
    }

    /// Member and score at 0-based ascending rank `rank`.
    pub fn get_by_rank(&self, rank: usize) -> Option<(&Bytes, f64)> {
        let x = self.node_at_rank(rank);
        (x != NIL).then(|| self.entry(x))
    }

    /// Member and score in storage slot `slot` (0..len), in an arbitrary
    /// order that changes on removal; O(1), meant for uniform random picks
    /// (ZRANDMEMBER) where rank order does not matter.
    pub fn get_by_slot(&self, slot: usize) -> Option<(&Bytes, f64)> {
        self.map.get_index(slot).map(|(k, n)| (k, n.score))
    }

    /// All members in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        self.iter_from_rank(0)
    }

    /// Members in ascending order starting at 0-based rank `rank` (empty if
    /// past the end); lets a cursor-style scan resume cheaply.
    pub fn iter_from_rank(&self, rank: usize) -> Iter<'_> {
        let remaining = self.len().saturating_sub(rank);
        self.iter_at(rank, remaining, false)
    }

    /// Members with ranks `start..=end` (ZRANGE by index). Indexes must be
    /// already normalized (non-negative); `end` is clamped to the last rank.
    /// With `reverse`, ranks count from the highest score (ZREVRANGE) and the
    /// items come out in descending order.
    pub fn range_by_rank(&self, start: usize, end: usize, reverse: bool) -> Iter<'_> {
        let len = self.len();
        if start > end || start >= len {
            return self.empty_iter();
        }
        let end = end.min(len - 1);
        let first = if reverse { len - 1 - start } else { start };
        self.iter_at(first, end - start + 1, reverse)
    }

    /// Members with `min <= score <= max` (bounds may be exclusive)
    /// (ZRANGEBYSCORE / ZREVRANGEBYSCORE with `reverse`), skipping `offset`
    /// of them and yielding at most `limit` (`None` = all). The offset is
    /// skipped in O(log n).
    pub fn range_by_score(
        &self,
        min: ScoreBound,
        max: ScoreBound,
        reverse: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Iter<'_> {
        let (lo, hi) = self.score_ranks(min, max);
        self.window(lo, hi, reverse, offset, limit)
    }

    /// Number of members with scores within the bounds (ZCOUNT), O(log n).
    pub fn count_in_score_range(&self, min: ScoreBound, max: ScoreBound) -> usize {
        let (lo, hi) = self.score_ranks(min, max);
        hi - lo
    }

    /// Members within the lex bounds (ZRANGEBYLEX / ZREVRANGEBYLEX with
    /// `reverse`), with LIMIT-style `offset`/`limit`. Like Redis, only
    /// meaningful when all members share one score.
    pub fn range_by_lex(
        &self,
        min: LexBound<'_>,
        max: LexBound<'_>,
        reverse: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Iter<'_> {
        let (lo, hi) = self.lex_ranks(min, max);
        self.window(lo, hi, reverse, offset, limit)
    }

    /// Number of members within the lex bounds (ZLEXCOUNT), O(log n).
    pub fn count_in_lex_range(&self, min: LexBound<'_>, max: LexBound<'_>) -> usize {
        let (lo, hi) = self.lex_ranks(min, max);
        hi - lo
    }

    /// Removes and returns up to `count` lowest-ranked members, lowest first
    /// (ZPOPMIN, BZPOPMIN).
    pub fn pop_min(&mut self, count: usize) -> Vec<(Bytes, f64)> {
        let n = count.min(self.len());
        let mut out = Vec::with_capacity(n);
        self.remove_ranks(0, n, Some(&mut out));
        out
    }

    /// Removes and returns up to `count` highest-ranked members, highest
    /// first (ZPOPMAX, BZPOPMAX).
    pub fn pop_max(&mut self, count: usize) -> Vec<(Bytes, f64)> {
        let len = self.len();
        let n = count.min(len);
        let mut out = Vec::with_capacity(n);
        self.remove_ranks(len - n, len, Some(&mut out));
        out.reverse();
        out
    }

    /// Removes members with ranks `start..=end` (ZREMRANGEBYRANK, indexes
    /// already normalized, `end` clamped); returns how many were removed.
    pub fn remove_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        let len = self.len();
        if start > end || start >= len {
            return 0;
        }
        self.remove_ranks(start, end.min(len - 1) + 1, None)
    }

    /// Removes members with scores within the bounds (ZREMRANGEBYSCORE);
    /// returns how many were removed.
    pub fn remove_range_by_score(&mut self, min: ScoreBound, max: ScoreBound) -> usize {
        let (lo, hi) = self.score_ranks(min, max);
        self.remove_ranks(lo, hi, None)
    }

    /// Removes members within the lex bounds (ZREMRANGEBYLEX); returns how
    /// many were removed.
    pub fn remove_range_by_lex(&mut self, min: LexBound<'_>, max: LexBound<'_>) -> usize {
        let (lo, hi) = self.lex_ranks(min, max);
        self.remove_ranks(lo, hi, None)
    }

    // ----- internals -----------------------------------------------------

    fn entry(&self, x: u32) -> (&Bytes, f64) {
        let (k, n) = self.kv(x);
        (k, n.score)
    }

    #[inline]
    fn kv(&self, x: u32) -> (&Bytes, &Node) {
        self.map
            .get_index(x as usize)
            .expect("zset skiplist link points outside the map")
    }

    #[inline]
    fn next(&self, x: u32, level: usize) -> u32 {
        if x == HEAD {
            self.head[level].next
        } else {
            let n = &self.map[x as usize];
            if level == 0 {
                n.next0
            } else {
                n.upper[level - 1].next
            }
        }
    }

    #[inline]
    fn span(&self, x: u32, level: usize) -> u32 {
        if level == 0 {
            1
        } else if x == HEAD {
            self.head[level].span
        } else {
            self.map[x as usize].upper[level - 1].span
        }
    }

    fn set_next(&mut self, x: u32, level: usize, to: u32) {
        if x == HEAD {
            self.head[level].next = to;
        } else {
            let n = &mut self.map[x as usize];
            if level == 0 {
                n.next0 = to;
            } else {
                n.upper[level - 1].next = to;
            }
        }
    }

    /// Sets a span at `level >= 1` (level-0 spans are implicit).
    fn set_span(&mut self, x: u32, level: usize, span: u32) {
        if x == HEAD {
            self.head[level].span = span;
        } else {
            self.map[x as usize].upper[level - 1].span = span;
        }
    }

    fn random_level(&mut self) -> usize {
        // splitmix64; each level is kept with probability 1/4 like Redis.
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (1 + z.trailing_zeros() as usize / 2).min(MAX_LEVEL)
    }

    /// For every level, the last node sorting before `(score, member)` and
    /// its 1-based position (0 for the header).
    fn find_update(&self, score: f64, member: &[u8]) -> ([u32; MAX_LEVEL], [u32; MAX_LEVEL]) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let (mut x, mut r) = (HEAD, 0u32);
        for i in (0..self.head.len()).rev() {
            loop {
                let f = self.next(x, i);
                if f == NIL {
                    break;
                }
                let (k, n) = self.kv(f);
                if !entry_less(n.score, k, score, member) {
                    break;
                }
                r += self.span(x, i);
                x = f;
            }
            update[i] = x;
            rank[i] = r;
        }
        (update, rank)
    }

    /// For every level, the last node whose 0-based rank is below `rank`.
    fn update_for_rank(&self, rank: usize) -> [u32; MAX_LEVEL] {
        let mut update = [HEAD; MAX_LEVEL];
        let (mut x, mut traversed) = (HEAD, 0usize);
        for i in (0..self.head.len()).rev() {
            loop {
                let f = self.next(x, i);
                let s = self.span(x, i) as usize;
                if f == NIL || traversed + s > rank {
                    break;
                }
                traversed += s;
                x = f;
            }
            update[i] = x;
        }
        update
    }

    /// Length of the longest prefix (in order) whose entries satisfy `pred`;
    /// `pred` must be monotone (true, then false).
    fn count_while(&self, mut pred: impl FnMut(&[u8], f64) -> bool) -> usize {
        let (mut x, mut r) = (HEAD, 0usize);
        for i in (0..self.head.len()).rev() {
            loop {
                let f = self.next(x, i);
                if f == NIL {
                    break;
                }
                let (k, n) = self.kv(f);
                if !pred(k, n.score) {
                    break;
                }
                r += self.span(x, i) as usize;
                x = f;
            }
        }
        r
    }

    fn node_at_rank(&self, rank: usize) -> u32 {
        if rank >= self.len() {
            return NIL;
        }
        let target = rank + 1;
        let (mut x, mut traversed) = (HEAD, 0usize);
        for i in (0..self.head.len()).rev() {
            loop {
                let f = self.next(x, i);
                let s = self.span(x, i) as usize;
                if f == NIL || traversed + s > target {
                    break;
                }
                traversed += s;
                x = f;
            }
            if traversed == target {
                return x;
            }
        }
        NIL
    }

    /// Rank interval `[lo, hi)` of the members within score bounds.
    fn score_ranks(&self, min: ScoreBound, max: ScoreBound) -> (usize, usize) {
        let lo = self.count_while(|_, s| {
            if min.exclusive {
                s <= min.value
            } else {
                s < min.value
            }
        });
        let hi = self.count_while(|_, s| {
            if max.exclusive {
                s < max.value
            } else {
                s <= max.value
            }
        });
        (lo, hi.max(lo))
    }

    /// Rank interval `[lo, hi)` of the members within lex bounds.
    fn lex_ranks(&self, min: LexBound<'_>, max: LexBound<'_>) -> (usize, usize) {
        let lo = self.count_while(|m, _| match min {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Inclusive(b) => m < b,
            LexBound::Exclusive(b) => m <= b,
        });
        let hi = self.count_while(|m, _| match max {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Inclusive(b) => m <= b,
            LexBound::Exclusive(b) => m < b,
        });
        (lo, hi.max(lo))
    }

    fn window(
        &self,
        lo: usize,
        hi: usize,
        reverse: bool,
        offset: usize,
        limit: Option<usize>,
    ) -> Iter<'_> {
        let n = hi - lo;
        let skip = offset.min(n);
        let take = limit.map_or(n - skip, |l| l.min(n - skip));
        if take == 0 {
            return self.empty_iter();
        }
        let first = if reverse { hi - 1 - skip } else { lo + skip };
        self.iter_at(first, take, reverse)
    }

    fn iter_at(&self, rank: usize, remaining: usize, reverse: bool) -> Iter<'_> {
        if remaining == 0 {
            return self.empty_iter();
        }
        Iter {
            zset: self,
            cur: self.node_at_rank(rank),
            remaining,
            reverse,
        }
    }

    fn empty_iter(&self) -> Iter<'_> {
        Iter {
            zset: self,
            cur: NIL,
            remaining: 0,
            reverse: false,
        }
    }

    /// Links the (unlinked) node in slot `idx` at the position its score and
    /// member dictate, with a fresh random height.
    fn link(&mut self, idx: u32) {
        let (mut update, mut rank) = {
            let (k, n) = self.kv(idx);
            self.find_update(n.score, k)
        };
        let level = self.random_level();
        let height = self.head.len();
        if level > height {
            // Nodes already linked: every slot but this one.
            let linked = (self.map.len() - 1) as u32;
            for i in height..level {
                update[i] = HEAD;
                rank[i] = 0;
                self.head.push(Level {
                    next: NIL,
                    span: linked,
                });
            }
        }
        let mut upper = vec![Level::default(); level - 1].into_boxed_slice();
        let next0 = self.next(update[0], 0);
        self.set_next(update[0], 0, idx);
        for i in 1..level {
            let u = update[i];
            let passed = rank[0] - rank[i];
            upper[i - 1] = Level {
                next: self.next(u, i),
                span: self.span(u, i) - passed,
            };
            self.set_next(u, i, idx);
            self.set_span(u, i, passed + 1);
        }
        for (i, &u) in update.iter().enumerate().take(self.head.len()).skip(level) {
            let s = self.span(u, i) + 1;
            self.set_span(u, i, s);
        }
        let back = if update[0] == HEAD { NIL } else { update[0] };
        {
            let n = &mut self.map[idx as usize];
            n.next0 = next0;
            n.back = back;
            n.upper = upper;
        }
        if next0 == NIL {
            self.tail = idx;
        } else {
            self.map[next0 as usize].back = idx;
        }
    }

    /// Detaches node `idx` from the skiplist given its predecessors; the map
    /// slot stays.
    fn unlink(&mut self, idx: u32, update: &[u32; MAX_LEVEL]) {
        for (i, &u) in update.iter().enumerate().take(self.head.len()) {
            if self.next(u, i) == idx {
                if i > 0 {
                    let s = self.span(u, i) + self.span(idx, i) - 1;
                    self.set_span(u, i, s);
                }
                let nx = self.next(idx, i);
                self.set_next(u, i, nx);
            } else if i > 0 {
                let s = self.span(u, i) - 1;
                self.set_span(u, i, s);
            }
        }
        let (back, next0) = {
            let n = &self.map[idx as usize];
            (n.back, n.next0)
        };
        if next0 == NIL {
            self.tail = back;
        } else {
            self.map[next0 as usize].back = back;
        }
        while self.head.len() > 1 && self.head[self.head.len() - 1].next == NIL {
            self.head.pop();
        }
    }

    fn update_score(&mut self, idx: u32, score: f64) {
        let (back, next0) = {
            let n = &self.map[idx as usize];
            (n.back, n.next0)
        };
        let fits_back = back == NIL || self.map[back as usize].score < score;
        let fits_next = next0 == NIL || self.map[next0 as usize].score > score;
        if !(fits_back && fits_next) {
            let (update, _) = {
                let (k, n) = self.kv(idx);
                self.find_update(n.score, k)
            };
            self.unlink(idx, &update);
            self.map[idx as usize].score = score;
            self.link(idx);
        } else {
            // Position unchanged: update in place like Redis zslUpdateScore.
            self.map[idx as usize].score = score;
        }
    }

    /// Drops the already-unlinked slot `idx` from the map, re-pointing links
    /// to the slot that `swap_remove` moves into its place.
    fn swap_out(&mut self, idx: u32) -> Option<(Bytes, Node)> {
        let last = (self.map.len() - 1) as u32;
        if idx != last {
            let moved = &self.map[last as usize];
            if moved.upper.is_empty() {
                // Most nodes have one level: the back link is the only
                // predecessor, no search needed.
                let pred = if moved.back == NIL { HEAD } else { moved.back };
                self.set_next(pred, 0, idx);
            } else {
                let (update, _) = {
                    let (k, n) = self.kv(last);
                    self.find_update(n.score, k)
                };
                let height = 1 + self.map[last as usize].upper.len();
                for (i, &u) in update.iter().enumerate().take(height) {
                    self.set_next(u, i, idx);
                }
            }
            let next0 = self.map[last as usize].next0;
            if next0 == NIL {
                self.tail = idx;
            } else {
                self.map[next0 as usize].back = idx;
            }
        }
        self.map.swap_remove_index(idx as usize)
    }

    /// Removes ranks `lo..hi`, appending them to `out` in order if given;
    /// returns the number removed.
    fn remove_ranks(
        &mut self,
        lo: usize,
        hi: usize,
        mut out: Option<&mut Vec<(Bytes, f64)>>,
    ) -> usize {
        let count = hi.saturating_sub(lo);
        if count == 0 {
            return 0;
        }
        if count == self.len() {
            if let Some(out) = out {
                out.extend(self.iter().map(|(k, s)| (k.clone(), s)));
            }
            self.clear();
            return count;
        }
        let update = self.update_for_rank(lo);
        let mut x = self.next(update[0], 0);
        let mut removed = Vec::with_capacity(count);
        for _ in 0..count {
            let next = self.next(x, 0);
            if let Some(out) = out.as_deref_mut() {
                let (k, s) = self.entry(x);
                out.push((k.clone(), s));
            }
            self.unlink(x, &update);
            removed.push(x);
            x = next;
        }
        self.compact(removed);
        self.maybe_shrink();
        count
    }

    /// Drops the unlinked slots in `removed` from the map.
    fn compact(&mut self, mut removed: Vec<u32>) {
        let n = self.map.len();
        let log_n = n.ilog2() as usize + 1;
        if removed.len().saturating_mul(log_n) <= n {
            // Few removals: swap-remove each, highest slot first, so the slot
            // moved into a hole is never one still waiting to be removed.
            removed.sort_unstable_by(|a, b| b.cmp(a));
            for idx in removed {
                self.swap_out(idx);
            }
            return;
        }
        // Many removals: compact in order and renumber every link, O(n).
        let mut remap = vec![0u32; n];
        for &idx in &removed {
            remap[idx as usize] = NIL;
        }
        let mut next_slot = 0u32;
        for slot in remap.iter_mut() {
            if *slot != NIL {
                *slot = next_slot;
                next_slot += 1;
            }
        }
        let mut i = 0usize;
        self.map.retain(|_, _| {
            let keep = remap[i] != NIL;
            i += 1;
            keep
        });
        let fix = |x: u32| if x == NIL { NIL } else { remap[x as usize] };
        for node in self.map.values_mut() {
            node.next0 = fix(node.next0);
            node.back = fix(node.back);
            for l in node.upper.iter_mut() {
                l.next = fix(l.next);
            }
        }
        for l in &mut self.head {
            l.next = fix(l.next);
        }
        self.tail = fix(self.tail);
    }

    fn clear(&mut self) {
        self.map = IndexMap::new();
        self.head = vec![Level { next: NIL, span: 0 }];
        self.tail = NIL;
    }

    /// Gives memory back after the set shrank to well below its capacity.
    fn maybe_shrink(&mut self) {
        let (len, cap) = (self.map.len(), self.map.capacity());
        if cap > 64 && len < cap / 8 {
            self.map.shrink_to(len * 2);
        }
    }

    /// Checks every structural invariant; test helper.
    #[cfg(test)]
    fn check(&self) {
        let len = self.len();
        assert!(!self.head.is_empty());
        // Level 0: order, back links, tail, every slot reachable once.
        let mut seen = vec![false; len];
        let (mut x, mut prev, mut count) = (self.head[0].next, NIL, 0usize);
        while x != NIL {
            assert!(!seen[x as usize], "cycle");
            seen[x as usize] = true;
            let (k, n) = self.kv(x);
            assert_eq!(n.back, prev);
            if prev != NIL {
                let (pk, pn) = self.kv(prev);
                assert!(entry_less(pn.score, pk, n.score, k), "order");
            }
            prev = x;
            x = n.next0;
            count += 1;
        }
        assert_eq!(count, len);
        assert_eq!(self.tail, prev);
        // Positions (1-based) of every slot.
        let mut pos = vec![0usize; len];
        let mut x = self.head[0].next;
        let mut p = 1;
        while x != NIL {
            pos[x as usize] = p;
            p += 1;
            x = self.map[x as usize].next0;
        }
        // Upper levels: spans equal position differences; top level used.
        assert!(self.head.len() == 1 || self.head[self.head.len() - 1].next != NIL);
        for i in 1..self.head.len() {
            let (mut x, mut at) = (HEAD, 0usize);
            loop {
                let f = self.next(x, i);
                let s = self.span(x, i) as usize;
                if f == NIL {
                    assert_eq!(at + s, len, "span to end");
                    break;
                }
                assert!(self.map[f as usize].upper.len() >= i);
                assert_eq!(at + s, pos[f as usize], "span");
                at = pos[f as usize];
                x = f;
            }
        }
        for n in self.map.values() {
            assert!(n.upper.len() < self.head.len());
        }
    }
}

/// Iterator over `(member, score)` pairs of a [`ZSet`] in rank order
/// (descending for reverse ranges); borrows the set, so replies can be
/// written without copying members.
#[derive(Clone)]
pub struct Iter<'a> {
    zset: &'a ZSet,
    cur: u32,
    remaining: usize,
    reverse: bool,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Bytes, f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 || self.cur == NIL {
            return None;
        }
        let (k, n) = self.zset.kv(self.cur);
        self.cur = if self.reverse { n.back } else { n.next0 };
        self.remaining -= 1;
        Some((k, n.score))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng, rngs::SmallRng};
    use std::cmp::Ordering;

    type Model = Vec<(Vec<u8>, f64)>;

    fn cmp(a: &(Vec<u8>, f64), b: &(Vec<u8>, f64)) -> Ordering {
        a.1.partial_cmp(&b.1)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    }

    fn model_insert(m: &mut Model, member: &[u8], score: f64) -> InsertOutcome {
        if let Some(i) = m.iter().position(|(k, _)| k == member) {
            if m[i].1 == score {
                return InsertOutcome::Unchanged;
            }
            m.remove(i);
            model_insert(m, member, score);
            return InsertOutcome::Updated;
        }
        let e = (member.to_vec(), score);
        let at = m.partition_point(|x| cmp(x, &e) == Ordering::Less);
        m.insert(at, e);
        InsertOutcome::Added
    }

    fn in_score(b_min: ScoreBound, b_max: ScoreBound, s: f64) -> bool {
        let lo = if b_min.exclusive {
            s > b_min.value
        } else {
            s >= b_min.value
        };
        let hi = if b_max.exclusive {
            s < b_max.value
        } else {
            s <= b_max.value
        };
        lo && hi
    }

    fn in_lex(min: LexBound<'_>, max: LexBound<'_>, m: &[u8]) -> bool {
        let lo = match min {
            LexBound::Min => true,
            LexBound::Max => false,
            LexBound::Inclusive(b) => m >= b,
            LexBound::Exclusive(b) => m > b,
        };
        let hi = match max {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Inclusive(b) => m <= b,
            LexBound::Exclusive(b) => m < b,
        };
        lo && hi
    }

    fn collect(it: Iter<'_>) -> Model {
        it.map(|(k, s)| (k.to_vec(), s)).collect()
    }

    fn window(v: Vec<(Vec<u8>, f64)>, rev: bool, off: usize, lim: Option<usize>) -> Model {
        let mut v = v;
        if rev {
            v.reverse();
        }
        v.into_iter()
            .skip(off)
            .take(lim.unwrap_or(usize::MAX))
            .collect()
    }

    fn same(z: &ZSet, m: &Model) {
        z.check();
        assert_eq!(z.len(), m.len());
        let got = collect(z.iter());
        assert_eq!(got.len(), m.len());
        for (g, w) in got.iter().zip(m) {
            assert_eq!(g.0, w.0);
            assert_eq!(g.1.to_bits(), w.1.to_bits());
        }
    }

    const SCORES: &[f64] = &[
        f64::NEG_INFINITY,
        -2.5,
        -1.0,
        -0.0,
        0.0,
        0.5,
        1.0,
        2.0,
        3.0,
        f64::INFINITY,
    ];

    fn rand_member(rng: &mut SmallRng, pool: usize) -> Vec<u8> {
        let n = rng.random_range(0..pool);
        match n % 4 {
            0 => format!("m{n}").into_bytes(),
            1 => format!("{n}").into_bytes(),
            2 if n == 2 => Vec::new(),
            _ => format!("x{n:03}\u{e9}").into_bytes(),
        }
    }

    fn rand_score_bound(rng: &mut SmallRng) -> ScoreBound {
        ScoreBound {
            value: SCORES[rng.random_range(0..SCORES.len())],
            exclusive: rng.random_bool(0.4),
        }
    }

    fn rand_limit(rng: &mut SmallRng) -> (usize, Option<usize>) {
        let off = if rng.random_bool(0.5) {
            0
        } else {
            rng.random_range(0..6)
        };
        let lim = if rng.random_bool(0.5) {
            None
        } else {
            Some(rng.random_range(0..6))
        };
        (off, lim)
    }

    fn run_model(seed: u64, ops: usize, pool: usize) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut z = ZSet::new();
        let mut m: Model = Vec::new();
        for _ in 0..ops {
            match rng.random_range(0..100) {
                0..=39 => {
                    let k = rand_member(&mut rng, pool);
                    let s = if rng.random_bool(0.7) {
                        SCORES[rng.random_range(0..SCORES.len())]
                    } else {
                        f64::from(rng.random_range(-50..50)) / 4.0
                    };
                    assert_eq!(z.insert(&k, s), model_insert(&mut m, &k, s));
                }
                40..=54 => {
                    let k = rand_member(&mut rng, pool);
                    let want = m.iter().position(|(x, _)| *x == k).map(|i| m.remove(i));
                    assert_eq!(z.remove(&k), want.is_some());
                }
                55..=64 => {
                    let k = rand_member(&mut rng, pool);
                    let pos = m.iter().position(|(x, _)| *x == k);
                    assert_eq!(z.rank(&k, false), pos);
                    assert_eq!(z.rank(&k, true), pos.map(|p| m.len() - 1 - p));
                    assert_eq!(z.score(&k).map(f64::to_bits), pos.map(|p| m[p].1.to_bits()));
                    let r = rng.random_range(0..m.len() + 2);
                    assert_eq!(
                        z.get_by_rank(r).map(|(k, s)| (k.to_vec(), s.to_bits())),
                        m.get(r).map(|(k, s)| (k.clone(), s.to_bits()))
                    );
                    assert_eq!(
                        collect(z.iter_from_rank(r)),
                        m.get(r..).unwrap_or(&[]).to_vec()
                    );
                }
                65..=72 => {
                    let a = rng.random_range(0..m.len() + 3);
                    let b = rng.random_range(0..m.len() + 3);
                    let rev = rng.random_bool(0.5);
                    let want: Model = if a > b || a >= m.len() {
                        Vec::new()
                    } else {
                        let b = b.min(m.len() - 1);
                        if rev {
                            let r: Model = m.iter().rev().cloned().collect();
                            r[a..=b].to_vec()
                        } else {
                            m[a..=b].to_vec()
                        }
                    };
                    let it = z.range_by_rank(a, b, rev);
                    assert_eq!(it.len(), want.len());
                    assert_eq!(collect(it), want);
                }
                73..=82 => {
                    let (lo, hi) = (rand_score_bound(&mut rng), rand_score_bound(&mut rng));
                    let rev = rng.random_bool(0.5);
                    let (off, lim) = rand_limit(&mut rng);
                    let all: Model = m
                        .iter()
                        .filter(|e| in_score(lo, hi, e.1))
                        .cloned()
                        .collect();
                    assert_eq!(z.count_in_score_range(lo, hi), all.len());
                    let want = window(all, rev, off, lim);
                    assert_eq!(collect(z.range_by_score(lo, hi, rev, off, lim)), want);
                }
                83..=86 => {
                    let n = rng.random_range(0..5);
                    let want: Model = m.drain(..n.min(m.len())).collect();
                    assert_eq!(
                        z.pop_min(n)
                            .into_iter()
                            .map(|(k, s)| (k.to_vec(), s))
                            .collect::<Model>(),
                        want
                    );
                }
                87..=90 => {
                    let n = rng.random_range(0..5).min(m.len());
                    let mut want: Model = m.drain(m.len() - n..).collect();
                    want.reverse();
                    assert_eq!(
                        z.pop_max(n)
                            .into_iter()
                            .map(|(k, s)| (k.to_vec(), s))
                            .collect::<Model>(),
                        want
                    );
                }
                91..=94 => {
                    let a = rng.random_range(0..m.len() + 3);
                    let b = a + rng.random_range(0..m.len() + 3);
                    let want = if a >= m.len() {
                        0
                    } else {
                        m.drain(a..=b.min(m.len() - 1)).count()
                    };
                    assert_eq!(z.remove_range_by_rank(a, b), want);
                }
                _ => {
                    let (lo, hi) = (rand_score_bound(&mut rng), rand_score_bound(&mut rng));
                    let before = m.len();
                    m.retain(|e| !in_score(lo, hi, e.1));
                    assert_eq!(z.remove_range_by_score(lo, hi), before - m.len());
                }
            }
            same(&z, &m);
        }
    }

    #[test]
    fn matches_model_small_pool() {
        for seed in 0..20 {
            run_model(seed, 1500, 12);
        }
    }

    #[test]
    fn matches_model_large_pool() {
        for seed in 100..106 {
            run_model(seed, 4000, 400);
        }
    }

    fn lex_bound<'a>(rng: &mut SmallRng, names: &'a [Vec<u8>]) -> LexBound<'a> {
        let b = &names[rng.random_range(0..names.len())];
        match rng.random_range(0..6) {
            0 => LexBound::Min,
            1 => LexBound::Max,
            2 | 3 => LexBound::Inclusive(b),
            _ => LexBound::Exclusive(b),
        }
    }

    #[test]
    fn lex_ranges_match_model() {
        let mut rng = SmallRng::seed_from_u64(42);
        let names: Vec<Vec<u8>> = ["", "a", "aa", "ab", "b", "ba", "bb", "c", "\u{ff}", "zz"]
            .iter()
            .map(|s| s.as_bytes().to_vec())
            .collect();
        for _ in 0..200 {
            let mut z = ZSet::new();
            let mut m: Model = Vec::new();
            for _ in 0..rng.random_range(0..12) {
                let k = &names[rng.random_range(0..names.len())];
                z.insert(k, 7.0);
                model_insert(&mut m, k, 7.0);
            }
            for _ in 0..20 {
                let (lo, hi) = (lex_bound(&mut rng, &names), lex_bound(&mut rng, &names));
                let rev = rng.random_bool(0.5);
                let (off, lim) = rand_limit(&mut rng);
                let all: Model = m.iter().filter(|e| in_lex(lo, hi, &e.0)).cloned().collect();
                assert_eq!(z.count_in_lex_range(lo, hi), all.len());
                assert_eq!(
                    collect(z.range_by_lex(lo, hi, rev, off, lim)),
                    window(all, rev, off, lim)
                );
            }
            let (lo, hi) = (lex_bound(&mut rng, &names), lex_bound(&mut rng, &names));
            let before = m.len();
            m.retain(|e| !in_lex(lo, hi, &e.0));
            assert_eq!(z.remove_range_by_lex(lo, hi), before - m.len());
            same(&z, &m);
        }
    }

    #[test]
    fn equal_scores_order_by_member() {
        let mut z = ZSet::new();
        for k in ["c", "a", "b", "aa", ""] {
            assert_eq!(z.insert(k.as_bytes(), 1.0), InsertOutcome::Added);
        }
        z.insert(b"z", 0.0);
        let order: Vec<&[u8]> = z.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(order, [&b"z"[..], b"", b"a", b"aa", b"b", b"c"]);
        assert_eq!(z.rank(b"aa", false), Some(3));
        assert_eq!(z.rank(b"aa", true), Some(2));
        assert_eq!(z.rank(b"nope", false), None);
    }

    #[test]
    fn insert_outcomes_and_zero_sign() {
        let mut z = ZSet::new();
        assert_eq!(z.insert(b"a", -0.0), InsertOutcome::Added);
        // -0 == 0, so this is not a change (Redis keeps the stored -0).
        assert_eq!(z.insert(b"a", 0.0), InsertOutcome::Unchanged);
        assert!(z.score(b"a").is_some_and(|s| s.is_sign_negative()));
        assert_eq!(z.insert(b"a", 2.0), InsertOutcome::Updated);
        assert_eq!(z.insert(b"a", f64::NAN), InsertOutcome::Unchanged);
        assert_eq!(z.score(b"a"), Some(2.0));
        assert!(z.remove(b"a"));
        assert!(!z.remove(b"a"));
        assert!(z.is_empty());
        z.check();
    }

    #[test]
    fn infinite_and_exclusive_bounds() {
        let mut z = ZSet::new();
        z.insert(b"lo", f64::NEG_INFINITY);
        z.insert(b"mid", 1.5);
        z.insert(b"mid2", 1.5);
        z.insert(b"hi", f64::INFINITY);
        let b =
            |s: &str| parse_score_bound(s.as_bytes()).unwrap_or(ScoreBound::inclusive(f64::NAN));
        let names = |it: Iter<'_>| it.map(|(k, _)| k.to_vec()).collect::<Vec<_>>();
        assert_eq!(z.count_in_score_range(b("-inf"), b("+inf")), 4);
        assert_eq!(z.count_in_score_range(b("(-inf"), b("(+inf")), 2);
        assert_eq!(z.count_in_score_range(b("(1.5"), b("+inf")), 1);
        assert_eq!(z.count_in_score_range(b("1.5"), b("1.5")), 2);
        assert_eq!(z.count_in_score_range(b("(1.5"), b("1.5")), 0);
        assert_eq!(z.count_in_score_range(b("2"), b("1")), 0);
        assert_eq!(
            names(z.range_by_score(b("-inf"), b("+inf"), true, 1, Some(2))),
            [b"mid2".to_vec(), b"mid".to_vec()]
        );
        assert_eq!(
            names(z.range_by_score(b("-inf"), b("+inf"), false, 10, None)).len(),
            0
        );
        assert_eq!(
            names(z.range_by_score(b("-inf"), b("+inf"), false, 0, Some(0))).len(),
            0
        );
        assert_eq!(z.remove_range_by_score(b("(-inf"), b("(inf")), 2);
        assert_eq!(names(z.iter()), [b"lo".to_vec(), b"hi".to_vec()]);
        z.check();
    }

    #[test]
    fn parse_bounds() {
        let sb = |s: &[u8]| parse_score_bound(s).map(|b| (b.value, b.exclusive));
        assert_eq!(sb(b"1.5"), Some((1.5, false)));
        assert_eq!(sb(b"(1.5"), Some((1.5, true)));
        assert_eq!(sb(b"-inf"), Some((f64::NEG_INFINITY, false)));
        assert_eq!(sb(b"+inf"), Some((f64::INFINITY, false)));
        assert_eq!(sb(b"(inf"), Some((f64::INFINITY, true)));
        assert_eq!(sb(b"( 1"), Some((1.0, true)));
        assert_eq!(sb(b"("), Some((0.0, true)));
        assert_eq!(sb(b""), Some((0.0, false)));
        assert_eq!(sb(b"1e400"), Some((f64::INFINITY, false)));
        assert_eq!(sb(b"[1"), None);
        assert_eq!(sb(b"nan"), None);
        assert_eq!(sb(b"(nan"), None);
        assert_eq!(sb(b"1 "), None);
        assert_eq!(sb(b"  "), None);

        assert_eq!(parse_lex_bound(b"-"), Some(LexBound::Min));
        assert_eq!(parse_lex_bound(b"+"), Some(LexBound::Max));
        assert_eq!(parse_lex_bound(b"+\0x"), Some(LexBound::Max));
        assert_eq!(parse_lex_bound(b"[a"), Some(LexBound::Inclusive(b"a")));
        assert_eq!(parse_lex_bound(b"(a"), Some(LexBound::Exclusive(b"a")));
        assert_eq!(parse_lex_bound(b"["), Some(LexBound::Inclusive(b"")));
        assert_eq!(parse_lex_bound(b"-a"), None);
        assert_eq!(parse_lex_bound(b"+a"), None);
        assert_eq!(parse_lex_bound(b"a"), None);
        assert_eq!(parse_lex_bound(b""), None);
    }

    #[test]
    fn update_moves_and_in_place() {
        let mut z = ZSet::new();
        for i in 0..100u32 {
            z.insert(format!("k{i}").as_bytes(), f64::from(i));
        }
        // In place (stays between neighbours).
        assert_eq!(z.insert(b"k50", 50.5), InsertOutcome::Updated);
        assert_eq!(z.rank(b"k50", false), Some(50));
        // Moves to the front and to the back.
        z.insert(b"k50", -1.0);
        assert_eq!(z.rank(b"k50", false), Some(0));
        z.insert(b"k50", 1000.0);
        assert_eq!(z.rank(b"k50", true), Some(0));
        z.check();
    }

    #[test]
    fn scales_and_bulk_removal() {
        let mut rng = SmallRng::seed_from_u64(9);
        let mut z = ZSet::new();
        let n = 50_000u32;
        for i in 0..n {
            let s = f64::from(rng.random_range(0..1000u32));
            z.insert(format!("member:{i}").as_bytes(), s);
        }
        assert_eq!(z.len(), n as usize);
        z.check();
        let mut prev = None;
        for (k, s) in z.iter().step_by(997) {
            let r = z.rank(k, false);
            assert!(r.is_some());
            assert_eq!(z.get_by_rank(r.unwrap_or(0)).map(|(_, s2)| s2), Some(s));
            if let Some(p) = prev {
                assert!(r > Some(p));
            }
            prev = r;
        }
        // Small removal (swap path), then a large one (compaction path).
        assert_eq!(z.remove_range_by_rank(100, 109), 10);
        z.check();
        let removed =
            z.remove_range_by_score(ScoreBound::inclusive(100.0), ScoreBound::inclusive(899.0));
        assert!(removed > 30_000);
        z.check();
        for i in (0..n).step_by(3) {
            z.remove(format!("member:{i}").as_bytes());
        }
        z.check();
        let left = z.len();
        assert_eq!(z.pop_max(left + 5).len(), left);
        assert!(z.is_empty());
        z.check();
        z.insert(b"again", 1.0);
        z.check();
    }
}
