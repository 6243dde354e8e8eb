#!/usr/bin/env bash
# End-to-end smoke test of what a user installs (the image and the Helm chart), on one of
# two cluster providers; everything after "the cluster" is the same for both.
#
#   hack/smoke-e2e.sh                  PROVIDER=local: the local cluster and its real node
#   PROVIDER=kind hack/smoke-e2e.sh    a kind cluster (machines with Docker)
#   hack/smoke-e2e.sh --down           uninstall (local) or delete the kind cluster
#
# Steps: the cluster, the image built from the Dockerfile and loaded into the node, the
# chart installed with it (the operator is the chart's Deployment), the paper exchange as a
# Deployment + Service, one paper trade through a worker container, one halt.
#
# Needs: local: root, podman and the project's venv (`make venv`); kind: docker, kind,
# kubectl, helm on PATH. tests/kube/test_smoke.py runs it with PROVIDER=local.
#
# Environment: PROVIDER (local | kind), CLUSTER (kind only, default alchemiser-e2e), SIM_NOW
# (the paper exchange's simulated time; default a moment when NYSE was open, so the run
# trades whatever the real clock says), SMOKE_NS (default alchemiser-e2e).
set -euo pipefail

PROVIDER=${PROVIDER:-local}
CLUSTER=${CLUSTER:-alchemiser-e2e}
SIM_NOW=${SIM_NOW:-2026-11-25T20:30:00Z}
RELEASE=alchemiser-smoke
SYSTEM_NS=alchemiser-smoke-system
NS=${SMOKE_NS:-alchemiser-e2e}
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '==> %s\n' "$*"; }
die() { printf 'smoke-e2e: %s\n' "$*" >&2; exit 1; }

# --- the providers: each sets IMAGE and SCHEDULING (chart values for where pods run) -------
provider_local() {
  local python=$REPO_ROOT/.venv/bin/python
  [[ -x $python ]] || die "no virtual environment: run make venv"
  "$python" "$REPO_ROOT/hack/devcluster.py" up
  # shellcheck disable=SC1091
  source "${DEVCLUSTER_DIR:-$REPO_ROOT/.devcluster}/env"
  log "building the image from the Dockerfile"
  IMAGE=$("$python" "$REPO_ROOT/hack/image.py" build | tail -n 1)
  "$python" "$REPO_ROOT/hack/devcluster.py" load-image
  # The real node is tainted so that only pods asking for it go there (not kwok's nodes).
  SCHEDULING=(--set-json "operator.nodeSelector={\"kubernetes.io/hostname\":\"$DEVCLUSTER_NODE\"}"
    --set-json "workers.nodeSelector={\"kubernetes.io/hostname\":\"$DEVCLUSTER_NODE\"}"
    --set-json 'operator.tolerations=[{"key":"alchemiser.io/real-node","operator":"Exists"}]'
    --set-json 'workers.tolerations=[{"key":"alchemiser.io/real-node","operator":"Exists"}]')
  PULL_POLICY=Never
}

provider_kind() {
  for tool in docker kind kubectl helm; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is not on PATH"
  done
  if ! kind get clusters | grep -qx "$CLUSTER"; then
    log "creating kind cluster $CLUSTER"
    kind create cluster --name "$CLUSTER" --wait 120s
  fi
  kubectl config use-context "kind-$CLUSTER" >/dev/null
  IMAGE=ghcr.io/alchemiser/alchemiser:e2e
  log "building $IMAGE"
  docker build --tag "$IMAGE" "$REPO_ROOT"
  kind load docker-image "$IMAGE" --name "$CLUSTER"
  SCHEDULING=()
  PULL_POLICY=IfNotPresent
}

if [[ ${1:-} == "--down" ]]; then
  case $PROVIDER in
    kind) kind delete cluster --name "$CLUSTER" ;;
    local)
      # shellcheck disable=SC1091
      source "${DEVCLUSTER_DIR:-$REPO_ROOT/.devcluster}/env"
      kubectl delete tstrat --all -n "$NS" --timeout=60s || true
      helm uninstall "$RELEASE" --namespace "$SYSTEM_NS" --wait || true
      kubectl delete namespace "$NS" "$SYSTEM_NS" --wait=false || true ;;
    *) die "unknown PROVIDER $PROVIDER (local or kind)" ;;
  esac
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

log "the cluster: provider $PROVIDER"
case $PROVIDER in
  local) provider_local ;;
  kind) provider_kind ;;
  *) die "unknown PROVIDER $PROVIDER (local or kind)" ;;
esac

# The chart creates the worker ServiceAccount in each of workers.namespaces,
# so the namespace must exist before the install.
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f -
# Shared clusters may hold the CRDs already (applied by kubectl); Helm would not adopt them.
crds_install=true
if kubectl get crd tradingstrategies.alchemiser.io >/dev/null 2>&1 &&
  ! helm status "$RELEASE" --namespace "$SYSTEM_NS" >/dev/null 2>&1; then
  crds_install=false
  kubectl apply --server-side --force-conflicts -f "$REPO_ROOT/crds/"
