# The two commands of the README. Both are idempotent: run them as often as you like.
#   make demo                  bootstrap, seed the demo data, serve http://127.0.0.1:8000
#   make test                  lint, migration and deploy checks, the suite on SQLite and PostgreSQL
#   make test ARGS="-k audit"  extra arguments go to pytest
SHELL := /bin/bash
ARGS ?=

.PHONY: help demo test bootstrap

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

demo:
	@scripts/demo.sh

test:
	@scripts/test.sh $(ARGS)

bootstrap:
	@scripts/bootstrap.sh --browser
