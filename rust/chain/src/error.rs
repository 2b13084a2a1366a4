//! Errors of the chain state's storage. Validation failures are not errors of
//! this kind: they are results (`BlockError`, `TxError`) the caller reports.

use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("chain state database: {0}")]
    Db(#[from] redb::Error),
    #[error("corrupted chain data: {0}")]
    Corrupt(String),
}

impl StoreError {
    pub fn io(path: &Path, source: io::Error) -> StoreError {
        StoreError::Io { path: path.to_path_buf(), source }
    }
}

/// redb reports each operation with its own error type; all of them convert
/// into `redb::Error`, and from there into ours.
macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> StoreError {
                StoreError::Db(e.into())
            }
        }
    )*};
}
from_redb!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);
