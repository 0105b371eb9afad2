//! Set algebra over several keys: ZUNION/ZINTER/ZDIFF, their STORE forms and
//! ZINTERCARD (Redis `zunionInterDiffGenericCommand`). Plain sets are valid
//! inputs; their members score 1.

use bytes::Bytes;

use super::{numkeys_positions, scored_reply, store_result};
use crate::resp::Reply;
use crate::server::commands::args;
use crate::server::state::{Ctx, wrongtype};
use crate::server::types::zset::ZSet;
use crate::server::value::{FastMap, FastSet, Value};
use crate::util::num::parse_i64;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    /// Folds `val` into `target` (Redis `zunionInterAggregate`): a NaN sum
    /// (inf + -inf) becomes 0, and MIN/MAX ignore a NaN value.
    fn apply(self, target: &mut f64, val: f64) {
        match self {
            Aggregate::Sum => {
                *target += val;
                if target.is_nan() {
                    *target = 0.0;
                }
            }
            Aggregate::Min => {
                if val < *target {
                    *target = val;
                }
            }
            Aggregate::Max => {
                if val > *target {
                    *target = val;
                }
            }
        }
    }
}

/// One input of the operation, borrowed from the keyspace.
#[derive(Clone, Copy)]
enum Src<'a> {
    Missing,
    Z(&'a ZSet),
    S(&'a FastSet<Bytes>),
}

impl Src<'_> {
    fn len(&self) -> usize {
        match self {
            Src::Missing => 0,
            Src::Z(z) => z.len(),
            Src::S(s) => s.len(),
        }
    }

    fn score(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::Missing => None,
            Src::Z(z) => z.score(m),
            Src::S(s) => s.contains(m).then_some(1.0),
        }
    }

    fn for_each(&self, mut f: impl FnMut(&Bytes, f64)) {
        match self {
            Src::Missing => {}
            Src::Z(z) => z.iter().for_each(|(m, s)| f(m, s)),
            Src::S(s) => s.iter().for_each(|m| f(m, 1.0)),
        }
    }
}

/// What the caller wants back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Output<'a> {
    /// ZUNION/ZINTER/ZDIFF: the members (WITHSCORES allowed).
    Reply,
    /// The STORE forms: store under this key.
    Store(&'a Bytes),
    /// ZINTERCARD: only the size.
    Card,
}

