//! Loading an RDB while it is still arriving: a thread decodes the chunks a replica receives
//! from its master as they come, so the load overlaps the transfer instead of following it.
//!
//! The decoder builds fresh databases; nothing touches the keyspace until the caller installs
//! them. Dropping the [`StreamLoad`] before [`StreamLoad::finish`] (a broken transfer) makes
//! the thread stop and free what it built.

use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use super::decode::{self, LoadOptions, Reader};
use super::load::Loaded;
use crate::server::db::Db;

/// Chunks queued to the decoder before the receiver waits for it (bounds the memory in flight
/// when the decoder is slower than the network).
const QUEUE: usize = 8;

/// A load fed chunk by chunk.
pub struct StreamLoad {
    tx: Option<mpsc::Sender<Bytes>>,
    result: oneshot::Receiver<Result<Loaded, String>>,
    progress: Arc<AtomicU64>,
}

impl StreamLoad {
    /// Starts the decoding thread. `path` names the data in error messages (the file the
    /// stream is also written to).
    pub fn start(opts: LoadOptions, path: &Path) -> Result<StreamLoad, String> {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (done_tx, done_rx) = oneshot::channel();
        let progress = Arc::new(AtomicU64::new(0));
        let seen = progress.clone();
        let path = path.to_path_buf();
        std::thread::Builder::new()
            .name("rdb-load".into())
            .spawn(move || {
                let _ = done_tx.send(decode_chunks(rx, &opts, &seen, &path));
            })
            .map_err(|e| format!("cannot start the loading thread: {e}"))?;
        Ok(StreamLoad {
            tx: Some(tx),
            result: done_rx,
            progress,
        })
    }

    /// Hands the next chunk to the decoder, waiting while its queue is full. After a decoding
    /// error chunks are dropped: the error comes out of [`StreamLoad::finish`].
    pub async fn feed(&mut self, chunk: Bytes) {
        if chunk.is_empty() {
            return;
        }
        if let Some(tx) = &self.tx
            && tx.send(chunk).await.is_err()
        {
            self.tx = None;
        }
    }

    /// Bytes decoded so far (for INFO `loading_loaded_bytes`).
    pub fn progress(&self) -> Arc<AtomicU64> {
        self.progress.clone()
    }

    /// Marks the end of the data and waits for the decoder: the databases and what was
    /// found, or why the data could not be loaded.
    pub async fn finish(mut self) -> Result<Loaded, String> {
        if let Some(tx) = self.tx.take() {
            // The end marker; if the decoder is gone its error is waiting below.
            let _ = tx.send(Bytes::new()).await;
        }
        (&mut self.result)
            .await
            .unwrap_or_else(|_| Err("the loading thread stopped".into()))
    }
}

/// The decoding thread body.
fn decode_chunks(
    rx: mpsc::Receiver<Bytes>,
    opts: &LoadOptions,
    progress: &AtomicU64,
    path: &Path,
) -> Result<Loaded, String> {
    let source = ChunkSource {
        rx,
        cur: Bytes::new(),
        off: 0,
        ended: false,
    };
    let mut reader = Reader::new(source, u64::MAX, true);
    let mut dbs: Vec<Db> = (0..opts.databases.max(1)).map(|_| Db::default()).collect();
    let report = decode::load(&mut reader, opts, &mut dbs, |pos, _| {
        progress.store(pos, Ordering::Relaxed);
    })
    .map_err(|e| format!("{} in {} at offset {}", e.msg, path.display(), e.offset))?;
    Ok((dbs, report))
}

/// The chunks of a channel as one byte stream: an empty chunk marks its end; a channel closed
/// without it is a transfer that was abandoned.
struct ChunkSource {
    rx: mpsc::Receiver<Bytes>,
    cur: Bytes,
    off: usize,
    ended: bool,
}

