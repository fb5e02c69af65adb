# Multimodal Deep Learning from Scratch: set-up, book, tests.
#
#   make book     set up, execute every chapter and build the HTML book: English in
#                 _build/html, Chinese in _build/html/zh
#   make po       after an English change: update the Chinese catalogues, list what to translate
#   make test     set up, then every test: unit, notebooks (nbval), book build, browser
#   make test-quick  the library's unit tests only: no notebooks, browser or reference libraries
#   make serve    serve _build/html on http://127.0.0.1:8000 (another port: PORT=8001)
#   make bench    speed of a training step: mmlearn vs PyTorch vs Keras (benchmarks/results.md)
#   make pdf      the whole book as one PDF (_build/pdf/book.pdf), printed offline by Chromium
#   make labs     the labs' student versions (solutions and hidden tests stripped) in release/,
#                 each with a PDF handout beside it
#   make ref      the reference libraries (torch==2.13.0 CPU, keras): chapters 5 and 8 run them
#   make clean    remove build outputs; `make distclean` also removes .venv and _vendor
#
# Set-up (shared by book and test) first checks the system packages (scripts/system_deps.sh:
# installs what is missing with apt-get when root on Debian, else names the command), creates .venv with python3 -m venv, installs
# requirements.txt pinned by constraints.txt plus mmlearn itself (pip install -e .), and puts
# MathJax and the widget manager into _vendor/ with npm (scripts/vendor_assets.sh). Each step
# leaves a stamp file and re-runs only when its inputs change.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

# One BLAS thread for the book and the tests: on 2 cores, two OpenBLAS threads per process
# fight the notebook kernel and each other (a small matmul took 2 ms instead of 25 us), and
# one thread makes every notebook's committed numbers reproducible on any machine.
# The benchmarks set their own thread counts.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
JB := $(VENV)/bin/jupyter-book
# pip's warnings about this machine's extra index folders would fill the log: -qq keeps errors.
PIP_QUIET ?= -qq
PORT ?= 8000
# The npm the book's assets come from (`make book NPM=none` tries the CDN fallback).
NPM ?= npm
export NPM
# Seconds for the whole `make book`, execution included (a stalled kernel must not hang it).
BOOK_TIMEOUT ?= 1800
# --all re-reads and re-executes every chapter, so the book always shows what the current
# mmlearn computes; `make book BOOK_FLAGS=` rebuilds only the pages whose source changed.
BOOK_FLAGS ?= --all
# The Chinese edition runs every chapter again in Chinese (plot words, widget feedback);
# `make book BOOK_ZH_EXECUTE=off` shows the committed English outputs under Chinese prose.
BOOK_ZH_EXECUTE ?= force

# What `make test` runs. Restrict with e.g. `make test NOTEBOOKS=book/04_neuron_math.ipynb`,
# `make test NOTEBOOKS= TESTS=tests/test_backend.py`, or pass pytest options in PYTEST_ARGS.
# Labs (book/labs/) are nbgrader sources with solutions stripped at release: not nbval'd.
TESTS ?= tests
NOTEBOOKS ?= book
# Notebooks under tests/ (fixtures of other tests) are not chapters either.
NBVAL_IGNORE ?= --ignore=book/labs --ignore-glob='tests/*.ipynb'
NBVAL_OPTS ?= --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
	--nbval-cell-timeout=300 $(NBVAL_IGNORE)
PYTEST_ARGS ?=

VENDOR := _vendor
STAMP_VENV := $(VENV)/.stamp-requirements
STAMP_REF := $(VENV)/.stamp-ref
STAMP_VENDOR := $(VENDOR)/vendor-versions.txt
CDN_CONFIG := _build/_config.cdn.yml

.PHONY: help setup vendor book po pdf test test-quick labs bench ref serve clean distclean \
	system-book system-test system-pdf

help:
	@sed -n '3,16p' Makefile | sed 's/^# \{0,1\}//'

# What the system must provide (Chromium, npm, a CJK font, python3-venv): one script decides.
system-book:
	@scripts/system_deps.sh book

system-test:
	@scripts/system_deps.sh test

system-pdf:
	@scripts/system_deps.sh pdf

# --- set-up ---------------------------------------------------------------------------------

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP_VENV): requirements.txt constraints.txt pyproject.toml | $(PY)
	@echo "== installing requirements.txt (pinned by constraints.txt) and mmlearn into $(VENV)"
	$(PIP) install $(PIP_QUIET) -c constraints.txt --upgrade pip
	$(PIP) install $(PIP_QUIET) -c constraints.txt -r requirements.txt -e .
	@touch $@

setup: $(STAMP_VENV)

$(STAMP_VENDOR): scripts/vendor_assets.sh scripts/widgets-mathjax3-bridge.js
	@echo "== fetching MathJax and the ipywidgets HTML manager into $(VENDOR)/ (npm)"
	scripts/vendor_assets.sh $(VENDOR)

vendor: $(STAMP_VENDOR)

