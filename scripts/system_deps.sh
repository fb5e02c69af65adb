#!/usr/bin/env bash
# The system packages the book and its tests need, in one place: `make book`, `make test` and
# .ci/run call this. What is missing is installed with apt-get when that can be done without
# asking (root on Debian, or passwordless sudo), saying so; otherwise it stops at once with
# the one command to run.
#
#   scripts/system_deps.sh book    python3-venv; npm (the book's local MathJax) and a CJK font
#                                  are installed if possible, else the book builds with
#                                  MathJax from a CDN and says how to get them
#   scripts/system_deps.sh pdf     the book's, plus Chromium (it prints the PDF book and the
#                                  labs' handouts: make pdf, make labs) and poppler-utils
#                                  (pdftotext: the page numbers of the PDF's contents)
#   scripts/system_deps.sh test    all of those, plus unshare (util-linux) for the offline
#                                  build test; the PDF test reads the PDF with poppler-utils
set -euo pipefail

target=${1:-test}
case "$target" in book|pdf|test) ;; *) echo "usage: $0 book|pdf|test" >&2; exit 2 ;; esac

missing=()
python3 -m venv --help >/dev/null 2>&1 || missing+=(python3-venv)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# The glossary and the figures name terms in Chinese: without a CJK font they show as boxes.
[ -n "$(fc-list :lang=zh 2>/dev/null || true)" ] || missing+=(fonts-wqy-microhei)
if [ "$target" = pdf ] || [ "$target" = test ]; then
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
fi
if [ "$target" = test ]; then
    command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

command_line="apt-get update && apt-get install -y ${missing[*]}"
# Only the book can do without some of them (a CDN's MathJax, boxes for Chinese).
optional=0
if [ "$target" = book ] && [[ " ${missing[*]} " != *" python3-venv "* ]]; then optional=1; fi
give_up() {
    echo "$1" >&2
    [ "$optional" = 1 ] && { echo "system_deps: building the book without them" >&2; exit 0; }
    exit 1
}
if ! command -v apt-get >/dev/null 2>&1; then
    give_up "system_deps: missing ${missing[*]} and this is not a Debian system: install them with your package manager, then re-run make $target"
fi
if [ "$(id -u)" = 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo)
else
    give_up "system_deps: make $target needs ${missing[*]}; run (as root): sudo sh -c '$command_line'"
fi
echo "== system_deps: installing ${missing[*]} with apt-get (make $target needs them)"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
echo "== system_deps: installed ${missing[*]}"
