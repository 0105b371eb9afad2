//! Reading RDB streams (files of versions 1 to 11, and DUMP payloads): every encoding Redis
//! has written, with every length checked against the remaining input so corrupt data gives an
//! error naming the offset, never a panic or an allocation larger than the input.

use std::collections::VecDeque;
use std::io::BufRead;

use bytes::Bytes;

use super::crc64::Crc64;
use super::listpack::Item;
use super::{RdbError, container, intset, listpack, lzf, opcode, types, ziplist, zipmap};
use crate::server::db::Db;
use crate::server::types::zset::ZSet;
use crate::server::value::{FastMap, FastSet, NO_EXPIRE, Value};

/// Result type of the decoder.
pub type RdbResult<T> = Result<T, RdbError>;

/// Cap on capacity reserved from a length read in the input, before the data proves it.
const MAX_PREALLOC: usize = 1 << 16;

/// A byte source with position tracking, bounds checks and an optional running checksum.
///
/// It reads straight out of the source's buffer (`BufRead`): fields are copied once, from that
/// buffer into the values, and the checksum runs over whole buffers rather than field by field
/// (bytes are handed back to the source, and checksummed, only when its buffer is used up).
pub struct Reader<R: BufRead> {
    inner: R,
    /// Bytes of `inner`'s current buffer already read, not yet consumed from it.
    used: usize,
    /// Stream offset of the first byte of `inner`'s current buffer.
    base: u64,
    size: u64,
    crc: Option<Crc64>,
}

/// `len` bytes at `from` in a source's current buffer, which holds them (`BufRead` returns
/// the same buffer until it is consumed); `at` is the stream offset for errors.
fn buffered<R: BufRead>(inner: &mut R, at: u64, from: usize, len: usize) -> RdbResult<&[u8]> {
    match inner.fill_buf() {
        Ok(buf) => buf
            .get(from..from + len)
            .ok_or_else(|| RdbError::new("read error: the input buffer shrank", at)),
        Err(e) => Err(RdbError::new(format!("read error: {e}"), at)),
    }
}

/// Most keys reserved from a RESIZEDB hint in a stream of unknown length.
const MAX_UNPROVEN_KEYS: usize = 1 << 22;

/// Size of a single reservation for a string whose length the input has not proven yet
/// (streams of unknown length): bigger strings grow as their bytes arrive.
const MAX_UNPROVEN: usize = 1 << 26;

impl<R: BufRead> Reader<R> {
    /// Wraps `inner`, which holds exactly `size` bytes (`u64::MAX` for a stream whose length is
    /// not known in advance). With `checksum`, a CRC-64 of everything read is kept (for the
    /// file trailer).
    pub fn new(inner: R, size: u64, checksum: bool) -> Self {
        Reader {
            inner,
            used: 0,
            base: 0,
            size,
            crc: checksum.then(Crc64::default),
        }
    }

    /// Wraps a stream whose length is not known in advance (a diskless full sync): it ends
    /// where `inner` does, and lengths read from it are not trusted to size buffers.
    pub fn streaming(inner: R, checksum: bool) -> Self {
        Self::new(inner, u64::MAX, checksum)
    }

    /// The wrapped source (to check what follows the RDB image).
    pub fn inner_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Bytes consumed so far.
    #[inline]
    pub fn pos(&self) -> u64 {
        self.base + self.used as u64
    }

    /// Bytes left.
    #[inline]
    pub fn remaining(&self) -> u64 {
        self.size.saturating_sub(self.pos())
    }

    /// An error at the current position.
    pub fn err(&self, msg: impl Into<String>) -> RdbError {
        RdbError::new(msg, self.pos())
    }

    fn io_err(&self, e: std::io::Error) -> RdbError {
        self.err(format!("read error: {e}"))
    }

    fn short(&self, needed: u64) -> RdbError {
        if self.size == u64::MAX {
            return self.err(format!(
                "unexpected end of data: {needed} more bytes needed"
            ));
        }
        self.err(format!(
            "unexpected end of data: {needed} bytes needed, {} left",
            self.remaining()
        ))
    }

    /// Hands the bytes read from the current buffer back to the source, checksumming them.
    fn release(&mut self) -> RdbResult<()> {
        if self.used == 0 {
            return Ok(());
        }
        let used = self.used;
        let read = buffered(&mut self.inner, self.base, 0, used)?;
        if let Some(c) = &mut self.crc {
            c.update(read);
        }
        self.inner.consume(used);
        self.base += used as u64;
        self.used = 0;
        Ok(())
    }

