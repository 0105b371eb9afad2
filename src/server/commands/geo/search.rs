//! GEORADIUS, GEORADIUSBYMEMBER (and their _RO forms), GEOSEARCH and GEOSEARCHSTORE: Redis's
//! `georadiusGeneric`, scanning the same nine geohash cells in the same order.

use bytes::Bytes;

use super::hash::{self, Shape, ShapeKind};
use super::{coord_reply, distance_reply, parse_lon_lat, parse_unit};
use crate::resp::Reply;
use crate::server::commands::args;
use crate::server::notify;
use crate::server::state::Ctx;
use crate::server::types::zset::{ScoreBound, ZSet};
use crate::server::value::Value;

/// Search around coordinates.
const RADIUS_COORDS: u8 = 1;
/// Search around a member.
const RADIUS_MEMBER: u8 = 2;
/// No STORE/STOREDIST (the _RO forms).
const RADIUS_NOSTORE: u8 = 4;
/// GEOSEARCH syntax.
const GEOSEARCH: u8 = 8;
/// GEOSEARCHSTORE.
const GEOSEARCHSTORE: u8 = 16;

/// Key positions of GEORADIUS/GEORADIUSBYMEMBER: the source and the last STORE/STOREDIST key.
pub fn georadius_keys(a: &[Bytes]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut stored = None;
    let mut i = 5;
    while i < a.len() {
        if (args::is(&a[i], "store") || args::is(&a[i], "storedist")) && i + 1 < a.len() {
            stored = Some(i + 1);
            i += 1;
        }
        i += 1;
    }
    keys.extend(stored);
    keys
}

/// GEORADIUS.
pub fn georadius(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    generic(ctx, a, 1, RADIUS_COORDS)
}

/// GEORADIUS_RO.
pub fn georadius_ro(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    generic(ctx, a, 1, RADIUS_COORDS | RADIUS_NOSTORE)
}

/// GEORADIUSBYMEMBER.
pub fn georadiusbymember(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    generic(ctx, a, 1, RADIUS_MEMBER)
}

/// GEORADIUSBYMEMBER_RO.
pub fn georadiusbymember_ro(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    generic(ctx, a, 1, RADIUS_MEMBER | RADIUS_NOSTORE)
}

/// GEOSEARCH.
pub fn geosearch(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    generic(ctx, a, 1, GEOSEARCH)
}

/// GEOSEARCHSTORE.
pub fn geosearchstore(ctx: &mut Ctx, a: &[Bytes]) -> Reply {
    generic(ctx, a, 2, GEOSEARCH | GEOSEARCHSTORE)
}

/// `radius unit`.
fn parse_distance(radius: &[u8], unit: &[u8]) -> Result<(f64, f64), Reply> {
    let r =
        crate::util::num::parse_f64(radius).ok_or_else(|| Reply::err("ERR need numeric radius"))?;
    if r < 0.0 {
        return Err(Reply::err("ERR radius cannot be negative"));
    }
    Ok((r, parse_unit(unit)?))
}

/// `width height unit`.
fn parse_box(w: &[u8], h: &[u8], unit: &[u8]) -> Result<(f64, f64, f64), Reply> {
    let w = crate::util::num::parse_f64(w).ok_or_else(|| Reply::err("ERR need numeric width"))?;
    let h = crate::util::num::parse_f64(h).ok_or_else(|| Reply::err("ERR need numeric height"))?;
    if h < 0.0 || w < 0.0 {
        return Err(Reply::err("ERR height or width cannot be negative"));
    }
    Ok((w, h, parse_unit(unit)?))
}

fn member_position(z: &ZSet, member: &[u8]) -> Result<(f64, f64), Reply> {
    z.score(member)
        .and_then(hash::decode_score)
        .ok_or_else(|| Reply::err("ERR could not decode requested zset member"))
}

/// One match.
struct Point {
    member: Bytes,
    score: f64,
    lon: f64,
    lat: f64,
    dist: f64,
}

