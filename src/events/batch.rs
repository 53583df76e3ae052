//! The partial batch response (`{"batchItemFailures":[{"itemIdentifier":"..."}]}`, for event
//! source mappings with `ReportBatchItemFailures`: SQS, Kinesis, DynamoDB Streams) written
//! into the response buffer as failures come, so a batch of any size may fail any number of
//! its records without a list to hold them.

use serde::Deserialize;

use super::records::{Record, Records};
use crate::abi::handler::{Error, Response};

/// The error type of a failed record that cannot be named: Lambda then retries the whole
/// batch, as it does for an empty or unknown `itemIdentifier`.
pub const UNNAMED_RECORD: &str = "Runtime.UnnamedRecord";

/// A partial batch response being written into the response buffer.
pub struct BatchItemFailures<'r, 'b> {
    out: &'r mut Response<'b>,
    count: usize,
}

impl<'r, 'b> BatchItemFailures<'r, 'b> {
    /// Starts the response in `out` (whatever it held is dropped).
    pub fn start(out: &'r mut Response<'b>) -> Result<Self, Error> {
        out.clear();
        out.write(b"{\"batchItemFailures\":[")?;
        Ok(BatchItemFailures { out, count: 0 })
    }

    /// Names a record to retry (its `messageId`, or its sequence number for streams).
    pub fn push(&mut self, item_identifier: &str) -> Result<(), Error> {
        if self.count > 0 {
            self.out.write(b",")?;
        }
        self.out.write(b"{\"itemIdentifier\":")?;
        let len = crate::typed::ser::to_slice(&item_identifier, self.out.spare())?;
        self.out.advance(len)?;
        self.out.write(b"}")?;
        self.count += 1;
        Ok(())
    }

    /// How many records it names so far.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether it names none.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Ends the response: the handler returns `Ok` and the runtime posts it.
    pub fn finish(self) -> Result<(), Error> {
        self.out.write(b"]}")?;
        Ok(())
    }
}

/// Calls `handle` with each record of `records` and answers with the partial batch response:
/// the records that did not parse or that `handle` failed are named for retry, the others
/// are deleted. A failed record without an identifier (see [`Record::ID`]) fails the whole
/// batch ([`UNNAMED_RECORD`]): Lambda retries it all.
pub fn answer<'a, T: Deserialize<'a> + Record>(
    records: Records<'a, T>,
    out: &mut Response<'_>,
    mut handle: impl FnMut(T) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut records = records;
    let mut failures = BatchItemFailures::start(out)?;
    while let Some((id, record)) = records.next_with_id() {
        let failed = match record {
            Ok(record) => handle(record).is_err(),
            Err(_) => true,
        };
        if failed {
            let id = id.filter(|id| !id.is_empty()).ok_or(Error::from_static(
                UNNAMED_RECORD,
                "a record without an identifier failed: the whole batch is retried",
            ))?;
            failures.push(id)?;
        }
    }
    failures.finish()
}
