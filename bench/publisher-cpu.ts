/**
 * The publisher's own cost per publish over a hub, at N = 1 and N = 100 subscribers, with the
 * hub multicasting (capability "multicast") and without (one Event per subscriber from the
 * publisher). The hub and the subscribers run in a worker thread; the publisher alone on the
 * main thread, whose busy time (event-loop utilisation: its JavaScript and the syscalls it
 * makes) per publish is reported. Run: `npx tsc -p tsconfig.bench.json && node
 * .bench-build/bench/publisher-cpu.js`.
 */
import { once } from "node:events";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { createDemux, createPubSub, Message } from "../src/index.js";
import { WebSocketTransport } from "../src/node.js";

const PUBLISHES = 20_000;
const BURST = 16;
const PAYLOAD = new Uint8Array(64).fill(0x2a);

async function run(subscribers: number, multicast: boolean): Promise<number> {
  const worker = new Worker(new URL("./publisher-cpu.worker.js", import.meta.url), { workerData: { subscribers } });
  const [{ url }] = (await once(worker, "message")) as [{ url: string }];
  const count = async () => {
    worker.postMessage("count");
    const [{ delivered }] = (await once(worker, "message")) as [{ delivered: number }];
    return delivered;
  };
  const client = await WebSocketTransport.client({ url, agentId: "publisher" }, { heartbeatIntervalMs: 0, enableCompression: false, multicast });
  const bus = createPubSub(createDemux(client));
  while ((await bus.publish(Message.event("publisher", "cpu.probe", PAYLOAD))) < subscribers) await new Promise((r) => setTimeout(r, 10));
  const round = async (publishes: number) => {
    const target = (await count()) + publishes * subscribers;
    for (let i = 0; i < publishes; i += BURST) {
      const sends: Promise<number>[] = [];
      for (let j = 0; j < BURST; j++) sends.push(bus.publish(Message.event("publisher", "cpu.tick", PAYLOAD)));
      await Promise.all(sends);
    }
    while ((await count()) < target) await new Promise((r) => setTimeout(r, 1));
  };
  await round(PUBLISHES / 4); // warm-up
  const before = performance.eventLoopUtilization();
  await round(PUBLISHES);
  const used = performance.eventLoopUtilization(before);
  await bus.close();
  await client.close();
  worker.postMessage("close");
  await once(worker, "message");
  await worker.terminate();
  return (used.active * 1000) / PUBLISHES; // µs per publish
}

console.log(`${cpus()[0]?.model} × ${cpus().length}, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
for (const multicast of [true, false]) {
  for (const n of [1, 100]) {
    const us = await run(n, multicast);
    console.log(`publisher busy time per publish, N = ${n}, multicast ${multicast ? "on " : "off"}: ${us.toFixed(2)} µs`);
  }
}