    /// Unread bytes available in the source's buffer, refilling it when used up; 0 at the end
    /// of the input.
    fn refill(&mut self) -> RdbResult<usize> {
        let used = self.used;
        match self.inner.fill_buf() {
            Ok(buf) if buf.len() > used => return Ok(buf.len() - used),
            Ok(_) => {}
            Err(e) => return Err(self.io_err(e)),
        }
        self.release()?;
        match self.inner.fill_buf() {
            Ok(buf) => Ok(buf.len()),
            Err(e) => Err(self.io_err(e)),
        }
    }

    /// Copies `out.len()` bytes (the caller checked they are within `size`).
    fn fill_slow(&mut self, out: &mut [u8]) -> RdbResult<()> {
        let mut done = 0;
        while done < out.len() {
            let avail = self.refill()?;
            if avail == 0 {
                return Err(self.short((out.len() - done) as u64));
            }
            let used = self.used;
            let n = avail.min(out.len() - done);
            let at = self.pos();
            let src = buffered(&mut self.inner, at, used, n)?;
            out[done..done + n].copy_from_slice(src);
            self.used += n;
            done += n;
        }
        Ok(())
    }

    /// Reads one byte.
    #[inline]
    pub fn u8(&mut self) -> RdbResult<u8> {
        if self.remaining() == 0 {
            return Err(self.short(1));
        }
        let used = self.used;
        if let Ok(buf) = self.inner.fill_buf()
            && let Some(&b) = buf.get(used)
        {
            self.used += 1;
            return Ok(b);
        }
        let mut b = [0u8; 1];
        self.fill_slow(&mut b)?;
        Ok(b[0])
    }

    #[inline]
    fn array<const N: usize>(&mut self) -> RdbResult<[u8; N]> {
        if self.remaining() < N as u64 {
            return Err(self.short(N as u64));
        }
        let mut b = [0u8; N];
        let used = self.used;
        if let Ok(buf) = self.inner.fill_buf()
            && let Some(src) = buf.get(used..used + N)
        {
            b.copy_from_slice(src);
            self.used += N;
            return Ok(b);
        }
        self.fill_slow(&mut b)?;
        Ok(b)
    }

    /// Reads `n` bytes (refused before allocating when fewer remain).
    pub fn bytes(&mut self, n: u64) -> RdbResult<Vec<u8>> {
        let mut v = Vec::new();
        self.bytes_into(n, &mut v)?;
        Ok(v)
    }

    /// Appends `n` bytes to `out` (refused before allocating when fewer remain).
    #[inline]
    fn bytes_into(&mut self, n: u64, out: &mut Vec<u8>) -> RdbResult<()> {
        if n > self.remaining() {
            return Err(self.err(format!(
                "length {n} exceeds the {} bytes left",
                self.remaining()
            )));
        }
        let used = self.used;
        if let Ok(buf) = self.inner.fill_buf()
            && let Some(src) = usize::try_from(n)
                .ok()
                .and_then(|n| buf.get(used..used.checked_add(n)?))
        {
            out.extend_from_slice(src);
            self.used += src.len();
            return Ok(());
        }
        self.bytes_slow(n, out)
    }

    /// [`Self::bytes_into`] across buffer refills, reserving only what the input has proven
    /// when its length is unknown.
    fn bytes_slow(&mut self, n: u64, out: &mut Vec<u8>) -> RdbResult<()> {
        let mut left = usize::try_from(n).map_err(|_| self.err("length too large"))?;
        out.reserve_exact(left.min(MAX_UNPROVEN));
        while left > 0 {
            let avail = self.refill()?;
            if avail == 0 {
                return Err(self.short(left as u64));
            }
            let take = avail.min(left);
            if out.capacity() - out.len() < take {
                // Double, but never beyond the announced length.
                out.reserve_exact(left.min(out.len().max(take)));
            }
            let used = self.used;
            let at = self.pos();
            out.extend_from_slice(buffered(&mut self.inner, at, used, take)?);
            self.used += take;
            left -= take;
        }
        Ok(())
    }

