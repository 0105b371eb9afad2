//! Listpack blobs (Redis 5+): reading every entry encoding, and writing them the way Redis does
//! (integers in the smallest integer encoding, other strings with a length prefix).
//!
//! Layout: total bytes (u32 LE), element count (u16 LE, 65535 = unknown), entries, 0xFF.
//! Each entry is an encoding byte (+ data) followed by its own length ("backlen") written
//! backwards in 7-bit groups.

use super::BlobResult;
use crate::util::num::parse_i64;

const HEADER: usize = 6;
const EOF: u8 = 0xFF;

/// One listpack element: a string or an integer (integers are kept as numbers to spare a
/// conversion when the caller wants them as such).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    /// Bytes of a string entry.
    Str(&'a [u8]),
    /// An integer entry.
    Int(i64),
}

impl Item<'_> {
    /// The element as Redis would return it to a client.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Item::Str(s) => s.to_vec(),
            Item::Int(i) => i.to_string().into_bytes(),
        }
    }
}

/// Size of the backlen field for an entry of `len` bytes (encoding + data).
fn backlen_size(len: usize) -> usize {
    match len {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2097150 => 3,
        2097151..=268435454 => 4,
        _ => 5,
    }
}

/// Decodes all entries of a listpack blob, validating its structure.
pub fn parse(blob: &[u8]) -> BlobResult<Vec<Item<'_>>> {
    if blob.len() < HEADER + 1 {
        return Err("listpack too short".into());
    }
    let total = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    if total != blob.len() {
        return Err("listpack total bytes mismatch".into());
    }
    let count = u16::from_le_bytes([blob[4], blob[5]]) as usize;
    let mut items = Vec::with_capacity(count.min(blob.len()));
    let mut p = HEADER;
    loop {
        let Some(&b) = blob.get(p) else {
            return Err("listpack without terminator".into());
        };
        if b == EOF {
            if p + 1 != blob.len() {
                return Err("listpack has data after its terminator".into());
            }
            break;
        }
        let rest = &blob[p..blob.len() - 1];
        let need = |n: usize| -> BlobResult<&[u8]> {
            rest.get(..n)
                .ok_or_else(|| "listpack entry out of range".to_string())
        };
        let (item, len) = if b & 0x80 == 0 {
            (Item::Int(i64::from(b & 0x7f)), 1)
        } else if b & 0xC0 == 0x80 {
            let n = (b & 0x3f) as usize;
            let d = need(1 + n)?;
            (Item::Str(&d[1..]), 1 + n)
        } else if b & 0xE0 == 0xC0 {
            let d = need(2)?;
            let v = ((u16::from(b & 0x1f) << 8) | u16::from(d[1])) as i64;
            // 13-bit two's complement.
            let v = if v >= 1 << 12 { v - (1 << 13) } else { v };
            (Item::Int(v), 2)
        } else if b & 0xF0 == 0xE0 {
            let d = need(2)?;
            let n = ((usize::from(b & 0x0f)) << 8) | usize::from(d[1]);
            let d = need(2 + n)?;
            (Item::Str(&d[2..]), 2 + n)
        } else {
            match b {
                0xF0 => {
                    let d = need(5)?;
                    let n = u32::from_le_bytes([d[1], d[2], d[3], d[4]]) as usize;
                    let d = need(5usize.checked_add(n).ok_or("listpack length overflow")?)?;
                    (Item::Str(&d[5..]), 5 + n)
                }
                0xF1 => {
                    let d = need(3)?;
                    (Item::Int(i16::from_le_bytes([d[1], d[2]]) as i64), 3)
                }
                0xF2 => {
                    let d = need(4)?;
                    let v = i32::from_le_bytes([0, d[1], d[2], d[3]]) >> 8;
                    (Item::Int(v as i64), 4)
                }
                0xF3 => {
                    let d = need(5)?;
                    (
                        Item::Int(i32::from_le_bytes([d[1], d[2], d[3], d[4]]) as i64),
                        5,
                    )
                }
                0xF4 => {
                    let d = need(9)?;
                    let mut a = [0u8; 8];
                    a.copy_from_slice(&d[1..9]);
                    (Item::Int(i64::from_le_bytes(a)), 9)
                }
                _ => return Err(format!("invalid listpack entry encoding 0x{b:02x}")),
            }
        };
        let bl = backlen_size(len);
        if rest.len() < len + bl {
            return Err("listpack entry backlen out of range".into());
        }
        if decode_backlen(&rest[len..len + bl]) != Some(len) {
            return Err("listpack entry backlen mismatch".into());
        }
        items.push(item);
        p += len + bl;
    }
    if count != 0xFFFF && count != items.len() {
        return Err("listpack element count mismatch".into());
    }
    Ok(items)
}

