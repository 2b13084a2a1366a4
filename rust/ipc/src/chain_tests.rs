//! What a node and its wallet process exchange, through proxies and servers
//! over a real socket pair: the `Chain` calls, and the callbacks that cross
//! back (`ChainNotifications`, `RpcActor`), including calls made while
//! serving a call from the other side.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hashvive_interfaces::{
    async_trait, BlockRef, BroadcastError, Chain, ChainNotifications, Error, FeeEstimate, FoundBlock, Handler, Init,
    RemovalReason, Result, RpcActor, RpcCall, RpcCommand, RpcFault, Wallet, WalletLoader, WalletLoaderNotifications,
};

use crate::tests::{pair_serving, runtime, wait_for, Registration};

const TIP: BlockRef = BlockRef { hash: [9; 32], height: 7 };

/// A node's chain: answers from constants, remembers its listeners.
#[derive(Default)]
struct TestChain {
    listeners: Mutex<Vec<Arc<dyn ChainNotifications>>>,
    actors: Mutex<Vec<Arc<dyn RpcActor>>>,
    ended: Arc<AtomicUsize>,
}

#[async_trait]
impl Chain for TestChain {
    async fn get_tip(&self) -> Result<BlockRef> {
        Ok(TIP)
    }
    async fn get_block_hash(&self, height: i32) -> Result<Option<[u8; 32]>> {
        Ok((height <= TIP.height).then_some([height as u8; 32]))
    }
    async fn find_block(&self, hash: [u8; 32], with_data: bool) -> Result<Option<FoundBlock>> {
        Ok((hash == TIP.hash).then(|| FoundBlock {
            hash,
            height: TIP.height,
            time: 1_700_000_000,
            median_time_past: 1_699_999_000,
            in_active_chain: true,
            data: with_data.then(|| vec![1, 2, 3]),
        }))
    }
    async fn prune_height(&self) -> Result<Option<i32>> {
        Ok(Some(3))
    }
    async fn read_blocks(&self, start_height: i32, max_count: u32) -> Result<Vec<Vec<u8>>> {
        Ok((start_height..=TIP.height).take(max_count as usize).map(|h| vec![h as u8; 3]).collect())
    }
    async fn is_in_mempool(&self, txid: [u8; 32]) -> Result<bool> {
        Ok(txid[0] == 1)
    }
    async fn find_coins(&self, outpoints: Vec<([u8; 32], u32)>) -> Result<Vec<Option<Vec<u8>>>> {
        Ok(outpoints.iter().map(|(txid, vout)| (txid[0] == 1).then(|| vec![*vout as u8; 9])).collect())
    }
    async fn mempool_transactions(&self) -> Result<Vec<Vec<u8>>> {
        Ok(vec![vec![0xaa], vec![]])
    }
    async fn edit_settings_list(&self, name: String, item: String, present: bool) -> Result<bool> {
        Ok(name == "wallet" && item == "w1" && present)
    }
    async fn broadcast_transaction(
        &self,
        tx: Vec<u8>,
        max_fee: i64,
    ) -> Result<std::result::Result<(), BroadcastError>> {
        Ok(match (tx.first(), max_fee) {
            (_, -1) => return Err(Error::Remote("the node failed".into())),
            (Some(0), _) => Ok(()),
            (Some(1), _) => Err(BroadcastError::MissingInputs),
            (Some(2), _) => Err(BroadcastError::AlreadyInChain),
            (Some(3), _) => Err(BroadcastError::MaxFeeExceeded),
            _ => Err(BroadcastError::Rejected("min relay fee not met, 0 < 110".into())),
        })
    }
    async fn estimate_smart_fee(&self, target: u32, _conservative: bool) -> Result<Option<FeeEstimate>> {
        Ok((target > 1).then_some(FeeEstimate { sat_per_kvb: 1234, blocks: target + 1 }))
    }
    async fn relay_min_fee(&self) -> Result<u64> {
        Ok(100)
    }
    async fn mempool_min_fee(&self) -> Result<u64> {
        Ok(200)
    }
    async fn is_initial_block_download(&self) -> Result<bool> {
        Ok(false)
    }
    async fn handle_notifications(&self, notifications: Arc<dyn ChainNotifications>) -> Result<Box<dyn Handler>> {
        // Delivered later, in order, as the node does.
        let first = notifications.clone();
        tokio::spawn(async move {
            first.transaction_added_to_mempool(vec![1]).await;
            first.transaction_removed_from_mempool(vec![2], RemovalReason::Replaced).await;
            first.block_connected(vec![3], 8).await;
            first.block_disconnected(vec![3], 8).await;
            first.updated_block_tip(TIP).await;
        });
        self.listeners.lock().unwrap().push(notifications);
        Ok(Box::new(Registration(self.ended.clone())))
    }
    async fn handle_rpc(&self, command: RpcCommand, actor: Arc<dyn RpcActor>) -> Result<Box<dyn Handler>> {
        assert_eq!(command.name, "getbalance");
        self.actors.lock().unwrap().push(actor);
        Ok(Box::new(Registration(self.ended.clone())))
    }
}

