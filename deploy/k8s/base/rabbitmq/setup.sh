#!/bin/sh
# Idempotent broker setup through the management HTTP API (Compose one-shot service and Kubernetes Job):
# the suite's vhost with quorum as its default queue type, and the policy for the suite's queues.
#   RABBITMQ_API   http://rabbitmq:15672/api     RABBITMQ_USER / RABBITMQ_PASSWORD   CADRE_VHOST (cadre)
#   <SERVICE>_AMQP_PASSWORD (optional, per process): its own broker user, limited by permissions/<service>.json
set -eu
API="${RABBITMQ_API:-http://rabbitmq:15672/api}"
VHOST="${CADRE_VHOST:-cadre}"
AUTH="${RABBITMQ_USER}:${RABBITMQ_PASSWORD}"

i=0
until curl -fsS -u "$AUTH" "$API/overview" >/dev/null; do
  i=$((i + 1)); [ "$i" -ge 60 ] && { echo "management API not answering at $API" >&2; exit 1; }
  sleep 2
done

# Queue type is fixed when a queue is declared: the vhost default makes every durable queue the suite
# declares without x-queue-type a quorum queue (the event handler queues evt-*, rpc-*, records.firehose,
# cadre.dead-letters); RabbitMQ before 3.11 reads the key as "defaultqueuetype", so both are sent. Auto-delete/exclusive queues (nameko's rpc.reply-*) fall back to classic.
curl -fsS -u "$AUTH" -X PUT -H 'content-type: application/json' \
  -d '{"description":"cadre selection suite","default_queue_type":"quorum","defaultqueuetype":"quorum"}' "$API/vhosts/$VHOST"
curl -fsS -u "$AUTH" -X PUT -H 'content-type: application/json' \
  -d "{\"configure\":\".*\",\"write\":\".*\",\"read\":\".*\"}" "$API/permissions/$VHOST/$RABBITMQ_USER"

# The policy for the suite's quorum queues (policy.json beside this script): every queue except nameko's auto-delete RPC reply queues
# (rpc.reply-*, which quorum queues cannot be), the broker's own amq.* queues and the dead-letter
# queue itself (its messages must never be dead-lettered again). The suite retries and
# dead-letters events itself (EVENT_MAX_ATTEMPTS); the delivery limit is the broker's backstop against a
# message that crashes its consumer before the suite can count the attempt.
curl -fsS -u "$AUTH" -X PUT -H 'content-type: application/json' \
  -d @"$(dirname "$0")/policy.json" "$API/policies/$VHOST/cadre-quorum"

# One broker user per process, each limited to publishing on its own <service>.events exchange (and
# replying on nameko-rpc) and to consuming only its own queues (permissions/<service>.json: RabbitMQ's
# configure/write/read regexes over exchange and queue names). Set only for the processes whose
# <SERVICE>_AMQP_PASSWORD is given; without it that process shares RABBITMQ_USER.
for name in nomination examination supervision records gateway; do
  password=$(eval "printf '%s' \"\${$(echo "$name" | tr a-z A-Z)_AMQP_PASSWORD:-}\"")
  [ -n "$password" ] || continue
  curl -fsS -u "$AUTH" -X PUT -H 'content-type: application/json' \
    -d "{\"password\":\"$password\",\"tags\":\"\"}" "$API/users/$name"
  curl -fsS -u "$AUTH" -X PUT -H 'content-type: application/json' \
    -d @"$(dirname "$0")/permissions/$name.json" "$API/permissions/$VHOST/$name"
  echo "broker user $name: permissions/$name.json"
done
echo "vhost $VHOST: default queue type quorum, policy cadre-quorum set"
