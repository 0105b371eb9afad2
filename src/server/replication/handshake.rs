//! The replica's side of the handshake with a master: PING, AUTH, REPLCONF listening-port /
//! ip-address / capa, PSYNC, and reading the full-synchronisation payload header and body.
//!
//! Runs on the link task without borrowing the server; every read has a deadline
//! (`repl-timeout`), so a master that stops answering cannot hold the replica forever.

use std::time::Duration;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::propagate::encode_command;

/// A connection to the master with its unconsumed input.
pub struct MasterConn {
    /// The socket.
    pub stream: TcpStream,
    /// Bytes read and not consumed yet (they belong to the replication stream once the
    /// handshake is over).
    pub buf: BytesMut,
    /// How long one read may wait.
    pub timeout: Duration,
}

/// What the handshake needs from the configuration.
#[derive(Debug, Clone)]
pub struct Params {
    /// `masteruser`.
    pub user: Option<Vec<u8>>,
    /// `masterauth`.
    pub pass: Option<Vec<u8>>,
    /// Port to announce (`replica-announce-port` or ours).
    pub listening_port: u16,
    /// `replica-announce-ip`.
    pub announce_ip: Option<String>,
    /// Replication id and offset to continue from (`?` / -1 for a full sync).
    pub psync_id: String,
    /// Offset of the first byte we want.
    pub psync_offset: i64,
    /// Ask the target to take over (FAILOVER).
    pub failover: bool,
}

/// The master's answer to PSYNC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Psync {
    /// Full resynchronisation from this id and offset.
    Full {
        /// Master replication id.
        replid: String,
        /// Offset the snapshot corresponds to.
        offset: i64,
    },
    /// Partial resynchronisation; the new id when the master's history changed id.
    Continue(Option<String>),
    /// The master cannot serve us now (-NOMASTERLINK, -LOADING): retry later.
    TryLater(String),
}

impl MasterConn {
    /// Wraps a connected socket.
    pub fn new(stream: TcpStream, timeout: Duration) -> MasterConn {
        MasterConn {
            stream,
            buf: BytesMut::with_capacity(16 * 1024),
            timeout,
        }
    }

    /// Sends a command.
    pub async fn send(&mut self, argv: &[&[u8]]) -> Result<(), String> {
        let mut out = Vec::new();
        encode_command(&mut out, argv);
        self.send_raw(&out).await
    }

    /// Sends bytes.
    pub async fn send_raw(&mut self, data: &[u8]) -> Result<(), String> {
        self.stream
            .write_all(data)
            .await
            .map_err(|e| format!("Error writing to MASTER: {e}"))
    }

    /// Reads more input (with the deadline).
    pub async fn fill(&mut self) -> Result<usize, String> {
        if self.buf.capacity() - self.buf.len() < 16 * 1024 {
            self.buf.reserve(256 * 1024);
        }
        match tokio::time::timeout(self.timeout, self.stream.read_buf(&mut self.buf)).await {
            Err(_) => Err("timeout".into()),
            Ok(Err(e)) => Err(e.to_string()),
            Ok(Ok(0)) => Err("connection lost".into()),
            Ok(Ok(n)) => Ok(n),
        }
    }

    /// Reads one line (without CRLF).
    pub async fn read_line(&mut self) -> Result<String, String> {
        loop {
            if let Some(nl) = memchr::memchr(b'\n', &self.buf) {
                let line = self.buf.split_to(nl + 1);
                let text = line.strip_suffix(b"\n").unwrap_or(&line);
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                return Ok(String::from_utf8_lossy(text).into_owned());
            }
            if self.buf.len() > 64 * 1024 {
                return Err("reply line too long".into());
            }
            self.fill().await?;
        }
    }

    /// Reads a reply line, skipping the empty keep-alive lines a master sends while it
    /// prepares a snapshot.
    pub async fn read_reply(&mut self) -> Result<String, String> {
        loop {
            let line = self.read_line().await?;
            if !line.is_empty() {
                return Ok(line);
            }
        }
    }

    /// Consumes `n` buffered bytes.
    pub fn consume(&mut self, n: usize) {
        self.buf.advance(n);
    }
}

