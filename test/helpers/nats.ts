import { afterAll, beforeAll, describe } from "vitest";
import { findNatsServer, startNatsCluster, type NatsCluster, type NatsClusterOptions } from "../../src/node/nats-server.js";
import { NatsTransport, type NatsConfig } from "../../src/transports/nats/nats-transport.js";
import type { Transport } from "../../src/index.js";
import type { ConformanceFactory } from "../transport/conformance.js";
import { waitFor } from "./wait-for.js";

/**
 * `describe` for suites that need a real nats-server: skipped with a message when the binary
 * is missing on a developer's machine, never in CI (CI=true: the suite fails instead).
 */
export const describeNats: typeof describe = (() => {
  if (findNatsServer() !== undefined || process.env["CI"] === "true") return describe;
  console.warn("nats-server is not installed: skipping the NATS suites (apt-get install -y nats-server)");
  return describe.skip as typeof describe;
})();

/** A cluster started before the file's tests and stopped after them. `cluster()` reads it. */
export function useNatsCluster(options: NatsClusterOptions = {}): () => NatsCluster {
  let cluster: NatsCluster | undefined;
  beforeAll(async () => {
    cluster = await startNatsCluster(options);
  }, 30_000);
  afterAll(async () => {
    await cluster?.close();
  });
  return () => {
    if (cluster === undefined) throw new Error("the NATS cluster is not running (useNatsCluster's beforeAll failed)");
    return cluster;
  };
}

let networks = 0;

/** A fresh subject prefix, so networks on one cluster never hear each other. */
export function freshPrefix(): string {
  return `t${process.pid}_${++networks}`;
}

/** Connects `agentId` to the cluster's node `index` (mod node count) first, the others as fallbacks. */
export function connectAt(cluster: NatsCluster, index: number, agentId: string, config: NatsConfig = {}): Promise<NatsTransport> {
  const urls = cluster.nodes.map((node) => node.url);
  const start = index % urls.length;
  const servers = [...urls.slice(start), ...urls.slice(0, start)];
  return NatsTransport.connect({ servers, agentId }, { noRandomize: true, ...config });
}

/**
 * The conformance factory over NATS: one agent per address, spread round robin over the
 * cluster's nodes (so messages cross routes), each network under its own subject prefix;
 * resolves once every agent knows every other (presence), so no test races route propagation.
 */
export function natsFactory(cluster: () => NatsCluster, base: NatsConfig = {}) {
  return (async (addresses, config) => {
    const prefix = freshPrefix();
    const transports: NatsTransport[] = [];
    let next = 0;
    const settled = async () => {
      const count = transports.length;
      await waitFor(() => transports.map((t) => t.peers().length), { until: (known) => known.every((n) => n >= count - 1), what: `all ${count} NATS agents to know each other` });
    };
    const join = async (agentId: string): Promise<Transport> => {
      const transport = await connectAt(cluster(), next++, agentId, { ...base, ...config, subjectPrefix: prefix });
      transports.push(transport);
      await settled();
      return transport;
    };
    try {
      for (const agentId of addresses) await join(agentId);
    } catch (error) {
      await Promise.all(transports.map((t) => t.close()));
      throw error;
    }
    return { transports: transports as Transport[], cleanup: async () => undefined, join };
  }) satisfies ConformanceFactory;
}

/**
 * Waits until the cluster's JetStream can place a stream on every node: a probe stream with
 * one replica per node is created (and deleted) once the meta leader is elected and every node
 * has joined; each probe bounded.
 */
export async function untilJetStream(cluster: NatsCluster): Promise<void> {
  const { connect } = await import("@nats-io/transport-node");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const nc = await connect({ servers: cluster.nodes.map((node) => node.url) });
  try {
    const jsm = await jetstreamManager(nc, { checkAPI: false, timeout: 2000 });
    // each attempt a stream of its own: an attempt whose answer timed out (a loaded machine) may still complete
    const placed = () => {
      const name = `PROBE_${process.pid}_${++probes}`;
      return jsm.streams.add({ name, subjects: [`probe.${name}`], num_replicas: cluster.nodes.length }).then(
        () => jsm.streams.delete(name).then(() => true),
        () => false,
      ).catch(() => false);
    };
    await waitFor(placed, { what: `JetStream to place a stream on all ${cluster.nodes.length} nodes`, timeoutMs: 15_000 });
  } finally {
    await nc.close();
  }
}

let probes = 0;
