//! Concurrent bootstraps (`AWS_LAMBDA_MAX_CONCURRENCY`): a barrier on `GET /next`, and waits
//! that do not give up because a `/next` is being held (a worker pool always has idle workers
//! waiting on `/next`, so "the script is used up" says nothing about posts still to come).
//!
//! The barrier needs a script that ends in [`WhenDone::Hold`](super::WhenDone): the server
//! then holds every `/next`; [`FakeApi::release_when_held`] waits until N are held at once and
//! queues N steps in one go, so each held request takes one and the N invocations start
//! together, on N connections.

use std::time::{Duration, Instant};

use super::{FakeApi, Request, Step};

impl FakeApi {
    /// Waits until at least `count` `/next` requests are held at once.
    pub fn wait_for_held_nexts(&self, count: usize, limit: Duration) -> Result<(), String> {
        let state = self.wait_until(limit, |state| state.held_nexts >= count);
        match state.held_nexts {
            held if held >= count => Ok(()),
            held => Err(format!(
                "expected {count} GET /next held at once within {limit:?}, got {held} \
                 ({} connections)",
                state.connections
            )),
        }
    }

    /// The barrier: answers none of the next `steps.len()` `/next` requests until that many
    /// are waiting, then hands the steps out together. Returns when they were queued.
    pub fn release_when_held(&self, steps: Vec<Step>, limit: Duration) -> Result<Instant, String> {
        self.wait_for_held_nexts(steps.len(), limit)?;
        let mut state = self.shared.lock();
        state.steps.extend(steps);
        self.shared.changed.notify_all();
        Ok(Instant::now())
    }

    /// Waits until at least `count` posts have arrived, whatever is held meanwhile; returns
    /// all posts in arrival order.
    pub fn wait_for_posts_while_held(
        &self,
        count: usize,
        limit: Duration,
    ) -> Result<Vec<Request>, String> {
        let posts = self.wait_until(limit, |state| state.posts >= count).posts;
        if posts < count {
            return Err(format!(
                "expected {count} posts within {limit:?}, got {posts}"
            ));
        }
        Ok(self.posts())
    }
}
