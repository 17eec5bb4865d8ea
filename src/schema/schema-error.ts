/**
 * The one error of run-time schemas: a `.proto` that does not load, a method that is not in
 * it, or JSON that is not the proto3 JSON of its message. Callers map it to their own
 * answer: the gateway to INVALID_ARGUMENT, the CLI to its bad-argument exit code.
 */

const brand = Symbol.for("swarm-transport.SchemaError");

/**
 * A schema or JSON-mapping problem. For JSON, the message names the field path and the
 * field's type: `invalid value for field "n" (uint32): 4294967296 is out of range`.
 */
export class SchemaError extends Error {
  override readonly name = "SchemaError";
  /**
   * Path of the offending JSON field from the top-level message, e.g. `items[2].id` or
   * `labels["k"]`; "" for the message itself; undefined when the problem is not in JSON.
   */
  readonly fieldPath: string | undefined;

  constructor(message: string, fieldPath?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.fieldPath = fieldPath;
    Object.defineProperty(this, brand, { value: true });
  }

  /** `instanceof` works across two copies of this package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== SchemaError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}

/**
 * A problem found deep inside a conversion. Each level it passes on the way out adds its
 * path segment, so the happy path never builds path strings; the entry points turn it into
 * a SchemaError.
 * @internal
 */
export class JsonProblem {
  /** Path segments, innermost first: field names, `[2]`, `["key"]`. */
  readonly segments: string[] = [];
  readonly #render: (path: string) => string;

  constructor(render: (path: string) => string) {
    this.#render = render;
  }

  /** Adds the segment of the level the problem passes through. */
  at(segment: string): JsonProblem {
    this.segments.push(segment);
    return this;
  }

  /** The SchemaError this problem is, with its full path. */
  toError(): SchemaError {
    let path = "";
    for (let i = this.segments.length - 1; i >= 0; i--) {
      const segment = this.segments[i]!;
      path += path === "" || segment.startsWith("[") ? segment : `.${segment}`;
    }
    return new SchemaError(this.#render(path), path);
  }
}

/** A JSON value whose type or content is wrong for a field of type `typeLabel`. */
export function invalidValue(typeLabel: string, reason: string): JsonProblem {
  return new JsonProblem((path) => (path === "" ? `invalid value for ${typeLabel}: ${reason}` : `invalid value for field "${path}" (${typeLabel}): ${reason}`));
}

/** A JSON key that names no field of message `typeName`. */
export function unknownField(key: string, typeName: string, known: readonly string[]): JsonProblem {
  return new JsonProblem((path) => {
    const where = path === "" ? key : `${path}.${key}`;
    return `unknown field "${where}" in ${typeName}; its fields: ${known.join(", ") || "none"}`;
  });
}

/** A short, bounded rendering of a JSON value for error messages. */
export function describeJson(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "number") return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
