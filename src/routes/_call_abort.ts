/**
 * One upstream call's abort: the client going away or the shutdown cutoff ends it.
 *
 * @module
 */
import { RelayError } from "../errors.ts";

/** The abort of one upstream call and how to stop listening for its causes. */
export interface CallAbort {
  /** Its signal goes to the backend; its reason is what the client is told. */
  controller: AbortController;
  /** Stops listening to the client and the cutoff (call when the request is over). */
  release(): void;
}

/** The error a request still in flight at the cutoff ends with: one the client retries. */
export function cutoffError(reason: unknown): RelayError {
  return reason instanceof RelayError
    ? reason
    : new RelayError("overloaded_error", "relayx is shutting down; retry the request");
}

/**
 * Links a call's abort to the client's request signal (499: logged as the client leaving) and to the
 * app's cutoff signal (its reason, an `overloaded_error` at shutdown).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RelayError } from "@relayx/server";
 *
 * const cutoff = new AbortController();
 * const call = callAbort(new AbortController().signal, cutoff.signal);
 * cutoff.abort();
 * assert.equal((call.controller.signal.reason as RelayError).type, "overloaded_error");
 * call.release();
 * ```
 */
export function callAbort(client: AbortSignal, cutoff: AbortSignal | undefined): CallAbort {
  const controller = new AbortController();
  const onClientGone = () =>
    controller.abort(new RelayError("api_error", "Client disconnected", { status: 499 }));
  const onCutoff = () => controller.abort(cutoffError(cutoff?.reason));
  client.addEventListener("abort", onClientGone, { once: true });
  // The cutoff lives as long as the app: a listener left behind would leak one closure per request.
  cutoff?.addEventListener("abort", onCutoff, { once: true });
  if (cutoff?.aborted) onCutoff();
  return {
    controller,
    release() {
      client.removeEventListener("abort", onClientGone);
      cutoff?.removeEventListener("abort", onCutoff);
    },
  };
}

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as it is aborted, for a backend
 * that would otherwise keep the answer waiting (a later rejection of `promise` is then ignored).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const abort = new AbortController();
 * abort.abort(new Error("gone"));
 * await assert.rejects(untilAborted(new Promise(() => {}), abort.signal), /gone/);
 * ```
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  const { promise: aborted, reject } = Promise.withResolvers<never>();
  const onAbort = () => {
    promise.catch(() => {});
    reject(signal.reason);
  };
  signal.addEventListener("abort", onAbort, { once: true });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener("abort", onAbort));
}
