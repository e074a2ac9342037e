/**
 * Waiting, in real time, until the runs the test harness drives are idle. Between checks it
 * yields one macrotask, so that every promise chain in flight (a finished task releasing its
 * dependents, a run recording its end) settles and real I/O (a run's scratch folder, a real
 * process) gets its turn. The macrotask is a `MessageChannel` message, not `setTimeout(0)`:
 * nested timeouts are clamped to 4 ms (HTML spec, which Deno follows: 1,000 of them took
 * 2.5 s against 42 ms for messages, Deno 2.9, dev container), and advancing a schedule over
 * hours means thousands of checks. After {@link QUICK_CHECKS} quick checks (real work under
 * way: a process, a TypeScript task awaiting I/O) it checks every millisecond instead, so a
 * long real task does not keep a core busy. No permissions.
 *
 * @module
 */

/**
 * Checks made one message apart before the waiter slows down to one per `setTimeout(1)`.
 *
 * @default {200}
 */
export const QUICK_CHECKS = 200;

/**
 * Resolves once `busy()` lists nothing after a macrotask; rejects after `timeoutMs` of real
 * time with the ids `busy()` still lists.
 */
export async function idleWaiter(busy: () => readonly string[], timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const channel = new MessageChannel();
  let wake = (): void => {};
  channel.port1.onmessage = () => wake();
  try {
    for (let checks = 0;; checks++) {
      await new Promise<void>((resolve) => {
        if (checks >= QUICK_CHECKS) return void setTimeout(resolve, 1);
        wake = resolve;
        channel.port2.postMessage(null);
      });
      const left = busy();
      if (left.length === 0) return;
      if (performance.now() > deadline) {
        throw new Error(
          `runs ${left.join(", ")} still working after ${timeoutMs} ms of real time ` +
            "(a real task that does not end, or an attempt that never settles?)",
        );
      }
    }
  } finally {
    channel.port1.close();
    channel.port2.close();
  }
}
