import type { Demux } from "../demux/demux.js";
import { toData, type Body } from "../protocol/data.js";
import type { Status } from "../status/status.js";

/** Answers call `id` from `to` with an error status (and JSON or bytes `details`); never throws. @internal */
export function sendError(
  demux: Demux,
  to: string,
  id: number,
  code: Status,
  text: string,
  trailers: Record<string, string> = {},
  headers?: Record<string, string>,
  details?: unknown,
): void {
  const error = { code, message: text, details: details === undefined ? undefined : toData(details as Body) };
  demux.post(to, { $case: "response", value: { correlationId: id, outcome: { $case: "error", value: error }, trailers } }, headers);
}
