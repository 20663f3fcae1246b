//! The heartbeat datagram: what a node sends and how a receiver reads it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Receive buffer size. A heartbeat is at most 86 bytes; anything longer is
/// truncated by the socket and then fails to decode.
pub const MAX_DATAGRAM: usize = 512;

/// The first bytes of every heartbeat: anything else is foreign traffic.
pub const MAGIC: [u8; 4] = *b"ACHB";
/// The wire format's version.
pub const VERSION: u8 = 1;
/// The longest node id.
pub const MAX_ID_LEN: usize = 64;

/// A heartbeat datagram: `MAGIC`, `VERSION`, the sequence number and the send
/// time (microseconds since the Unix epoch on the sender's wall clock) as
/// big-endian `u64`s, the id's length in one byte, the id.
///
/// The send time is informational (`transit_ms` in `stats` lines): the
/// detector learns from *arrival* times on the receiver's monotonic clock,
/// so clock skew between nodes cannot make a peer look late.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heartbeat<'a> {
    /// The sender's name.
    pub id: &'a str,
    /// Counts up from 0 from each start of the sender.
    pub seq: u64,
    /// Send time, µs since the Unix epoch.
    pub sent_us: u64,
}

/// Why a datagram was not a heartbeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// Not ours at all: no magic.
    Foreign,
    /// Our magic, but truncated, the wrong version, or a bad id.
    Malformed,
}

impl<'a> Heartbeat<'a> {
    /// The datagram for this heartbeat.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(22 + self.id.len());
        out.extend_from_slice(&MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.sent_us.to_be_bytes());
        // Ids are checked at start-up to fit in one byte.
        out.push(u8::try_from(self.id.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(self.id.as_bytes());
        out
    }

    /// Reads a datagram; never panics, whatever the bytes.
    ///
    /// # Errors
    ///
    /// [`Ignored`] saying whether the datagram was foreign or malformed.
    pub fn decode(datagram: &'a [u8]) -> Result<Heartbeat<'a>, Ignored> {
        use Ignored::Malformed;
        let Some((magic, rest)) = datagram.split_first_chunk::<4>() else {
            return Err(Ignored::Foreign);
        };
        if *magic != MAGIC {
            return Err(Ignored::Foreign);
        }
        let (&[version], rest) = rest.split_first_chunk::<1>().ok_or(Malformed)?;
        let (seq, rest) = rest.split_first_chunk::<8>().ok_or(Malformed)?;
        let (sent_us, rest) = rest.split_first_chunk::<8>().ok_or(Malformed)?;
        let (&[len], id) = rest.split_first_chunk::<1>().ok_or(Malformed)?;
        if version != VERSION || usize::from(len) != id.len() {
            return Err(Malformed);
        }
        let id = std::str::from_utf8(id).map_err(|_| Malformed)?;
        if !valid_id(id) {
            return Err(Malformed);
        }
        Ok(Heartbeat {
            id,
            seq: u64::from_be_bytes(*seq),
            sent_us: u64::from_be_bytes(*sent_us),
        })
    }
}

/// Ids are printed at the start of event lines: keep them one printable word.
pub fn valid_id(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Microseconds since the Unix epoch on this machine's wall clock.
pub fn wall_clock_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}
