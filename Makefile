# todoapi: `make run` serves on 127.0.0.1:8000 (SQLite under var/), `make test` runs every test.
CARGO ?= cargo

.PHONY: bench bench-auth bench-compare bench-tools settings-docs run test test-sqlite test-postgres test-redis test-lean test-original test-postman test-schema test-e2e test-docs test-deploy test-containers docker spa-vendor fuzz mutants token migrate check fmt lint build release

run: ## the server, development profile, SQLite under var/
	$(CARGO) run --bin todoapi -- serve

test: test-sqlite test-postgres test-lean test-original test-postman test-schema test-e2e test-docs test-deploy test-containers ## every test (docs/testing.md): unit, API suite on SQLite, on PostgreSQL when TEST_POSTGRES_URL is set, the Django original on its databases, Postman, schemathesis, the browser tests, the docs' commands, the deployment, the containers

test-sqlite: test-redis
	$(CARGO) test --all-targets

test-postgres: test-redis
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
		echo "== API suite on PostgreSQL ($$TEST_POSTGRES_URL)"; \
		TEST_BACKEND=postgres $(CARGO) test --test api; \
	else \
		echo "== PostgreSQL suite SKIPPED: TEST_POSTGRES_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)"; \
	fi

# The throttling tests' Redis: the machine's at 127.0.0.1:6379, else Debian's redis-server, which they start.
test-redis:
	@timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/6379' 2>/dev/null || command -v redis-server >/dev/null \
		|| { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; } \
		|| echo "== no Redis at 127.0.0.1:6379 and no redis-server (apt-get install redis-server): the throttling tests will fail"

test-lean: ## the build without the development issuer (the production image's): refuses to enable it, serves without it
	tests/lean/run.sh

test-original: ## the Django original (bench/original, v1.14) on the databases it made, after todoapi add-indexes (PyPI stack in target/original-venv)
	tests/original/run.sh

test-postman: ## the Postman collection with newman against a fresh server (needs Node.js and npm)
	tests/postman/run.sh

test-schema: ## the OpenAPI document validated, then schemathesis against fresh servers: with a token, without, without the scopes (PyPI tools in target/schema-venv)
	tests/schema/run.sh

test-e2e: ## the browser tests in Chromium: the SPA's sign-in and tasks, auth0-js v9 behind TLS
	tests/e2e/run.sh

test-docs: ## every shell block of README.md, ARCHITECTURE.md and docs/: marked, and the runnable ones run as shown against a fresh make run
	python3 tests/docs/check.py

# The lock file lives outside docker/spa so that what is served is only the app.
SPA_SDK = docker/spa-vendor/node_modules/@auth0/auth0-spa-js/dist/auth0-spa-js.production.js
test-deploy: ## docker/ without a Docker engine: replicas on PostgreSQL (TEST_POSTGRES_URL), nginx, Chromium, a rolling restart; compose and Dockerfile lint
	tests/e2e/deploy.sh

test-containers: ## as root: docker/Dockerfile built and run by podman (runc) on base images made from Debian's packages; elsewhere skipped
	tests/containers/run.sh

bench-tools:
	@command -v oha >/dev/null || $(CARGO) install oha --locked
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || echo "bench: no wrk (apt-get install wrk): the distinct-tokens row is left out"

bench: release bench-tools ## load on loopback (oha): the table, targets and chart in target/bench/; fails naming a target missed
	python3 bench/run.py $(BENCH_ARGS)

bench-auth: ## criterion micro-benchmarks of the authentication path (cold: signature; warm: cache hit)
	$(CARGO) bench --bench auth

bench-compare: release bench-tools ## make bench, and the same rows against the original (bench/original/, from PyPI), with ratios
	python3 bench/run.py --compare $(BENCH_ARGS)

docker: ## the API's image (needs a Docker engine)
	@command -v docker >/dev/null || { echo "make docker: no docker command here (the image is tested without it: make test-deploy)"; exit 1; }
	docker build -f docker/Dockerfile --build-arg TODOAPI_GIT_COMMIT=$$(git rev-parse --short=12 HEAD 2>/dev/null) -t todoapi .

spa-vendor: ## copy auth0-spa-js from the npm registry (docker/spa-vendor/package-lock.json) into docker/spa/vendor/
	cd docker/spa-vendor && npm ci --no-audit --no-fund --loglevel=error
	cp $(SPA_SDK) docker/spa/vendor/

fuzz: ## the property tests over hostile input, long (make test runs them briefly)
	PROPTEST_CASES=$${PROPTEST_CASES:-100000} $(CARGO) test --test api fuzz::

# Mutation testing of the rules a user would feel (authentication, permission
# classes, field validation, database-error classification). Not part of
# `make test`: it rebuilds and reruns the suite once per mutant (nextest stops
# at the first failing test; 641 mutants, about 3 hours on 2
# cores). Survivors that are equivalent are listed in .cargo/mutants.toml.
MUTATED = -f 'src/auth/**' -f 'src/dev_issuer/*.rs' -f src/policy.rs -f src/policy/permissions.rs -f 'src/policy/permissions/*.rs' -f 'src/rest/fields.rs' -f 'src/rest/fields/*.rs' -f src/rest/serializer.rs -f src/rest/text.rs -f src/rest/permissions.rs -f src/db/error.rs
mutants: ## mutation testing (cargo-mutants) of auth, permissions, fields and database errors
	@command -v cargo-mutants >/dev/null || $(CARGO) install cargo-mutants --version 27.1.0 --locked
	@mkdir -p target/mutants  # cargo-mutants creates only the last level (a fresh clone has no target/)
	$(CARGO) mutants $(MUTATED) --profile mutants --timeout 180 --test-tool nextest --output target/mutants $(MUTANTS_ARGS)

token: ## print a development token
	@$(CARGO) run --quiet --bin todoapi -- token

migrate: ## apply pending migrations to database.url
	$(CARGO) run --bin todoapi -- migrate

check: ## print the effective settings
	$(CARGO) run --bin todoapi -- check

settings-docs: ## rewrite config/default.toml and docs/configuration.md's settings table from the declarations in src/settings/sections/
	$(CARGO) run --quiet --bin todoapi -- schema toml > config/default.toml
	$(CARGO) run --quiet --bin todoapi -- schema table > target/settings-table.md
	awk -v table=target/settings-table.md ' \
		skipping && /^\|/ { next } \
		skipping { skipping = 0 } \
		{ print } \
		/<!-- the settings table:/ { while ((getline line < table) > 0) print line; skipping = 1 }' \
		docs/configuration.md > target/configuration.md && mv target/configuration.md docs/configuration.md

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings
	$(CARGO) clippy --no-default-features --lib --bins -- -D warnings

build:
	$(CARGO) build

release:
	$(CARGO) build --release
