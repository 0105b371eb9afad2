//! Random sampling shared by SRANDMEMBER, HRANDFIELD (and ZRANDMEMBER): the count argument and
//! Redis's count semantics (positive = distinct, negative = may repeat).

use rand::RngExt;

use super::args;
use crate::resp::Reply;

/// Parses a random-member count, which may be any i64 except i64::MIN, with Redis 7.0's errors.
pub fn parse_count(arg: &[u8]) -> Result<i64, Reply> {
    match args::int(arg)? {
        i64::MIN => Err(Reply::err(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
        )),
        n => Ok(n),
    }
}

/// Picks the indexes to return from a collection of `len` (non-zero) elements: distinct when
/// `count` is positive (every index when it covers the whole collection), independent draws
/// that may repeat when negative.
pub fn random_indexes(rng: &mut rand::rngs::SmallRng, len: usize, count: i64) -> Vec<usize> {
    if count < 0 {
        let n = count.unsigned_abs();
        // No up-front allocation for absurd counts: the reply grows as Redis's would.
        let mut out = Vec::with_capacity(n.min(1 << 16) as usize);
        for _ in 0..n {
            out.push(rng.random_range(0..len));
        }
        return out;
    }
    if count as u64 >= len as u64 {
        return (0..len).collect();
    }
    rand::seq::index::sample(rng, len, count as usize).into_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn positive_counts_are_distinct_and_capped() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let mut v = random_indexes(&mut rng, 10, 4);
        v.sort_unstable();
        v.dedup();
        assert_eq!(v.len(), 4);
        assert!(v.iter().all(|&i| i < 10));
        assert_eq!(random_indexes(&mut rng, 3, 100), vec![0, 1, 2]);
    }

    #[test]
    fn negative_counts_repeat() {
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let v = random_indexes(&mut rng, 2, -50);
        assert_eq!(v.len(), 50);
        assert!(v.iter().all(|&i| i < 2));
    }

    #[test]
    fn count_range() {
        assert!(parse_count(b"-9223372036854775808").is_err());
        assert_eq!(parse_count(b"-9223372036854775807"), Ok(-i64::MAX));
        assert!(parse_count(b"x").is_err());
    }
}
