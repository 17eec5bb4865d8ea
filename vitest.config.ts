import { defineConfig } from "vitest/config";

export default defineConfig({
  // "swarm-transport/*" in examples resolve to src/ (tsconfig paths), not to a possibly stale dist/.
  resolve: { tsconfigPaths: true },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // The JSON report feeds the one-line summary `.ci/run` prints (scripts/test-summary.mjs).
    reporters: ["default", "json"],
    outputFile: { json: ".vitest-report.json" },
  },
});
