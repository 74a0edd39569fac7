#!/usr/bin/env bash
# Usage: .ci/node-line.sh MAJOR [prepare DIR | run DIR]
# Runs the unit and SQLite integration suites under Node MAJOR, taken from the
# npm registry's `node` package (the official binaries, with Node's headers).
# better-sqlite3 is built for one Node ABI, so the suites run in a copy of the
# work tree whose node_modules hard-links every package except that one, which
# is copied and rebuilt from source against that Node's own headers (prebuilt
# downloads are not reachable here). The main tree is not touched.
# With no phase it does both in a temporary directory. `prepare DIR` fetches
# Node, copies the tree and rebuilds the addon into DIR (.ci/run does this in
# the background while the main suite runs); `run DIR` runs the suites there
# and removes DIR.
set -euo pipefail
major="$1"
phase="${2:-all}"
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ "$phase" = all ]; then
  work="$(mktemp -d "${TMPDIR:-/tmp}/tokengate-node${major}-XXXXXX")"
  trap 'rm -rf "$work"' EXIT
else
  work="${3:?usage: .ci/node-line.sh MAJOR prepare|run DIR}"
  [ "$phase" = run ] && trap 'rm -rf "$work"' EXIT
fi

use_toolchain() {
  binary="$(find "$work/toolchain/node_modules" -path '*/node-*-*/bin/node' -type f | head -n 1)"
  [ -n "$binary" ] && [ -x "$binary" ] || { echo "node@${major}: no binary found under $work/toolchain" >&2; exit 1; }
  platform_pkg="$(dirname "$(dirname "$binary")")"
  export PATH="$platform_pkg/bin:$PATH"
  export npm_config_nodedir="$platform_pkg"   # node-gyp: build against these headers, download nothing
}

if [ "$phase" = run ]; then
  [ -f "$work/prepared" ] || { echo "node@${major}: $work was not prepared" >&2; exit 1; }
  use_toolchain
  cd "$work/tree"
else
mkdir -p "$work"

echo "== Node ${major}: fetching the node package from the npm registry"
npm install --prefix "$work/toolchain" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node@${major}" >/dev/null
# node@N installs node-<platform>-<arch>@N beside it: the binary and include/node.
use_toolchain
echo "== Node $(node --version) ($(command -v node))"
if [ "$major" = 24 ]; then
  # Node 24.19 backported an ObjectWrap change without its cleanup-hook registry (nodejs/node#65446, open):
  # an addon built against 24.19+ headers on raw node::ObjectWrap, as better-sqlite3 12 is, aborts when a
  # statement is collected at teardown. Built against 24.18.1's headers it runs cleanly on every 24.x, the
  # current one included; the suites below run on the current 24.x. (better-sqlite3 13 moved to N-API and is
  # immune, but needs Node >= 22 and crashes on the Node 20 this project still supports.)
  npm install --prefix "$work/headers" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node@24.18.1" >/dev/null
  headers="$(find "$work/headers/node_modules" -path '*/node-*-*/bin/node' -type f | head -n 1)"
  export npm_config_nodedir="$(dirname "$(dirname "$headers")")"
  echo "== Node ${major}: native addons built against the headers of Node 24.18.1 (nodejs/node#65446)"
fi

echo "== Node ${major}: copying the work tree"
mkdir "$work/tree"
(cd "$root" && tar --exclude=./node_modules --exclude=./dist --exclude=./data --exclude=./.git --exclude=./bench/out -cf - .) | tar -xf - -C "$work/tree"
cp -al "$root/node_modules" "$work/tree/node_modules"
# bcrypt is a Node-API addon (one binary for every Node line); better-sqlite3 12 is built per ABI.
rm -rf "$work/tree/node_modules/better-sqlite3"
cp -a "$root/node_modules/better-sqlite3" "$work/tree/node_modules/better-sqlite3"

cd "$work/tree"
echo "== Node ${major}: rebuilding better-sqlite3 from source"
npm rebuild better-sqlite3 --build-from-source --foreground-scripts --loglevel=error >"$work/rebuild.log" 2>&1 || { tail -40 "$work/rebuild.log" >&2; exit 1; }
node -e "require('bcrypt').hashSync('x', 4); new (require('better-sqlite3'))(':memory:').close()"
touch "$work/prepared"
[ "$phase" = prepare ] && { echo "== Node ${major}: prepared in $work"; exit 0; }
fi

echo "== Node ${major}: unit and SQLite integration suites (dist/ built here unless NODE_LINE_REUSE_DIST=1)"
if [ "${NODE_LINE_REUSE_DIST:-}" = 1 ] && [ -d "$root/dist" ]; then
  # .ci/run has just built dist/ from this tree: compiled JavaScript and the console's bundle do not depend on
  # the Node line, so the copy saves a build per line.
  cp -a "$root/dist" "$work/tree/dist"
else
  npm run build --silent
fi
summary="$work/jest.json"
status=0
node node_modules/jest/bin/jest.js --selectProjects unit sqlite --json "--outputFile=$summary" || status=$?
node -e "const r = require('$summary'); console.log('node ${major}: ' + r.numPassedTests + ' passed, ' + r.numFailedTests + ' failed' + (r.numRuntimeErrorTestSuites ? '; ' + r.numRuntimeErrorTestSuites + ' file(s) failed outside their tests' : ''))"
exit "$status"
