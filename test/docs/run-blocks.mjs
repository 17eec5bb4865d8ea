// Runs documentation code blocks (each bundled to one .mjs file by code-blocks.test.ts) one after
// another in this process — `node test/docs/run-blocks.mjs <deadline ms> <file>…` — so the
// package is loaded once rather than once per block. Prints one line per block:
//   @@docs-block {"file", "ok", "ms", "error"?}
// A block fails when it throws, rejects unhandled, outlives the deadline, or leaves something
// keeping the process alive (a socket, server, timer or worker it did not close) once it is done.
import { pathToFileURL } from "node:url";

const [deadlineArg, ...files] = process.argv.slice(2);
const deadlineMs = Number(deadlineArg);
/** How long a finished block may take to release what it closed (sockets close asynchronously). */
const SETTLE_MS = 2_000;
/** Starts each result line (the blocks print to stdout too); code-blocks.test.ts reads it. */
const RESULT_PREFIX = "@@docs-block ";

/** The first error the running block raised in the background (unhandled rejection, uncaught exception). */
/** @type {{ running: boolean, background?: { error: unknown }, stop?: (error: Error) => void }} */
const block = { running: false };
/** @param {unknown} error */
const onUnhandled = (error) => {
  if (block.running) block.background ??= { error };
  else process.stderr.write(`unhandled outside a block: ${describe(error)}\n`);
};
process.on("unhandledRejection", onUnhandled);
process.on("uncaughtException", onUnhandled);
// The event loop ran dry while a block still awaits: nothing is left that could wake it.
process.on("beforeExit", () => block.stop?.(new Error("awaits something that can never happen: nothing is left that could wake it (the event loop ran dry)")));

/** The resources keeping the event loop alive, by type (unref'd timers do not count). */
function resources() {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** Types present more often now than in `baseline`. @param {Map<string, number>} baseline */
function extra(baseline) {
  const now = resources();
  return [...now].filter(([type, n]) => n > (baseline.get(type) ?? 0)).map(([type, n]) => `${type} ×${n - (baseline.get(type) ?? 0)}`);
}

/** @param {unknown} error */
function describe(error) {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Waits `ms` (a ref'd timer: the runner keeps itself alive; it has fired by the time resources are counted). */
const pause = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Imports `file` (running the block); rejects with its error, or after the deadline. */
function runBlock(/** @type {string} */ file) {
  return new Promise((resolve, reject) => {
    const end = (/** @type {Error | undefined} */ error) => {
      clearTimeout(timer);
      block.stop = undefined;
      if (error === undefined) resolve(undefined);
      else reject(error);
    };
    const timer = setTimeout(() => end(new Error(`did not finish within ${deadlineMs} ms`)), deadlineMs);
    timer.unref();
    block.stop = end;
    import(pathToFileURL(file).href).then(() => end(), (error) => end(error instanceof Error ? error : new Error(String(error))));
  });
}

// stdout and stderr open their pipes on first use: open them before the baseline is taken.
process.stdout.write("");
process.stderr.write("");
let baseline = resources();
for (const file of files) {
  const started = performance.now();
  block.running = true;
  block.background = undefined;
  /** @type {string | undefined} */
  let failure;
  try {
    await runBlock(file);
    // What the block opened must be released once it has finished (sockets close
    // asynchronously); the wait also lets a late unhandled rejection surface.
    const settleBy = performance.now() + SETTLE_MS;
    let left;
    do {
      await pause(5);
      left = extra(baseline);
    } while (left.length > 0 && block.background === undefined && performance.now() < settleBy);
    if (left.length > 0 && block.background === undefined) failure = `left open after it finished: ${left.join(", ")} (close what the example opens)`;
  } catch (error) {
    failure = describe(error);
  }
  block.running = false;
  if (block.background !== undefined) failure ??= `in the background: ${describe(block.background.error)}`;
  const result = { file, ok: failure === undefined, ms: Math.round(performance.now() - started), ...(failure === undefined ? {} : { error: failure }) };
  baseline = resources();
  process.stdout.write(`\n${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}
process.exit(0);
