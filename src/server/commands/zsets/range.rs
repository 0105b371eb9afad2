//! Range queries over one sorted set: the ZRANGE family (by rank, score or
//! lex, forward or reversed, with LIMIT and WITHSCORES), ZRANGESTORE,
//! ZCOUNT/ZLEXCOUNT and the ZREMRANGEBY* removals.

use bytes::Bytes;

use super::{owned, removed_from, scored_reply, store_result};
use crate::resp::Reply;
use crate::server::commands::args;
use crate::server::state::Ctx;
use crate::server::types::zset::{LexBound, ScoreBound, ZSet, parse_lex_bound, parse_score_bound};

fn not_float() -> Reply {
    Reply::err("ERR min or max is not a float")
}

fn not_lex() -> Reply {
    Reply::err("ERR min or max not valid string range item")
}

fn score_range(min: &[u8], max: &[u8]) -> Result<(ScoreBound, ScoreBound), Reply> {
    match (parse_score_bound(min), parse_score_bound(max)) {
        (Some(lo), Some(hi)) => Ok((lo, hi)),
        _ => Err(not_float()),
    }
}

fn lex_range<'a>(min: &'a [u8], max: &'a [u8]) -> Result<(LexBound<'a>, LexBound<'a>), Reply> {
    match (parse_lex_bound(min), parse_lex_bound(max)) {
        (Some(lo), Some(hi)) => Ok((lo, hi)),
        _ => Err(not_lex()),
    }
}

/// How a range command interprets its `min max` (or `start stop`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum By {
    /// ZRANGE/ZRANGESTORE: decided by BYSCORE/BYLEX, rank otherwise.
    Auto,
    Rank,
    Score,
    Lex,
}

/// A parsed range, borrowing lex bounds from the arguments.
enum Range<'a> {
    Rank(i64, i64),
    Score(ScoreBound, ScoreBound),
    Lex(LexBound<'a>, LexBound<'a>),
}

