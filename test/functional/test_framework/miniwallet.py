"""A key-less wallet for tests: coins go to P2WSH(OP_TRUE), which anyone can
spend with a one-element witness, so tests can build valid transactions
without signing code. Transactions are serialized here, byte for byte."""

import hashlib
import struct
from decimal import Decimal

COIN = 100_000_000
OP_TRUE = b"\x51"
SEQUENCE_FINAL = 0xFFFFFFFF
SEQUENCE_RBF = 0xFFFFFFFD

_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def sha256(b):
    return hashlib.sha256(b).digest()


def hash256(b):
    return sha256(sha256(b))


def _bech32_polymod(values):
    generators = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= generators[i]
    return chk


def _convert_bits(data, frombits, tobits):
    acc, bits, out = 0, 0, []
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & ((1 << tobits) - 1))
    if bits:
        out.append((acc << (tobits - bits)) & ((1 << tobits) - 1))
    return out


def segwit_v0_address(hrp, program):
    """BIP173 address of a version-0 witness program."""
    data = [0] + _convert_bits(program, 8, 5)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    polymod = _bech32_polymod(expanded + data + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32_CHARSET[d] for d in data + checksum)


def compact_size(n):
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + struct.pack("<H", n)
    if n <= 0xFFFFFFFF:
        return b"\xfe" + struct.pack("<I", n)
    return b"\xff" + struct.pack("<Q", n)


def ser_string(b):
    return compact_size(len(b)) + b


def solve(raw_block):
    """Grinds the nonce of a serialized block (bytearray) until its header
    meets the target its bits ask for; returns the block."""
    bits = struct.unpack("<I", raw_block[72:76])[0]
    target = (bits & 0xFFFFFF) << (8 * ((bits >> 24) - 3))
    nonce = struct.unpack("<I", raw_block[76:80])[0]
    while int.from_bytes(hash256(bytes(raw_block[:80])), "little") > target:
        nonce = (nonce + 1) & 0xFFFFFFFF
        raw_block[76:80] = struct.pack("<I", nonce)
    return raw_block


class Tx:
    """A transaction: inputs (txid hex, vout, script_sig, sequence), outputs
    (satoshis, script_pubkey), one witness stack per input."""

    def __init__(self, version=2, locktime=0):
        self.version = version
        self.locktime = locktime
        self.inputs = []
        self.outputs = []
        self.witnesses = []

    def add_input(self, txid, vout, sequence=SEQUENCE_RBF, script_sig=b"", witness=None):
        self.inputs.append((txid, vout, script_sig, sequence))
        self.witnesses.append(witness or [])

    def add_output(self, sats, script_pubkey):
        self.outputs.append((sats, script_pubkey))

    def serialize(self, with_witness=True):
        with_witness = with_witness and any(self.witnesses)
        out = struct.pack("<i", self.version)
        if with_witness:
            out += b"\x00\x01"
        out += compact_size(len(self.inputs))
        for txid, vout, script_sig, sequence in self.inputs:
            out += bytes.fromhex(txid)[::-1] + struct.pack("<I", vout) + ser_string(script_sig) + struct.pack("<I", sequence)
        out += compact_size(len(self.outputs))
        for sats, spk in self.outputs:
            out += struct.pack("<q", sats) + ser_string(spk)
        if with_witness:
            for stack in self.witnesses:
                out += compact_size(len(stack)) + b"".join(ser_string(item) for item in stack)
        return out + struct.pack("<I", self.locktime)

    def hex(self):
        return self.serialize().hex()

    @property
    def txid(self):
        return hash256(self.serialize(with_witness=False))[::-1].hex()

    @property
    def vsize(self):
        base = len(self.serialize(with_witness=False))
        total = len(self.serialize())
        return (base * 3 + total + 3) // 4


class MiniWallet:
    """Tracks coins paid to P2WSH(OP_TRUE) and spends them."""

    def __init__(self, node, hrp="bcrt"):
        self.node = node
        self.witness_script = OP_TRUE
        program = sha256(OP_TRUE)
        self.script_pubkey = b"\x00\x20" + program
        self.address = segwit_v0_address(hrp, program)
        self.utxos = []  # dicts: txid, vout, value (sats), height (None if unconfirmed)

    def generate(self, count):
        """Mines `count` blocks to the wallet and records their coinbase outputs."""
        hashes = self.node.generatetoaddress(count, self.address)
        for h in hashes:
            self.scan_block(h)
        return hashes

    def scan_block(self, block_hash):
        block = self.node.getblock(block_hash, 2)
        for tx in block["tx"]:
            for out in tx["vout"]:
                if out["scriptPubKey"]["hex"] == self.script_pubkey.hex():
                    value = int(Decimal(str(out["value"])) * COIN)
                    self.utxos.append({"txid": tx["txid"], "vout": out["n"], "value": value,
                                       "height": block["height"], "coinbase": tx is block["tx"][0]})

    def mature_utxos(self):
        tip = self.node.getblockcount()
        return [u for u in self.utxos
                if not u["coinbase"] or (u["height"] is not None and tip + 1 - u["height"] >= 100)]

    def get_utxo(self, txid=None):
        """Takes the largest mature coin, or a specific one, out of the wallet."""
        candidates = [u for u in self.mature_utxos() if txid is None or u["txid"] == txid]
        assert candidates, "no spendable coin"
        best = max(candidates, key=lambda u: u["value"])
        self.utxos.remove(best)
        return best

    def create_self_transfer(self, fee_rate=Decimal("0.0001"), utxo=None, sequence=SEQUENCE_RBF, outputs=1, locktime=0):
        """A transaction spending one coin to `outputs` new coins of the wallet,
        paying `fee_rate` BTC/kvB. Returns (Tx, fee in sats, the coin spent)."""
        utxo = utxo or self.get_utxo()
        tx = Tx(locktime=locktime)
        tx.add_input(utxo["txid"], utxo["vout"], sequence=sequence, witness=[self.witness_script])
        for _ in range(outputs):
            tx.add_output(0, self.script_pubkey)
        fee = int(fee_rate * COIN) * tx.vsize // 1000 + 1
        share = (utxo["value"] - fee) // outputs
        tx.outputs = [(share, self.script_pubkey) for _ in range(outputs)]
        return tx, fee, utxo

    def send_self_transfer(self, **kwargs):
        """Creates a self-transfer, submits it and records its outputs as unconfirmed coins."""
        tx, fee, spent = self.create_self_transfer(**kwargs)
        txid = self.node.sendrawtransaction(tx.hex())
        assert txid == tx.txid
        for n, (sats, _) in enumerate(tx.outputs):
            self.utxos.append({"txid": txid, "vout": n, "value": sats, "height": None, "coinbase": False})
        return {"txid": txid, "tx": tx, "fee": fee, "spent": spent}
