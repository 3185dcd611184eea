# make run   - the site with demo content at http://127.0.0.1:8000/ (SQLite, no servers)
# make test  - install everything and run the test suite
# make stack - the production-like set from the Procfile, each process restarted if it
#              dies (campaign/supervise.py; needs DATABASE_URL, REDIS_URL;
#              plain http unless HTTPS=1)
# make lint  - ruff, ruff format, django-upgrade and djLint, as pre-commit runs them
#              (`make -k lint` runs every check even when one fails)
# make format - apply ruff format, ruff's fixes and django-upgrade's rewrites
# make faults - the fault suite (bench/faults.py; FAULTS_ARGS="--short --only redis-kill")
# make messages - update every language's catalogue from the code, then compile them
#              (needs GNU gettext; docs/languages.md)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SITE_URL ?= http://127.0.0.1:$(PORT)
export PORT SITE_URL

.PHONY: run test test-all stack lint lint-pins lint-ruff lint-format lint-django lint-imports \
	lint-templates typecheck format bench faults clean messages messages-check

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 12), "Python 3.12 or newer is needed (see .python-version)"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.installed
	$(BIN)/pytest

# The catalogues (locale/<code>/LC_MESSAGES/django.po) and their compiled .mo,
# which are committed so that `make run` needs no gettext.
MESSAGE_LANGUAGES := $(shell ls locale 2>/dev/null)
messages: $(VENV)/.installed
	$(BIN)/python manage.py makemessages $(addprefix -l ,$(MESSAGE_LANGUAGES)) \
		--add-location file -i ".venv/*" -i "bench/*"
	$(BIN)/python manage.py compilemessages --ignore ".venv"

# CI: the committed .mo files are the .po files compiled, and the .po files
# hold every string of the code (nothing but their creation date changes).
messages-check: $(VENV)/.installed
	@for po in locale/*/LC_MESSAGES/django.po; do \
		msgfmt --check -o /tmp/messages-check.mo "$$po" && \
		cmp -s /tmp/messages-check.mo "$${po%.po}.mo" || \
		{ echo "$${po%.po}.mo is not $$po compiled: run make messages"; exit 1; }; \
	done
	@rm -rf /tmp/messages-check && cp -r locale /tmp/messages-check
	$(BIN)/python manage.py makemessages $(addprefix -l ,$(MESSAGE_LANGUAGES)) \
		--add-location file -i ".venv/*" -i "bench/*" >/dev/null
	@diff -r -x '*.mo' -I '^"POT-Creation-Date: ' /tmp/messages-check locale; status=$$?; \
		rm -rf locale && mv /tmp/messages-check locale; \
		[ $$status -eq 0 ] || { echo "The catalogues miss strings of the code: run make messages"; exit 1; }

# Unit, integration and browser tests on PostgreSQL and Redis (what CI runs).
test-all: $(VENV)/.installed
	$(BIN)/pytest -m "" $(PYTEST_ARGS)

stack: $(VENV)/.installed
	@test -n "$$DATABASE_URL" || { echo "Set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/campaign)"; exit 1; }
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0)"; exit 1; }
	@test -n "$$SECRET_KEY" || echo "SECRET_KEY is not set: using a random one (links in emails stop working at restart)"
	export CAMPAIGN_ENV=production HTTPS=$${HTTPS:-0} \
		ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost} \
		SECRET_KEY=$${SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')} && \
	$(BIN)/python manage.py migrate --no-input && \
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0 && \
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m campaign.supervise -f Procfile

# The same checks as .pre-commit-config.yaml, with the same tool versions
# (requirements-dev.txt; lint-pins fails if the two disagree) and settings.
DJANGO_TARGET := 6.1
# Python files django-upgrade reads: tracked ones and new ones not yet added,
# without git-ignored files (.venv) or migrations (generated; ruff skips them too).
PY_FILES := git ls-files -z --cached --others --exclude-standard -- '*.py' ':!:*/migrations/*'

lint: lint-pins lint-ruff lint-format lint-django lint-templates lint-imports typecheck

lint-pins: $(VENV)/.installed
	$(BIN)/python .ci/check_lint_pins.py

lint-ruff: $(VENV)/.installed
	$(BIN)/ruff check .

lint-format: $(VENV)/.installed
	$(BIN)/ruff format --check .

# django-upgrade --check reports the files it would rewrite and exits 1 without
# writing any, so the check never touches the tree (no temporary copy needed).
# No `xargs -r`: an empty list (git failing, say) makes django-upgrade fail
# rather than pass having read nothing.
lint-django: $(VENV)/.installed
	$(PY_FILES) | xargs -0 $(BIN)/django-upgrade --target-version $(DJANGO_TARGET) --check

# The import contracts of pyproject.toml ([tool.importlinter]): no cycles,
# views/admin/tasks above services above models, features independent.
lint-imports: $(VENV)/.installed
	$(BIN)/lint-imports

# Lint only; djLint's formatter is not enforced (see [tool.djlint] in pyproject.toml).
lint-templates: $(VENV)/.installed
	$(BIN)/djlint templates --lint
typecheck: $(VENV)/.installed
	$(BIN)/mypy

format: $(VENV)/.installed
	$(PY_FILES) | xargs -0 $(BIN)/django-upgrade --target-version $(DJANGO_TARGET) \
		--exit-zero-even-if-changed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }
	$(BIN)/python bench/run.py

# Needs redis-server and PostgreSQL 15's programs, no running server: it starts its own.
faults: $(VENV)/.installed
	$(BIN)/python bench/faults.py $(FAULTS_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
