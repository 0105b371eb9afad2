//! GEO commands compared with a real Redis 7.0: scores, positions, distances and search
//! results must be identical.

mod common;

use common::real_redis::assert_replies_match_real_redis;
use common::rng::Rng;
use common::{Server, q, q_err};

#[test]
fn geoadd_and_positions() {
    let s = Server::start(&[]);
    let mut c = s.conn();
    let n: i64 = q(
        &mut c,
        &[
            "GEOADD",
            "Sicily",
            "13.361389",
            "38.115556",
            "Palermo",
            "15.087269",
            "37.502669",
            "Catania",
        ],
    );
    assert_eq!(n, 2);
    let score: String = q(&mut c, &["ZSCORE", "Sicily", "Palermo"]);
    assert_eq!(score, "3479099956230698");
    let d: String = q(&mut c, &["GEODIST", "Sicily", "Palermo", "Catania"]);
    assert_eq!(d, "166274.1516");
    let hashes: Vec<String> = q(&mut c, &["GEOHASH", "Sicily", "Palermo", "Catania"]);
    assert_eq!(hashes, ["sqc8b49rny0", "sqdtr74hyu0"]);
    assert_eq!(
        q_err(&mut c, &["GEOADD", "Sicily", "200", "100", "x"]),
        "ERR invalid longitude,latitude pair 200.000000,100.000000"
    );
    assert_eq!(
        q_err(&mut c, &["GEOADD", "Sicily", "NX", "XX", "1", "2", "x"]),
        "ERR syntax error"
    );
    let near: Vec<String> = q(
        &mut c,
        &[
            "GEOSEARCH",
            "Sicily",
            "FROMLONLAT",
            "15",
            "37",
            "BYRADIUS",
            "200",
            "km",
            "ASC",
        ],
    );
    assert_eq!(near, ["Catania", "Palermo"]);
}

#[test]
fn geo_matches_redis_including_errors() {
    assert_replies_match_real_redis(&[
        &[
            "GEOADD",
            "g",
            "13.361389",
            "38.115556",
            "Palermo",
            "15.087269",
            "37.502669",
            "Catania",
        ],
        &[
            "GEOADD",
            "g",
            "CH",
            "13.361389",
            "38.115556",
            "Palermo",
            "2",
            "3",
            "new",
        ],
        &[
            "GEOADD", "g", "XX", "CH", "1", "1", "Palermo", "2", "2", "other",
        ],
        &["GEOADD", "g", "NX", "13", "38", "Palermo"],
        &[
            "GEOADD",
            "g",
            "180",
            "85.05112878",
            "edge",
            "-180",
            "-85.05112878",
            "edge2",
        ],
        &["GEOADD", "g", "1", "2"],
        &["GEOADD", "g", "x", "2", "m"],
        &["GEOADD", "g", "GT", "1", "2", "m"],
        &["ZADD", "g", "-5", "neg", "1e300", "huge"],
        &[
            "GEOPOS", "g", "Palermo", "Catania", "missing", "edge", "edge2", "neg", "huge",
        ],
        &["GEOPOS", "nokey", "a"],
        &["GEOHASH", "g", "Palermo", "missing", "edge", "neg"],
        &["GEOHASH", "nokey", "a", "b"],
        &["GEODIST", "g", "Palermo", "Catania", "km"],
        &["GEODIST", "g", "Palermo", "Catania", "ft"],
        &["GEODIST", "g", "Palermo", "missing"],
        &["GEODIST", "g", "Palermo", "Catania", "furlong"],
        &["GEODIST", "g", "Palermo", "Catania", "km", "extra"],
        &["GEODIST", "nokey", "a", "b"],
        &[
            "GEORADIUS",
            "g",
            "15",
            "37",
            "200",
            "km",
            "WITHDIST",
            "WITHCOORD",
            "WITHHASH",
            "ASC",
        ],
        &[
            "GEORADIUS",
            "g",
            "15",
            "37",
            "200",
            "km",
            "COUNT",
            "1",
            "DESC",
        ],
        &["GEORADIUS", "g", "15", "37", "200", "km", "COUNT", "0"],
        &["GEORADIUS", "g", "15", "37", "200", "km", "COUNT", "x"],
        &["GEORADIUS", "g", "15", "37", "200", "km", "ANY"],
        &["GEORADIUS", "g", "15", "37", "-1", "km"],
        &["GEORADIUS", "g", "15", "37", "abc", "km"],
        &["GEORADIUS", "g", "15", "37", "200", "parsec"],
        &[
            "GEORADIUS",
            "g",
            "15",
            "37",
            "200",
            "km",
            "STORE",
            "d",
            "WITHDIST",
        ],
        &["GEORADIUS", "g", "15", "37", "200", "km", "STOREDIST", "d"],
        &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
        &["GEORADIUS", "g", "15", "37", "1", "m", "STORE", "d"],
        &["EXISTS", "d"],
        &["GEORADIUS_RO", "g", "15", "37", "200", "km", "STORE", "d"],
        &["GEORADIUSBYMEMBER", "g", "Palermo", "300", "km", "WITHDIST"],
        &["GEORADIUSBYMEMBER", "g", "missing", "300", "km"],
        &[
            "GEORADIUSBYMEMBER",
            "nokey",
            "missing",
            "300",
            "km",
            "STORE",
            "d",
        ],
        &[
            "GEORADIUSBYMEMBER_RO",
            "g",
            "Catania",
            "100",
            "mi",
            "WITHCOORD",
        ],
        &[
            "GEOSEARCH",
            "g",
            "FROMMEMBER",
            "Palermo",
            "BYBOX",
            "400",
            "400",
            "km",
            "WITHDIST",
            "ASC",
        ],
        &[
            "GEOSEARCH",
            "g",
            "FROMLONLAT",
            "15",
            "37",
            "BYRADIUS",
            "200",
            "km",
            "COUNT",
            "1",
            "ANY",
        ],
        &["GEOSEARCH", "g", "BYRADIUS", "200", "km"],
        &["GEOSEARCH", "g", "FROMLONLAT", "15", "37"],
        &[
            "GEOSEARCH",
            "g",
            "FROMLONLAT",
            "15",
            "37",
            "FROMMEMBER",
            "Palermo",
            "BYRADIUS",
            "1",
            "km",
        ],
        &[
            "GEOSEARCH",
            "g",
            "FROMLONLAT",
            "15",
            "37",
            "BYBOX",
            "1",
            "-1",
            "km",
        ],
        &[
            "GEOSEARCH",
            "g",
            "FROMLONLAT",
            "15",
            "37",
            "BYBOX",
            "x",
            "1",
            "km",
        ],
        &[
            "GEOSEARCH",
            "g",
            "FROMMEMBER",
            "nope",
            "BYRADIUS",
            "1",
            "km",
        ],
        &[
            "GEOSEARCH",
            "g",
            "FROMLONLAT",
            "15",
            "37",
            "BYRADIUS",
            "1",
            "km",
            "STORE",
            "x",
        ],
        &["geosearch", "nokey", "FROMLONLAT", "15", "37"],
        &[
            "GEOSEARCHSTORE",
            "d",
            "g",
            "FROMLONLAT",
            "15",
            "37",
            "BYRADIUS",
            "200",
            "km",
            "STOREDIST",
        ],
        &["ZRANGE", "d", "0", "-1", "WITHSCORES"],
        &[
            "GEOSEARCHSTORE",
            "d",
            "g",
            "FROMLONLAT",
            "15",
            "37",
            "BYRADIUS",
            "200",
            "km",
            "WITHDIST",
        ],
        &[
            "GEOSEARCHSTORE",
            "d",
            "nokey",
            "FROMLONLAT",
            "15",
            "37",
            "BYRADIUS",
            "200",
            "km",
        ],
        &["EXISTS", "d"],
        &["SET", "str", "x"],
        &["GEOADD", "str", "1", "2", "m"],
        &["GEOPOS", "str", "m"],
        &["GEORADIUS", "str", "15", "37", "200", "km"],
        &[
            "GEOSEARCH",
            "str",
            "FROMLONLAT",
            "15",
            "37",
            "BYRADIUS",
            "200",
            "km",
        ],
    ]);
}

