//! GEO commands: positions stored as sorted-set members whose scores are 52-bit geohashes,
//! computed exactly as Redis 7.0 computes them (see [`hash`]).

pub mod hash;
mod search;

use bytes::Bytes;

use super::args;
use crate::resp::Reply;
use crate::server::command::{CommandSpec, acl, flags::*};
use crate::server::notify;
use crate::server::state::Ctx;
use crate::server::types::zset::{InsertOutcome, ZSet};
use crate::server::value::Value;

/// The GEO command family.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec::new("geoadd", -5, geoadd)
        .flags(WRITE | DENYOOM)
        .acl(acl::GEO)
        .keys(1, 1, 1)
        .doc(
            "geo",
            "3.2.0",
            "Adds one or more members to a geospatial index. The key is created if it doesn't exist.",
        ),
    CommandSpec::new("geodist", -4, geodist)
        .flags(READONLY)
        .acl(acl::GEO)
        .keys(1, 1, 1)
        .doc(
            "geo",
            "3.2.0",
            "Returns the distance between two members of a geospatial index.",
        ),
    CommandSpec::new("geohash", -2, geohash)
        .flags(READONLY)
        .acl(acl::GEO)
        .keys(1, 1, 1)
        .doc(
            "geo",
            "3.2.0",
            "Returns members from a geospatial index as geohash strings.",
        ),
    CommandSpec::new("geopos", -2, geopos)
        .flags(READONLY)
        .acl(acl::GEO)
        .keys(1, 1, 1)
        .doc(
            "geo",
            "3.2.0",
            "Returns the longitude and latitude of members from a geospatial index.",
        ),
    CommandSpec::new("georadius", -6, search::georadius)
        .flags(WRITE | DENYOOM)
        .acl(acl::GEO)
        .keys_fn(search::georadius_keys)
        .doc(
            "geo",
            "3.2.0",
            "Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.",
        ),
    CommandSpec::new("georadius_ro", -6, search::georadius_ro)
        .flags(READONLY)
        .acl(acl::GEO)
        .keys(1, 1, 1)
        .doc(
            "geo",
            "3.2.10",
            "Returns members from a geospatial index that are within a distance from a coordinate.",
        ),
    CommandSpec::new("georadiusbymember", -5, search::georadiusbymember)
        .flags(WRITE | DENYOOM)
        .acl(acl::GEO)
        .keys_fn(search::georadius_keys)
        .doc(
            "geo",
            "3.2.0",
            "Queries a geospatial index for members within a distance from a member, optionally stores the result.",
        ),
    CommandSpec::new("georadiusbymember_ro", -5, search::georadiusbymember_ro)
        .flags(READONLY)
        .acl(acl::GEO)
        .keys(1, 1, 1)
        .doc(
            "geo",
            "3.2.10",
            "Returns members from a geospatial index that are within a distance from a member.",
        ),
    CommandSpec::new("geosearch", -7, search::geosearch)
        .flags(READONLY)
        .acl(acl::GEO)
        .keys(1, 1, 1)
        .doc(
            "geo",
            "6.2.0",
            "Queries a geospatial index for members inside an area of a box or a circle.",
        ),
    CommandSpec::new("geosearchstore", -8, search::geosearchstore)
        .flags(WRITE | DENYOOM)
        .acl(acl::GEO)
        .keys(1, 2, 1)
        .doc(
            "geo",
            "6.2.0",
            "Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result.",
        ),
];

/// Redis's `invalid longitude,latitude pair` check after parsing two floats.
fn parse_lon_lat(lon: &[u8], lat: &[u8]) -> Result<(f64, f64), Reply> {
    let lon = args::float(lon)?;
    let lat = args::float(lat)?;
    if !(hash::LONG_MIN..=hash::LONG_MAX).contains(&lon)
        || !(hash::LAT_MIN..=hash::LAT_MAX).contains(&lat)
    {
        return Err(Reply::err(format!(
            "ERR invalid longitude,latitude pair {lon:.6},{lat:.6}"
        )));
    }
    Ok((lon, lat))
}

/// Meters per unit (`m`, `km`, `ft`, `mi`).
fn parse_unit(u: &[u8]) -> Result<f64, Reply> {
    match args::lower(u).as_str() {
        "m" => Ok(1.0),
        "km" => Ok(1000.0),
        "ft" => Ok(0.3048),
        "mi" => Ok(1609.34),
        _ => Err(Reply::err(
            "ERR unsupported unit provided. please use M, KM, FT, MI",
        )),
    }
}

/// Distances are sent with four decimals, as a bulk string in both protocols.
fn distance_reply(d: f64) -> Reply {
    Reply::text(format!("{d:.4}"))
}

/// A coordinate in Redis's human long double form (`%.17Lf`, trailing zeros removed).
fn coord_reply(v: f64) -> Reply {
    let mut s = format!("{v:.17}");
    if s.contains('.') {
        let keep = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(keep);
    }
    if s == "-0" {
        s = "0".into();
    }
    Reply::DoubleText(s)
}

