"""A TCP relay for tests: forwards connections to a server, and can cut every connection
(and refuse new ones, as when the server stops or crashes) and restore itself on the same
port."""

from __future__ import annotations

import socket
import threading

IP_FREEBIND = getattr(socket, "IP_FREEBIND", 15)


class TcpRelay:
    """Listens on ``listen_host`` (a free port unless ``port`` is given) and forwards each
    connection to ``target``. ``freebind``: bind an address that does not exist yet (a
    container network's gateway appears only when the first container starts)."""

    def __init__(self, target: tuple[str, int], listen_host: str = "127.0.0.1", *, freebind: bool = False) -> None:
        self.target, self.listen_host, self.freebind = target, listen_host, freebind
        self.port = 0
        self.listener: socket.socket | None = None
        self.connections: list[socket.socket] = []
        self.lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        """Listen (again, on the same port after a cut)."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.freebind:
            listener.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)
        listener.bind((self.listen_host, self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Drop every connection and stop listening."""
        with self.lock:
            try:
                self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            self.listener.close()
            for conn in self.connections:
                _close(conn)
            self.connections.clear()

    close = cut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self.lock:
                self.connections += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(target)


def _close(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    conn.close()
