//! The server's rules for what a device sends: a page of records continues the
//! device's stream, a photo arrives chunk by chunk. Pure functions, called by
//! every storage backend inside its transaction, so that SQLite and PostgreSQL
//! decide alike.

use uuid::Uuid;

/// Why a page cannot be taken as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("a record of device {owner} in an upload from {device}")]
    OtherDevice { owner: Uuid, device: Uuid },
    #[error("records must come in strictly increasing sequence order, starting at 1")]
    Disorder,
    #[error("the upload starts at {got}, but the server holds only up to {through}")]
    Gap { through: u64, got: u64 },
}

/// A page must hold only `device`'s own records, in strictly increasing
/// sequence order (checked before anything is read or locked).
pub fn check_page(device: Uuid, keys: &[(u64, Uuid)]) -> Result<(), PageError> {
    let mut last = 0u64;
    for &(seq, owner) in keys {
        if owner != device {
            return Err(PageError::OtherDevice { owner, device });
        }
        if seq == 0 || seq <= last {
            return Err(PageError::Disorder);
        }
        last = seq;
    }
    Ok(())
}

/// What a record sent again is, against what is held under its id and
/// sequence number: the same content is a duplicate (a no-op, the device
/// lost an acknowledgement); other content, or nothing held there, is a
/// conflict, logged and refused, never an overwrite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    Duplicate,
    Conflict,
}

pub fn resend<T: PartialEq>(held: Option<&T>, sent: &T) -> Resend {
    if held == Some(sent) { Resend::Duplicate } else { Resend::Conflict }
}

/// Given that the server holds the stream up to `through`: the page must not
/// leave a hole after it. Returns what the server holds once the page is in.
/// Records at or below `through` are resends, checked one by one for sameness.
pub fn continue_stream(through: u64, keys: &[(u64, Uuid)]) -> Result<u64, PageError> {
    match (keys.first(), keys.last()) {
        (Some(&(first, _)), _) if first > through + 1 => Err(PageError::Gap { through, got: first }),
        (_, Some(&(last, _))) => Ok(last.max(through)),
        _ => Ok(through),
    }
}

/// Pages a device may have in flight at once: while the server commits one,
/// the next ones travel and are parsed and checked.
pub const MAX_PAGES_IN_FLIGHT: usize = 3;

/// How far ahead of the stream a page may arrive and still wait for its
/// predecessors.
pub const MAX_IN_FLIGHT_RECORDS: u64 = (MAX_PAGES_IN_FLIGHT * crate::protocol::MAX_PAGE) as u64;

/// A page that arrived before the page it follows (two in flight, answered by
/// different connections or processes) is worth waiting for a moment; a page
/// far ahead is a device that lost track and must be told at once.
pub fn worth_waiting(through: u64, first: u64) -> bool {
    first > through + 1 && first <= through + 1 + MAX_IN_FLIGHT_RECORDS
}

/// Where an upload of one photo stands on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkHeld {
    /// The photo is already assembled and checked (by anyone): its size.
    pub complete: Option<u64>,
    /// Bytes this device has sent so far.
    pub received: u64,
    /// The size this device announced with its first chunk.
    pub announced: Option<u64>,
}

impl ChunkHeld {
    /// What the device is told: how much it has sent, or that the photo is whole.
    pub fn state(self) -> crate::protocol::PhotoUploadState {
        match self.complete {
            Some(size) => crate::protocol::PhotoUploadState { received: size, complete: true },
            None => crate::protocol::PhotoUploadState { received: self.received, complete: false },
        }
    }
}

/// What to do with the chunk at `offset` of a `size`-byte photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkStep {
    /// Not the next chunk (sent again after a lost answer, or too late): keep
    /// nothing, say where to resume.
    Ignore,
    /// Keep it; `last` when the photo is then whole and must be assembled and checked.
    Append { last: bool },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    #[error("a diary photo is at most {max} bytes")]
    TooLarge { max: u64 },
    #[error("the chunk runs past the photo's size")]
    PastTheEnd,
    #[error("this photo was announced as {0} bytes")]
    SizeChanged(u64),
}

