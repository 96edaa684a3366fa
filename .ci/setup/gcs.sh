#!/usr/bin/env bash
# Installs fake-gcs-server (a Go module) into .cache/bin for @strata/gcs's tests.
# Idempotent: does nothing when the pinned version is already there.
set -euo pipefail
cd "$(dirname "$0")/../.."

FAKE_GCS_VERSION=v1.56.1
bin_dir="$PWD/.cache/bin"
stamp="$bin_dir/fake-gcs-server.version"

if [ -x "$bin_dir/fake-gcs-server" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$FAKE_GCS_VERSION" ]; then
  echo "fake-gcs-server $FAKE_GCS_VERSION already installed in $bin_dir"
  exit 0
fi
command -v go >/dev/null || { echo "gcs.sh: Go is required to build fake-gcs-server" >&2; exit 1; }
mkdir -p "$bin_dir"
# GOTOOLCHAIN=local: build with the installed Go rather than downloading another toolchain.
GOBIN="$bin_dir" GOTOOLCHAIN=local go install "github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION"
echo "$FAKE_GCS_VERSION" > "$stamp"
echo "installed fake-gcs-server $FAKE_GCS_VERSION into $bin_dir"