fi

log "installing the chart with $IMAGE"
helm upgrade --install "$RELEASE" "$REPO_ROOT/charts/alchemiser" \
  --namespace "$SYSTEM_NS" --create-namespace \
  --set image.repository="${IMAGE%:*}" --set image.tag="${IMAGE##*:}" \
  --set image.pullPolicy="$PULL_POLICY" --set crds.install="$crds_install" \
  --set "operator.watchNamespaces={$NS}" --set operator.peering.name="$RELEASE" \
  "${SCHEDULING[@]}" --wait --timeout 5m

log "starting the paper exchange in namespace $NS (simulated time $SIM_NOW)"
kubectl apply -n "$NS" -f - <<EOF
apiVersion: v1
kind: Secret
metadata: {name: alpaca-paper}
stringData: {APCA_API_KEY_ID: e2e-key-id, APCA_API_SECRET_KEY: e2e-secret-key}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: paper-exchange}
spec:
  replicas: 1
  selector: {matchLabels: {app: paper-exchange}}
  template:
    metadata: {labels: {app: paper-exchange}}
    spec:
      automountServiceAccountToken: false
      $(if [[ $PROVIDER == local ]]; then
        echo "nodeSelector: {kubernetes.io/hostname: $DEVCLUSTER_NODE}"
        echo "      tolerations: [{key: alchemiser.io/real-node, operator: Exists}]"
      fi)
      containers:
        - name: sim
          image: $IMAGE
          imagePullPolicy: $PULL_POLICY
          # A \$20,000 account: each order of the 50/50 strategy below stays under the
          # default maxOrderNotional (\$10,000) and maxPositionFraction (0.5).
          args: [sim, --host, 0.0.0.0, --port, "8765", --now, "$SIM_NOW", --cash, "20000",
                 --key-id, e2e-key-id, --secret-key-file, /broker/APCA_API_SECRET_KEY]
          ports: [{containerPort: 8765}]
          readinessProbe: {tcpSocket: {port: 8765}, periodSeconds: 2}
          securityContext:
            runAsNonRoot: true
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
            seccompProfile: {type: RuntimeDefault}
          volumeMounts: [{name: broker, mountPath: /broker, readOnly: true}]
      volumes: [{name: broker, secret: {secretName: alpaca-paper}}]
---
apiVersion: v1
kind: Service
metadata: {name: paper-exchange}
spec:
  selector: {app: paper-exchange}
  ports: [{port: 8765, targetPort: 8765}]
EOF
kubectl rollout status -n "$NS" deployment/paper-exchange --timeout 180s
# By ClusterIP: the local cluster runs no DNS (kind's would resolve the Service's name too).
EXCHANGE_IP=$(kubectl get service paper-exchange -n "$NS" -o 'jsonpath={.spec.clusterIP}')

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
    endpoint: http://$EXCHANGE_IP:8765
EOF
wait_for "strategy smoke to be Ready" True \
  get tstrat smoke -n "$NS" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'

log "triggering a run"
kubectl annotate tstrat smoke -n "$NS" --overwrite "alchemiser.io/run-now=$(date +%s)"
wait_for "the run's result" Succeeded \
  get tstrat smoke -n "$NS" -o 'jsonpath={.status.lastRun.outcome}'
kubectl get tstrat -n "$NS"
JOB=$(kubectl get tstrat smoke -n "$NS" -o 'jsonpath={.status.lastRun.job}')
log "the worker's log (kubectl logs job/$JOB), last line:"
kubectl logs -n "$NS" "job/$JOB" --tail=1

log "kill switch: a TradingHalt suspends the CronJob"
CRONJOB=$(kubectl get tstrat smoke -n "$NS" -o 'jsonpath={.status.cronJobName}')
kubectl apply -f - <<EOF
apiVersion: alchemiser.io/v1alpha1
kind: TradingHalt
metadata: {name: smoke-e2e-$NS}
spec: {reason: "smoke-e2e test", mode: Halt, namespaces: ["$NS"]}
EOF
wait_for "CronJob $CRONJOB to be suspended" true \
  get cronjob "$CRONJOB" -n "$NS" -o 'jsonpath={.spec.suspend}'
kubectl delete tradinghalt "smoke-e2e-$NS"
wait_for "CronJob $CRONJOB to resume" false \
  get cronjob "$CRONJOB" -n "$NS" -o 'jsonpath={.spec.suspend}'

log "smoke test passed on provider $PROVIDER (clean up with: PROVIDER=$PROVIDER hack/smoke-e2e.sh --down)"
