import type { IncomingMessage } from 'node:http';
import { sendJson, startLoopbackServer } from './fakes/loopbackServer.ts';

/**
 * An OTLP/HTTP trace collector on 127.0.0.1, as far as tests need one: it accepts
 * `POST /v1/traces` in both OTLP/HTTP encodings (`application/json` and
 * `application/x-protobuf`), decodes every span, and answers as a collector does.
 */

export interface CollectedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, unknown>;
  /** The resource's attributes (service.name, ...). */
  resource: Record<string, unknown>;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
}

export interface OtlpCollector {
  /** What OTEL_EXPORTER_OTLP_ENDPOINT is set to: the origin, without the signal's path. */
  endpoint: string;
  spans: CollectedSpan[];
  /** The content type of every export request received, in order. */
  contentTypes: string[];
  close(): Promise<void>;
}

export async function startOtlpCollector(): Promise<OtlpCollector> {
  const spans: CollectedSpan[] = [];
  const contentTypes: string[] = [];
  const server = await startLoopbackServer(async (request, response) => {
    if (request.method !== 'POST' || request.url !== '/v1/traces') {
      sendJson(response, 404, { error: 'not found' });
      return;
    }
    const contentType = request.headers['content-type'] ?? '';
    contentTypes.push(contentType);
    const body = await readBytes(request);
    if (contentType.startsWith('application/json')) {
      spans.push(...fromJson(JSON.parse(body.toString('utf8'))));
      sendJson(response, 200, {});
    } else if (contentType.startsWith('application/x-protobuf')) {
      spans.push(...fromProtobuf(body));
      // An empty ExportTraceServiceResponse.
      response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    } else {
      sendJson(response, 415, { error: `unsupported content type ${contentType}` });
    }
  });
  return { endpoint: server.origin, spans, contentTypes, close: () => server.close() };
}

async function readBytes(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// --- OTLP/JSON (ids are hex strings, enums numbers, 64-bit integers strings) ---

interface JsonKeyValue {
  key: string;
  value: Record<string, unknown>;
}

interface JsonTraces {
  resourceSpans?: Array<{
    resource?: { attributes?: JsonKeyValue[] };
    scopeSpans?: Array<{
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind?: number;
        attributes?: JsonKeyValue[];
        status?: { code?: number };
      }>;
    }>;
  }>;
}

function fromJson(body: JsonTraces): CollectedSpan[] {
  const attributes = (list: JsonKeyValue[] = []) =>
    Object.fromEntries(list.map(({ key, value }) => [key, jsonValue(value)]));
  return (body.resourceSpans ?? []).flatMap((resourceSpans) =>
    (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map((span) => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind ?? 0,
        attributes: attributes(span.attributes),
        resource: attributes(resourceSpans.resource?.attributes),
        statusCode: span.status?.code ?? 0,
      })),
    ),
  );
}

function jsonValue(value: Record<string, unknown>): unknown {
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('arrayValue' in value) {
    const array = value.arrayValue as { values?: Record<string, unknown>[] };
    return (array.values ?? []).map(jsonValue);
  }
  return value;
}

// --- OTLP/protobuf: the wire format, read by the field numbers of opentelemetry-proto's
// collector/trace/v1 and trace/v1 messages (ExportTraceServiceRequest, ResourceSpans,
// ScopeSpans, Span, KeyValue, AnyValue). ---

type Field = { number: number; wireType: number; varint: bigint; bytes: Buffer };

/** The fields of one message, in order; length-delimited ones keep their bytes. */
function fields(message: Buffer): Field[] {
  const result: Field[] = [];
  let offset = 0;
  const varint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = message[offset++];
      if (byte === undefined) throw new Error('truncated protobuf varint');
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
  };
  while (offset < message.length) {
    const tag = Number(varint());
    const field: Field = {
      number: tag >>> 3,
      wireType: tag & 7,
      varint: 0n,
      bytes: Buffer.alloc(0),
    };
    if (field.wireType === 0) field.varint = varint();
    else if (field.wireType === 1 || field.wireType === 5) {
      const size = field.wireType === 1 ? 8 : 4;
      field.bytes = message.subarray(offset, offset + size);
      offset += size;
    } else if (field.wireType === 2) {
      const length = Number(varint());
      field.bytes = message.subarray(offset, offset + length);
      offset += length;
    } else throw new Error(`unexpected protobuf wire type ${field.wireType}`);
    result.push(field);
  }
  return result;
}

const each = (message: Buffer, number: number) =>
  fields(message).filter((field) => field.number === number);

function fromProtobuf(request: Buffer): CollectedSpan[] {
  return each(request, 1).flatMap(({ bytes: resourceSpans }) => {
    const resource = each(resourceSpans, 1)[0]?.bytes;
    const resourceAttributes = resource ? protobufAttributes(resource, 1) : {};
    return each(resourceSpans, 2).flatMap(({ bytes: scopeSpans }) =>
      each(scopeSpans, 2).map(({ bytes: span }) => {
        const spanFields = fields(span);
        const bytesOf = (n: number) => spanFields.find((f) => f.number === n)?.bytes;
        const status = bytesOf(15);
        return {
          traceId: bytesOf(1)?.toString('hex') ?? '',
          spanId: bytesOf(2)?.toString('hex') ?? '',
          parentSpanId: bytesOf(4)?.toString('hex') ?? '',
          name: bytesOf(5)?.toString('utf8') ?? '',
          kind: Number(spanFields.find((f) => f.number === 6)?.varint ?? 0n),
          attributes: protobufAttributes(span, 9),
          resource: resourceAttributes,
          statusCode: status ? Number(each(status, 3)[0]?.varint ?? 0n) : 0,
        };
      }),
    );
  });
}

/** The KeyValue list in field `number` of a message. */
function protobufAttributes(message: Buffer, number: number): Record<string, unknown> {
  return Object.fromEntries(
    each(message, number).map(({ bytes: keyValue }) => {
      const key = each(keyValue, 1)[0]?.bytes.toString('utf8') ?? '';
      const value = each(keyValue, 2)[0]?.bytes;
      return [key, value ? anyValue(value) : undefined];
    }),
  );
}

function anyValue(message: Buffer): unknown {
  const [field] = fields(message);
  if (!field) return undefined;
  switch (field.number) {
    case 1:
      return field.bytes.toString('utf8');
    case 2:
      return field.varint !== 0n;
    case 3:
      return Number(BigInt.asIntN(64, field.varint));
    case 4:
      return field.bytes.readDoubleLE(0);
    case 5:
      return each(field.bytes, 1).map(({ bytes }) => anyValue(bytes));
    default:
      return field.bytes;
  }
}
