import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TransportStats } from "../../src/index.js";
import type { HubStats } from "../../src/node.js";

/** What the hub process is started with (JSON: no functions cross the process boundary). */
export interface HubProcessOptions {
  hubId?: string;
  /** The hub's TransportConfig and WebSocket tuning (numbers and booleans). */
  config?: Record<string, number | boolean | string>;
  /** Agents authenticate with this static token (`staticTokenAuth`). */
  authToken?: string;
  /** Hubs may link presenting this token. */
  linkToken?: string;
  /** The hub's application reads it (so messages to the hub are queued). */
  read?: boolean;
  /** Reports list the agent ids (not only how many). */
  reportIds?: boolean;
}

/** The hub process's memory and counters. */
export interface HubProcessReport {
  /** Resident set size now, in bytes. */
  rss: number;
  /** Highest resident set size so far, in bytes (what an attack cost at its worst). */
  peakRss: number;
  heapUsed: number;
  /** Memory outside the JS heap (Buffers, ArrayBuffers). */
  external: number;
  hub: HubStats;
  transport: TransportStats;
  agents: number;
  /** The agent ids, when started with `reportIds`. */
  agentIds: string[];
  /** CPU time used so far (user + system), in microseconds. */
  cpuUs: number;
  /** The longest the hub process's event loop was blocked since it started (or the last reset), in ms. */
  loopDelayMaxMs: number;
}

/** @internal IPC messages to the hub process. */
export type HubProcessRequest = { type: "report"; id: number; gc?: boolean; resetLoopDelay?: boolean } | { type: "ping"; id: number } | { type: "close" };

/** A hub in its own process. */
export interface HubProcess {
  url: string;
  pid: number;
  /** The process's memory and the hub's counters (`gc`: collect garbage first; `resetLoopDelay`: start the loop-delay maximum over). */
  report(gc?: boolean, resetLoopDelay?: boolean): Promise<HubProcessReport>;
  /** Resolves with the round-trip time, in ms, of an IPC ping: the hub's event loop answering. */
  ping(): Promise<number>;
  /** Whether the process is still running. */
  alive(): boolean;
  close(): Promise<void>;
}

const ENTRY = fileURLToPath(new URL("./fixtures/hub-process.ts", import.meta.url));

/**
 * Starts a hub in a child process (node + tsx), resolving once it listens. HUB_PROCESS_NODE_OPTIONS
 * adds node flags to it (e.g. "--cpu-prof --cpu-prof-dir=.scratch/prof" to profile the hub).
 */
export async function startHubProcess(options: HubProcessOptions = {}, maxOldSpaceMb?: number): Promise<HubProcess> {
  const execArgv = ["--import", "tsx", "--expose-gc"];
  if (maxOldSpaceMb !== undefined) execArgv.push(`--max-old-space-size=${maxOldSpaceMb}`);
  if (process.env["HUB_PROCESS_NODE_OPTIONS"] !== undefined) execArgv.push(...process.env["HUB_PROCESS_NODE_OPTIONS"].split(" "));
  const child: ChildProcess = fork(ENTRY, [JSON.stringify(options)], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
  const url = await new Promise<string>((resolve, reject) => {
    child.once("message", (message: { type: string; url: string }) => resolve(message.url));
    child.once("exit", (code) => reject(new Error(`hub process exited (${code}) before listening`)));
  });
  let nextId = 1;
  const ask = <T>(request: HubProcessRequest, answer: string): Promise<T> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(new Error("hub process has exited"));
      const id = (request as { id?: number }).id;
      const onMessage = (message: { type: string; id?: number } & Record<string, unknown>) => {
        if (message.type !== answer || message.id !== id) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(message as T);
      };
      const onExit = () => {
        child.off("message", onMessage);
        reject(new Error("hub process exited"));
      };
      child.on("message", onMessage);
      child.once("exit", onExit);
      child.send(request);
    });
  return {
    url,
    pid: child.pid!,
    report: async (gc = false, resetLoopDelay = false) => (await ask<{ report: HubProcessReport }>({ type: "report", id: nextId++, gc, resetLoopDelay }, "report")).report,
    ping: async () => {
      const start = performance.now();
      await ask({ type: "ping", id: nextId++ }, "pong");
      return performance.now() - start;
    },
    alive: () => !exited,
    close: async () => {
      if (!exited) child.send({ type: "close" });
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exit;
      clearTimeout(timer);
    },
  };
}
