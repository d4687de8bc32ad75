import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/**
 * The package's own `.proto` files, loaded once with protobufjs. `../proto/` is the same
 * folder whether this file runs from `src/` (tests) or `dist/` (the built package).
 */
const PROTO_DIR = fileURLToPath(new URL('../proto/', import.meta.url));

const TRANSPORT = 'io.opensergo.proto.transport.v1';
const FAULT_TOLERANCE = 'io.opensergo.proto.fault_tolerance.v1';

/** gRPC path of the one method this client calls. */
export const SUBSCRIBE_CONFIG_PATH = `/${TRANSPORT}.OpenSergoUniversalTransportService/SubscribeConfig`;

/** Conversion used for every decoded message: int64 as decimal strings, enums by name. */
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true };

let root: protobuf.Root | undefined;

function loadRoot(): protobuf.Root {
  if (root) return root;
  const loaded = new protobuf.Root();
  // google/protobuf/*.proto are bundled with protobufjs; everything else is ours.
  loaded.resolvePath = (_origin, target) =>
    target.startsWith('google/protobuf/') || isAbsolute(target) ? target : join(PROTO_DIR, target);
  loaded.loadSync([
    'transport/v1/transport.proto',
    'fault_tolerance/v1/fault_tolerance.proto',
    'envoy/config/route/v3/route.proto',
    'router/v1/route_fallback.proto',
  ]);
  loaded.resolveAll();
  root = loaded;
  return loaded;
}

/** A protobuf message type of our `.proto` files, by its full name. */
export function messageType(fullName: string): protobuf.Type {
  return loadRoot().lookupType(fullName);
}

/** Encodes a plain object (camelCase field names, enums by name or number) as `fullName`. */
export function encodeMessage(fullName: string, value: Record<string, unknown>): Buffer {
  const type = messageType(fullName);
  return Buffer.from(type.encode(type.fromObject(value)).finish());
}

/** Decodes `bytes` as `fullName` into a plain object; throws on malformed bytes. */
export function decodeMessage(fullName: string, bytes: Uint8Array): Record<string, unknown> {
  const type = messageType(fullName);
  return type.toObject(type.decode(bytes), TO_OBJECT);
}

/** Full name of a transport message, e.g. `transportType('SubscribeRequest')`. */
export function transportType(name: string): string {
  return `${TRANSPORT}.${name}`;
}

/** Full name of a fault-tolerance message, e.g. `faultToleranceType('RateLimitStrategy')`. */
export function faultToleranceType(name: string): string {
  return `${FAULT_TOLERANCE}.${name}`;
}

/** The `type_url` a `google.protobuf.Any` carries for a message of ours. */
export function typeUrl(fullName: string): string {
  return `type.googleapis.com/${fullName}`;
}

/** Wraps an encoded message in the shape `encodeMessage` accepts for a `google.protobuf.Any`. */
export function packAny(fullName: string, value: Record<string, unknown>): { type_url: string; value: Buffer } {
  return { type_url: typeUrl(fullName), value: encodeMessage(fullName, value) };
}
