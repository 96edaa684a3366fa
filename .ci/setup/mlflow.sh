#!/usr/bin/env bash
# Installs the MLflow tracking server (and its basic-auth app) into .cache/mlflow-venv for the tests of
# @strata/mlflow. Idempotent: does nothing when the pinned version is already there. Never starts a server.
set -euo pipefail
cd "$(dirname "$0")/../.."

MLFLOW_VERSION=3.17.2
venv=.cache/mlflow-venv
python=${PYTHON:-python3}

if [ -x "$venv/bin/python" ] &&
  "$venv/bin/python" -c "import mlflow, flask_wtf, sys; sys.exit(mlflow.__version__ != '$MLFLOW_VERSION')" 2>/dev/null; then
  echo "mlflow $MLFLOW_VERSION already installed in $venv"
  exit 0
fi

mkdir -p .cache
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
# [auth] brings the basic-auth app (`mlflow server --app-name basic-auth`).
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "mlflow[auth]==$MLFLOW_VERSION"
"$venv/bin/mlflow" --version
