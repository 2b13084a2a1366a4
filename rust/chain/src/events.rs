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

    /// Sends to every subscriber, forgetting those that went away.
    pub(crate) fn emit(&self, event: ChainEvent) {
        self.lock().retain(|s| s.send(event.clone()).is_ok());
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<mpsc::UnboundedSender<ChainEvent>>> {
        // A subscriber list stays valid whatever panicked while it was held.
        self.subscribers.lock().unwrap_or_else(|e| e.into_inner())
    }
}
