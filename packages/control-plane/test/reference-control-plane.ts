// A test control plane that answers as the reference one (opensergo/opensergo-control-plane)
// does, habits included, over a real gRPC stream:
// - one watcher per kind, created by the first subscription to that kind; each CR change
//   pushes the whole (namespace, app) list of its kind, version + 1, status 200, response id "";
// - a subscription gets an initial push (status 1, response id = its request id) only when
//   the watcher's cache holds rules for its (namespace, app), one push per kind in the order
//   subscribed. A new watcher starts empty and fills as the informer lists the CRs (the test
//   says when, with `list`); a (namespace, app) subscribed to an existing watcher stays empty
//   until one of its CRs changes (upstream ignored those CRs when it listed them);
// - streams are filed per (namespace, app, kind) under the client's identifier only if that
//   identifier is not filed yet, and when a stream ends, its identifier is unfiled everywhere,
//   whichever stream was filed under it;
// - versions live in memory: a restarted control plane starts again at 1.
import { TestControlPlane, type Message, type Stream } from './control-plane-server.js';

type AnyValue = { type_url: string; value: Buffer };
export interface Scope {
  readonly namespace?: string;
  readonly app?: string;
}

interface Cr {
  readonly namespace: string;
  readonly app: string;
  readonly name: string;
  readonly data: AnyValue;
}

interface Watcher {
  /** Apps some subscription of this kind named: CRs of other apps are ignored. */
  readonly apps: Set<string>;
  /** (namespace, app) → CRs by name, in the order first seen, and the list's version. */
  readonly cache: Map<string, { readonly crs: Map<string, AnyValue>; version: number }>;
  /** Whether the informer has listed the CRs that existed when the watcher started. */
  listed: boolean;
}

const nsApp = (namespace: string, app: string): string => `${namespace}/${app}`;
/** What grpc-go's SendMsg does on a stream whose client is gone: fail quietly. */
const send = (stream: Stream, response: Message): void => void (stream.destroyed || stream.writableEnded || stream.write(response));
const DEFAULT_SCOPE = { namespace: 'default', app: 'foo-app' };

export class ReferenceControlPlane extends TestControlPlane {
  /** The Kubernetes API: CRs by kind, then by `namespace/name`. */
  private readonly crs = new Map<string, Map<string, Cr>>();
  private readonly watchers = new Map<string, Watcher>();
  /** `namespace/app/kind` → identifier → the stream filed under it. */
  private readonly filed = new Map<string, Map<string, Stream>>();
  /** The identifier each stream gave in its first request that had one. */
  private readonly identifiers = new Map<Stream, string>();

  /** Creates or replaces a CR, as `kubectl apply` would; its watcher, if any, pushes the new list. */
  apply(kind: string, name: string, data: AnyValue, scope: Scope = {}): void {
    const { namespace, app } = { ...DEFAULT_SCOPE, ...scope };
    const crs = this.crs.get(kind) ?? new Map<string, Cr>();
    this.crs.set(kind, crs);
    crs.set(`${namespace}/${name}`, { namespace, app, name, data });
    if (this.watchers.has(kind)) this.reconcile(kind, namespace, name);
  }

  /** Deletes a CR; its watcher, if any, pushes the shorter list. */
  delete(kind: string, name: string, scope: Scope = {}): void {
    const namespace = scope.namespace ?? DEFAULT_SCOPE.namespace;
    this.crs.get(kind)?.delete(`${namespace}/${name}`);
    if (this.watchers.has(kind)) this.reconcile(kind, namespace, name);
  }

  /** The informer of a new watcher lists the CRs: each one of a subscribed app is cached and pushed in turn. */
  list(kind: string): void {
    const watcher = this.watchers.get(kind);
    if (!watcher || watcher.listed) throw new Error(`no new watcher for ${kind}`);
    watcher.listed = true;
    for (const cr of [...(this.crs.get(kind)?.values() ?? [])]) this.reconcile(kind, cr.namespace, cr.name);
  }

