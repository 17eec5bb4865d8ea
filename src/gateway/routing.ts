/**
 * Where an HTTP call goes and how it is carried: the method's call kind and JSON mapping (from
 * the schemas the hub loaded, else from what agents announced), and the target agent:
 *
 *   swarm-to header ──▶ that agent (an override)
 *   else the hub's service table: the agent serving the service with the fewest edge calls
 *        in flight (ties taken in turn)
 *   else gateway.routes[service]
 *   else UNAVAILABLE when agents served it once and all have gone, UNIMPLEMENTED when none ever did
 */
import type { CallKind } from "../rpc/definitions.js";
import { RpcError } from "../status/rpc-error.js";
import { Status } from "../status/status.js";
import type { AnnouncedMethod, ServiceTable } from "../transports/websocket/hub/service-table.js";
import { PROTO_CODEC, type MessageCodec } from "./call-plan.js";
import type { EdgeCalls } from "./edge-calls.js";
import { GatewayError } from "./gateway-error.js";
import type { GatewayMethod } from "./gateway-schema.js";

/** A method as the edge will carry it. */
export interface RoutedMethod {
  /** undefined: neither a schema nor an announcement says (see EnvelopedCall for how it is carried). */
  readonly kind: CallKind | undefined;
  /** Whether the edge knows the method at all (metrics label it by path only then). */
  readonly known: boolean;
  /** The JSON mapping, when a schema has the method. */
  readonly schema: GatewayMethod | undefined;
}

/** Picks methods' kinds, codecs and target agents for the edge. */
export class EdgeRouter {
  readonly #methods: ReadonlyMap<string, GatewayMethod>;
  /** RoutedMethods of the schemas' methods, made once. */
  readonly #fromSchemas = new Map<string, RoutedMethod>();
  /** RoutedMethods of announced methods, remade when the announcement they came from changes. */
  readonly #fromAnnouncements = new Map<string, { from: AnnouncedMethod; routed: RoutedMethod }>();
  readonly #jsonCodecs = new Map<string, MessageCodec>();
  readonly #services: ServiceTable;
  readonly #calls: EdgeCalls;
  readonly #routes: Readonly<Record<string, string>>;
  #turn = 0;

  constructor(methods: ReadonlyMap<string, GatewayMethod>, services: ServiceTable, calls: EdgeCalls, routes: Readonly<Record<string, string>>) {
    this.#methods = methods;
    this.#services = services;
    this.#calls = calls;
    this.#routes = routes;
    for (const [path, schema] of methods) this.#fromSchemas.set(path, { kind: schema.kind, known: true, schema });
  }

  /** Wire paths of the methods the edge has schemas for. */
  schemaPaths(): string[] {
    return [...this.#methods.keys()];
  }

  method(path: string): RoutedMethod {
    const fromSchema = this.#fromSchemas.get(path);
    if (fromSchema !== undefined) return fromSchema;
    const announced = this.#services.method(path);
    if (announced === undefined) return UNKNOWN;
    const cached = this.#fromAnnouncements.get(path);
    if (cached?.from === announced) return cached.routed;
    const { clientStreaming, serverStreaming } = announced;
    const kind: CallKind = clientStreaming ? (serverStreaming ? "bidi-streaming" : "client-streaming") : serverStreaming ? "server-streaming" : "unary";
    const routed: RoutedMethod = { kind, known: true, schema: undefined };
    this.#fromAnnouncements.set(path, { from: announced, routed });
    return routed;
  }

  /** The codec of `path`'s messages: bytes as they are, or proto3 JSON through its schema (UNIMPLEMENTED without one). */
  codec(path: string, method: RoutedMethod, json: boolean): MessageCodec {
    if (!json) return PROTO_CODEC;
    let codec = this.#jsonCodecs.get(path);
    if (codec !== undefined) return codec;
    const schema = method.schema;
    if (schema === undefined) {
      throw new GatewayError(Status.UNIMPLEMENTED, `no schema for ${path} at the hub: JSON calls need its .proto (gateway.protoFiles) or definition (gateway.services); binary calls need none`);
    }
    codec = jsonCodec(schema);
    this.#jsonCodecs.set(path, codec);
    return codec;
  }

  /** The agent a call of `service` goes to; `named` is the `swarm-to` header. Throws UNIMPLEMENTED / UNAVAILABLE. */
  target(service: string, named: string | undefined): string {
    if (named !== undefined && named !== "") return named;
    const agents = this.#services.agents(service);
    if (agents.length === 1) return agents[0]!;
    if (agents.length > 1) return this.#leastBusy(agents);
    const route = this.#routes[service];
    if (route !== undefined && route !== "") return route;
    if (this.#services.state(service) === "not-serving") throw new GatewayError(Status.UNAVAILABLE, `every agent serving ${service} has gone`);
    throw new GatewayError(Status.UNIMPLEMENTED, `no agent serves ${service} (agents announce what they serve; or name one with the swarm-to header)`);
  }

  /** The agent with the fewest edge calls in flight; among equals, the next in turn. */
  #leastBusy(agents: readonly string[]): string {
    const start = this.#turn++ % agents.length;
    let best = agents[start]!;
    let fewest = this.#calls.inFlight(best);
    for (let i = 1; i < agents.length && fewest > 0; i++) {
      const agent = agents[(start + i) % agents.length]!;
      const load = this.#calls.inFlight(agent);
      if (load < fewest) {
        best = agent;
        fewest = load;
      }
    }
    return best;
  }
}

const UNKNOWN: RoutedMethod = Object.freeze({ kind: undefined, known: false, schema: undefined });

function jsonCodec(schema: GatewayMethod): MessageCodec {
  return {
    json: true,
    request: (data) => schema.requestFromJson(parseJson(data)),
    response: (data) => Buffer.from(JSON.stringify(schema.responseToJson(data)), "utf8"),
  };
}

function parseJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8"));
  } catch (error) {
    throw new RpcError(Status.INVALID_ARGUMENT, `request body is not valid JSON: ${(error as Error).message}`);
  }
}
