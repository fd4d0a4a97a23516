//! Sliding replay window over a 64-bit packet index (RFC 3711 §3.3.2).

/// Outcome of a replay check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplayCheck {
    /// Not seen and inside or ahead of the window.
    Fresh,
    /// Already received.
    Duplicate,
    /// Behind the window: too old to tell.
    TooOld,
}

/// Windows up to this many 64-bit words (the default 128 packets) live
/// inside the stream state: no pointer to follow per packet.
const INLINE_WORDS: usize = 2;

#[derive(Debug, Clone)]
enum Bits {
    Inline([u64; INLINE_WORDS], usize),
    Heap(Box<[u64]>),
}

/// Bitmap of the last `size` indices below and including the highest one.
#[derive(Debug, Clone)]
pub(crate) struct ReplayWindow {
    highest: Option<u64>,
    /// Bit i of the window is index `highest - i`.
    bits: Bits,
}

impl ReplayWindow {
    /// A window of at least `size` packets (rounded up to 64), at least 64.
    pub(crate) fn new(size: usize) -> Self {
        let words = size.max(64).div_ceil(64);
        let bits = if words <= INLINE_WORDS {
            Bits::Inline([0; INLINE_WORDS], words)
        } else {
            Bits::Heap(vec![0; words].into_boxed_slice())
        };
        ReplayWindow {
            highest: None,
            bits,
        }
    }

    fn words(&self) -> &[u64] {
        match &self.bits {
            Bits::Inline(w, n) => &w[..*n],
            Bits::Heap(w) => w,
        }
    }

    fn words_mut(&mut self) -> &mut [u64] {
        match &mut self.bits {
            Bits::Inline(w, n) => &mut w[..*n],
            Bits::Heap(w) => w,
        }
    }

    fn size(&self) -> u64 {
        64 * self.words().len() as u64
    }

    pub(crate) fn check(&self, index: u64) -> ReplayCheck {
        let Some(h) = self.highest else {
            return ReplayCheck::Fresh;
        };
        if index > h {
            return ReplayCheck::Fresh;
        }
        let d = h - index;
        if d >= self.size() {
            return ReplayCheck::TooOld;
        }
        let (w, b) = ((d / 64) as usize, d % 64);
        if self.words()[w] >> b & 1 == 1 {
            ReplayCheck::Duplicate
        } else {
            ReplayCheck::Fresh
        }
    }

    /// Marks `index` received; call only after it authenticated.
    pub(crate) fn accept(&mut self, index: u64) {
        let Some(h) = self.highest else {
            self.highest = Some(index);
            self.words_mut()[0] = 1;
            return;
        };
        if index > h {
            self.shift(index - h);
            self.highest = Some(index);
            self.words_mut()[0] |= 1;
        } else {
            let d = h - index;
            if d < self.size() {
                self.words_mut()[(d / 64) as usize] |= 1 << (d % 64);
            }
        }
    }

    fn shift(&mut self, by: u64) {
        if by >= self.size() {
            self.words_mut().fill(0);
            return;
        }
        let words = (by / 64) as usize;
        let bits = (by % 64) as u32;
        let w = self.words_mut();
        let n = w.len();
        for i in (0..n).rev() {
            let src = i.checked_sub(words);
            let lo = src.map_or(0, |s| w[s]);
            let carry = src.and_then(|s| s.checked_sub(1)).map_or(0, |s| w[s]);
            w[i] = if bits == 0 {
                lo
            } else {
                (lo << bits) | (carry >> (64 - bits))
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_tracks_duplicates_and_age() {
        let mut w = ReplayWindow::new(128);
        assert_eq!(w.check(1000), ReplayCheck::Fresh);
        w.accept(1000);
        assert_eq!(w.check(1000), ReplayCheck::Duplicate);
        assert_eq!(w.check(999), ReplayCheck::Fresh);
        w.accept(999);
        w.accept(1070); // shift by 70 crosses a word
        assert_eq!(w.check(999), ReplayCheck::Duplicate);
        assert_eq!(w.check(1000), ReplayCheck::Duplicate);
        assert_eq!(w.check(1001), ReplayCheck::Fresh);
        assert_eq!(w.check(1070), ReplayCheck::Duplicate);
        assert_eq!(w.check(1070 - 128), ReplayCheck::TooOld);
        assert_eq!(w.check(1070 - 127), ReplayCheck::Fresh);
        w.accept(5000);
        assert_eq!(w.check(1070), ReplayCheck::TooOld);
        assert_eq!(w.check(4999), ReplayCheck::Fresh);
    }

    proptest::proptest! {
        #[test]
        fn matches_a_set_model(ops in proptest::collection::vec(0u64..400, 1..200), size in 64usize..300) {
            let mut w = ReplayWindow::new(size);
            let mut seen = std::collections::BTreeSet::new();
            let real = w.size();
            for i in ops {
                let hi = seen.iter().next_back().copied();
                let expect = match hi {
                    None => ReplayCheck::Fresh,
                    Some(h) if i > h => ReplayCheck::Fresh,
                    Some(h) if h - i >= real => ReplayCheck::TooOld,
                    _ if seen.contains(&i) => ReplayCheck::Duplicate,
                    _ => ReplayCheck::Fresh,
                };
                proptest::prop_assert_eq!(w.check(i), expect);
                if expect == ReplayCheck::Fresh { w.accept(i); seen.insert(i); }
            }
        }
    }
}
