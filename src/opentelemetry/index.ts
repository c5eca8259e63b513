// tessera/opentelemetry: spans and counters on @opentelemetry/api, for createSessions' `telemetry` option.

export { openTelemetry } from "./instrumentation.js";
export type { OpenTelemetryOptions } from "./instrumentation.js";
export type { Telemetry, StoreCallInfo, SessionLoad } from "../manager/telemetry.js";
