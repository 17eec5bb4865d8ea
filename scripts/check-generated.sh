#!/usr/bin/env bash
# Fails when generated/ or the test-only generated code is not exactly what `buf generate` makes.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r proto buf.yaml buf.gen.yaml buf.gen.connect.yaml buf.gen.schema-test.yaml "$tmp/"
mkdir -p "$tmp/test/schema" && cp -r test/schema/proto "$tmp/test/schema/"
ln -s "$PWD/node_modules" "$tmp/node_modules"
(cd "$tmp" && node_modules/.bin/buf generate)
if ! diff -r generated "$tmp/generated" >/dev/null; then
  echo "generated/ is stale: run 'npm run generate' and commit the result" >&2
  diff -r generated "$tmp/generated" | head -40 >&2 || true
  exit 1
fi
# test-only protoc-gen-es output for the HTTP gateway's Connect-client interop test
(cd "$tmp" && node_modules/.bin/buf generate --template buf.gen.connect.yaml --path proto/swarm/examples)
if ! diff -r test/gateway/generated "$tmp/test/gateway/generated" >/dev/null; then
  echo "test/gateway/generated/ is stale: run 'npm run generate' and commit the result" >&2
  diff -r test/gateway/generated "$tmp/test/gateway/generated" | head -40 >&2 || true
  exit 1
fi
# test-only protoc-gen-es output of test/schema/proto, the oracle of the JSON mapping's property tests
(cd "$tmp" && node_modules/.bin/buf generate --template buf.gen.schema-test.yaml)
if ! diff -r test/schema/generated "$tmp/test/schema/generated" >/dev/null; then
  echo "test/schema/generated/ is stale: run 'npm run generate' and commit the result" >&2
  diff -r test/schema/generated "$tmp/test/schema/generated" | head -40 >&2 || true
  exit 1
fi
echo "generated/, test/gateway/generated/ and test/schema/generated/ are fresh"
