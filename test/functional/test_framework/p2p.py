"""A Bitcoin P2P peer for tests, written here: v1 message framing, the
messages the tests exchange, and a connection on a socket with a reader
thread whose ``wait_for_*`` helpers wait on a condition (never sleep).

Hashes are kept as bytes in wire order (little-endian); ``hash_from_rpc``
turns an RPC hex string into that form.
"""

import random
import socket
import struct
import threading
import time

from .miniwallet import compact_size, hash256, ser_string
from .util import wait_until_helper

MAGIC_REGTEST = bytes.fromhex("fabfb5da")
PROTOCOL_VERSION = 70016
NODE_NETWORK = 1
NODE_WITNESS = 1 << 3
MAX_PROTOCOL_MESSAGE_LENGTH = 4_000_000

MSG_TX = 1
MSG_BLOCK = 2
MSG_CMPCT_BLOCK = 4
MSG_WTX = 5
MSG_WITNESS_FLAG = 1 << 30
MSG_WITNESS_BLOCK = MSG_BLOCK | MSG_WITNESS_FLAG
MSG_WITNESS_TX = MSG_TX | MSG_WITNESS_FLAG


def hash_from_rpc(hex_hash):
    return bytes.fromhex(hex_hash)[::-1]


def hash_to_rpc(h):
    return h[::-1].hex()


def read_compact_size(data, pos):
    first = data[pos]
    if first < 0xFD:
        return first, pos + 1
    size = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
    return int.from_bytes(data[pos + 1:pos + 1 + size], "little"), pos + 1 + size


def ser_address(services, ip=b"\x00" * 16, port=0):
    return struct.pack("<Q", services) + ip + struct.pack(">H", port)


# ----------------------------------------------------------------------
# Messages: each has ``msgtype``, ``serialize()`` and ``deserialize(payload)``
# ----------------------------------------------------------------------


class msg_version:
    msgtype = b"version"

    def __init__(self, version=PROTOCOL_VERSION, services=NODE_NETWORK | NODE_WITNESS, nonce=None,
                 user_agent=b"/python-p2p:0.1/", start_height=0, relay=True, timestamp=None):
        self.version = version
        self.services = services
        self.timestamp = int(time.time()) if timestamp is None else timestamp
        self.nonce = random.getrandbits(64) if nonce is None else nonce
        self.user_agent = user_agent
        self.start_height = start_height
        self.relay = relay

    def serialize(self):
        return (struct.pack("<iQq", self.version, self.services, self.timestamp)
                + ser_address(0) + ser_address(self.services)
                + struct.pack("<Q", self.nonce) + ser_string(self.user_agent)
                + struct.pack("<i", self.start_height) + bytes([1 if self.relay else 0]))

    @classmethod
    def deserialize(cls, payload):
        version, services, timestamp = struct.unpack_from("<iQq", payload, 0)
        pos = 20 + 26 + 26
        nonce = struct.unpack_from("<Q", payload, pos)[0]
        length, pos = read_compact_size(payload, pos + 8)
        user_agent = payload[pos:pos + length]
        pos += length
        start_height = struct.unpack_from("<i", payload, pos)[0]
        relay = payload[pos + 4] != 0 if len(payload) > pos + 4 else True
        return cls(version, services, nonce, user_agent, start_height, relay, timestamp)


class _Empty:
    def serialize(self):
        return b""

    @classmethod
    def deserialize(cls, payload):
        return cls()


class msg_verack(_Empty):
    msgtype = b"verack"


class msg_sendheaders(_Empty):
    msgtype = b"sendheaders"


class msg_wtxidrelay(_Empty):
    msgtype = b"wtxidrelay"


class msg_sendaddrv2(_Empty):
    msgtype = b"sendaddrv2"


class msg_getaddr(_Empty):
    msgtype = b"getaddr"


class _Nonce:
    def __init__(self, nonce=0):
        self.nonce = nonce

    def serialize(self):
        return struct.pack("<Q", self.nonce)

    @classmethod
    def deserialize(cls, payload):
        return cls(struct.unpack("<Q", payload)[0])


class msg_ping(_Nonce):
    msgtype = b"ping"


