# todoapi: `make run` serves on 127.0.0.1:8000 (SQLite under var/), `make test` runs every test.
CARGO ?= cargo

.PHONY: run test test-sqlite test-postgres migrate check fmt lint build release

run: ## the server, development profile, SQLite under var/
	$(CARGO) run --bin todoapi -- serve

test: test-sqlite test-postgres ## every test: unit, API suite on SQLite, then on PostgreSQL when TEST_POSTGRES_URL is set

test-sqlite:
	$(CARGO) test --all-targets

test-postgres:
	@if [ -n "$$TEST_POSTGRES_URL" ]; then \
		echo "== API suite on PostgreSQL ($$TEST_POSTGRES_URL)"; \
		TEST_BACKEND=postgres $(CARGO) test --test api; \
	else \
		echo "== PostgreSQL suite SKIPPED: TEST_POSTGRES_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)"; \
	fi

migrate: ## apply pending migrations to database.url
	$(CARGO) run --bin todoapi -- migrate

check: ## print the effective settings
	$(CARGO) run --bin todoapi -- check

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --all-targets -- -D warnings

build:
	$(CARGO) build

release:
	$(CARGO) build --release
