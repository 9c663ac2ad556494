//! The single writer, with group commit. SQLite writes one transaction at a
//! time and a durable commit waits for an fsync; under load, the writes waiting
//! their turn go into one transaction together, each in a savepoint of its own,
//! and one fsync makes them all durable. A write that fails is rolled back to
//! its savepoint alone; nobody hears "done" before the commit that holds their
//! write. Alone, a write is its own transaction, as before.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::Checkpointer;
use tiyan_storage::{Error, Result};

/// Writes taken into one transaction at most (a page of records each, at worst).
const GROUP: usize = 32;

/// A write waiting for the writer.
trait Write: Send {
    /// Runs the write's statements; what it did, to answer once the commit is known.
    fn run(self: Box<Self>, conn: &Connection) -> Box<dyn Done>;
    /// Answers without running: the transaction could not begin.
    fn refuse(self: Box<Self>, why: String);
}

/// A write that ran, waiting for its transaction's fate.
trait Done: Send {
    fn succeeded(&self) -> bool;
    fn answer(self: Box<Self>, committed: &std::result::Result<(), String>);
}

struct Pending<F, T> {
    f: F,
    reply: oneshot::Sender<Result<T>>,
}

struct Ran<T> {
    outcome: Result<T>,
    reply: oneshot::Sender<Result<T>>,
}

impl<F, T> Write for Pending<F, T>
where
    F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> Box<dyn Done> {
        let Pending { f, reply } = *self;
        // A panic in one write fails that write, not the writer.
        let outcome = catch_unwind(AssertUnwindSafe(|| f(conn)))
            .unwrap_or_else(|_| Err(Error::Internal("a write panicked".into())));
        Box::new(Ran { outcome, reply })
    }

    fn refuse(self: Box<Self>, why: String) {
        let _ = self.reply.send(Err(Error::Backend(why)));
    }
}

impl<T: Send + 'static> Done for Ran<T> {
    fn succeeded(&self) -> bool {
        self.outcome.is_ok()
    }

    fn answer(self: Box<Self>, committed: &std::result::Result<(), String>) {
        let _ = self.reply.send(match (self.outcome, committed) {
            (Ok(_), Err(e)) => Err(Error::Backend(e.clone())),
            (outcome, _) => outcome,
        });
    }
}

pub(super) struct Writer {
    queue: Option<mpsc::Sender<Box<dyn Write>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    pub(super) fn start(conn: Connection, checkpoints: Checkpointer) -> Result<Writer> {
        let (queue, writes) = mpsc::channel::<Box<dyn Write>>();
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                while let Ok(first) = writes.recv() {
                    let mut group = vec![first];
                    while group.len() < GROUP
                        && let Ok(next) = writes.try_recv()
                    {
                        group.push(next);
                    }
                    run_group(&conn, group);
                    checkpoints.nudge();
                }
            })
            .map_err(|e| Error::Backend(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer { queue: Some(queue), thread: Some(thread) })
    }

    /// Runs `f` in the writer's transaction and answers once it is committed.
    pub(super) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        let stopped = || Error::Backend("the store's writer has stopped".into());
        let queue = self.queue.as_ref().ok_or_else(stopped)?;
        queue.send(Box::new(Pending { f, reply })).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.queue.take(); // the thread sees the queue close, finishes, and ends
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One transaction for the group, each write in a savepoint rolled back alone
/// if it fails; everyone is answered after the commit (or its failure).
fn run_group(conn: &Connection, group: Vec<Box<dyn Write>>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        for write in group {
            write.refuse(format!("cannot begin a transaction: {e}"));
        }
        return;
    }
    let mut done = Vec::with_capacity(group.len());
    for write in group {
        let savepoint = conn.execute_batch("SAVEPOINT write");
        let ran = match savepoint {
            Ok(()) => write.run(conn),
            Err(e) => {
                write.refuse(format!("cannot open a savepoint: {e}"));
                continue;
            }
        };
        let closed = if ran.succeeded() {
            conn.execute_batch("RELEASE write")
        } else {
            conn.execute_batch("ROLLBACK TO write; RELEASE write")
        };
        if let Err(e) = closed {
            tracing::error!(error = %e, "cannot close a savepoint");
        }
        done.push(ran);
    }
    let committed = conn.execute_batch("COMMIT").map_err(|e| {
        let _ = conn.execute_batch("ROLLBACK");
        format!("the commit failed: {e}")
    });
    for ran in done {
        ran.answer(&committed);
    }
}
