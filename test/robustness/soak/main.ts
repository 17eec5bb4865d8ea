// `npm run soak [-- --minutes 10 --rate 10000 --agents 10000 --idle-minutes 5]` (minutes, not in CI):
//   1. load: `rate` numbered messages/s through a hub for `minutes`, the fuzzer beside it; the
//      hub's RSS growth after warm-up, and what was lost;
//   2. idle: `agents` idle agents heartbeating on one hub for `idle-minutes`: RSS per agent,
//      the hub's CPU for heartbeats, heartbeat timeouts;
//   3. departure: half of them leave at once: the slowest answer of the hub meanwhile, and
//      how many departure notices reached agents that did not ask.
// Prints each figure as it is measured and a JSON summary; exits 1 when a bound is missed.
import { cpus } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Message, type WebSocketClientTransport } from "../../../src/index.js";
import { WebSocketTransport } from "../../../src/node.js";
import { startHubProcess } from "../../security/hub-process.js";
import { FUZZ_HUB_CONFIG, fuzzHub } from "../fuzz/run-fuzz.js";
import { connectIdleAgents } from "./idle-agents.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    rate: { type: "string", default: "10000" },
    agents: { type: "string", default: "10000" },
    "idle-minutes": { type: "string", default: "5" },
    "fuzz-rate": { type: "string", default: "500" },
    skip: { type: "string", multiple: true, default: [] },
  },
});
const MIB = 2 ** 20;
const log = (text: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${text}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const summary: Record<string, unknown> = { cpu: `${cpus().length} × ${cpus()[0]?.model ?? "?"}`, node: process.version };
let failed = false;
const check = (ok: boolean, what: string) => {
  if (!ok) failed = true;
  log(`${ok ? "ok  " : "FAIL"} ${what}`);
};

if (!values.skip.includes("load")) await load(Number(values.minutes), Number(values.rate), Number(values["fuzz-rate"]));
if (!values.skip.includes("idle")) await idle(Number(values.agents), Number(values["idle-minutes"]));
console.log(JSON.stringify(summary, null, 2));
process.exitCode = failed ? 1 : 0;

/** Phase 1: a steady message rate through the hub, the fuzzer beside it. */
async function load(minutes: number, rate: number, fuzzRate: number): Promise<void> {
  const hub = await startHubProcess({ config: FUZZ_HUB_CONFIG });
  const durationMs = minutes * 60_000;
  const warmupMs = Math.min(120_000, durationMs / 5);
  const streams = 4;
  /** Sends not yet settled, per stream, at most: past it the generator falls behind rather than pile up refusals. */
  const maxInFlight = 5000;
  const senders: WebSocketClientTransport[] = [];
  const receivers: WebSocketClientTransport[] = [];
  for (let s = 0; s < streams; s++) {
    senders.push(await WebSocketTransport.client({ url: hub.url, agentId: `load_tx_${s}` }));
    receivers.push(await WebSocketTransport.client({ url: hub.url, agentId: `load_rx_${s}` }));
  }
  const capacity = Math.ceil((rate * durationMs) / 1000 / streams) + 1;
  const accepted = Array.from({ length: streams }, () => new Uint8Array(capacity));
  const arrived = Array.from({ length: streams }, () => new Uint8Array(capacity));
  const sent = new Array<number>(streams).fill(0);
  const inFlight = new Array<number>(streams).fill(0);
  const delivered = new Array<number>(streams).fill(0);
  let refused = 0;
  let duplicates = 0;
  // senders read too, as every agent must: a transport that is not read stops reading its socket
  // once its queue is full (the fuzzer's broadcasts fill it), and with it the credit it waits for
  const draining = senders.map(async (sender) => {
    for await (const _ of sender) void _;
  });
  const reading = receivers.map(async (receiver, s) => {
    for await (const { from, message } of receiver) {
      if (from !== `load_tx_${s}`) continue;
      const n = message.json<{ n: number }>()!.n;
      if (arrived[s]![n] === 1) duplicates++;
      arrived[s]![n] = 1;
      delivered[s]!++;
    }
  });
  let running = true;
  const fuzzing = fuzzHub(hub.url, { frames: Infinity, seed: 7, maxMessageSize: FUZZ_HUB_CONFIG.maxMessageSize, connections: 1, framesPerSecond: fuzzRate, stop: () => !running });
  let slowestPingMs = 0;
  let pingsOverOneSecond = 0;
  const pinging = (async () => {
    while (running) {
      const ms = await hub.ping();
      slowestPingMs = Math.max(slowestPingMs, ms);
      if (ms > 1000) pingsOverOneSecond++;
      await sleep(100);
    }
  })();
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  const started = performance.now();
  const samples: { atS: number; rss: number }[] = [];
  let nextSample = 0;
  log(`load: ${rate} msg/s for ${minutes} min through one hub, the fuzzer beside it at ${fuzzRate} frames/s`);
  while (performance.now() - started < durationMs) {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (let s = 0; s < streams; s++) {
      while (sent[s]! * streams + s < due && inFlight[s]! < maxInFlight) {
        const n = sent[s]!++;
        inFlight[s]!++;
        senders[s]!.send(`load_rx_${s}`, Message.event(`load_tx_${s}`, "load", { n })).then(
          () => ((accepted[s]![n] = 1), inFlight[s]!--),
          () => (refused++, inFlight[s]!--),
        );
      }
    }
    const elapsed = performance.now() - started;
    if (elapsed >= nextSample) {
      const report = await hub.report(true);
      samples.push({ atS: Math.round(elapsed / 1000), rss: report.rss });
      const total = delivered.reduce((a, b) => a + b, 0);
      log(
        `  ${Math.round(elapsed / 1000)} s: hub RSS ${(report.rss / MIB).toFixed(0)} MiB (heap ${(report.heapUsed / MIB).toFixed(0)}, external ${(report.external / MIB).toFixed(0)}), ` +
          `delivered ${total} (${Math.round(total / (elapsed / 1000))}/s), hub loop blocked at most ${report.loopDelayMaxMs.toFixed(0)} ms, slowest ping ${slowestPingMs.toFixed(0)} ms, this loop's delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms`,
      );
      nextSample += 10_000;
    }
    await sleep(5);
  }
  running = false;
  const fuzzed = await fuzzing;
  await pinging;
  const settled = performance.now();
  while ((inFlight.some((n) => n > 0) || delivered.reduce((a, b) => a + b, 0) < countOnes(accepted)) && performance.now() - settled < 60_000) await sleep(20);
  loopDelay.disable();
  const report = await hub.report(true);
  samples.push({ atS: Math.round((performance.now() - started) / 1000), rss: report.rss });
  const baseline = samples.find((sample) => sample.atS * 1000 >= warmupMs) ?? samples[0]!;
  const end = samples.at(-1)!;
  const growth = (end.rss - baseline.rss) / baseline.rss;
  let lost = 0;
  for (let s = 0; s < streams; s++) for (let n = 0; n < sent[s]!; n++) if (accepted[s]![n] === 1 && arrived[s]![n] !== 1) lost++;
  const totalSent = sent.reduce((a, b) => a + b, 0);
  const totalAccepted = countOnes(accepted);
  summary["load"] = {
    minutes,
    targetRate: rate,
    achievedRate: Math.round(totalAccepted / (durationMs / 1000)),
    sent: totalSent,
    accepted: totalAccepted,
    refused,
    lost,
    duplicates,
    warmupSeconds: warmupMs / 1000,
    rssAfterWarmupMiB: +(baseline.rss / MIB).toFixed(1),
    rssEndMiB: +(end.rss / MIB).toFixed(1),
    rssGrowthPercent: +(growth * 100).toFixed(1),
    peakRssMiB: +(report.peakRss / MIB).toFixed(1),
    slowestPingMs: Math.round(slowestPingMs),
    pingsOverOneSecond,
    hubLoopBlockedMaxMs: Math.round(report.loopDelayMaxMs),
    loadGeneratorLoopDelayMaxMs: Math.round(loopDelay.max / 1e6),
    fuzzFrames: fuzzed.frames,
    fuzzConnections: fuzzed.connections,
  };
  check(lost === 0 && duplicates === 0, `load: ${totalAccepted} accepted of ${totalSent} sent (${refused} refused by backpressure), ${lost} lost, ${duplicates} twice`);
  check(growth < 0.1, `load: hub RSS ${(baseline.rss / MIB).toFixed(0)} → ${(end.rss / MIB).toFixed(0)} MiB after ${warmupMs / 1000} s of warm-up (${(growth * 100).toFixed(1)}%, bound 10%)`);
  await Promise.all([...senders, ...receivers].map((c) => c.close()));
  await Promise.allSettled([...reading, ...draining]);
  await hub.close();
}

function countOnes(maps: Uint8Array[]): number {
  let total = 0;
  for (const map of maps) for (let i = 0; i < map.length; i++) total += map[i]!;
  return total;
}

/** Phases 2 and 3: many idle agents heartbeating, then half of them leaving at once. */
async function idle(count: number, minutes: number): Promise<void> {
  const heartbeatMs = 10_000;
  const hub = await startHubProcess({ config: { heartbeatIntervalMs: heartbeatMs, heartbeatTimeoutMs: 3 * heartbeatMs } });
  const before = await hub.report(true);
  log(`idle: connecting ${count} agents`);
  const connectStart = performance.now();
  const agents = await connectIdleAgents(hub.url, count, heartbeatMs);
  const connectS = (performance.now() - connectStart) / 1000;
  log(`idle: ${count} agents connected in ${connectS.toFixed(1)} s; heartbeating for ${minutes} min`);
  const connected = await hub.report(true);
  const cpuStart = connected.cpuUs;
  const wallStart = performance.now();
  const end = wallStart + minutes * 60_000;
  while (performance.now() < end) {
    await sleep(10_000);
    const report = await hub.report();
    log(`  hub RSS ${(report.rss / MIB).toFixed(0)} MiB, ${report.agents} agents, ${report.hub.heartbeatTimeouts} heartbeat timeouts`);
  }
  const after = await hub.report(true);
  const cpuPercent = ((after.cpuUs - cpuStart) / 1000 / (performance.now() - wallStart)) * 100;
  const perAgentKiB = (after.rss - before.rss) / count / 1024;
  summary["idle"] = {
    agents: count,
    minutes,
    connectSeconds: +connectS.toFixed(1),
    rssBeforeMiB: +(before.rss / MIB).toFixed(1),
    rssWithAgentsMiB: +(after.rss / MIB).toFixed(1),
    rssPerAgentKiB: +perAgentKiB.toFixed(1),
    hubCpuPercentOfOneCore: +cpuPercent.toFixed(2),
    heartbeatTimeouts: after.hub.heartbeatTimeouts,
    agentsDropped: agents.dropped,
  };
  check(after.hub.heartbeatTimeouts === 0 && agents.dropped === 0 && after.agents === count, `idle: ${after.hub.heartbeatTimeouts} heartbeat timeouts, ${agents.dropped} dropped, ${after.agents} of ${count} still there`);
  log(`idle: ${perAgentKiB.toFixed(1)} KiB RSS per agent, hub CPU ${cpuPercent.toFixed(2)}% of a core for heartbeats`);

  // departure: half leave at once; the hub must keep answering, and nobody who did not ask hears of it
  const half = Math.floor(count / 2);
  let slowestMs = 0;
  await hub.report(false, true);
  const leaveStart = performance.now();
  agents.leave(0, half);
  for (;;) {
    slowestMs = Math.max(slowestMs, await hub.ping());
    if ((await hub.report()).agents === count - half || performance.now() - leaveStart > 60_000) break;
  }
  const processedS = (performance.now() - leaveStart) / 1000;
  slowestMs = Math.max(slowestMs, await hub.ping());
  const blockedMs = (await hub.report()).loopDelayMaxMs;
  let notices = 0;
  for (let i = half; i < count; i++) notices += agents.notices(i);
  summary["departure"] = {
    leaving: half,
    remaining: count - half,
    processedSeconds: +processedS.toFixed(2),
    hubLoopBlockedMaxMs: +blockedMs.toFixed(1),
    slowestPingMs: +slowestMs.toFixed(1),
    noticesToIdleAgents: notices,
  };
  check(blockedMs < 1000, `departure: ${half} left; the hub's event loop was never blocked more than ${blockedMs.toFixed(0)} ms (bound 1000; ping incl. this process ${slowestMs.toFixed(0)} ms), all processed in ${processedS.toFixed(2)} s`);
  check(notices === 0, `departure: ${notices} notices reached the ${count - half} idle agents that stayed`);
  agents.close();
  await hub.close();
}