    /// The checksum of everything read so far (when enabled).
    pub fn checksum(&mut self) -> RdbResult<Option<u64>> {
        self.release()?;
        Ok(self.crc.as_ref().map(Crc64::value))
    }

    /// Whether the input has nothing left (a stream of unknown length must end right after
    /// the image).
    pub fn at_end(&mut self) -> RdbResult<bool> {
        Ok(self.refill()? == 0)
    }

    /// Reads a length; the flag tells a special string encoding (then the value is its kind).
    pub fn length_or_encoding(&mut self) -> RdbResult<(u64, bool)> {
        let b = self.u8()?;
        match b >> 6 {
            0 => Ok(((b & 0x3f) as u64, false)),
            1 => {
                let b2 = self.u8()?;
                Ok(((((b & 0x3f) as u64) << 8) | b2 as u64, false))
            }
            2 => match b {
                0x80 => Ok((u32::from_be_bytes(self.array()?) as u64, false)),
                0x81 => Ok((u64::from_be_bytes(self.array()?), false)),
                _ => Err(self.err(format!("invalid length encoding 0x{b:02x}"))),
            },
            _ => Ok(((b & 0x3f) as u64, true)),
        }
    }

    /// Reads a plain length.
    pub fn length(&mut self) -> RdbResult<u64> {
        match self.length_or_encoding()? {
            (n, false) => Ok(n),
            (_, true) => Err(self.err("unexpected encoded value where a length was expected")),
        }
    }

    /// Reads a count of items that each take at least `min_bytes` of input.
    fn count(&mut self, min_bytes: u64) -> RdbResult<u64> {
        let n = self.length()?;
        if n.saturating_mul(min_bytes) > self.remaining() {
            return Err(self.err(format!(
                "element count {n} exceeds what the {} bytes left can hold",
                self.remaining()
            )));
        }
        Ok(n)
    }

    /// Reads a string in any of its encodings (raw, integer, LZF).
    pub fn string(&mut self) -> RdbResult<Vec<u8>> {
        let mut v = Vec::new();
        self.string_into(&mut v)?;
        Ok(v)
    }

    /// Reads a string in any of its encodings into `out`, replacing its contents: a caller
    /// that keeps `out` reads many strings (key names) without an allocation each.
    pub fn string_into(&mut self, out: &mut Vec<u8>) -> RdbResult<()> {
        out.clear();
        let (n, encoded) = self.length_or_encoding()?;
        if !encoded {
            return self.bytes_into(n, out);
        }
        match n {
            0 => out.extend_from_slice((self.u8()? as i8).to_string().as_bytes()),
            1 => out.extend_from_slice(i16::from_le_bytes(self.array()?).to_string().as_bytes()),
            2 => out.extend_from_slice(i32::from_le_bytes(self.array()?).to_string().as_bytes()),
            3 => {
                let clen = self.length()?;
                let len = self.length()?;
                let start = self.pos();
                let compressed = self.bytes(clen)?;
                let len = usize::try_from(len).map_err(|_| self.err("LZF length too large"))?;
                *out = lzf::decompress(&compressed, len)
                    .ok_or_else(|| RdbError::new("invalid LZF compressed string", start))?;
            }
            k => return Err(self.err(format!("unknown string encoding {k}"))),
        }
        Ok(())
    }

    /// A text-encoded double (sorted sets of type 3): length byte, 253/254/255 = nan/+inf/-inf.
    fn text_double(&mut self) -> RdbResult<f64> {
        match self.u8()? {
            253 => Ok(f64::NAN),
            254 => Ok(f64::INFINITY),
            255 => Ok(f64::NEG_INFINITY),
            n => {
                let b = self.bytes(n as u64)?;
                parse_score(&b).ok_or_else(|| self.err("invalid double value"))
            }
        }
    }

    fn binary_double(&mut self) -> RdbResult<f64> {
        Ok(f64::from_le_bytes(self.array()?))
    }
}

/// Parses a score stored as text (strtod-like, NaN refused by the caller).
fn parse_score(b: &[u8]) -> Option<f64> {
    std::str::from_utf8(b).ok()?.trim().parse::<f64>().ok()
}

fn item_score(it: &Item<'_>) -> Option<f64> {
    match it {
        Item::Int(i) => Some(*i as f64),
        Item::Str(s) => parse_score(s),
    }
}

