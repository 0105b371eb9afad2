//! Zipmap blobs (hashes in RDB files written before Redis 2.6): read-only.
//!
//! Layout: a count byte (254 = unknown), then `len key len free value <free bytes>` records,
//! and 0xFF. Lengths are one byte, or 254 followed by a u32 (little-endian).

use super::BlobResult;

/// Decodes the field/value pairs of a zipmap blob.
pub fn parse(blob: &[u8]) -> BlobResult<Vec<(&[u8], &[u8])>> {
    let err = || "zipmap entry out of range".to_string();
    let mut p = 1usize;
    if blob.is_empty() {
        return Err("zipmap too short".into());
    }
    let len_at = |p: &mut usize| -> BlobResult<Option<usize>> {
        let b = *blob.get(*p).ok_or_else(err)?;
        match b {
            255 => Ok(None),
            254 => {
                let x = blob.get(*p + 1..*p + 5).ok_or_else(err)?;
                *p += 5;
                Ok(Some(u32::from_le_bytes([x[0], x[1], x[2], x[3]]) as usize))
            }
            253 => Err("zipmap has an invalid length".into()),
            n => {
                *p += 1;
                Ok(Some(n as usize))
            }
        }
    };
    let mut out = Vec::new();
    loop {
        let Some(klen) = len_at(&mut p)? else {
            if p + 1 != blob.len() {
                return Err("zipmap has data after its terminator".into());
            }
            break;
        };
        let key = blob
            .get(p..p.checked_add(klen).ok_or_else(err)?)
            .ok_or_else(err)?;
        p += klen;
        let Some(vlen) = len_at(&mut p)? else {
            return Err("zipmap key without value".into());
        };
        let free = *blob.get(p).ok_or_else(err)? as usize;
        p += 1;
        let value = blob
            .get(p..p.checked_add(vlen).ok_or_else(err)?)
            .ok_or_else(err)?;
        p += vlen + free;
        if p > blob.len() {
            return Err(err());
        }
        out.push((key, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pairs() {
        let blob = [
            2, 3, b'f', b'o', b'o', 3, 1, b'b', b'a', b'r', 0, 1, b'x', 0, 0, 255,
        ];
        assert_eq!(
            parse(&blob).unwrap(),
            vec![(&b"foo"[..], &b"bar"[..]), (&b"x"[..], &b""[..])]
        );
        for cut in 0..blob.len() {
            assert!(parse(&blob[..cut]).is_err());
        }
    }
}