/// The shared engine. `numkeys_idx` is where the key count is; `name` is the
/// command name used in the "at least 1 input key" error.
fn generic(
    ctx: &mut Ctx,
    a: &[Bytes],
    numkeys_idx: usize,
    op: Op,
    out: Output<'_>,
    name: &str,
) -> Reply {
    let setnum = match args::int(&a[numkeys_idx]) {
        Ok(n) => n,
        Err(e) => return e,
    };
    if setnum < 1 {
        return Reply::err(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        ));
    }
    let first = numkeys_idx + 1;
    if setnum as u64 > (a.len() - first) as u64 {
        return args::syntax_error();
    }
    let setnum = setnum as usize;
    let keys = &a[first..first + setnum];
    // Look every key up (expiring, counting hits, checking types) before the
    // options are parsed, as Redis does.
    for k in keys {
        let e = if matches!(out, Output::Store(_)) {
            ctx.write(k)
        } else {
            ctx.read(k)
        };
        if let Some(e) = e
            && !matches!(e.value, Value::ZSet(_) | Value::Set(_))
        {
            return wrongtype();
        }
    }
    let mut weights = vec![1.0f64; setnum];
    let mut aggregate = Aggregate::Sum;
    let mut withscores = false;
    let mut limit = 0u64;
    let mut j = first + setnum;
    while j < a.len() {
        let remaining = a.len() - j;
        let o = &a[j];
        let full = op != Op::Diff && out != Output::Card;
        if full && remaining > setnum && args::is(o, "weights") {
            for (w, arg) in weights.iter_mut().zip(&a[j + 1..]) {
                match crate::util::num::parse_f64(arg) {
                    Some(v) => *w = v,
                    None => return Reply::err("ERR weight value is not a float"),
                }
            }
            j += setnum + 1;
        } else if full && remaining >= 2 && args::is(o, "aggregate") {
            let v = &a[j + 1];
            aggregate = if args::is(v, "sum") {
                Aggregate::Sum
            } else if args::is(v, "min") {
                Aggregate::Min
            } else if args::is(v, "max") {
                Aggregate::Max
            } else {
                return args::syntax_error();
            };
            j += 2;
        } else if out == Output::Reply && args::is(o, "withscores") {
            withscores = true;
            j += 1;
        } else if out == Output::Card && remaining >= 2 && args::is(o, "limit") {
            match parse_i64(&a[j + 1]) {
                Some(n) if n >= 0 => limit = n as u64,
                _ => return Reply::err("ERR LIMIT can't be negative"),
            }
            j += 2;
        } else {
            return args::syntax_error();
        }
    }

    let db = &ctx.srv.dbs[ctx.client.db];
    let mut srcs: Vec<(Src<'_>, f64)> = keys
        .iter()
        .zip(&weights)
        .map(|(k, &w)| {
            let src = match db.entries.get(&k[..]).map(|e| &e.value) {
                Some(Value::ZSet(z)) => Src::Z(z),
                Some(Value::Set(s)) => Src::S(s),
                _ => Src::Missing,
            };
            (src, w)
        })
        .collect();
    if out == Output::Card {
        return Reply::Int(inter_card(&mut srcs, limit) as i64);
    }
    let mut result = match op {
        Op::Union => union(&mut srcs, aggregate),
        Op::Inter => inter(&mut srcs, aggregate),
        Op::Diff => diff(&srcs),
    };
    match out {
        Output::Store(dst) => {
            let event = match op {
                Op::Union => "zunionstore",
                Op::Inter => "zinterstore",
                Op::Diff => "zdiffstore",
            };
            store_result(ctx, dst, result, event)
        }
        _ => {
            // Scores are never NaN here; -0 and 0 tie as in the skiplist.
            result.sort_by(|x, y| {
                x.1.partial_cmp(&y.1)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| x.0.cmp(&y.0))
            });
            scored_reply(ctx, withscores, result)
        }
    }
}

/// Weighted score of one input element; a NaN product (inf * 0) counts as 0.
fn weighted(score: f64, weight: f64) -> f64 {
    let v = score * weight;
    if v.is_nan() { 0.0 } else { v }
}