fn item_bytes(it: &Item<'_>) -> Bytes {
    match it {
        Item::Str(s) => Bytes::copy_from_slice(s),
        Item::Int(i) => Bytes::from(i.to_string()),
    }
}

/// Builds sets, hashes and sorted sets from decoded elements, refusing duplicates and NaN
/// scores as Redis does.
struct Build;

impl Build {
    fn set(members: impl Iterator<Item = Bytes>, cap: usize) -> Result<Value, String> {
        let mut s = FastSet::with_capacity_and_hasher(cap.min(MAX_PREALLOC), Default::default());
        for m in members {
            if !s.insert(m) {
                return Err("duplicate set members detected".into());
            }
        }
        Ok(Value::Set(Box::new(s)))
    }

    fn hash(pairs: impl Iterator<Item = (Bytes, Bytes)>, cap: usize) -> Result<Value, String> {
        let mut h = FastMap::with_capacity_and_hasher(cap.min(MAX_PREALLOC), Default::default());
        for (f, v) in pairs {
            if h.insert(f, v).is_some() {
                return Err("duplicate hash fields detected".into());
            }
        }
        Ok(Value::Hash(Box::new(h)))
    }

    fn zset<'a>(pairs: impl Iterator<Item = (&'a [u8], f64)>) -> Result<Value, String> {
        let mut z = ZSet::new();
        for (m, score) in pairs {
            if score.is_nan() {
                return Err("zset with NAN score detected".into());
            }
            if z.score(m).is_some() {
                return Err("duplicate zset fields detected".into());
            }
            z.insert(m, score);
        }
        Ok(Value::ZSet(Box::new(z)))
    }
}

