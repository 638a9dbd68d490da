#!/usr/bin/env bash
# Everything the test suite needs beyond Go: Debian packages for the real
# clients and the browser, and the local services (started if installed but
# stopped). Tests skip (outside CI) or fail (CI=true) when a service is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/apt.sh chromium bsdutils poppler-utils mosquitto-clients postgresql-client rsyslog rsyslog-gnutls
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if ! up 5432 && command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! up 4222 && [ -x /usr/sbin/nats-server ]; then
  mkdir -p /var/lib/nats-server
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
fi
if ! up 1883 && command -v mosquitto >/dev/null; then
  mosquitto -d -c /etc/mosquitto/mosquitto.conf || true
fi
for i in $(seq 1 20); do up 5432 && up 4222 && up 1883 && break; sleep 0.5; done
for svc in "PostgreSQL 5432" "NATS 4222" "Mosquitto 1883"; do
  set -- $svc
  up "$2" || echo "warning: $1 is not reachable on 127.0.0.1:$2" >&2
done
