//! Intset blobs: a sorted array of integers of one width (2, 4 or 8 bytes), little-endian.

use super::BlobResult;

/// Decodes an intset blob, checking its header, size and strict ordering.
pub fn parse(blob: &[u8]) -> BlobResult<Vec<i64>> {
    if blob.len() < 8 {
        return Err("intset too short".into());
    }
    let width = u32::from_le_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
    if !matches!(width, 2 | 4 | 8) {
        return Err("intset has an invalid encoding".into());
    }
    let count = u32::from_le_bytes([blob[4], blob[5], blob[6], blob[7]]) as usize;
    let body = &blob[8..];
    if count.checked_mul(width) != Some(body.len()) {
        return Err("intset size mismatch".into());
    }
    let mut out = Vec::with_capacity(count);
    for c in body.chunks_exact(width) {
        let v = match width {
            2 => i16::from_le_bytes([c[0], c[1]]) as i64,
            4 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64,
            _ => {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                i64::from_le_bytes(a)
            }
        };
        if out.last().is_some_and(|&last| last >= v) {
            return Err("intset is not sorted or has duplicates".into());
        }
        out.push(v);
    }
    if out.is_empty() {
        return Err("intset is empty".into());
    }
    Ok(out)
}

/// Builds an intset (tests use it to fake files).
#[cfg(test)]
pub fn build(values: &[i64]) -> Vec<u8> {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.dedup();
    let width: usize = if v.iter().all(|x| i16::try_from(*x).is_ok()) {
        2
    } else if v.iter().all(|x| i32::try_from(*x).is_ok()) {
        4
    } else {
        8
    };
    let mut out = Vec::new();
    out.extend_from_slice(&(width as u32).to_le_bytes());
    out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    for x in v {
        out.extend_from_slice(&x.to_le_bytes()[..width]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths() {
        for vals in [
            vec![1, -5, 300],
            vec![70000, -1],
            vec![i64::MIN, 0, i64::MAX],
        ] {
            let mut sorted = vals.clone();
            sorted.sort();
            assert_eq!(parse(&build(&vals)).unwrap(), sorted);
        }
        let mut bad = build(&[1, 2]);
        bad.swap(8, 10);
        assert!(parse(&bad).is_err());
        assert!(parse(&build(&[1, 2])[..9]).is_err());
    }
}
