// Prints vitest's JSON report as one plain line: "tests: N passed, M failed[, K skipped]".
// A missing or unreadable report counts as a failure, so "no tests ran" is never silent.
import { readFileSync } from "node:fs";

const path = process.argv[2] ?? ".vitest-report.json";
let report;
try {
  report = JSON.parse(readFileSync(path, "utf8"));
} catch (error) {
  console.log(`no test report at ${path} (${error.message})`);
  console.log("tests: 0 passed, 1 failed");
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
// A suite that fails to load has no failed tests of its own: count it as one failure.
const failed = Math.max(report.numFailedTests ?? 0, report.numFailedTestSuites ?? 0);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