  /** As if another replica of the app had subscribed before: watchers exist and their caches are full. */
  warm(kinds: readonly string[], scope: Scope = {}): void {
    const app = scope.app ?? DEFAULT_SCOPE.app; // upstream's watchers know apps, not namespaces
    for (const kind of kinds) {
      this.watch(kind, app);
      if (!this.watchers.get(kind)!.listed) this.list(kind);
    }
  }

  /** The identifiers filed for pushes of (namespace, app, kind). */
  filedIdentifiers(kind: string, scope: Scope = {}): string[] {
    const { namespace, app } = { ...DEFAULT_SCOPE, ...scope };
    return [...(this.filed.get(`${nsApp(namespace, app)}/${kind}`)?.keys() ?? [])];
  }

  protected override onRequest(stream: Stream, request: Message): void {
    if (request['responseAck'] === 'ACK' || request['responseAck'] === 'NACK') return;
    const identifier = String(request['identifier'] ?? '');
    if (!this.identifiers.has(stream) && identifier !== '') this.identifiers.set(stream, identifier);
    const target = (request['target'] ?? {}) as { namespace?: string; app?: string; kinds?: string[] };
    const { namespace = '', app = '', kinds = [] } = target;
    for (const kind of kinds) {
      this.watch(kind, app);
      const key = `${nsApp(namespace, app)}/${kind}`;
      const streams = this.filed.get(key) ?? new Map<string, Stream>();
      this.filed.set(key, streams);
      const filedAs = this.identifiers.get(stream) ?? '';
      if (!streams.has(filedAs)) streams.set(filedAs, stream);
      const list = this.watchers.get(kind)!.cache.get(nsApp(namespace, app));
      if (list && list.crs.size > 0) {
        send(stream, this.response(kind, namespace, app, list, 1, String(request['requestId'] ?? '')));
      }
    }
  }

  protected override onStreamEnd(stream: Stream): void {
    const identifier = this.identifiers.get(stream);
    this.identifiers.delete(stream);
    if (identifier === undefined) return;
    for (const streams of this.filed.values()) streams.delete(identifier);
  }

  /** Registers a subscription with the kind's watcher, creating it (empty, not listed yet) if needed. Upstream checks the app only. */
  private watch(kind: string, app: string): void {
    const watcher = this.watchers.get(kind) ?? { apps: new Set<string>(), cache: new Map(), listed: false };
    this.watchers.set(kind, watcher);
    watcher.apps.add(app);
  }

  /** One CR changed: cache it (or drop it) and push its (namespace, app)'s list to the streams filed for it. */
  private reconcile(kind: string, namespace: string, name: string): void {
    const watcher = this.watchers.get(kind)!;
    const cr = this.crs.get(kind)?.get(`${namespace}/${name}`);
    let app: string;
    if (cr && watcher.apps.has(cr.app)) {
      app = cr.app;
      const list = watcher.cache.get(nsApp(namespace, app));
      if (list) {
        list.crs.set(name, cr.data);
        list.version++;
      } else watcher.cache.set(nsApp(namespace, app), { crs: new Map([[name, cr.data]]), version: 1 });
    } else {
      const holder = [...watcher.cache].find(([key, list]) => key.startsWith(`${namespace}/`) && list.crs.has(name));
      if (!holder) return; // a CR of an app nobody subscribed
      app = holder[0].slice(namespace.length + 1);
      holder[1].crs.delete(name);
      holder[1].version++;
    }
    const list = watcher.cache.get(nsApp(namespace, app))!;
    for (const stream of this.filed.get(`${nsApp(namespace, app)}/${kind}`)?.values() ?? []) {
      send(stream, this.response(kind, namespace, app, list, 200, ''));
    }
  }

  private response(kind: string, namespace: string, app: string, list: { crs: Map<string, AnyValue>; version: number }, code: number, responseId: string): Message {
    return {
      status: { code, message: 'Get and send rule success' },
      namespace,
      app,
      kind,
      dataWithVersion: { data: [...list.crs.values()], version: list.version },
      controlPlane: { identifier: 'osg-reference-test' },
      responseId,
    };
  }
}
