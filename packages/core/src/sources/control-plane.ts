import type { Engine } from '../engine.js';
import { env, type ControlPlaneOptions, type OpenSergoOptions } from '../options.js';
import type { RuleSource } from '../rules/source.js';

/** The part of `@opensergo/control-plane` the engine uses (an optional peer dependency). */
interface ControlPlaneModule {
  createControlPlaneSource(options: {
    endpoint: string;
    namespace: string;
    app: string;
    logger?: { info(m: string): void; warn(m: string): void; error(m: string): void };
    keepalive?: ControlPlaneOptions['keepalive'];
  }): RuleSource;
  resolveBootstrap(environment?: NodeJS.ProcessEnv): { endpoint: string } | undefined;
}

// A variable specifier keeps core free of a build-time dependency on the package.
const MODULE = '@opensergo/control-plane';

/**
 * Connects the engine to the control plane when options or the bootstrap variables ask for
 * it. Asynchronous by nature: the service starts and serves (with its file's rules, if any)
 * whether or not the control plane is reachable, and picks up its rules when it appears.
 * Returns whether it will connect (rules may arrive later).
 */
export function attachControlPlane(engine: Engine, options: OpenSergoOptions): boolean {
  if (options.controlPlane === false) return false;
  const explicit: ControlPlaneOptions | undefined = options.controlPlane;
  const wantsBootstrap = env('OPENSERGO_BOOTSTRAP_CONFIG') !== undefined || env('OPENSERGO_BOOTSTRAP') !== undefined;
  if (!explicit && !wantsBootstrap) return false;
  const report = (message: string): void => engine.logger.error(`control plane: ${message}`);
  (import(MODULE) as Promise<ControlPlaneModule>).then(
    (module) => {
      let endpoint = explicit?.endpoint;
      if (!endpoint) {
        try {
          endpoint = module.resolveBootstrap(process.env)?.endpoint;
        } catch (error) {
          report((error as Error).message);
          return;
        }
      }
      const app = explicit?.app ?? options.app ?? env('OPENSERGO_APP');
      if (!endpoint || !app) {
        report('needs an endpoint and an app (option `app` or OPENSERGO_APP); not connecting');
        return;
      }
      const namespace = explicit?.namespace ?? options.namespace ?? env('OPENSERGO_NAMESPACE') ?? 'default';
      try {
        const keepalive = explicit?.keepalive;
        engine.addSource(module.createControlPlaneSource({ endpoint, namespace, app, logger: engine.logger, ...(keepalive === undefined ? {} : { keepalive }) }));
      } catch (error) {
        report((error as Error).message);
      }
    },
    (error: unknown) => report(`install ${MODULE} to use the control plane (${(error as Error).message})`),
  );
  return true;
}
