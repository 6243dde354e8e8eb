"""The runtime contract between the operator and the worker pod.

The operator renders a worker pod with these names; the worker reads them.
Neither side imports the other, so the names live here, in the API package.
Pure constants: no I/O.
"""

from typing import Final

GROUP: Final = "alchemiser.io"
VERSION: Final = "v1alpha1"
API_VERSION: Final = f"{GROUP}/{VERSION}"
STRATEGY_KIND: Final = "TradingStrategy"
STRATEGY_PLURAL: Final = "tradingstrategies"
HALT_KIND: Final = "TradingHalt"
HALT_PLURAL: Final = "tradinghalts"
BACKTEST_KIND: Final = "TradingBacktest"
BACKTEST_PLURAL: Final = "tradingbacktests"
# Environment of a backtest pod: the TradingBacktest's spec with the strategy inline
# (the operator resolves strategyRef), and who the backtest is (the report ConfigMap's owner).
ENV_BACKTEST_SPEC: Final = "ALCHEMISER_BACKTEST_SPEC"
ENV_BACKTEST_NAME: Final = "ALCHEMISER_BACKTEST_NAME"
ENV_BACKTEST_NAMESPACE: Final = "ALCHEMISER_BACKTEST_NAMESPACE"
ENV_BACKTEST_UID: Final = "ALCHEMISER_BACKTEST_UID"
ENV_COMPLETION_INDEX: Final = "JOB_COMPLETION_INDEX"  # set by the Job controller (Indexed)
REPORT_KEY: Final = "report.html.gz"  # binaryData key of a backtest's report ConfigMap
REPORT_LIMIT: Final = 900 * 1024  # bytes of gzip report kept in a ConfigMap (limit 1 MiB)

# Where the credentials Secret is mounted read-only in the worker container.
# Files named APCA_API_KEY_ID and APCA_API_SECRET_KEY; never environment variables.
CREDENTIALS_DIR: Final = "/var/run/secrets/alchemiser/broker"
KEY_ID_FILE: Final = "APCA_API_KEY_ID"
SECRET_KEY_FILE: Final = "APCA_API_SECRET_KEY"
CREDENTIAL_FILES: Final = (KEY_ID_FILE, SECRET_KEY_FILE)

# Environment of the worker container.
ENV_SPEC: Final = "ALCHEMISER_STRATEGY_SPEC"  # the strategy spec as JSON (camelCase fields)
ENV_STRATEGY_NAMESPACE: Final = "ALCHEMISER_STRATEGY_NAMESPACE"  # downward API
ENV_STRATEGY_NAME: Final = "ALCHEMISER_STRATEGY_NAME"  # downward API (pod label)
ENV_STRATEGY_UID: Final = "ALCHEMISER_STRATEGY_UID"  # downward API (pod label)
ENV_JOB_NAME: Final = "ALCHEMISER_JOB_NAME"  # downward API (job-name pod label)
ENV_POD_NAME: Final = "ALCHEMISER_POD_NAME"  # downward API
# The TradingStrategy's own metadata.labels as a JSON object, rendered by the operator
# (the downward API only sees the pod's labels); halts' strategySelector matches these.
ENV_STRATEGY_LABELS: Final = "ALCHEMISER_STRATEGY_LABELS"

# The run ledger: what the operator recorded of earlier runs (runs today, high-water mark,
# breakers tripped today), a ConfigMap per strategy mounted read-only into each run.
LEDGER_DIR: Final = "/var/run/alchemiser/ledger"
LEDGER_FILE: Final = "ledger.json"

# Referenced symphony ConfigMaps are mounted read-only at SYMPHONY_DIR/<configmap name>/,
# one file per key (binaryData keys as their raw, gzip-compressed bytes).
SYMPHONY_DIR: Final = "/etc/alchemiser/symphonies"

TERMINATION_LOG: Final = "/dev/termination-log"
TERMINATION_LOG_LIMIT: Final = 4096  # bytes kubelet keeps of a termination message

# Labels and annotations.
LABEL_STRATEGY: Final = "alchemiser.io/strategy"
LABEL_STRATEGY_UID: Final = "alchemiser.io/strategy-uid"
LABEL_JOB_NAME: Final = "batch.kubernetes.io/job-name"
# A circuit breaker's TradingHalt: which strategy (name and namespace) and which breaker.
LABEL_STRATEGY_NAMESPACE: Final = "alchemiser.io/strategy-namespace"
LABEL_BREAKER: Final = "alchemiser.io/breaker"
LABEL_BACKTEST: Final = "alchemiser.io/backtest"  # on a TradingBacktest's Job and pods
LABEL_BACKTEST_UID: Final = "alchemiser.io/backtest-uid"
LABEL_COMPLETION_INDEX: Final = "batch.kubernetes.io/job-completion-index"
ANNOTATION_RUN_NOW: Final = "alchemiser.io/run-now"
FIELD_MANAGER: Final = "alchemiser-operator"
