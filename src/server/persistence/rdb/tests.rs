//! Round trips of every type and encoding through the encoder and decoder, files in the
//! formats of older Redis versions, and corrupt input.

use bytes::Bytes;

use super::decode::{self, LoadOptions, LruSetter, Reader};
use super::encode::{self, Encoder, SaveOptions};
use super::{crc64, intset, types, ziplist};
use crate::server::commands::debug::value_digest;
use crate::server::db::Db;
use crate::server::encoding::EncodingLimits;
use crate::server::types::zset::ZSet;
use crate::server::value::{Entry, FastMap, FastSet, NO_EXPIRE, Value};

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

fn list(items: &[&str]) -> Value {
    Value::List(Box::new(items.iter().map(|s| b(s)).collect()))
}

fn hash(n: usize, vlen: usize) -> Value {
    let mut h = FastMap::default();
    for i in 0..n {
        h.insert(b(&format!("f{i}")), Bytes::from(vec![b'v'; vlen + i % 3]));
    }
    Value::Hash(Box::new(h))
}

fn set(members: impl Iterator<Item = String>) -> Value {
    let s: FastSet<Bytes> = members.map(|m| b(&m)).collect();
    Value::Set(Box::new(s))
}

fn zset(n: usize, mlen: usize) -> Value {
    let mut z = ZSet::new();
    for i in 0..n {
        let m = format!("{}{i}", "m".repeat(mlen));
        z.insert(m.as_bytes(), i as f64 * 1.5 - 3.0);
    }
    z.insert(b"inf", f64::INFINITY);
    z.insert(b"-inf", f64::NEG_INFINITY);
    z.insert(b"tiny", 1e-300);
    z.insert(b"third", 1.0 / 3.0);
    Value::ZSet(Box::new(z))
}

fn samples() -> Vec<(&'static str, Value)> {
    vec![
        ("empty-string", Value::Str(vec![])),
        ("short", Value::Str(b"hello".to_vec())),
        ("int8", Value::Str(b"-12".to_vec())),
        ("int16", Value::Str(b"30000".to_vec())),
        ("int32", Value::Str(b"-2000000000".to_vec())),
        ("int64-as-text", Value::Str(b"123456789012345".to_vec())),
        ("leading-zero", Value::Str(b"0123".to_vec())),
        ("compressible", Value::Str(vec![b'a'; 5000])),
        ("binary", Value::Str((0..=255u8).collect())),
        (
            "list-small",
            list(&["a", "1", "-5", "300", "", "x".repeat(70).as_str()]),
        ),
        (
            "list-big",
            Value::List(Box::new(
                (0..3000)
                    .map(|i| Bytes::from(format!("item-{i}")))
                    .collect(),
            )),
        ),
        ("hash-small", hash(5, 4)),
        ("hash-big", hash(600, 4)),
        ("hash-long-values", hash(3, 100)),
        (
            "set-intset",
            set(["1", "-7", "70000", "9000000000"]
                .iter()
                .map(|s| s.to_string())),
        ),
        ("set-strings", set((0..50).map(|i| format!("s{i}")))),
        ("set-big-ints", set((0..1000).map(|i| i.to_string()))),
        ("zset-small", zset(5, 1)),
        ("zset-big", zset(300, 1)),
        ("zset-long-members", zset(3, 80)),
    ]
}

fn opts(compress: bool) -> SaveOptions {
    SaveOptions {
        compress,
        ..SaveOptions::default()
    }
}

#[test]
fn dump_payload_round_trips_every_type() {
    for compress in [true, false] {
        let mut enc = Encoder::new(opts(compress));
        for (name, v) in samples() {
            let payload = encode::dump_payload(&mut enc, &v);
            let back = decode::restore_payload(&payload).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(value_digest(&back), value_digest(&v), "{name}");
            assert_eq!(back.type_name(), v.type_name(), "{name}");
        }
    }
}