/// Runs the handshake up to the PSYNC answer.
pub async fn run(conn: &mut MasterConn, p: &Params) -> Result<Psync, String> {
    conn.send(&[b"PING"]).await?;
    let pong = conn.read_reply().await?;
    if let Some(err) = pong.strip_prefix('-')
        && !err.starts_with("NOAUTH")
        && !err.starts_with("NOPERM")
        && !err.starts_with("ERR operation not permitted")
    {
        return Err(format!("Error reply to PING from master: '{pong}'"));
    }
    tracing::info!("Master replied to PING, replication can continue...");
    // AUTH and the REPLCONFs are pipelined, then their replies read in order.
    let mut out = Vec::new();
    let auth = p.pass.is_some();
    if let Some(pass) = &p.pass {
        match &p.user {
            Some(u) => encode_command(&mut out, &[&b"AUTH"[..], u, pass]),
            None => encode_command(&mut out, &[&b"AUTH"[..], pass]),
        }
    }
    let port = p.listening_port.to_string();
    encode_command(
        &mut out,
        &[&b"REPLCONF"[..], b"listening-port", port.as_bytes()],
    );
    if let Some(ip) = &p.announce_ip {
        encode_command(&mut out, &[&b"REPLCONF"[..], b"ip-address", ip.as_bytes()]);
    }
    encode_command(
        &mut out,
        &[&b"REPLCONF"[..], b"capa", b"eof", b"capa", b"psync2"],
    );
    conn.send_raw(&out).await?;
    if auth {
        let r = conn.read_reply().await?;
        if r.starts_with('-') {
            return Err(format!("Unable to AUTH to MASTER: {r}"));
        }
    }
    let r = conn.read_reply().await?;
    if r.starts_with('-') {
        tracing::info!("(Non critical) Master does not understand REPLCONF listening-port: {r}");
    }
    if p.announce_ip.is_some() {
        let r = conn.read_reply().await?;
        if r.starts_with('-') {
            tracing::info!("(Non critical) Master does not understand REPLCONF ip-address: {r}");
        }
    }
    let r = conn.read_reply().await?;
    if r.starts_with('-') {
        tracing::info!("(Non critical) Master does not understand REPLCONF capa: {r}");
    }
    let offset = p.psync_offset.to_string();
    if p.psync_id == "?" {
        tracing::info!("Partial resynchronization not possible (no cached master)");
    } else {
        tracing::info!(
            "Trying a partial resynchronization (request {}:{}).",
            p.psync_id,
            offset
        );
    }
    if p.failover {
        conn.send(&[
            b"PSYNC",
            p.psync_id.as_bytes(),
            offset.as_bytes(),
            b"FAILOVER",
        ])
        .await?;
    } else {
        conn.send(&[b"PSYNC", p.psync_id.as_bytes(), offset.as_bytes()])
            .await?;
    }
    let reply = conn.read_reply().await?;
    parse_psync_reply(&reply)
}

/// Largest replication offset accepted from a master: leaves ample room for the stream to grow.
const MAX_STREAM_OFFSET: i64 = i64::MAX / 2;

/// Interprets the answer to PSYNC.
pub fn parse_psync_reply(reply: &str) -> Result<Psync, String> {
    if let Some(rest) = reply.strip_prefix("+FULLRESYNC") {
        let mut it = rest.split_whitespace();
        let replid = it.next().unwrap_or_default().to_string();
        // An offset that leaves no room to grow would overflow our stream arithmetic later.
        let offset = it
            .next()
            .and_then(|o| o.parse::<i64>().ok())
            .filter(|o| (0..=MAX_STREAM_OFFSET).contains(o));
        return match offset {
            Some(offset) if replid.len() == 40 => {
                tracing::info!("Full resync from master: {replid}:{offset}");
                Ok(Psync::Full { replid, offset })
            }
            _ => Err(format!(
                "Master replied with wrong +FULLRESYNC syntax: {reply}"
            )),
        };
    }
    if let Some(rest) = reply.strip_prefix("+CONTINUE") {
        let id = rest.trim();
        tracing::info!("Successful partial resynchronization with master.");
        return Ok(Psync::Continue((id.len() == 40).then(|| id.to_string())));
    }
    if reply.starts_with("-NOMASTERLINK") || reply.starts_with("-LOADING") {
        tracing::info!("Master is currently unable to PSYNC but should be in the future: {reply}");
        return Ok(Psync::TryLater(reply.to_string()));
    }
    Err(format!("Unexpected reply to PSYNC from master: {reply}"))
}

/// How the snapshot that follows `+FULLRESYNC` is framed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BulkHeader {
    /// `$<len>`: exactly this many bytes.
    Len(u64),
    /// `$EOF:<mark>`: until the 40-byte mark.
    Eof(Vec<u8>),
}

/// Reads the `$...` line announcing the snapshot (after optional keep-alive newlines).
pub async fn read_bulk_header(conn: &mut MasterConn) -> Result<BulkHeader, String> {
    let line = conn.read_reply().await?;
    if let Some(err) = line.strip_prefix('-') {
        return Err(format!("MASTER aborted replication with an error: {err}"));
    }
    let Some(rest) = line.strip_prefix('$') else {
        return Err(format!(
            "Bad protocol from MASTER, the first byte is not '$' (we received '{line}'), are you sure the host and port are right?"
        ));
    };
    if let Some(mark) = rest.strip_prefix("EOF:") {
        if mark.len() != 40 {
            return Err(format!("Bad EOF mark from MASTER: '{mark}'"));
        }
        return Ok(BulkHeader::Eof(mark.as_bytes().to_vec()));
    }
    rest.parse::<u64>()
        .map(BulkHeader::Len)
        .map_err(|_| format!("Bad bulk length from MASTER: '{line}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psync_replies() {
        let id = "a".repeat(40);
        assert_eq!(
            parse_psync_reply(&format!("+FULLRESYNC {id} 123")),
            Ok(Psync::Full {
                replid: id.clone(),
                offset: 123
            })
        );
        assert_eq!(
            parse_psync_reply(&format!("+CONTINUE {id}")),
            Ok(Psync::Continue(Some(id)))
        );
        assert_eq!(parse_psync_reply("+CONTINUE"), Ok(Psync::Continue(None)));
        assert!(matches!(
            parse_psync_reply("-LOADING Redis is loading"),
            Ok(Psync::TryLater(_))
        ));
        assert!(parse_psync_reply("-ERR unknown command").is_err());
        assert!(parse_psync_reply("+FULLRESYNC x y").is_err());
        // Offsets a peer could use to overflow our arithmetic are refused.
        for bad in ["-1", "9223372036854775807"] {
            assert!(parse_psync_reply(&format!("+FULLRESYNC {} {bad}", "a".repeat(40))).is_err());
        }
    }
}
