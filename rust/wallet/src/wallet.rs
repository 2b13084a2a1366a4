//! One loaded wallet: its descriptors (any number, as the reference's
//! descriptor wallets hold them: one active pair per address type, plus
//! imports), the private keys it signs with, its address book and locked
//! coins, and its [`Ledger`] — all in one SQLite file, `wallet.dat`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bdk_wallet::chain::{BlockId, DescriptorExt, DescriptorId};
use bdk_wallet::miniscript::descriptor::{
    DefiniteDescriptorKey, Descriptor, DescriptorPublicKey, KeyMap, KeyMapWrapper,
};
use bdk_wallet::miniscript::psbt::PsbtExt;
use bdk_wallet::miniscript::ForEachKey;
use bdk_wallet::rusqlite::{params, Connection, OptionalExtension};
use bitcoin::bip32::Xpriv;
use bitcoin::psbt::{GetKey, KeyRequest};
use bitcoin::secp256k1::{All, Secp256k1};
use bitcoin::{Block, Network, OutPoint, Psbt, Script, Transaction, Txid};
use hashvive_script::sign::SigningProvider;

use zeroize::Zeroizing;

use crate::crypter::{self, new_master_key, open_master_key, seal_master_key, MasterKey};
use crate::error::WalletError;
use crate::ledger::Ledger;
use crate::output_type::OutputType;

/// The database file inside a wallet's directory.
pub const WALLET_FILE: &str = "wallet.dat";

/// `-keypool`'s default: addresses derived ahead of the last one handed out,
/// per descriptor, so payments to them are found.
pub const DEFAULT_KEYPOOL: u32 = 1000;

/// What `hashvive_meta.format` says of files this version writes: any
/// number of descriptors, tracked by `bdk_chain`'s tables. Earlier files
/// (one descriptor pair in `bdk_wallet`'s tables) have no such record.
const FORMAT: &str = "descriptors-2";