/// A wallet's ears: what it heard, in order.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

#[async_trait]
impl ChainNotifications for Recorder {
    async fn transaction_added_to_mempool(&self, tx: Vec<u8>) {
        self.0.lock().unwrap().push(format!("added {tx:?}"));
    }
    async fn transaction_removed_from_mempool(&self, tx: Vec<u8>, reason: RemovalReason) {
        self.0.lock().unwrap().push(format!("removed {tx:?} {reason:?}"));
    }
    async fn block_connected(&self, block: Vec<u8>, height: i32) {
        self.0.lock().unwrap().push(format!("connected {block:?} {height}"));
    }
    async fn block_disconnected(&self, block: Vec<u8>, height: i32) {
        self.0.lock().unwrap().push(format!("disconnected {block:?} {height}"));
    }
    async fn updated_block_tip(&self, tip: BlockRef) {
        self.0.lock().unwrap().push(format!("tip {}", tip.height));
    }
}

struct Balance;

#[async_trait]
impl RpcActor for Balance {
    async fn call(&self, call: RpcCall) -> Result<std::result::Result<String, RpcFault>> {
        Ok(match call.uri.as_str() {
            "/wallet/w" => Ok(format!("{{\"params\":{}}}", call.params)),
            _ => Err(RpcFault { code: -18, message: "Requested wallet does not exist or is not loaded".into() }),
        })
    }
}

/// A wallet process: its loader asks the node's chain (a callback into the
/// process that is waiting for `start` to answer).
struct WalletInit;

struct Loader {
    chain: Arc<dyn Chain>,
    args: Vec<String>,
}

#[async_trait]
impl WalletLoader for Loader {
    async fn start(&self) -> Result<()> {
        let tip = self.chain.get_tip().await?;
        if tip != TIP {
            return Err(Error::Remote("wrong tip".into()));
        }
        match self.args.first().map(String::as_str) {
            Some("-wallet=missing") => Err(Error::Remote("Wallet file verification failed.".into())),
            _ => Ok(()),
        }
    }
    async fn list_wallets(&self) -> Result<Vec<String>> {
        Ok(self.args.iter().filter_map(|a| a.strip_prefix("-wallet=")).map(str::to_string).collect())
    }
    async fn wallets(&self) -> Result<Vec<Arc<dyn Wallet>>> {
        Ok(Vec::new())
    }
    async fn handle_load_wallet(&self, _: Arc<dyn WalletLoaderNotifications>) -> Result<Box<dyn Handler>> {
        Err(Error::Unavailable("no GUI here".into()))
    }
    async fn stop(&self) -> Result<()> {
        Ok(())
    }
}

#[async_trait]
impl Init for WalletInit {
    async fn make_wallet_loader(&self, chain: Arc<dyn Chain>, args: Vec<String>) -> Result<Arc<dyn WalletLoader>> {
        Ok(Arc::new(Loader { chain, args }))
    }
}

/// A node's `Init` that offers its chain, as to `hashvive-wallet -ipcconnect`.
struct NodeInit(Arc<TestChain>);

#[async_trait]
impl Init for NodeInit {
    async fn make_chain(&self) -> Result<Arc<dyn Chain>> {
        Ok(self.0.clone())
    }
}

