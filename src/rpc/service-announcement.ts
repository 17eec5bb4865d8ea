import type { ServedService } from "../../generated/swarm/transport/v1/control.js";
import type { ServiceAnnouncement } from "../transport/transport.js";
import type { MethodInfo } from "./definitions.js";

/**
 * What an RpcServer tells its transport it serves: each typed service with its methods' call
 * kinds (untyped methods, which belong to no service, are left out), and the descriptors the
 * application gave, for reflection at a hub.
 * @internal
 */
export function serviceAnnouncement(methods: Iterable<MethodInfo>, fileDescriptorSet: Uint8Array | undefined): ServiceAnnouncement {
  const services = new Map<string, ServedService>();
  for (const info of methods) {
    if (info.service === "") continue;
    let service = services.get(info.service);
    if (service === undefined) services.set(info.service, (service = { name: info.service, methods: [] }));
    const clientStreaming = info.kind === "client-streaming" || info.kind === "bidi-streaming";
    const serverStreaming = info.kind === "server-streaming" || info.kind === "bidi-streaming";
    service.methods.push({ name: info.name, clientStreaming, serverStreaming });
  }
  return { services: [...services.values()], fileDescriptorSet: fileDescriptorSet ?? EMPTY };
}

const EMPTY = new Uint8Array(0);
