//! In-band DTMF: tone generation (ITU-T Q.23) and detection (Goertzel, with
//! the Q.24 acceptance criteria).

mod detect;
mod generate;

pub use detect::{DtmfDetector, DtmfEvent};
pub use generate::{DtmfGenerator, DtmfToneConfig};

/// Low-group (row) frequencies in Hz (Q.23).
pub const ROW_HZ: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
/// High-group (column) frequencies in Hz (Q.23).
pub const COL_HZ: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];

/// The keypad: `KEYS[row][col]`.
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// The sixteen DTMF digits.
pub const DIGITS: [char; 16] = [
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D',
];

/// The (row, column) frequencies of a digit; `a`..`d` are accepted too.
pub fn frequencies(digit: char) -> Option<(f32, f32)> {
    let d = digit.to_ascii_uppercase();
    for (r, row) in KEYS.iter().enumerate() {
        for (c, &k) in row.iter().enumerate() {
            if k == d {
                return Some((ROW_HZ[r], COL_HZ[c]));
            }
        }
    }
    None
}

/// Level in dBm0 of a full-scale sine (G.711 A-law: +3.14 dBm0).
#[allow(clippy::approx_constant)] // a level in dB, not pi
pub const FULL_SCALE_DBM0: f32 = 3.14;

/// Peak amplitude of a sine at `dbm0`.
pub(crate) fn amplitude_for_dbm0(dbm0: f32) -> f32 {
    32767.0 * 10f32.powf((dbm0 - FULL_SCALE_DBM0) / 20.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keypad_frequencies() {
        assert_eq!(frequencies('1'), Some((697.0, 1209.0)));
        assert_eq!(frequencies('0'), Some((941.0, 1336.0)));
        assert_eq!(frequencies('#'), Some((941.0, 1477.0)));
        assert_eq!(frequencies('d'), Some((941.0, 1633.0)));
        assert_eq!(frequencies('x'), None);
        assert!((amplitude_for_dbm0(FULL_SCALE_DBM0) - 32767.0).abs() < 0.5);
    }
}
