#!/usr/bin/env bash
# Re-execute chapter notebooks in place, as the book and nbval run them (one BLAS thread),
# so that their committed outputs are what the current code computes:
#   scripts/execute_notebooks.sh book/04_neuron_math.ipynb [more.ipynb ...]
# Then `make test NOTEBOOKS=book/04_neuron_math.ipynb TESTS=` checks them with strict nbval.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 NOTEBOOK.ipynb ..." >&2; exit 2; }
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 KERAS_BACKEND=torch
for nb in "$@"; do
    echo "== executing $nb"
    .venv/bin/jupyter nbconvert --to notebook --execute --inplace \
        --ExecutePreprocessor.timeout=600 "$nb"
done
