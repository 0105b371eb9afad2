//! Geohash arithmetic exactly as Redis 7.0 does it (geohash.c, geohash_helper.c), so scores,
//! decoded coordinates, distances and search areas agree with Redis bit for bit.

/// Longitude limits.
pub const LONG_MIN: f64 = -180.0;
/// Longitude limits.
pub const LONG_MAX: f64 = 180.0;
/// Latitude limits (Web Mercator cannot reach the poles).
pub const LAT_MIN: f64 = -85.051_128_78;
/// Latitude limits.
pub const LAT_MAX: f64 = 85.051_128_78;
/// Bits per coordinate in stored scores.
pub const STEP_MAX: u8 = 26;

const EARTH_RADIUS_IN_METERS: f64 = 6_372_797.560_856;
const MERCATOR_MAX: f64 = 20_037_726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

/// An interval of one coordinate.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Range {
    /// Lower end.
    pub min: f64,
    /// Upper end.
    pub max: f64,
}

/// A geohash: `step` bits per coordinate, interleaved (latitude in the even bits).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bits {
    /// Interleaved bits.
    pub bits: u64,
    /// Precision.
    pub step: u8,
}

impl Bits {
    /// The "excluded" marker Redis uses for neighbors outside the search area.
    pub fn is_zero(&self) -> bool {
        self.bits == 0 && self.step == 0
    }
}

/// The cell a geohash stands for.
#[derive(Clone, Copy, Debug, Default)]
pub struct Area {
    /// Longitude interval.
    pub longitude: Range,
    /// Latitude interval.
    pub latitude: Range,
}

/// The stored-score ranges: longitude -180..180, latitude -85.05..85.05.
pub fn coord_ranges() -> (Range, Range) {
    (
        Range {
            min: LONG_MIN,
            max: LONG_MAX,
        },
        Range {
            min: LAT_MIN,
            max: LAT_MAX,
        },
    )
}

fn interleave64(xlo: u32, ylo: u32) -> u64 {
    const B: [u64; 5] = [
        0x5555_5555_5555_5555,
        0x3333_3333_3333_3333,
        0x0F0F_0F0F_0F0F_0F0F,
        0x00FF_00FF_00FF_00FF,
        0x0000_FFFF_0000_FFFF,
    ];
    const S: [u32; 5] = [1, 2, 4, 8, 16];
    let mut x = u64::from(xlo);
    let mut y = u64::from(ylo);
    for i in (0..5).rev() {
        x = (x | (x << S[i])) & B[i];
        y = (y | (y << S[i])) & B[i];
    }
    x | (y << 1)
}

fn deinterleave64(interleaved: u64) -> u64 {
    const B: [u64; 6] = [
        0x5555_5555_5555_5555,
        0x3333_3333_3333_3333,
        0x0F0F_0F0F_0F0F_0F0F,
        0x00FF_00FF_00FF_00FF,
        0x0000_FFFF_0000_FFFF,
        0x0000_0000_FFFF_FFFF,
    ];
    const S: [u32; 6] = [0, 1, 2, 4, 8, 16];
    let mut x = interleaved;
    let mut y = interleaved >> 1;
    for i in 0..6 {
        x = (x | (x >> S[i])) & B[i];
        y = (y | (y >> S[i])) & B[i];
    }
    x | (y << 32)
}

/// C's `(uint32_t)` of a non-negative double below 2^32 (truncation).
fn to_u32(v: f64) -> u32 {
    v as u32
}

