"""A scripted OpenAI-compatible chat completions server on loopback, for the generative reader's tests. Each test
sets `server.reply` (the completion text) and `server.mode`; the server records every request body it gets."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ScriptedLLM(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.reply = "The record does not say."
        self.mode = "ok"  # ok | slow | http500 | http401 | not_json | no_choices | bad_event | hang_up
        self.delay = 0.0
        self.requests: list[dict] = []
        self.headers_seen: list[dict] = []

    def handle_error(self, request, client_address):
        pass  # clients that time out on purpose hang up mid-reply

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str = "application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        server: ScriptedLLM = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        server.requests.append(body)
        server.headers_seen.append(dict(self.headers))
        if self.path != "/v1/chat/completions":
            return self._send(404, b'{"error": "not found"}')
        mode = server.mode
        if mode == "slow":
            time.sleep(server.delay)
        if mode == "http500":
            return self._send(500, b'{"error": {"message": "model crashed"}}')
        if mode == "http401":
            return self._send(401, b'{"error": {"message": "bad key"}}')
        if mode == "not_json":
            return self._send(200, b"<html>proxy login</html>", "text/html")
        if mode == "no_choices":
            return self._send(200, b'{"object": "chat.completion", "choices": []}')
        if mode == "hang_up":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if not body.get("stream"):
            data = {"id": "x", "object": "chat.completion", "model": body.get("model"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": server.reply},
                                 "finish_reason": "stop"}]}
            return self._send(200, json.dumps(data).encode())
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        first = {"choices": [{"index": 0, "delta": {"role": "assistant"}}]}
        self.wfile.write(f"data: {json.dumps(first)}\n\n".encode())
        words = server.reply.split(" ")
        for i, word in enumerate(words):
            piece = word + (" " if i < len(words) - 1 else "")
            event = {"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
            if mode == "bad_event" and i == 1:
                self.wfile.write(b"data: {not json\n\n")
                self.wfile.flush()
                return
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


@contextlib.contextmanager
def scripted_llm():
    server = ScriptedLLM()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
