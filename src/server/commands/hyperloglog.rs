//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST, over string values in
//! Redis's own layout (src/server/types/hll.rs).

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::notify;
use crate::server::state::Ctx;
use crate::server::types::hll;
use crate::server::value::Value;

/// The HyperLogLog command family.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("pfadd", -2, pfadd)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::HYPERLOGLOG)
        .keys(1, 1, 1)
        .doc(
            "hyperloglog",
            "2.8.9",
            "Adds elements to a HyperLogLog key. Creates the key if it doesn't exist.",
        ),
    CommandSpec::new("pfcount", -2, pfcount)
        // It may write the cached cardinality back: CLIENT PAUSE WRITE holds it, as in Redis.
        .flags(READONLY | MAY_REPLICATE)
        .acl(acl::HYPERLOGLOG)
        .keys(1, -1, 1)
        .doc(
            "hyperloglog",
            "2.8.9",
            "Returns the approximated cardinality of the set(s) observed by the HyperLogLog key(s).",
        ),
    CommandSpec::new("pfmerge", -2, pfmerge)
        .flags(WRITE | DENYOOM)
        .acl(acl::HYPERLOGLOG)
        .keys(1, -1, 1)
        .doc(
            "hyperloglog",
            "2.8.9",
            "Merges one or more HyperLogLog values into a single key.",
        ),
    CommandSpec::new("pfdebug", 3, pfdebug)
        .flags(WRITE | DENYOOM | ADMIN)
        .acl(acl::HYPERLOGLOG)
        .keys(2, 2, 1)
        .doc(
            "hyperloglog",
            "2.8.9",
            "Internal commands for debugging HyperLogLog values.",
        ),
    CommandSpec::new("pfselftest", 1, pfselftest)
        .flags(ADMIN)
        .acl(acl::HYPERLOGLOG)
        .doc(
            "hyperloglog",
            "2.8.9",
            "An internal command for testing HyperLogLog values.",
        ),
];

/// `hll-sparse-max-bytes`: the size beyond which a sparse value turns dense.
fn sparse_max_bytes(ctx: &Ctx) -> usize {
    ctx.srv
        .config
        .value("hll-sparse-max-bytes")
        .and_then(|v| crate::config::parse_memory(&v))
        .unwrap_or(3000) as usize
}

fn not_hll() -> Reply {
    Reply::err(hll::NOT_HLL)
}

fn corrupted() -> Reply {
    Reply::err(hll::CORRUPTED)
}

/// Reads a key as a HyperLogLog: Ok(None) when absent, an error reply for other values.
fn read_hll<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut Vec<u8>>, Reply> {
    match ctx.read_str(key)? {
        None => Ok(None),
        Some(v) if hll::is_valid(v) => Ok(Some(v)),
        Some(_) => Err(not_hll()),
    }
}

/// Like [`read_hll`] without hit statistics (the write path).
fn write_hll<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut Vec<u8>>, Reply> {
    match ctx.write_str(key)? {
        None => Ok(None),
        Some(v) if hll::is_valid(v) => Ok(Some(v)),
        Some(_) => Err(not_hll()),
    }
}

fn pfadd(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let max_bytes = sparse_max_bytes(ctx);
    let key = &a[1];
    let mut updated = 0u64;
    match write_hll(ctx, key) {
        Err(e) => return e,
        Ok(Some(_)) => {}
        Ok(None) => {
            ctx.store(key, Value::Str(hll::new_sparse()));
            updated += 1;
        }
    }
    let v = match write_hll(ctx, key) {
        Ok(Some(v)) => v,
        Ok(None) => return corrupted(),
        Err(e) => return e,
    };
    for ele in &a[2..] {
        match hll::add(v, ele, max_bytes) {
            Ok(true) => updated += 1,
            Ok(false) => {}
            Err(hll::Corrupted) => return corrupted(),
        }
    }
    if updated > 0 {
        hll::invalidate_cache(v);
        ctx.modified(key, notify::STRING, "pfadd");
        ctx.srv.dirty += updated - 1;
    }
    Reply::Int(i64::from(updated > 0))
}

fn pfcount(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    if a.len() > 2 {
        let mut max = Box::new([0u8; hll::REGISTERS]);
        for key in &a[1..] {
            match read_hll(ctx, key) {
                Ok(None) => {}
                Ok(Some(v)) => {
                    if hll::merge_into(&mut max, v).is_err() {
                        return corrupted();
                    }
                }
                Err(e) => return e,
            }
        }
        return Reply::Int(hll::estimate(&hll::raw_histogram(&max)) as i64);
    }
    let key = &a[1];
    let v = match read_hll(ctx, key) {
        Ok(Some(v)) => v,
        Ok(None) => return Reply::Int(0),
        Err(e) => return e,
    };
    if let Some(card) = hll::cached_card(v) {
        return Reply::Int(card as i64);
    }
    let Ok(card) = hll::count(v) else {
        return corrupted();
    };
    hll::set_cached_card(v, card);
    // Storing the cache changes the value: WATCH and replication must see it (no event).
    let db = ctx.db();
    ctx.srv.signal_modified(db, key);
    ctx.srv.dirty += 1;
    Reply::Int(card as i64)
}

