# hpa-operator — `make demo` and `make test` do everything on a fresh Debian machine with Swift.

SWIFT        ?= swift
BIN          := .build/debug/hpa-operator
APT_PACKAGES := libcurl4-openssl-dev libssl-dev prometheus

.PHONY: deps build release test demo bench-kube bench-operator bench-collector bench-api clean

# Installs the Debian packages that are missing (apt-get update only when something is).
deps:
	@command -v $(SWIFT) >/dev/null || { echo "swift is not on PATH: install a Swift 6 toolchain first"; exit 1; }
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Renders the HPAs for every sample workload, then shows how an invalid one is reported.
demo: build
	@echo "== HPAs the operator writes for samples/ (hpa-operator render -f samples/)"
	@$(BIN) render -f samples/
	@echo
	@echo "== An invalid workload: every problem at once, exit code 1 (hpa-operator render -f samples/invalid/)"
	@$(BIN) render -f samples/invalid/; test $$? -eq 1

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

# Also needs Debian's wrk (the load generator) and nginx (the reference server).
bench-api: deps
	@for p in wrk nginx; do command -v $$p >/dev/null || PATH=$$PATH:/usr/sbin command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends wrk nginx; fi
	$(SWIFT) build -c release --product APIBenchmark
	.build/release/APIBenchmark

clean:
	rm -rf .build
