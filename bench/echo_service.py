"""The baseline: a bare nameko HTTP→RPC echo pair, the framework's own ceiling on this machine."""

from nameko.rpc import ServiceRpc, rpc
from nameko.web.handlers import http


class EchoRpc:
    name = "bench_echo"

    @rpc
    def echo(self, value):
        return {"value": value}


class EchoHttp:
    name = "bench_echo_http"
    echo_rpc = ServiceRpc("bench_echo")

    @http("GET", "/echo/<value>")
    def echo(self, request, value):
        return 200, {"Content-Type": "application/json"}, __import__("json").dumps(self.echo_rpc.echo(value))