/// Hashvive's tables beside bdk's chain and transaction tables, made when a
/// wallet file is opened:
/// - `hashvive_descriptors`: every descriptor, public, by bdk's descriptor
///   id, with its birth time, whether it derives change, and whether it is
///   the active one of its address type;
/// - `hashvive_private_descriptors`: the same with their private keys, to
///   sign with (none in a wallet with private keys disabled);
/// - `hashvive_sealed_descriptors`: an encrypted wallet's private
///   descriptors instead (see `crypter`; its master key record is
///   `master_key` in `hashvive_meta`);
/// - `hashvive_meta`: facts about the wallet itself (`format`, `birth_time`,
///   `disable_private_keys`, `blank`);
/// - `hashvive_labels`: the address book (`getnewaddress`, `setlabel`);
/// - `hashvive_locked_coins`: coins locked with `lockunspent … persistent=true`;
/// - `hashvive_abandoned`: transactions given up with `abandontransaction`;
/// - `hashvive_replacements`: the wallet's transactions its fee bumps replaced.
const HASHVIVE_TABLES: &str = "
    CREATE TABLE IF NOT EXISTS hashvive_descriptors (id TEXT PRIMARY KEY NOT NULL, descriptor TEXT NOT NULL, created INTEGER NOT NULL, internal INTEGER NOT NULL, active INTEGER NOT NULL, range_end INTEGER, combo TEXT);
    CREATE TABLE IF NOT EXISTS hashvive_private_descriptors (id TEXT PRIMARY KEY NOT NULL, descriptor TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS hashvive_sealed_descriptors (id TEXT PRIMARY KEY NOT NULL, sealed TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS hashvive_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS hashvive_labels (address TEXT PRIMARY KEY NOT NULL, label TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS hashvive_locked_coins (txid TEXT NOT NULL, vout INTEGER NOT NULL, PRIMARY KEY (txid, vout));
    CREATE TABLE IF NOT EXISTS hashvive_abandoned (txid TEXT PRIMARY KEY NOT NULL);
    CREATE TABLE IF NOT EXISTS hashvive_replacements (txid TEXT PRIMARY KEY NOT NULL, replaced_by TEXT NOT NULL);
";

/// How a new wallet starts (`createwallet`'s flags).
#[derive(Clone, Debug, Default)]
pub struct CreateOptions<'a> {
    /// Encrypt the keys from the start; the wallet starts locked.
    pub passphrase: Option<&'a str>,
    /// Watch-only: private keys are never stored.
    pub disable_private_keys: bool,
    /// No descriptors at first (they are imported).
    pub blank: bool,
    /// Addresses derived ahead, per descriptor.
    pub keypool: u32,
}

/// One descriptor the wallet holds (the reference's `WalletDescriptor`).
#[derive(Clone, Debug)]
pub struct WalletDescriptor {
    pub public: Descriptor<DescriptorPublicKey>,
    /// Seconds since the epoch from which its history is looked for.
    pub created: u64,
    /// Its scripts take change, not payments.
    pub internal: bool,
    /// It is the one new addresses of its type come from.
    pub active: bool,
    /// For a ranged descriptor imported with a range: scripts are derived
    /// (recognised) up to this index at least.
    pub range_end: Option<u32>,
    /// The `combo(KEY)` this descriptor is one expansion of (miniscript has
    /// no `combo`: it is kept as its `pk`, `pkh`, `wpkh` and `sh(wpkh)`).
    pub combo: Option<String>,
}

impl WalletDescriptor {
    pub fn output_type(&self) -> Option<OutputType> {
        OutputType::of_descriptor(&self.public)
    }
}

/// A descriptor to add to a wallet.
pub struct NewDescriptor {
    /// Its text: public, or with private keys.
    pub text: Zeroizing<String>,
    pub created: u64,
    pub internal: bool,
    /// Make it the active descriptor of its type (and side).
    pub active: bool,
    /// For ranged descriptors: scripts up to this index are derived now.
    pub range_end: Option<u32>,
    /// For ranged descriptors: the first index handed out next.
    pub next_index: Option<u32>,
    /// The `combo(KEY)` (public) it expands.
    pub combo: Option<String>,
}

pub struct Wallet {
    name: String,
    path: PathBuf,
    ledger: Ledger,
    db: Connection,
    secp: Secp256k1<All>,
    descriptors: BTreeMap<DescriptorId, WalletDescriptor>,
    disable_private_keys: bool,
    blank: bool,
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
    /// Transactions given up (`abandontransaction`).
    abandoned: std::collections::BTreeSet<Txid>,
    /// Transactions replaced by a fee bump, with their replacement.
    replacements: BTreeMap<Txid, Txid>,
    /// When the wallet was created (seconds since the epoch; 0 if unknown).
    birth_time: u64,
    /// The fee rate sends pay (sat/kvB) unless told otherwise, 0 to
    /// estimate: `-paytxfee`, then `settxfee`; not stored, as in the reference.
    pay_tx_fee: u64,
}

/// The private side of a wallet, wiped from memory when dropped (the
/// descriptor texts and master key; the parsed keys as far as secp256k1
/// allows).
#[derive(Default)]
struct Secrets {
    keys: KeyMap,
    /// The private descriptors by the id of their public halves.
    descriptors: BTreeMap<DescriptorId, Zeroizing<String>>,
    /// An encrypted wallet's master key, to seal descriptors imported while
    /// it is unlocked.
    master: Option<MasterKey>,
}

/// A descriptor's text parsed: its public half, and its keys if it had any
/// (written back in a normal form).
struct Parsed {
    public: Descriptor<DescriptorPublicKey>,
    keys: KeyMap,
    private: Option<Zeroizing<String>>,
}

fn parse(secp: &Secp256k1<All>, text: &str) -> Result<Parsed, WalletError> {
    let (public, keys) = Descriptor::<DescriptorPublicKey>::parse_descriptor(secp, text)
        .map_err(|e| WalletError::InvalidDescriptor(e.to_string()))?;
    let private = (!keys.is_empty()).then(|| Zeroizing::new(public.to_string_with_secret(&keys)));
    Ok(Parsed { public, keys, private })
}

impl Secrets {
    fn add(&mut self, id: DescriptorId, parsed: Parsed) {
        if let Some(private) = parsed.private {
            self.keys.extend(parsed.keys);
            self.descriptors.insert(id, private);
        }
    }

    fn wrapper(&self) -> KeyMapWrapper {
        self.keys.clone().into()
    }
}

/// Seconds since the epoch, now.
fn now() -> u64 {
    hashvive_common::time::now().max(0) as u64
}

impl Wallet {
    /// Creates a wallet in directory `dir`: unless blank or watch-only,
    /// with a new seed and the reference's eight active descriptors (BIP44,
    /// 49, 84 and 86, receive and change). Refuses an existing wallet.
    pub fn create(name: &str, dir: &Path, network: Network, options: CreateOptions) -> Result<Wallet, WalletError> {
        if options.disable_private_keys && options.passphrase.is_some() {
            return Err(WalletError::Other("Passphrase provided but private keys are disabled. A passphrase is only used to encrypt private keys, so cannot be used for wallets with private keys disabled.".into()));
        }
        let path = dir.join(WALLET_FILE);
        if path.exists() {
            return Err(WalletError::AlreadyExists(dir.display().to_string()));
        }
        std::fs::create_dir_all(dir).map_err(|e| WalletError::Other(format!("{}: {e}", dir.display())))?;
        let birth_time = now();
        let mut db = open_exclusive(&path)?;
        let master_key_record = {
            let tx = db.transaction()?;
            crate::ledger::init_tables(&tx)?;
            for (key, value) in [
                ("format", FORMAT.to_string()),
                ("birth_time", birth_time.to_string()),
                ("disable_private_keys", u8::from(options.disable_private_keys).to_string()),
                ("blank", u8::from(options.blank).to_string()),
            ] {
                tx.execute("INSERT INTO hashvive_meta (key, value) VALUES (?1, ?2)", params![key, value])?;
            }
            let record = match options.passphrase {
                None => None,
                Some(passphrase) => {
                    let master = new_master_key();
                    let record = seal_master_key(&master, passphrase)?;
                    tx.execute("INSERT INTO hashvive_meta (key, value) VALUES ('master_key', ?1)", params![record])?;
                    Some((record, master))
                }
            };
            tx.commit()?;
            record
        };
        let (master_key_record, master) = master_key_record.unzip();
        let mut wallet = Wallet {
            name: name.to_string(),
            path: dir.to_path_buf(),
            ledger: Ledger::new(network, options.keypool),
            db,
            secp: Secp256k1::new(),
            descriptors: BTreeMap::new(),
            disable_private_keys: options.disable_private_keys,
            blank: options.blank,
            secrets: Some(Secrets { master, ..Secrets::default() }),
            master_key_record,
            unlocked_until: 0,
            unlock_count: 0,
            locked: BTreeMap::new(),
            labels: BTreeMap::new(),
            abandoned: Default::default(),
            replacements: BTreeMap::new(),
            birth_time,
            pay_tx_fee: 0,
        };
        if !options.blank && !options.disable_private_keys {
            let seed: Zeroizing<[u8; 32]> = Zeroizing::new(bitcoin::secp256k1::rand::random());
            let master = Xpriv::new_master(network, seed.as_ref()).map_err(|e| WalletError::Other(e.to_string()))?;
            for output_type in OutputType::ALL {
                for internal in [false, true] {
                    wallet.add_descriptor(NewDescriptor {
                        text: Zeroizing::new(output_type.descriptor(&master, network, internal)),
                        created: birth_time,
                        internal,
                        active: true,
                        range_end: None,
                        next_index: None,
                        combo: None,
                    })?;
                }
            }
        }
        wallet.persist()?;
        if wallet.is_encrypted() {
            wallet.lock();
        }
        Ok(wallet)
    }

    /// Opens the wallet in directory `dir`, checking it is for `network`;
    /// `keypool` addresses are derived ahead.
    pub fn load(name: &str, dir: &Path, network: Network, keypool: u32) -> Result<Wallet, WalletError> {
        let path = dir.join(WALLET_FILE);
        if !path.is_file() {
            return Err(WalletError::NotFound(dir.display().to_string()));
        }
        let mut db = open_exclusive(&path)?;
        let meta = |db: &Connection, key: &str| -> Result<Option<String>, WalletError> {
            Ok(db.query_row("SELECT value FROM hashvive_meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
        };
        if meta(&db, "format")?.as_deref() != Some(FORMAT) {
            return Err(WalletError::Load(format!(
                "{} was written by an earlier version of hashvive, whose wallets held one descriptor pair; this version cannot read it. Create a new wallet and send the coins to it with the earlier version",
                path.display()
            )));
        }
        let secp = Secp256k1::new();
        let mut descriptors = BTreeMap::new();
        {
            let mut rows =
                db.prepare("SELECT descriptor, created, internal, active, range_end, combo FROM hashvive_descriptors")?;
            let stored = rows.query_map([], |r| {
                let flags = (r.get::<_, bool>(2)?, r.get::<_, bool>(3)?);
                let extra = (r.get::<_, Option<u32>>(4)?, r.get::<_, Option<String>>(5)?);
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, flags, extra))
            })?;
            for row in stored {
                let (text, created, (internal, active), (range_end, combo)) = row?;
                let public = parse(&secp, &text)
                    .map_err(|e| WalletError::Load(format!("a stored descriptor does not parse: {e}")))?
                    .public;
                let created = created.max(0) as u64;
                let d = WalletDescriptor { public, created, internal, active, range_end, combo };
                descriptors.insert(d.public.descriptor_id(), d);
            }
        }
        let ledger = load_ledger(&mut db, &descriptors, keypool)?;
        let genesis = bitcoin::constants::genesis_block(network).block_hash();
        if ledger.latest_checkpoint().get(0).is_none_or(|cp| cp.hash() != genesis) {
            return Err(WalletError::Load(format!("{} is a wallet for another network", path.display())));
        }
        let master_key_record = meta(&db, "master_key")?;
        // Checked against the stored public descriptors: keys and wallet
        // belong together. An encrypted wallet's keys are checked at unlock.
        let secrets = match master_key_record {
            Some(_) => None,
            None => {
                let mut secrets = Secrets::default();
                let mut rows = db.prepare("SELECT id, descriptor FROM hashvive_private_descriptors")?;
                let stored =
                    rows.query_map([], |r| Ok((r.get::<_, String>(0)?, Zeroizing::new(r.get::<_, String>(1)?))))?;
                for row in stored {
                    let (id, text) = row?;
                    let parsed = parse(&secp, &text)
                        .map_err(|e| WalletError::Load(format!("a stored private descriptor does not parse: {e}")))?;
                    let id = check_private(&descriptors, &id, &parsed)?;
                    secrets.add(id, parsed);
                }
                Some(secrets)
            }
        };
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
        let txid = |text: String| -> Result<Txid, WalletError> {
            text.parse().map_err(|e| WalletError::Load(format!("a recorded txid: {e}")))
        };
        let abandoned = {
            let mut rows = db.prepare("SELECT txid FROM hashvive_abandoned")?;
            let stored = rows.query_map([], |r| r.get::<_, String>(0))?;
            stored.map(|row| txid(row?)).collect::<Result<_, WalletError>>()?
        };
        let replacements = {
            let mut rows = db.prepare("SELECT txid, replaced_by FROM hashvive_replacements")?;
            let stored = rows.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            stored
                .map(|row| {
                    let (old, new) = row?;
                    Ok((txid(old)?, txid(new)?))
                })
                .collect::<Result<_, WalletError>>()?
        };
        let flag = |key| -> Result<bool, WalletError> { Ok(meta(&db, key)?.as_deref() == Some("1")) };
        let (disable_private_keys, blank) = (flag("disable_private_keys")?, flag("blank")?);
        let birth_time = meta(&db, "birth_time")?.and_then(|t| t.parse().ok()).unwrap_or(0);
        Ok(Wallet {
            name: name.to_string(),
            path: dir.to_path_buf(),
            ledger,
            db,
            secp,
            descriptors,
            disable_private_keys,
            blank,
            secrets,
            master_key_record,
            unlocked_until: 0,
            unlock_count: 0,
            locked,
            labels,
            abandoned,
            replacements,
            birth_time,
            pay_tx_fee: 0,
        })
    }

    /// Adds a descriptor (the reference's `AddWalletDescriptor`): its
    /// scripts are tracked from now on, its private keys (if any) stored,
    /// sealed when the wallet is encrypted. Adding one the wallet holds
    /// updates its range and role. An active descriptor takes the place of
    /// the one its type and side had.
    pub fn add_descriptor(&mut self, new: NewDescriptor) -> Result<DescriptorId, WalletError> {
        let parsed = parse(&self.secp, &new.text)?;
        if parsed.private.is_some() && self.disable_private_keys {
            return Err(WalletError::Other("Cannot import private keys to a wallet with private keys disabled".into()));
        }
        if parsed.private.is_none() && !self.disable_private_keys && !self.blank_of_keys() {
            return Err(WalletError::Other(
                "Cannot import descriptor without private keys to a wallet with private keys enabled".into(),
            ));
        }
        let output_type = OutputType::of_descriptor(&parsed.public);
        if new.active && (output_type.is_none() || !parsed.public.has_wildcard()) {
            return Err(WalletError::InvalidParameter("Active descriptors must be ranged".into()));
        }
        let id = parsed.public.descriptor_id();
        let ranged = parsed.public.has_wildcard();
        let record = WalletDescriptor {
            public: parsed.public.clone(),
            created: new.created,
            internal: new.internal,
            active: new.active,
            range_end: new.range_end.filter(|_| ranged),
            combo: new.combo.clone(),
        };
        // The descriptors whose slot (type and side) an active one takes.
        let replaced: Vec<DescriptorId> = match new.active {
            false => Vec::new(),
            true => self
                .descriptors
                .iter()
                .filter(|(other, d)| {
                    **other != id && d.active && d.internal == new.internal && d.output_type() == output_type
                })
                .map(|(other, _)| *other)
                .collect(),
        };
        let tx = self.db.transaction()?;
        for other in &replaced {
            tx.execute("UPDATE hashvive_descriptors SET active = 0 WHERE id = ?1", [other.to_string()])?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO hashvive_descriptors (id, descriptor, created, internal, active, range_end, combo) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                id.to_string(),
                record.public.to_string(),
                record.created as i64,
                record.internal,
                record.active,
                record.range_end,
                record.combo
            ],
        )?;
        if let Some(private) = &parsed.private {
            let secrets = self.secrets.as_ref().ok_or(WalletError::Locked)?;
            match (&secrets.master, self.master_key_record.is_some()) {
                (Some(master), _) => tx.execute(
                    "INSERT OR REPLACE INTO hashvive_sealed_descriptors (id, sealed) VALUES (?1, ?2)",
                    params![id.to_string(), crypter::seal(master, private.as_bytes())],
                )?,
                (None, false) => tx.execute(
                    "INSERT OR REPLACE INTO hashvive_private_descriptors (id, descriptor) VALUES (?1, ?2)",
                    params![id.to_string(), private.as_str()],
                )?,
                (None, true) => return Err(WalletError::Locked),
            };
        }
        tx.commit()?;
        for other in &replaced {
            if let Some(d) = self.descriptors.get_mut(other) {
                d.active = false;
            }
        }
        self.descriptors.insert(id, record);
        if let Some(secrets) = &mut self.secrets {
            secrets.add(id, parsed);
        }
        self.ledger.track(self.descriptors[&id].public.clone())?;
        match (ranged, new.next_index) {
            (false, _) => self.ledger.reveal_to(id, 0),
            (true, Some(next)) if next > 0 => self.ledger.reveal_to(id, next - 1),
            _ => {}
        }
        if let Some(end) = self.descriptors[&id].range_end {
            self.ledger.derive_to(id, end);
        }
        self.persist()?;
        Ok(id)
    }

    /// A blank wallet with private keys enabled takes its first descriptor
    /// either way, as the reference lets a blank wallet import watch-only
    /// descriptors until it holds keys.
    fn blank_of_keys(&self) -> bool {
        self.blank && self.secrets.as_ref().is_none_or(|s| s.descriptors.is_empty())
    }

    /// Every descriptor the wallet holds, by id.
    pub fn descriptors(&self) -> &BTreeMap<DescriptorId, WalletDescriptor> {
        &self.descriptors
    }

    /// The active descriptor of `output_type` for change (`internal`) or payments.
    pub fn active_descriptor(&self, output_type: OutputType, internal: bool) -> Option<DescriptorId> {
        self.descriptors
            .iter()
            .find(|(_, d)| d.active && d.internal == internal && d.output_type() == Some(output_type))
            .map(|(id, _)| *id)
    }

    /// Whether `spk` is one of the wallet's change scripts.
    pub fn is_change(&self, spk: &Script) -> bool {
        self.ledger.derivation_of_spk(spk).is_some_and(|(id, _)| self.descriptors.get(&id).is_some_and(|d| d.internal))
    }

    /// The private descriptor with id `id`, while the wallet has its keys.
    pub fn private_descriptor(&self, id: &DescriptorId) -> Option<&str> {
        self.secrets.as_ref()?.descriptors.get(id).map(|d| d.as_str())
    }

    /// Private keys can never be held (a watch-only wallet).
    pub fn private_keys_disabled(&self) -> bool {
        self.disable_private_keys
    }

    /// Created blank (`createwallet … blank=true`).
    pub fn is_blank(&self) -> bool {
        self.blank
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
        if self.is_encrypted() {
            return Err(WalletError::Other("the wallet is already encrypted".into()));
        }
        let Some(secrets) = self.secrets.take() else {
            return Err(WalletError::Other("the wallet has no keys to encrypt".into()));
        };
        self.db.pragma_update(None, "secure_delete", "ON")?;
        let master = new_master_key();
        let sealed = (|| -> Result<String, WalletError> {
            let record = seal_master_key(&master, passphrase)?;
            let tx = self.db.transaction()?;
            tx.execute("INSERT OR REPLACE INTO hashvive_meta (key, value) VALUES ('master_key', ?1)", params![record])?;
            for (id, text) in &secrets.descriptors {
                tx.execute(
                    "INSERT OR REPLACE INTO hashvive_sealed_descriptors (id, sealed) VALUES (?1, ?2)",
                    params![id.to_string(), crypter::seal(&master, text.as_bytes())],
                )?;
            }
            tx.execute("DELETE FROM hashvive_private_descriptors", [])?;
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
        let mut secrets = Secrets::default();
        {
            let mut rows = self.db.prepare("SELECT id, sealed FROM hashvive_sealed_descriptors")?;
            let stored = rows.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            for row in stored {
                let (id, sealed) = row?;
                let text = crypter::open(&master, &sealed)?;
                let text = Zeroizing::new(
                    String::from_utf8(text.to_vec())
                        .map_err(|_| WalletError::Load("a sealed descriptor is not text".into()))?,
                );
                let parsed = parse(&self.secp, &text)?;
                // The keys must be this wallet's.
                let id = check_private(&self.descriptors, &id, &parsed)
                    .map_err(|_| WalletError::Load("the sealed keys are not this wallet's".into()))?;
                secrets.add(id, parsed);
            }
        }
        secrets.master = Some(master);
        self.secrets = Some(secrets);
        self.unlocked_until = until;
        self.unlock_count += 1;
        Ok(self.unlock_count)
    }

    /// Derives addresses further ahead: `keypool` beyond the last one handed
    /// out, per descriptor (never fewer than now).
    pub fn set_keypool(&mut self, keypool: u32) -> Result<(), WalletError> {
        if keypool <= self.ledger.lookahead() {
            return Ok(());
        }
        // The index fixes its lookahead when made: read it again, from what
        // was just persisted.
        self.persist()?;
        self.ledger = load_ledger(&mut self.db, &self.descriptors, keypool)?;
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
    /// later `walletpassphrase` sets a new time); whether it did.
    pub fn relock_after(&mut self, unlock: u64) -> bool {
        let latest = unlock == self.unlock_count;
        if latest {
            self.lock();
        }
        latest
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
        let spk = address.script_pubkey();
        (self.ledger.is_mine(&spk) && !self.is_change(&spk)).then_some("")
    }

    /// The wallet's receive addresses handed out so far (or paid), by
    /// descriptor: those the address book lists without a label.
    pub fn receive_addresses(&self, network: Network) -> Vec<bitcoin::Address> {
        let mut addresses = Vec::new();
        for id in self.descriptors.iter().filter(|(_, d)| !d.internal).map(|(id, _)| id) {
            let revealed = self.ledger.last_revealed(*id).map_or(0, |i| i + 1);
            for index in 0..revealed {
                let Some(spk) = self.ledger.script_at(*id, index) else { continue };
                if let Ok(address) = bitcoin::Address::from_script(&spk, network) {
                    addresses.push(address);
                }
            }
        }
        addresses
    }

    /// The address book's labels, by address.
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

    /// What the wallet knows of the chain and its transactions.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    pub fn secp(&self) -> &Secp256k1<All> {
        &self.secp
    }

    /// Hands out the next address of the active descriptor of
    /// `output_type` for change (`internal`) or payments.
    pub fn reveal_next(&mut self, output_type: OutputType, internal: bool) -> Result<bitcoin::ScriptBuf, WalletError> {
        let id = self.active_descriptor(output_type, internal).ok_or(WalletError::NoActiveDescriptor(output_type))?;
        let (_, spk) = self.ledger.reveal_next(id).ok_or(WalletError::NoActiveDescriptor(output_type))?;
        self.persist()?;
        Ok(spk)
    }

    /// The script descriptor `id` derives at `index`.
    pub fn script_at(&self, id: DescriptorId, index: u32) -> Option<bitcoin::ScriptBuf> {
        let d = self.descriptors.get(&id)?.public.at_derivation_index(index).ok()?;
        Some(d.script_pubkey())
    }

    /// Marks the scripts of descriptor `id` up to `index` as handed out.
    pub fn hand_out(&mut self, id: DescriptorId, index: u32) -> Result<(), WalletError> {
        self.ledger.reveal_to(id, index);
        self.persist()
    }

    /// Writes what changed since the last call; every change the wallet
    /// makes is followed by this, so a crash loses nothing acknowledged.
    pub fn persist(&mut self) -> Result<(), WalletError> {
        self.ledger.persist(&mut self.db)
    }

    /// The last block the wallet processed.
    pub fn last_block(&self) -> BlockId {
        self.ledger.latest_checkpoint().block_id()
    }

    /// Makes a new wallet start at `tip` instead of the genesis block: it has
    /// no history to find in older blocks, so none are scanned (the
    /// reference's new wallets start at the tip too).
    pub fn start_at(&mut self, tip: BlockId) -> Result<(), WalletError> {
        self.ledger.start_at(tip)?;
        self.persist()
    }

    /// Takes a block of the active chain at `height`; `false` when it does
    /// not connect to what the wallet has seen (it must catch up first).
    pub fn apply_block(&mut self, block: &Block, height: u32) -> Result<bool, WalletError> {
        // Already taken (a catch-up ran ahead of the notice of this block):
        // taking it again could find more in it than it did then, after a
        // keypool refill, which the reference never does either.
        if self.ledger.latest_checkpoint().get(height).is_some_and(|cp| cp.hash() == block.block_hash()) {
            return Ok(true);
        }
        if !self.ledger.apply_block(block, height) {
            return Ok(false);
        }
        self.persist()?;
        Ok(true)
    }

    /// Forgets block `id` and those above it, if the wallet has it: it left the chain.
    pub fn disconnect_block(&mut self, id: BlockId) -> Result<(), WalletError> {
        if self.ledger.latest_checkpoint().get(id.height).is_some_and(|cp| cp.hash() == id.hash) {
            self.ledger.disconnect_above(id.height.saturating_sub(1))?;
            self.persist()?;
        }
        Ok(())
    }

    /// Forgets the blocks above `height` (they left the chain).
    pub fn disconnect_above(&mut self, height: u32) -> Result<(), WalletError> {
        self.ledger.disconnect_above(height)?;
        self.persist()
    }

    /// Whether `tx` pays one of the wallet's scripts or spends one of its
    /// coins (known to it, or made by one of `earlier`).
    pub fn concerns(&self, tx: &Transaction, earlier: &[Arc<Transaction>]) -> bool {
        let pays_us = tx.output.iter().any(|o| self.ledger.is_mine(&o.script_pubkey));
        pays_us
            || tx.input.iter().any(|i| {
                let spent = match earlier.iter().find(|t| t.compute_txid() == i.previous_output.txid) {
                    Some(t) => t.output.get(i.previous_output.vout as usize).cloned(),
                    None => self.ledger.tx_graph().get_txout(i.previous_output).cloned(),
                };
                spent.is_some_and(|o| self.ledger.is_mine(&o.script_pubkey))
            })
    }

    /// Takes what concerns the wallet in a block of the active chain below
    /// its tip (a rescan): the transactions paying its scripts or spending
    /// its coins, confirmed in that block. A block the wallet knows another
    /// hash for at that height (the chain moved since) is left alone.
    pub fn add_block_history(&mut self, block: &Block, height: u32) -> Result<(), WalletError> {
        let id = BlockId { height, hash: block.block_hash() };
        let tip = self.ledger.latest_checkpoint();
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
        self.ledger.add_confirmed(id, u64::from(block.header.time), found)?;
        self.persist()
    }

    /// Signs every input the wallet's keys can sign and finalizes the PSBT;
    /// `false` when it is not complete.
    pub fn sign(&self, psbt: &mut Psbt) -> Result<bool, WalletError> {
        // Inputs of other wallets (or of a locked one) simply stay
        // unsigned; finalizing tells.
        if let Some(secrets) = &self.secrets {
            let _ = psbt.sign(&secrets.wrapper(), &self.secp);
        }
        Ok(psbt.finalize_mut(&self.secp).is_ok())
    }

    /// Signs the key path of the taproot inputs the wallet has keys for, with
    /// the default sighash type; other inputs are left to `hashvive_script`.
    pub fn sign_taproot(&self, psbt: &mut Psbt) {
        let Some(secrets) = &self.secrets else { return };
        let mut signed = psbt.clone();
        let _ = signed.sign(&secrets.wrapper(), &self.secp);
        for (input, signed) in psbt.inputs.iter_mut().zip(signed.inputs) {
            if input.tap_key_sig.is_none() && input.final_script_witness.is_none() {
                input.tap_key_sig = signed.tap_key_sig;
            }
        }
    }

    /// Adds the private keys for those of `scripts` that are the wallet's
    /// to `provider`, to sign with `hashvive_script`; none while the wallet
    /// is locked.
    pub fn add_keys<'a>(&self, provider: &mut SigningProvider, scripts: impl IntoIterator<Item = &'a Script>) {
        for spk in scripts {
            for key in self.private_keys_for(spk) {
                provider.add_key(&key, &self.secp);
            }
        }
    }

    /// The private keys the wallet has for one of its scripts (none while
    /// it is locked or watches the script only).
    pub fn private_keys_for(&self, spk: &Script) -> Vec<bitcoin::PrivateKey> {
        let (Some(secrets), Some(derived)) = (&self.secrets, self.derived_descriptor(spk)) else {
            return Vec::new();
        };
        let keys = secrets.wrapper();
        let mut found = Vec::new();
        derived.for_each_key(|key| {
            let source = (key.master_fingerprint(), key.full_derivation_path().unwrap_or_default());
            let private = match keys.get_key(KeyRequest::Bip32(source), &self.secp) {
                Ok(Some(private)) => Some(private),
                // A single key, not derived: found by its public key.
                _ => key
                    .derive_public_key(&self.secp)
                    .ok()
                    .and_then(|public| keys.get_key(KeyRequest::Pubkey(public), &self.secp).ok().flatten()),
            };
            found.extend(private);
            true
        });
        found
    }

    /// The wallet's descriptor for one of its scripts, at the script's index.
    pub fn derived_descriptor(&self, spk: &Script) -> Option<Descriptor<DefiniteDescriptorKey>> {
        let (id, index) = self.ledger.derivation_of_spk(spk)?;
        self.descriptors.get(&id)?.public.at_derivation_index(index).ok()
    }

    /// Fills in what the wallet knows for a PSBT (the reference's
    /// `FillPSBT` without signing): the transactions its inputs spend, and,
    /// with `bip32derivs`, the key origins and scripts of its own inputs and
    /// outputs.
    pub fn update_psbt(&self, psbt: &mut Psbt, bip32derivs: bool) {
        for i in 0..psbt.inputs.len() {
            let prevout = psbt.unsigned_tx.input[i].previous_output;
            let Some(prev) = self.ledger.tx_graph().get_tx(prevout.txid) else { continue };
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
        self.ledger.apply_unconfirmed(tx, time);
        self.persist()
    }

    /// Gives up transaction `txid` (`abandontransaction`): out of the
    /// wallet's view, its inputs spendable again, shown as abandoned.
    pub fn abandon(&mut self, txid: Txid, time: u64) -> Result<(), WalletError> {
        self.db.execute("INSERT OR IGNORE INTO hashvive_abandoned (txid) VALUES (?1)", [txid.to_string()])?;
        self.abandoned.insert(txid);
        self.apply_evicted(txid, time)
    }

    /// Whether `txid` was abandoned (and has not come back since).
    pub fn is_abandoned(&self, txid: &Txid) -> bool {
        self.abandoned.contains(txid)
    }

    /// Records that the wallet's fee bump `new` replaced `old`.
    pub fn record_replacement(&mut self, old: Txid, new: Txid) -> Result<(), WalletError> {
        self.db.execute(
            "INSERT OR REPLACE INTO hashvive_replacements (txid, replaced_by) VALUES (?1, ?2)",
            [old.to_string(), new.to_string()],
        )?;
        self.replacements.insert(old, new);
        Ok(())
    }

    /// The fee bump that replaced `txid`, and the transaction `txid` replaced.
    pub fn replacement_of(&self, txid: &Txid) -> (Option<Txid>, Option<Txid>) {
        let replaced_by = self.replacements.get(txid).copied();
        let replaces = self.replacements.iter().find(|(_, new)| *new == txid).map(|(old, _)| *old);
        (replaced_by, replaces)
    }

    /// Forgets that a transaction is in the mempool (evicted, replaced).
    pub fn apply_evicted(&mut self, txid: Txid, time: u64) -> Result<(), WalletError> {
        self.ledger.apply_evicted(txid, time);
        self.persist()
    }
}

/// Reads the ledger of a wallet holding `descriptors`, with the ranges
/// they were imported with derived.
fn load_ledger(
    db: &mut Connection,
    descriptors: &BTreeMap<DescriptorId, WalletDescriptor>,
    keypool: u32,
) -> Result<Ledger, WalletError> {
    let mut ledger = Ledger::load(db, descriptors.values().map(|d| d.public.clone()), keypool)?;
    for (id, d) in descriptors {
        if let Some(end) = d.range_end {
            ledger.derive_to(*id, end);
        }
    }
    Ok(ledger)
}

/// The id of a stored private descriptor, checked against the public one
/// stored with that id.
fn check_private(
    descriptors: &BTreeMap<DescriptorId, WalletDescriptor>,
    stored_id: &str,
    parsed: &Parsed,
) -> Result<DescriptorId, WalletError> {
    let id = parsed.public.descriptor_id();
    match descriptors.get(&id) {
        Some(_) if id.to_string() == stored_id => Ok(id),
        _ => Err(WalletError::Load(format!("private descriptor {stored_id} does not match its public one"))),
    }
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

    fn options(passphrase: Option<&str>) -> CreateOptions<'_> {
        CreateOptions { passphrase, keypool: 10, ..CreateOptions::default() }
    }

    /// The master key in the wallet's first private descriptor.
    fn first_xprv(wallet: &Wallet) -> String {
        let id = wallet.descriptors().keys().next().unwrap();
        let key = wallet.private_descriptor(id).unwrap();
        key[key.find("tprv").unwrap()..][..111].to_string()
    }

    #[test]
    fn a_new_wallet_has_a_receive_and_change_descriptor_per_address_type() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("w");
        let mut wallet = Wallet::create("w", &dir, Network::Regtest, options(None)).unwrap();
        assert_eq!(wallet.descriptors().len(), 8);
        for t in OutputType::ALL {
            for internal in [false, true] {
                let spk = wallet.reveal_next(t, internal).unwrap();
                assert_eq!(wallet.is_change(&spk), internal);
                let address = bitcoin::Address::from_script(&spk, Network::Regtest).unwrap();
                let expected = match t {
                    OutputType::Legacy => bitcoin::AddressType::P2pkh,
                    OutputType::P2shSegwit => bitcoin::AddressType::P2sh,
                    OutputType::Bech32 => bitcoin::AddressType::P2wpkh,
                    OutputType::Bech32m => bitcoin::AddressType::P2tr,
                };
                assert_eq!(address.address_type(), Some(expected));
            }
        }
        let taproot = wallet.reveal_next(OutputType::Bech32m, false).unwrap();
        drop(wallet);
        let wallet = Wallet::load("w", &dir, Network::Regtest, 10).unwrap();
        assert_eq!(wallet.descriptors().len(), 8);
        assert!(wallet.ledger().is_mine(&taproot));
        assert!(matches!(Wallet::load("w", &dir, Network::Testnet, 10), Err(WalletError::Load(_))));
    }

    #[test]
    fn a_watch_only_wallet_takes_public_descriptors_only_and_an_active_one_replaces_its_predecessor() {
        let tmp = tempfile::tempdir().unwrap();
        let secp = Secp256k1::new();
        let master = Xpriv::new_master(Network::Regtest, &[3; 32]).unwrap();
        let private = OutputType::Bech32.descriptor(&master, Network::Regtest, false);
        let (public, _) = Descriptor::<DescriptorPublicKey>::parse_descriptor(&secp, &private).unwrap();
        let new = |text: &str, active| NewDescriptor {
            text: Zeroizing::new(text.to_string()),
            created: 0,
            internal: false,
            active,
            range_end: Some(20),
            next_index: None,
            combo: None,
        };
        let watch = CreateOptions { disable_private_keys: true, keypool: 5, ..CreateOptions::default() };
        let mut wallet = Wallet::create("w", &tmp.path().join("w"), Network::Regtest, watch).unwrap();
        assert!(wallet.descriptors().is_empty());
        assert!(matches!(wallet.reveal_next(OutputType::Bech32, false), Err(WalletError::NoActiveDescriptor(_))));
        assert!(wallet.add_descriptor(new(&private, true)).is_err(), "no private keys in a watch-only wallet");
        let first = wallet.add_descriptor(new(&public.to_string(), true)).unwrap();
        // Derived up to the range's end, beyond the keypool.
        let far = wallet.script_at(first, 20).unwrap();
        assert!(wallet.ledger().is_mine(&far));
        let other = Xpriv::new_master(Network::Regtest, &[4; 32]).unwrap();
        let (second, _) = Descriptor::<DescriptorPublicKey>::parse_descriptor(
            &secp,
            &OutputType::Bech32.descriptor(&other, Network::Regtest, false),
        )
        .unwrap();
        let second = wallet.add_descriptor(new(&second.to_string(), true)).unwrap();
        assert_eq!(wallet.active_descriptor(OutputType::Bech32, false), Some(second));
        assert!(!wallet.descriptors()[&first].active);

        let mut keyed = Wallet::create("k", &tmp.path().join("k"), Network::Regtest, options(None)).unwrap();
        let refused = keyed.add_descriptor(new(&public.to_string(), false));
        assert!(matches!(refused, Err(WalletError::Other(m)) if m.contains("without private keys")));
    }

    #[test]
    fn a_wallet_created_with_a_passphrase_is_locked_and_never_stores_keys_in_clear() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("w");
        let mut wallet = Wallet::create("w", &dir, Network::Regtest, options(Some("secret"))).unwrap();
        assert!(wallet.is_encrypted() && !wallet.has_keys());
        assert!(matches!(wallet.unlock("wrong", 1), Err(WalletError::WrongPassphrase)));
        assert_eq!(wallet.unlock("secret", 10).unwrap(), 1);
        let xprv = first_xprv(&wallet);
        assert!(!file_holds(&dir, &xprv));
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
        assert_eq!(first_xprv(&wallet), xprv);
        assert_eq!(wallet.descriptors().keys().filter(|id| wallet.private_descriptor(id).is_some()).count(), 8);
    }

    #[test]
    fn encrypting_erases_the_clear_keys_from_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("w");
        let mut wallet = Wallet::create("w", &dir, Network::Regtest, options(None)).unwrap();
        let xprv = first_xprv(&wallet);
        assert!(file_holds(&dir, &xprv));
        wallet.encrypt("secret").unwrap();
        assert!(!wallet.has_keys());
        assert!(!file_holds(&dir, &xprv));
        wallet.unlock("secret", 1).unwrap();
        assert_eq!(first_xprv(&wallet), xprv);
    }
}
