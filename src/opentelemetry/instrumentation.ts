// `openTelemetry()`: tessera's telemetry on @opentelemetry/api, a span around every store call and counters of events.

import {
  context,
  metrics,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Counter,
  type MeterProvider,
  type Span,
  type TracerProvider,
} from "@opentelemetry/api";
import { isTesseraError, TesseraError } from "../core/errors.js";
import type { SessionEvent } from "../manager/events.js";
import type { StoreCallInfo, Telemetry } from "../manager/telemetry.js";
import { eventCounters, loadedCounter, type EventCounter } from "./counters.js";

/** Options of `openTelemetry`. */
export interface OpenTelemetryOptions {
  /** Where spans go. @default the global tracer provider, the one the OpenTelemetry SDK registers */
  tracerProvider?: TracerProvider;
  /**
   * Where counters go. The meter is taken at the first event, so an SDK started after `openTelemetry()` but before the
   * first request is found. @default the global meter provider
   */
  meterProvider?: MeterProvider;
}

/** The instrumentation scope's name, which spans and metrics carry. */
const scope = "tessera";

/** What a store call answered, by operation: `update` answering nothing lost its compare-and-set, `get` found nothing. */
const outcomes: Readonly<Record<string, (result: unknown) => string>> = {
  get: (result) => (result === undefined ? "miss" : "hit"),
  create: (result) => (result === false ? "taken" : "ok"),
  update: (result) => (result === undefined ? "conflict" : "ok"),
  delete: (result) => (result === false ? "absent" : "ok"),
};

/**
 * Telemetry for `createSessions({ telemetry })` on OpenTelemetry: a client span `tessera.store.<operation>` around
 * every store call (attributes `tessera.store.name`, `tessera.store.operation`, `tessera.store.outcome`, and `error.type`
 * when it fails), a counter for each kind of event (`tessera.sessions.created`, `tessera.sessions.rejected` by
 * `tessera.reason`, `tessera.write_conflicts`, `tessera.store.errors`, ...) and `tessera.sessions.loaded` by
 * `tessera.key_id`, the key that opened each session's cookie: when an old secret's count stays at zero for an
 * `idleTimeout`, no live session needs it and it can leave `secrets`. No span or metric carries a token, a cookie
 * value, a session id, a user id or a secret.
 *
 * @example
 * import { openTelemetry } from "tessera/opentelemetry";
 * const sessions = createSessions({ secrets, store, telemetry: openTelemetry() });
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): Telemetry {
  if (options === null || typeof options !== "object") throw new TesseraError("ERR_INVALID_OPTION", "`openTelemetry` takes an options object, or nothing");
  if (options.tracerProvider !== undefined && typeof options.tracerProvider?.getTracer !== "function") {
    throw new TesseraError("ERR_INVALID_OPTION", "`tracerProvider` must be an OpenTelemetry TracerProvider (with `getTracer`)");
  }
  if (options.meterProvider !== undefined && typeof options.meterProvider?.getMeter !== "function") {
    throw new TesseraError("ERR_INVALID_OPTION", "`meterProvider` must be an OpenTelemetry MeterProvider (with `getMeter`)");
  }
  const tracer = (options.tracerProvider ?? trace.getTracerProvider()).getTracer(scope);
  let counters: Map<string, Counter> | undefined;

  /** The counter named `name`, made once, at the first event, from the meter provider as it is then. */
  const counter = (spec: { name: string; description: string }): Counter => {
    counters ??= new Map();
    let found = counters.get(spec.name);
    if (found === undefined) {
      const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(scope);
      found = meter.createCounter(spec.name, { description: spec.description });
      counters.set(spec.name, found);
    }
    return found;
  };

  const endSpan = (span: Span, outcome: string, attributes?: Attributes): void => {
    span.setAttribute("tessera.store.outcome", outcome);
    if (attributes) span.setAttributes(attributes);
    span.end();
  };

  return {
    event(event) {
      // An event type this version does not know of (none, unless one is added without its line) is not counted.
      const spec = eventCounters[event.type] as EventCounter<SessionEvent> | undefined;
      if (spec === undefined) return;
      counter(spec).add(spec.value?.(event) ?? 1, spec.attributes?.(event));
    },
    storeCall<T>(info: StoreCallInfo, call: () => Promise<T>): Promise<T> {
      const span = tracer.startSpan(`tessera.store.${info.operation}`, {
        kind: SpanKind.CLIENT,
        attributes: { "tessera.store.name": info.store, "tessera.store.operation": info.operation },
      });
      // The span is the active one while the store works, so a driver's own spans (pg, redis) nest under it.
      return context.with(trace.setSpan(context.active(), span), call).then(
        (result) => {
          endSpan(span, outcomes[info.operation]?.(result) ?? "ok");
          return result;
        },
        (error: unknown) => {
          // Only the code: a driver's message may quote what it was sent.
          const type = isTesseraError(error) ? error.code : "unknown";
          span.setStatus({ code: SpanStatusCode.ERROR, message: type });
          endSpan(span, "error", { "error.type": type });
          throw error;
        },
      );
    },
    sessionLoaded({ keyId }) {
      counter(loadedCounter).add(1, { "tessera.key_id": keyId });
    },
  };
}
