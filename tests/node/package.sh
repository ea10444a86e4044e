#!/usr/bin/env bash
# The offline proof that the npm package works on Node and Bun: `deno task
# npm` (tools/npm.ts) builds it from the same sources, entries and module
# mapping as npm-build.ts (dnt needs JSR, which CI cannot reach) and packs
# it; this installs that tarball into a throwaway project, type-checks a
# TypeScript consumer, and runs a plain script against the kernel in a
# fresh netns.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
deno_bin=${DENO:-deno}

for tool in node npm ip "$deno_bin"; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing"; exit 1; }
done
if [ "$(id -u)" != 0 ]; then
  echo "FAIL: needs root for ip netns (run: sudo bash tests/node/package.sh)"; exit 1
fi

[ -d "$here/node_modules/esbuild" ] || (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
bun="$here/node_modules/.bin/bun"
[ -x "$bun" ] || { echo "FAIL: bun is missing from tests/node/node_modules"; exit 1; }

# The Sys contract (the same checks Deno runs on ffi/deno.ts) on ffi/node.ts.
mkdir -p "$here/.out"
"$here/node_modules/.bin/esbuild" "$here/sys_contract_runner.ts" --bundle --platform=node \
  --format=esm --external:koffi --outfile="$here/.out/runner.mjs" --log-level=warning
for runtime in node "$bun"; do
  if ! timeout 120 "$runtime" "$here/.out/runner.mjs"; then
    echo "FAIL: Sys contract under $runtime"; exit 1
  fi
done

work=$(mktemp -d)
ns="nlts-npm-$$"
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# The package as `deno task npm` builds and packs it (tools/npm.ts).
tarball=$("$deno_bin" run --allow-read --allow-write --allow-run --allow-env "$root/tools/npm.ts" | tail -n 1)
[ -f "$tarball" ] || { echo "FAIL: tools/npm.ts did not pack a tarball"; exit 1; }
echo "packed $tarball"

app="$work/app"
mkdir -p "$app"
cd "$app"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "$tarball"
cp "$here/smoke.mjs" "$app/"

# The declarations: a TypeScript consumer compiles against the package.
cp "$here/types_check.ts" "$app/"
cat >"$app/tsconfig.json" <<JSON
{
  "files": ["types_check.ts"],
  "compilerOptions": {
    "target": "es2022", "lib": ["es2023", "esnext.disposable"],
    "module": "nodenext", "moduleResolution": "nodenext",
    "strict": true, "noEmit": true,
    "types": ["node"], "typeRoots": ["$here/node_modules/@types"]
  }
}
JSON
if ! node "$here/node_modules/typescript/bin/tsc" -p "$app"; then
  echo "FAIL: the package's type declarations"; exit 1
fi
echo "types: a TypeScript consumer compiles against the package's entries"

ip netns add "$ns"
ip -n "$ns" link set lo up
echo "node $(node --version):"
if ! timeout 30 node smoke.mjs "$ns"; then
  echo "FAIL: node smoke test (a timeout means the process did not exit by itself)"
  exit 1
fi
echo "bun $("$bun" --version):"
if ! timeout 30 "$bun" smoke.mjs "$ns"; then
  echo "FAIL: bun smoke test (a timeout means the process did not exit by itself)"
  exit 1
fi
echo "PASS: npm package on node $(node --version) and bun $("$bun" --version)"
