//! One loaded wallet: a `bdk_wallet` descriptor wallet persisted in its
//! `wallet.dat` (SQLite), with the private descriptors it signs with.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bdk_wallet::chain::{BlockId, ConfirmationBlockTime, TxUpdate};
use bdk_wallet::miniscript::descriptor::{
    DefiniteDescriptorKey, Descriptor, DescriptorPublicKey, KeyMap, KeyMapWrapper,
};
use bdk_wallet::miniscript::psbt::PsbtExt;
use bdk_wallet::miniscript::ForEachKey;
use bdk_wallet::rusqlite::{params, Connection, OptionalExtension};
use bdk_wallet::{KeychainKind, PersistedWallet, SignOptions, Update, Wallet as BdkWallet};
use bitcoin::bip32::Xpriv;
use bitcoin::psbt::{GetKey, KeyRequest};
use bitcoin::{Block, Network, OutPoint, Psbt, Script, Transaction, Txid};
use hashvive_script::sign::SigningProvider;

use zeroize::Zeroizing;

use crate::crypter::{self, new_master_key, open_master_key, seal_master_key};
use crate::error::WalletError;

/// The database file inside a wallet's directory.
pub const WALLET_FILE: &str = "wallet.dat";

/// `-keypool`'s default: addresses derived ahead of the last one handed out,
/// per keychain, so payments to them are found.
pub const DEFAULT_KEYPOOL: u32 = 1000;