#[test]
fn compact_and_big_encodings_are_chosen_like_redis() {
    let mut enc = Encoder::new(opts(true));
    let first = |v: &Value, enc: &mut Encoder| {
        let mut out = Vec::new();
        enc.value(&mut out, v);
        out[0]
    };
    let s: Vec<(&str, Value)> = samples();
    let get = |n: &str| s.iter().find(|(k, _)| *k == n).map(|(_, v)| v).unwrap();
    assert_eq!(first(get("list-big"), &mut enc), types::LIST_QUICKLIST_2);
    assert_eq!(first(get("hash-small"), &mut enc), types::HASH_LISTPACK);
    assert_eq!(first(get("hash-big"), &mut enc), types::HASH);
    assert_eq!(first(get("hash-long-values"), &mut enc), types::HASH);
    assert_eq!(first(get("set-intset"), &mut enc), types::SET_INTSET);
    assert_eq!(first(get("set-strings"), &mut enc), types::SET);
    assert_eq!(first(get("set-big-ints"), &mut enc), types::SET);
    assert_eq!(first(get("zset-small"), &mut enc), types::ZSET_LISTPACK);
    assert_eq!(first(get("zset-big"), &mut enc), types::ZSET_2);
    // Thresholds follow the configuration.
    let mut small = Encoder::new(SaveOptions {
        limits: EncodingLimits {
            hash_entries: 2,
            ..EncodingLimits::default()
        },
        ..opts(true)
    });
    assert_eq!(first(get("hash-small"), &mut small), types::HASH);
}

/// Keys of one database: name, value, expiry.
type DbKeys<'a> = Vec<(&'a str, Value, i64)>;