#[derive(PartialEq, Clone, Copy)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// Members of the nine cells inside the shape, in Redis's scan order; with `limit` (ANY), stops
/// once that many were found.
fn collect(z: &ZSet, shape: &Shape, limit: usize) -> Vec<Point> {
    let cells = hash::areas_for(shape);
    let mut out: Vec<Point> = Vec::new();
    let mut last_processed = 0usize;
    for (i, cell) in cells.iter().enumerate() {
        if cell.is_zero() {
            continue;
        }
        // Huge radii make adjacent cells identical; Redis skips a repeat of the last one scanned
        // (its check is off while that is the center cell).
        if last_processed != 0
            && cell.bits == cells[last_processed].bits
            && cell.step == cells[last_processed].step
        {
            continue;
        }
        if !out.is_empty() && limit > 0 && out.len() >= limit {
            break;
        }
        let min = hash::align52(*cell) as f64;
        let max = hash::align52(hash::Bits {
            bits: cell.bits + 1,
            step: cell.step,
        }) as f64;
        let range = z.range_by_score(
            ScoreBound::inclusive(min),
            ScoreBound {
                value: max,
                exclusive: true,
            },
            false,
            0,
            None,
        );
        for (member, score) in range {
            if let Some((lon, lat)) = hash::decode_score(score)
                && let Some(dist) = hash::within(shape, lon, lat)
            {
                out.push(Point {
                    member: member.clone(),
                    score,
                    lon,
                    lat,
                    dist,
                });
            }
            if !out.is_empty() && limit > 0 && out.len() >= limit {
                break;
            }
        }
        last_processed = i;
    }
    out
}

fn generic(ctx: &mut Ctx, a: &[Bytes], src: usize, flags: u8) -> Reply {
    match run(ctx, a, src, flags) {
        Ok(r) | Err(r) => r,
    }
}

