# zeroops developer commands. `make run` and `make test` do every set-up step
# themselves on a fresh machine (npm install, Kafka jars, broker, database).
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_STAMP := node_modules/.zeroops-installed
# The web UI's build (dist/web/), rebuilt when a source of services/web/ui/ is newer.
WEB_STAMP := dist/web/index.html
WEB_SOURCES := $(shell find services/web/ui -type f -not -name '*.test.ts' 2>/dev/null)

.PHONY: help install run build test test-unit typecheck lint kafka-fetch kafka-up kafka-down kafka-status postgres-up \
        bench-startup bench-nab bench-backtest bench-forecast bench-scaling bench-changes bench-ingest bench-detector bench-executor bench-chaos bench-learning bench-ui bench-zeroops bench-zeroops-short bench-demo demo chromium web clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 18

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(NODE_STAMP) ## install npm dependencies when missing or stale

$(WEB_STAMP): $(NODE_STAMP) $(WEB_SOURCES)
	npm run build:web

web: $(WEB_STAMP) ## build the web UI into dist/web/ when missing or stale (the API serves it at /)

run: install web ## start zeroops in embedded mode (in-process bus, PGlite in ./.zeroops-data)
	exec node bin/zeroops.js start

# SHORT_RUN=1: `make test` also runs the short proving-ground run (bench-zeroops-short) alone after the suite;
# 0 (the default) until its run record (README, bench-zeroops) shows it passes reliably.
SHORT_RUN ?= 0

test: install web chromium ## the whole suite against a real Kafka broker and a real Postgres (starts and stops them); SHORT_RUN=1 adds bench-zeroops-short after it
	./test/run-all.sh
	@if [ "$(SHORT_RUN)" = 1 ]; then echo "== bench-zeroops-short (alone, after the suite)"; $(MAKE) --no-print-directory bench-zeroops-short; fi

test-unit: install ## unit tests only (no Kafka, no Postgres)
	npx vitest run services models

demo: install web ## zeroops (embedded) + the demo shop, its load and playbooks; prints where to look (Ctrl-C stops)
	ZEROOPS_HTTP_ALLOWLIST=$${ZEROOPS_HTTP_ALLOWLIST:-127.0.0.1} node bin/zeroops.js demo run

typecheck: install ## tsc --noEmit (services and the web UI)
	npx tsc --noEmit -p tsconfig.json
	npx tsc --noEmit -p services/web/ui/tsconfig.json

lint: install ## biome check
	npx biome check .

kafka-fetch: ## fetch the Kafka broker jars from Maven Central (cached in infra/kafka/lib)
	infra/kafka/kafka.sh fetch

kafka-up: ## start the single-node Kafka broker on 127.0.0.1:19092 (idempotent)
	infra/kafka/kafka.sh up

kafka-down: ## stop the Kafka broker
	infra/kafka/kafka.sh down

kafka-status: ## is the broker running?
	infra/kafka/kafka.sh status

postgres-up: ## start the local PostgreSQL cluster if it is down
	./test/postgres-up.sh

chromium: ## install Chromium for the browser tests (Debian package)
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

build: install ## compile to dist/ (what the npm package runs)
	npm run build

bench-startup: build ## time from zeroops start to the first 200 from /readyz: sources (tsx) and dist/, median of 5
	npx tsx test/bench/startup/bench-startup.ts 5

bench-nab: install ## NAB benchmark: zeroops detect and the per-signal model, in-sample and leave-one-category-out, configurations tried, rows/s
	npx tsx test/bench/nab/bench-nab.ts

bench-forecast: install ## load forecasts vs seasonal-naive (MASE, MAE reduction, 90 % interval coverage) on the demo's traffic and NAB daily series
	npx tsx test/bench/forecast/bench-forecast.ts

bench-scaling: install ## predictive vs reactive scaling under a recurring surge (simulation with the real forecast and replica plan; ARGS=--live: on real processes, about 30 min): minutes above the p99 objective, replica-minutes
	npx tsx test/bench/scaling/bench-scaling.ts $(ARGS)

bench-changes: install ## deferred actions in the lowest quarter of the day's load (simulated clock over the real scheduling code), none past max delay; good and bad managed rollouts of the demo's cart through its rolling deploy, judged by the real detector (real time, about ten minutes)
	npx tsx test/bench/changes/bench-changes.ts $(ARGS)

bench-backtest: install ## multivariate backtest on labelled service history (BACKTEST_DIR, default ../shared/datasets/jumpstarter-d2): point F1, Fc1 vs z-score, rows/s
	npx tsx test/bench/backtest/bench-backtest.ts $(ARGS)

bench-ingest: install kafka-up ## collector throughput and latency against the real broker
	npx tsx test/bench/ingest/bench-ingest.ts

bench-detector: install ## detector throughput, delay, memory, precision/recall on a synthetic fleet
	npx tsx test/bench/detector/bench-detector.ts

bench-executor: install postgres-up ## executor matching and start-delay figures
	npx tsx test/bench/executor/bench-executor.ts

bench-learning: install ## remediation policy on simulated playbooks with hidden success rates: cumulative regret vs best fixed, random, priority after 500 and 1000 episodes (median of 7 seeds); recalibration from labels: false-alarm reduction and recall on a simulated replay
	npx tsx test/bench/learning/bench-learning.ts

bench-ui: install web postgres-up chromium ## first page load (KPI tiles + incident list drawn) with 10,000 incidents, median of 5
	npx tsx test/bench/ui/bench-ui.ts 5

bench-chaos: install kafka-fetch ## production mode under faults (kill -9 each service, broker stop, Postgres restart, full budget): loss, duplicates, recovery
	npx tsx test/bench/chaos/bench-chaos.ts

bench-zeroops: install kafka-up postgres-up ## randomized faults on the demo shop, embedded then production mode: detection, root cause, auto-fix, false actions (ARGS="--faults 30 --seed 1 ...")
	npx tsx test/bench/zeroops/bench-zeroops.ts $(ARGS)

bench-zeroops-short: install ## the short proving-ground run, 3-4 min (3 fixable faults: detected, top root cause, fixed by auto); in make test with SHORT_RUN=1
	npx vitest run --config test/bench/zeroops/vitest.config.ts

bench-demo: install web ## make demo's acceptance: the demo as make demo starts it, then at 5 min each fixable fault kind once via `zeroops demo fault`; each must be detected, root-caused and fixed by auto within 2 min (ARGS="--faults 5 --seed 1 --kinds ... --services ...")
	npx tsx test/bench/demo/demo-acceptance.ts $(ARGS)

clean: ## remove build output and local data (keeps the Kafka jars)
	rm -rf dist .zeroops-data infra/kafka/run