pub fn chunk_step(held: ChunkHeld, offset: u64, size: u64, chunk_len: u64, max: u64) -> Result<ChunkStep, ChunkError> {
    if held.complete.is_some() || offset != held.received || chunk_len == 0 {
        return Ok(ChunkStep::Ignore);
    }
    if size == 0 || size > max {
        return Err(ChunkError::TooLarge { max });
    }
    if offset + chunk_len > size {
        return Err(ChunkError::PastTheEnd);
    }
    if let Some(announced) = held.announced
        && announced != size
    {
        return Err(ChunkError::SizeChanged(announced));
    }
    Ok(ChunkStep::Append { last: offset + chunk_len == size })
}

/// A photo name is the lower-case hex SHA-256 of its bytes.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(device: Uuid, seqs: &[u64]) -> Vec<(u64, Uuid)> {
        seqs.iter().map(|&s| (s, device)).collect()
    }

    #[test]
    fn a_page_is_the_devices_own_records_in_order() {
        let d = Uuid::from_u128(1);
        assert_eq!(check_page(d, &keys(d, &[1, 2, 5])), Ok(()));
        assert_eq!(check_page(d, &keys(d, &[2, 2])), Err(PageError::Disorder));
        assert_eq!(check_page(d, &keys(d, &[0])), Err(PageError::Disorder));
        let other = Uuid::from_u128(2);
        assert_eq!(check_page(d, &[(1, other)]), Err(PageError::OtherDevice { owner: other, device: d }));
    }

    #[test]
    fn a_page_continues_the_stream_or_is_a_gap() {
        let d = Uuid::from_u128(1);
        assert_eq!(continue_stream(0, &keys(d, &[1, 2, 3])), Ok(3));
        assert_eq!(continue_stream(3, &keys(d, &[2, 3, 4])), Ok(4), "resends overlap the stream");
        assert_eq!(continue_stream(9, &keys(d, &[2, 3])), Ok(9), "all resends keep it where it is");
        assert_eq!(continue_stream(3, &keys(d, &[5])), Err(PageError::Gap { through: 3, got: 5 }));
        assert_eq!(continue_stream(3, &[]), Ok(3));
        assert!(worth_waiting(500, 501 + 500));
        assert!(worth_waiting(0, 1 + 2 * crate::protocol::MAX_PAGE as u64), "the third page in flight");
        assert!(!worth_waiting(500, 501), "the next page needs no waiting");
        assert!(!worth_waiting(0, 1 + MAX_IN_FLIGHT_RECORDS + 1));
    }

    #[test]
    fn photo_chunks_go_in_order_and_stop_at_the_size() {
        let fresh = ChunkHeld { complete: None, received: 0, announced: None };
        assert_eq!(chunk_step(fresh, 0, 10, 4, 100), Ok(ChunkStep::Append { last: false }));
        let mid = ChunkHeld { received: 4, announced: Some(10), ..fresh };
        assert_eq!(chunk_step(mid, 0, 10, 4, 100), Ok(ChunkStep::Ignore), "sent again");
        assert_eq!(chunk_step(mid, 4, 10, 6, 100), Ok(ChunkStep::Append { last: true }));
        assert_eq!(chunk_step(mid, 4, 10, 7, 100), Err(ChunkError::PastTheEnd));
        assert_eq!(chunk_step(mid, 4, 12, 2, 100), Err(ChunkError::SizeChanged(10)));
        assert_eq!(chunk_step(fresh, 0, 1000, 1, 100), Err(ChunkError::TooLarge { max: 100 }));
        assert_eq!(chunk_step(fresh, 0, 10, 0, 100), Ok(ChunkStep::Ignore));
        let done = ChunkHeld { complete: Some(10), ..fresh };
        assert_eq!(chunk_step(done, 0, 10, 10, 100), Ok(ChunkStep::Ignore));
        assert!(is_sha256_hex(&"a".repeat(64)));
        assert!(!is_sha256_hex(&"A".repeat(64)));
        assert!(!is_sha256_hex("../etc"));
    }
}