/// Reads the value of a key of type `t` (the type byte already consumed). `Ok(None)` for an
/// empty aggregate, which Redis skips when loading a file and refuses in RESTORE.
pub fn read_value<R: BufRead>(r: &mut Reader<R>, t: u8, key: &[u8]) -> RdbResult<Option<Value>> {
    let start = r.pos();
    let at = |msg: String| RdbError::new(msg, start);
    let v = match t {
        types::STRING => Value::Str(r.string()?),
        types::LIST => {
            let n = r.count(1)?;
            let mut l = VecDeque::with_capacity((n as usize).min(MAX_PREALLOC));
            for _ in 0..n {
                l.push_back(Bytes::from(r.string()?));
            }
            Value::List(Box::new(l))
        }
        types::SET => {
            let n = r.count(1)?;
            let mut members = Vec::with_capacity((n as usize).min(MAX_PREALLOC));
            for _ in 0..n {
                members.push(Bytes::from(r.string()?));
            }
            Build::set(members.into_iter(), n as usize).map_err(at)?
        }
        types::ZSET | types::ZSET_2 => {
            let n = r.count(2)?;
            let mut pairs = Vec::with_capacity((n as usize).min(MAX_PREALLOC));
            for _ in 0..n {
                let m = r.string()?;
                let s = if t == types::ZSET {
                    r.text_double()?
                } else {
                    r.binary_double()?
                };
                pairs.push((m, s));
            }
            Build::zset(pairs.iter().map(|(m, s)| (&m[..], *s))).map_err(at)?
        }
        types::HASH => {
            let n = r.count(2)?;
            let mut pairs = Vec::with_capacity((n as usize).min(MAX_PREALLOC));
            for _ in 0..n {
                let f = Bytes::from(r.string()?);
                let v = Bytes::from(r.string()?);
                pairs.push((f, v));
            }
            Build::hash(pairs.into_iter(), n as usize).map_err(at)?
        }
        types::HASH_ZIPMAP => {
            let blob = r.string()?;
            let pairs = zipmap::parse(&blob).map_err(at)?;
            let n = pairs.len();
            Build::hash(
                pairs
                    .into_iter()
                    .map(|(f, v)| (Bytes::copy_from_slice(f), Bytes::copy_from_slice(v))),
                n,
            )
            .map_err(at)?
        }
        types::LIST_ZIPLIST => {
            let blob = r.string()?;
            let items = ziplist::parse(&blob).map_err(at)?;
            Value::List(Box::new(items.iter().map(item_bytes).collect()))
        }
        types::SET_INTSET => {
            let blob = r.string()?;
            let ints = intset::parse(&blob).map_err(at)?;
            let n = ints.len();
            Build::set(ints.into_iter().map(|i| Bytes::from(i.to_string())), n).map_err(at)?
        }
        types::SET_LISTPACK => {
            let blob = r.string()?;
            let items = listpack::parse(&blob).map_err(at)?;
            Build::set(items.iter().map(item_bytes), items.len()).map_err(at)?
        }
        types::ZSET_ZIPLIST | types::ZSET_LISTPACK | types::HASH_ZIPLIST | types::HASH_LISTPACK => {
            let blob = r.string()?;
            let items = if t == types::ZSET_ZIPLIST || t == types::HASH_ZIPLIST {
                ziplist::parse(&blob)
            } else {
                listpack::parse(&blob)
            }
            .map_err(at)?;
            if items.len() % 2 != 0 {
                return Err(at("odd number of elements in a pair encoding".into()));
            }
            if t == types::ZSET_ZIPLIST || t == types::ZSET_LISTPACK {
                let mut pairs = Vec::with_capacity(items.len() / 2);
                for p in items.chunks_exact(2) {
                    let score = item_score(&p[1]).ok_or_else(|| at("invalid zset score".into()))?;
                    pairs.push((item_bytes(&p[0]), score));
                }
                Build::zset(pairs.iter().map(|(m, s)| (&m[..], *s))).map_err(at)?
            } else {
                Build::hash(
                    items
                        .chunks_exact(2)
                        .map(|p| (item_bytes(&p[0]), item_bytes(&p[1]))),
                    items.len() / 2,
                )
                .map_err(at)?
            }
        }
        types::LIST_QUICKLIST | types::LIST_QUICKLIST_2 => {
            let nodes = r.count(1)?;
            let mut l = VecDeque::new();
            for _ in 0..nodes {
                let kind = if t == types::LIST_QUICKLIST_2 {
                    r.length()?
                } else {
                    container::PACKED
                };
                let node_start = r.pos();
                let blob = r.string()?;
                match kind {
                    container::PLAIN => l.push_back(Bytes::from(blob)),
                    container::PACKED => {
                        let items = if t == types::LIST_QUICKLIST {
                            ziplist::parse(&blob)
                        } else {
                            listpack::parse(&blob)
                        }
                        .map_err(|e| RdbError::new(e, node_start))?;
                        l.extend(items.iter().map(item_bytes));
                    }
                    k => {
                        return Err(RdbError::new(
                            format!("unknown quicklist node container {k}"),
                            node_start,
                        ));
                    }
                }
            }
            Value::List(Box::new(l))
        }
        types::MODULE_PRE_GA
        | types::MODULE_2
        | types::STREAM_LISTPACKS
        | types::STREAM_LISTPACKS_2
        | types::STREAM_LISTPACKS_3 => {
            return Err(at(format!(
                "key '{}' holds a {} (RDB type {t}), which vigil does not support",
                String::from_utf8_lossy(key),
                types::name(t)
            )));
        }
        _ => return Err(at(format!("unknown RDB value type {t}"))),
    };
    Ok((!v.is_empty_aggregate()).then_some(v))
}

/// How to load a file.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Number of databases configured (a bigger SELECTDB index is an error).
    pub databases: usize,
    /// Load time, Unix ms: what "already expired" means.
    pub now_ms: i64,
    /// What happens to keys whose TTL passed before `now_ms`.
    pub expired: ExpiredKeys,
    /// Verify the CRC-64 trailer (`rdbchecksum`).
    pub verify_checksum: bool,
    /// Turns loaded idle time / LFU counter into the `lru` field.
    pub lru: LruSetter,
    /// Testing aid (`key-load-delay`): microseconds slept after each key.
    pub key_delay_us: i64,
}

/// What a load does with keys that are already expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiredKeys {
    /// Skip them (a master; DEBUG RELOAD).
    Skip,
    /// Skip them and list them in the report, so a restarted master can put their DELs in its
    /// replication backlog as Redis does.
    SkipAndReport,
    /// Load them: a replica waits for its master's DEL.
    Keep,
}

/// How the `lru` field of loaded keys is set.
#[derive(Debug, Clone, Copy)]
pub enum LruSetter {
    /// LRU clock; idle time from the file is honoured.
    Lru,
    /// LFU counter; frequency from the file is honoured (initial counter otherwise).
    Lfu,
}

