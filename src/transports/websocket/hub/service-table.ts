import type { Services } from "../../../../generated/swarm/transport/v1/control.js";

/** The call kind of an announced method, as the HTTP edge needs it. */
export interface AnnouncedMethod {
  readonly clientStreaming: boolean;
  readonly serverStreaming: boolean;
}

/** What the table says of one service: "serving" (an agent has it now), "not-serving" (one had it), "unknown". */
export type ServiceState = "serving" | "not-serving" | "unknown";

/** Told the service whose set of agents changed (first agent came, last one left). */
export type ServiceListener = (service: string) => void;

/**
 * A hub's service → agents table, fed by the agents' `Services` announcements (Control arm 18)
 * and emptied of an agent when it goes (PeerGone). A service keeps its name once announced, so
 * the edge can tell "no agent ever served it" (UNIMPLEMENTED) from "its agents are gone"
 * (UNAVAILABLE). Spans one hub: entries name agents of this hub (or the hub itself).
 *
 * To span linked hubs or a NATS backplane later, an announcement would travel like PeerJoined
 * (hub → hub, entries pointing at the link) or live in a shared KV bucket keyed by service;
 * this table's interface (announce / forget / agents) stays the same.
 */
export class ServiceTable {
  /** Agents of each service, in announcement order (the edge spreads calls over them). */
  readonly #agents = new Map<string, string[]>();
  /** Each agent's announcement, to withdraw it when the agent replaces or loses it. */
  readonly #byAgent = new Map<string, Services>();
  /** Methods by wire path ("/pkg.Service/Method"), from the latest announcement naming them. */
  readonly #methods = new Map<string, AnnouncedMethod>();
  readonly #listeners = new Set<ServiceListener>();

  /** Replaces what `agentId` serves with `services` (an empty list withdraws everything). */
  announce(agentId: string, services: Services): void {
    const before = this.#servicesOf(agentId);
    if (services.services.length === 0) this.#byAgent.delete(agentId);
    else this.#byAgent.set(agentId, services);
    const after = new Set<string>();
    for (const service of services.services) {
      if (!validName(service.name)) continue;
      after.add(service.name);
      for (const method of service.methods) {
        if (/^[A-Za-z_]\w*$/.test(method.name)) this.#methods.set(`/${service.name}/${method.name}`, { clientStreaming: method.clientStreaming, serverStreaming: method.serverStreaming });
      }
    }
    for (const name of before) if (!after.has(name)) this.#leave(name, agentId);
    for (const name of after) if (!before.has(name)) this.#join(name, agentId);
  }

  /** `agentId` is gone: it serves nothing any more. */
  forget(agentId: string): void {
    if (this.#byAgent.has(agentId)) this.announce(agentId, { services: [], fileDescriptorSet: EMPTY });
  }

  /** Agents serving `service` now (do not modify). */
  agents(service: string): readonly string[] {
    return this.#agents.get(service) ?? NONE;
  }

  /** Whether an agent serves `service` now, served it once, or never did. */
  state(service: string): ServiceState {
    const agents = this.#agents.get(service);
    if (agents === undefined) return "unknown";
    return agents.length > 0 ? "serving" : "not-serving";
  }

  /** Every service ever announced here (with or without agents now). */
  services(): string[] {
    return [...this.#agents.keys()];
  }

  /** The call kind of `path` as an agent announced it, if one did. */
  method(path: string): AnnouncedMethod | undefined {
    return this.#methods.get(path);
  }

  /** The descriptor sets agents announced (serialized google.protobuf.FileDescriptorSet), one per agent that sent one. */
  descriptorSets(): Uint8Array[] {
    const sets: Uint8Array[] = [];
    for (const services of this.#byAgent.values()) if (services.fileDescriptorSet.length > 0) sets.push(services.fileDescriptorSet);
    return sets;
  }

  /** Calls `listener` with each service whose serving state changes; returns an unsubscribe function. */
  onChange(listener: ServiceListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #servicesOf(agentId: string): Set<string> {
    return new Set(this.#byAgent.get(agentId)?.services.map((s) => s.name).filter(validName) ?? []);
  }

  #join(service: string, agentId: string): void {
    const agents = this.#agents.get(service);
    if (agents === undefined) this.#agents.set(service, [agentId]);
    else agents.push(agentId);
    if ((agents?.length ?? 1) === 1) this.#changed(service);
  }

  #leave(service: string, agentId: string): void {
    const agents = this.#agents.get(service);
    const at = agents?.indexOf(agentId) ?? -1;
    if (at < 0) return;
    agents!.splice(at, 1);
    if (agents!.length === 0) this.#changed(service);
  }

  #changed(service: string): void {
    for (const listener of [...this.#listeners]) listener(service);
  }
}

/** "package.Service": dot-separated identifiers. */
function validName(name: string): boolean {
  return /^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$/.test(name) && name.length <= 512;
}

const NONE: readonly string[] = Object.freeze([]);
const EMPTY = new Uint8Array(0);
