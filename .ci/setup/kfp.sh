#!/usr/bin/env bash
# Installs the Kubeflow Pipelines SDK (PyPI: kfp, with kfp-pipeline-spec and kfp-server-api) into
# .cache/kfp-venv for @strata/kubeflow's tests: the SDK judges the IR Strata compiles, and the KFP API
# contract server of @strata/testing parses every request with kfp-server-api's models. Idempotent: does
# nothing when the pinned version is already there. Never starts a server.
set -euo pipefail
cd "$(dirname "$0")/../.."

KFP_VERSION=2.17.3
venv=.cache/kfp-venv
python=${PYTHON:-python3}

if [ -x "$venv/bin/python" ] &&
  "$venv/bin/python" -c "import kfp, kfp_server_api, kfp.pipeline_spec.pipeline_spec_pb2, kfp.kubernetes, sys; sys.exit(kfp.__version__ != '$KFP_VERSION')" 2>/dev/null; then
  echo "kfp $KFP_VERSION already installed in $venv"
  exit 0
fi

mkdir -p .cache
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
# kfp pins its kfp-pipeline-spec and kfp-server-api; kfp-kubernetes is the platform spec's own package.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "kfp==$KFP_VERSION" "kfp-kubernetes==$KFP_VERSION"
"$venv/bin/python" -c "import kfp, kfp_server_api; print('installed kfp', kfp.__version__, 'kfp-server-api', kfp_server_api.__version__, 'into $venv')"
