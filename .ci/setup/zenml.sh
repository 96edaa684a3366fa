#!/usr/bin/env bash
# Installs the pinned ZenML release into bench/.venv for `pnpm bench:compare` and its smoke test.
# Idempotent: bench/compare.mjs --install-only does nothing when the pinned version is there.
set -euo pipefail
cd "$(dirname "$0")/../.."
node_modules/.bin/node bench/compare.mjs --install-only
