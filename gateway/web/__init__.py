"""Web pages served by the gateway: the public notice board and the department console (docs/web.md)."""


def serve(service, request):
    from gateway.web.pages import serve as serve_page
    return serve_page(service, request)
