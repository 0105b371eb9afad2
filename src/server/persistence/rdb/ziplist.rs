//! Ziplist blobs (Redis before 7.0): read-only, for loading old RDB files.
//!
//! Layout: total bytes (u32 LE), offset of the last entry (u32 LE), entry count (u16 LE),
//! entries, 0xFF. Each entry is the previous entry's length (1 byte, or 0xFE + u32 LE), an
//! encoding header and the data.

use super::BlobResult;
use super::listpack::Item;

const HEADER: usize = 10;
const END: u8 = 0xFF;

/// Decodes all entries of a ziplist blob, validating its structure.
pub fn parse(blob: &[u8]) -> BlobResult<Vec<Item<'_>>> {
    if blob.len() < HEADER + 1 {
        return Err("ziplist too short".into());
    }
    let total = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    if total != blob.len() {
        return Err("ziplist total bytes mismatch".into());
    }
    let tail = u32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]) as usize;
    let count = u16::from_le_bytes([blob[8], blob[9]]) as usize;
    let mut items = Vec::with_capacity(count.min(blob.len()));
    let mut p = HEADER;
    let mut prev_len = 0usize;
    let mut last_start = HEADER;
    let end = blob.len() - 1;
    if blob[end] != END {
        return Err("ziplist without terminator".into());
    }
    while p < end {
        let start = p;
        let d = &blob[..end];
        let err = || "ziplist entry out of range".to_string();
        let b = *d.get(p).ok_or_else(err)?;
        let prevlen = if b < 254 {
            p += 1;
            b as usize
        } else if b == 254 {
            let x = d.get(p + 1..p + 5).ok_or_else(err)?;
            p += 5;
            u32::from_le_bytes([x[0], x[1], x[2], x[3]]) as usize
        } else {
            return Err("ziplist entry has an invalid prevlen".into());
        };
        if prevlen != prev_len {
            return Err("ziplist prevlen mismatch".into());
        }
        let enc = *d.get(p).ok_or_else(err)?;
        let item = match enc >> 6 {
            0 => {
                let n = (enc & 0x3f) as usize;
                let s = d.get(p + 1..p + 1 + n).ok_or_else(err)?;
                p += 1 + n;
                Item::Str(s)
            }
            1 => {
                let b2 = *d.get(p + 1).ok_or_else(err)? as usize;
                let n = (((enc & 0x3f) as usize) << 8) | b2;
                let s = d.get(p + 2..p + 2 + n).ok_or_else(err)?;
                p += 2 + n;
                Item::Str(s)
            }
            2 => {
                if enc != 0x80 {
                    return Err("ziplist entry has an invalid string encoding".into());
                }
                let x = d.get(p + 1..p + 5).ok_or_else(err)?;
                let n = u32::from_be_bytes([x[0], x[1], x[2], x[3]]) as usize;
                let s = d
                    .get(p + 5..(p + 5).checked_add(n).ok_or_else(err)?)
                    .ok_or_else(err)?;
                p += 5 + n;
                Item::Str(s)
            }
            _ => {
                let (v, n) = match enc {
                    0xC0 => {
                        let x = d.get(p + 1..p + 3).ok_or_else(err)?;
                        (i16::from_le_bytes([x[0], x[1]]) as i64, 2)
                    }
                    0xD0 => {
                        let x = d.get(p + 1..p + 5).ok_or_else(err)?;
                        (i32::from_le_bytes([x[0], x[1], x[2], x[3]]) as i64, 4)
                    }
                    0xE0 => {
                        let x = d.get(p + 1..p + 9).ok_or_else(err)?;
                        let mut a = [0u8; 8];
                        a.copy_from_slice(x);
                        (i64::from_le_bytes(a), 8)
                    }
                    0xF0 => {
                        let x = d.get(p + 1..p + 4).ok_or_else(err)?;
                        ((i32::from_le_bytes([0, x[0], x[1], x[2]]) >> 8) as i64, 3)
                    }
                    0xFE => {
                        let x = *d.get(p + 1).ok_or_else(err)?;
                        (x as i8 as i64, 1)
                    }
                    0xF1..=0xFD => (((enc & 0x0f) as i64) - 1, 0),
                    _ => return Err(format!("invalid ziplist entry encoding 0x{enc:02x}")),
                };
                p += 1 + n;
                Item::Int(v)
            }
        };
        items.push(item);
        prev_len = p - start;
        last_start = start;
    }
    if p != end {
        return Err("ziplist entries overrun the terminator".into());
    }
    if !items.is_empty() && tail != last_start {
        return Err("ziplist tail offset mismatch".into());
    }
    if count != 0xFFFF && count != items.len() {
        return Err("ziplist entry count mismatch".into());
    }
    Ok(items)
}