# The `ref` extra: torch==2.13.0 (CPU wheel) and keras. Chapters 5 and 8 run the seed's program
# in them beside mmlearn, and the reference tests compare with them, so book and test need it.
$(STAMP_REF): $(STAMP_VENV) pyproject.toml
	@echo "== installing the ref extra (torch==2.13.0, keras) into $(VENV)"
	$(PIP) install $(PIP_QUIET) -c constraints.txt -e '.[ref]'
	@touch $@

ref: $(STAMP_REF)

# --- book -----------------------------------------------------------------------------------

# With npm (or an earlier _vendor/), MathJax and the widget manager are served from the book
# itself and it reads offline. Without npm the build falls back to their public CDNs.
book: system-book
	@$(MAKE) setup ref
	@if command -v $(NPM) >/dev/null 2>&1; then \
	    $(MAKE) vendor; config=_config.yml; \
	elif [ -f $(STAMP_VENDOR) ]; then \
	    echo "npm not found: using the assets already in $(VENDOR)/"; config=_config.yml; \
	else \
	    echo "npm not found: building with MathJax and the widget manager from public CDNs;"; \
	    echo "the book then needs the internet to show math and widgets. Install npm"; \
	    echo "(Debian: apt-get install npm) and re-run for a fully offline book."; \
	    $(PY) scripts/book_config.py --cdn -o $(CDN_CONFIG); config=$(CDN_CONFIG); \
	fi; \
	echo "== executing and building the book (config: $$config)"; \
	timeout $(BOOK_TIMEOUT) $(JB) build . --config $$config -W -n --keep-going $(BOOK_FLAGS) \
	    || { rc=$$?; [ $$rc -eq 124 ] && echo "make book: timed out after $(BOOK_TIMEOUT) s"; exit $$rc; }; \
	echo "== building the Chinese edition into _build/html/zh (execute: $(BOOK_ZH_EXECUTE))"; \
	timeout $(BOOK_TIMEOUT) $(PY) scripts/book_zh.py --html _build/html --source $$config \
	    --execute $(BOOK_ZH_EXECUTE) \
	    || { rc=$$?; [ $$rc -eq 124 ] && echo "make book: timed out after $(BOOK_TIMEOUT) s"; exit $$rc; }
	@echo "Book built: open $(CURDIR)/_build/html/index.html, in Chinese" \
	    "$(CURDIR)/_build/html/zh/index.html  (or run: make serve)"

# The Chinese edition's catalogues after an English change: extract the pages' messages,
# update book/locales/zh_CN/ (new entries empty, changed ones fuzzy) and list what to translate.
po: setup
	$(PY) scripts/book_i18n.py po

# The book as one PDF: Jupyter Book's single-page build of the committed outputs (no
# execution), printed by headless Chromium with every request off 127.0.0.1 refused
# (scripts/book_pdf.py). Needs _vendor/ (MathJax, the widget manager) and Chromium.
pdf: system-pdf
	@$(MAKE) setup ref vendor
	timeout $(BOOK_TIMEOUT) $(PY) scripts/book_pdf.py book -o _build/pdf/book.pdf

serve:
	@test -f _build/html/index.html || { echo "no _build/html yet: run make book"; exit 1; }
	@echo "Serving the book on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)"
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

# --- benchmarks ---------------------------------------------------------------------------

# Interleaved timings of one training step against PyTorch and Keras (needs the ref extra);
# BLAS threads as the machine has them, not the one thread the tests use.
bench: $(STAMP_REF)
	env -u OPENBLAS_NUM_THREADS -u OMP_NUM_THREADS $(PY) benchmarks/bench.py $(BENCH_ARGS)

# --- labs -----------------------------------------------------------------------------------

# nbgrader generate_assignment --force for every lab in book/labs/, in a throwaway course
# directory; the student versions land in release/<lab>/, and each is printed beside it as a
# handout, release/<lab>/<lab>.pdf (nbconvert's HTML, printed by Chromium with local MathJax).
labs: system-pdf
	@$(MAKE) setup vendor
	$(PY) scripts/labs.py release --out release
	$(PY) scripts/book_pdf.py handouts release

# --- tests ----------------------------------------------------------------------------------

# One pytest run: unit tests, every notebook in $(NOTEBOOKS) executed once and compared with
# its committed outputs (strict nbval), the book built from those outputs offline, and the
# browser test. pytest's exit status is make's: 5 (no test collected) fails too.
test: system-test
	@$(MAKE) setup ref
	@command -v $(NPM) >/dev/null 2>&1 || [ -f $(STAMP_VENDOR) ] || { \
	    echo "make test needs npm (Debian: apt-get install npm) to fetch the book's local assets"; \
	    exit 1; }
	@$(MAKE) vendor
	$(PY) -m pytest $(TESTS) $(NOTEBOOKS) $(if $(strip $(NOTEBOOKS)),$(NBVAL_OPTS)) $(PYTEST_ARGS)

# The fast path while changing the library: unit tests only, no reference libraries (their
# tests are left out, not skipped), no notebooks, no book build, no browser.
test-quick: setup
	$(PY) -m pytest $(TESTS) --ignore=tests/reference -m "not book and not browser" $(PYTEST_ARGS)

# --- cleaning -------------------------------------------------------------------------------

clean:
	rm -rf _build artifacts release .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(VENDOR) *.egg-info .ruff_cache
