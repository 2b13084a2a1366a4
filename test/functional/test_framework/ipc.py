"""Talking to hashvive over Cap'n Proto IPC the way a third-party client would:
pycapnp loads the schemas from the source tree and connects to a node's socket."""

import os
import shutil

try:
    import capnp
except ImportError:  # the caller skips the test
    capnp = None


def schema_imports(srcdir):
    """Import paths: our schema/ and the directory holding capnp/c++.capnp."""
    capnp_bin = shutil.which("capnp")
    if capnp_bin and os.path.exists(os.path.join(os.path.dirname(capnp_bin), "..", "include", "capnp", "c++.capnp")):
        include = os.path.join(os.path.dirname(capnp_bin), "..", "include")
    else:
        include = os.path.dirname(capnp.__path__[0])  # pycapnp's bundled imports
    return [os.path.join(srcdir, "schema"), os.path.abspath(include)]


def load_schemas(srcdir):
    imports = schema_imports(srcdir)
    schema = os.path.join(srcdir, "schema")
    return {
        name: capnp.load(os.path.join(schema, path), imports=imports)
        for name, path in [("proxy", "mp/proxy.capnp"), ("init", "init.capnp"), ("echo", "echo.capnp"),
                           ("mining", "mining.capnp"), ("rpc", "rpc.capnp"), ("node", "node.capnp"),
                           ("wallet", "wallet.capnp")]
    }


class IpcClient:
    """One connection: the peer's Init, and a Context naming a thread made for us."""

    def __init__(self, schemas):
        self.schemas = schemas
        self.connection = None
        self.client = None
        self.init = None
        self.thread = None
        self.ctx = None

    async def connect(self, socket_path, thread_name="pythread"):
        return await self.attach(await capnp.AsyncIoStream.create_unix_connection(socket_path), thread_name)

    async def connect_socket(self, sock, thread_name="pythread"):
        """Our end of a socket pair whose other end a spawned process serves."""
        return await self.attach(await capnp.AsyncIoStream.create_connection(sock=sock), thread_name)

    async def attach(self, connection, thread_name):
        self.connection = connection
        self.client = capnp.TwoPartyClient(self.connection)
        self.init = self.client.bootstrap().cast_as(self.schemas["init"].Init)
        # Our own ThreadMap, for the peer's calls back to us (notifications).
        thread_map = (await self.init.construct(self._thread_map())).threadMap
        self.thread_map = thread_map
        self.thread = (await thread_map.makeThread(thread_name)).result
        self.ctx = self.schemas["proxy"].Context()
        self.ctx.thread = self.thread
        return self

    def _thread_map(self):
        proxy = self.schemas["proxy"]

        class Thread(proxy.Thread.Server):
            def __init__(self, name):
                self.name = name

            async def getName(self, **kwargs):
                return self.name

        class ThreadMap(proxy.ThreadMap.Server):
            async def makeThread(self, name, **kwargs):
                return Thread("python/" + name)

            async def makePool(self, count, **kwargs):
                pass

        return ThreadMap()

    def context_without_thread(self):
        return self.schemas["proxy"].Context()

    def close(self):
        self.client.close()