/// Hashvive's tables beside bdk's, made when a wallet file is opened:
/// - `hashvive_descriptors`: bdk keeps public descriptors only; the private
///   ones (to sign with) live here, so one file is the whole wallet;
/// - `hashvive_meta`: facts about the wallet itself (`birth_time`);
/// - `hashvive_labels`: the address book (`getnewaddress`, `setlabel`);
/// - `hashvive_locked_coins`: coins locked with `lockunspent … persistent=true`;
/// - `hashvive_sealed_descriptors`: an encrypted wallet's private descriptors
///   (see `crypter`; its master key record is `master_key` in `hashvive_meta`).
const HASHVIVE_TABLES: &str = "
    CREATE TABLE IF NOT EXISTS hashvive_descriptors (keychain TEXT PRIMARY KEY NOT NULL, descriptor TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS hashvive_sealed_descriptors (keychain TEXT PRIMARY KEY NOT NULL, sealed TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS hashvive_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS hashvive_labels (address TEXT PRIMARY KEY NOT NULL, label TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS hashvive_locked_coins (txid TEXT NOT NULL, vout INTEGER NOT NULL, PRIMARY KEY (txid, vout));
";

pub struct Wallet {
    name: String,
    path: PathBuf,
    bdk: PersistedWallet<Connection>,
    db: Connection,
    /// The keys to sign with, while the wallet has them: always without a
    /// passphrase, while unlocked with one.
    secrets: Option<Secrets>,
    /// The sealed master key of an encrypted wallet.
    master_key_record: Option<String>,
    /// When an unlocked encrypted wallet locks again (seconds since the
    /// epoch; 0 while locked), and which unlock set that time.
    unlocked_until: u64,
    unlock_count: u64,
    /// Coins coin selection leaves alone (`lockunspent`), with whether the
    /// lock is stored.
    locked: BTreeMap<OutPoint, bool>,
    /// Labels by address (as text, for the network).
    labels: BTreeMap<String, String>,
    /// When the wallet was created (seconds since the epoch; 0 if unknown).
    birth_time: u64,
    /// The fee rate sends pay (sat/kvB) unless told otherwise, 0 to
    /// estimate: `-paytxfee`, then `settxfee`; not stored, as in the reference.
    pay_tx_fee: u64,
}

/// The private side of a wallet, wiped from memory when dropped (the
/// descriptor texts; the parsed keys as far as secp256k1 allows).
struct Secrets {
    keys: KeyMapWrapper,
    /// The private receive and change descriptors.
    descriptors: [Zeroizing<String>; 2],
    /// Their public halves: what bdk is given, so no signer of bdk's ever
    /// holds a key (a locked wallet must hold none).
    public: [Descriptor<DescriptorPublicKey>; 2],
}

impl Secrets {
    fn new(external: String, internal: String) -> Result<Secrets, WalletError> {
        let descriptors = [Zeroizing::new(external), Zeroizing::new(internal)];
        let secp = bitcoin::secp256k1::Secp256k1::signing_only();
        let mut keys = KeyMap::new();
        let mut public = Vec::new();
        for d in &descriptors {
            let (descriptor, map) = Descriptor::<DescriptorPublicKey>::parse_descriptor(&secp, d)
                .map_err(|e| WalletError::Load(format!("stored descriptor does not parse: {e}")))?;
            keys.extend(map);
            public.push(descriptor);
        }
        let public: [Descriptor<DescriptorPublicKey>; 2] =
            public.try_into().map_err(|_| WalletError::Load("two descriptors expected".into()))?;
        Ok(Secrets { keys: keys.into(), descriptors, public })
    }
}

const KEYCHAINS: [KeychainKind; 2] = [KeychainKind::External, KeychainKind::Internal];

fn keychain_key(k: KeychainKind) -> &'static str {
    match k {
        KeychainKind::External => "external",
        KeychainKind::Internal => "internal",
    }
}

impl Wallet {
    /// Creates a wallet with fresh keys in directory `dir` (BIP84 native
    /// segwit receive and change descriptors). Refuses an existing wallet.
    /// With a `passphrase` the keys are stored encrypted from the start, and
    /// the wallet is locked. `keypool` addresses are derived ahead.
    pub fn create(
        name: &str,
        dir: &Path,
        network: Network,
        passphrase: Option<&str>,
        keypool: u32,
    ) -> Result<Wallet, WalletError> {
        let path = dir.join(WALLET_FILE);
        if path.exists() {
            return Err(WalletError::AlreadyExists(dir.display().to_string()));
        }
        std::fs::create_dir_all(dir).map_err(|e| WalletError::Other(format!("{}: {e}", dir.display())))?;
        let seed: [u8; 32] = bitcoin::secp256k1::rand::random();
        let master = Xpriv::new_master(network, &seed).map_err(|e| WalletError::Other(e.to_string()))?;
        let coin = if network == Network::Bitcoin { 0 } else { 1 };
        let secrets =
            Secrets::new(format!("wpkh({master}/84h/{coin}h/0h/0/*)"), format!("wpkh({master}/84h/{coin}h/0h/1/*)"))?;
        let birth_time = hashvive_common::time::now().max(0) as u64;
        let mut db = open_exclusive(&path)?;
        let master_key_record = {
            let tx = db.transaction()?;
            let record = match passphrase {
                None => {
                    for (k, d) in KEYCHAINS.iter().zip(&secrets.descriptors) {
                        tx.execute(
                            "INSERT INTO hashvive_descriptors (keychain, descriptor) VALUES (?1, ?2)",
                            params![keychain_key(*k), d.as_str()],
                        )?;
                    }
                    None
                }
                Some(passphrase) => Some(store_sealed(&tx, &secrets, passphrase)?),
            };
            tx.execute(
                "INSERT INTO hashvive_meta (key, value) VALUES ('birth_time', ?1)",
                params![birth_time.to_string()],
            )?;
            tx.commit()?;
            record
        };
        let bdk = BdkWallet::create(secrets.public[0].clone(), secrets.public[1].clone())
            .network(network)
            .lookahead(keypool)
            .use_spk_cache(true)
            .create_wallet(&mut db)
            .map_err(|e| WalletError::Load(e.to_string()))?;
        Ok(Wallet {
            name: name.to_string(),
            path: dir.to_path_buf(),
            bdk,
            db,
            secrets: if master_key_record.is_some() { None } else { Some(secrets) },
            master_key_record,
            unlocked_until: 0,
            unlock_count: 0,
            locked: BTreeMap::new(),
            labels: BTreeMap::new(),
            birth_time,
            pay_tx_fee: 0,
        })
    }

    /// Opens the wallet in directory `dir`, checking it is for `network`;
    /// `keypool` addresses are derived ahead.
    pub fn load(name: &str, dir: &Path, network: Network, keypool: u32) -> Result<Wallet, WalletError> {
        let path = dir.join(WALLET_FILE);
        if !path.is_file() {
            return Err(WalletError::NotFound(dir.display().to_string()));
        }
        let mut db = open_exclusive(&path)?;
        let master_key_record = db
            .query_row("SELECT value FROM hashvive_meta WHERE key = 'master_key'", [], |r| r.get::<_, String>(0))
            .optional()?;
        // Derived scripts are cached in the file: a reload need not derive them again.
        let loader = BdkWallet::load().check_network(network).lookahead(keypool).use_spk_cache(true);
        // Checked against the stored public descriptors: keys and wallet
        // belong together. An encrypted wallet's keys are checked at unlock.
        let (loader, secrets) = match master_key_record {
            Some(_) => (loader, None),
            None => {
                let descriptor = |k: KeychainKind| -> Result<String, WalletError> {
                    db.query_row(
                        "SELECT descriptor FROM hashvive_descriptors WHERE keychain = ?1",
                        [keychain_key(k)],
                        |r| r.get::<_, String>(0),
                    )
                    .optional()?
                    .ok_or_else(|| {
                        WalletError::Load(format!("{} has no {} descriptor", path.display(), keychain_key(k)))
                    })
                };
                let secrets = Secrets::new(descriptor(KeychainKind::External)?, descriptor(KeychainKind::Internal)?)?;
                let loader = loader
                    .descriptor(KeychainKind::External, Some(secrets.public[0].clone()))
                    .descriptor(KeychainKind::Internal, Some(secrets.public[1].clone()));
                (loader, Some(secrets))
            }
        };
        let bdk = loader
            .load_wallet(&mut db)
            .map_err(|e| WalletError::Load(e.to_string()))?
            .ok_or_else(|| WalletError::Load(format!("{} holds no wallet", path.display())))?;
        let mut locked = BTreeMap::new();
        {
            let mut rows = db.prepare("SELECT txid, vout FROM hashvive_locked_coins")?;
            let stored = rows.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)))?;
            for row in stored {
                let (txid, vout) = row?;
                let txid = txid.parse().map_err(|e| WalletError::Load(format!("a locked coin's txid: {e}")))?;
                locked.insert(OutPoint { txid, vout }, true);
            }
        }
        let labels = {
            let mut rows = db.prepare("SELECT address, label FROM hashvive_labels")?;
            let stored = rows.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            stored.collect::<Result<BTreeMap<_, _>, _>>()?
        };
        let birth_time = db
            .query_row("SELECT value FROM hashvive_meta WHERE key = 'birth_time'", [], |r| r.get::<_, String>(0))
            .optional()?
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        Ok(Wallet {
            name: name.to_string(),
            path: dir.to_path_buf(),
            bdk,
            db,
            secrets,
            master_key_record,
            unlocked_until: 0,
            unlock_count: 0,
            locked,
            labels,
            birth_time,
            pay_tx_fee: 0,
        })
    }

    /// The private receive and change descriptors (holding the keys), while
    /// the wallet has its keys.
    pub fn private_descriptors(&self) -> Option<[&str; 2]> {
        self.secrets.as_ref().map(|s| [s.descriptors[0].as_str(), s.descriptors[1].as_str()])
    }

    /// Whether the keys are stored encrypted under a passphrase.
    pub fn is_encrypted(&self) -> bool {
        self.master_key_record.is_some()
    }

    /// Whether the wallet can sign now: not encrypted, or unlocked.
    pub fn has_keys(&self) -> bool {
        self.secrets.is_some()
    }

    /// When an unlocked encrypted wallet locks again (0 while locked).
    pub fn unlocked_until(&self) -> u64 {
        self.unlocked_until
    }

    /// Encrypts the keys under `passphrase`, and locks the wallet. The
    /// clear keys are erased from the file (overwritten, and the file
    /// rebuilt), though copies made before keep them.
    pub fn encrypt(&mut self, passphrase: &str) -> Result<(), WalletError> {
        let Some(secrets) = self.secrets.take() else {
            return Err(WalletError::Other("the wallet has no keys to encrypt".into()));
        };
        self.db.pragma_update(None, "secure_delete", "ON")?;
        let sealed = (|| -> Result<String, WalletError> {
            let tx = self.db.transaction()?;
            let record = store_sealed(&tx, &secrets, passphrase)?;
            tx.execute("DELETE FROM hashvive_descriptors", [])?;
            tx.commit()?;
            Ok(record)
        })();
        let record = match sealed {
            Ok(record) => record,
            Err(e) => {
                // Nothing changed in the file: the wallet stays as it was.
                self.secrets = Some(secrets);
                return Err(e);
            }
        };
        self.master_key_record = Some(record);
        self.lock();
        // Rebuilding the file leaves no free page with the old rows in it;
        // the wallet is encrypted whether or not that succeeds.
        if let Err(e) = self.db.execute_batch("VACUUM") {
            tracing::warn!("Wallet {}: rebuilding the file after encryption failed: {e}", self.name);
        }
        Ok(())
    }

    /// Opens the keys of an encrypted wallet with `passphrase` until
    /// `until` (seconds since the epoch); returns which unlock this is, for
    /// the timer that locks it again.
    pub fn unlock(&mut self, passphrase: &str, until: u64) -> Result<u64, WalletError> {
        let Some(record) = &self.master_key_record else {
            return Err(WalletError::Other("the wallet is not encrypted".into()));
        };
        let master = open_master_key(record, passphrase)?;
        let mut opened = Vec::new();
        for k in KEYCHAINS {
            let sealed: String = self.db.query_row(
                "SELECT sealed FROM hashvive_sealed_descriptors WHERE keychain = ?1",
                [keychain_key(k)],
                |r| r.get(0),
            )?;
            let text = crypter::open(&master, &sealed)?;
            let text = String::from_utf8(text.to_vec())
                .map_err(|_| WalletError::Load("a sealed descriptor is not text".into()))?;
            opened.push(text);
        }
        let internal = opened.pop().unwrap_or_default();
        let external = opened.pop().unwrap_or_default();
        let secrets = Secrets::new(external, internal)?;
        // The keys must be this wallet's.
        for (k, public) in KEYCHAINS.iter().zip(&secrets.public) {
            if public != self.bdk.public_descriptor(*k) {
                return Err(WalletError::Load("the sealed keys are not this wallet's".into()));
            }
        }
        self.secrets = Some(secrets);
        self.unlocked_until = until;
        self.unlock_count += 1;
        Ok(self.unlock_count)
    }

    /// Derives addresses further ahead: `keypool` beyond the last one handed
    /// out, per keychain (never fewer than now).
    pub fn set_keypool(&mut self, keypool: u32) -> Result<(), WalletError> {
        if keypool <= self.bdk.spk_index().lookahead() {
            return Ok(());
        }
        // bdk fixes the lookahead when a wallet loads: load it again, from
        // what was just persisted.
        self.persist()?;
        let network = self.bdk.network();
        self.bdk = BdkWallet::load()
            .check_network(network)
            .lookahead(keypool)
            .use_spk_cache(true)
            .load_wallet(&mut self.db)
            .map_err(|e| WalletError::Load(e.to_string()))?
            .ok_or_else(|| WalletError::Load("the wallet vanished from its file".into()))?;
        Ok(())
    }

    /// Forgets the keys of an encrypted wallet until the next unlock.
    pub fn lock(&mut self) {
        if self.is_encrypted() {
            self.secrets = None;
            self.unlocked_until = 0;
        }
    }

    /// Locks the wallet if unlock number `unlock` is still the latest (a
    /// later `walletpassphrase` sets a new time).
    pub fn relock_after(&mut self, unlock: u64) {
        if unlock == self.unlock_count {
            self.lock();
        }
    }

    /// Seals the master key under `new` instead of `old`; the keys stay as
    /// they are. The wallet is locked afterwards if it was before.
    pub fn change_passphrase(&mut self, old: &str, new: &str) -> Result<(), WalletError> {
        let Some(record) = &self.master_key_record else {
            return Err(WalletError::Other("the wallet is not encrypted".into()));
        };
        let master = open_master_key(record, old)?;
        let record = seal_master_key(&master, new)?;
        self.db.pragma_update(None, "secure_delete", "ON")?;
        self.db.execute("UPDATE hashvive_meta SET value = ?1 WHERE key = 'master_key'", params![record])?;
        self.master_key_record = Some(record);
        Ok(())
    }

    /// When the wallet was created, seconds since the epoch (0 if unknown).
    pub fn birth_time(&self) -> u64 {
        self.birth_time
    }

    /// The fee rate sends pay unless told otherwise (sat/kvB; 0: estimate).
    pub fn pay_tx_fee(&self) -> u64 {
        self.pay_tx_fee
    }

    pub fn set_pay_tx_fee(&mut self, sat_per_kvb: u64) {
        self.pay_tx_fee = sat_per_kvb;
    }

    /// The label of `address` (a script of the wallet's or another), if it
    /// has one: given ones first, then the default "" every receive address
    /// has, as in the reference's address book.
    pub fn label(&self, address: &bitcoin::Address) -> Option<&str> {
        if let Some(label) = self.labels.get(&address.to_string()) {
            return Some(label);
        }
        match self.bdk.derivation_of_spk(address.script_pubkey()) {
            Some((KeychainKind::External, _)) => Some(""),
            _ => None,
        }
    }

    /// Every address with a label, and the label.
    pub fn labels(&self) -> &BTreeMap<String, String> {
        &self.labels
    }

    /// Gives `address` a label (stored at once).
    pub fn set_label(&mut self, address: &bitcoin::Address, label: &str) -> Result<(), WalletError> {
        self.db.execute(
            "INSERT INTO hashvive_labels (address, label) VALUES (?1, ?2) \
             ON CONFLICT (address) DO UPDATE SET label = excluded.label",
            params![address.to_string(), label],
        )?;
        self.labels.insert(address.to_string(), label.to_string());
        Ok(())
    }

    /// Writes a consistent copy of the wallet file to `file` (replacing one
    /// there): SQLite's `VACUUM INTO`, which reads inside a transaction.
    pub fn backup_to(&self, file: &Path) -> Result<(), WalletError> {
        match std::fs::remove_file(file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(WalletError::Other(format!("{}: {e}", file.display()))),
        }
        self.db.execute("VACUUM INTO ?1", params![file.to_string_lossy()])?;
        Ok(())
    }

    /// The locked coins.
    pub fn locked_coins(&self) -> impl Iterator<Item = &OutPoint> {
        self.locked.keys()
    }

    pub fn is_locked(&self, coin: &OutPoint) -> bool {
        self.locked.contains_key(coin)
    }

    /// Locks a coin; `persistent` stores the lock in the wallet file.
    pub fn lock_coin(&mut self, coin: OutPoint, persistent: bool) -> Result<(), WalletError> {
        if persistent {
            self.db.execute(
                "INSERT OR IGNORE INTO hashvive_locked_coins (txid, vout) VALUES (?1, ?2)",
                params![coin.txid.to_string(), coin.vout],
            )?;
        }
        self.locked.insert(coin, persistent);
        Ok(())
    }

    /// Unlocks a coin; `false` when it was not locked.
    pub fn unlock_coin(&mut self, coin: &OutPoint) -> Result<bool, WalletError> {
        match self.locked.remove(coin) {
            Some(true) => {
                self.db.execute(
                    "DELETE FROM hashvive_locked_coins WHERE txid = ?1 AND vout = ?2",
                    params![coin.txid.to_string(), coin.vout],
                )?;
                Ok(true)
            }
            Some(false) => Ok(true),
            None => Ok(false),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The wallet's directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The bdk wallet, for queries.
    pub fn bdk(&self) -> &BdkWallet {
        &self.bdk
    }

    pub fn bdk_mut(&mut self) -> &mut BdkWallet {
        &mut self.bdk
    }

    /// Writes what changed since the last call; every change the wallet
    /// makes is followed by this, so a crash loses nothing acknowledged.
    pub fn persist(&mut self) -> Result<(), WalletError> {
        self.bdk.persist(&mut self.db)?;
        Ok(())
    }

    /// The last block the wallet processed.
    pub fn last_block(&self) -> BlockId {
        self.bdk.latest_checkpoint().block_id()
    }

    /// Makes a new wallet start at `tip` instead of the genesis block: it has
    /// no history to find in older blocks, so none are scanned (the
    /// reference's new wallets start at the tip too).
    pub fn start_at(&mut self, tip: BlockId) -> Result<(), WalletError> {
        let Ok(chain) = self.bdk.latest_checkpoint().push(tip) else { return Ok(()) };
        self.bdk
            .apply_update(Update { chain: Some(chain), ..Update::default() })
            .map_err(|e| WalletError::Other(e.to_string()))?;
        self.persist()
    }

    /// Takes a block of the active chain at `height`; `false` when it does
    /// not connect to what the wallet has seen (it must catch up first).
    pub fn apply_block(&mut self, block: &Block, height: u32) -> Result<bool, WalletError> {
        // Already taken (a catch-up ran ahead of the notice of this block):
        // taking it again could find more in it than it did then, after a
        // keypool refill, which the reference never does either.
        if self.bdk.latest_checkpoint().get(height).is_some_and(|cp| cp.hash() == block.block_hash()) {
            return Ok(true);
        }
        match self.bdk.apply_block(block, height) {
            Ok(()) => {
                self.persist()?;
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    /// Whether `tx` pays one of the wallet's scripts or spends one of its
    /// coins (known to it, or made by one of `earlier`).
    pub fn concerns(&self, tx: &Transaction, earlier: &[Arc<Transaction>]) -> bool {
        let pays_us = tx.output.iter().any(|o| self.bdk.is_mine(o.script_pubkey.clone()));
        pays_us
            || tx.input.iter().any(|i| {
                let spent = match earlier.iter().find(|t| t.compute_txid() == i.previous_output.txid) {
                    Some(t) => t.output.get(i.previous_output.vout as usize).cloned(),
                    None => self.bdk.tx_graph().get_txout(i.previous_output).cloned(),
                };
                spent.is_some_and(|o| self.bdk.is_mine(o.script_pubkey))
            })
    }

    /// Takes what concerns the wallet in a block of the active chain below
    /// its tip (a rescan): the transactions paying its scripts or spending
    /// its coins, confirmed in that block. A block the wallet knows another
    /// hash for at that height (the chain moved since) is left alone.
    pub fn add_block_history(&mut self, block: &Block, height: u32) -> Result<(), WalletError> {
        let id = BlockId { height, hash: block.block_hash() };
        let tip = self.bdk.latest_checkpoint();
        if tip.get(height).is_some_and(|cp| cp.hash() != id.hash) || height > tip.height() {
            return Ok(());
        }
        let mut found: Vec<Arc<Transaction>> = Vec::new();
        for tx in &block.txdata {
            if self.concerns(tx, &found) {
                found.push(Arc::new(tx.clone()));
            }
        }
        if found.is_empty() {
            return Ok(());
        }
        let anchor = ConfirmationBlockTime { block_id: id, confirmation_time: u64::from(block.header.time) };
        let mut tx_update = TxUpdate::default();
        tx_update.anchors = found.iter().map(|t| (anchor, t.compute_txid())).collect();
        tx_update.txs = found;
        let chain = Some(tip.insert(id));
        self.bdk
            .apply_update(Update { chain, tx_update, ..Update::default() })
            .map_err(|e| WalletError::Other(e.to_string()))?;
        self.persist()
    }

    /// Signs every input the wallet's keys can sign and finalizes the PSBT;
    /// `false` when it is not complete.
    pub fn sign(&self, psbt: &mut Psbt) -> Result<bool, WalletError> {
        // Inputs of other wallets (or of a locked one) simply stay
        // unsigned; finalizing tells.
        if let Some(secrets) = &self.secrets {
            let _ = psbt.sign(&secrets.keys, self.bdk.secp_ctx());
        }
        self.bdk
            .finalize_psbt(psbt, SignOptions::default())
            .map_err(|e| WalletError::Other(format!("Signing transaction failed: {e}")))
    }

    /// Adds the private keys for those of `scripts` that are the wallet's
    /// to `provider`, to sign with `hashvive_script`; none while the wallet
    /// is locked.
    pub fn add_keys<'a>(&self, provider: &mut SigningProvider, scripts: impl IntoIterator<Item = &'a Script>) {
        let Some(secrets) = &self.secrets else { return };
        let secp = self.bdk.secp_ctx();
        for spk in scripts {
            let Some(derived) = self.derived_descriptor(spk) else { continue };
            derived.for_each_key(|key| {
                let source = (key.master_fingerprint(), key.full_derivation_path().unwrap_or_default());
                if let Ok(Some(private)) = secrets.keys.get_key(KeyRequest::Bip32(source), secp) {
                    provider.add_key(&private, secp);
                }
                true
            });
        }
    }

    /// The wallet's descriptor for one of its scripts, at the script's index.
    fn derived_descriptor(&self, spk: &Script) -> Option<Descriptor<DefiniteDescriptorKey>> {
        let (keychain, index) = self.bdk.derivation_of_spk(spk.to_owned())?;
        self.bdk.public_descriptor(keychain).at_derivation_index(index).ok()
    }

    /// Fills in what the wallet knows for a PSBT (the reference's
    /// `FillPSBT` without signing): the transactions its inputs spend, and,
    /// with `bip32derivs`, the key origins and scripts of its own inputs and
    /// outputs.
    pub fn update_psbt(&self, psbt: &mut Psbt, bip32derivs: bool) {
        for i in 0..psbt.inputs.len() {
            let prevout = psbt.unsigned_tx.input[i].previous_output;
            let Some(prev) = self.bdk.tx_graph().get_tx(prevout.txid) else { continue };
            let Some(spent) = prev.output.get(prevout.vout as usize).cloned() else { continue };
            let input = &mut psbt.inputs[i];
            if input.non_witness_utxo.is_none() {
                input.non_witness_utxo = Some((*prev).clone());
            }
            if input.witness_utxo.is_none() && spent.script_pubkey.is_witness_program() {
                input.witness_utxo = Some(spent.clone());
            }
            if bip32derivs {
                if let Some(derived) = self.derived_descriptor(&spent.script_pubkey) {
                    // A mismatch leaves the input as it was; signing will tell.
                    let _ = psbt.update_input_with_descriptor(i, &derived);
                }
            }
        }
        if bip32derivs {
            for o in 0..psbt.outputs.len() {
                let spk = psbt.unsigned_tx.output[o].script_pubkey.clone();
                if let Some(derived) = self.derived_descriptor(&spk) {
                    let _ = psbt.update_output_with_descriptor(o, &derived);
                }
            }
        }
    }

    /// Takes a transaction seen in the mempool at `time` (if it concerns us).
    pub fn apply_unconfirmed(&mut self, tx: Transaction, time: u64) -> Result<(), WalletError> {
        self.bdk.apply_unconfirmed_txs([(tx, time)]);
        self.persist()
    }

    /// Forgets that a transaction is in the mempool (evicted, replaced).
    pub fn apply_evicted(&mut self, txid: Txid, time: u64) -> Result<(), WalletError> {
        self.bdk.apply_evicted_txs([(txid, time)]);
        self.persist()
    }
}

/// Stores `secrets` sealed under a new master key, itself sealed under
/// `passphrase`; returns the master key record (stored too).
fn store_sealed(
    tx: &bdk_wallet::rusqlite::Transaction<'_>,
    secrets: &Secrets,
    passphrase: &str,
) -> Result<String, WalletError> {
    let master = new_master_key();
    let record = seal_master_key(&master, passphrase)?;
    tx.execute("INSERT OR REPLACE INTO hashvive_meta (key, value) VALUES ('master_key', ?1)", params![record])?;
    for (k, d) in KEYCHAINS.iter().zip(&secrets.descriptors) {
        tx.execute(
            "INSERT OR REPLACE INTO hashvive_sealed_descriptors (keychain, sealed) VALUES (?1, ?2)",
            params![keychain_key(*k), crypter::seal(&master, d.as_bytes())],
        )?;
    }
    Ok(record)
}

/// A wallet file being put in place from elsewhere (a backup, a dump): it is
/// removed again, with its directory if that was made for it, unless kept.
pub struct NewWalletFile {
    dir: PathBuf,
    made_dir: bool,
    kept: bool,
}

impl NewWalletFile {
    /// Prepares `dir` for a wallet file; one already there is refused.
    pub fn start(dir: &Path) -> Result<NewWalletFile, WalletError> {
        if dir.join(WALLET_FILE).exists() {
            return Err(WalletError::AlreadyExists(dir.display().to_string()));
        }
        let made_dir = !dir.exists();
        std::fs::create_dir_all(dir).map_err(|e| WalletError::Other(format!("{}: {e}", dir.display())))?;
        Ok(NewWalletFile { dir: dir.to_path_buf(), made_dir, kept: false })
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(WALLET_FILE)
    }

    /// The file loaded: it stays.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for NewWalletFile {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_file(self.path());
            if self.made_dir {
                let _ = std::fs::remove_dir(&self.dir);
            }
        }
    }
}

/// How long opening a wallet waits for another holder to let go of it.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Opens a wallet file for this process alone, as the reference does: a
/// second process (a node's wallet, the wallet tool) gets a clear error
/// instead of two writers sharing one wallet.
fn open_exclusive(path: &Path) -> Result<Connection, WalletError> {
    let db = Connection::open(path)?;
    db.pragma_update(None, "locking_mode", "exclusive")?;
    // A wallet just unloaded may still be closing (a notification finishing
    // with it); wait for that rather than fail.
    db.busy_timeout(LOCK_WAIT)?;
    // The lock is taken by the first write; take it now.
    match db.execute_batch("BEGIN EXCLUSIVE; COMMIT;") {
        Ok(()) => {
            // In exclusive mode SQLite keeps a rollback journal's contents
            // and only zeroes its header; truncating it at each commit leaves
            // no old page (an old master key record, a clear descriptor) in
            // `wallet.dat-journal`. Set once the file is ours.
            db.pragma_update(None, "journal_mode", "truncate")?;
            db.execute_batch(HASHVIVE_TABLES)?;
            Ok(db)
        }
        Err(e) if e.sqlite_error_code() == Some(bdk_wallet::rusqlite::ErrorCode::DatabaseBusy) => {
            Err(WalletError::Load(format!(
                "Unable to obtain an exclusive lock on the database {}, is it being used by another instance of Hashvive?",
                path.display()
            )))
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether any file of the wallet's (the database, its journal) holds `needle`.
    fn file_holds(dir: &Path, needle: &str) -> bool {
        std::fs::read_dir(dir).unwrap().flatten().any(|entry| {
            let bytes = std::fs::read(entry.path()).unwrap();
            bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        })
    }

    #[test]
    fn a_wallet_created_with_a_passphrase_is_locked_and_never_stores_keys_in_clear() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("w");
        let mut wallet = Wallet::create("w", &dir, Network::Regtest, Some("secret"), 10).unwrap();
        assert!(wallet.is_encrypted() && !wallet.has_keys());
        assert!(wallet.private_descriptors().is_none());
        assert!(matches!(wallet.unlock("wrong", 1), Err(WalletError::WrongPassphrase)));
        assert_eq!(wallet.unlock("secret", 10).unwrap(), 1);
        let key = wallet.private_descriptors().unwrap()[0].to_string();
        let xprv = &key[key.find("tprv").unwrap()..][..111];
        assert!(!file_holds(&dir, xprv));
        // A later unlock supersedes the first one's timer.
        assert_eq!(wallet.unlock("secret", 20).unwrap(), 2);
        wallet.relock_after(1);
        assert!(wallet.has_keys());
        wallet.relock_after(2);
        assert!(!wallet.has_keys() && wallet.unlocked_until() == 0);

        let old_record = wallet.master_key_record.clone().unwrap();
        wallet.change_passphrase("secret", "other").unwrap();
        assert!(!file_holds(&dir, &old_record), "the old master key record is gone, journal included");
        drop(wallet);
        let mut wallet = Wallet::load("w", &dir, Network::Regtest, 10).unwrap();
        assert!(!wallet.has_keys());
        assert!(matches!(wallet.unlock("secret", 1), Err(WalletError::WrongPassphrase)));
        wallet.unlock("other", 1).unwrap();
        assert_eq!(wallet.private_descriptors().unwrap()[0], key);
    }

    #[test]
    fn encrypting_erases_the_clear_keys_from_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("w");
        let mut wallet = Wallet::create("w", &dir, Network::Regtest, None, 10).unwrap();
        let key = wallet.private_descriptors().unwrap()[0].to_string();
        let xprv = key[key.find("tprv").unwrap()..][..111].to_string();
        assert!(file_holds(&dir, &xprv));
        wallet.encrypt("secret").unwrap();
        assert!(!wallet.has_keys());
        assert!(!file_holds(&dir, &xprv));
        wallet.unlock("secret", 1).unwrap();
        assert_eq!(wallet.private_descriptors().unwrap()[0], key);
    }
}
