//! Serializing values and files in RDB version 10, the encodings Redis 7.0 itself writes:
//! strings (integer-encoded or LZF-compressed like Redis), lists as quicklist-2 of listpack
//! nodes, hashes and sorted sets as listpacks when small or as plain pairs when big, sets as
//! intsets when small and all-integer or as plain members.

use super::{container, listpack, lzf, opcode, types};
use crate::server::encoding::{Encoding, EncodingLimits, encoding_of};
use crate::server::evict;
use crate::server::value::{Entry, Value};
use crate::util::num::parse_i64;

/// Largest listpack Redis accepts in a quicklist node; bigger elements go in plain nodes.
const PLAIN_THRESHOLD: usize = 1 << 30;
/// Byte limit of a quicklist node when `list-max-listpack-size` is a count (Redis's safety limit).
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Byte limits for `list-max-listpack-size` -1..-5.
const FILL_BYTES: [usize; 5] = [4096, 8192, 16384, 32768, 65536];

/// Per-key access metadata written before a value, as Redis does under an LRU/LFU policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessInfo {
    /// No metadata.
    None,
    /// RDB_OPCODE_IDLE with the idle time in seconds.
    Idle,
    /// RDB_OPCODE_FREQ with the decayed LFU counter (decay period in minutes).
    Freq(u32),
}

/// Choices that shape the output, taken from the configuration when a save starts.
#[derive(Debug, Clone)]
pub struct SaveOptions {
    /// `rdbcompression`: LZF-compress strings longer than 20 bytes.
    pub compress: bool,
    /// Thresholds deciding between compact and big encodings.
    pub limits: EncodingLimits,
    /// `list-max-listpack-size`.
    pub list_fill: i64,
    /// LRU/LFU metadata per key.
    pub access: AccessInfo,
    /// Time the save started, Unix ms (idle times are measured against it).
    pub now_ms: i64,
}

impl Default for SaveOptions {
    fn default() -> Self {
        SaveOptions {
            compress: true,
            limits: EncodingLimits::default(),
            list_fill: -2,
            access: AccessInfo::None,
            now_ms: 0,
        }
    }
}

/// Appends an RDB length (6-bit, 14-bit, 32-bit or 64-bit form).
pub fn write_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.push(0x40 | (len >> 8) as u8);
        out.push((len & 0xff) as u8);
    } else if len <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// Integer encodings for short decimal strings (Redis's `rdbTryIntegerEncoding`).