fn geoadd(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let (mut nx, mut xx, mut ch) = (false, false, false);
    let mut i = 2;
    while i < a.len() {
        if args::is(&a[i], "nx") {
            nx = true;
        } else if args::is(&a[i], "xx") {
            xx = true;
        } else if args::is(&a[i], "ch") {
            ch = true;
        } else {
            break;
        }
        i += 1;
    }
    if !(a.len() - i).is_multiple_of(3) || (xx && nx) {
        return args::syntax_error();
    }
    let mut items = Vec::with_capacity((a.len() - i) / 3);
    // Replicas get the ZADD this amounts to (options kept, coordinates as scores), as in Redis.
    let mut as_zadd: Vec<Bytes> = Vec::with_capacity(i + (a.len() - i) / 3 * 2);
    as_zadd.push(crate::server::replication::propagate::arg("zadd"));
    as_zadd.extend(a[1..i].iter().cloned());
    for t in a[i..].chunks_exact(3) {
        let (lon, lat) = match parse_lon_lat(&t[0], &t[1]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let bits = hash::encode_wgs84(lon, lat, hash::STEP_MAX)
            .map(hash::align52)
            .unwrap_or(0);
        items.push((bits as f64, &t[2]));
        as_zadd.push(Bytes::from(bits.to_string()));
        as_zadd.push(t[2].clone());
    }
    let key = &a[1];
    let (mut added, mut updated) = (0i64, 0i64);
    let mut apply = |z: &mut ZSet| {
        for (score, member) in &items {
            let exists = z.score(member).is_some();
            if (nx && exists) || (xx && !exists) {
                continue;
            }
            match z.insert(member, *score) {
                InsertOutcome::Added => added += 1,
                InsertOutcome::Updated => updated += 1,
                InsertOutcome::Unchanged => {}
            }
        }
    };
    match ctx.write_zset(key) {
        Err(e) => return e,
        Ok(Some(z)) => apply(z),
        Ok(None) if xx => {}
        Ok(None) => {
            let mut z = ZSet::new();
            apply(&mut z);
            if !z.is_empty() {
                ctx.store(key, Value::ZSet(Box::new(z)));
            }
        }
    }
    if added + updated > 0 {
        ctx.modified(key, notify::ZSET, "zadd");
        ctx.srv.dirty += (added + updated - 1) as u64;
        ctx.propagate_as(as_zadd);
    }
    Reply::Int(if ch { added + updated } else { added })
}

/// Scores of the named members (None for missing ones); Err for a wrong type.
fn member_scores(ctx: &mut Ctx, key: &[u8], members: &[Bytes]) -> Result<Vec<Option<f64>>, Reply> {
    Ok(match ctx.read_zset(key)? {
        None => vec![None; members.len()],
        Some(z) => members.iter().map(|m| z.score(m)).collect(),
    })
}

fn geopos(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let scores = match member_scores(ctx, &a[1], &a[2..]) {
        Ok(s) => s,
        Err(e) => return e,
    };
    Reply::Array(
        scores
            .into_iter()
            .map(|s| match s.and_then(hash::decode_score) {
                Some((lon, lat)) => Reply::Array(vec![coord_reply(lon), coord_reply(lat)]),
                None => Reply::NullArray,
            })
            .collect(),
    )
}

fn geohash(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let scores = match member_scores(ctx, &a[1], &a[2..]) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let standard = (
        hash::Range {
            min: -180.0,
            max: 180.0,
        },
        hash::Range {
            min: -90.0,
            max: 90.0,
        },
    );
    Reply::Array(
        scores
            .into_iter()
            .map(|s| {
                let Some((lon, lat)) = s.and_then(hash::decode_score) else {
                    return Reply::Null;
                };
                // Re-encoded with the standard -90..90 latitude range, as geohash.org uses.
                let bits = hash::encode(standard.0, standard.1, lon, lat, 26)
                    .map(|h| h.bits)
                    .unwrap_or(0);
                let text: Vec<u8> = (0..11)
                    .map(|i| {
                        let idx = if i == 10 {
                            0
                        } else {
                            ((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize
                        };
                        ALPHABET[idx]
                    })
                    .collect();
                Reply::Bulk(Bytes::from(text))
            })
            .collect(),
    )
}

fn geodist(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    let to_meter = match a.len() {
        5 => match parse_unit(&a[4]) {
            Ok(u) => u,
            Err(e) => return e,
        },
        4 => 1.0,
        _ => return args::syntax_error(),
    };
    let z = match ctx.read_zset(&a[1]) {
        Ok(Some(z)) => z,
        Ok(None) => return Reply::Null,
        Err(e) => return e,
    };
    let (Some(s1), Some(s2)) = (z.score(&a[2]), z.score(&a[3])) else {
        return Reply::Null;
    };
    match (hash::decode_score(s1), hash::decode_score(s2)) {
        (Some((lon1, lat1)), Some((lon2, lat2))) => {
            distance_reply(hash::distance(lon1, lat1, lon2, lat2) / to_meter)
        }
        _ => Reply::Null,
    }
}