fn file_with(dbs: &[(usize, DbKeys<'_>)], compress: bool, checksum: bool) -> Vec<u8> {
    let mut out = Vec::new();
    encode::write_header(&mut out, 1_700_000_000, 12345, None, false);
    let mut enc = Encoder::new(opts(compress));
    for (id, keys) in dbs {
        let expires = keys.iter().filter(|k| k.2 != NO_EXPIRE).count();
        encode::write_db_start(&mut out, *id, keys.len(), expires);
        for (k, v, exp) in keys {
            let e = Entry {
                value: v.clone(),
                expires_at: *exp,
                lru: 0,
            };
            enc.key_value(&mut out, k.as_bytes(), &e);
        }
    }
    out.push(super::opcode::EOF);
    let crc = if checksum { crc64::checksum(&out) } else { 0 };
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

fn load_opts() -> LoadOptions {
    LoadOptions {
        databases: 16,
        now_ms: 1_700_000_000_000,
        expired: decode::ExpiredKeys::Skip,
        verify_checksum: true,
        lru: LruSetter::Lru,
        key_delay_us: 0,
    }
}

fn load(data: &[u8]) -> Result<(Vec<Db>, decode::LoadReport), super::RdbError> {
    let mut dbs: Vec<Db> = (0..16).map(|_| Db::default()).collect();
    let mut r = Reader::new(data, data.len() as u64, true);
    let rep = decode::load(&mut r, &load_opts(), &mut dbs, |_, _| {})?;
    Ok((dbs, rep))
}

#[test]
fn files_round_trip_with_expiry_and_databases() {
    let later = 1_800_000_000_000;
    let past = 1_600_000_000_000;
    let keys0: Vec<(&str, Value, i64)> = samples()
        .into_iter()
        .map(|(k, v)| (k, v, NO_EXPIRE))
        .collect();
    let keys5 = vec![
        ("ttl", Value::Str(b"x".to_vec()), later),
        ("gone", Value::Str(b"y".to_vec()), past),
    ];
    for (compress, checksum) in [(true, true), (false, false)] {
        let data = file_with(
            &[(0, keys0.clone()), (5, keys5.clone())],
            compress,
            checksum,
        );
        let (dbs, rep) = load(&data).unwrap();
        assert_eq!(rep.version, 10);
        assert_eq!(rep.keys_loaded, keys0.len() as u64 + 1);
        assert_eq!(rep.keys_expired, 1);
        assert_eq!(rep.checksum_verified, checksum);
        assert!(
            rep.aux
                .iter()
                .any(|(n, v)| n == "redis-ver" && v == b"7.0.15")
        );
        for (k, v, _) in &keys0 {
            let e = dbs[0].entries.get(k.as_bytes()).unwrap();
            assert_eq!(value_digest(&e.value), value_digest(v), "{k}");
        }
        assert_eq!(dbs[5].entries.get(&b"ttl"[..]).unwrap().expires_at, later);
        assert!(dbs[5].volatile.contains(&b"ttl"[..]));
        assert!(!dbs[5].entries.contains_key(&b"gone"[..]));
    }
}

#[test]
fn checksum_and_structure_errors_name_the_offset() {
    let data = file_with(
        &[(0, vec![("k", Value::Str(b"value".to_vec()), NO_EXPIRE)])],
        true,
        true,
    );
    // Flip a byte of the value: only the checksum notices.
    let mut bad = data.clone();
    let at = data.windows(5).position(|w| w == b"value").unwrap();
    bad[at] ^= 1;
    let e = load(&bad).unwrap_err();
    assert!(e.msg.contains("checksum"), "{e}");
    assert_eq!(e.offset, data.len() as u64);
    // Truncations never panic and always fail.
    for cut in 0..data.len() {
        assert!(load(&data[..cut]).is_err(), "cut at {cut}");
    }
    // Bad magic and unsupported versions.
    assert!(load(b"REDIT0010").unwrap_err().msg.contains("signature"));
    assert!(load(b"REDIS0099\xff").unwrap_err().msg.contains("version"));
}

#[test]
fn random_corruption_never_panics() {
    let keys: Vec<(&str, Value, i64)> = samples()
        .into_iter()
        .map(|(k, v)| (k, v, NO_EXPIRE))
        .collect();
    let data = file_with(&[(0, keys)], true, false);
    let mut x = 0x9E3779B97F4A7C15u64;
    for _ in 0..3000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut d = data.clone();
        let flips = 1 + (x % 4) as usize;
        for i in 0..flips {
            let pos = ((x >> (8 * i)) as usize).wrapping_mul(2654435761) % d.len();
            d[pos] ^= 1 << ((x >> 40) % 8);
        }
        let _ = load(&d);
        let _ = decode::restore_payload(&d[9..]);
    }
}

/// Every key of every database with its value digest and expiry.
fn contents(dbs: &[Db]) -> std::collections::HashMap<(usize, Vec<u8>), ([u8; 20], i64)> {
    dbs.iter()
        .enumerate()
        .flat_map(|(i, db)| {
            db.entries
                .iter()
                .map(move |(k, e)| ((i, k.to_vec()), (value_digest(&e.value), e.expires_at)))
        })
        .collect()
}

/// Fields split across the source's buffer refills, and streams of unknown length (a
/// replica decoding as the bytes arrive), load exactly what a whole buffer loads; corrupt
/// input read that way fails without panicking.
#[test]
fn any_buffer_size_and_unknown_length_load_the_same() {
    let keys: Vec<(&str, Value, i64)> = samples()
        .into_iter()
        .map(|(k, v)| (k, v, NO_EXPIRE))
        .collect();
    let keys3 = vec![("ttl", Value::Str(b"x".to_vec()), 1_800_000_000_000)];
    for compress in [true, false] {
        let data = file_with(&[(0, keys.clone()), (3, keys3.clone())], compress, true);
        let (want, _) = load(&data).unwrap();
        for cap in [1, 2, 3, 5, 8, 13, 64, 1000] {
            for size in [data.len() as u64, u64::MAX] {
                let mut dbs: Vec<Db> = (0..16).map(|_| Db::default()).collect();
                let src = std::io::BufReader::with_capacity(cap, &data[..]);
                let mut r = Reader::new(src, size, true);
                let rep = decode::load(&mut r, &load_opts(), &mut dbs, |_, _| {}).unwrap();
                assert!(rep.checksum_verified, "cap {cap} size {size}");
                assert!(contents(&dbs) == contents(&want), "cap {cap} size {size}");
            }
        }
        let mut x = 0x2545F4914F6CDD1Du64;
        for _ in 0..300 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut d = data.clone();
            let pos = (x as usize).wrapping_mul(2654435761) % d.len();
            d[pos] ^= 1 << ((x >> 40) % 8);
            let cut = d.len() - (x >> 50) as usize % 3;
            let mut dbs: Vec<Db> = (0..16).map(|_| Db::default()).collect();
            let src = std::io::BufReader::with_capacity(7, &d[..cut]);
            let mut r = Reader::new(src, u64::MAX, true);
            let _ = decode::load(&mut r, &load_opts(), &mut dbs, |_, _| {});
        }
    }
}

/// Appends a length-prefixed blob the way old versions stored encoded values.
fn blob(out: &mut Vec<u8>, data: &[u8]) {
    encode::write_len(out, data.len() as u64);
    out.extend_from_slice(data);
}

fn old_file(version: u16, body: &[u8]) -> Vec<u8> {
    let mut out = format!("REDIS{version:04}").into_bytes();
    out.extend_from_slice(body);
    out.push(super::opcode::EOF);
    if version >= 5 {
        out.extend_from_slice(&[0; 8]);
    }
    out
}

#[test]
fn loads_encodings_of_older_versions() {
    let mut body = vec![super::opcode::SELECTDB, 0];
    // Linked list (type 1).
    body.push(types::LIST);
    blob(&mut body, b"l1");
    body.push(2);
    blob(&mut body, b"a");
    blob(&mut body, b"b");
    // Ziplist list (10).
    body.push(types::LIST_ZIPLIST);
    blob(&mut body, b"l2");
    blob(&mut body, &ziplist::build(&[b"x", b"42", b"-300"]));
    // Quicklist of ziplists (14).
    body.push(types::LIST_QUICKLIST);
    blob(&mut body, b"l3");
    body.push(2);
    blob(&mut body, &ziplist::build(&[b"1", b"2"]));
    blob(&mut body, &ziplist::build(&[b"three"]));
    // Zipmap hash (9).
    body.push(types::HASH_ZIPMAP);
    blob(&mut body, b"h1");
    blob(&mut body, &[1, 1, b'f', 1, 0, b'v', 255]);
    // Ziplist hash (13) and zset (12).
    body.push(types::HASH_ZIPLIST);
    blob(&mut body, b"h2");
    blob(&mut body, &ziplist::build(&[b"f1", b"v1", b"f2", b"7"]));
    body.push(types::ZSET_ZIPLIST);
    blob(&mut body, b"z1");
    blob(&mut body, &ziplist::build(&[b"a", b"1.5", b"b", b"3"]));
    // Zset with text scores (3), including the special infinities.
    body.push(types::ZSET);
    blob(&mut body, b"z2");
    body.push(3);
    blob(&mut body, b"p");
    blob(&mut body, b"2.25");
    blob(&mut body, b"q");
    body.push(254);
    blob(&mut body, b"r");
    body.push(255);
    // Intset (11) and expiry in seconds.
    body.push(super::opcode::EXPIRETIME);
    body.extend_from_slice(&2_000_000_000i32.to_le_bytes());
    body.push(types::SET_INTSET);
    blob(&mut body, b"s1");
    blob(&mut body, &intset::build(&[5, -1, 3]));
    for version in [4u16, 6, 9] {
        let data = old_file(version, &body);
        let (dbs, rep) = load(&data).unwrap();
        assert_eq!(rep.keys_loaded, 8);
        let d = &dbs[0];
        let get = |k: &str| &d.entries.get(k.as_bytes()).unwrap().value;
        let as_list = |v: &Value| match v {
            Value::List(l) => l
                .iter()
                .map(|x| String::from_utf8_lossy(x).into_owned())
                .collect::<Vec<_>>(),
            _ => panic!(),
        };
        assert_eq!(as_list(get("l1")), ["a", "b"]);
        assert_eq!(as_list(get("l2")), ["x", "42", "-300"]);
        assert_eq!(as_list(get("l3")), ["1", "2", "three"]);
        match get("h2") {
            Value::Hash(h) => assert_eq!(h.get(&b"f2"[..]).map(|v| &v[..]), Some(&b"7"[..])),
            _ => panic!(),
        }
        match get("h1") {
            Value::Hash(h) => assert_eq!(h.get(&b"f"[..]).map(|v| &v[..]), Some(&b"v"[..])),
            _ => panic!(),
        }
        match get("z1") {
            Value::ZSet(z) => assert_eq!(z.score(b"a"), Some(1.5)),
            _ => panic!(),
        }
        match get("z2") {
            Value::ZSet(z) => {
                assert_eq!(z.score(b"p"), Some(2.25));
                assert_eq!(z.score(b"q"), Some(f64::INFINITY));
                assert_eq!(z.score(b"r"), Some(f64::NEG_INFINITY));
            }
            _ => panic!(),
        }
        match get("s1") {
            Value::Set(s) => assert!(s.contains(&b"-1"[..]) && s.len() == 3),
            _ => panic!(),
        }
        assert_eq!(
            d.entries.get(&b"s1"[..]).unwrap().expires_at,
            2_000_000_000_000
        );
    }
}

#[test]
fn unsupported_types_name_the_key() {
    let mut body = vec![super::opcode::SELECTDB, 0, types::STREAM_LISTPACKS_2];
    blob(&mut body, b"mystream");
    body.extend_from_slice(&[0; 20]);
    let e = load(&old_file(10, &body)).unwrap_err();
    assert!(
        e.msg.contains("'mystream'") && e.msg.contains("stream"),
        "{e}"
    );
    let mut body = vec![super::opcode::SELECTDB, 0, types::MODULE_2];
    blob(&mut body, b"mod");
    body.extend_from_slice(&[0; 20]);
    let e = load(&old_file(10, &body)).unwrap_err();
    assert!(e.msg.contains("'mod'") && e.msg.contains("module"), "{e}");
    let body = vec![super::opcode::FUNCTION2, 1, b'x'];
    assert!(
        load(&old_file(10, &body))
            .unwrap_err()
            .msg
            .contains("function")
    );
    let body = vec![super::opcode::MODULE_AUX, 1];
    assert!(
        load(&old_file(10, &body))
            .unwrap_err()
            .msg
            .contains("module")
    );
}

#[test]
fn duplicates_and_empty_values() {
    let mut body = vec![super::opcode::SELECTDB, 0];
    body.push(types::SET);
    blob(&mut body, b"s");
    body.push(2);
    blob(&mut body, b"a");
    blob(&mut body, b"a");
    assert!(
        load(&old_file(10, &body))
            .unwrap_err()
            .msg
            .contains("duplicate")
    );
    let mut body = vec![super::opcode::SELECTDB, 0];
    for _ in 0..2 {
        body.push(types::STRING);
        blob(&mut body, b"k");
        blob(&mut body, b"v");
    }
    assert!(
        load(&old_file(10, &body))
            .unwrap_err()
            .msg
            .contains("duplicated key")
    );
    // Empty aggregates are skipped when loading files.
    let mut body = vec![super::opcode::SELECTDB, 0, types::LIST];
    blob(&mut body, b"empty");
    body.push(0);
    let (_, rep) = load(&old_file(10, &body)).unwrap();
    assert_eq!((rep.keys_loaded, rep.empty_keys_skipped), (0, 1));
    // SELECTDB beyond the configured databases.
    let body = vec![super::opcode::SELECTDB, 20];
    assert!(
        load(&old_file(10, &body))
            .unwrap_err()
            .msg
            .contains("databases")
    );
}

#[test]
fn restore_payload_checks() {
    let mut enc = Encoder::new(opts(true));
    let p = encode::dump_payload(&mut enc, &Value::Str(b"abc".to_vec()));
    let mut bad = p.clone();
    bad[1] ^= 1;
    assert_eq!(
        decode::restore_payload(&bad).err(),
        Some("ERR DUMP payload version or checksum are wrong")
    );
    assert!(decode::restore_payload(&p[..5]).is_err());
    // A future RDB version is refused.
    let mut newer = p[..p.len() - 10].to_vec();
    newer.extend_from_slice(&12u16.to_le_bytes());
    let crc = crc64::checksum(&newer);
    newer.extend_from_slice(&crc.to_le_bytes());
    assert!(decode::restore_payload(&newer).is_err());
    // A payload produced by Redis 7.0.15 (DUMP of the string "hello").
    let redis_str = b"\x00\x05hello\x0a\x00cr\xdfve4 \x0a";
    match decode::restore_payload(redis_str) {
        Ok(Value::Str(s)) => assert_eq!(s, b"hello"),
        other => panic!("{other:?}"),
    }
    // Empty aggregates are a bad format in RESTORE.
    let mut body = vec![types::LIST, 0];
    body.extend_from_slice(&10u16.to_le_bytes());
    let crc = crc64::checksum(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(
        decode::restore_payload(&body).err(),
        Some("ERR Bad data format")
    );
}

#[test]
fn replication_fields_round_trip_and_need_all_three() {
    let info = super::ReplInfo {
        stream_db: 3,
        replid: "a".repeat(40),
        offset: 12345,
    };
    let mut out = Vec::new();
    encode::write_header(&mut out, 1_700_000_000, 1, Some(&info), false);
    out.push(super::opcode::EOF);
    out.extend_from_slice(&[0; 8]);
    let (_, rep) = load(&out).unwrap();
    let names: Vec<&str> = rep.aux.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "redis-ver",
            "redis-bits",
            "ctime",
            "used-mem",
            "repl-stream-db",
            "repl-id",
            "repl-offset",
            "aof-base"
        ]
    );
    assert_eq!(super::ReplInfo::from_aux(&rep.aux), Some(info));
    let aux = |db: &str, id: &str, off: &str| {
        vec![
            ("repl-stream-db".to_string(), db.as_bytes().to_vec()),
            ("repl-id".to_string(), id.as_bytes().to_vec()),
            ("repl-offset".to_string(), off.as_bytes().to_vec()),
        ]
    };
    let id = "b".repeat(40);
    assert!(super::ReplInfo::from_aux(&aux("0", &id, "0")).is_some());
    assert!(super::ReplInfo::from_aux(&aux("-1", &id, "10")).is_none());
    assert!(super::ReplInfo::from_aux(&aux("0", &id, "-1")).is_none());
    assert!(super::ReplInfo::from_aux(&aux("0", &id, "9223372036854775807")).is_none());
    assert!(super::ReplInfo::from_aux(&aux("0", "short", "10")).is_none());
    assert!(super::ReplInfo::from_aux(&aux("0", &id, "x")[..2]).is_none());
}

