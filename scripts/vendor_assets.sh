#!/usr/bin/env bash
# Put the book's browser assets into _vendor/ (gitignored), so the built HTML needs no CDN:
#   _vendor/mathjax/  = es5/ of npm mathjax@3.2.2              (math typesetting)
#   _vendor/widgets/  = dist/ of npm @jupyter-widgets/html-manager@1.0.6, no *.map
#                       (renders saved ipywidgets state in static pages), plus
#                       mathjax3-bridge.js = scripts/widgets-mathjax3-bridge.js (see there)
# _config.yml copies _vendor/ to the HTML root (html_extra_path) and points Sphinx at
# ../mathjax/tex-chtml-full.js and ../widgets/embed.js.
#
# Usage: scripts/vendor_assets.sh [DEST]      (DEST defaults to _vendor; $NPM, default npm)
# Needs npm (build time only). The two tarballs are fetched with `npm pack` into a temporary
# folder and checked against the sha512 integrity below, so nothing else is installed and a
# tampered or changed package fails the build. Exit status 3: npm missing.
set -euo pipefail

DEST=${1:-_vendor}
NPM=${NPM:-npm}
MATHJAX_SPEC="mathjax@3.2.2"
MATHJAX_SHA512="Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
WIDGETS_SPEC="@jupyter-widgets/html-manager@1.0.6"
WIDGETS_SHA512="+Mn+Ra8wyIHrYaUpfmf9A3dsLkt/NuwzPQN8sthdxBD35VV5cOJbpmgMhNR27n/rmP3mKyEe0PWCJrtZrXTXDQ=="

if ! command -v "$NPM" >/dev/null 2>&1; then
    echo "vendor_assets.sh: $NPM not found; install Node.js + npm (Debian: apt-get install npm)" >&2
    exit 3
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

( cd "$tmp" && "$NPM" pack --silent --no-audit --no-fund "$MATHJAX_SPEC" "$WIDGETS_SPEC" >/dev/null )

check() {  # check FILE SHA512_BASE64: the integrity string npm's registry publishes
    local got
    got=$(python3 -c 'import base64, hashlib, sys
print(base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$1")
    if [ "$got" != "$2" ]; then
        echo "vendor_assets.sh: $(basename "$1") has sha512-$got, expected sha512-$2" >&2
        exit 1
    fi
}
check "$tmp/mathjax-3.2.2.tgz" "$MATHJAX_SHA512"
check "$tmp/jupyter-widgets-html-manager-1.0.6.tgz" "$WIDGETS_SHA512"

mkdir "$tmp/mathjax" "$tmp/widgets" "$tmp/stage"
tar -xzf "$tmp/mathjax-3.2.2.tgz" -C "$tmp/mathjax"
tar -xzf "$tmp/jupyter-widgets-html-manager-1.0.6.tgz" -C "$tmp/widgets"
cp -R "$tmp/mathjax/package/es5" "$tmp/stage/mathjax"
cp -R "$tmp/widgets/package/dist" "$tmp/stage/widgets"
find "$tmp/stage" -name '*.map' -delete
cp "$(dirname "$0")/widgets-mathjax3-bridge.js" "$tmp/stage/widgets/mathjax3-bridge.js"
for f in mathjax/tex-chtml-full.js widgets/embed.js; do
    [ -s "$tmp/stage/$f" ] || { echo "vendor_assets.sh: $f missing from the package" >&2; exit 1; }
done
printf '%s\n' "$MATHJAX_SPEC sha512-$MATHJAX_SHA512" "$WIDGETS_SPEC sha512-$WIDGETS_SHA512" \
    > "$tmp/stage/vendor-versions.txt"

# Replace DEST in one step, so an interrupted run never leaves half a folder behind.
rm -rf "$DEST.new"
cp -R "$tmp/stage" "$DEST.new"
rm -rf "$DEST"
mv "$DEST.new" "$DEST"
echo "vendor_assets.sh: $MATHJAX_SPEC and $WIDGETS_SPEC in $DEST/ ($(du -sh "$DEST" | cut -f1))"
