// `npm run fuzz -- --frames 1000000 [--seed N] [--connections 4]`: the frame fuzzer against a live
// hub, for longer than CI runs it. Prints progress and a JSON report; exits 1 when the hub died,
// the pair lost anything, or the hub's peak RSS passed the bound.
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { FUZZ_RSS_BOUND } from "./bounds.js";
import { runFuzz } from "./run-fuzz.js";

const { values } = parseArgs({
  options: { frames: { type: "string", default: "100000" }, seed: { type: "string" }, connections: { type: "string", default: "4" } },
});
const frames = Number(values.frames);
console.log(`fuzzing a hub with ${frames} frames on ${cpus().length} × ${cpus()[0]?.model ?? "?"}`);
const report = await runFuzz({
  frames,
  connections: Number(values.connections),
  ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
  onProgress: ({ frames: sent, elapsedMs }) => console.log(`  ${sent} frames, ${(elapsedMs / 1000).toFixed(1)} s`),
});
console.log(JSON.stringify(report, null, 2));
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
console.log(
  `${report.frames} frames (${report.framesReadByHub} read by the hub) over ${report.connections} connections in ${(report.durationMs / 1000).toFixed(1)} s; ` +
    `hub ${report.hubAlive ? "alive" : "DEAD"}, peak RSS ${mib(report.hubPeakRss)} (bound ${mib(FUZZ_RSS_BOUND)}), its loop blocked at most ${report.hubLoopBlockedMaxMs} ms, pair lost ${report.pairLost} of ${report.pairExchanged}; seed ${report.seed}`,
);
process.exitCode = report.hubAlive && report.pairLost === 0 && report.hubPeakRss < FUZZ_RSS_BOUND ? 0 : 1;
