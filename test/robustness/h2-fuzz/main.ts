// `npm run fuzz -- h2 [--seconds 300] [--seed N] [--connections 4]`: the HTTP/2 fuzzer against a
// live edge for longer than CI runs it. Prints progress and a JSON report; exits 1 when the edge
// died, the good client lost a call, the edge held something after the run, or its peak RSS
// passed the bound.
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { H2_FUZZ_RSS_BOUND } from "./bounds.js";
import { runH2Fuzz } from "./run-h2-fuzz.js";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "h2"),
  options: { seconds: { type: "string", default: "300" }, seed: { type: "string" }, connections: { type: "string", default: "4" } },
});
const seconds = Number(values.seconds);
console.log(`fuzzing the edge's HTTP/2 for ${seconds} s on ${cpus().length} × ${cpus()[0]?.model ?? "?"}`);
const report = await runH2Fuzz({
  durationMs: seconds * 1000,
  connections: Number(values.connections),
  ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
  onProgress: ({ frames, bytes, elapsedMs }) => console.log(`  ${frames} frames, ${(bytes / 2 ** 20).toFixed(1)} MiB, ${(elapsedMs / 1000).toFixed(0)} s`),
});
console.log(JSON.stringify(report, null, 2));
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
console.log(
  `${report.frames} frames (${mib(report.bytes)}) over ${report.connections} connections in ${(report.durationMs / 1000).toFixed(1)} s; ` +
    `edge ${report.edgeAlive ? "alive" : "DEAD"}, peak RSS ${mib(report.edgePeakRss)} (from ${mib(report.edgeRssBefore)}; bound ${mib(H2_FUZZ_RSS_BOUND)}), ` +
    `its loop blocked at most ${report.edgeLoopBlockedMaxMs} ms, after: ${report.after.inFlight} calls, ${report.after.bufferedBytes} bytes held; ` +
    `good client lost ${report.goodLost} of ${report.goodCalls}; seed ${report.seed}`,
);
const clean = report.edgeAlive && report.goodLost === 0 && report.after.inFlight === 0 && report.after.bufferedBytes === 0 && report.edgePeakRss < H2_FUZZ_RSS_BOUND;
process.exitCode = clean ? 0 : 1;