impl std::io::Read for ChunkSource {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let buf = self.fill_buf()?;
        let n = buf.len().min(out.len());
        out[..n].copy_from_slice(&buf[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for ChunkSource {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        while self.off >= self.cur.len() && !self.ended {
            match self.rx.blocking_recv() {
                Some(c) if c.is_empty() => self.ended = true,
                Some(c) => {
                    self.cur = c;
                    self.off = 0;
                }
                None => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::UnexpectedEof,
                        "the transfer was abandoned",
                    ));
                }
            }
        }
        Ok(self.cur.get(self.off..).unwrap_or_default())
    }

    fn consume(&mut self, n: usize) {
        self.off += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::persistence::rdb::decode::LruSetter;

    fn opts() -> LoadOptions {
        LoadOptions {
            databases: 16,
            now_ms: i64::MIN,
            verify_checksum: true,
            lru: LruSetter::Lru,
            key_delay_us: 0,
        }
    }

    /// An RDB with `n` string keys, as the encoder writes it.
    fn rdb(n: usize) -> Vec<u8> {
        use crate::server::key::Key;
        use crate::server::persistence::rdb::encode::{self, Encoder, SaveOptions};
        use crate::server::value::{Entry, NO_EXPIRE, Value};
        let mut out = Vec::new();
        encode::write_header(&mut out, 0, 0);
        encode::write_db_start(&mut out, 3, n, 0);
        let mut enc = Encoder::new(SaveOptions::default());
        for i in 0..n {
            let e = Entry {
                value: Value::Str(format!("value-{i}-{}", "x".repeat(i % 50)).into_bytes()),
                expires_at: NO_EXPIRE,
                lru: 0,
            };
            enc.key_value(&mut out, &Key::from(format!("k{i}").as_bytes()), &e);
        }
        out.push(super::super::opcode::EOF);
        let crc = super::super::crc64::checksum(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// Chunk boundaries anywhere (inside lengths, keys, the checksum) decode the same.
    #[test]
    fn any_chunking_loads_every_key() {
        let data = rdb(2000);
        for step in [1usize, 3, 7, 64, 1000, 4096, data.len()] {
            let (dbs, report) = runtime()
                .block_on(async {
                    let mut l = StreamLoad::start(opts(), Path::new("x.rdb")).unwrap();
                    for c in data.chunks(step) {
                        l.feed(Bytes::copy_from_slice(c)).await;
                    }
                    l.finish().await
                })
                .unwrap();
            assert_eq!(report.keys_loaded, 2000, "step {step}");
            assert!(report.checksum_verified);
            assert_eq!(dbs[3].len(), 2000);
        }
    }

    #[test]
    fn corruption_is_an_error_naming_the_file() {
        let mut data = rdb(100);
        let n = data.len();
        data[n - 3] ^= 0x40;
        let err = runtime()
            .block_on(async {
                let mut l = StreamLoad::start(opts(), Path::new("x.rdb")).unwrap();
                l.feed(Bytes::from(data)).await;
                l.finish().await
            })
            .err()
            .unwrap();
        assert!(err.contains("checksum") && err.contains("x.rdb"), "{err}");
    }

    #[test]
    fn truncated_stream_is_an_error() {
        let data = rdb(100);
        let err = runtime()
            .block_on(async {
                let mut l = StreamLoad::start(opts(), Path::new("x.rdb")).unwrap();
                l.feed(Bytes::copy_from_slice(&data[..data.len() / 2]))
                    .await;
                l.finish().await
            })
            .err()
            .unwrap();
        assert!(err.contains("end of data"), "{err}");
    }

    #[test]
    fn abandoned_transfer_stops_the_thread() {
        let data = rdb(100);
        runtime().block_on(async {
            let mut l = StreamLoad::start(opts(), Path::new("x.rdb")).unwrap();
            l.feed(Bytes::copy_from_slice(&data[..10])).await;
            let progress = l.progress();
            drop(l);
            // Nothing to wait for: the thread sees the closed channel and ends on its own.
            assert!(progress.load(Ordering::Relaxed) <= data.len() as u64);
        });
    }
}
