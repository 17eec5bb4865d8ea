/**
 * The string forms of Timestamp (RFC 3339), Duration ("1.5s") and FieldMask ("a.b,cD"), as
 * pure functions of their fields. Parsers return a reason string when the text is invalid.
 */

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the Timestamp range of proto3 JSON, in seconds. */
const TIMESTAMP_MIN = -62135596800;
const TIMESTAMP_MAX = 253402300799;
/** ±10,000 years, the Duration range of proto3 JSON, in seconds. */
const DURATION_MAX = 315576000000;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const DURATION = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;
const MASK_PATH = /^[A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*$/;

/** Seconds and nanoseconds of a Timestamp or Duration. */
export interface SecondsNanos {
  seconds: number;
  nanos: number;
}

/** An RFC 3339 time ("1972-01-01T10:00:20.021Z", offsets allowed) as a Timestamp. */
export function parseTimestamp(text: string): SecondsNanos | string {
  const m = RFC3339.exec(text);
  if (m === null) return `${JSON.stringify(text)} is not an RFC 3339 time like "1972-01-01T10:00:20.021Z"`;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const offsetHours = m[8] === undefined ? 0 : Number(m[9]);
  const offsetMinutes = m[8] === undefined ? 0 : Number(m[10]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) {
    return `${JSON.stringify(text)} is not a valid date and time`;
  }
  const offset = (m[8] === "-" ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
  if (seconds < TIMESTAMP_MIN || seconds > TIMESTAMP_MAX) return `${JSON.stringify(text)} is outside 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z`;
  return { seconds, nanos: m[7] === undefined ? 0 : Number(m[7].padEnd(9, "0")) };
}

/** A Timestamp as RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits. */
export function formatTimestamp(seconds: number, nanos: number): string | undefined {
  if (seconds < TIMESTAMP_MIN || seconds > TIMESTAMP_MAX || nanos < 0 || nanos > 999_999_999) return undefined;
  const iso = new Date(seconds * 1000).toISOString(); // exact: whole seconds within ±8.64e15 ms
  return `${iso.slice(0, 19)}${fraction(nanos)}Z`;
}

/** A Duration string ("-1.5s", "3s", "0.000000001s") as a Duration. */
export function parseDuration(text: string): SecondsNanos | string {
  const m = DURATION.exec(text);
  if (m === null) return `${JSON.stringify(text)} is not a duration like "1.5s"`;
  const seconds = Number(m[2]);
  if (seconds > DURATION_MAX) return `${JSON.stringify(text)} is outside ±${DURATION_MAX}s`;
  const nanos = m[3] === undefined ? 0 : Number(m[3].padEnd(9, "0"));
  // both fields carry the sign, so "-0.5s" is {seconds: 0, nanos: -500000000}
  return m[1] === "-" ? { seconds: seconds === 0 ? 0 : -seconds, nanos: nanos === 0 ? 0 : -nanos } : { seconds, nanos };
}

/** A Duration as "<seconds>[.<0, 3, 6 or 9 digits>]s"; undefined when out of range or signs disagree. */
export function formatDuration(seconds: number, nanos: number): string | undefined {
  if (Math.abs(seconds) > DURATION_MAX || Math.abs(nanos) > 999_999_999) return undefined;
  if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) return undefined;
  const sign = seconds < 0 || nanos < 0 ? "-" : "";
  return `${sign}${Math.abs(seconds)}${fraction(Math.abs(nanos))}s`;
}

/** A FieldMask string (lowerCamelCase paths, comma-separated) as its paths. */
export function parseFieldMask(text: string): string[] | string {
  if (text === "") return [];
  const paths = text.split(",");
  for (const path of paths) {
    if (!MASK_PATH.test(path)) return `${JSON.stringify(path)} is not a lowerCamelCase field path`;
  }
  return paths.map(snakeCase);
}

/** A FieldMask's paths as its string; undefined when a path has no lowerCamelCase form that reads back the same. */
export function formatFieldMask(paths: readonly string[]): string | undefined {
  const camel = paths.map(camelCase);
  for (let i = 0; i < paths.length; i++) if (snakeCase(camel[i]!) !== paths[i]) return undefined;
  return camel.join(",");
}

/** protoc's lowerCamelCase: "_" dropped, the next letter (not digit) upper-cased. */
function camelCase(path: string): string {
  let out = "";
  let upper = false;
  for (const c of path) {
    if (c === "_") upper = true;
    else {
      out += upper && (c < "0" || c > "9") ? c.toUpperCase() : c;
      upper = false;
    }
  }
  return out;
}

function snakeCase(path: string): string {
  return path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function fraction(nanos: number): string {
  if (nanos === 0) return "";
  const digits = String(nanos).padStart(9, "0");
  if (digits.endsWith("000000")) return `.${digits.slice(0, 3)}`;
  if (digits.endsWith("000")) return `.${digits.slice(0, 6)}`;
  return `.${digits}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}
