#!/usr/bin/env bash
# Build the pinned upstream test binaries (kube-apiserver, kubectl, etcd, helm)
# from the Go module proxy, cached by version, and link them into .tools/bin.
#
# Usage:
#   hack/tools/build.sh [TOOL...]    build TOOLs (default: all) if not cached,
#                                    then refresh .tools/bin/* symlinks
#   hack/tools/build.sh path TOOL    print the cached binary path of TOOL
#   hack/tools/build.sh sync         after editing versions.env: regenerate
#                                    k8s/go.mod and etcd/go.mod (+ go.sum)
#
# TOOL is one of: kube-apiserver kubectl etcd helm
#
# Versions come from hack/tools/versions.env only. Binaries go to
#   ${KOVA_CACHE:-$HOME/.cache/kova}/tools/<tool>-<version>/<binary>
# (kube-apiserver and kubectl share kubernetes-<version>/). A binary is only
# built when missing; builds write to a temp file that is verified
# (--version) and then renamed, so an interrupted build never leaves a
# half-written binary behind.
#
# Environment: KOVA_CACHE, GO (go command; default `go` on PATH, else
# /usr/local/go/bin/go), GOTOOLCHAIN/GOPROXY/GOMODCACHE as usual for go.
set -euo pipefail

TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$TOOLS_DIR/../.." && pwd)
CACHE_DIR="${KOVA_CACHE:-$HOME/.cache/kova}/tools"
[[ $CACHE_DIR == /* ]] || CACHE_DIR="$PWD/$CACHE_DIR" # symlinks need an absolute path
LINK_DIR="$REPO_ROOT/.tools/bin"
ALL_TOOLS=(kube-apiserver kubectl etcd helm)

die() { echo "build.sh: $*" >&2; exit 1; }

# --- versions --------------------------------------------------------------

# Parse versions.env as data (it is never sourced).
read_versions() {
  local key val
  while IFS='=' read -r key val || [[ -n $key ]]; do
    key=${key%$'\r'} val=${val%$'\r'}
    case $key in
      '' | \#*) continue ;;
      K8S_VERSION | ETCD_VERSION | HELM_VERSION) printf -v "$key" '%s' "$val" ;;
      *) die "versions.env: unknown key '$key'" ;;
    esac
  done <"$TOOLS_DIR/versions.env"
  for key in K8S_VERSION ETCD_VERSION HELM_VERSION; do
    [[ ${!key:-} =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
      die "versions.env: $key='${!key:-}' is not a vX.Y.Z version"
  done
}

tool_version() {
  case $1 in
    kube-apiserver | kubectl) echo "$K8S_VERSION" ;;
    etcd) echo "$ETCD_VERSION" ;;
    helm) echo "$HELM_VERSION" ;;
    *) die "unknown tool '$1' (expected one of: ${ALL_TOOLS[*]})" ;;
  esac
}

tool_path() {
  case $1 in
    kube-apiserver | kubectl) echo "$CACHE_DIR/kubernetes-$K8S_VERSION/$1" ;;
    etcd) echo "$CACHE_DIR/etcd-$ETCD_VERSION/etcd" ;;
    helm) echo "$CACHE_DIR/helm-$HELM_VERSION/helm" ;;
    *) die "unknown tool '$1' (expected one of: ${ALL_TOOLS[*]})" ;;
  esac
}

# --- go --------------------------------------------------------------------

find_go() {
  if [[ -n ${GO:-} ]]; then
    :
  elif command -v go >/dev/null 2>&1; then
    GO=go
  elif [[ -x /usr/local/go/bin/go ]]; then
    GO=/usr/local/go/bin/go
  else
    die "go not found (set GO=/path/to/go)"
  fi
}

# All go invocations: low priority (small machines), no cgo (static binaries),
# no go.work from a parent directory, and no inherited GOFLAGS so the flags
# below are the whole story.
run_go() {
  CGO_ENABLED=0 GOWORK=off GOFLAGS='' nice -n 10 "$GO" "$@"
}

# Fail early if a wrapper go.mod disagrees with versions.env.
check_mod_version() { # <module dir> <module path> <want version>
  local have
  have=$(cd "$TOOLS_DIR/$1" && run_go list -m -f '{{.Version}}' "$2") ||
    die "cannot read $2 version from hack/tools/$1/go.mod"
  [[ $have == "$3" ]] ||
    die "hack/tools/$1/go.mod has $2 $have but versions.env says $3; run: hack/tools/build.sh sync"
}

# Commit time of a module version, as buildDate (reproducible, unlike `date`).
module_time() { # <module dir> <module path>
  (cd "$TOOLS_DIR/$1" && run_go list -m -f '{{with .Time}}{{.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' "$2")
}

k8s_ldflags() {
  local v=$K8S_VERSION major minor date pkg flags="-s -w"
  major=${v#v} && major=${major%%.*}
  minor=${v#v"$major".} && minor=${minor%%.*}
  date=$(module_time k8s k8s.io/kubernetes)
  # Same variables hack/lib/version.sh (kube::version::ldflags) sets upstream.
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
    flags+=" -X $pkg.gitTreeState=clean -X $pkg.gitCommit= -X $pkg.buildDate=${date:-1970-01-01T00:00:00Z}"
  done
  echo "$flags"
}

# --- build -----------------------------------------------------------------

TMP_PATHS=()
cleanup() { ((${#TMP_PATHS[@]})) && rm -rf -- "${TMP_PATHS[@]}"; return 0; }
trap cleanup EXIT

# Check the freshly built binary reports the pinned version.
verify() { # <tool> <binary> <version>
  local out want=$3
  case $1 in
    kube-apiserver) out=$("$2" --version 2>&1) ;;                      # Kubernetes v1.37.2
    kubectl) out=$(KUBECONFIG=/dev/null "$2" version --client 2>&1) ;; # Client Version: v1.37.2
    etcd) out=$("$2" --version 2>&1) want=${3#v} ;;                    # etcd Version: 3.7.0
    helm) out=$("$2" version --template '{{.Version}}' 2>&1) ;;        # v3.22.0
  esac
  grep -qF -- "$want" <<<"$out" ||
    die "$1: built binary does not report version $want; it said: $out"
}

build_tool() { # <tool>
  local tool=$1 version dest tmp start gobin
  version=$(tool_version "$tool")
  dest=$(tool_path "$tool")
  if [[ -x $dest ]]; then
    echo "$tool $version: cached"
    return
  fi
  mkdir -p "$(dirname "$dest")"
  tmp="$dest.tmp.$$"
  TMP_PATHS+=("$tmp")
  echo "$tool $version: building -> $dest"
  start=$SECONDS
  case $tool in
    kube-apiserver | kubectl)
      check_mod_version k8s k8s.io/kubernetes "$K8S_VERSION"
      # Tags as in upstream hack/lib/golang.sh for non-debug builds.
      (cd "$TOOLS_DIR/k8s" && run_go build -trimpath -buildvcs=false \
        -tags=selinux,notest,grpcnotrace -ldflags="$(k8s_ldflags)" \
        -o "$tmp" "k8s.io/kubernetes/cmd/$tool")
      ;;
    etcd)
      check_mod_version etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
      # version.Version is a plain string in the source; GitSHA is what
      # etcd's own build script sets.
      (cd "$TOOLS_DIR/etcd" && run_go build -trimpath -buildvcs=false \
        -ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=module-proxy-build" \
        -o "$tmp" .)
      ;;
    helm)
      # helm's go.mod has no replace directives, so plain `go install` works.
      gobin=$(mktemp -d "$dest.gobin.XXXXXX")
      TMP_PATHS+=("$gobin")
      local k8s_minor hv=helm.sh/helm/v3
      run_go mod download "$hv@$HELM_VERSION"
      k8s_minor=$(sed -n 's/^\tk8s\.io\/client-go v0\.\([0-9]*\)\..*/\1/p' \
        "$(run_go env GOMODCACHE)/cache/download/$hv/@v/$HELM_VERSION.mod")
      [[ -n $k8s_minor ]] || die "helm: cannot find client-go version in helm's go.mod"
      # Mirrors helm's Makefile: version, and the default Kubernetes version
      # used by `helm template`/lint (.Capabilities.KubeVersion) derived from
      # its client-go; without these it reports v1.20.
      (cd "$gobin" && GOBIN=$gobin run_go install -trimpath -buildvcs=false -ldflags="-s -w \
        -X $hv/internal/version.version=$HELM_VERSION \
        -X $hv/internal/version.gitTreeState=clean \
        -X $hv/pkg/chartutil.k8sVersionMajor=1 -X $hv/pkg/chartutil.k8sVersionMinor=$k8s_minor \
        -X $hv/pkg/lint/rules.k8sVersionMajor=1 -X $hv/pkg/lint/rules.k8sVersionMinor=$k8s_minor" \
        "$hv/cmd/helm@$HELM_VERSION")
      mv -f "$gobin/helm" "$tmp"
      ;;
  esac
  verify "$tool" "$tmp" "$version"
  mv -f "$tmp" "$dest"
  echo "$tool $version: built in $((SECONDS - start))s"
}

# Point .tools/bin/<tool> at the pinned cached binary. Links to binaries of
# other (stale) versions are removed rather than left pointing at the wrong
# version.
refresh_links() {
  local tool dest
  mkdir -p "$LINK_DIR"
  for tool in "${ALL_TOOLS[@]}"; do
    dest=$(tool_path "$tool")
    if [[ -x $dest ]]; then
      if [[ $(readlink "$LINK_DIR/$tool" 2>/dev/null) != "$dest" ]]; then
        ln -sfn "$dest" "$LINK_DIR/$tool.tmp.$$"
        mv -Tf "$LINK_DIR/$tool.tmp.$$" "$LINK_DIR/$tool"
      fi
    elif [[ -L $LINK_DIR/$tool ]]; then
      echo "$tool $(tool_version "$tool"): not built; removing stale link $LINK_DIR/$tool" >&2
      rm -f "$LINK_DIR/$tool"
    fi
  done
}

# --- sync: regenerate wrapper go.mod files from versions.env ----------------

sync_k8s() {
  local kdir staging m mods=() skipped=() gomod="$TOOLS_DIR/k8s/go.mod"
  staging="v0.${K8S_VERSION#v1.}" # v1.37.2 -> v0.37.2
  run_go mod download "k8s.io/kubernetes@$K8S_VERSION"
  kdir="$(run_go env GOMODCACHE)/k8s.io/kubernetes@$K8S_VERSION"
  # Every module upstream replaces with ./staging/src/k8s.io/<name>.
  while read -r m; do
    if run_go list -m "$m@$staging" >/dev/null 2>&1; then
      mods+=("$m")
    else
      skipped+=("$m")
    fi
  done < <(sed -n '/^replace (/,/^)/p' "$kdir/go.mod" | awk '$2 == "=>" && $3 ~ /^\.\/staging\// { print $1 }')
  ((${#mods[@]})) || die "no staging modules found in $kdir/go.mod"
  {
    cat <<EOF
// Wrapper module used only to build upstream test binaries (kube-apiserver,
// kubectl) for Kova's integration tests. Not product code.
// Generated by \`hack/tools/build.sh sync\` from ../versions.env.
//
// k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them
// with ./staging/src/k8s.io/* paths that are not in the published module zip,
// so each one is replaced here with its published $staging tag. This is the
// complete staging list of k8s.io/kubernetes@$K8S_VERSION's replace block
EOF
    if ((${#skipped[@]})); then
      echo "// except these, which k8s.io/kubernetes only replaces (does not require)"
      echo "// and which have no $staging on the module proxy:"
      for m in "${skipped[@]}"; do echo "//   $m"; done
    else
      echo "// (all of them)."
    fi
    printf '\nmodule kova/hack/tools/k8s\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$K8S_VERSION"
    for m in "${mods[@]}"; do printf '\t%s => %s %s\n' "$m" "$m" "$staging"; done
    echo ")"
  } >"$gomod.tmp"
  mv -f "$gomod.tmp" "$gomod"
  rm -f "$TOOLS_DIR/k8s/go.sum"
  (cd "$TOOLS_DIR/k8s" && run_go mod tidy)
  echo "k8s/go.mod: k8s.io/kubernetes $K8S_VERSION, ${#mods[@]} staging replaces (skipped: ${skipped[*]:-none})"
}

sync_etcd() {
  (cd "$TOOLS_DIR/etcd" && run_go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" && run_go mod tidy)
  echo "etcd/go.mod: go.etcd.io/etcd/server/v3 $ETCD_VERSION"
}

# --- main ------------------------------------------------------------------

main() {
  read_versions
  find_go
  case ${1:-} in
    path)
      [[ $# -eq 2 ]] || die "usage: build.sh path TOOL"
      tool_path "$2"
      return
      ;;
    sync)
      sync_k8s
      sync_etcd
      return
      ;;
    -h | --help)
      sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
      return
      ;;
  esac
  local tools=("$@") tool
  ((${#tools[@]})) || tools=("${ALL_TOOLS[@]}")
  for tool in "${tools[@]}"; do tool_version "$tool" >/dev/null; done

  mkdir -p "$CACHE_DIR"
  # Serialise concurrent runs (e.g. make -j): builds stay sequential and two
  # runs never race on the same binary.
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE_DIR/.build.lock"
    flock 9
  fi
  for tool in "${tools[@]}"; do build_tool "$tool"; done
  refresh_links
}

main "$@"
