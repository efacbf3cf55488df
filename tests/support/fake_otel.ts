/**
 * A fake OpenTelemetry tracer and meter that keep what they are given: spans with their options, status
 * and end time, and every measurement by instrument name.
 *
 * @example
 * ```ts
 * const otel = fakeOtel();
 * const record = createTelemetry({ priceOf: () => undefined, tracer: otel.tracer, meter: otel.meter });
 * ```
 *
 * @module
 */
import type {
  Attributes,
  Counter,
  Histogram,
  Link,
  Meter,
  Span,
  SpanAttributes,
  SpanAttributeValue,
  SpanContext,
  SpanOptions,
  SpanStatus,
  TimeInput,
  Tracer,
} from "@opentelemetry/api";

/** A span the fake tracer started. */
export interface FakeSpan {
  name: string;
  options: SpanOptions;
  status?: SpanStatus;
  end?: TimeInput;
}

/** One measurement: a counter's `add` or a histogram's `record`. */
export interface FakeMeasurement {
  instrument: string;
  unit?: string;
  value: number;
  attributes: Attributes;
}

/** What {@linkcode fakeOtel} returns. */
export interface FakeOtel {
  tracer: Pick<Tracer, "startSpan">;
  meter: Pick<Meter, "createCounter" | "createHistogram">;
  spans: FakeSpan[];
  measurements: FakeMeasurement[];
}

class _Span implements Span {
  constructor(readonly kept: FakeSpan) {}
  spanContext(): SpanContext {
    return { traceId: "0".repeat(32), spanId: "0".repeat(16), traceFlags: 1 };
  }
  setAttribute(_key: string, _value: SpanAttributeValue): this {
    throw new Error("relayx sets attributes when it starts a span");
  }
  setAttributes(_attributes: SpanAttributes): this {
    throw new Error("relayx sets attributes when it starts a span");
  }
  addEvent(): this {
    return this;
  }
  addLink(_link: Link): this {
    return this;
  }
  addLinks(_links: Link[]): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.kept.status = status;
    return this;
  }
  updateName(name: string): this {
    this.kept.name = name;
    return this;
  }
  end(endTime?: TimeInput): void {
    this.kept.end = endTime;
  }
  isRecording(): boolean {
    return true;
  }
  recordException(): void {}
}

/** A fake tracer and meter over fresh lists. */
export function fakeOtel(): FakeOtel {
  const spans: FakeSpan[] = [];
  const measurements: FakeMeasurement[] = [];
  const keep = (instrument: string, unit: string | undefined) => (value: number, attributes?: Attributes) => {
    measurements.push({ instrument, unit, value, attributes: { ...attributes } });
  };
  return {
    spans,
    measurements,
    tracer: {
      startSpan(name: string, options: SpanOptions = {}): Span {
        const kept: FakeSpan = { name, options };
        spans.push(kept);
        return new _Span(kept);
      },
    },
    meter: {
      createCounter: (name, options): Counter => ({ add: keep(name, options?.unit) }),
      createHistogram: (name, options): Histogram => ({ record: keep(name, options?.unit) }),
    },
  };
}
