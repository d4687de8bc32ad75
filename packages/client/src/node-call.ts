import type { ClientRequest } from 'node:http';
import { OpenSergoError, type RequestContext } from '@opensergo/core';
import { CallState, headerText, type OutgoingCall } from './call.js';

/** A node:http `ClientRequest` (axios, got, `http.request`) as an {@link OutgoingCall}. */
export class NodeCall extends CallState implements OutgoingCall {
  readonly method: string;
  readonly protocol: string;
  readonly host: string;
  readonly hostname: string;
  readonly path: string;

  constructor(
    private readonly request: ClientRequest,
    options: { readonly host?: string | null; readonly hostname?: string | null; readonly port?: number | string | null },
    readonly context: RequestContext | undefined,
  ) {
    super();
    this.method = request.method;
    this.protocol = request.protocol;
    this.hostname = (options.hostname ?? options.host ?? request.host).replace(/^\[|\]$/g, '');
    const port = options.port === undefined || options.port === null || options.port === '' ? undefined : String(options.port);
    const named = this.hostname.includes(':') ? `[${this.hostname}]` : this.hostname;
    this.host = port === undefined || port === '80' ? named : `${named}:${port}`;
    this.path = request.path;
  }

  header(name: string): string | undefined {
    return headerText(this.request.getHeader(name));
  }

  setHeader(name: string, value: string | undefined): void {
    if ((this.request as { _header?: unknown })._header) {
      throw new OpenSergoError(
        'ERR_OPENSERGO_OPTIONS_INVALID',
        `cannot set ${name} on a node:http request whose headers were already written (headers given as an array); give them as an object`,
      );
    }
    if (value === undefined) this.request.removeHeader(name);
    else this.request.setHeader(name, value);
  }
}