fn run(ctx: &mut Ctx, a: &[Bytes], src: usize, flags: u8) -> Result<Reply, Reply> {
    let mut store_key: Option<Bytes> = None;
    let mut storedist = false;
    let zobj: Option<&ZSet> = ctx.read_zset(&a[src])?.map(|z| &*z);
    let mut center = (0.0, 0.0);
    let mut conversion = 1.0;
    let mut kind = ShapeKind::Circle { radius: 0.0 };
    let base_args;
    if flags & RADIUS_COORDS != 0 {
        base_args = 6;
        center = parse_lon_lat(&a[2], &a[3])?;
        let (r, c) = parse_distance(&a[4], &a[5])?;
        kind = ShapeKind::Circle { radius: r };
        conversion = c;
    } else if flags & RADIUS_MEMBER != 0 {
        base_args = 5;
        if let Some(z) = zobj {
            center = member_position(z, &a[2])?;
            let (r, c) = parse_distance(&a[3], &a[4])?;
            kind = ShapeKind::Circle { radius: r };
            conversion = c;
        }
    } else if flags & GEOSEARCHSTORE != 0 {
        base_args = 3;
        store_key = Some(a[1].clone());
    } else {
        base_args = 2;
    }
    let (mut withdist, mut withhash, mut withcoords) = (false, false, false);
    let (mut frommember, mut fromloc, mut byradius, mut bybox) = (false, false, false, false);
    let mut sort = Sort::None;
    let mut any = false;
    let mut count: i64 = 0;
    let opts = &a[base_args.min(a.len())..];
    let remaining = opts.len();
    let search = flags & GEOSEARCH != 0;
    let can_store = flags & RADIUS_NOSTORE == 0 && !search;
    let mut i = 0;
    while i < remaining {
        let arg = &opts[i];
        if args::is(arg, "withdist") {
            withdist = true;
        } else if args::is(arg, "withhash") {
            withhash = true;
        } else if args::is(arg, "withcoord") {
            withcoords = true;
        } else if args::is(arg, "any") {
            any = true;
        } else if args::is(arg, "asc") {
            sort = Sort::Asc;
        } else if args::is(arg, "desc") {
            sort = Sort::Desc;
        } else if args::is(arg, "count") && i + 1 < remaining {
            count = args::int(&opts[i + 1])?;
            if count <= 0 {
                return Err(Reply::err("ERR COUNT must be > 0"));
            }
            i += 1;
        } else if args::is(arg, "store") && i + 1 < remaining && can_store {
            store_key = Some(opts[i + 1].clone());
            storedist = false;
            i += 1;
        } else if args::is(arg, "storedist") && i + 1 < remaining && can_store {
            store_key = Some(opts[i + 1].clone());
            storedist = true;
            i += 1;
        } else if args::is(arg, "storedist") && search && flags & GEOSEARCHSTORE != 0 {
            storedist = true;
        } else if args::is(arg, "frommember") && i + 1 < remaining && search && !fromloc {
            if let Some(z) = zobj {
                center = member_position(z, &opts[i + 1])?;
            }
            frommember = true;
            i += 1;
        } else if args::is(arg, "fromlonlat") && i + 2 < remaining && search && !frommember {
            center = parse_lon_lat(&opts[i + 1], &opts[i + 2])?;
            fromloc = true;
            i += 2;
        } else if args::is(arg, "byradius") && i + 2 < remaining && search && !bybox {
            let (r, c) = parse_distance(&opts[i + 1], &opts[i + 2])?;
            kind = ShapeKind::Circle { radius: r };
            conversion = c;
            byradius = true;
            i += 2;
        } else if args::is(arg, "bybox") && i + 3 < remaining && search && !byradius {
            let (w, h, c) = parse_box(&opts[i + 1], &opts[i + 2], &opts[i + 3])?;
            kind = ShapeKind::Box {
                width: w,
                height: h,
            };
            conversion = c;
            bybox = true;
            i += 3;
        } else {
            return Err(args::syntax_error());
        }
        i += 1;
    }
    if store_key.is_some() && (withdist || withhash || withcoords) {
        let what = if flags & GEOSEARCHSTORE != 0 {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(Reply::err(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = String::from_utf8_lossy(&a[0]);
    if search && !(frommember || fromloc) {
        return Err(Reply::err(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if search && !(byradius || bybox) {
        return Err(Reply::err(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if any && count == 0 {
        return Err(Reply::err("ERR the ANY argument requires COUNT argument"));
    }
    let Some(z) = zobj else {
        return Ok(match store_key {
            Some(dest) => {
                if ctx.delete(&dest) {
                    ctx.modified(&dest, notify::GENERIC, "del");
                }
                Reply::Int(0)
            }
            None => Reply::Array(Vec::new()),
        });
    };
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let shape = Shape {
        lon: center.0,
        lat: center.1,
        conversion,
        kind,
    };
    let limit = if any { count as usize } else { 0 };
    let mut points = collect(z, &shape, limit);
    if points.is_empty() && store_key.is_none() {
        return Ok(Reply::Array(Vec::new()));
    }
    let returned = if count == 0 {
        points.len()
    } else {
        points.len().min(count as usize)
    };
    match sort {
        Sort::Asc => points.sort_by(|x, y| {
            x.dist
                .partial_cmp(&y.dist)
                .unwrap_or(std::cmp::Ordering::Equal)
        }),
        Sort::Desc => points.sort_by(|x, y| {
            y.dist
                .partial_cmp(&x.dist)
                .unwrap_or(std::cmp::Ordering::Equal)
        }),
        Sort::None => {}
    }
    points.truncate(returned);
    for p in &mut points {
        p.dist /= conversion;
    }
    let Some(dest) = store_key else {
        let with = withdist || withhash || withcoords;
        let items = points
            .into_iter()
            .map(|p| {
                let member = Reply::Bulk(p.member);
                if !with {
                    return member;
                }
                let mut item = vec![member];
                if withdist {
                    item.push(distance_reply(p.dist));
                }
                if withhash {
                    item.push(Reply::Int(p.score as i64));
                }
                if withcoords {
                    item.push(Reply::Array(vec![coord_reply(p.lon), coord_reply(p.lat)]));
                }
                Reply::Array(item)
            })
            .collect();
        return Ok(Reply::Array(items));
    };
    if returned > 0 {
        let mut out = ZSet::new();
        for p in &points {
            out.insert(&p.member, if storedist { p.dist } else { p.score });
        }
        ctx.store(&dest, Value::ZSet(Box::new(out)));
        let event = if search {
            "geosearchstore"
        } else {
            "georadiusstore"
        };
        ctx.modified(&dest, notify::ZSET, event);
        ctx.srv.dirty += returned as u64 - 1;
    } else if ctx.delete(&dest) {
        ctx.modified(&dest, notify::GENERIC, "del");
    }
    Ok(Reply::Int(returned as i64))
}
