"""The records service's domain metrics (names start with ``cadre_``; no ids as labels)."""

from prometheus_client import Counter, Gauge, Histogram

APPENDED = Counter("cadre_records_appended_total", "Entries appended to the full-process record.")
DUPLICATES = Counter("cadre_records_duplicates_total", "Redelivered messages that made no second entry.")
REJECTED = Counter("cadre_records_rejected_total", "Firehose messages that were not envelopes (dead-lettered).")
LOG_SIZE = Gauge("cadre_records_log_size", "Entries in the record.")
CHECKPOINT_SIZE = Gauge("cadre_records_checkpoint_size", "Size of the last signed checkpoint.")
BATCH_SIZE = Histogram(
    "cadre_records_batch_size",
    "Firehose messages written per database write.",
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 500, 1000),
)
DELIVERIES = Counter(
    "cadre_records_deliveries_total", "Disclosure channel deliveries by outcome.", ["channel", "outcome"]
)
DELIVERY_BACKLOG = Gauge("cadre_records_delivery_backlog", "Disclosure deliveries not yet sent.")
LOAD_SECONDS = Gauge(
    "cadre_records_load_seconds", "Time the last start took to rebuild the Merkle tree from the database."
)