class msg_pong(_Nonce):
    msgtype = b"pong"


class msg_feefilter:
    msgtype = b"feefilter"

    def __init__(self, feerate=0):
        self.feerate = feerate

    def serialize(self):
        return struct.pack("<q", self.feerate)

    @classmethod
    def deserialize(cls, payload):
        return cls(struct.unpack("<q", payload)[0])


class _Inventory:
    """``inv``, ``getdata``, ``notfound``: a list of (type, hash) pairs."""

    def __init__(self, inv=None):
        self.inv = list(inv or [])

    def serialize(self):
        return compact_size(len(self.inv)) + b"".join(struct.pack("<I", t) + h for t, h in self.inv)

    @classmethod
    def deserialize(cls, payload):
        count, pos = read_compact_size(payload, 0)
        inv = []
        for _ in range(count):
            inv.append((struct.unpack_from("<I", payload, pos)[0], payload[pos + 4:pos + 36]))
            pos += 36
        return cls(inv)


class msg_inv(_Inventory):
    msgtype = b"inv"


class msg_getdata(_Inventory):
    msgtype = b"getdata"


class msg_notfound(_Inventory):
    msgtype = b"notfound"


class msg_getheaders:
    msgtype = b"getheaders"

    def __init__(self, locator=None, hashstop=b"\x00" * 32, version=PROTOCOL_VERSION):
        self.version = version
        self.locator = list(locator or [])
        self.hashstop = hashstop

    def serialize(self):
        return (struct.pack("<I", self.version) + compact_size(len(self.locator))
                + b"".join(self.locator) + self.hashstop)

    @classmethod
    def deserialize(cls, payload):
        version = struct.unpack_from("<I", payload, 0)[0]
        count, pos = read_compact_size(payload, 4)
        locator = [payload[pos + 32 * i:pos + 32 * (i + 1)] for i in range(count)]
        return cls(locator, payload[pos + 32 * count:pos + 32 * count + 32], version)


class msg_headers:
    """Headers as raw 80-byte strings."""
    msgtype = b"headers"

    def __init__(self, headers=None):
        self.headers = list(headers or [])

    def serialize(self):
        return compact_size(len(self.headers)) + b"".join(h + b"\x00" for h in self.headers)

    @classmethod
    def deserialize(cls, payload):
        count, pos = read_compact_size(payload, 0)
        return cls([payload[pos + 81 * i:pos + 81 * i + 80] for i in range(count)])

    def hashes(self):
        return [hash256(h) for h in self.headers]


class _Raw:
    """``block`` and ``tx``: the serialized object as is."""

    def __init__(self, data=b""):
        self.data = data

    def serialize(self):
        return self.data

    @classmethod
    def deserialize(cls, payload):
        return cls(payload)


class msg_block(_Raw):
    msgtype = b"block"

    def hash(self):
        return hash256(self.data[:80])


class msg_tx(_Raw):
    msgtype = b"tx"


class msg_addr:
    """``addr``: (time, services, "ip", port) entries; IPv4 as mapped IPv6."""
    msgtype = b"addr"

    def __init__(self, addrs=None):
        self.addrs = list(addrs or [])

    def serialize(self):
        out = compact_size(len(self.addrs))
        for time_, services, ip, port in self.addrs:
            packed = socket.inet_pton(socket.AF_INET6, ip if ":" in ip else "::ffff:" + ip)
            out += struct.pack("<I", time_) + ser_address(services, packed, port)
        return out

    @classmethod
    def deserialize(cls, payload):
        count, pos = read_compact_size(payload, 0)
        addrs = []
        for _ in range(count):
            time_, services = struct.unpack("<IQ", payload[pos:pos + 12])
            ip = socket.inet_ntop(socket.AF_INET6, payload[pos + 12:pos + 28])
            port = struct.unpack(">H", payload[pos + 28:pos + 30])[0]
            addrs.append((time_, services, ip.removeprefix("::ffff:"), port))
            pos += 30
        return cls(addrs)


