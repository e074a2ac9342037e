/**
 * A synchronous publish/subscribe bus. Storage updates, the terminal printer and the
 * API's event stream are all subscribers; the runner only publishes.
 *
 * ```ts
 * import assert from "node:assert/strict";
 * import { EventBus } from "./bus.ts";
 *
 * const bus = new EventBus();
 * const seen: string[] = [];
 * const unsubscribe = bus.subscribe((event) => seen.push(event.type));
 * bus.publish({ type: "scheduler_paused", at: Date.now() }); // delivered before it returns
 * unsubscribe();
 * bus.publish({ type: "scheduler_resumed", at: Date.now() });
 * assert.deepEqual(seen, ["scheduler_paused"]);
 * ```
 *
 * @module
 */

import type { PetitEvent } from "./types.ts";

/** Receives every published event. */
export type EventHandler = (event: PetitEvent) => void;

/** Delivers events to subscribers in subscription order. */
export class EventBus {
  #handlers: EventHandler[] = [];

  /** Adds a handler; returns a function that removes it. */
  subscribe(handler: EventHandler): () => void {
    this.#handlers = [...this.#handlers, handler];
    return () => {
      this.#handlers = this.#handlers.filter((h) => h !== handler);
    };
  }

  /**
   * Delivers an event to every handler. A handler that throws does not stop the others
   * or the publisher: the error is reported on stderr.
   */
  publish(event: PetitEvent): void {
    for (const handler of this.#handlers) {
      try {
        handler(event);
      } catch (err) {
        console.error(`petit: event handler failed on ${event.type}: ${String(err)}`);
      }
    }
  }
}
