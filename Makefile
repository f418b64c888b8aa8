# Kova. `make test` sets up everything it needs on a fresh machine (npm packages with Node 24,
# the upstream test binaries) and runs every test. See README.md.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Node.js 24 comes from the npm registry (the `node` devDependency): put it first on PATH.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)
NODE_DEPS := node_modules/.package-lock.json

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(NODE_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: deps
deps: $(NODE_DEPS) ## Install npm packages (and with them Node.js 24)

.PHONY: system-deps
system-deps: ## Install the Debian packages the tests and the local cloud need (libvirt, QEMU, openstack CLI ...)
	hack/install-system-deps.sh

.PHONY: tools
tools: ## Build kube-apiserver, kubectl, etcd and helm from the Go module proxy (cached by version)
	hack/tools/build.sh

.PHONY: crds
crds: $(NODE_DEPS) ## Generate crds/ and docs/api.md from the TypeScript kind definitions
	node operator/src/api/crdgen.ts
	node hack/chart-rbac.ts

.PHONY: kubevirt-crds
kubevirt-crds: $(NODE_DEPS) ## Generate KubeVirt's CRDs for the tests (e2e/testdata/kubevirt) from its published API models
	node hack/kubevirt-crds.ts

.PHONY: check-crds
check-crds: $(NODE_DEPS) ## Fail if crds/ (or e2e/testdata/kubevirt) differs from what `make crds` (`make kubevirt-crds`) writes
	node operator/src/api/crdgen.ts --check
	node hack/chart-rbac.ts --check
	node hack/kubevirt-crds.ts --check

.PHONY: lint
lint: $(NODE_DEPS) check-crds ## Type check, lint and format check
	tsc --noEmit -p tsconfig.json
	eslint --max-warnings 0 .
	prettier --check --log-level warn .

.PHONY: format
format: $(NODE_DEPS) ## Format the sources with prettier
	prettier --write --log-level warn .

.PHONY: test
test: system-deps $(NODE_DEPS) tools check-crds ## Run every test (unit, and integration on a real kube-apiserver + etcd); SPEC=file[,file] runs those only
	mocha

.PHONY: bench
bench: $(NODE_DEPS) tools ## Run the benchmarks; each prints lines `BENCH <name>=<number> <unit>`
	@for b in $$(find e2e/bench operator api-gateway -name '*.bench.ts' 2>/dev/null | sort); do \
	  echo "--- $$b"; node --expose-gc "$$b"; \
	done

.PHONY: up
up: system-deps $(NODE_DEPS) tools ## Start a local Kova cloud on this machine (folder .cloud/, logs in .cloud/logs)
	node hack/local-cloud/up.ts

.PHONY: down
down: $(NODE_DEPS) ## Stop exactly what `make up` started
	node hack/local-cloud/down.ts

.PHONY: operator
operator: $(NODE_DEPS) ## Run the operator against the current kubeconfig (ARGS="--fake-state-dir /tmp/fake" ...)
	node operator/src/main.ts $(ARGS)

.PHONY: gateway
gateway: $(NODE_DEPS) ## Run the API gateway against the current kubeconfig (ARGS="--bootstrap-password-file F" ...)
	node api-gateway/src/main.ts $(ARGS)

.PHONY: test-unit
test-unit: $(NODE_DEPS) ## Run the unit tests only (no servers)
	mocha --config .mocharc.unit.json