class msg_addrv2:
    """``addrv2`` (BIP155): (time, services, "ip", port) entries, IPv4 and IPv6."""
    msgtype = b"addrv2"

    def __init__(self, addrs=None):
        self.addrs = list(addrs or [])

    def serialize(self):
        out = compact_size(len(self.addrs))
        for time_, services, ip, port in self.addrs:
            network, raw = (2, socket.inet_pton(socket.AF_INET6, ip)) if ":" in ip else (1, socket.inet_aton(ip))
            out += (struct.pack("<I", time_) + compact_size(services) + bytes([network]) + compact_size(len(raw))
                    + raw + struct.pack(">H", port))
        return out

    @classmethod
    def deserialize(cls, payload):
        count, pos = read_compact_size(payload, 0)
        addrs = []
        for _ in range(count):
            time_ = struct.unpack("<I", payload[pos:pos + 4])[0]
            services, pos = read_compact_size(payload, pos + 4)
            network = payload[pos]
            size, pos = read_compact_size(payload, pos + 1)
            raw = payload[pos:pos + size]
            ip = socket.inet_ntop(socket.AF_INET6 if network == 2 else socket.AF_INET, raw)
            port = struct.unpack(">H", payload[pos + size:pos + size + 2])[0]
            addrs.append((time_, services, ip, port))
            pos += size + 2
        return cls(addrs)


class msg_sendcmpct:
    msgtype = b"sendcmpct"

    def __init__(self, announce=False, version=2):
        self.announce = announce
        self.version = version

    def serialize(self):
        return struct.pack("<?Q", self.announce, self.version)

    @classmethod
    def deserialize(cls, payload):
        announce, version = struct.unpack("<?Q", payload)
        return cls(announce, version)


class msg_cmpctblock:
    """BIP152 compact block: header, nonce, short ids, prefilled transactions
    (kept raw: their positions, and the rest of the payload)."""
    msgtype = b"cmpctblock"

    def __init__(self, header=b"", nonce=0, shortids=None, prefilled=None):
        self.header = header
        self.nonce = nonce
        self.shortids = shortids or []
        self.prefilled = prefilled or []  # absolute indexes

    def block_hash(self):
        return hash256(self.header)

    @classmethod
    def deserialize(cls, payload):
        header, nonce = payload[:80], struct.unpack("<Q", payload[80:88])[0]
        count, pos = read_compact_size(payload, 88)
        shortids = [payload[pos + 6 * i:pos + 6 * i + 6] for i in range(count)]
        pos += 6 * count
        prefilled_count, pos = read_compact_size(payload, pos)
        # Only the first prefilled index is read: transactions are not parsed.
        prefilled = []
        if prefilled_count:
            index, pos = read_compact_size(payload, pos)
            prefilled.append(index)
        msg = cls(header, nonce, shortids, prefilled)
        msg.prefilled_count = prefilled_count
        return msg


class msg_getblocktxn:
    msgtype = b"getblocktxn"

    def __init__(self, block_hash=b"\x00" * 32, indexes=None):
        self.block_hash = block_hash
        self.indexes = indexes or []

    def serialize(self):
        out = self.block_hash + compact_size(len(self.indexes))
        last = -1
        for index in self.indexes:  # differentially encoded
            out += compact_size(index - last - 1)
            last = index
        return out


class msg_blocktxn:
    """The block hash and how many transactions follow (not parsed further)."""
    msgtype = b"blocktxn"

    def __init__(self, block_hash=b"", count=0, payload=b""):
        self.block_hash = block_hash
        self.count = count
        self.payload = payload

    @classmethod
    def deserialize(cls, payload):
        count, _ = read_compact_size(payload, 32)
        return cls(payload[:32], count, payload)


class msg_generic:
    """Any message type, with a payload given as bytes."""

    def __init__(self, msgtype, payload=b""):
        self.msgtype = msgtype
        self.payload = payload

    def serialize(self):
        return self.payload


MESSAGES = {cls.msgtype: cls for cls in [
    msg_version, msg_verack, msg_sendheaders, msg_wtxidrelay, msg_sendaddrv2, msg_getaddr, msg_ping,
    msg_pong, msg_feefilter, msg_inv, msg_getdata, msg_notfound, msg_getheaders, msg_headers, msg_block,
    msg_tx, msg_addr, msg_addrv2, msg_sendcmpct, msg_cmpctblock, msg_blocktxn,
]}


