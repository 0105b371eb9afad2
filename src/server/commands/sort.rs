//! SORT and SORT_RO: sort a list, set or sorted set numerically or lexically, optionally by
//! weights found in other keys (BY), returning other keys' values (GET) or storing the result.

use std::cmp::Ordering;

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::acl::keyperm;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::notify;
use crate::server::state::{Ctx, wrongtype};
use crate::server::value::{Entry, Value};

/// SORT and SORT_RO.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("sort", -2, sort)
        .flags(WRITE | DENYOOM)
        .acl(acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS)
        .keys_fn(sort_keys)
        .doc(
            "generic",
            "1.0.0",
            "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.",
        ),
    CommandSpec::new("sort_ro", -2, sort_ro)
        // Its BY/GET patterns read keys the table cannot name: Redis marks it movablekeys.
        .flags(READONLY | MOVABLE_KEYS)
        .acl(acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS)
        .keys(1, 1, 1)
        .doc(
            "generic",
            "7.0.0",
            "Returns the sorted elements of a list, a set, or a sorted set.",
        ),
];

/// Key positions of SORT: the sorted key and, like Redis's `sortGetKeys`, the last STORE
/// destination (options with arguments are skipped so a GET pattern named "store" is not one).
fn sort_keys(a: &[Bytes]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut store = None;
    let mut i = 2;
    while i < a.len() {
        if args::is(&a[i], "limit") {
            i += 2;
        } else if args::is(&a[i], "get") || args::is(&a[i], "by") {
            i += 1;
        } else if args::is(&a[i], "store") && i + 1 < a.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store);
    keys
}

fn sort(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    sort_generic(ctx, a, "sort", false)
}

fn sort_ro(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    sort_generic(ctx, a, "sort_ro", true)
}

/// Parsed SORT options.
struct Opts {
    desc: bool,
    alpha: bool,
    limit: Option<(i64, i64)>,
    store: Option<Bytes>,
    by: Option<Bytes>,
    /// BY without `*`: keep the natural order.
    dontsort: bool,
    gets: Vec<Bytes>,
}

fn parse(ctx: &mut Ctx, a: &[Bytes], name: &str, readonly: bool) -> Result<Opts, Reply> {
    let full_access = match ctx.srv.acl.users.get(&ctx.client.user) {
        Some(u) => keyperm::unrestricted_read_access(u, name, a),
        None => true,
    };
    let mut o = Opts {
        desc: false,
        alpha: false,
        limit: None,
        store: None,
        by: None,
        dontsort: false,
        gets: Vec::new(),
    };
    let mut j = 2;
    while j < a.len() {
        let left = a.len() - j - 1;
        let opt = &a[j];
        if args::is(opt, "asc") {
            o.desc = false;
        } else if args::is(opt, "desc") {
            o.desc = true;
        } else if args::is(opt, "alpha") {
            o.alpha = true;
        } else if args::is(opt, "limit") && left >= 2 {
            let start = args::int(&a[j + 1])?;
            let count = args::int(&a[j + 2])?;
            o.limit = Some((start, count));
            j += 2;
        } else if !readonly && args::is(opt, "store") && left >= 1 {
            o.store = Some(a[j + 1].clone());
            j += 1;
        } else if args::is(opt, "by") && left >= 1 {
            let pat = a[j + 1].clone();
            if !pat.contains(&b'*') {
                o.dontsort = true;
            } else if !full_access {
                return Err(Reply::err(
                    "ERR BY option of SORT denied due to insufficient ACL permissions.",
                ));
            }
            o.by = Some(pat);
            j += 1;
        } else if args::is(opt, "get") && left >= 1 {
            if !full_access {
                return Err(Reply::err(
                    "ERR GET option of SORT denied due to insufficient ACL permissions.",
                ));
            }
            o.gets.push(a[j + 1].clone());
            j += 1;
        } else {
            return Err(args::syntax_error());
        }
        j += 1;
    }
    Ok(o)
}

