# hpa-operator — `make demo` and `make test` do everything on a fresh Debian machine with Swift.

SHELL        := /bin/bash
SWIFT        ?= swift
BIN          := .build/debug/hpa-operator
# Debug builds without debug information: a cold `make test` compiles about a quarter less (no
# DWARF for the dependencies' thousands of files); backtraces still name functions. demo, test,
# e2e and fuzz share it, so each goes on from the other's build (plain `swift build` is another
# configuration and rebuilds).
DEBUG_BUILD  := $(SWIFT) build -Xswiftc -gnone -Xcc -g0
# etcd-server, iproute2 and xz-utils are for the real-control-plane suite (`make e2e`).
APT_PACKAGES := libcurl4-openssl-dev libssl-dev prometheus binutils openssl etcd-server iproute2 xz-utils python3-venv prometheus-alertmanager
# Waits for another apt or dpkg to finish instead of failing on its lock.
APT_GET      := apt-get -o DPkg::Lock::Timeout=600

.PHONY: deps helm-sdk build release image test format format-check e2e demo bench-kube bench-operator bench-collector bench-promql bench-api bench-cluster bench-render fuzz clean

# Installs the Debian packages that are missing (apt-get update only when something is).
deps:
	@command -v $(SWIFT) >/dev/null || { echo "swift is not on PATH: install a Swift 6 toolchain first"; exit 1; }
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo $(APT_GET) update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo $(APT_GET) install -y -qq --no-install-recommends $$missing; \
	fi
	@# kubectl renders config/ in the tests: google-cloud-cli's if present, else Debian's.
	@command -v kubectl >/dev/null || { sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo $(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $$sudo $(APT_GET) install -y -qq --no-install-recommends kubernetes-client; }

# Helm's own Go SDK (PyPI helm-python-sdk, no helm binary) in a virtual environment under the
# build folder, for the chart's tests (they find it there, or at HPA_OPERATOR_HELM_PYTHON).
PYTHON      ?= python3
HELM_VENV   := .build/helm-venv
HELM_SDK    := helm-python-sdk==0.2.2
helm-sdk:
	@$(HELM_VENV)/bin/python -c 'import helm_python' 2>/dev/null || { 		$(PYTHON) -m venv $(HELM_VENV) && $(HELM_VENV)/bin/pip install -q --disable-pip-version-check '$(HELM_SDK)'; }

build: deps
	$(DEBUG_BUILD)

# The Swift runtime is linked in, so the image needs only Debian's libcurl4 and libssl3 (see Dockerfile).
release: deps
	$(SWIFT) build -c release --static-swift-stdlib --product hpa-operator

# The container image (no Docker engine runs on our CI machines: this target is how to build it).
IMAGE ?= ghcr.io/hpa-operator/hpa-operator:0.1.0
image:
	@command -v docker >/dev/null || { echo "docker is not installed; on a machine with Docker run: docker build -t $(IMAGE) ."; exit 1; }
	docker build -t $(IMAGE) .

# Everything: the unit and double-backed suites, then the real-control-plane suite on its own
# (it loads both cores; it is skipped, with a line saying how to enable it, where no Kubernetes
# binaries are found: HPA_OPERATOR_K8S_BIN, KUBEBUILDER_ASSETS, or ../shared/k8s).
test: deps helm-sdk format-check
	$(DEBUG_BUILD) --build-tests
	$(SWIFT) test --skip-build --skip EndToEndTests
	SWIFT=$(SWIFT) tools/e2e-per-release

# The code as swift-format writes it (.swift-format): `make format` rewrites, `format-check` says
# which files differ (it runs first in `make test`).
FORMAT_PATHS = Sources Tests Package.swift
format:
	$(SWIFT) format -i --configuration .swift-format -r $(FORMAT_PATHS)

format-check:
	@set -e; dir=$$(mktemp -d); trap 'rm -rf $$dir' EXIT; cp -r $(FORMAT_PATHS) .swift-format $$dir/; \
	(cd $$dir && $(SWIFT) format -i --configuration .swift-format -r $(FORMAT_PATHS)); \
	changed=$$(for f in $$(cd $$dir && find $(FORMAT_PATHS) -name '*.swift'); do cmp -s "$$f" "$$dir/$$f" || echo "$$f"; done); \
	if [ -n "$$changed" ]; then echo "format-check: not as swift-format writes them (run make format):"; echo "$$changed"; exit 1; fi

# Only the real-control-plane suite, once per release given (HPA_OPERATOR_K8S_BIN=dir1:dir2).
e2e: deps helm-sdk
	$(DEBUG_BUILD) --build-tests
	SWIFT=$(SWIFT) tools/e2e-per-release

# Previews every sample workload against Debian's Prometheus holding samples/prometheus/*.om,
# at the data's instant: the table `kubectl get hpa` would show. Then an invalid workload's errors.
# A debug build of the one product serves (a few queries; no optimizer pass over every dependency),
# and `make test` goes on from it.
DEMO_TIME := 2024-05-01T12:00:00Z
demo: deps
	$(DEBUG_BUILD) --product hpa-operator
	@set -e; bin=$(BIN); dir=$$(mktemp -d); pid=""; \
	trap 'test -n "$$pid" && kill $$pid 2>/dev/null; rm -rf $$dir' EXIT INT TERM; \
	for f in samples/prometheus/*.om; do promtool tsdb create-blocks-from openmetrics $$f $$dir/data >/dev/null; done; \
	port=""; for p in $$(seq 19090 19190); do (exec 3<>/dev/tcp/127.0.0.1/$$p) 2>/dev/null || { port=$$p; break; }; done; \
	: > $$dir/prometheus.yml; \
	prometheus --config.file=$$dir/prometheus.yml --storage.tsdb.path=$$dir/data --storage.tsdb.retention.time=100y \
		--web.listen-address=127.0.0.1:$$port --log.level=error >$$dir/prometheus.log 2>&1 & pid=$$!; \
	for i in $$(seq 100); do $$bin query --prometheus-server http://127.0.0.1:$$port 'vector(1)' >/dev/null 2>&1 && break; sleep 0.1; done; \
	echo "== hpa-operator preview -f samples/ --prometheus-server http://127.0.0.1:$$port --prometheus-server-alias thanos=... --time $(DEMO_TIME)"; \
	$$bin preview -f samples/ --prometheus-server http://127.0.0.1:$$port --prometheus-server-alias thanos=http://127.0.0.1:$$port --time $(DEMO_TIME); \
	echo; echo "== hpa-operator backtest -f samples/ … --from 2024-05-01T11:52:00Z --to $(DEMO_TIME): what the HPAs would have done over the data"; \
	mkdir -p demo-output; \
	$$bin backtest -f samples/ --prometheus-server http://127.0.0.1:$$port --prometheus-server-alias thanos=http://127.0.0.1:$$port --from 2024-05-01T11:52:00Z --to $(DEMO_TIME) --plot demo-output/backtest.svg; \
	echo "(the plot: demo-output/backtest.svg)"; \
	echo; echo "== An invalid workload: every problem at once, exit code 1 (hpa-operator preview -f samples/invalid/)"; \
	status=0; $$bin preview -f samples/invalid/ || status=$$?; test $$status -eq 1

# The fuzz suites (annotations, Prometheus answers, manifests, JSON) with many more cases than
# `make test` runs, from a fresh seed that is printed: rerun a failure with FUZZ_SEED=<seed>.
FUZZ_ITERATIONS ?= 20000
fuzz: deps
	$(DEBUG_BUILD) --build-tests
	@seed=$${FUZZ_SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}; echo "fuzz seed $$seed, $(FUZZ_ITERATIONS) cases per suite"; \
	HPA_FUZZ_SEED=$$seed HPA_FUZZ_ITERATIONS=$(FUZZ_ITERATIONS) $(SWIFT) test --skip-build --filter 'FuzzTests|JSONParsingTests'

# Benchmarks (not tests): figures are printed, compare them within one run.
bench-kube: deps
	$(SWIFT) build -c release --product KubeBenchmark
	.build/release/KubeBenchmark

bench-operator: deps
	$(SWIFT) build -c release --product OperatorBenchmark
	.build/release/OperatorBenchmark

bench-collector: deps
	$(SWIFT) build -c release --product CollectorBenchmark
	.build/release/CollectorBenchmark

# The regular expression bombs of #41 (time and peak memory), then parse and namespace-rewrite
# time per query over the PromQL corpus, beside decoding one answer.
bench-promql: deps
	$(SWIFT) build -c release --product PromQLBenchmark
	.build/release/PromQLBenchmark

# The real kube-apiserver (binaries as for `make e2e`); run as root (network namespaces).
bench-cluster: deps
	$(SWIFT) build -c release --product ClusterBenchmark
	$(SWIFT) build -c release --product hpa-operator
	.build/release/ClusterBenchmark

# Also needs Debian's wrk (the load generator) and nginx (the reference server).
bench-api: deps
	@for p in wrk nginx; do command -v $$p >/dev/null || PATH=$$PATH:/usr/sbin command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo $(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $$sudo $(APT_GET) install -y -qq --no-install-recommends wrk nginx; fi
	$(SWIFT) build -c release --product APIBenchmark
	.build/release/APIBenchmark

# `render` over 10,000 annotated Deployments (one file, as `kubectl get deploy -A -o yaml` gives),
# beside the same-run reference: only loading that file with libyaml through PyYAML's CSafeLoader
# (Debian's python3-yaml). (`kubectl kustomize` of it took over 11 minutes here.)
RENDER_N ?= 10000
bench-render: deps
	@python3 -c 'import yaml; yaml.CSafeLoader' 2>/dev/null || { sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo $(APT_GET) update -qq && DEBIAN_FRONTEND=noninteractive $$sudo $(APT_GET) install -y -qq --no-install-recommends python3-yaml; }
	$(SWIFT) build -c release --product hpa-operator
	@set -e; dir=$$(mktemp -d); trap 'rm -rf $$dir' EXIT; \
	awk -v n=$(RENDER_N) 'BEGIN { for (i = 0; i < n; i++) { \
		printf "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-%d\n  namespace: ns-%d\n  uid: u-%d\n  annotations:\n", i, i % 50, i; \
		printf "    hpa.autoscaling.banzaicloud.io/minReplicas: \"1\"\n    hpa.autoscaling.banzaicloud.io/maxReplicas: \"10\"\n"; \
		printf "    prometheus.rps.hpa.autoscaling.banzaicloud.io/query: sum(rate(http_requests_total{app=\"web-%d\"}[2m]))\n", i; \
		printf "    prometheus.rps.hpa.autoscaling.banzaicloud.io/targetAverageValue: \"40\"\n"; \
		printf "spec:\n  replicas: 2\n  selector: {matchLabels: {app: web-%d}}\n  template:\n    metadata: {labels: {app: web-%d}}\n", i, i; \
		printf "    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n        resources: {requests: {cpu: 100m, memory: 64Mi}}\n" } }' > $$dir/workloads.yaml; \
	start=$$(date +%s.%N); .build/release/hpa-operator render -f $$dir/workloads.yaml > $$dir/hpas.yaml; end=$$(date +%s.%N); \
	reference=$$(python3 -c 'import sys, time, yaml; t = time.monotonic(); n = sum(1 for _ in yaml.load_all(open(sys.argv[1]), Loader=yaml.CSafeLoader)); print("%.2f" % (time.monotonic() - t))' $$dir/workloads.yaml); \
	awk -v n=$(RENDER_N) -v s=$$start -v e=$$end -v ref=$$reference -v hpas=$$(grep -c '^kind: HorizontalPodAutoscaler' $$dir/hpas.yaml) \
		'BEGIN { printf "render: %d workloads -> %d HPAs in %.2f s (%.0f workloads/s); reference, libyaml only loading the same file (PyYAML CSafeLoader): %.2f s (%.0f/s)\n", n, hpas, e - s, n / (e - s), ref, n / ref }'

clean:
	rm -rf .build
