//! The thread that runs Cap'n Proto.
//!
//! `capnp-rpc` objects are `!Send`, so every connection, client and server of a
//! process lives on one thread (`capnp-loop`) running a current-thread tokio
//! runtime with a `LocalSet`. Other threads reach it through a [`LoopHandle`]:
//! they send a closure, the loop runs the future it builds, and the result
//! comes back over a channel. Nothing is shared by locks across the boundary.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::sync::{mpsc, oneshot};

use hashvive_interfaces::Error;

type Task = Box<dyn FnOnce() + Send>;

enum Message {
    Run(Task),
    Stop,
}

/// A `Send` handle to the loop thread.
#[derive(Clone)]
pub struct LoopHandle {
    tx: mpsc::UnboundedSender<Message>,
}

impl LoopHandle {
    /// Runs `f` on the loop thread and returns what its future yields. `f` is
    /// built here and sent; the (possibly `!Send`) future runs there.
    pub async fn run<F, Fut, T>(&self, f: F) -> Result<T, Error>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + 'static,
        T: Send + 'static,
    {
        // Always through the queue, even from the loop thread: only the loop's
        // own task is sure to run inside its `LocalSet` (a task spawned on the
        // loop's runtime is not).
        let (tx, rx) = oneshot::channel();
        self.spawn(move || async move {
            let _ = tx.send(f().await);
        })?;
        rx.await.map_err(|_| stopped())
    }

    /// Like [`run`](Self::run), for callers on ordinary threads outside any runtime.
    pub fn run_blocking<F, Fut, T>(&self, f: F) -> Result<T, Error>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = T> + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.spawn(move || async move {
            let _ = tx.send(f().await);
        })?;
        rx.blocking_recv().map_err(|_| stopped())
    }

    /// Starts `f`'s future on the loop thread without waiting for it.
    pub fn spawn<F, Fut>(&self, f: F) -> Result<(), Error>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let task: Task = Box::new(move || {
            tokio::task::spawn_local(f());
        });
        self.tx.send(Message::Run(task)).map_err(|_| stopped())
    }
}

fn stopped() -> Error {
    Error::Disconnected("the IPC event loop has stopped".into())
}

/// Owns the loop thread; dropping it stops the loop and joins the thread.
pub struct EventLoop {
    handle: LoopHandle,
    thread: Option<JoinHandle<()>>,
}

impl EventLoop {
    pub fn start() -> std::io::Result<EventLoop> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let thread = std::thread::Builder::new().name("capnp-loop".into()).spawn(move || {
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, async move {
                RUNNING.set(true);
                while let Some(message) = rx.recv().await {
                    match message {
                        Message::Run(task) => task(),
                        Message::Stop => break,
                    }
                }
                RUNNING.set(false);
                // Connections and calls still open end here, which their peers
                // see as a disconnect.
                REGISTRY.with(|r| r.borrow_mut().clear());
            });
        })?;
        Ok(EventLoop { handle: LoopHandle { tx }, thread: Some(thread) })
    }

    pub fn handle(&self) -> LoopHandle {
        self.handle.clone()
    }

    /// Stops the loop (closing every connection) and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let _ = self.handle.tx.send(Message::Stop);
        if let Some(thread) = self.thread.take() {
            // The last owner may be an object the loop itself is releasing;
            // the loop then ends after this task, and nobody waits for it.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Objects that live on the loop thread, by id, for handles elsewhere.
type Registry = HashMap<u64, Rc<dyn std::any::Any>>;

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::new(HashMap::new());
    /// Whether this thread's loop still runs tasks (it is not shutting down).
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Starts `future` on this loop thread if the loop still runs; during shutdown
/// there is nobody left to talk to, so it is dropped. For destructors of
/// loop-thread objects, which cannot await.
pub(crate) fn spawn_if_running(future: impl Future<Output = ()> + 'static) {
    if RUNNING.get() {
        tokio::task::spawn_local(future);
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A `Send` reference to an object kept on the loop thread. Dropping the last
/// clone releases the object there.
#[derive(Clone)]
pub struct Remote<T> {
    inner: Arc<RemoteInner>,
    _type: std::marker::PhantomData<fn() -> T>,
}

struct RemoteInner {
    id: u64,
    handle: LoopHandle,
}

impl Drop for RemoteInner {
    fn drop(&mut self) {
        let id = self.id;
        // If the loop is gone, the object went with it.
        let _ = self.handle.spawn(move || async move {
            REGISTRY.with(|r| r.borrow_mut().remove(&id));
        });
    }
}

impl<T: 'static> Remote<T> {
    /// Stores `value` on the loop thread. Must be called on the loop thread.
    pub fn store(handle: &LoopHandle, value: Rc<T>) -> Remote<T> {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        REGISTRY.with(|r| r.borrow_mut().insert(id, value));
        Remote { inner: Arc::new(RemoteInner { id, handle: handle.clone() }), _type: std::marker::PhantomData }
    }

    /// Starts `f` with the object on the loop thread without waiting: for
    /// destructors and other callers that cannot await. Nothing happens if
    /// the object or the loop is gone.
    pub fn spawn_with<F, Fut>(&self, f: F)
    where
        F: FnOnce(Rc<T>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let id = self.inner.id;
        let _ = self.inner.handle.spawn(move || async move {
            if let Ok(object) = lookup::<T>(id) {
                f(object).await;
            }
        });
    }

    /// Runs `f` with the object on the loop thread.
    pub async fn with<F, Fut, R>(&self, f: F) -> Result<R, Error>
    where
        F: FnOnce(Rc<T>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<R, Error>> + 'static,
        R: Send + 'static,
    {
        let id = self.inner.id;
        self.inner.handle.run(move || async move { f(lookup::<T>(id)?).await }).await?
    }
}

/// The object stored under `id`, on the loop thread.
fn lookup<T: 'static>(id: u64) -> Result<Rc<T>, Error> {
    REGISTRY
        .with(|r| r.borrow().get(&id).cloned())
        .and_then(|any| any.downcast::<T>().ok())
        .ok_or_else(|| Error::Disconnected("the IPC object is gone".into()))
}