/// The ZRANGE engine (Redis `zrangeGenericCommand`): `a[src]` is the source
/// key, followed by the two range ends and the options; `dst` makes it
/// ZRANGESTORE. `rev` is `None` when REV may be given as an option.
fn zrange_generic(
    ctx: &mut Ctx,
    a: &[Bytes],
    src: usize,
    dst: Option<&Bytes>,
    mut by: By,
    rev: Option<bool>,
) -> Reply {
    // `None` until REV is seen, when the command lets the caller choose.
    let mut dir = rev;
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = src + 3;
    while j < a.len() {
        let o = &a[j];
        let left = a.len() - j - 1;
        if dst.is_none() && args::is(o, "withscores") {
            withscores = true;
        } else if args::is(o, "limit") && left >= 2 {
            match (args::int(&a[j + 1]), args::int(&a[j + 2])) {
                (Ok(off), Ok(lim)) => (offset, limit) = (off, lim),
                (Err(e), _) | (_, Err(e)) => return e,
            }
            j += 2;
        } else if dir.is_none() && args::is(o, "rev") {
            dir = Some(true);
        } else if by == By::Auto && args::is(o, "bylex") {
            by = By::Lex;
        } else if by == By::Auto && args::is(o, "byscore") {
            by = By::Score;
        } else {
            return args::syntax_error();
        }
        j += 1;
    }
    if by == By::Auto {
        by = By::Rank;
    }
    let reverse = dir.unwrap_or(false);
    // Redis's quirk: an explicit `LIMIT x -1` reads as "no LIMIT given".
    if limit != -1 && by == By::Rank {
        return Reply::err(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
    }
    if withscores && by == By::Lex {
        return Reply::err("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    }
    let (mut lo, mut hi) = (&a[src + 1], &a[src + 2]);
    if reverse && by != By::Rank {
        std::mem::swap(&mut lo, &mut hi);
    }
    let range = match by {
        By::Score => match score_range(lo, hi) {
            Ok((l, h)) => Range::Score(l, h),
            Err(e) => return e,
        },
        By::Lex => match lex_range(lo, hi) {
            Ok((l, h)) => Range::Lex(l, h),
            Err(e) => return e,
        },
        _ => match (args::int(lo), args::int(hi)) {
            (Ok(s), Ok(e)) => Range::Rank(s, e),
            (Err(e), _) | (_, Err(e)) => return e,
        },
    };
    let items = match ctx.read_zset(&a[src]) {
        Err(e) => return e,
        Ok(None) => Vec::new(),
        Ok(Some(z)) => collect_range(z, &range, reverse, offset, limit),
    };
    match dst {
        Some(dst) => store_result(ctx, dst, items, "zrangestore"),
        None => scored_reply(ctx, withscores, items),
    }
}

/// Runs a parsed range against a set. LIMIT follows Redis: a negative
/// offset yields nothing, a negative count means "all the rest".
fn collect_range(
    z: &ZSet,
    range: &Range<'_>,
    reverse: bool,
    offset: i64,
    limit: i64,
) -> Vec<(Bytes, f64)> {
    let lim = usize::try_from(limit).ok();
    let Ok(off) = usize::try_from(offset) else {
        return Vec::new();
    };
    match *range {
        Range::Rank(start, end) => match args::range(start, end, z.len()) {
            Some((s, e)) => owned(z.range_by_rank(s, e, reverse)),
            None => Vec::new(),
        },
        Range::Score(lo, hi) => owned(z.range_by_score(lo, hi, reverse, off, lim)),
        Range::Lex(lo, hi) => owned(z.range_by_lex(lo, hi, reverse, off, lim)),
    }
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub(super) fn zrange(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    zrange_generic(ctx, a, 1, None, By::Auto, None)
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
pub(super) fn zrangestore(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    zrange_generic(ctx, a, 2, Some(&a[1]), By::Auto, None)
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
pub(super) fn zrangebyscore(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    zrange_generic(ctx, a, 1, None, By::Score, Some(false))
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
pub(super) fn zrevrangebyscore(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    zrange_generic(ctx, a, 1, None, By::Score, Some(true))
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
pub(super) fn zrangebylex(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    zrange_generic(ctx, a, 1, None, By::Lex, Some(false))
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub(super) fn zrevrangebylex(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    zrange_generic(ctx, a, 1, None, By::Lex, Some(true))
}

/// ZREVRANGE key start stop [WITHSCORES]
pub(super) fn zrevrange(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    zrange_generic(ctx, a, 1, None, By::Rank, Some(true))
}

/// ZCOUNT key min max
pub(super) fn zcount(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let (lo, hi) = match score_range(&a[2], &a[3]) {
        Ok(r) => r,
        Err(e) => return e,
    };
    match ctx.read_zset(&a[1]) {
        Err(e) => e,
        Ok(z) => Reply::Int(z.map_or(0, |z| z.count_in_score_range(lo, hi)) as i64),
    }
}

/// ZLEXCOUNT key min max
pub(super) fn zlexcount(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let (lo, hi) = match lex_range(&a[2], &a[3]) {
        Ok(r) => r,
        Err(e) => return e,
    };
    match ctx.read_zset(&a[1]) {
        Err(e) => e,
        Ok(z) => Reply::Int(z.map_or(0, |z| z.count_in_lex_range(lo, hi)) as i64),
    }
}

/// Shared body of the ZREMRANGEBY* commands: the range is parsed before the
/// key is looked up, as in Redis.
fn zremrange_generic(ctx: &mut Ctx, a: &[Bytes], range: Range<'_>, event: &str) -> Reply {
    let key = &a[1];
    let (removed, emptied) = match ctx.write_zset(key) {
        Err(e) => return e,
        Ok(None) => return Reply::Int(0),
        Ok(Some(z)) => {
            let n = match range {
                Range::Rank(start, end) => match args::range(start, end, z.len()) {
                    Some((s, e)) => z.remove_range_by_rank(s, e),
                    None => 0,
                },
                Range::Score(lo, hi) => z.remove_range_by_score(lo, hi),
                Range::Lex(lo, hi) => z.remove_range_by_lex(lo, hi),
            };
            (n, z.is_empty())
        }
    };
    if removed > 0 {
        removed_from(ctx, key, event, removed, emptied);
    }
    Reply::Int(removed as i64)
}

/// ZREMRANGEBYRANK key start stop
pub(super) fn zremrangebyrank(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match (args::int(&a[2]), args::int(&a[3])) {
        (Ok(s), Ok(e)) => zremrange_generic(ctx, a, Range::Rank(s, e), "zremrangebyrank"),
        (Err(e), _) | (_, Err(e)) => e,
    }
}

/// ZREMRANGEBYSCORE key min max
pub(super) fn zremrangebyscore(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match score_range(&a[2], &a[3]) {
        Ok((lo, hi)) => zremrange_generic(ctx, a, Range::Score(lo, hi), "zremrangebyscore"),
        Err(e) => e,
    }
}

/// ZREMRANGEBYLEX key min max
pub(super) fn zremrangebylex(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    match lex_range(&a[2], &a[3]) {
        Ok((lo, hi)) => zremrange_generic(ctx, a, Range::Lex(lo, hi), "zremrangebylex"),
        Err(e) => e,
    }
}