/// The value a BY/GET pattern names for one element: `#` is the element itself; otherwise the
/// first `*` is replaced by the element and the key read as a string, or with `->field` as a
/// hash field. Patterns without `*` name nothing.
fn lookup_by_pattern(ctx: &mut Ctx, pattern: &[u8], elem: &Bytes) -> Option<Bytes> {
    if pattern == b"#" {
        return Some(elem.clone());
    }
    let star = pattern.iter().position(|&c| c == b'*')?;
    let after = &pattern[star + 1..];
    let (postfix, field) = match after.windows(2).position(|w| w == b"->") {
        Some(arrow) if arrow + 2 < after.len() => (&after[..arrow], Some(&after[arrow + 2..])),
        _ => (after, None),
    };
    let mut key = Vec::with_capacity(pattern.len() + elem.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(postfix);
    match (ctx.read(&key), field) {
        (
            Some(Entry {
                value: Value::Str(s),
                ..
            }),
            None,
        ) => Some(Bytes::copy_from_slice(s)),
        (
            Some(Entry {
                value: Value::Hash(h),
                ..
            }),
            Some(f),
        ) => h.get(f).cloned(),
        _ => None,
    }
}

/// Redis's `strtod` check for sort weights: the whole string (up to a NUL) must be a number;
/// overflow, underflow and NaN are errors; "" is 0.
fn weight(s: &[u8]) -> Option<f64> {
    let s = s.split(|&c| c == 0).next().unwrap_or_default();
    if s.is_empty() {
        return Some(0.0);
    }
    let body = s.trim_ascii_start();
    let v: f64 = std::str::from_utf8(body).ok()?.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    let digits = body
        .iter()
        .take_while(|c| !matches!(c, b'e' | b'E'))
        .any(|c| (b'1'..=b'9').contains(c));
    let literal_inf = body
        .iter()
        .any(|c| c.is_ascii_alphabetic() && !matches!(c, b'e' | b'E'));
    let underflow = (v == 0.0 && digits) || (v != 0.0 && v.abs() < f64::MIN_POSITIVE);
    if (v.is_infinite() && !literal_inf) || underflow {
        return None;
    }
    Some(v)
}

/// `strcoll` in the C locale: `strcmp`, which stops at the first NUL.
fn strcoll(a: &[u8], b: &[u8]) -> Ordering {
    let cut = |s: &[u8]| -> usize { s.iter().position(|&c| c == 0).unwrap_or(s.len()) };
    a[..cut(a)].cmp(&b[..cut(b)])
}

/// One element to sort with its weight.
struct Item {
    obj: Bytes,
    score: f64,
    cmp: Option<Bytes>,
}

fn sort_generic(ctx: &mut Ctx, a: &[Bytes], name: &str, readonly: bool) -> Reply {
    let mut o = match parse(ctx, a, name, readonly) {
        Ok(o) => o,
        Err(e) => return e,
    };
    // Load the elements (lists and sorted sets in their natural order).
    let (kind, elems): (u8, Vec<Bytes>) = match ctx.read(&a[1]) {
        None => (b'l', Vec::new()),
        Some(e) => match &e.value {
            Value::List(l) => (b'l', l.iter().cloned().collect()),
            Value::Set(s) => (b's', s.iter().cloned().collect()),
            Value::ZSet(z) => (b'z', z.iter().map(|(m, _)| m.clone()).collect()),
            _ => return wrongtype(),
        },
    };
    if o.dontsort && kind == b's' && o.store.is_some() {
        // A set has no natural order: sort it so STORE results are deterministic.
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
    }
    let len = elems.len() as i64;
    let (limit_start, limit_count) = o.limit.unwrap_or((0, -1));
    let mut start = limit_start.max(0).min(len);
    let count = limit_count.max(-1).min(len);
    let mut end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    let mut items: Vec<Item>;
    if o.dontsort && kind != b's' {
        // Natural order, DESC reversing it, LIMIT applied directly.
        items = Vec::new();
        if end >= start {
            let n = (end - start + 1) as usize;
            let take = |it: &mut dyn Iterator<Item = Bytes>| -> Vec<Item> {
                it.skip(start as usize)
                    .take(n)
                    .map(|obj| Item {
                        obj,
                        score: 0.0,
                        cmp: None,
                    })
                    .collect()
            };
            items = if o.desc {
                take(&mut elems.into_iter().rev())
            } else {
                take(&mut elems.into_iter())
            };
        }
        end -= start;
        start = 0;
    } else {
        items = elems
            .into_iter()
            .map(|obj| Item {
                obj,
                score: 0.0,
                cmp: None,
            })
            .collect();
    }
    let mut conversion_error = false;
    if !o.dontsort {
        for item in items.iter_mut() {
            let byval = match &o.by {
                Some(p) => match lookup_by_pattern(ctx, p, &item.obj) {
                    Some(v) => v,
                    None => continue,
                },
                None => item.obj.clone(),
            };
            if o.alpha {
                if o.by.is_some() {
                    item.cmp = Some(byval);
                }
            } else {
                match weight(&byval) {
                    Some(w) => item.score = w,
                    None => conversion_error = true,
                }
            }
        }
        let (alpha, bypattern, store, desc) = (o.alpha, o.by.is_some(), o.store.is_some(), o.desc);
        let compare = |x: &Item, y: &Item| -> Ordering {
            let c = if !alpha {
                x.score
                    .partial_cmp(&y.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| x.obj.cmp(&y.obj))
            } else if bypattern {
                match (&x.cmp, &y.cmp) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(p), Some(q)) if store => p.cmp(q),
                    (Some(p), Some(q)) => strcoll(p, q),
                }
            } else if store {
                x.obj.cmp(&y.obj)
            } else {
                strcoll(&x.obj, &y.obj)
            };
            if desc { c.reverse() } else { c }
        };
        items.sort_by(compare);
    }
    if conversion_error {
        return Reply::err("ERR One or more scores can't be converted into double");
    }
    let range: &[Item] = if end >= start {
        &items[start as usize..=end as usize]
    } else {
        &[]
    };
    let Some(dest) = o.store.clone() else {
        let mut out = Vec::with_capacity(range.len() * o.gets.len().max(1));
        for item in range {
            if o.gets.is_empty() {
                out.push(Reply::Bulk(item.obj.clone()));
            }
            for g in &o.gets {
                out.push(match lookup_by_pattern(ctx, g, &item.obj) {
                    Some(v) => Reply::Bulk(v),
                    None => Reply::Null,
                });
            }
        }
        return Reply::Array(out);
    };
    let mut list = std::collections::VecDeque::with_capacity(range.len());
    for item in range {
        if o.gets.is_empty() {
            list.push_back(Bytes::copy_from_slice(&item.obj));
        }
        for g in &o.gets {
            let v = lookup_by_pattern(ctx, g, &item.obj).unwrap_or_default();
            list.push_back(Bytes::copy_from_slice(&v));
        }
    }
    let n = list.len();
    if n > 0 {
        ctx.store(&dest, Value::List(Box::new(list)));
        ctx.modified(&dest, notify::LIST, "sortstore");
        ctx.srv.dirty += n as u64 - 1;
    } else if ctx.delete(&dest) {
        ctx.modified(&dest, notify::GENERIC, "del");
    }
    Reply::Int(n as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_follow_strtod() {
        assert_eq!(weight(b"1.5"), Some(1.5));
        assert_eq!(weight(b" 2"), Some(2.0));
        assert_eq!(weight(b""), Some(0.0));
        assert_eq!(weight(b"inf"), Some(f64::INFINITY));
        assert_eq!(weight(b"1e400"), None);
        assert_eq!(weight(b"1e-400"), None);
        assert_eq!(weight(b"0e5"), Some(0.0));
        assert_eq!(weight(b"nan"), None);
        assert_eq!(weight(b"2 "), None);
        assert_eq!(weight(b"abc"), None);
    }

    #[test]
    fn store_keys_are_found() {
        let a: Vec<Bytes> = ["sort", "k", "by", "store", "get", "x", "store", "dst"]
            .iter()
            .map(|s| Bytes::from(s.to_string()))
            .collect();
        assert_eq!(sort_keys(&a), vec![1, 7]);
    }
}
