//! What happened to the chain and the mempool, in order, for components that
//! follow them (wallets, through the node's `Chain` implementation).
//!
//! Events are emitted where the change happens, under the chain lock, into
//! unbounded channels: sending never blocks, so the lock is never held while
//! a listener works, and the lock makes the order of events the order of
//! changes. Listeners consume them on their own tasks.

use std::sync::{Arc, Mutex};

use bitcoin::{Block, Transaction};
use tokio::sync::mpsc;

use crate::chainstate::Tip;

/// Why a transaction left the mempool: the interface's type, so the reason
/// reaches wallets unchanged.
pub use hashvive_interfaces::RemovalReason;

/// One change, in the order changes happened.
#[derive(Clone, Debug)]
pub enum ChainEvent {
    TransactionAdded(Arc<Transaction>),
    TransactionRemoved {
        tx: Arc<Transaction>,
        reason: RemovalReason,
    },
    BlockConnected {
        block: Arc<Block>,
        height: u32,
    },
    BlockDisconnected {
        block: Arc<Block>,
        height: u32,
    },
    /// The tip after a batch of connections and disconnections.
    TipUpdated(Tip),
    /// Nothing happened: a listener that reaches it has handled every event
    /// before it, and drops it (see [`Chainstate::flush_events`](crate::Chainstate::flush_events)).
    Flush(Arc<FlushMarker>),
}

/// Held by every listener's copy of a [`ChainEvent::Flush`]; when the last
/// copy goes, the waiter hears of it.
#[derive(Debug)]
pub struct FlushMarker {
    _done: std::sync::mpsc::SyncSender<()>,
}

/// Where the chain state sends its events: every live subscriber's channel.
#[derive(Clone, Default)]
pub(crate) struct EventSink {
    subscribers: Arc<Mutex<Vec<mpsc::UnboundedSender<ChainEvent>>>>,
}

impl EventSink {
    pub(crate) fn subscribe(&self) -> mpsc::UnboundedReceiver<ChainEvent> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.lock().push(tx);
        rx
    }

    /// Whether anyone listens: callers skip building events nobody reads.
    pub(crate) fn is_active(&self) -> bool {
        !self.lock().is_empty()
    }

    /// Sends a [`ChainEvent::Flush`]; the receiver disconnects once every
    /// subscriber has handled what came before it.
    pub(crate) fn flush(&self) -> std::sync::mpsc::Receiver<()> {
        let (marker, done) = std::sync::mpsc::sync_channel(0);
        self.emit(ChainEvent::Flush(Arc::new(FlushMarker { _done: marker })));
        done
    }

    /// Sends to every subscriber, forgetting those that went away.
    pub(crate) fn emit(&self, event: ChainEvent) {
        self.lock().retain(|s| s.send(event.clone()).is_ok());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<mpsc::UnboundedSender<ChainEvent>>> {
        // A subscriber list stays valid whatever panicked while it was held.
        self.subscribers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::TryRecvError;

    use super::*;

    #[test]
    fn a_flush_completes_when_every_listener_has_reached_it() {
        let sink = EventSink::default();
        let mut first = sink.subscribe();
        let mut second = sink.subscribe();
        let done = sink.flush();
        assert_eq!(done.try_recv(), Err(TryRecvError::Empty));
        drop(first.try_recv().expect("the marker"));
        assert_eq!(done.try_recv(), Err(TryRecvError::Empty), "one listener is still behind");
        drop(second.try_recv().expect("the marker"));
        assert_eq!(done.try_recv(), Err(TryRecvError::Disconnected));
        // Nobody listening: done at once.
        drop((first, second));
        assert_eq!(EventSink::default().flush().try_recv(), Err(TryRecvError::Disconnected));
    }
}
