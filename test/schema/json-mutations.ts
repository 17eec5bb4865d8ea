// Changes to valid proto3 JSON that keep it valid (other spellings of the same values) or
// break it (values of the wrong type or range, unknown keys), for the property tests; and
// the inputs @bufbuild/protobuf accepts where the proto3 JSON mapping (and Go's protojson,
// and src/schema) refuse them.
import type { JsonValue } from "@bufbuild/protobuf";
import fc from "fast-check";

/** Values tried in place of any value of valid JSON. */
const TRICKY: readonly JsonValue[] = [
  null, true, false, 0, -1, 1, 1.5, -0.5, 2147483647, 2147483648, -2147483649, 4294967295, 4294967296, 9007199254740991, 1e300, 3.5e38,
  "", "0", "1", "-1", "1.5", "abc", "NaN", "Infinity", "-Infinity", "4294967296", "9223372036854775807", "9223372036854775808",
  "18446744073709551615", "18446744073709551616", "-9223372036854775809", "1e400", "AQID", "AQI", "AQ==", "-_8", "+/8=",
  "COLOR_RED", "COLOR_PURPLE", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "1.5s", "-0.5s", "a.bC",
  [], [1], ["x"], [null], {}, { a: 1 }, { "@type": "type.googleapis.com/swarm.testing.v1.Nested", a: 1 },
];

/** One change at the `at`-th value (in document order) of a JSON document. */
export type Mutation =
  | { kind: "replace"; at: number; value: JsonValue }
  | { kind: "number-as-string" | "safe-integer-string-as-number" | "url-safe-base64" | "add-unknown-key" | "snake-case-key" | "add-snake-case-twin"; at: number };

export const jsonMutations: fc.Arbitrary<Mutation[]> = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), value: fc.constantFrom(...TRICKY) }),
    fc.record({
      kind: fc.constantFrom(
        "number-as-string" as const,
        "safe-integer-string-as-number" as const,
        "url-safe-base64" as const,
        "add-unknown-key" as const,
        "snake-case-key" as const,
        "add-snake-case-twin" as const,
      ),
      at: fc.nat(),
    }),
  ),
  { maxLength: 3 },
);

/** `json` with the mutations applied (a copy). */
export function mutate(json: JsonValue, mutations: readonly Mutation[]): JsonValue {
  let out = structuredClone(json);
  for (const mutation of mutations) {
    const slots = slotsOf(out);
    if (slots.length === 0) continue;
    const slot = slots[mutation.at % slots.length]!;
    const value = slot.get();
    switch (mutation.kind) {
      case "replace":
        slot.set(structuredClone(mutation.value));
        break;
      case "number-as-string":
        if (typeof value === "number") slot.set(String(value));
        break;
      case "safe-integer-string-as-number":
        if (typeof value === "string" && /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value))) slot.set(Number(value));
        break;
      case "url-safe-base64":
        if (typeof value === "string") slot.set(value.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""));
        break;
      case "add-unknown-key":
        if (typeof value === "object" && value !== null && !Array.isArray(value)) value["zzUnknown"] = 1;
        break;
      case "snake-case-key":
      case "add-snake-case-twin": {
        // a lowerCamelCase key spelled as its proto name, instead of or beside the json name
        if (typeof value !== "object" || value === null || Array.isArray(value)) break;
        const key = Object.keys(value).find((k) => /[A-Z]/.test(k));
        if (key === undefined) break;
        value[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value[key]!;
        if (mutation.kind === "snake-case-key") delete value[key];
        break;
      }
    }
    if (slot.root) out = slot.get();
  }
  return out;
}

interface Slot {
  root: boolean;
  get(): JsonValue;
  set(value: JsonValue): void;
}

function slotsOf(json: JsonValue): Slot[] {
  let root = json;
  const slots: Slot[] = [{ root: true, get: () => root, set: (v) => (root = v) }];
  const visit = (value: JsonValue): void => {
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        slots.push({ root: false, get: () => value[i]!, set: (v) => (value[i] = v) });
        visit(item);
      });
    } else if (typeof value === "object" && value !== null) {
      for (const key of Object.keys(value)) {
        slots.push({ root: false, get: () => value[key]!, set: (v) => (value[key] = v) });
        visit(value[key]!);
      }
    }
  };
  visit(json);
  return slots;
}

/**
 * Why @bufbuild/protobuf accepts `json` where src/schema refuses it, when that is a known
 * laxity of @bufbuild/protobuf's (each pinned by a unit test); undefined otherwise.
 */
export function knownLaxity(json: JsonValue): string | undefined {
  let reason: string | undefined;
  const visit = (value: JsonValue): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (typeof value !== "object" || value === null) return;
    for (const key of ["fieldMask", "field_mask"]) {
      const mask = value[key];
      // @bufbuild/protobuf takes any text without "_" as field paths ("1970-01-01T00:00:00Z")
      if (typeof mask === "string" && mask !== "" && !/^[A-Za-z0-9]+(\.[A-Za-z0-9]+)*(,[A-Za-z0-9]+(\.[A-Za-z0-9]+)*)*$/.test(mask)) reason ??= `FieldMask ${JSON.stringify(mask)}`;
    }
    const type = value["@type"];
    // @bufbuild/protobuf ignores keys beside "@type" and "value" in an Any of a well-known type
    if (typeof type === "string" && WELL_KNOWN_JSON.test(type) && Object.keys(value).some((k) => k !== "@type" && k !== "value")) reason ??= `Any ${type} with other keys`;
    Object.values(value).forEach(visit);
  };
  visit(json);
  return reason;
}

const WELL_KNOWN_JSON = /\/google\.protobuf\.(Any|Timestamp|Duration|FieldMask|Struct|Value|ListValue|\w+Value)$/;
