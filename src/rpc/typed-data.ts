import type { Data } from "../../generated/swarm/transport/v1/data.js";
import { valueSizeUpperBound, type SelfSizedData } from "../protocol/size.js";
import { Status } from "./status.js";
import { RpcError } from "./rpc-error.js";
import type { MessageType } from "./definitions.js";

/**
 * A `Data` that carries a typed message object and encodes it only if something reads its
 * wire form (`kind`), so transports that pass messages by reference never encode at all,
 * while byte transports encode it exactly once, through the generated codec as usual.
 * `sizeUpperBound()` bounds its encoded size from the object, without encoding it.
 * @internal
 */
export class TypedData<T> implements SelfSizedData {
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

  /** Without encoding: the generic bound of the message object, plus the Data wrapper. */
  sizeUpperBound(): number {
    return 64 + valueSizeUpperBound(this.local);
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
