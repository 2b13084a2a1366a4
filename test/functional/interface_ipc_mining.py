#!/usr/bin/env python3
"""The Mining and BlockTemplate IPC interfaces of hashvive-node, driven by
pycapnp as a Stratum v2 template provider written for the reference node
would: createNewBlock, the template's inspectors, a coinbase built from
getCoinbaseTx and solved here, submitSolution, checkBlock, waitNext,
submitBlock, the transaction lookups and the interrupts."""

import asyncio
import inspect
import os
import struct

from test_framework.ipc import IpcClient, capnp, load_schemas
from test_framework.miniwallet import COIN, MiniWallet, Tx, compact_size, hash256, solve
from test_framework.test_framework import HashviveTestFramework, SkipTest
from test_framework.util import assert_equal

MAX_MONEY = 21_000_000 * COIN
WITNESS_RESERVED_VALUE = bytes(32)
# A P2PKH output: one legacy signature operation, a sigop cost of 4.
P2PKH_SCRIPT = bytes.fromhex("76a914" + "11" * 20 + "88ac")


def read_compact(b, pos):
    n = b[pos]
    if n < 0xFD:
        return n, pos + 1
    size = {0xFD: 2, 0xFE: 4, 0xFF: 8}[n]
    return int.from_bytes(b[pos + 1:pos + 1 + size], "little"), pos + 1 + size


def parse_tx(b, pos):
    """One serialized transaction at `pos`: (its bytes, its txid in internal order, the end)."""
    start = pos
    pos += 4
    segwit = b[pos] == 0 and b[pos + 1] == 1
    if segwit:
        pos += 2
    body = pos
    n_in, pos = read_compact(b, pos)
    for _ in range(n_in):
        length, pos = read_compact(b, pos + 36)
        pos += length + 4
    n_out, pos = read_compact(b, pos)
    for _ in range(n_out):
        length, pos = read_compact(b, pos + 8)
        pos += length
    body_end = pos
    if segwit:
        for _ in range(n_in):
            items, pos = read_compact(b, pos)
            for _ in range(items):
                length, pos = read_compact(b, pos)
                pos += length
    stripped = b[start:start + 4] + b[body:body_end] + b[pos:pos + 4]
    return b[start:pos + 4], hash256(stripped), pos + 4


def parse_block(b):
    """(header, [(tx bytes, txid)]) of a serialized block."""
    count, pos = read_compact(b, 80)
    txs = []
    for _ in range(count):
        raw, txid, pos = parse_tx(b, pos)
        txs.append((raw, txid))
    assert_equal(pos, len(b))
    return b[:80], txs


