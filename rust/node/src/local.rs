//! The node's own implementations of the interface traits: what it offers
//! another process over IPC, and what it uses itself when the other side is in
//! this process.

use std::sync::Arc;
use std::time::Duration;

use bitcoin::hashes::Hash;
use bitcoin::BlockHash;

use hashvive_interfaces::{async_trait, BlockRef, Echo, Init, Mining, Result, Rpc};
use hashvive_rpc::request::Request;
use hashvive_rpc::RpcTable;

use hashvive_chain::{Chainstate, Tip};
use hashvive_common::chain::Chain;

use crate::chain::is_initial_block_download;
use crate::http::execute_json;

/// Returns what it is given.
pub struct LocalEcho;

#[async_trait]
impl Echo for LocalEcho {
    async fn echo(&self, text: String) -> Result<String> {
        Ok(text)
    }
}

fn block_ref(tip: Tip) -> BlockRef {
    BlockRef { hash: tip.hash.to_byte_array(), height: tip.height as i32 }
}

pub struct NodeMining {
    chain: Chain,
    chainstate: Arc<Chainstate>,
}

#[async_trait]
impl Mining for NodeMining {
    async fn is_test_chain(&self) -> Result<bool> {
        Ok(self.chain.is_test_chain())
    }

    async fn is_initial_block_download(&self) -> Result<bool> {
        Ok(is_initial_block_download(&self.chainstate.tip()))
    }

    async fn get_tip(&self) -> Result<Option<BlockRef>> {
        Ok(Some(block_ref(self.chainstate.tip())))
    }

    async fn wait_tip_changed(&self, current_tip: [u8; 32], timeout: Duration) -> Result<BlockRef> {
        Ok(block_ref(self.chainstate.wait_tip_changed(BlockHash::from_byte_array(current_tip), timeout).await))
    }
}

/// Executes JSON-RPC requests on the node's runtime, as the HTTP server does.
pub struct NodeRpc {
    table: Arc<RpcTable>,
    runtime: tokio::runtime::Handle,
}

#[async_trait]
impl Rpc for NodeRpc {
    async fn execute_rpc(&self, request: String, uri: String, user: String) -> Result<String> {
        let table = self.table.clone();
        // Handlers may be heavy; they run on the node's threads, not the caller's.
        let reply = self.runtime.spawn(async move {
            let template = Request { uri, auth_user: user, peer_addr: "ipc".into(), ..Default::default() };
            execute_json(&table, request.as_bytes(), &template).await
        });
        reply.await.map_err(|e| hashvive_interfaces::Error::Remote(format!("RPC execution failed: {e}")))
    }
}

/// What a running node offers: echo, mining and RPC.
pub struct NodeInit {
    pub chain: Chain,
    pub chainstate: Arc<Chainstate>,
    pub table: Arc<RpcTable>,
    pub runtime: tokio::runtime::Handle,
}

#[async_trait]
impl Init for NodeInit {
    async fn make_echo(&self) -> Result<Arc<dyn Echo>> {
        Ok(Arc::new(LocalEcho))
    }

    async fn make_mining(&self) -> Result<Arc<dyn Mining>> {
        Ok(Arc::new(NodeMining { chain: self.chain, chainstate: self.chainstate.clone() }))
    }

    async fn make_rpc(&self) -> Result<Arc<dyn Rpc>> {
        Ok(Arc::new(NodeRpc { table: self.table.clone(), runtime: self.runtime.clone() }))
    }
}

/// What `hashvive-node -ipcfd` offers before a parent has set it up as a node:
/// echo only.
pub struct SpawnedInit;

#[async_trait]
impl Init for SpawnedInit {
    async fn make_echo(&self) -> Result<Arc<dyn Echo>> {
        Ok(Arc::new(LocalEcho))
    }

    async fn make_mining(&self) -> Result<Arc<dyn Mining>> {
        Err(unavailable())
    }

    async fn make_rpc(&self) -> Result<Arc<dyn Rpc>> {
        Err(unavailable())
    }
}

fn unavailable() -> hashvive_interfaces::Error {
    hashvive_interfaces::Error::Unavailable(
        "this spawned hashvive-node runs no chain; connect to a node started with -ipcbind".into(),
    )
}
