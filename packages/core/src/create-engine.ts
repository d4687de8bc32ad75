import { existsSync } from 'node:fs';
import { Engine } from './engine.js';
import { checkOptions } from './check-options.js';
import { rulesInvalid } from './errors.js';
import { consoleLogger, silentLogger } from './logger.js';
import { env, type OpenSergoOptions } from './options.js';
import { keepRequestContext } from './context/current-context.js';
import { compileRules, documentsFromValues, readRulesFile, tryCompileRules } from './rules/load.js';
import { ChunkCache } from './rules/parse-fast.js';
import { parseRulesSteps } from './rules/parse-yaml.js';
import { runSync } from './rules/steps.js';
import type { LocatedDocument } from './rules/source.js';
import { attachControlPlane } from './sources/control-plane.js';
import { attachOpenTelemetry } from './metrics/opentelemetry.js';
import { watchRulesFile } from './sources/file-source.js';
import type { RuleSet, Scope } from './rules/types.js';

const DEFAULT_RULES_FILE = 'opensergo.yaml';

/** Parses YAML and compiles it, reporting syntax and rule problems together. */
export function compileText(text: string, file: string, scope: Scope, cache?: ChunkCache): { documents: LocatedDocument[]; ruleSet: RuleSet } {
  const { documents, problems } = runSync(parseRulesSteps(text, file, cache));
  const result = tryCompileRules(documents, scope, problems);
  if (!result.ok) throw rulesInvalid(result.problems);
  return { documents, ruleSet: result.ruleSet };
}

/** Where the rules come from when the options do not say (README.md, Options). */
export function defaultRulesFile(options: OpenSergoOptions): string | undefined {
  if (options.rulesFile !== undefined) return options.rulesFile;
  const fromEnv = env('OPENSERGO_RULES_FILE');
  if (fromEnv !== undefined) return fromEnv;
  return existsSync(DEFAULT_RULES_FILE) ? DEFAULT_RULES_FILE : undefined;
}

/**
 * Creates the governance engine: loads and validates the rules (throwing
 * `ERR_OPENSERGO_RULES_INVALID` with every problem when they are wrong, so a service never
 * starts half-configured), then decides requests with `engine.enter`.
 *
 * Rules come from `rules` (inline YAML or documents), else `rulesFile`, else the
 * `OPENSERGO_RULES_FILE` variable, else `./opensergo.yaml` when it exists, else none.
 *
 * @example
 * ```ts
 * import { createEngine } from '@opensergo/core';
 * const engine = createEngine({ rulesFile: './opensergo.yaml', app: 'my-app' });
 * ```
 */
export function createEngine(options: OpenSergoOptions = {}): Engine {
  checkOptions(options);
  if (options.requestContext === true) keepRequestContext();
  if (options.engine) return options.engine;
  const logger = options.logger === false ? silentLogger : (options.logger ?? consoleLogger);
  const scope: Scope = {
    app: options.app ?? env('OPENSERGO_APP'),
    namespace: options.namespace ?? env('OPENSERGO_NAMESPACE'),
  };
  let source: string;
  // What start-up parsed of the rules file, so that the watcher's first reload can reuse it.
  const cache = new ChunkCache();
  let loaded: { documents: readonly LocatedDocument[]; ruleSet: RuleSet; text?: string };
  if (options.rules !== undefined) {
    source = 'inline';
    if (typeof options.rules === 'string') loaded = compileText(options.rules, 'inline', scope);
    else {
      const documents = documentsFromValues(options.rules, 'inline');
      loaded = { documents, ruleSet: compileRules(documents, scope) };
    }
  } else {
    const file = defaultRulesFile(options);
    if (file === undefined) {
      source = 'none';
      logger.info(`no rules: no rulesFile option, no OPENSERGO_RULES_FILE, no ./${DEFAULT_RULES_FILE}; every request passes`);
      loaded = { documents: [], ruleSet: compileRules([], scope) };
    } else {
      source = `file:${file}`;
      const text = readRulesFile(file);
      loaded = { ...compileText(text, file, scope, cache), text };
    }
  }
  const rules = loaded.ruleSet.faultToleranceRules.length + loaded.ruleSet.trafficLabelRules.length;
  if (rules > 0 && scope.app === undefined) {
    logger.info('no app set (option `app` or OPENSERGO_APP): rules of every app apply to this process');
  }
  const engine = new Engine({ ...options, logger }, scope, { source, ...loaded });
  if (source.startsWith('file:') && options.watch !== false) {
    const file = source.slice('file:'.length);
    engine.addSource(watchRulesFile(file, { initialText: loaded.text }, cache));
  }
  for (const extra of options.sources ?? []) engine.addSource(extra);
  const live = attachControlPlane(engine, options) || (options.sources?.length ?? 0) > 0;
  // Say it when nothing is governed. No rules at all was said above; empty inline rules are
  // given on purpose, and an empty file may be what live sources will add to.
  if (loaded.documents.length > 0 || (source.startsWith('file:') && !live)) engine.applied(loaded.ruleSet, loaded.documents);
  attachOpenTelemetry(engine, options.openTelemetry);
  return engine;
}
