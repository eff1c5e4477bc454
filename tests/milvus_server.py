"""Milvus Lite's gRPC server on a loopback port, for tests that take the client's network path to a Milvus server.
With `token`, it checks the `authorization` header as Milvus does with authorization on, and refuses a wrong one
with UNAUTHENTICATED (Milvus's own answer). Milvus Lite itself has no authentication."""

from __future__ import annotations

import base64
import contextlib
from concurrent import futures
from pathlib import Path


def _token_check(token: str):
    import grpc

    expected = base64.b64encode(token.encode()).decode()

    def refuse(request, context):
        context.abort(grpc.StatusCode.UNAUTHENTICATED, "auth check failure, please check username, password or token")

    class TokenCheck(grpc.ServerInterceptor):
        def intercept_service(self, continuation, details):
            if dict(details.invocation_metadata).get("authorization") != expected:
                return grpc.unary_unary_rpc_method_handler(refuse)
            return continuation(details)

    return TokenCheck()


@contextlib.contextmanager
def milvus_server(data_dir: Path, token: str | None = None):
    """Yield the server's uri (http://127.0.0.1:PORT) until the block ends."""
    import grpc
    from milvus_lite import MilvusLite
    from milvus_lite.adapter.grpc.servicer import MilvusServicer
    from pymilvus.grpc_gen import milvus_pb2_grpc

    db = MilvusLite(str(data_dir))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16),
                         interceptors=[_token_check(token)] if token else [],
                         options=[("grpc.max_receive_message_length", 256 << 20),
                                  ("grpc.max_send_message_length", 256 << 20)])
    milvus_pb2_grpc.add_MilvusServiceServicer_to_server(MilvusServicer(db), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop(grace=1).wait()
        db.close()
