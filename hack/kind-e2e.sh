#!/usr/bin/env bash
# End-to-end smoke test on a kind cluster, for machines with Docker.
#
#   hack/kind-e2e.sh          create (or reuse) the cluster, build and load the image,
#                             install the chart, run one paper trade and one halt
#   hack/kind-e2e.sh --down   delete the cluster
#
# Needs: docker, kind, kubectl, helm on PATH. Not run in this repository's CI (no
# container engine there); `make test` only checks it with shellcheck (tests/e2e).
#
# Environment: CLUSTER (default alchemiser-e2e), IMAGE (default
# ghcr.io/alchemiser/alchemiser:e2e), SIM_NOW (the paper exchange's simulated time; default a
# moment when NYSE was open, so the run trades whatever the real clock says).
set -euo pipefail

CLUSTER=${CLUSTER:-alchemiser-e2e}
IMAGE=${IMAGE:-ghcr.io/alchemiser/alchemiser:e2e}
SIM_NOW=${SIM_NOW:-2026-11-25T20:30:00Z}
RELEASE=alchemiser
SYSTEM_NS=alchemiser-system
NS=alchemiser-e2e
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '==> %s\n' "$*"; }
die() { printf 'kind-e2e: %s\n' "$*" >&2; exit 1; }

for tool in docker kind kubectl helm; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not on PATH"
done

if [[ ${1:-} == "--down" ]]; then
  kind delete cluster --name "$CLUSTER"
  exit 0
fi

# Waits until a jsonpath of an object equals a value; arguments: what, expected, kubectl args...
wait_for() {
  local what=$1 expected=$2
  shift 2
  local i value
  for i in $(seq 1 120); do
    value=$(kubectl "$@" 2>/dev/null || true)
    if [[ $value == "$expected" ]]; then
      return 0
    fi
    if (( i % 15 == 0 )); then log "still waiting for $what (now: ${value:-nothing})"; fi
    sleep 2
  done
  die "timed out waiting for $what (last: ${value:-nothing})"
}

if ! kind get clusters | grep -qx "$CLUSTER"; then
  log "creating kind cluster $CLUSTER"
  kind create cluster --name "$CLUSTER" --wait 120s
fi
kubectl config use-context "kind-$CLUSTER" >/dev/null

log "building $IMAGE"
docker build --tag "$IMAGE" "$REPO_ROOT"
log "loading the image into kind"
kind load docker-image "$IMAGE" --name "$CLUSTER"

# The chart creates the worker ServiceAccount in each of workers.namespaces,
# so the namespace must exist before the install.
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f -

log "installing the chart"
helm upgrade --install "$RELEASE" "$REPO_ROOT/charts/alchemiser" \
  --namespace "$SYSTEM_NS" --create-namespace \
  --set image.repository="${IMAGE%:*}" --set image.tag="${IMAGE##*:}" \
  --set "workers.namespaces={$NS}" \
  --wait --timeout 5m

log "starting the paper exchange in namespace $NS (simulated time $SIM_NOW)"
kubectl apply -n "$NS" -f - <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: paper-exchange}
spec:
  replicas: 1
  selector: {matchLabels: {app: paper-exchange}}
  template:
    metadata: {labels: {app: paper-exchange}}
    spec:
      containers:
        - name: sim
          image: $IMAGE
          # A \$20,000 account: each order of the 50/50 strategy below stays under the
          # default maxOrderNotional (\$10,000) and maxPositionFraction (0.5).
          args: [sim, --host, 0.0.0.0, --port, "8765", --now, "$SIM_NOW", --cash, "20000",
                 --key-id, e2e-key-id, --secret-key, e2e-secret-key]
          ports: [{containerPort: 8765}]
---
apiVersion: v1
kind: Service
metadata: {name: paper-exchange}
spec:
  selector: {app: paper-exchange}
  ports: [{port: 8765, targetPort: 8765}]
---
apiVersion: v1
kind: Secret
metadata: {name: alpaca-paper}
stringData: {APCA_API_KEY_ID: e2e-key-id, APCA_API_SECRET_KEY: e2e-secret-key}
EOF
kubectl rollout status -n "$NS" deployment/paper-exchange --timeout 180s

log "applying a paper strategy against the exchange"
kubectl apply -n "$NS" -f - <<EOF
apiVersion: alchemiser.io/v1alpha1
kind: TradingStrategy
metadata: {name: smoke}
spec:
  schedule: "45 15 * * 1-5"
  mode: paper
  allocations:
    - {strategy: static, weight: 1.0, parameters: {weights: {SPY: 0.5, TLT: 0.5}}}
  broker:
    credentialsSecret: alpaca-paper
    endpoint: http://paper-exchange.$NS.svc:8765
EOF
wait_for "strategy smoke to be Ready" True \
  get tstrat smoke -n "$NS" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'

log "triggering a run"
kubectl annotate tstrat smoke -n "$NS" --overwrite "alchemiser.io/run-now=$(date +%s)"
wait_for "the run's result" Succeeded \
  get tstrat smoke -n "$NS" -o 'jsonpath={.status.lastRun.outcome}'
kubectl get tstrat -n "$NS"

log "kill switch: a TradingHalt suspends the CronJob"
CRONJOB=$(kubectl get tstrat smoke -n "$NS" -o 'jsonpath={.status.cronJobName}')
kubectl apply -f - <<EOF
apiVersion: alchemiser.io/v1alpha1
kind: TradingHalt
metadata: {name: kind-e2e}
spec: {reason: "kind-e2e smoke test", mode: Halt}
EOF
wait_for "CronJob $CRONJOB to be suspended" true \
  get cronjob "$CRONJOB" -n "$NS" -o 'jsonpath={.spec.suspend}'
kubectl delete tradinghalt kind-e2e
wait_for "CronJob $CRONJOB to resume" false \
  get cronjob "$CRONJOB" -n "$NS" -o 'jsonpath={.spec.suspend}'

log "smoke test passed (delete the cluster with: hack/kind-e2e.sh --down)"
