//! What can go wrong in a wallet, and the RPC error each becomes.

use hashvive_rpc::error::codes;
use hashvive_rpc::RpcError;

#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// The wallet's SQLite database.
    #[error("Wallet database error: {0}")]
    Database(#[from] bdk_wallet::rusqlite::Error),
    /// A stored wallet that does not open (wrong network, damaged data).
    #[error("Wallet loading failed: {0}")]
    Load(String),
    #[error("Wallet file verification failed. Failed to create database path '{0}'. Database already exists.")]
    AlreadyExists(String),
    #[error("Wallet file verification failed. Failed to load database path '{0}'. Path does not exist.")]
    NotFound(String),
    #[error("Wallet \"{0}\" is already loaded.")]
    AlreadyLoaded(String),
    #[error("Insufficient funds")]
    InsufficientFunds,
    #[error("Error: The wallet passphrase entered was incorrect.")]
    WrongPassphrase,
    /// A descriptor that does not parse.
    #[error("{0}")]
    InvalidDescriptor(String),
    #[error("{0}")]
    InvalidParameter(String),
    /// An encrypted wallet's keys are needed, and it is locked.
    #[error("Error: Please enter the wallet passphrase with walletpassphrase first.")]
    Locked,
    /// No active descriptor hands out addresses of this type.
    #[error("Error: No {0} addresses available.")]
    NoActiveDescriptor(crate::output_type::OutputType),
    /// The node could not be asked (its process went away).
    #[error("{0}")]
    Chain(#[from] hashvive_interfaces::Error),
    #[error("{0}")]
    Other(String),
}

impl From<crate::crypter::CryptError> for WalletError {
    fn from(e: crate::crypter::CryptError) -> WalletError {
        match e {
            crate::crypter::CryptError::WrongPassphrase => WalletError::WrongPassphrase,
            damaged => WalletError::Load(damaged.to_string()),
        }
    }
}

impl From<WalletError> for RpcError {
    fn from(e: WalletError) -> RpcError {
        let code = match &e {
            WalletError::NotFound(_) => codes::RPC_WALLET_NOT_FOUND,
            WalletError::AlreadyLoaded(_) => codes::RPC_WALLET_ALREADY_LOADED,
            WalletError::InsufficientFunds => codes::RPC_WALLET_INSUFFICIENT_FUNDS,
            WalletError::WrongPassphrase => codes::RPC_WALLET_PASSPHRASE_INCORRECT,
            WalletError::Database(_) => codes::RPC_DATABASE_ERROR,
            WalletError::InvalidDescriptor(_) => codes::RPC_INVALID_ADDRESS_OR_KEY,
            WalletError::InvalidParameter(_) => codes::RPC_INVALID_PARAMETER,
            WalletError::Locked => codes::RPC_WALLET_UNLOCK_NEEDED,
            WalletError::NoActiveDescriptor(_) => codes::RPC_WALLET_KEYPOOL_RAN_OUT,
            _ => codes::RPC_WALLET_ERROR,
        };
        RpcError::new(code, e.to_string())
    }
}
