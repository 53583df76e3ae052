//! Recording a request body as it arrives: kept whole, or, when the invocation said what to
//! expect, checked byte by byte against that as it comes and kept only in part, so a 200 MiB
//! streamed response costs the server a few KiB of memory and one comparison per byte.

use crate::support::request::{BodyCheck, KEPT_WHEN_CHECKED};
use crate::support::script::ExpectedBody;

pub(super) struct BodyRecorder {
    kept: Vec<u8>,
    len: u64,
    expected: Option<ExpectedBody>,
    verdict: BodyCheck,
    /// Room for the expected bytes of one piece.
    scratch: Vec<u8>,
}

impl BodyRecorder {
    pub(super) fn new(expected: Option<ExpectedBody>) -> BodyRecorder {
        BodyRecorder {
            kept: Vec::new(),
            len: 0,
            expected,
            verdict: BodyCheck::Matched,
            scratch: Vec::new(),
        }
    }

    pub(super) fn len(&self) -> u64 {
        self.len
    }

    /// The next `data` of the body.
    pub(super) fn push(&mut self, data: &[u8]) {
        let offset = self.len;
        self.len += data.len() as u64;
        let Some(expected) = self.expected else {
            self.kept.extend_from_slice(data);
            return;
        };
        let room = KEPT_WHEN_CHECKED.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&data[..room.min(data.len())]);
        if self.verdict != BodyCheck::Matched {
            return;
        }
        self.scratch.resize(data.len(), 0);
        expected(offset, &mut self.scratch);
        if self.scratch[..] != *data {
            let i = data
                .iter()
                .zip(&self.scratch)
                .position(|(got, want)| got != want)
                .unwrap();
            self.verdict = BodyCheck::Differs {
                offset: offset + i as u64,
                got: data[i],
                expected: self.scratch[i],
            };
        }
    }

    /// The kept bytes and, if the body was checked, the verdict.
    pub(super) fn finish(self) -> (Vec<u8>, u64, Option<BodyCheck>) {
        let verdict = self.expected.map(|_| self.verdict);
        (self.kept, self.len, verdict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counting(offset: u64, out: &mut [u8]) {
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = ((offset + i as u64) % 7) as u8;
        }
    }

    #[test]
    fn a_checked_body_is_compared_across_pieces_and_kept_in_part() {
        let body: Vec<u8> = (0..KEPT_WHEN_CHECKED as u64 + 1000)
            .map(|i| (i % 7) as u8)
            .collect();
        let mut recorder = BodyRecorder::new(Some(counting));
        for piece in body.chunks(999) {
            recorder.push(piece);
        }
        let (kept, len, verdict) = recorder.finish();
        assert_eq!(kept, body[..KEPT_WHEN_CHECKED]);
        assert_eq!(len, body.len() as u64);
        assert_eq!(verdict, Some(BodyCheck::Matched));
    }

    #[test]
    fn the_first_wrong_byte_is_reported() {
        let mut body: Vec<u8> = (0..5000u64).map(|i| (i % 7) as u8).collect();
        body[3001] = 200;
        body[4000] = 201;
        let mut recorder = BodyRecorder::new(Some(counting));
        for piece in body.chunks(1000) {
            recorder.push(piece);
        }
        let (_, len, verdict) = recorder.finish();
        assert_eq!(len, 5000);
        assert_eq!(
            verdict,
            Some(BodyCheck::Differs {
                offset: 3001,
                got: 200,
                expected: (3001 % 7) as u8
            })
        );
    }

    #[test]
    fn an_unchecked_body_is_kept_whole() {
        let mut recorder = BodyRecorder::new(None);
        recorder.push(b"hello ");
        recorder.push(b"world");
        assert_eq!(recorder.finish(), (b"hello world".to_vec(), 11, None));
    }
}