/// Builds a ziplist (tests use it to fake files written by old Redis versions).
#[cfg(test)]
pub fn build(items: &[&[u8]]) -> Vec<u8> {
    let mut buf = vec![0u8; HEADER];
    let mut prev = 0usize;
    let mut last = HEADER;
    for it in items {
        let start = buf.len();
        last = start;
        if prev < 254 {
            buf.push(prev as u8);
        } else {
            buf.push(254);
            buf.extend_from_slice(&(prev as u32).to_le_bytes());
        }
        match crate::util::num::parse_i64(it) {
            Some(v @ 0..=12) => buf.push(0xF1 + v as u8),
            Some(v) if i8::try_from(v).is_ok() => {
                buf.push(0xFE);
                buf.push(v as i8 as u8);
            }
            Some(v) if i16::try_from(v).is_ok() => {
                buf.push(0xC0);
                buf.extend_from_slice(&(v as i16).to_le_bytes());
            }
            Some(v) if (-(1 << 23)..(1 << 23)).contains(&v) => {
                buf.push(0xF0);
                buf.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
            }
            Some(v) if i32::try_from(v).is_ok() => {
                buf.push(0xD0);
                buf.extend_from_slice(&(v as i32).to_le_bytes());
            }
            Some(v) => {
                buf.push(0xE0);
                buf.extend_from_slice(&v.to_le_bytes());
            }
            None if it.len() < 64 => {
                buf.push(it.len() as u8);
                buf.extend_from_slice(it);
            }
            None if it.len() < 16384 => {
                buf.push(0x40 | (it.len() >> 8) as u8);
                buf.push((it.len() & 0xff) as u8);
                buf.extend_from_slice(it);
            }
            None => {
                buf.push(0x80);
                buf.extend_from_slice(&(it.len() as u32).to_be_bytes());
                buf.extend_from_slice(it);
            }
        }
        prev = buf.len() - start;
    }
    buf.push(END);
    let total = buf.len() as u32;
    buf[0..4].copy_from_slice(&total.to_le_bytes());
    buf[4..8].copy_from_slice(&(last as u32).to_le_bytes());
    buf[8..10].copy_from_slice(&(items.len().min(0xFFFF) as u16).to_le_bytes());
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let big = vec![b'q'; 20000];
        let mid = vec![b'm'; 300];
        let items: Vec<&[u8]> = vec![
            b"0",
            b"12",
            b"13",
            b"-1",
            b"-128",
            b"300",
            b"-40000",
            b"8000000",
            b"-2147483648",
            b"9223372036854775807",
            b"abc",
            b"",
            &mid,
            &big,
        ];
        let blob = build(&items);
        let got: Vec<Vec<u8>> = parse(&blob).unwrap().iter().map(Item::to_vec).collect();
        let want: Vec<Vec<u8>> = items.iter().map(|i| i.to_vec()).collect();
        assert_eq!(got, want);
        for cut in 0..blob.len() {
            assert!(parse(&blob[..cut]).is_err());
        }
    }
}
