//! The reference's policy constants and defaults (`policy/policy.h`,
//! `util/rbf.h`, `policy/packages.h`), as of its 30.x releases. Fee rates are
//! in satoshis per 1000 virtual bytes.

/// Transactions heavier than this are not relayed or mined.
pub const MAX_STANDARD_TX_WEIGHT: u64 = 400_000;
/// Transactions smaller than this without witness are not relayed (`tx-size-small`):
/// a 64-byte transaction could pass for an inner merkle tree node.
pub const MIN_STANDARD_TX_NONWITNESS_SIZE: usize = 65;
/// The most sigops a standard P2SH redeem script may have.
pub const MAX_P2SH_SIGOPS: u32 = 15;
/// The most sigop cost a standard transaction may have.
pub const MAX_STANDARD_TX_SIGOPS_COST: u64 = hashvive_consensus::sigops::MAX_BLOCK_SIGOPS_COST / 5;
/// BIP54: the most legacy sigops a standard transaction's spends may execute.
pub const MAX_TX_LEGACY_SIGOPS: u32 = 2_500;
/// The largest standard scriptSig: a 15-of-15 P2SH multisig spend, rounded up.
pub const MAX_STANDARD_SCRIPTSIG_SIZE: usize = 1650;
pub const MAX_STANDARD_P2WSH_STACK_ITEMS: usize = 100;
pub const MAX_STANDARD_P2WSH_STACK_ITEM_SIZE: usize = 80;
pub const MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE: usize = 80;
pub const MAX_STANDARD_P2WSH_SCRIPT_SIZE: usize = 3600;
/// At most one dust output, and only in a zero-fee transaction ("ephemeral dust").
pub const MAX_DUST_OUTPUTS_PER_TX: usize = 1;
pub const TX_MIN_STANDARD_VERSION: i32 = 1;
/// Version 3 is TRUC (BIP431).
pub const TX_MAX_STANDARD_VERSION: i32 = 3;

/// `-dustrelayfee`.
pub const DUST_RELAY_TX_FEE: u64 = 3000;
/// `-minrelaytxfee`.
pub const DEFAULT_MIN_RELAY_TX_FEE: u64 = 100;
/// `-incrementalrelayfee`.
pub const DEFAULT_INCREMENTAL_RELAY_FEE: u64 = 100;
/// `-blockmintxfee`.
pub const DEFAULT_BLOCK_MIN_TX_FEE: u64 = 1;
/// `-bytespersigop`.
pub const DEFAULT_BYTES_PER_SIGOP: u32 = 20;
/// `-permitbaremultisig`.
pub const DEFAULT_PERMIT_BAREMULTISIG: bool = true;
/// `-datacarrier`.
pub const DEFAULT_ACCEPT_DATACARRIER: bool = true;
/// `-datacarriersize`: OP_RETURN bytes are limited only by the transaction size.
pub const MAX_OP_RETURN_RELAY: u32 = (MAX_STANDARD_TX_WEIGHT / 4) as u32;

/// `-blockmaxweight`.
pub const DEFAULT_BLOCK_MAX_WEIGHT: u64 = 4_000_000;
/// `-blockreservedweight`: room kept for the header and coinbase.
pub const DEFAULT_BLOCK_RESERVED_WEIGHT: u64 = 8000;
/// The least `-blockreservedweight` may be.
pub const MINIMUM_BLOCK_RESERVED_WEIGHT: u64 = 2000;

/// `-limitancestorcount`.
pub const DEFAULT_ANCESTOR_LIMIT: usize = 25;
/// `-limitancestorsize`, in kvB.
pub const DEFAULT_ANCESTOR_SIZE_LIMIT_KVB: u64 = 101;
/// `-limitdescendantcount`.
pub const DEFAULT_DESCENDANT_LIMIT: usize = 25;
/// `-limitdescendantsize`, in kvB.
pub const DEFAULT_DESCENDANT_SIZE_LIMIT_KVB: u64 = 101;
/// A transaction may exceed the descendant limits by one if it is this small
/// and has a single ancestor (CPFP carve-out).
pub const EXTRA_DESCENDANT_TX_SIZE_LIMIT: u64 = 10_000;

/// Inputs with a sequence at most this signal BIP125 replaceability.
pub const MAX_BIP125_RBF_SEQUENCE: u32 = 0xffff_fffd;

/// Script interpreter limits the standardness checks evaluate against.
pub(crate) const MAX_SCRIPT_ELEMENT_SIZE: usize = 520;
pub(crate) const MAX_STACK_SIZE: usize = 1000;
/// A taproot witness whose last item starts with this byte carries an annex.
pub(crate) const TAPROOT_ANNEX_TAG: u8 = 0x50;
pub(crate) const TAPROOT_LEAF_MASK: u8 = 0xfe;
pub(crate) const TAPROOT_LEAF_TAPSCRIPT: u8 = 0xc0;
