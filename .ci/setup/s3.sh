#!/usr/bin/env bash
# Installs moto's S3 server (PyPI) into .cache/moto-venv for @strata/s3's tests. s3rver, the other S3
# server the tests start, is an npm devDependency of plugins/s3 and comes with `pnpm install`.
# Idempotent: does nothing when the pinned version is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."

MOTO_VERSION=5.2.5
venv=.cache/moto-venv

if [ -x "$venv/bin/moto_server" ] && [ "$("$venv/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null)" = "$MOTO_VERSION" ]; then
  echo "moto $MOTO_VERSION already installed in $venv"
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
echo "installed moto $MOTO_VERSION into $venv"
