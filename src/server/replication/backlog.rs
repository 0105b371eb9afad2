//! The replication buffer: one byte stream shared by the backlog and every replica's pending
//! output, as in Redis 7.0.
//!
//! The stream is kept in blocks. The backlog needs the last `repl-backlog-size` bytes (for
//! partial resynchronisation); a replica that lags needs everything from its position on. A
//! block is released only when neither needs it, so a slow replica makes the history longer
//! instead of costing a copy per replica (INFO `repl_backlog_histlen` can then exceed
//! `repl_backlog_size`, exactly like Redis).

use std::collections::VecDeque;

/// Size of a freshly allocated block (Redis's `PROTO_REPLY_CHUNK_BYTES`).
const BLOCK: usize = 16 * 1024;

/// The shared stream buffer. Offsets are Redis's: the first byte ever produced has offset 1 and
/// `end()` is `master_repl_offset`.
#[derive(Debug)]
pub struct Backlog {
    /// (offset of the block's first byte, bytes).
    blocks: VecDeque<(i64, Vec<u8>)>,
    /// Offset of the first byte held (`repl_backlog_first_byte_offset`).
    first: i64,
    /// Bytes held from `first` to the end (`repl_backlog_histlen`).
    histlen: usize,
    /// `repl-backlog-size`.
    limit: usize,
}

impl Backlog {
    /// An empty backlog whose next byte will have offset `offset + 1`.
    pub fn new(offset: i64, limit: usize) -> Backlog {
        Backlog {
            blocks: VecDeque::new(),
            first: offset + 1,
            histlen: 0,
            limit,
        }
    }

    /// Offset of the oldest byte held.
    pub fn first(&self) -> i64 {
        self.first
    }

    /// Bytes of history held.
    pub fn histlen(&self) -> usize {
        self.histlen
    }

    /// Offset of the last byte held.
    pub fn end(&self) -> i64 {
        self.first + self.histlen as i64 - 1
    }

    /// The configured size.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Changes the configured size (CONFIG SET repl-backlog-size); trimming follows.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// Memory held by the blocks.
    pub fn memory(&self) -> usize {
        self.blocks.iter().map(|(_, b)| b.capacity()).sum()
    }

    /// Whether a replica may continue from `next` (the first byte it does not have).
    pub fn can_continue_from(&self, next: i64) -> bool {
        next >= self.first && next <= self.first + self.histlen as i64
    }

    /// Appends bytes to the stream.
    pub fn append(&mut self, mut data: &[u8]) {
        self.histlen += data.len();
        if let Some((_, last)) = self.blocks.back_mut() {
            let room = last.capacity() - last.len();
            let n = room.min(data.len());
            last.extend_from_slice(&data[..n]);
            data = &data[n..];
        }
        while !data.is_empty() {
            let start = self.end() - data.len() as i64 + 1;
            let mut block = Vec::with_capacity(BLOCK.max(data.len().min(16 * BLOCK)));
            let n = block.capacity().min(data.len());
            block.extend_from_slice(&data[..n]);
            data = &data[n..];
            self.blocks.push_back((start, block));
        }
    }

    /// Copies up to `max` bytes starting at offset `from` into `out`; returns how many.
    pub fn read(&self, from: i64, max: usize, out: &mut Vec<u8>) -> usize {
        if from < self.first || from > self.end() {
            return 0;
        }
        let idx = self
            .blocks
            .partition_point(|(start, _)| *start <= from)
            .saturating_sub(1);
        let mut copied = 0;
        let mut pos = from;
        for (start, data) in self.blocks.range(idx..) {
            if copied >= max {
                break;
            }
            let skip = (pos - start) as usize;
            if skip >= data.len() {
                continue;
            }
            let n = (data.len() - skip).min(max - copied);
            out.extend_from_slice(&data[skip..skip + n]);
            copied += n;
            pos += n as i64;
        }
        copied
    }

    /// Releases the oldest blocks that the backlog no longer needs and that no replica still has
    /// to send (`oldest_needed` = smallest next-byte offset of the replicas, or `i64::MAX`).
    pub fn trim(&mut self, oldest_needed: i64) {
        while self.blocks.len() > 1 && self.histlen > self.limit {
            let Some((start, data)) = self.blocks.front() else {
                break;
            };
            let len = data.len();
            if start + len as i64 > oldest_needed || self.histlen - len <= self.limit {
                break;
            }
            self.blocks.pop_front();
            self.histlen -= len;
            self.first += len as i64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_reads() {
        let mut b = Backlog::new(100, 20_000);
        assert_eq!(b.first(), 101);
        assert_eq!(b.histlen(), 0);
        assert!(b.can_continue_from(101));
        assert!(!b.can_continue_from(102));
        let data: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
        b.append(&data[..10]);
        b.append(&data[10..]);
        assert_eq!(b.end(), 100 + 50_000);
        let mut out = Vec::new();
        assert_eq!(b.read(101, 100_000, &mut out), 50_000);
        assert_eq!(out, data);
        out.clear();
        assert_eq!(b.read(101 + 20_000, 7, &mut out), 7);
        assert_eq!(out, &data[20_000..20_007]);
    }

    #[test]
    fn trim_respects_replicas_and_limit() {
        let mut b = Backlog::new(0, 20_000);
        let chunk = vec![7u8; 1000];
        for _ in 0..100 {
            b.append(&chunk);
        }
        // A replica still at offset 1 pins everything.
        b.trim(1);
        assert_eq!(b.histlen(), 100_000);
        b.trim(i64::MAX);
        assert!(b.histlen() >= 20_000);
        assert!(b.histlen() < 20_000 + 2 * BLOCK);
        assert_eq!(b.first() + b.histlen() as i64 - 1, 100_000);
        let mut out = Vec::new();
        assert_eq!(b.read(b.first(), usize::MAX, &mut out), b.histlen());
        assert!(!b.can_continue_from(1));
    }
}