fn write_int_encoded(out: &mut Vec<u8>, s: &[u8]) -> bool {
    if s.len() > 11 {
        return false;
    }
    let Some(v) = parse_i64(s) else {
        return false;
    };
    if let Ok(v) = i8::try_from(v) {
        out.push(0xC0);
        out.push(v as u8);
    } else if let Ok(v) = i16::try_from(v) {
        out.push(0xC1);
        out.extend_from_slice(&v.to_le_bytes());
    } else if let Ok(v) = i32::try_from(v) {
        out.push(0xC2);
        out.extend_from_slice(&v.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// Appends a string without compression (aux fields, short strings).
pub fn write_plain_string(out: &mut Vec<u8>, s: &[u8]) {
    if write_int_encoded(out, s) {
        return;
    }
    write_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Formats a score the way Redis stores it inside a sorted-set listpack (`d2string`):
/// integral values within ±2^52 as integers, others with 17 significant digits.
pub fn score_string(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    if f > -4503599627370495.0 && f < 4503599627370496.0 && f == (f as i64) as f64 {
        return (f as i64).to_string();
    }
    crate::util::num::format_double(f)
}

/// Where a string that should be compressed was written raw: (offset in the output, length).
pub type Span = (usize, usize);

/// Reusable serializer: holds scratch buffers so values are encoded without fresh allocations.
pub struct Encoder {
    /// How to encode.
    pub opts: SaveOptions,
    scratch: Vec<u8>,
    table: Vec<u32>,
    /// With deferred compression, strings to compress are written raw (no length prefix) and
    /// listed here, for [`materialize`] to compress on another thread.
    deferred: Option<Vec<Span>>,
}

impl Encoder {
    /// A serializer with the given options.
    pub fn new(opts: SaveOptions) -> Self {
        Encoder {
            opts,
            scratch: Vec::new(),
            table: Vec::new(),
            deferred: None,
        }
    }

    /// A serializer that leaves LZF compression to [`materialize`]: its output is not valid
    /// RDB until then. Used by BGSAVE to keep compression off the event loop.
    pub fn deferring(opts: SaveOptions) -> Self {
        Encoder {
            deferred: Some(Vec::new()),
            ..Encoder::new(opts)
        }
    }

    /// Takes the spans recorded since the last call (offsets into the buffer written to).
    pub fn take_spans(&mut self) -> Vec<Span> {
        self.deferred
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Appends a string, LZF-compressed when enabled and worthwhile (as Redis: longer than
    /// 20 bytes and at least 4 bytes saved).
    pub fn string(&mut self, out: &mut Vec<u8>, s: &[u8]) {
        if s.len() <= 11 && write_int_encoded(out, s) {
            return;
        }
        if self.opts.compress
            && s.len() > 20
            && let Some(spans) = &mut self.deferred
        {
            spans.push((out.len(), s.len()));
            out.extend_from_slice(s);
            return;
        }
        if self.opts.compress
            && s.len() > 20
            && lzf::compress_into(s, s.len() - 3, &mut self.scratch, &mut self.table)
        {
            out.push(0xC3);
            write_len(out, self.scratch.len() as u64);
            write_len(out, s.len() as u64);
            out.extend_from_slice(&self.scratch);
            return;
        }
        write_len(out, s.len() as u64);
        out.extend_from_slice(s);
    }

    /// Appends one key with its expiry and access metadata (one record of a database section).
    pub fn key_value(&mut self, out: &mut Vec<u8>, key: &[u8], entry: &Entry) {
        if entry.has_expire() {
            out.push(opcode::EXPIRETIME_MS);
            out.extend_from_slice(&entry.expires_at.to_le_bytes());
        }
        match self.opts.access {
            AccessInfo::None => {}
            AccessInfo::Idle => {
                out.push(opcode::IDLE);
                write_len(out, evict::idle_ms(entry.lru, self.opts.now_ms) / 1000);
            }
            AccessInfo::Freq(decay) => {
                out.push(opcode::FREQ);
                out.push(evict::lfu_decayed(entry.lru, self.opts.now_ms, decay));
            }
        }
        let t = self.type_of(&entry.value);
        out.push(t);
        self.string(out, key);
        self.value_body(out, t, &entry.value);
    }

    /// Appends a value with its type byte (the DUMP payload body).
    pub fn value(&mut self, out: &mut Vec<u8>, value: &Value) {
        let t = self.type_of(value);
        out.push(t);
        self.value_body(out, t, value);
    }

    fn type_of(&self, value: &Value) -> u8 {
        match value {
            Value::Str(_) => types::STRING,
            Value::List(_) => types::LIST_QUICKLIST_2,
            Value::Hash(_) => match encoding_of(value, &self.opts.limits) {
                Encoding::Listpack => types::HASH_LISTPACK,
                _ => types::HASH,
            },
            Value::Set(_) => match encoding_of(value, &self.opts.limits) {
                Encoding::Intset => types::SET_INTSET,
                _ => types::SET,
            },
            Value::ZSet(_) => match encoding_of(value, &self.opts.limits) {
                Encoding::Listpack => types::ZSET_LISTPACK,
                _ => types::ZSET_2,
            },
        }
    }

    fn value_body(&mut self, out: &mut Vec<u8>, t: u8, value: &Value) {
        match value {
            Value::Str(s) => self.string(out, s),
            Value::List(l) => self.list(out, l.iter().map(|b| &b[..])),
            Value::Hash(h) => {
                if t == types::HASH_LISTPACK {
                    let mut w = listpack::Writer::default();
                    for (f, v) in h.iter() {
                        w.push(f);
                        w.push(v);
                    }
                    let blob = w.finish();
                    self.string(out, &blob);
                } else {
                    write_len(out, h.len() as u64);
                    for (f, v) in h.iter() {
                        self.string(out, f);
                        self.string(out, v);
                    }
                }
            }
            Value::Set(s) => {
                if t == types::SET_INTSET {
                    let mut ints: Vec<i64> = s.iter().filter_map(|m| parse_i64(m)).collect();
                    ints.sort_unstable();
                    let blob = intset_blob(&ints);
                    self.string(out, &blob);
                } else {
                    write_len(out, s.len() as u64);
                    for m in s.iter() {
                        self.string(out, m);
                    }
                }
            }
            Value::ZSet(z) => {
                if t == types::ZSET_LISTPACK {
                    let mut w = listpack::Writer::default();
                    for (m, score) in z.iter() {
                        w.push(m);
                        w.push(score_string(score).as_bytes());
                    }
                    let blob = w.finish();
                    self.string(out, &blob);
                } else {
                    write_len(out, z.len() as u64);
                    // Highest score first, as Redis writes it.
                    for (m, score) in z.range_by_rank(0, z.len().saturating_sub(1), true) {
                        self.string(out, m);
                        out.extend_from_slice(&score.to_le_bytes());
                    }
                }
            }
        }
    }

    /// Writes a list as quicklist-2 nodes sized like Redis's `list-max-listpack-size`.
    fn list<'a>(&mut self, out: &mut Vec<u8>, items: impl Iterator<Item = &'a [u8]> + Clone) {
        let (max_bytes, max_count) = if self.opts.list_fill < 0 {
            let i = (-self.opts.list_fill - 1).clamp(0, 4) as usize;
            (FILL_BYTES[i], usize::MAX)
        } else {
            (SIZE_SAFETY_LIMIT, self.opts.list_fill.max(1) as usize)
        };
        // First pass: node boundaries, so the node count can be written up front.
        let mut nodes: Vec<(usize, bool)> = Vec::new(); // (elements, plain)
        let (mut count, mut bytes) = (0usize, 0usize);
        for it in items.clone() {
            let sz = it.len() + 11;
            if it.len() >= PLAIN_THRESHOLD {
                if count > 0 {
                    nodes.push((count, false));
                }
                nodes.push((1, true));
                (count, bytes) = (0, 0);
                continue;
            }
            if count > 0 && (count >= max_count || bytes + sz > max_bytes) {
                nodes.push((count, false));
                (count, bytes) = (0, 0);
            }
            count += 1;
            bytes += sz;
        }
        if count > 0 {
            nodes.push((count, false));
        }
        write_len(out, nodes.len() as u64);
        let mut it = items;
        for (n, plain) in nodes {
            if plain {
                write_len(out, container::PLAIN);
                let e = it.next().unwrap_or_default();
                self.string(out, e);
                continue;
            }
            write_len(out, container::PACKED);
            let mut w = listpack::Writer::default();
            for _ in 0..n {
                w.push(it.next().unwrap_or_default());
            }
            let blob = w.finish();
            self.string(out, &blob);
        }
    }
}

/// Turns the output of a deferring encoder into RDB bytes: each span is replaced by the string
/// encoded (and compressed when worthwhile) by `enc`, which must not defer. Pieces are passed
/// to `sink` in order.
pub fn materialize(
    data: &[u8],
    spans: &[Span],
    enc: &mut Encoder,
    tmp: &mut Vec<u8>,
    mut sink: impl FnMut(&[u8]) -> Result<(), String>,
) -> Result<(), String> {
    let mut pos = 0;
    for &(off, len) in spans {
        let (Some(before), Some(s)) = (data.get(pos..off), data.get(off..off + len)) else {
            return Err("internal error: bad compression span".into());
        };
        sink(before)?;
        tmp.clear();
        enc.string(tmp, s);
        sink(tmp)?;
        pos = off + len;
    }
    sink(data.get(pos..).unwrap_or_default())
}

/// [`materialize`] into an owned buffer: `data` itself, not copied, when it holds no string to
/// compress (always so with `rdbcompression no`).
pub fn materialize_owned(
    data: Vec<u8>,
    spans: &[Span],
    enc: &mut Encoder,
    tmp: &mut Vec<u8>,
) -> Result<Vec<u8>, String> {
    if spans.is_empty() {
        return Ok(data);
    }
    let mut out = Vec::with_capacity(data.len());
    materialize(&data, spans, enc, tmp, |p| {
        out.extend_from_slice(p);
        Ok(())
    })?;
    Ok(out)
}

/// Builds an intset blob from sorted, distinct integers.
pub fn intset_blob(sorted: &[i64]) -> Vec<u8> {
    let width: usize = if sorted.iter().all(|x| i16::try_from(*x).is_ok()) {
        2
    } else if sorted.iter().all(|x| i32::try_from(*x).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::with_capacity(8 + width * sorted.len());
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(sorted.len() as u32).to_le_bytes());
    for x in sorted {
        out.extend_from_slice(&x.to_le_bytes()[..width]);
    }
    out
}

/// Appends an aux field (name and value as strings).
pub fn write_aux(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.push(opcode::AUX);
    write_plain_string(out, name.as_bytes());
    write_plain_string(out, value);
}

/// The file header: magic, version, and the aux fields Redis 7.0 writes (the replication ones
/// when the node takes part in replication, `aof-base` 1 for the base file of an AOF).
pub fn write_header(
    out: &mut Vec<u8>,
    ctime_secs: i64,
    used_mem: u64,
    repl: Option<&super::ReplInfo>,
    aof_base: bool,
) {
    out.extend_from_slice(format!("REDIS{:04}", super::RDB_VERSION).as_bytes());
    write_aux(out, "redis-ver", super::REDIS_VER.as_bytes());
    write_aux(out, "redis-bits", b"64");
    write_aux(out, "ctime", ctime_secs.to_string().as_bytes());
    write_aux(out, "used-mem", used_mem.to_string().as_bytes());
    if let Some(r) = repl {
        write_aux(out, "repl-stream-db", r.stream_db.to_string().as_bytes());
        write_aux(out, "repl-id", r.replid.as_bytes());
        write_aux(out, "repl-offset", r.offset.to_string().as_bytes());
    }
    write_aux(out, "aof-base", if aof_base { b"1" } else { b"0" });
}

/// Starts a database section: SELECTDB and the RESIZEDB hint.
pub fn write_db_start(out: &mut Vec<u8>, dbid: usize, size: usize, expires: usize) {
    out.push(opcode::SELECTDB);
    write_len(out, dbid as u64);
    out.push(opcode::RESIZEDB);
    write_len(out, size as u64);
    write_len(out, expires as u64);
}

/// Switches database without a size hint (write-through records of another database).
pub fn write_select(out: &mut Vec<u8>, dbid: usize) {
    out.push(opcode::SELECTDB);
    write_len(out, dbid as u64);
}

/// A DUMP payload: the value, the RDB version (u16 LE) and the CRC-64 of both (u64 LE).
pub fn dump_payload(enc: &mut Encoder, value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    enc.value(&mut out, value);
    out.extend_from_slice(&super::RDB_VERSION.to_le_bytes());
    let crc = super::crc64::checksum(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}