def bip34_prefix(height):
    """The BIP34 height push a coinbase script starts with."""
    if height <= 16:
        return bytes([0x50 + height])
    data = height.to_bytes((height.bit_length() + 8) // 8, "little")
    return bytes([len(data)]) + data


def block_hash(header):
    return hash256(header)[::-1].hex()


class IPCMiningTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def skip_test_if_missing_module(self):
        self.skip_if_no_ipc_client()
        # Mining over IPC is what hashvive-node offers; the other daemons have no socket.
        if os.path.basename(self.daemon_path) != "hashvive-node":
            raise SkipTest("the node under test is not hashvive-node")

    def setup_network(self):
        self.add_nodes(1, [["-ipcbind=unix"]])
        self.start_nodes()
        self.socket = os.path.join(self.nodes[0].chain_path, "node.sock")
        self.schemas = load_schemas(self.config["environment"]["SRCDIR"])

    def run(self, routine):
        return asyncio.run(capnp.run(routine()))

    async def wait_and_do(self, wait, do):
        """Starts `wait` (a coroutine making IPC calls), lets it reach the node, runs `do`, and returns what `wait` returns."""
        task = asyncio.ensure_future(wait)
        await asyncio.sleep(0.2)
        result = do()
        if inspect.isawaitable(result):
            await result
        return await task

    def run_test(self):
        node = self.nodes[0]
        self.wallet = MiniWallet(node)
        self.log.info("Mine past coinbase maturity, which also ends initial block download")
        self.wallet.generate(101)

        async def routine():
            c = await IpcClient(self.schemas).connect(self.socket)
            self.ctx = c.ctx
            self.mining = (await c.init.makeMining(c.ctx)).result
            await self.test_template_contents()
            await self.test_create_options()
            await self.test_submit_solution()
            await self.test_wait_next()
            await self.test_submit_block()
            await self.test_transaction_lookup()
            await self.test_interrupts()
            c.close()
        self.run(routine)

    def create_options(self, **fields):
        options = self.schemas["mining"].BlockCreateOptions()
        for name, value in fields.items():
            setattr(options, name, value)
        return options

    def wait_options(self, timeout, fee_threshold=MAX_MONEY):
        options = self.schemas["mining"].BlockWaitOptions()
        options.timeout = timeout
        options.feeThreshold = fee_threshold
        return options

    async def new_template(self, **fields):
        reply = await self.mining.createNewBlock(self.ctx, self.create_options(**fields))
        assert reply._has("result")
        return reply.result

    async def block_of(self, template):
        return parse_block(bytes((await template.getBlock(self.ctx)).result))

    async def coinbase_for(self, template, extra_nonce):
        """A coinbase paying the wallet, built only from getCoinbaseTx as a pool would."""
        cb = (await template.getCoinbaseTx(self.ctx)).result
        tx = Tx(version=cb.version, locktime=cb.lockTime)
        tx.add_input("00" * 32, 0xFFFFFFFF, sequence=cb.sequence, script_sig=bytes(cb.scriptSigPrefix) + extra_nonce,
                     witness=[bytes(cb.witness)] if cb._has("witness") else None)
        tx.add_output(cb.blockRewardRemaining, self.wallet.script_pubkey)
        for output in cb.requiredOutputs:
            output = bytes(output)
            length, pos = read_compact(output, 8)
            assert_equal(pos + length, len(output))
            tx.add_output(struct.unpack("<q", output[:8])[0], output[pos:])
        return tx.serialize()

    async def solved_block(self, template, extra_nonce, version=None):
        """The template finished with our coinbase (merkle root from getCoinbaseMerklePath) and solved."""
        header, txs = await self.block_of(template)
        coinbase = await self.coinbase_for(template, extra_nonce)
        _, coinbase_txid, _ = parse_tx(coinbase, 0)
        root = coinbase_txid
        for sibling in (await template.getCoinbaseMerklePath(self.ctx)).result:
            root = hash256(root + bytes(sibling))
        version = header[:4] if version is None else struct.pack("<I", version)
        header = version + header[4:36] + root + header[68:]
        raw = header + compact_size(len(txs)) + coinbase + b"".join(tx for tx, _ in txs[1:])
        return bytes(solve(bytearray(raw))), coinbase

    @staticmethod
    def header_fields(block):
        return struct.unpack("<I", block[:4])[0], struct.unpack("<I", block[68:72])[0], struct.unpack("<I", block[76:80])[0]

    async def test_template_contents(self):
        self.log.info("createNewBlock: header and block on the tip, fees and sigops of a mempool transaction")
        node = self.nodes[0]
        tx = Tx()
        utxo = self.wallet.get_utxo()
        tx.add_input(utxo["txid"], utxo["vout"], witness=[self.wallet.witness_script])
        fee = 10_000
        tx.add_output(1000, P2PKH_SCRIPT)
        tx.add_output(utxo["value"] - 1000 - fee, self.wallet.script_pubkey)
        txid = node.sendrawtransaction(tx.hex())
        self.wallet.utxos.append({"txid": txid, "vout": 1, "value": utxo["value"] - 1000 - fee, "height": None, "coinbase": False})

        template = await self.new_template()
        header = bytes((await template.getBlockHeader(self.ctx)).result)
        assert_equal(len(header), 80)
        block_header, txs = await self.block_of(template)
        assert_equal(block_header, header)
        assert_equal(header[4:36][::-1].hex(), node.getbestblockhash())
        assert_equal([t[::-1].hex() for _, t in txs[1:]], [txid])
        assert_equal(list((await template.getTxFees(self.ctx)).result), [fee])
        assert_equal(list((await template.getTxSigops(self.ctx)).result), [4])

        self.log.info("getCoinbaseTx and getCoinbaseMerklePath")
        cb = (await template.getCoinbaseTx(self.ctx)).result
        height = node.getblockcount() + 1
        assert_equal(bytes(cb.scriptSigPrefix), bip34_prefix(height))
        assert_equal(bytes(cb.witness), WITNESS_RESERVED_VALUE)
        assert_equal(cb.blockRewardRemaining, 50 * COIN + fee)
        assert_equal(len(cb.requiredOutputs), 1)
        assert bytes(cb.requiredOutputs[0])[9:15] == bytes.fromhex("6a24aa21a9ed"), "the witness commitment"
        path = [bytes(h) for h in (await template.getCoinbaseMerklePath(self.ctx)).result]
        assert_equal(path, [txs[1][1]])

        self.log.info("destroy: the template is gone for good")
        await template.destroy(self.ctx)
        try:
            await template.getBlock(self.ctx)
            raise AssertionError("a destroyed BlockTemplate answered")
        except capnp.KjException as e:
            assert "BlockTemplate object was destroyed" in str(e)

    async def test_create_options(self):
        self.log.info("createNewBlock options: no mempool, a reserve filling the block, out-of-range values")
        _, txs = await self.block_of(await self.new_template(useMempool=False))
        assert_equal(len(txs), 1)
        _, txs = await self.block_of(await self.new_template(blockReservedWeight=4_000_000))
        assert_equal(len(txs), 1)
        for fields, message in [
            ({"blockReservedWeight": 0}, "block_reserved_weight (0) is lower than minimum safety value of (2000)"),
            ({"blockReservedWeight": 4_000_001}, "block_reserved_weight (4000001) exceeds consensus maximum block weight (4000000)"),
            ({"coinbaseOutputMaxAdditionalSigops": 80_001},
             "coinbase_output_max_additional_sigops (80001) exceeds consensus maximum block sigops cost (80000)"),
        ]:
            try:
                await self.mining.createNewBlock(self.ctx, self.create_options(**fields))
                raise AssertionError("createNewBlock accepted %r" % fields)
            except capnp.KjException as e:
                assert message in str(e), str(e)

    async def test_submit_solution(self):
        self.log.info("checkBlock and submitSolution with a coinbase built here; the tip moves")
        node = self.nodes[0]
        check = self.schemas["mining"].BlockCheckOptions()
        template = await self.new_template()
        height = node.getblockcount() + 1

        unsolved = bytearray((await template.getBlock(self.ctx)).result)
        version = self.header_fields(unsolved)[0]
        no_pow = self.schemas["mining"].BlockCheckOptions()
        no_pow.checkPow = False
        assert_equal((await self.mining.checkBlock(self.ctx, bytes(unsolved), no_pow)).result, True)
        # Regtest's target lets about every second hash through: find one it does not.
        while int.from_bytes(hash256(bytes(unsolved[:80])), "little") <= 0x7FFFFF << (8 * 29):
            unsolved[76:80] = struct.pack("<I", struct.unpack("<I", unsolved[76:80])[0] + 1)
        reply = await self.mining.checkBlock(self.ctx, bytes(unsolved), check)
        assert_equal((reply.result, reply.reason, reply.debug), (False, "high-hash", "proof of work failed"))

        bad, coinbase = await self.solved_block(template, b"\x01bad", version=0)
        reply = await self.mining.checkBlock(self.ctx, bad, check)
        assert_equal((reply.result, reply.reason, reply.debug),
                     (False, "bad-version(0x00000000)", "rejected nVersion=0x00000000 block"))
        reply = await template.submitSolution(self.ctx, *self.header_fields(bad), coinbase)
        assert_equal((reply.result, reply.reason), (False, "bad-version(0x00000000)"))
        assert_equal(node.getblockcount(), height - 1)
        self.log.info("submitSolution leaves the finished block in the template")
        assert_equal(bytes((await template.getBlock(self.ctx)).result), bad)

        self.log.info("Malformed input is refused, and the node keeps serving")
        for call in [lambda: self.mining.checkBlock(self.ctx, b"\x00", check),
                     lambda: template.submitSolution(self.ctx, 0, 0, 0, b"\x00"),
                     lambda: self.mining.submitBlock(self.ctx, bad[:-15])]:
            try:
                await call()
                raise AssertionError("malformed data was accepted")
            except capnp.KjException as e:
                assert "decode failed" in str(e), str(e)
        reply = await template.submitSolution(self.ctx, 0, 0, 0, b"")
        assert_equal((reply.result, reply.reason), (False, "bad-cb-missing"))

        # The template now holds the rejected block: take the version from before.
        block, coinbase = await self.solved_block(template, b"\x04pool", version=version)
        reply = await self.mining.checkBlock(self.ctx, block, check)
        assert_equal((reply.result, reply.reason, reply.debug), (True, "", ""))
        reply = await template.submitSolution(self.ctx, *self.header_fields(block), coinbase)
        assert_equal((reply.result, reply.reason, reply.debug), (True, "", ""))
        assert_equal(node.getbestblockhash(), block_hash(block[:80]))
        assert_equal(node.getblockcount(), height)
        assert_equal(node.getblock(block_hash(block[:80]), 0), block.hex())
        tip = (await self.mining.getTip(self.ctx)).result
        assert_equal((bytes(tip.hash)[::-1].hex(), tip.height), (node.getbestblockhash(), height))

        self.log.info("The same block again: not on the tip any more, and a duplicate")
        reply = await self.mining.checkBlock(self.ctx, block, check)
        assert_equal((reply.result, reply.reason), (False, "inconclusive-not-best-prevblk"))
        reply = await self.mining.submitBlock(self.ctx, block)
        assert_equal((reply.result, reply.reason, reply.debug), (False, "duplicate", ""))
        reply = await template.submitSolution(self.ctx, *self.header_fields(block), coinbase)
        assert_equal((reply.result, reply.reason), (False, "duplicate"))
        self.wallet.scan_block(node.getbestblockhash())

    async def test_wait_next(self):
        self.log.info("waitNext: a new template after a new block, none on timeout")
        node = self.nodes[0]
        template = await self.new_template()
        reply = await template.waitNext(self.ctx, self.wait_options(100))
        assert not reply._has("result")

        reply = await self.wait_and_do(template.waitNext(self.ctx, self.wait_options(60_000)),
                                       lambda: self.wallet.generate(1))
        assert reply._has("result")
        header, _ = await self.block_of(reply.result)
        assert_equal(header[4:36][::-1].hex(), node.getbestblockhash())

        self.log.info("waitNext: a new template once fees rise by the threshold")
        template = reply.result
        sent = self.wallet.send_self_transfer()
        reply = await template.waitNext(self.ctx, self.wait_options(10_000, fee_threshold=1))
        assert reply._has("result")
        assert_equal(list((await reply.result.getTxFees(self.ctx)).result), [sent["fee"]])
        reply = await reply.result.waitNext(self.ctx, self.wait_options(1500, fee_threshold=1))
        assert not reply._has("result")
        self.wallet.generate(1)

    async def test_submit_block(self):
        self.log.info("submitBlock: new, duplicate, a stale sibling (inconclusive), a precious sibling")
        node = self.nodes[0]
        templates = [await self.new_template() for _ in range(3)]
        blocks = [(await self.solved_block(t, bytes([2, 0x42, i])))[0] for i, t in enumerate(templates)]
        reply = await self.mining.submitBlock(self.ctx, blocks[0])
        assert_equal((reply.result, reply.reason), (True, ""))
        reply = await self.mining.submitBlock(self.ctx, blocks[0])
        assert_equal((reply.result, reply.reason), (False, "duplicate"))
        reply = await self.mining.submitBlock(self.ctx, blocks[1])
        assert_equal((reply.result, reply.reason), (False, "inconclusive"))
        assert_equal(node.getbestblockhash(), block_hash(blocks[0][:80]))
        reply = await self.mining.submitBlock(self.ctx, blocks[2], True)
        assert_equal((reply.result, reply.reason), (True, ""))
        assert_equal(node.getbestblockhash(), block_hash(blocks[2][:80]))
        self.wallet.scan_block(node.getbestblockhash())

    async def test_transaction_lookup(self):
        self.log.info("getTransactionsByTxID and getTransactionsByWitnessID: mempool transactions, empty otherwise")
        sent = self.wallet.send_self_transfer()
        tx = sent["tx"]
        txid = bytes.fromhex(tx.txid)[::-1]
        wtxid = hash256(tx.serialize())
        result = (await self.mining.getTransactionsByTxID(self.ctx, [txid, bytes(32)])).result
        assert_equal([bytes(r) for r in result], [tx.serialize(), b""])
        result = (await self.mining.getTransactionsByWitnessID(self.ctx, [bytes(32), wtxid])).result
        assert_equal([bytes(r) for r in result], [b"", tx.serialize()])
        self.wallet.generate(1)
        result = (await self.mining.getTransactionsByTxID(self.ctx, [txid])).result
        assert_equal(bytes(result[0]), b"")

    async def test_interrupts(self):
        self.log.info("interrupt ends waitTipChanged, interruptWait ends waitNext")
        tip = (await self.mining.getTip(self.ctx)).result
        reply = await self.wait_and_do(self.mining.waitTipChanged(self.ctx, tip.hash, 600_000), self.mining.interrupt)
        assert_equal(len(reply.result.hash), 0)
        template = await self.new_template()
        reply = await self.wait_and_do(template.waitNext(self.ctx, self.wait_options(600_000, fee_threshold=1)),
                                       template.interruptWait)
        assert not reply._has("result")


if __name__ == "__main__":
    IPCMiningTest().main()
