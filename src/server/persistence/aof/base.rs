//! A base file in command form (`aof-use-rdb-preamble no`): each key rebuilt with the commands
//! Redis 7.0's rewrite emits — SET, RPUSH, SADD, ZADD, HMSET with at most 64 items each, then
//! PEXPIREAT for a TTL.

use crate::server::replication::propagate::encode_command;
use crate::server::value::{Entry, Value};
use crate::util::num::format_double;

/// Items per variadic command (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
const ITEMS_PER_CMD: usize = 64;

/// Appends the commands that recreate `key` with `entry`.
pub fn write_key(out: &mut Vec<u8>, key: &[u8], entry: &Entry) {
    match &entry.value {
        Value::Str(s) => encode_command(out, &[&b"SET"[..], key, s]),
        Value::List(l) => batched(out, "RPUSH", key, l.iter().map(|e| vec![e.to_vec()])),
        Value::Set(s) => batched(out, "SADD", key, s.iter().map(|e| vec![e.to_vec()])),
        Value::Hash(h) => batched(
            out,
            "HMSET",
            key,
            h.iter().map(|(f, v)| vec![f.to_vec(), v.to_vec()]),
        ),
        Value::ZSet(z) => batched(
            out,
            "ZADD",
            key,
            z.iter()
                .map(|(m, score)| vec![format_double(score).into_bytes(), m.to_vec()]),
        ),
    }
    if entry.has_expire() {
        let at = entry.expires_at.to_string();
        encode_command(out, &[&b"PEXPIREAT"[..], key, at.as_bytes()]);
    }
}

/// `cmd key item...` in commands of at most [`ITEMS_PER_CMD`] items.
fn batched(out: &mut Vec<u8>, cmd: &str, key: &[u8], items: impl Iterator<Item = Vec<Vec<u8>>>) {
    let mut argv: Vec<Vec<u8>> = Vec::new();
    let mut n = 0;
    for item in items {
        if n == 0 {
            argv.clear();
            argv.push(cmd.as_bytes().to_vec());
            argv.push(key.to_vec());
        }
        argv.extend(item);
        n += 1;
        if n == ITEMS_PER_CMD {
            encode_command(out, &argv);
            n = 0;
        }
    }
    if n > 0 {
        encode_command(out, &argv);
    }
}

/// `SELECT db` as the rewrite writes it before each database's keys.
pub fn write_select(out: &mut Vec<u8>, db: usize) {
    let d = db.to_string();
    encode_command(out, &[&b"SELECT"[..], d.as_bytes()]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::value::NO_EXPIRE;

    #[test]
    fn lists_are_split_in_batches_of_64() {
        let list: std::collections::VecDeque<bytes::Bytes> = (0..130)
            .map(|i| bytes::Bytes::from(i.to_string()))
            .collect();
        let e = Entry {
            value: Value::List(Box::new(list)),
            expires_at: NO_EXPIRE,
            lru: 0,
        };
        let mut out = Vec::new();
        write_key(&mut out, b"l", &e);
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("RPUSH").count(), 3);
        assert!(text.starts_with("*66\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\n0\r\n"));
        assert!(text.contains("*4\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$3\r\n128\r\n$3\r\n129\r\n"));
    }

    #[test]
    fn ttl_becomes_pexpireat() {
        let e = Entry {
            value: Value::Str(b"v".to_vec()),
            expires_at: 1_700_000_000_000,
            lru: 0,
        };
        let mut out = Vec::new();
        write_key(&mut out, b"k", &e);
        assert_eq!(
            out,
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$13\r\n1700000000000\r\n"
        );
    }
}
