"""Stand-ins for nameko's parts that the chassis's entrypoints talk to, for unit tests."""


class Container:
    """Runs the thread an entrypoint spawns at once and keeps what each worker was given."""

    service_name = "supervision"
    service_cls = None

    def __init__(self):
        self.workers = []

    def spawn_managed_thread(self, run, identifier=None):
        run()

    def spawn_worker(self, entrypoint, args, kwargs, context_data=None, handle_result=None):
        self.workers.append((entrypoint, args, kwargs, context_data))
