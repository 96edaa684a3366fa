#!/usr/bin/env bash
# Builds a real Kubernetes control plane (kube-apiserver, kube-controller-manager, etcd) from the Go
# module proxy for @strata/kubernetes's tests; @strata/testing starts it on 127.0.0.1.
# Cached by version under ${XDG_CACHE_HOME:-~/.cache}/strata/kube-test-plane/<version>, shared by every
# clone on the machine: only the first run builds (about 25-35 min cold on 2 cores; 35 s with a warm Go
# build cache). Idempotent: does nothing when the pinned versions are there.
set -euo pipefail

KUBE_VERSION=1.36.3
ETCD_VERSION=3.6.16
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/strata/kube-test-plane"
out="$cache_root/$KUBE_VERSION-etcd$ETCD_VERSION"

if [ -x "$out/kube-apiserver" ] && [ -x "$out/kube-controller-manager" ] && [ -x "$out/etcd" ]; then
  echo "kube test plane $KUBE_VERSION (etcd $ETCD_VERSION) already built in $out"
  exit 0
fi
command -v go >/dev/null || { echo "kubernetes.sh: Go is required to build the Kubernetes test plane" >&2; exit 1; }
# Use the installed Go; never download another toolchain. Two build jobs: the machine has 2 cores.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-p=2 -buildvcs=false"
work="$cache_root/build-$KUBE_VERSION"
mkdir -p "$work/kube" "$work/etcd" "$out.partial"

# k8s.io/kubernetes is not meant as a dependency: its go.mod requires each k8s.io staging module at
# v0.0.0, so a wrapper module replaces every one with the published v0.<minor>.<patch>.
staging_version="0.${KUBE_VERSION#1.}"
(
  cd "$work/kube"
  [ -f go.mod ] || go mod init strata.test/kube-test-plane >/dev/null
  upstream_mod=$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
  go mod edit -go="$(awk '$1=="go"{print $2; exit}' "$upstream_mod")"
  awk '$1=="godebug"{print $2}' "$upstream_mod" | while read -r setting; do go mod edit -godebug="$setting"; done
  for module in $(go mod edit -json "$upstream_mod" | python3 -c '
import json, sys
mod = json.load(sys.stdin)
print(" ".join(r["Path"] for r in mod["Require"] if r["Path"].startswith("k8s.io/") and r["Version"] == "v0.0.0"))'); do
    go mod edit -replace="$module=$module@v$staging_version"
  done
  go mod edit -require="k8s.io/kubernetes@v$KUBE_VERSION"
  cat > tools.go <<'EOT'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
)
EOT
  go mod tidy
  minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
  build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags="$ldflags -X $pkg.gitVersion=v$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags="$ldflags -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
  done
  echo "building kube-apiserver and kube-controller-manager v$KUBE_VERSION (long on a cold cache)"
  go build -trimpath -ldflags "$ldflags" -o "$out.partial/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
)
(
  cd "$work/etcd"
  [ -f go.mod ] || go mod init strata.test/etcd >/dev/null
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > tools.go
  go mod edit -require="go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
  go mod tidy
  echo "building etcd v$ETCD_VERSION"
  go build -trimpath -ldflags "-s -w" -o "$out.partial/etcd" go.etcd.io/etcd/server/v3
)
rm -rf "$out"
mv "$out.partial" "$out"
echo "built kube test plane $KUBE_VERSION (etcd $ETCD_VERSION) into $out"
