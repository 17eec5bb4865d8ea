#!/usr/bin/env bash
# Fails when generated/ is not exactly what `buf generate` makes from proto/.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r proto buf.yaml buf.gen.yaml "$tmp/"
ln -s "$PWD/node_modules" "$tmp/node_modules"
(cd "$tmp" && node_modules/.bin/buf generate)
if ! diff -r generated "$tmp/generated" >/dev/null; then
  echo "generated/ is stale: run 'npm run generate' and commit the result" >&2
  diff -r generated "$tmp/generated" | head -40 >&2 || true
  exit 1
fi
echo "generated/ is fresh"