#[test]
fn expired_keys_are_skipped_reported_or_kept() {
    let past = 1_600_000_000_000;
    let data = file_with(
        &[(
            2,
            vec![
                ("gone", Value::Str(b"x".to_vec()), past),
                ("here", Value::Str(b"y".to_vec()), NO_EXPIRE),
            ],
        )],
        false,
        true,
    );
    for policy in [
        decode::ExpiredKeys::Skip,
        decode::ExpiredKeys::SkipAndReport,
        decode::ExpiredKeys::Keep,
    ] {
        let mut dbs: Vec<Db> = (0..16).map(|_| Db::default()).collect();
        let mut r = Reader::new(&data[..], data.len() as u64, true);
        let opts = LoadOptions {
            expired: policy,
            ..load_opts()
        };
        let rep = decode::load(&mut r, &opts, &mut dbs, |_, _| {}).unwrap();
        let kept = policy == decode::ExpiredKeys::Keep;
        assert_eq!(dbs[2].entries.contains_key(&b"gone"[..]), kept);
        assert_eq!(rep.keys_expired, u64::from(!kept));
        let reported: Vec<(usize, Vec<u8>)> = if policy == decode::ExpiredKeys::SkipAndReport {
            vec![(2, b"gone".to_vec())]
        } else {
            Vec::new()
        };
        assert_eq!(rep.expired_keys, reported);
    }
}

