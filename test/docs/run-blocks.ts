// Runs documentation code blocks (one .ts file each, extracted by code-blocks.test.ts) one after
// another in this process — `node --import tsx test/docs/run-blocks.ts <deadline ms> <file>…` —
// so the package is loaded once rather than once per block. Prints one line per block:
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
const block: { running: boolean; background?: { error: unknown } | undefined } = { running: false };
const onUnhandled = (error: unknown): void => {
  if (block.running) block.background ??= { error };
  else process.stderr.write(`unhandled outside a block: ${describe(error)}\n`);
};
process.on("unhandledRejection", onUnhandled);
process.on("uncaughtException", onUnhandled);

/** The resources keeping the event loop alive, by type (unref'd timers do not count). */
function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** Types present more often now than in `baseline`. */
function extra(baseline: Map<string, number>): string[] {
  const now = resources();
  return [...now].filter(([type, n]) => n > (baseline.get(type) ?? 0)).map(([type, n]) => `${type} ×${n - (baseline.get(type) ?? 0)}`);
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Imports `file` (running the block); rejects with its error, or after the deadline. */
function runBlock(file: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not finish within ${deadlineMs} ms`)), deadlineMs);
    timer.unref();
    import(pathToFileURL(file).href).then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

let baseline = resources();
for (const file of files) {
  const started = performance.now();
  block.running = true;
  block.background = undefined;
  let failure: string | undefined;
  try {
    await runBlock(file);
    // What the block opened must be released once it has finished (sockets close
    // asynchronously); the wait also lets a late unhandled rejection surface.
    const settleBy = performance.now() + SETTLE_MS;
    let left: string[];
    do {
      await pause(5);
      left = extra(baseline);
    } while (left.length > 0 && block.background === undefined && performance.now() < settleBy);
    if (left.length > 0 && block.background === undefined) failure = `left open after it finished: ${left.join(", ")} (close what the example opens)`;
  } catch (error) {
    failure = describe(error);
  }
  block.running = false;
  // (read through a cast: the listener above sets it, which narrowing cannot see)
  const late = block.background as { error: unknown } | undefined;
  if (late !== undefined) failure ??= `in the background: ${describe(late.error)}`;
  const result = { file, ok: failure === undefined, ms: Math.round(performance.now() - started), ...(failure === undefined ? {} : { error: failure }) };
  baseline = resources();
  process.stdout.write(`\n${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}
process.exit(0);
