#!/usr/bin/env bash
# End-to-end tests with the real agent CLIs, inside a loopback-only network namespace so that
# their telemetry and update checks cannot leave the machine. Arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."

# Installing needs the registry, so it happens before entering the namespace.
bin="$(bash scripts/install-agent-clis.sh | tail -n 1)"
export ORCHESTRATE_AGENT_BIN="$bin"

if ! unshare -n true 2>/dev/null; then
  echo "e2e: cannot create a network namespace (unshare -n: $(unshare -n true 2>&1 || true))." >&2
  echo "e2e: the real CLIs only run inside a loopback-only namespace; run as root or with CAP_SYS_ADMIN." >&2
  exit 1
fi
# `ip` is missing on minimal images; the loopback can also be raised through /sys via ip only, so require it.
command -v ip >/dev/null || { echo "e2e: the 'ip' command (iproute2) is needed to bring up loopback" >&2; exit 1; }

export ORCHESTRATE_E2E_NETNS=1
exec unshare -n -- sh -c 'ip link set lo up && exec npx vitest run --config vitest.e2e.config.ts "$@"' e2e "$@"