/// Reads a backlen field stored front to back (its first byte is the most significant group).
fn decode_backlen(b: &[u8]) -> Option<usize> {
    let mut v = 0usize;
    for (i, &byte) in b.iter().rev().enumerate() {
        v |= usize::from(byte & 0x7f) << (7 * i);
        let continues = byte & 0x80 != 0;
        if continues != (i + 1 < b.len()) {
            return None;
        }
    }
    Some(v)
}

fn push_backlen(out: &mut Vec<u8>, len: usize) {
    let n = backlen_size(len);
    // The field is read from its last byte backwards: last byte = lowest 7 bits, and every
    // byte but the first (most significant) has the continuation bit.
    for i in (0..n).rev() {
        let mut byte = ((len >> (7 * i)) & 0x7f) as u8;
        if i != n - 1 {
            byte |= 0x80;
        }
        out.push(byte);
    }
}

/// Builds a listpack blob.
#[derive(Debug)]
pub struct Writer {
    buf: Vec<u8>,
    count: usize,
}

impl Default for Writer {
    fn default() -> Self {
        Writer {
            buf: vec![0; HEADER],
            count: 0,
        }
    }
}

impl Writer {
    /// Bytes used so far (without the terminator).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Elements appended so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Whether nothing was appended.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Appends an element, as an integer when it is one in canonical form (like Redis).
    pub fn push(&mut self, s: &[u8]) {
        self.count += 1;
        let start = self.buf.len();
        match (s.len() <= 20).then(|| parse_i64(s)).flatten() {
            Some(v) => self.push_int(v),
            None => {
                let n = s.len();
                if n < 64 {
                    self.buf.push(0x80 | n as u8);
                } else if n < 4096 {
                    self.buf.push(0xE0 | (n >> 8) as u8);
                    self.buf.push((n & 0xff) as u8);
                } else {
                    self.buf.push(0xF0);
                    self.buf.extend_from_slice(&(n as u32).to_le_bytes());
                }
                self.buf.extend_from_slice(s);
            }
        }
        let len = self.buf.len() - start;
        push_backlen(&mut self.buf, len);
    }

    fn push_int(&mut self, v: i64) {
        if (0..=127).contains(&v) {
            self.buf.push(v as u8);
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u16) & 0x1fff;
            self.buf.push(0xC0 | (u >> 8) as u8);
            self.buf.push((u & 0xff) as u8);
        } else if i16::try_from(v).is_ok() {
            self.buf.push(0xF1);
            self.buf.extend_from_slice(&(v as i16).to_le_bytes());
        } else if (-(1 << 23)..(1 << 23)).contains(&v) {
            self.buf.push(0xF2);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if i32::try_from(v).is_ok() {
            self.buf.push(0xF3);
            self.buf.extend_from_slice(&(v as i32).to_le_bytes());
        } else {
            self.buf.push(0xF4);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }

    /// Finishes the blob (header and terminator).
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.push(EOF);
        let total = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&total.to_le_bytes());
        let count = u16::try_from(self.count).unwrap_or(0xFFFF);
        self.buf[4..6].copy_from_slice(&count.to_le_bytes());
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_encoding() {
        let long = vec![b'x'; 5000];
        let mid = vec![b'y'; 300];
        let vals: Vec<Vec<u8>> = vec![
            b"0".to_vec(),
            b"127".to_vec(),
            b"128".to_vec(),
            b"-1".to_vec(),
            b"-4096".to_vec(),
            b"4095".to_vec(),
            b"-32768".to_vec(),
            b"8388607".to_vec(),
            b"-8388608".to_vec(),
            b"2147483647".to_vec(),
            b"9223372036854775807".to_vec(),
            b"-9223372036854775808".to_vec(),
            b"007".to_vec(),
            b"".to_vec(),
            b"hello".to_vec(),
            mid,
            long,
        ];
        let mut w = Writer::default();
        for v in &vals {
            w.push(v);
        }
        let blob = w.finish();
        let items = parse(&blob).unwrap();
        let got: Vec<Vec<u8>> = items.iter().map(Item::to_vec).collect();
        assert_eq!(got, vals);
        assert_eq!(items[0], Item::Int(0));
        assert_eq!(items[12], Item::Str(b"007"));
    }

    #[test]
    fn corrupt_blobs_fail() {
        let mut w = Writer::default();
        w.push(b"hello");
        w.push(b"12345");
        let blob = w.finish();
        for cut in 0..blob.len() {
            assert!(parse(&blob[..cut]).is_err());
        }
        for i in 0..blob.len() {
            for bit in 0..8 {
                let mut b = blob.clone();
                b[i] ^= 1 << bit;
                let _ = parse(&b);
            }
        }
    }

    #[test]
    fn backlen_fields() {
        for len in [1usize, 127, 128, 16382, 16383, 2097150, 2097151] {
            let mut out = Vec::new();
            push_backlen(&mut out, len);
            assert_eq!(out.len(), backlen_size(len));
            assert_eq!(decode_backlen(&out), Some(len));
        }
    }
}
