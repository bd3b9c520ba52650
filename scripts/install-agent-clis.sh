#!/usr/bin/env bash
# Installs the pinned real agent CLIs into a cache folder outside node_modules, for the
# end-to-end tests and for `orchestrate demo`. They are never package dependencies.
# Reused when the pinned versions are already there. Prints the bin folder on the last line.
set -euo pipefail

CLAUDE_VERSION=2.1.197
CODEX_VERSION=0.169.0
GEMINI_VERSION=0.61.0

cache="${ORCHESTRATE_AGENT_CLIS:-${XDG_CACHE_HOME:-$HOME/.cache}/orchestrate/agent-clis}"
stamp="$cache/installed-claude-$CLAUDE_VERSION-codex-$CODEX_VERSION-gemini-$GEMINI_VERSION"
mkdir -p "$cache"

if [ ! -f "$stamp" ]; then
  echo "installing agent CLIs into $cache" >&2
  # --ignore-scripts is not used: the packages pick their platform binary through optional
  # dependencies, which come from the npm registry like any other package.
  npm install --prefix "$cache" --no-audit --no-fund --loglevel=error \
    "@anthropic-ai/claude-code@$CLAUDE_VERSION" \
    "@openai/codex@$CODEX_VERSION" \
    "@google/gemini-cli@$GEMINI_VERSION" >&2
  for bin in claude codex gemini; do
    [ -x "$cache/node_modules/.bin/$bin" ] || { echo "install-agent-clis: $bin missing after install" >&2; exit 1; }
  done
  touch "$stamp"
fi
echo "$cache/node_modules/.bin"
