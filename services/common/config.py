"""Configuration from the environment: every setting, its default and what it does, in one table."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# (name, default, description). The README's configuration table is this list.
SETTINGS = [
    (
        "AMQP_URI",
        "amqp://guest:guest@127.0.0.1:5672/",
        "RabbitMQ the services and the gateway talk over; for a cluster, every node's URI separated by `;` (tried in turn).",
    ),
    ("MONGODB_URI", "", "MongoDB to use (a replica set in production). Empty: the embedded nx-27017 on MONGODB_PORT."),
    ("MONGODB_PORT", "27017", "Port of the embedded database when MONGODB_URI is empty."),
    ("CADRE_DATA_DIR", str(REPO_ROOT / "var"), "Where the embedded database, keys and spools live."),
    ("GATEWAY_HOST", "127.0.0.1", "Address the HTTP gateway binds."),
    ("GATEWAY_PORT", "8000", "Port of the HTTP gateway."),
    ("NOMINATION_METRICS_PORT", "9101", "Port of the nomination service's /metrics."),
    ("EXAMINATION_METRICS_PORT", "9102", "Port of the examination service's /metrics."),
    ("SUPERVISION_METRICS_PORT", "9103", "Port of the supervision service's /metrics."),
    ("RECORDS_METRICS_PORT", "9104", "Port of the records service's /metrics."),
    ("RPC_TIMEOUT_SECONDS", "10", "Deadline of every RPC the gateway makes; past it the caller gets 503 unavailable."),
    (
        "DB_COMMAND_METRICS",
        "",
        "1: count every database command each process sends (cadre_db_commands_total on /metrics), for bench/cost.py.",
    ),
    ("HEALTH_TIMEOUT_SECONDS", "2", "Deadline of each check behind GET /health."),
    (
        "OUTBOX_SWEEP_SECONDS",
        "1",
        "How often each service's outbox relay may sweep for events not yet published: it does when a flush did not finish, after a write outside a worker, at start and every WAKE_SAFETY_SECONDS.",
    ),
    (
        "OUTBOX_PULL_LINGER_SECONDS",
        "0.01",
        "How long an outbox relay waits, once the broker confirmed a worker's events, for other workers' to take them out of the outbox in the same database command (the answer has gone out already).",
    ),
    (
        "WAKE_SAFETY_SECONDS",
        "10",
        "How often a timer that wakes on work (checkpoints, cosigning, deliveries, supervision's clock, the outbox sweep) looks anyway, for work another replica left behind.",
    ),
    ("EVENT_MAX_ATTEMPTS", "5", "Attempts at handling one event before it goes to the dead-letter queue."),
    ("AGENDA_LEAD_SECONDS", str(3 * 86400), "How long before a decision meeting its agenda must be filed."),
    ("REVIEW_DEADLINE_SECONDS", str(5 * 86400), "Time the reviewing departments have for a joint review."),
    ("NOTICE_PERIOD_SECONDS", str(5 * 86400), "Length of a public notice period."),
    ("FILING_DEADLINE_SECONDS", str(30 * 86400), "Time after appointment within which the filing is due."),
    (
        "SUPERVISION_TICK_SECONDS",
        "1",
        "How often supervision marks overdue reviews and filings and closes ended notices.",
    ),
    (
        "ASK_TIMEOUT_SECONDS",
        "3",
        "Longest a service waits when it asks another for state its own copy lacks (a decision right after an approval); below RPC_TIMEOUT_SECONDS.",
    ),
    (
        "REVIEW_DEPARTMENTS",
        "discipline,audit,family_planning,petition",
        "Departments that take part in a joint review.",
    ),
    ("PUBLIC_RATE_PER_SECOND", "5", "Sustained requests per second one client may make to a public POST endpoint."),
    ("PUBLIC_RATE_BURST", "20", "Burst allowance of the public rate limit."),
    (
        "BALLOT_REFUSALS_PER_MINUTE",
        "20",
        "Refused ballots (invalid_token, token_used, session_closed) one client may send a minute before 429; accepted ballots never count.",
    ),
    (
        "TRUSTED_PROXIES",
        "",
        "Proxies in front of the gateway whose X-Forwarded-For/-Proto count: a hop count (1 = one ingress) or comma-separated CIDRs. Empty: none, the headers are ignored.",
    ),
    ("MAX_BODY_BYTES", str(1024 * 1024), "Largest request body the gateway accepts (413 above)."),
    (
        "BALLOT_TOKEN_KEY",
        "",
        "Secret (16+ bytes) keying the stored hashes of ballot tokens. Empty: generated once into $CADRE_DATA_DIR/keys/ballot.key.",
    ),
    ("LOG_LEVEL", "INFO", "Level of the JSON logs every process writes to stderr."),
    (
        "EXAMINATION_ID_KEY",
        "",
        "Secret key of the keyed hash under which examination keeps applicants' ID numbers "
        "(every examination replica needs the same one). Empty: a random key kept in CADRE_DATA_DIR/examination/.",
    ),
    (
        "RECORDS_SIGNING_KEY",
        "",
        "Base64 32-byte Ed25519 seed signing the records checkpoints and records' events. Empty: generated once into CADRE_DATA_DIR/keys/records.key.",
    ),
    (
        "NOMINATION_SIGNING_KEY",
        "",
        "Base64 32-byte Ed25519 seed signing nomination's events. Empty: generated once into CADRE_DATA_DIR/keys/nomination.key.",
    ),
    (
        "EXAMINATION_SIGNING_KEY",
        "",
        "Base64 32-byte Ed25519 seed signing examination's events. Empty: generated once into CADRE_DATA_DIR/keys/examination.key.",
    ),
    (
        "SUPERVISION_SIGNING_KEY",
        "",
        "Base64 32-byte Ed25519 seed signing supervision's events. Empty: generated once into CADRE_DATA_DIR/keys/supervision.key.",
    ),
    (
        "GATEWAY_SIGNING_KEY",
        "",
        "Base64 32-byte Ed25519 seed signing the caller context of every RPC the gateway makes. Empty: generated once into CADRE_DATA_DIR/keys/gateway.key.",
    ),
    (
        "NOMINATION_PUBLIC_KEY",
        "",
        "Base64 32-byte Ed25519 public key of nomination, to verify its signatures. Empty: read from CADRE_DATA_DIR/keys/nomination.pub (written by nomination at start).",
    ),
    (
        "EXAMINATION_PUBLIC_KEY",
        "",
        "Base64 32-byte Ed25519 public key of examination, to verify its signatures. Empty: read from CADRE_DATA_DIR/keys/examination.pub (written by examination at start).",
    ),
    (
        "SUPERVISION_PUBLIC_KEY",
        "",
        "Base64 32-byte Ed25519 public key of supervision, to verify its signatures. Empty: read from CADRE_DATA_DIR/keys/supervision.pub (written by supervision at start).",
    ),
    (
        "RECORDS_PUBLIC_KEY",
        "",
        "Base64 32-byte Ed25519 public key of records, to verify its signatures. Empty: read from CADRE_DATA_DIR/keys/records.pub (written by records at start).",
    ),
    (
        "GATEWAY_PUBLIC_KEY",
        "",
        "Base64 32-byte Ed25519 public key of gateway, to verify its signatures. Empty: read from CADRE_DATA_DIR/keys/gateway.pub (written by gateway at start).",
    ),
    ("RECORDS_CHECKPOINT_SECONDS", "1", "How often the records service signs a new checkpoint while entries arrive."),
    ("RECORDS_BATCH_MAX", "500", "Most firehose messages the records writer appends in one database write."),
    (
        "RECORDS_BATCH_LINGER_SECONDS",
        "0.01",
        "How long the records writer waits, after the first event of a batch arrived, for others to append with it (not when a manual entry waits).",
    ),
    (
        "RECORDS_DELIVERY_MAX_ATTEMPTS",
        "10",
        "Attempts at sending one disclosure on one channel before it is marked failed.",
    ),
    (
        "RECORDS_SMS_SENDER",
        "services.records.channels:spool",
        "module:function sending disclosure SMS (default: spool to CADRE_DATA_DIR/spool/sms).",
    ),
    (
        "RECORDS_EMAIL_SENDER",
        "services.records.channels:spool",
        "module:function sending disclosure e-mail (default: spool to CADRE_DATA_DIR/spool/email).",
    ),
    ("RECORDS_SMS_RECIPIENTS", "", "Comma-separated phone numbers that receive disclosure SMS."),
    ("RECORDS_EMAIL_RECIPIENTS", "", "Comma-separated addresses that receive disclosure e-mail."),
    ("RECORDS_PUBLIC_URL", "", "Public base URL of the gateway, used in links of disclosure messages."),
    (
        "RECORDS_LOG_ORIGIN",
        "cadre-selection.example/records",
        "Origin line and note key name of the records log's C2SP checkpoint (GET /log/checkpoint).",
    ),
    (
        "RECORDS_WITNESSES",
        "",
        "Witnesses the records service submits every new checkpoint to: comma-separated `<vkey>@<submission prefix URL>` (vkey: the witness's C2SP verifier key, type 0x04).",
    ),
    (
        "WITNESS_NAME",
        "cadre-selection.example/witness/discipline-inspection",
        "Key name of the witness that `python -m services.records.witness` runs.",
    ),
    ("WITNESS_LOGS", "", "Comma-separated verifier keys (C2SP vkeys, type 0x01) of the logs the witness cosigns for."),
    ("WITNESS_DATA_DIR", "", "The witness's own key and state file. Empty: CADRE_DATA_DIR/witness."),
    (
        "WITNESS_SIGNING_KEY",
        "",
        "Base64 32-byte Ed25519 seed of the witness's key. Empty: generated once into WITNESS_DATA_DIR/witness.key.",
    ),
    ("WITNESS_HOST", "127.0.0.1", "Address the witness binds."),
    ("WITNESS_PORT", "8010", "Port of the witness (POST /add-checkpoint)."),
]
DEFAULTS = {name: default for name, default, _ in SETTINGS}


def get(name):
    """The setting's current value (read at call time, so tests and rehearsals can change it)."""
    return os.environ.get(name) or DEFAULTS[name]


def get_int(name):
    return int(get(name))


def get_float(name):
    return float(get(name))


def get_list(name):
    return [item.strip() for item in get(name).split(",") if item.strip()]


def data_dir():
    path = Path(get("CADRE_DATA_DIR"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def amqp_uris(uri=None):
    """The broker URIs of AMQP_URI (``;`` separates a cluster's nodes, as kombu reads it), for clients such as
    pika that take a list of nodes rather than kombu's failover string."""
    return [part.strip() for part in (uri or get("AMQP_URI")).split(";") if part.strip()]


def mongodb_uri():
    return get("MONGODB_URI") or f"mongodb://127.0.0.1:{get('MONGODB_PORT')}/"


def metrics_port(service):
    return get_int(f"{service.upper()}_METRICS_PORT")
