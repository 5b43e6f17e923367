//! How big the next tus chunk is: sized to the link as it is measured, so that a drop
//! costs little and a good link is not wasted on round trips.
//!
//! A checksummed chunk is stored whole or not at all, so a drop mid-chunk re-sends the
//! whole chunk: the chunk in flight is what a drop can cost. The sizer starts at the
//! smallest chunk (a village's 2G link carries 16 KiB in about two seconds), doubles it
//! while whole chunks are confirmed in well under the target time, halves it while they
//! take well over it, and falls back to the smallest after any failed chunk, so the
//! chunk re-sent after a drop, and the one after it, are small. One sizer serves a whole
//! sync: every photo goes over the same link.

use std::time::Duration;

/// The chunk size for the next PATCH, adapted to the link.
#[derive(Debug, Clone)]
pub(crate) struct ChunkSizer {
    min: usize,
    max: usize,
    target: Duration,
    current: usize,
}

impl ChunkSizer {
    /// A sizer between `min` and `max` bytes (`min` first), aiming for chunks that each
    /// take about `target` to be confirmed.
    pub(crate) fn new(min: usize, max: usize, target: Duration) -> ChunkSizer {
        let min = min.max(1);
        let max = max.max(min);
        ChunkSizer {
            min,
            max,
            target,
            current: min,
        }
    }

    /// The size of the next chunk.
    pub(crate) fn next(&self) -> usize {
        self.current
    }

    /// A chunk of `bytes` was confirmed `elapsed` after it was sent.
    pub(crate) fn confirmed(&mut self, bytes: usize, elapsed: Duration) {
        // A photo's short last chunk says little about the link: only whole chunks
        // may grow the size.
        if bytes >= self.current && elapsed * 2 <= self.target {
            self.current = self.current.saturating_mul(2).min(self.max);
        } else if elapsed > self.target * 2 {
            self.current = (self.current / 2).max(self.min);
        }
    }

    /// A chunk failed (the link dropped, or the answer was lost): start small again.
    pub(crate) fn failed(&mut self) {
        self.current = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: usize = 1024;

    fn sizer() -> ChunkSizer {
        ChunkSizer::new(16 * KIB, 256 * KIB, Duration::from_secs(2))
    }

    #[test]
    fn starts_small_and_grows_to_the_ceiling_on_a_fast_link() {
        let mut s = sizer();
        assert_eq!(s.next(), 16 * KIB);
        let mut sizes = Vec::new();
        for _ in 0..6 {
            s.confirmed(s.next(), Duration::from_millis(100));
            sizes.push(s.next() / KIB);
        }
        assert_eq!(sizes, [32, 64, 128, 256, 256, 256]);
    }

    #[test]
    fn stays_small_on_a_2g_link_and_shrinks_when_chunks_crawl() {
        let mut s = sizer();
        // 16 KiB at 8 KB/s: about two seconds, on target; the size holds.
        s.confirmed(16 * KIB, Duration::from_millis(2050));
        assert_eq!(s.next(), 16 * KIB);
        let mut s = sizer();
        for _ in 0..3 {
            s.confirmed(s.next(), Duration::from_millis(200));
        }
        assert_eq!(s.next(), 128 * KIB);
        // The link got worse: 128 KiB took ten seconds.
        s.confirmed(128 * KIB, Duration::from_secs(10));
        assert_eq!(s.next(), 64 * KIB);
        s.confirmed(64 * KIB, Duration::from_secs(6));
        assert_eq!(s.next(), 32 * KIB);
        s.confirmed(32 * KIB, Duration::from_secs(5));
        s.confirmed(16 * KIB, Duration::from_secs(5));
        assert_eq!(s.next(), 16 * KIB, "never below the smallest chunk");
    }

    #[test]
    fn a_failure_drops_to_the_smallest_chunk_and_a_short_tail_does_not_grow_it() {
        let mut s = sizer();
        for _ in 0..4 {
            s.confirmed(s.next(), Duration::from_millis(10));
        }
        assert_eq!(s.next(), 256 * KIB);
        s.failed();
        assert_eq!(s.next(), 16 * KIB);
        // A photo's last 3 KiB arrive fast: that is no reason to grow.
        s.confirmed(3 * KIB, Duration::from_millis(10));
        assert_eq!(s.next(), 16 * KIB);
    }

    #[test]
    fn odd_bounds_are_made_sane() {
        let s = ChunkSizer::new(0, 0, Duration::from_secs(1));
        assert_eq!(s.next(), 1);
        let mut s = ChunkSizer::new(64, 16, Duration::from_secs(1));
        s.confirmed(64, Duration::ZERO);
        assert_eq!(s.next(), 64, "the ceiling is raised to the floor");
    }
}