/// Inputs from the smallest to the largest (Redis sorts them this way for
/// union and intersection, which fixes the order sums are taken in).
fn by_size(srcs: &mut [(Src<'_>, f64)]) {
    srcs.sort_by_key(|(s, _)| s.len());
}

fn union(srcs: &mut [(Src<'_>, f64)], agg: Aggregate) -> Vec<(Bytes, f64)> {
    by_size(srcs);
    let mut acc: FastMap<Bytes, f64> = FastMap::default();
    for (src, w) in srcs.iter() {
        src.for_each(|m, s| {
            let v = weighted(s, *w);
            match acc.get_mut(m) {
                Some(t) => agg.apply(t, v),
                None => {
                    acc.insert(m.clone(), v);
                }
            }
        });
    }
    acc.into_iter().collect()
}

fn inter(srcs: &mut [(Src<'_>, f64)], agg: Aggregate) -> Vec<(Bytes, f64)> {
    by_size(srcs);
    let mut out = Vec::new();
    let Some(((first, w0), rest)) = srcs.split_first() else {
        return out;
    };
    if first.len() == 0 {
        return out;
    }
    first.for_each(|m, s| {
        let mut score = weighted(s, *w0);
        for (src, w) in rest {
            match src.score(m) {
                Some(v) => agg.apply(&mut score, v * w),
                None => return,
            }
        }
        out.push((m.clone(), score));
    });
    out
}

fn diff(srcs: &[(Src<'_>, f64)]) -> Vec<(Bytes, f64)> {
    let mut out = Vec::new();
    let Some(((first, _), rest)) = srcs.split_first() else {
        return out;
    };
    first.for_each(|m, s| {
        if !rest.iter().any(|(src, _)| src.score(m).is_some()) {
            out.push((m.clone(), s));
        }
    });
    out
}

/// Size of the intersection, stopping at `limit` (0 = no limit).
fn inter_card(srcs: &mut [(Src<'_>, f64)], limit: u64) -> u64 {
    by_size(srcs);
    let Some(((first, _), rest)) = srcs.split_first() else {
        return 0;
    };
    let members: Box<dyn Iterator<Item = &Bytes>> = match first {
        Src::Missing => return 0,
        Src::Z(z) => Box::new(z.iter().map(|(m, _)| m)),
        Src::S(s) => Box::new(s.iter()),
    };
    let mut n = 0u64;
    for m in members {
        if rest.iter().all(|(src, _)| src.score(m).is_some()) {
            n += 1;
            if n == limit {
                break;
            }
        }
    }
    n
}

/// ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub(super) fn zunion(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    generic(ctx, a, 1, Op::Union, Output::Reply, "zunion")
}

/// ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub(super) fn zinter(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    generic(ctx, a, 1, Op::Inter, Output::Reply, "zinter")
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
pub(super) fn zdiff(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    generic(ctx, a, 1, Op::Diff, Output::Reply, "zdiff")
}

/// ZUNIONSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
pub(super) fn zunionstore(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    generic(ctx, a, 2, Op::Union, Output::Store(&a[1]), "zunionstore")
}

/// ZINTERSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
pub(super) fn zinterstore(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    generic(ctx, a, 2, Op::Inter, Output::Store(&a[1]), "zinterstore")
}

/// ZDIFFSTORE dst numkeys key [key ...]
pub(super) fn zdiffstore(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    generic(ctx, a, 2, Op::Diff, Output::Store(&a[1]), "zdiffstore")
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub(super) fn zintercard(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    generic(ctx, a, 1, Op::Inter, Output::Card, "zintercard")
}

/// Key positions of ZUNION/ZINTER/ZDIFF/ZINTERCARD (`numkeys` at 1).
pub(super) fn read_keys(a: &[Bytes]) -> Vec<usize> {
    numkeys_positions(a, 1)
}

/// Key positions of the STORE forms: the destination, then the inputs.
pub(super) fn store_keys(a: &[Bytes]) -> Vec<usize> {
    let inputs = numkeys_positions(a, 2);
    if inputs.is_empty() {
        return inputs;
    }
    std::iter::once(1).chain(inputs).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<Bytes> {
        s.iter()
            .map(|x| Bytes::copy_from_slice(x.as_bytes()))
            .collect()
    }

    #[test]
    fn key_positions() {
        assert_eq!(
            read_keys(&v(&["zunion", "2", "a", "b", "withscores"])),
            [2, 3]
        );
        assert_eq!(
            store_keys(&v(&["zunionstore", "d", "2", "a", "b"])),
            [1, 3, 4]
        );
        assert!(store_keys(&v(&["zunionstore", "d", "3", "a", "b"])).is_empty());
        assert!(read_keys(&v(&["zinter", "0", "a"])).is_empty());
    }

    #[test]
    fn aggregates_follow_redis() {
        let mut t = f64::INFINITY;
        Aggregate::Sum.apply(&mut t, f64::NEG_INFINITY);
        assert_eq!(t, 0.0);
        let mut t = 1.0;
        Aggregate::Min.apply(&mut t, f64::NAN);
        assert_eq!(t, 1.0);
        Aggregate::Max.apply(&mut t, 3.0);
        assert_eq!(t, 3.0);
        assert_eq!(weighted(f64::INFINITY, 0.0), 0.0);
    }
}
