#!/usr/bin/env bash
# The install check (issue 23): what `npm pack` ships must install and run as a user gets it. Packs this folder (prepack
# builds dist/), installs the tarball globally into a temporary prefix (postinstall builds native/, torch/ and av/ in place,
# as on a machine that ran scripts/setup.sh), then runs the installed `cover doctor` and a two-step tiny run in a temporary
# folder. Any failure exits non-zero. The last step of `npm test` (the README's test command, which .ci/run runs), after
# jest, not inside it. Takes about 2-3 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS

tarball="$(npm pack --silent --pack-destination "$tmp" | tail -n 1)"
echo "package check: packed $tarball ($(du -k "$tmp/$tarball" | cut -f1) KiB, $(tar tzf "$tmp/$tarball" | wc -l) files)"

# npm 11 runs a global package's install scripts only when allowed: a tarball is allowed by its resolved spec (file:PATH),
# a registry install by its name (npm install -g --allow-scripts=@cover-video/cover @cover-video/cover).
npm install -g --prefix "$tmp/prefix" --no-audit --no-fund --allow-scripts="file:$tmp/$tarball" "$tmp/$tarball" >"$tmp/install.log" 2>&1 \
  || { cat "$tmp/install.log"; echo "package check: npm install -g failed" >&2; exit 1; }
echo "package check: installed in $((SECONDS - start))s"

cover="$tmp/prefix/bin/cover"
mkdir "$tmp/work"
cd "$tmp/work" # the demo suite is generated here, not in the repository
"$cover" --version
"$cover" doctor
"$cover" cotrain --preset tiny --demo tiny --steps 2 --eval-every 0 --views 1x1 --batch-size 4 --out "$tmp/work/run"
[ -d "$tmp/work/run/checkpoint" ] || { echo "package check: the tiny run wrote no checkpoint" >&2; exit 1; }
echo "package check: ok in $((SECONDS - start))s"
