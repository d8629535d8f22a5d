# Tutti: the commands a person uses. Everything installs into the project (.venv, node_modules,
# .ape, .solcx); nothing is written to $HOME and nothing is downloaded at run time.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup demo platform test wheel bench-licences bench-gas bench-oracle bench-indexer bench-api bench-media bench-generation bench-spatial bench-webapp bench-audience bench-accompanist compose-images compose-test compile clean

help:  ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup:  ## Install what is missing (Python venv, npm toolchain, solc shim) and compile
	@bin/setup

demo: setup  ## Local chain + deploy + the whole story (register, pay, withdraw, govern)
	@bin/demo

platform: setup  ## The whole platform on this machine for the web app (prints the URL; Ctrl-C stops it)
	@bin/platform

test: setup  ## The whole test suite on anvil, via ape test (ARGS="..." to pass pytest arguments)
	@bin/system-packages
	@bin/test $(ARGS)

bench-gas: setup  ## Gas of deposits, withdrawals, registration, governance and usage epochs vs OZ PaymentSplitter
	@source bin/env && python bench/gas.py

bench-licences: setup  ## Licence gas, purchase-to-playable time (2-of-3 key shares), encryption MB/s on 50 MB
	@source bin/env && python bench/licences.py

bench-oracle: setup  ## Oracle job latency (request to 2-of-3 fulfilment) and gas per attestation
	@source bin/env && python bench/oracle.py

bench-indexer: setup  ## Indexer backfill events/s, API throughput and latency at 1,000 / 5,000 connections
	@source bin/env && python bench/indexer.py

bench-api: setup  ## Indexer API: 5,000 users reading pages + 1,000 live-stream listeners (p50/p99, delivery delay), then a flood
	@source bin/env && python bench/indexer_api.py

bench-media: setup  ## Media node latency, mixing cost per frame, musicians per core
	@source bin/env && python bench/media.py

bench-accompanist: setup  ## Live AI accompanist through a media node: bars to tempo lock, chord-change reaction, phase (6 runs)
	@source bin/env && python bench/accompanist.py

bench-audience: setup  ## Audience through Janus: listeners per core, Janus CPU per listener, a listener's added latency
	@source bin/env && python bench/audience.py

bench-generation: setup  ## Generation latency for 16 bars per model, training throughput, Spark prep time
	@source bin/env && python bench/generation.py

bench-spatial: setup  ## Moving HRTF sources rendered in real time on one core
	@source bin/env && python bench/spatial.py

bench-webapp: setup  ## Web app JavaScript size for the first page (goal < 300 KB compressed), works list first render with 10,000 works, axe-core audit of every page
	@source bin/env && python bench/webapp.py && python bench/webapp_a11y.py

wheel: setup  ## Build the installable wheel into dist/ (ABIs, web client and model bundles inside)
	@bin/build-wheel

compose-images: setup  ## Build the compose platform's images with podman from a Debian root (reuses built ones; FORCE=1 rebuilds)
	@bin/compose-images

compose-test: compose-images  ## Run the whole compose platform (deploy/compose.yaml) under podman-compose and check it
	@bin/test tests/ops/test_compose.py

compile: setup  ## Compile the contracts
	@source bin/env && ape compile

clean:  ## Remove build output and local state (keeps installs)
	rm -rf .build .tutti contracts/.cache
