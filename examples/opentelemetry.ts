import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { createSessions } from "tessera";
import { openTelemetry } from "tessera/opentelemetry";
import { memoryStore } from "tessera/stores/memory";

// A visit counter whose sessions report to OpenTelemetry. The SDK here records in memory; an app's SDK exports to
// its collector (OTLP), and once registered globally (NodeSDK does it) `openTelemetry()` needs no options.
export function observedApp(secrets: string[]) {
  const spans = new InMemorySpanExporter();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const meterProvider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 })],
  });

  const sessions = createSessions<{ views?: number }>({
    secrets, // the first signs; an older one still opens sessions until tessera.sessions.loaded stops counting its key_id
    store: memoryStore(),
    telemetry: openTelemetry({ tracerProvider, meterProvider }),
  });

  return {
    async fetch(request: Request): Promise<Response> {
      const session = await sessions.load(request); // span tessera.store.get
      session.update("views", (views) => (views ?? 0) + 1);
      return sessions.commit(session, new Response(`visit ${session.get("views")}`)); // tessera.store.create or .update
    },
    spans: () => spans.getFinishedSpans(),
    async metrics() {
      await meterProvider.forceFlush();
      return metricExporter.getMetrics();
    },
    close: () => Promise.all([sessions.close(), tracerProvider.shutdown(), meterProvider.shutdown()]),
  };
}