impl LruSetter {
    /// The `lru` field for a key with the given idle time (LRU) or counter (LFU), if known.
    pub fn value(self, now_ms: i64, idle_secs: Option<u64>, freq: Option<u8>) -> u32 {
        // Same clock layouts as the eviction code: 24-bit seconds, or 16-bit minutes + counter.
        const LRU_MAX: u32 = (1 << 24) - 1;
        match self {
            LruSetter::Lru => {
                let t = now_ms / 1000 - idle_secs.unwrap_or(0).min(i64::MAX as u64) as i64;
                (t.max(0) as u32) & LRU_MAX
            }
            LruSetter::Lfu => {
                let minutes = ((now_ms / 60_000) as u32) & 0xFFFF;
                let counter = freq.unwrap_or(crate::server::evict::LFU_INIT_VAL);
                (minutes << 8) | counter as u32
            }
        }
    }
}

/// What a load found besides the keys.
#[derive(Debug, Default, Clone)]
pub struct LoadReport {
    /// RDB version of the file.
    pub version: u16,
    /// Aux fields in file order.
    pub aux: Vec<(String, Vec<u8>)>,
    /// Keys stored.
    pub keys_loaded: u64,
    /// Keys skipped because their TTL had passed.
    pub keys_expired: u64,
    /// Empty aggregates skipped.
    pub empty_keys_skipped: u64,
    /// Whether the file had a checksum that was verified.
    pub checksum_verified: bool,
    /// (database, key) of the expired keys skipped, with [`ExpiredKeys::SkipAndReport`].
    pub expired_keys: Vec<(usize, Vec<u8>)>,
}

