//! CRC-64 as Redis computes it (Jones polynomial, reflected; "CRC-64/REDIS"): the RDB trailer
//! and the DUMP payload footer.

use crc::{CRC_64_REDIS, Crc, Digest, Table};

/// Slice-by-16 tables (32 KB): about ten times the throughput of the byte-at-a-time table,
/// which matters because every byte of a full synchronisation is checksummed on both ends.
type Impl = Table<16>;

static CRC64: Crc<u64, Impl> = Crc::<u64, Impl>::new(&CRC_64_REDIS);

/// CRC-64 of a whole buffer.
pub fn checksum(data: &[u8]) -> u64 {
    CRC64.checksum(data)
}

/// Incremental CRC-64 for streams written or read in pieces.
pub struct Crc64 {
    digest: Digest<'static, u64, Impl>,
}

impl Default for Crc64 {
    fn default() -> Self {
        Crc64 {
            digest: CRC64.digest(),
        }
    }
}

impl Crc64 {
    /// Feeds more bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.digest.update(data);
    }

    /// The checksum of everything fed so far (the digest keeps going).
    pub fn value(&self) -> u64 {
        self.digest.clone().finalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_redis_test_vector() {
        // Redis's crc64 self-test: crc64(0, "123456789") == 0xe9c6d914c4b8d9ca.
        assert_eq!(checksum(b"123456789"), 0xe9c6d914c4b8d9ca);
        let mut c = Crc64::default();
        c.update(b"1234");
        c.update(b"56789");
        assert_eq!(c.value(), 0xe9c6d914c4b8d9ca);
    }
}
