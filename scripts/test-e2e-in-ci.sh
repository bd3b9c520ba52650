#!/usr/bin/env bash
# `npm test` runs the real-CLI end-to-end suite in CI (CI=true) and when asked (ORCHESTRATE_E2E=1);
# elsewhere it says how, because the suite needs a network namespace (root or CAP_SYS_ADMIN).
set -euo pipefail
if [ "${CI:-}" = "true" ] || [ "${ORCHESTRATE_E2E:-}" = "1" ]; then
  exec bash "$(dirname "$0")/e2e.sh"
fi
echo "e2e: not run (it runs with CI=true or ORCHESTRATE_E2E=1, or: npm run test:e2e)" >&2