def build_message(msg, magic=MAGIC_REGTEST):
    payload = msg.serialize()
    return (magic + msg.msgtype.ljust(12, b"\x00") + struct.pack("<I", len(payload))
            + hash256(payload)[:4] + payload)


# ----------------------------------------------------------------------
# The connection
# ----------------------------------------------------------------------


class P2PInterface:
    """A peer connected to a node. Received messages are kept in
    ``messages`` (type, message) and the latest of each type in
    ``last_message``; ``message_count`` counts them by type. By default it
    answers version with wtxidrelay, sendaddrv2 and verack, and pings with
    pongs, like a well-behaved peer."""

    def __init__(self, *, auto_handshake=True, services=NODE_NETWORK | NODE_WITNESS, relay=True):
        self.auto_handshake = auto_handshake
        self.services = services
        self.relay = relay
        self.sock = None
        self.messages = []
        self.last_message = {}
        self.message_count = {}
        self.connected = False
        self.cond = threading.Condition()
        self.timeout_factor = 1.0
        self._ping_nonce = 1

    # -- connecting and sending --

    def peer_connect(self, host, port, timeout_factor=1.0):
        self.timeout_factor = timeout_factor
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connected = True
        threading.Thread(target=self._read_loop, daemon=True).start()

    def send_raw_message(self, data):
        self.sock.sendall(data)

    def send_message(self, msg):
        self.send_raw_message(build_message(msg))

    def send_version(self, **kwargs):
        self.send_message(msg_version(services=self.services, relay=self.relay, **kwargs))

    def peer_disconnect(self):
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()

    # -- receiving --

    def _recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _read_loop(self):
        try:
            while True:
                header = self._recv_exact(24)
                msgtype = header[4:16].rstrip(b"\x00")
                length = struct.unpack("<I", header[16:20])[0]
                payload = self._recv_exact(length)
                assert header[:4] == MAGIC_REGTEST, "bad magic from the node"
                assert hash256(payload)[:4] == header[20:24], "bad checksum from the node"
                cls = MESSAGES.get(msgtype)
                msg = cls.deserialize(payload) if cls else msg_generic(msgtype, payload)
                self._on_message(msgtype, msg)
        except (ConnectionError, OSError):
            pass
        finally:
            with self.cond:
                self.connected = False
                self.cond.notify_all()

    def _on_message(self, msgtype, msg):
        with self.cond:
            self.messages.append((msgtype.decode(), msg))
            self.last_message[msgtype.decode()] = msg
            self.message_count[msgtype.decode()] = self.message_count.get(msgtype.decode(), 0) + 1
            self.cond.notify_all()
        try:
            if msgtype == b"ping":
                self.send_message(msg_pong(msg.nonce))
            elif msgtype == b"version" and self.auto_handshake:
                self.send_message(msg_wtxidrelay())
                self.send_message(msg_sendaddrv2())
                self.send_message(msg_verack())
        except OSError:
            pass

    # -- waiting --

    def wait_until(self, predicate, timeout=60):
        def locked():
            with self.cond:
                return predicate()
        wait_until_helper(locked, timeout=timeout, timeout_factor=self.timeout_factor)

    def wait_for_verack(self, timeout=60):
        self.wait_until(lambda: "verack" in self.last_message, timeout)

    def wait_for_disconnect(self, timeout=60):
        self.wait_until(lambda: not self.connected, timeout)

    def wait_for_message(self, msgtype, timeout=60):
        self.wait_until(lambda: msgtype in self.last_message, timeout)
        with self.cond:
            return self.last_message[msgtype]

    def message_types(self):
        with self.cond:
            return [t for t, _ in self.messages]

    def sync_with_ping(self, timeout=60):
        """Sends a ping and waits for its pong: everything sent before was processed."""
        self._ping_nonce += 1
        nonce = self._ping_nonce
        self.send_message(msg_ping(nonce))

        def answered():
            return any(t == "pong" and m.nonce == nonce for t, m in self.messages)
        self.wait_until(answered, timeout)
