#!/usr/bin/env bash
# The whole test suite. Installs what the tests need when it is missing (Debian's
# prometheus — promtool included — and chromium, poppler-utils to read the report's PDF,
# postgresql for the broker-restart test;
# Helm's SDK from PyPI; the tansu Kafka-protocol broker), then runs every test.
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
target_dir="${CARGO_TARGET_DIR:-target}"

need_apt=()
# Build: librdkafka is compiled with TLS/SASL support against the system OpenSSL.
pkg-config --exists openssl 2>/dev/null || need_apt+=(libssl-dev pkg-config)
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-pip)
command -v pdftotext >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1 || need_apt+=(poppler-utils)
# PostgreSQL's server (initdb, pg_ctl; the `postgres` user): the broker-restart test keeps
# tansu's data in a throwaway cluster of its own (tests/common/durable.rs).
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_apt+=(postgresql)
# A CJK font, so the report screenshots show characters rather than boxes.
[ -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || need_apt+=(fonts-wqy-zenhei)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "test.sh: installing ${need_apt[*]} (apt)"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Helm's Go SDK as a library (PyPI's helm-python-sdk; no helm binary is packaged in the
# registries reachable here) for tests/deploy_helm.rs: helm lint and helm template, offline.
helm_py="$target_dir/tools/helm-python"
if ! PYTHONPATH="$helm_py" python3 -c 'import helm_python' >/dev/null 2>&1; then
  echo "test.sh: installing helm-python-sdk 0.2.2 (PyPI) into $helm_py"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps --target "$helm_py" helm-python-sdk==0.2.2
fi
HOTLINE_HELM_PYTHONPATH="$(cd "$helm_py" && pwd)"
export HOTLINE_HELM_PYTHONPATH

# tansu with in-memory storage (dynostore) and PostgreSQL storage (the broker-restart
# test keeps its data across a real stop). A tansu built without postgres answers a
# postgres:// URL with FeatureNotEnabled, so the installed features are checked too.
tansu_ok() {
  command -v tansu >/dev/null 2>&1 || return 1
  python3 - "$HOME/.cargo/.crates2.json" <<'PY' 2>/dev/null
import json, sys
installs = json.load(open(sys.argv[1]))["installs"]
ok = any(k.startswith("tansu 0.6.0 ") and {"dynostore", "postgres"} <= set(v.get("features", []))
         for k, v in installs.items())
sys.exit(0 if ok else 1)
PY
}
if ! tansu_ok; then
  echo "test.sh: installing the tansu broker (cargo install; about 20 minutes on 2 cores)"
  cargo install tansu --version 0.6.0 --features dynostore,postgres --locked --force
fi

# The debug build of every test target takes about 2.5 GB (Cargo.toml's dev profile keeps
# only line tables); say so up front rather than fail mid-link with ENOSPC.
mkdir -p "$target_dir"
free_mb=$(df -Pm "$target_dir" | awk 'NR == 2 { print $4 }')
if [ "${free_mb:-0}" -lt 3072 ]; then
  echo "test.sh: warning: only ${free_mb} MB free under $target_dir; the test build needs about 2.5 GB" >&2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --all-targets "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line for the whole suite (cargo prints one per test binary).
awk '/^test result:/ { for (i = 2; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