fn pfmerge(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let max_bytes = sparse_max_bytes(ctx);
    let mut max = Box::new([0u8; hll::REGISTERS]);
    let mut use_dense = false;
    for key in &a[1..] {
        match read_hll(ctx, key) {
            Ok(None) => {}
            Ok(Some(v)) => {
                use_dense |= hll::encoding(v) == hll::DENSE;
                if hll::merge_into(&mut max, v).is_err() {
                    return corrupted();
                }
            }
            Err(e) => return e,
        }
    }
    let dest = &a[1];
    if ctx.write(dest).is_none() {
        ctx.store(dest, Value::Str(hll::new_sparse()));
    }
    let v = match write_hll(ctx, dest) {
        Ok(Some(v)) => v,
        Ok(None) => return corrupted(),
        Err(e) => return e,
    };
    if use_dense && hll::sparse_to_dense(v).is_err() {
        return corrupted();
    }
    for (i, &m) in max.iter().enumerate() {
        if m != 0 {
            // Like Redis, a corrupted destination is not reported here.
            let _ = hll::set(v, i, m, max_bytes);
        }
    }
    hll::invalidate_cache(v);
    ctx.modified(dest, notify::STRING, "pfadd");
    Reply::Ok
}

fn pfdebug(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let v = match write_hll(ctx, &a[2]) {
        Ok(Some(v)) => v,
        Ok(None) => return Reply::err("ERR The specified key does not exist"),
        Err(e) => return e,
    };
    let mut dirty = 0;
    let reply = match args::lower(&a[1]).as_str() {
        "getreg" => {
            if hll::encoding(v) == hll::SPARSE {
                if hll::sparse_to_dense(v).is_err() {
                    return corrupted();
                }
                dirty = 1;
            }
            Reply::Array(
                hll::registers(v)
                    .into_iter()
                    .map(|r| Reply::Int(i64::from(r)))
                    .collect(),
            )
        }
        "decode" => {
            if hll::encoding(v) != hll::SPARSE {
                return Reply::err("ERR HLL encoding is not sparse");
            }
            Reply::text(hll::decode_sparse(v))
        }
        "encoding" => Reply::Status(
            if hll::encoding(v) == hll::DENSE {
                "dense"
            } else {
                "sparse"
            }
            .into(),
        ),
        "todense" => {
            if hll::encoding(v) == hll::SPARSE {
                if hll::sparse_to_dense(v).is_err() {
                    return corrupted();
                }
                dirty = 1;
            }
            Reply::Int(dirty)
        }
        _ => {
            return Reply::err(format!(
                "ERR Unknown PFDEBUG subcommand '{}'",
                String::from_utf8_lossy(&a[1])
            ));
        }
    };
    ctx.srv.dirty += dirty as u64;
    reply
}

/// Redis's self test: register access, then dense and sparse estimates kept side by side up to
/// ten million elements, within six standard errors of the truth.
fn pfselftest(ctx: &mut Ctx, _a: &[Bytes]) -> Reply {
    use rand::RngExt;
    let max_bytes = sparse_max_bytes(ctx);
    let rng = &mut ctx.srv.rng;
    let mut dense = hll::new_sparse();
    if hll::sparse_to_dense(&mut dense).is_err() {
        return Reply::err("ERR TESTFAILED cannot build a dense value");
    }
    let mut want = vec![0u8; hll::REGISTERS];
    for _ in 0..1000 {
        for (i, w) in want.iter_mut().enumerate() {
            *w = rng.random_range(0..64u8);
            hll::dense_set(&mut dense[hll::HDR_SIZE..], i, *w);
        }
        for (i, w) in want.iter().enumerate() {
            let got = hll::dense_get(&dense[hll::HDR_SIZE..], i);
            if got != *w {
                return Reply::err(format!(
                    "ERR TESTFAILED Register {i} should be {w} but is {got}"
                ));
            }
        }
    }
    dense[hll::HDR_SIZE..].fill(0);
    let mut sparse = hll::new_sparse();
    let relerr = 1.04 / (hll::REGISTERS as f64).sqrt();
    let seed: u64 = rng.random();
    let mut checkpoint: u64 = 1;
    for j in 1..=10_000_000u64 {
        let ele = (j ^ seed).to_le_bytes();
        let _ = hll::add(&mut dense, &ele, max_bytes);
        let _ = hll::add(&mut sparse, &ele, max_bytes);
        if j != checkpoint {
            continue;
        }
        if (j as usize) < max_bytes / 2 && hll::encoding(&sparse) != hll::SPARSE {
            return Reply::err("ERR TESTFAILED sparse encoding not used");
        }
        let (Ok(cd), Ok(cs)) = (hll::count(&dense), hll::count(&sparse)) else {
            return Reply::err("ERR TESTFAILED dense/sparse disagree");
        };
        if cd != cs {
            return Reply::err("ERR TESTFAILED dense/sparse disagree");
        }
        let abserr = (checkpoint as i64 - cd as i64).unsigned_abs();
        let mut maxerr = (relerr * 6.0 * checkpoint as f64).ceil() as u64;
        if j == 10 {
            maxerr = 1;
        }
        if abserr > maxerr {
            return Reply::err(format!(
                "ERR TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"
            ));
        }
        checkpoint *= 10;
    }
    Reply::Ok
}
