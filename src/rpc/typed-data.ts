import type { Data } from "../../generated/swarm/transport/v1/data.js";
import { Status } from "./status.js";
import { RpcError } from "./rpc-error.js";
import type { MessageType } from "./definitions.js";

/**
 * A `Data` that carries a typed message object and encodes it only if something reads its
 * wire form (`kind`), so transports that pass messages by reference never encode at all,
 * while byte transports encode it exactly once, through the generated codec as usual.
 * `local` is an own field, so size bounds see the object it holds.
 * @internal
 */
export class TypedData<T> implements Data {
  readonly local: T;
  readonly typeName = "";
  readonly #type: MessageType<T>;
  #kind: Data["kind"];

  constructor(local: T, type: MessageType<T>) {
    this.local = local;
    this.#type = type;
  }

  get type(): MessageType<T> {
    return this.#type;
  }

  get kind(): Data["kind"] {
    if (this.#kind === undefined) this.#kind = { $case: "binary", value: this.#type.encode(this.local).finish() };
    return this.#kind;
  }
}

/**
 * The typed message carried by `data`: the object itself when it came by reference with the
 * same type, else decoded from protobuf bytes, or from JSON when the type has `fromJSON`
 * (requests from JSON clients). Throws INVALID_ARGUMENT when it cannot be read.
 */
export function readTyped<T>(data: Data | undefined, type: MessageType<T>, what: string): T {
  if (data instanceof TypedData && data.type === type) return data.local as T;
  const kind = data?.kind;
  try {
    if (kind === undefined) return type.decode(EMPTY);
    if (kind.$case === "binary") return type.decode(kind.value);
    if (type.fromJSON !== undefined) return type.fromJSON(kind.value);
  } catch (error) {
    throw new RpcError(Status.INVALID_ARGUMENT, `cannot decode ${what}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  throw new RpcError(Status.INVALID_ARGUMENT, `${what} is JSON but its type has no JSON mapping`);
}

const EMPTY = new Uint8Array(0);
