"""A small SOCKS5 proxy (RFC 1928, with RFC 1929 username and password) for
tests: it records each request and relays the connection to its target."""

import socket
import struct
import threading


class Socks5Server:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        # Each request: (address type, host, port, username or None).
        self.requests = []
        self.cond = threading.Condition()
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    @staticmethod
    def _recv(s, n):
        data = b""
        while len(data) < n:
            chunk = s.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _serve(self, client):
        try:
            version, count = self._recv(client, 2)
            methods = self._recv(client, count)
            username = None
            if 2 in methods:
                client.sendall(bytes([5, 2]))
                _, ulen = self._recv(client, 2)
                username = self._recv(client, ulen).decode()
                plen = self._recv(client, 1)[0]
                self._recv(client, plen)
                client.sendall(bytes([1, 0]))
            else:
                client.sendall(bytes([5, 0]))
            _, command, _, atyp = self._recv(client, 4)
            if atyp == 1:
                host = socket.inet_ntoa(self._recv(client, 4))
            elif atyp == 3:
                host = self._recv(client, self._recv(client, 1)[0]).decode()
            else:
                host = socket.inet_ntop(socket.AF_INET6, self._recv(client, 16))
            port = struct.unpack(">H", self._recv(client, 2))[0]
            with self.cond:
                self.requests.append((atyp, host, port, username))
                self.cond.notify_all()
            target = socket.create_connection((host, port), timeout=10)
            target.settimeout(None)
            client.sendall(bytes([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]))
            threading.Thread(target=self._pump, args=(target, client), daemon=True).start()
            self._pump(client, target)
        except (OSError, ConnectionError, ValueError):
            client.close()

    @staticmethod
    def _pump(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.sock.close()