#[test]
fn random_searches_match_redis() {
    let mut rng = Rng(42);
    let mut f64r = move || (rng.next() >> 11) as f64 / (1u64 << 53) as f64;
    let mut script: Vec<Vec<String>> = Vec::new();
    let mut add = vec!["GEOADD".to_string(), "g".into()];
    for i in 0..400 {
        let (lon, lat) = if i % 2 == 0 {
            (f64r() * 360.0 - 180.0, f64r() * 170.0 - 85.0)
        } else {
            (10.0 + f64r() * 5.0, 40.0 + f64r() * 5.0)
        };
        add.extend([format!("{lon:.6}"), format!("{lat:.6}"), format!("m{i}")]);
    }
    script.push(add);
    for t in 0..60 {
        let (lon, lat) = if t % 3 == 0 {
            (f64r() * 360.0 - 180.0, f64r() * 170.0 - 85.0)
        } else {
            (10.0 + f64r() * 5.0, 40.0 + f64r() * 5.0)
        };
        let radius = ["5", "50", "300", "2000", "8000"][t % 5];
        let (lon, lat) = (format!("{lon:.4}"), format!("{lat:.4}"));
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        script.push(v(&[
            "GEORADIUS",
            "g",
            &lon,
            &lat,
            radius,
            "km",
            "WITHDIST",
            "WITHCOORD",
            "ASC",
        ]));
        script.push(v(&[
            "GEOSEARCH",
            "g",
            "FROMLONLAT",
            &lon,
            &lat,
            "BYBOX",
            radius,
            radius,
            "km",
            "WITHHASH",
        ]));
        let member = format!("m{}", t * 7);
        script.push(v(&[
            "GEOSEARCH",
            "g",
            "FROMMEMBER",
            &member,
            "BYRADIUS",
            radius,
            "mi",
            "COUNT",
            "4",
            "DESC",
        ]));
    }
    let refs: Vec<Vec<&str>> = script
        .iter()
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    let cmds: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
    assert_replies_match_real_redis(&cmds);
}
