# The two commands of the README: `make demo` and `make test`. Everything they need is
# installed from here: a virtualenv from pyproject.toml, and for the tests Debian's chromium
# (browser tests) and dovecot-imapd (a real IMAP server).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSTEM_PACKAGES := chromium dovecot-imapd libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core

.PHONY: demo serve test install lock system-packages bench-packages

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[test]"
	touch $(STAMP)

## Record the exact versions installed now as the constraints of every later install.
lock: $(STAMP)
	{ echo "# Exact versions the test suite last passed with (pip freeze of 'make install')."; \
	  echo "# The Makefile installs with these as constraints; regenerate with 'make lock'."; \
	  $(BIN)/python -m pip freeze --exclude-editable; } > requirements.lock

install: $(STAMP)

## Set up and run Comptoir on its embedded default (SQLite, one process group, demo data).
demo: $(STAMP)
	$(BIN)/comptoir serve --demo

serve: $(STAMP)
	$(BIN)/comptoir serve

## Set up, lint and run the whole test suite (DATABASE_URL selects PostgreSQL; SQLite otherwise).
test: $(STAMP) system-packages
	$(BIN)/ruff check comptoir tests bench
	$(BIN)/python -m pytest

system-packages:
	@missing=""; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	test -x /usr/sbin/dovecot || missing="$$missing dovecot-imapd"; \
	for package in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; do \
	  dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

## For bench/send.py: Postfix's smtp-sink, a C SMTP sink made to benchmark mail senders
## (Debian's postfix package, installed without configuring or starting a mail server).
bench-packages:
	@if [ ! -x /usr/sbin/smtp-sink ]; then \
	  echo "installing Debian's postfix for smtp-sink"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  echo "postfix postfix/main_mailer_type select No configuration" | $$SUDO debconf-set-selections; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postfix; \
	fi