#[test]
fn chain_calls_round_trip() {
    let served = Arc::new(TestChain::default());
    let (_server, _client, init) = pair_serving(Arc::new(NodeInit(served.clone())));
    runtime().block_on(async {
        let chain = init.make_chain().await.unwrap();
        assert_eq!(chain.get_tip().await.unwrap(), TIP);
        assert_eq!(chain.get_block_hash(3).await.unwrap(), Some([3; 32]));
        assert_eq!(chain.get_block_hash(8).await.unwrap(), None);
        let found = chain.find_block(TIP.hash, true).await.unwrap().unwrap();
        assert_eq!((found.height, found.time, found.data), (7, 1_700_000_000, Some(vec![1, 2, 3])));
        assert_eq!(chain.find_block(TIP.hash, false).await.unwrap().unwrap().data, None);
        assert_eq!(chain.find_block([0; 32], true).await.unwrap(), None);
        assert_eq!(chain.read_blocks(6, 10).await.unwrap(), vec![vec![6; 3], vec![7; 3]]);
        assert!(chain.read_blocks(8, 10).await.unwrap().is_empty());
        assert!(chain.is_in_mempool([1; 32]).await.unwrap());
        let coins = chain.find_coins(vec![([1; 32], 7), ([2; 32], 0)]).await.unwrap();
        assert_eq!(coins, vec![Some(vec![7; 9]), None]);
        assert_eq!(chain.mempool_transactions().await.unwrap(), vec![vec![0xaa], vec![]]);
        assert!(chain.edit_settings_list("wallet".into(), "w1".into(), true).await.unwrap());
        assert!(!chain.edit_settings_list("wallet".into(), "w1".into(), false).await.unwrap());
        assert_eq!(chain.broadcast_transaction(vec![0], 0).await.unwrap(), Ok(()));
        assert_eq!(chain.broadcast_transaction(vec![1], 0).await.unwrap(), Err(BroadcastError::MissingInputs));
        assert_eq!(chain.broadcast_transaction(vec![2], 0).await.unwrap(), Err(BroadcastError::AlreadyInChain));
        assert_eq!(chain.broadcast_transaction(vec![3], 0).await.unwrap(), Err(BroadcastError::MaxFeeExceeded));
        assert_eq!(
            chain.broadcast_transaction(vec![4], 0).await.unwrap(),
            Err(BroadcastError::Rejected("min relay fee not met, 0 < 110".into()))
        );
        assert_eq!(chain.broadcast_transaction(vec![0], -1).await, Err(Error::Remote("the node failed".into())));
        assert_eq!(chain.estimate_smart_fee(1, true).await.unwrap(), None);
        assert_eq!(
            chain.estimate_smart_fee(6, true).await.unwrap(),
            Some(FeeEstimate { sat_per_kvb: 1234, blocks: 7 })
        );
        assert_eq!((chain.relay_min_fee().await.unwrap(), chain.mempool_min_fee().await.unwrap()), (100, 200));
        assert_eq!(chain.prune_height().await.unwrap(), Some(3));
        assert!(!chain.is_initial_block_download().await.unwrap());
    });
}

#[test]
fn callbacks_cross_back_in_order_and_registrations_end_with_their_handlers() {
    let served = Arc::new(TestChain::default());
    let (_server, _client, init) = pair_serving(Arc::new(NodeInit(served.clone())));
    runtime().block_on(async {
        let chain = init.make_chain().await.unwrap();
        let heard = Arc::new(Recorder::default());
        let notifications = chain.handle_notifications(heard.clone()).await.unwrap();
        wait_for(|| heard.0.lock().unwrap().len() == 5).await;
        assert_eq!(
            *heard.0.lock().unwrap(),
            ["added [1]", "removed [2] Replaced", "connected [3] 8", "disconnected [3] 8", "tip 7"]
        );

        let command = RpcCommand {
            name: "getbalance".into(),
            category: "wallet".into(),
            signature: "getbalance".into(),
            help: "getbalance\n".into(),
        };
        let rpc = chain.handle_rpc(command, Arc::new(Balance)).await.unwrap();
        // The node calls the wallet's method through its proxy of the actor.
        let actor = served.actors.lock().unwrap()[0].clone();
        let call =
            |uri: &str| RpcCall { method: "getbalance".into(), params: "[]".into(), uri: uri.into(), user: "u".into() };
        assert_eq!(actor.call(call("/wallet/w")).await.unwrap(), Ok("{\"params\":[]}".into()));
        assert_eq!(actor.call(call("/")).await.unwrap().unwrap_err().code, -18);

        // Dropping a handler ends the registration on the node's side.
        assert_eq!(served.ended.load(Ordering::SeqCst), 0);
        drop(notifications);
        drop(rpc);
        wait_for(|| served.ended.load(Ordering::SeqCst) == 2).await;
    });
}

#[test]
fn a_wallet_loader_calls_back_into_the_process_waiting_for_it() {
    let (_server, _client, init) = pair_serving(Arc::new(WalletInit));
    let chain: Arc<dyn Chain> = Arc::new(TestChain::default());
    runtime().block_on(async {
        let args = vec!["-wallet=w".to_string(), "-regtest".to_string()];
        let loader = init.make_wallet_loader(chain.clone(), args).await.unwrap();
        loader.start().await.unwrap();
        assert_eq!(loader.list_wallets().await.unwrap(), ["w"]);
        loader.stop().await.unwrap();

        let failing = init.make_wallet_loader(chain, vec!["-wallet=missing".into()]).await.unwrap();
        assert_eq!(failing.start().await, Err(Error::Remote("Wallet file verification failed.".into())));
    });
}

#[test]
fn a_process_without_the_interface_says_so() {
    let (_server, _client, init) = pair_serving(Arc::new(WalletInit));
    let outcome = runtime().block_on(init.make_chain());
    assert!(
        matches!(&outcome, Err(Error::Remote(m)) if m.contains("does not offer the Chain interface")),
        "{:?}",
        outcome.map(|_| ())
    );
}