/// Loads a whole RDB stream into `dbs` (which should be empty). `progress` is called now and
/// then with the bytes consumed so far.
pub fn load<R: BufRead>(
    r: &mut Reader<R>,
    opts: &LoadOptions,
    dbs: &mut [Db],
    mut progress: impl FnMut(u64, u64),
) -> RdbResult<LoadReport> {
    let mut report = LoadReport::default();
    let magic = r.bytes(9.min(r.remaining()))?;
    if magic.len() < 9 || &magic[..5] != b"REDIS" {
        return Err(RdbError::new(
            "wrong signature trying to load DB from file",
            0,
        ));
    }
    let version = std::str::from_utf8(&magic[5..9])
        .ok()
        .and_then(|v| v.parse::<u16>().ok())
        .ok_or_else(|| RdbError::new("invalid RDB version field", 5))?;
    if !(1..=super::RDB_MAX_READ_VERSION).contains(&version) {
        return Err(RdbError::new(
            format!("can't handle RDB format version {version}"),
            5,
        ));
    }
    report.version = version;
    let mut db = 0usize;
    let mut expires_at = NO_EXPIRE;
    let mut idle: Option<u64> = None;
    let mut freq: Option<u8> = None;
    let mut last_progress = 0u64;
    // Key names are read into one buffer and stored inline in the map when short.
    let mut key = Vec::new();
    loop {
        if r.pos() - last_progress >= 1 << 20 {
            last_progress = r.pos();
            progress(r.pos(), report.keys_loaded);
        }
        let t = r.u8()?;
        match t {
            opcode::EXPIRETIME => {
                expires_at = i32::from_le_bytes(r.array()?) as i64 * 1000;
                continue;
            }
            opcode::EXPIRETIME_MS => {
                expires_at = i64::from_le_bytes(r.array()?);
                continue;
            }
            opcode::FREQ => {
                freq = Some(r.u8()?);
                continue;
            }
            opcode::IDLE => {
                idle = Some(r.length()?);
                continue;
            }
            opcode::EOF => break,
            opcode::SELECTDB => {
                let at = r.pos();
                let id = r.length()?;
                if id >= opts.databases as u64 {
                    return Err(RdbError::new(
                        format!(
                            "data file was created with a server configured to handle more than {} databases (SELECTDB {id})",
                            opts.databases
                        ),
                        at,
                    ));
                }
                db = id as usize;
                continue;
            }
            opcode::RESIZEDB => {
                let size = r.length()?;
                let _expires = r.length()?;
                let d = &mut dbs[db];
                // The hint is trusted only as far as the input can hold that many keys (a
                // stream of unknown length: up to a bound), so a corrupt one cannot make a
                // huge allocation.
                let most = if r.size == u64::MAX {
                    MAX_UNPROVEN_KEYS
                } else {
                    usize::try_from(r.remaining() / 3).unwrap_or(usize::MAX)
                };
                if d.entries.is_empty() {
                    d.entries
                        .reserve(usize::try_from(size).unwrap_or(usize::MAX).min(most));
                }
                continue;
            }
            opcode::AUX => {
                let name = r.string()?;
                let value = r.string()?;
                report
                    .aux
                    .push((String::from_utf8_lossy(&name).into_owned(), value));
                continue;
            }
            opcode::MODULE_AUX => {
                return Err(
                    r.err("the file holds module auxiliary data; vigil does not support modules")
                );
            }
            opcode::FUNCTION2 | opcode::FUNCTION_PRE_GA => {
                return Err(r.err(
                    "the file holds function libraries (FUNCTION LOAD); vigil does not support functions",
                ));
            }
            opcode::SLOT_INFO => {
                return Err(r.err("the file holds cluster slot information (Redis 7.4+)"));
            }
            _ => {}
        }
        r.string_into(&mut key)?;
        let value = read_value(r, t, &key)?;
        let (exp, id, fr) = (expires_at, idle.take(), freq.take());
        expires_at = NO_EXPIRE;
        let Some(value) = value else {
            report.empty_keys_skipped += 1;
            if report.empty_keys_skipped <= 10 {
                tracing::info!(
                    "rdbLoadObject skipping empty key: {}",
                    String::from_utf8_lossy(&key)
                );
            }
            continue;
        };
        if exp != NO_EXPIRE && exp < opts.now_ms && opts.expired != ExpiredKeys::Keep {
            report.keys_expired += 1;
            if opts.expired == ExpiredKeys::SkipAndReport {
                report.expired_keys.push((db, key.clone()));
            }
            continue;
        }
        let lru = opts.lru.value(opts.now_ms, id, fr);
        if let Err(key) =
            dbs[db].insert_new(crate::server::key::Key::from(&key[..]), value, exp, lru)
        {
            return Err(r.err(format!(
                "duplicated key '{}' in DB {db}",
                String::from_utf8_lossy(&key)
            )));
        }
        report.keys_loaded += 1;
        if opts.key_delay_us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(opts.key_delay_us as u64));
            progress(r.pos(), report.keys_loaded);
        }
    }
    if version >= 5 {
        let computed = r.checksum()?;
        let stored = u64::from_le_bytes(r.array()?);
        if opts.verify_checksum && stored != 0 {
            if let Some(c) = computed
                && c != stored
            {
                return Err(r.err(format!(
                    "wrong RDB checksum: expected {stored:x}, computed {c:x}"
                )));
            }
            report.checksum_verified = true;
        }
    }
    // What follows an image of unknown length is the caller's to judge.
    let trailing = if r.size == u64::MAX { 0 } else { r.remaining() };
    if trailing > 0 {
        tracing::warn!(
            bytes = trailing,
            "ignoring data after the end of the RDB file"
        );
    }
    progress(r.pos(), report.keys_loaded);
    Ok(report)
}

/// Checks a DUMP payload's footer (version and CRC-64) and decodes its value.
pub fn restore_payload(payload: &[u8]) -> Result<Value, &'static str> {
    const WRONG: &str = "ERR DUMP payload version or checksum are wrong";
    const BAD: &str = "ERR Bad data format";
    if payload.len() < 10 {
        return Err(WRONG);
    }
    let body = payload.len() - 10;
    let version = u16::from_le_bytes([payload[body], payload[body + 1]]);
    if version > super::RDB_MAX_READ_VERSION {
        return Err(WRONG);
    }
    let mut crc = [0u8; 8];
    crc.copy_from_slice(&payload[body + 2..]);
    if super::crc64::checksum(&payload[..body + 2]) != u64::from_le_bytes(crc) {
        return Err(WRONG);
    }
    let data = &payload[..body];
    let mut r = Reader::new(data, data.len() as u64, false);
    let t = r.u8().map_err(|_| BAD)?;
    if matches!(t, opcode::SLOT_INFO..=opcode::EOF) {
        return Err(BAD);
    }
    match read_value(&mut r, t, b"") {
        Ok(Some(v)) => Ok(v),
        _ => Err(BAD),
    }
}
