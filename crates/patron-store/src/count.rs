//! Counting database statements per request (lesson 6 and 16: the platform slowed down
//! because every query crossed the network). Every query is built through `crate::sql`, which
//! records it; the web layer runs each request inside [`count_statements`] and exports the count
//! per route.

use std::cell::Cell;
use std::future::Future;

tokio::task_local! {
    static STATEMENTS: Cell<u32>;
}

/// Runs `work`, returning its output and the number of statements it sent to the database.
pub async fn count_statements<F: Future>(work: F) -> (F::Output, u32) {
    STATEMENTS
        .scope(Cell::new(0), async move {
            let output = work.await;
            let count = STATEMENTS.try_with(Cell::get).unwrap_or(0);
            (output, count)
        })
        .await
}

/// Records one statement (a no-op outside [`count_statements`]).
pub(crate) fn statement() {
    let _ = STATEMENTS.try_with(|count| count.set(count.get() + 1));
}