/// Encodes a position with `step` bits per coordinate; None outside the ranges.
pub fn encode(lon_r: Range, lat_r: Range, lon: f64, lat: f64, step: u8) -> Option<Bits> {
    if step > 32 || step == 0 || lat_r.max - lat_r.min == 0.0 || lon_r.max - lon_r.min == 0.0 {
        return None;
    }
    if !(LONG_MIN..=LONG_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_r.min || lat > lat_r.max || lon < lon_r.min || lon > lon_r.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_offset = (lat - lat_r.min) / (lat_r.max - lat_r.min) * scale;
    let lon_offset = (lon - lon_r.min) / (lon_r.max - lon_r.min) * scale;
    Some(Bits {
        bits: interleave64(to_u32(lat_offset), to_u32(lon_offset)),
        step,
    })
}

/// Encodes with the stored-score ranges.
pub fn encode_wgs84(lon: f64, lat: f64, step: u8) -> Option<Bits> {
    let (lo, la) = coord_ranges();
    encode(lo, la, lon, lat, step)
}

/// The cell of a geohash; None for the zero hash.
pub fn decode(lon_r: Range, lat_r: Range, hash: Bits) -> Option<Area> {
    if hash.is_zero() || lat_r.max - lat_r.min == 0.0 || lon_r.max - lon_r.min == 0.0 {
        return None;
    }
    let sep = deinterleave64(hash.bits);
    let lat_scale = lat_r.max - lat_r.min;
    let lon_scale = lon_r.max - lon_r.min;
    let ilato = sep as u32;
    let ilono = (sep >> 32) as u32;
    let div = (1u64 << hash.step) as f64;
    Some(Area {
        latitude: Range {
            min: lat_r.min + (f64::from(ilato) / div) * lat_scale,
            max: lat_r.min + (f64::from(ilato.wrapping_add(1)) / div) * lat_scale,
        },
        longitude: Range {
            min: lon_r.min + (f64::from(ilono) / div) * lon_scale,
            max: lon_r.min + (f64::from(ilono.wrapping_add(1)) / div) * lon_scale,
        },
    })
}

/// C's `(uint64_t)` conversion of a double on x86-64 (what Redis does to a score).
fn c_double_to_u64(x: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    let cvtt = |v: f64| -> i64 {
        if v.is_finite() && v > -TWO63 && v < TWO63 {
            v as i64
        } else {
            i64::MIN
        }
    };
    if x >= TWO63 {
        (cvtt(x - TWO63) as u64) ^ (1 << 63)
    } else {
        cvtt(x) as u64
    }
}

/// The position a stored score stands for: the center of its cell, kept within the limits.
pub fn decode_score(score: f64) -> Option<(f64, f64)> {
    let (lo, la) = coord_ranges();
    let area = decode(
        lo,
        la,
        Bits {
            bits: c_double_to_u64(score),
            step: STEP_MAX,
        },
    )?;
    let lon = ((area.longitude.min + area.longitude.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.latitude.min + area.latitude.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    Some((lon, lat))
}

/// A 52-bit score from a geohash of any precision.
pub fn align52(hash: Bits) -> u64 {
    hash.bits << (52 - u32::from(hash.step) * 2)
}

fn move_x(hash: &mut Bits, d: i8) {
    if d == 0 {
        return;
    }
    let mut x = hash.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = hash.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64 >> (64 - u32::from(hash.step) * 2);
    if d > 0 {
        x = x.wrapping_add(zz + 1);
    } else {
        x |= zz;
        x = x.wrapping_sub(zz + 1);
    }
    x &= 0xaaaa_aaaa_aaaa_aaaau64 >> (64 - u32::from(hash.step) * 2);
    hash.bits = x | y;
}

fn move_y(hash: &mut Bits, d: i8) {
    if d == 0 {
        return;
    }
    let x = hash.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let mut y = hash.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> (64 - u32::from(hash.step) * 2);
    if d > 0 {
        y = y.wrapping_add(zz + 1);
    } else {
        y |= zz;
        y = y.wrapping_sub(zz + 1);
    }
    y &= 0x5555_5555_5555_5555u64 >> (64 - u32::from(hash.step) * 2);
    hash.bits = x | y;
}

/// The eight cells around one.
#[derive(Clone, Copy, Debug, Default)]
pub struct Neighbors {
    /// North.
    pub north: Bits,
    /// East.
    pub east: Bits,
    /// West.
    pub west: Bits,
    /// South.
    pub south: Bits,
    /// North-east.
    pub north_east: Bits,
    /// South-east.
    pub south_east: Bits,
    /// North-west.
    pub north_west: Bits,
    /// South-west.
    pub south_west: Bits,
}

fn moved(hash: Bits, dx: i8, dy: i8) -> Bits {
    let mut h = hash;
    move_x(&mut h, dx);
    move_y(&mut h, dy);
    h
}

fn neighbors(hash: Bits) -> Neighbors {
    Neighbors {
        east: moved(hash, 1, 0),
        west: moved(hash, -1, 0),
        south: moved(hash, 0, -1),
        north: moved(hash, 0, 1),
        north_west: moved(hash, -1, 1),
        north_east: moved(hash, 1, 1),
        south_east: moved(hash, 1, -1),
        south_west: moved(hash, -1, -1),
    }
}

/// What a search covers.
#[derive(Clone, Copy, Debug)]
pub enum ShapeKind {
    /// BYRADIUS / GEORADIUS.
    Circle {
        /// Radius in the request's unit.
        radius: f64,
    },
    /// BYBOX.
    Box {
        /// Width in the request's unit.
        width: f64,
        /// Height in the request's unit.
        height: f64,
    },
}

/// A search area: center, shape and the unit's size in meters.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Center longitude.
    pub lon: f64,
    /// Center latitude.
    pub lat: f64,
    /// Meters per unit.
    pub conversion: f64,
    /// Circle or box.
    pub kind: ShapeKind,
}

fn deg_rad(a: f64) -> f64 {
    a * D_R
}

fn rad_deg(a: f64) -> f64 {
    a / D_R
}

/// Redis's `geohashEstimateStepsByRadius`.
fn estimate_steps(mut range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return 26;
    }
    let mut step: i32 = 1;
    while range_meters < MERCATOR_MAX {
        range_meters *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, 26) as u8
}

/// Bounding box `[min_lon, min_lat, max_lon, max_lat]` of a shape.
fn bounding_box(s: &Shape) -> [f64; 4] {
    let (height, width) = match s.kind {
        ShapeKind::Circle { radius } => (s.conversion * radius, s.conversion * radius),
        ShapeKind::Box { width, height } => {
            (s.conversion * (height / 2.0), s.conversion * (width / 2.0))
        }
    };
    let lat_delta = rad_deg(height / EARTH_RADIUS_IN_METERS);
    let long_delta_top = rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(s.lat + lat_delta).cos());
    let long_delta_bottom =
        rad_deg(width / EARTH_RADIUS_IN_METERS / deg_rad(s.lat - lat_delta).cos());
    let southern = s.lat < 0.0;
    let delta = if southern {
        long_delta_bottom
    } else {
        long_delta_top
    };
    [
        s.lon - delta,
        s.lat - lat_delta,
        s.lon + delta,
        s.lat + lat_delta,
    ]
}