/// Feeds `data` in chunks of `chunk` bytes to `load_stream` on a thread.
fn load_streamed(
    data: &[u8],
    chunk: usize,
    size: Option<u64>,
) -> Result<super::load::Loaded, String> {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let loader = std::thread::spawn(move || super::load::load_stream(rx, size, &load_opts(), None));
    for part in data.chunks(chunk.max(1)) {
        if tx.blocking_send(Bytes::copy_from_slice(part)).is_err() {
            break;
        }
    }
    drop(tx);
    loader.join().unwrap()
}

#[test]
fn streamed_images_load_like_files_and_must_end_with_the_image() {
    let keys: DbKeys<'_> = samples()
        .into_iter()
        .map(|(k, v)| (k, v, NO_EXPIRE))
        .collect();
    let data = file_with(&[(0, keys.clone()), (7, keys)], true, true);
    let (file_dbs, _) = load(&data).unwrap();
    for chunk in [1, 7, 4096, data.len()] {
        for size in [None, Some(data.len() as u64)] {
            let (dbs, rep) = load_streamed(&data, chunk, size).unwrap();
            assert!(rep.checksum_verified);
            for i in [0, 7] {
                assert_eq!(dbs[i].len(), file_dbs[i].len());
                for (k, e) in file_dbs[i].entries.iter() {
                    let got = dbs[i].entries.get(k).expect("key");
                    assert_eq!(value_digest(&got.value), value_digest(&e.value));
                }
            }
        }
    }
    let mut junk = data.clone();
    junk.extend_from_slice(b"junk");
    assert_eq!(
        load_streamed(&junk, 100, None).unwrap_err(),
        "Replication stream EOF marker is broken"
    );
    let short = &data[..data.len() - 20];
    let err = load_streamed(short, 100, None).unwrap_err();
    assert!(err.contains("of the stream"), "{err}");
    // A huge announced length in a stream does not make the loader reserve it.
    let mut bad = Vec::new();
    encode::write_header(&mut bad, 0, 0, None, false);
    bad.push(super::opcode::RESIZEDB);
    bad.extend_from_slice(&[0x81]);
    bad.extend_from_slice(&(1u64 << 60).to_be_bytes());
    bad.push(0);
    bad.push(types::STRING);
    bad.push(1);
    bad.push(b'k');
    bad.extend_from_slice(&[0x81]);
    bad.extend_from_slice(&(1u64 << 60).to_be_bytes());
    let err = load_streamed(&bad, 1000, None).unwrap_err();
    assert!(err.contains("of the stream"), "{err}");
}
