import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // The JSON report feeds the one-line summary `.ci/run` prints (scripts/test-summary.mjs).
    reporters: ["default", "json"],
    outputFile: { json: ".vitest-report.json" },
  },
});
