// Strict decoding of the chart's dashboards with Grafana's own types (tests/chart).
module alchemiser.dev/tests/chart/grafanacheck

go 1.26

require github.com/grafana/grafana-foundation-sdk/go v0.0.22