/// The center cell and its neighbors (useless ones zeroed) to scan for a search, in the order
/// Redis scans them: center, N, S, E, W, NE, NW, SE, SW.
pub fn areas_for(shape: &Shape) -> [Bits; 9] {
    let [min_lon, min_lat, max_lon, max_lat] = bounding_box(shape);
    let radius_meters = match shape.kind {
        ShapeKind::Circle { radius } => radius,
        ShapeKind::Box { width, height } => {
            ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
        }
    } * shape.conversion;
    let mut steps = estimate_steps(radius_meters, shape.lat);
    let (lo, la) = coord_ranges();
    let enc = |steps: u8| encode(lo, la, shape.lon, shape.lat, steps).unwrap_or_default();
    let mut hash = enc(steps);
    let mut n = neighbors(hash);
    let mut area = decode(lo, la, hash).unwrap_or_default();
    let cell = |b: Bits| decode(lo, la, b).unwrap_or_default();
    let decrease = cell(n.north).latitude.max < max_lat
        || cell(n.south).latitude.min > min_lat
        || cell(n.east).longitude.max < max_lon
        || cell(n.west).longitude.min > min_lon;
    if steps > 1 && decrease {
        steps -= 1;
        hash = enc(steps);
        n = neighbors(hash);
        area = decode(lo, la, hash).unwrap_or_default();
    }
    if steps >= 2 {
        let zero = Bits::default();
        if area.latitude.min < min_lat {
            n.south = zero;
            n.south_west = zero;
            n.south_east = zero;
        }
        if area.latitude.max > max_lat {
            n.north = zero;
            n.north_east = zero;
            n.north_west = zero;
        }
        if area.longitude.min < min_lon {
            n.west = zero;
            n.south_west = zero;
            n.north_west = zero;
        }
        if area.longitude.max > max_lon {
            n.east = zero;
            n.south_east = zero;
            n.north_east = zero;
        }
    }
    [
        hash,
        n.north,
        n.south,
        n.east,
        n.west,
        n.north_east,
        n.north_west,
        n.south_east,
        n.south_west,
    ]
}

/// Great-circle distance in meters (haversine, Redis 7.0's formula).
pub fn distance(lon1d: f64, lat1d: f64, lon2d: f64, lat2d: f64) -> f64 {
    let lat1r = deg_rad(lat1d);
    let lon1r = deg_rad(lon1d);
    let lat2r = deg_rad(lat2d);
    let lon2r = deg_rad(lon2d);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let v = ((lon2r - lon1r) / 2.0).sin();
    2.0 * EARTH_RADIUS_IN_METERS * (u * u + lat1r.cos() * lat2r.cos() * v * v).sqrt().asin()
}

/// The distance from the shape's center to a point when the point is inside the shape.
pub fn within(shape: &Shape, lon: f64, lat: f64) -> Option<f64> {
    match shape.kind {
        ShapeKind::Circle { radius } => {
            let d = distance(shape.lon, shape.lat, lon, lat);
            (d <= radius * shape.conversion).then_some(d)
        }
        ShapeKind::Box { width, height } => {
            let (w, h) = (width * shape.conversion, height * shape.conversion);
            let lon_distance = distance(lon, lat, shape.lon, lat);
            let lat_distance = distance(lon, lat, lon, shape.lat);
            if lon_distance > w / 2.0 || lat_distance > h / 2.0 {
                return None;
            }
            Some(distance(shape.lon, shape.lat, lon, lat))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_redis() {
        // GEOADD g 13.361389 38.115556 c → 3479099956230698 in Redis 7.0.
        let h = encode_wgs84(13.361389, 38.115556, STEP_MAX).unwrap();
        assert_eq!(align52(h), 3_479_099_956_230_698);
        let (lon, lat) = decode_score(3_479_099_956_230_698.0).unwrap();
        assert_eq!(format!("{lon:.17}"), "13.36138933897018433");
        assert_eq!(format!("{lat:.17}"), "38.11555639549629859");
        let h = encode_wgs84(180.0, LAT_MAX, STEP_MAX).unwrap();
        assert_eq!(align52(h), 13_510_798_882_111_488);
    }

    #[test]
    fn interleave_round_trips() {
        for (x, y) in [
            (0u32, 0u32),
            (1, 0),
            (0, 1),
            (0x3ff_ffff, 0x155_5555),
            (u32::MAX, 7),
        ] {
            let d = deinterleave64(interleave64(x, y));
            assert_eq!((d as u32, (d >> 32) as u32), (x, y));
        }
    }
}
