import type { Plugin } from '@envelop/core';
import { GenericAuthPluginOptions, useGenericAuth } from '@envelop/generic-auth';
import { DocumentNode, ExecutionArgs, ExecutionResult, Kind, visit, BREAK } from 'graphql';
import { recordCacheLookup } from '../common/metrics';

type ExecutePayload = Parameters<NonNullable<Plugin['onExecute']>>[0];
type ExecuteHooks = ReturnType<NonNullable<Plugin['onExecute']>>;

/** What generic-auth decided for one (operation, caller's scopes): replayed for the next identical request. */
interface Verdict {
  /** The operation as it executes: unauthorized fields removed in filter mode. */
  document: DocumentNode;
  /** Reject mode: the answer that stopped execution. */
  stopped?: ExecutionResult;
  /** Filter mode: merges the authorization errors (and nulls) into the result. */
  hooks: ExecuteHooks;
}

export interface MemoisedAuthOptions {
  /** The caller's identity as far as authorization goes: null when anonymous, otherwise its scopes. */
  scopesOf(user: unknown): readonly string[] | null;
  /** Distinct scope sets remembered per operation document (oldest dropped first). */
  maxVerdictsPerDocument?: number;
  /** Context field generic-auth stores the user in (its default: currentUser). */
  contextFieldName?: string;
}

/**
 * generic-auth's protect-granular mode enforces @authenticated / @requiresScopes
 * with a second validation pass over the operation on every request (a TypeInfo
 * walk with directive look-ups on every field). Its outcome depends only on the
 * parsed operation, the operation name and who asks — anonymous, or which
 * scopes (generic-auth's default check reads nothing else of the user) — so a
 * client repeating its operations gets the same verdict every time. This wraps
 * generic-auth unchanged and memoises that verdict per parsed document (a
 * WeakMap: documents leave with the gateway's parse cache), per operation name
 * and scope set.
 *
 * Not memoised: documents whose @skip / @include read variables (the walk
 * depends on variable values), and plugins other than generic-auth's own
 * extended validation.
 */
export function useMemoisedGenericAuth(options: GenericAuthPluginOptions<any, any, any>, memo: MemoisedAuthOptions): Plugin {
  const inner = useGenericAuth(options) as Plugin;
  const field = memo.contextFieldName ?? 'currentUser';
  const max = memo.maxVerdictsPerDocument ?? 32;
  return {
    ...inner,
    onPluginInit(init) {
      inner.onPluginInit?.({
        ...init,
        addPlugin: (plugin: Plugin) => init.addPlugin(plugin.onExecute ? memoiseExecute(plugin, field, max, memo.scopesOf) : plugin),
      });
    },
  };
}

function memoiseExecute(plugin: Plugin, field: string, max: number, scopesOf: MemoisedAuthOptions['scopesOf']): Plugin {
  const authorize = plugin.onExecute!;
  const verdicts = new WeakMap<DocumentNode, Map<string, Verdict>>();
  return {
    ...plugin,
    onExecute(payload: ExecutePayload) {
      const args = payload.args as ExecutionArgs;
      const document = args.document;
      const state = validationState(args.contextValue);
      // Only generic-auth's own walk, about to run for the first time in this request, is memoised.
      if (!state || state.didRun || !state.rules.every(isGenericAuthRule) || dependsOnVariables(document)) return authorize(payload);
      const scopes = scopesOf((args.contextValue as Record<string, unknown> | undefined)?.[field] ?? null);
      const key = `${args.operationName ?? ''}\u0000${scopes === null ? '\u0000anonymous' : [...scopes].sort().join(' ')}`;
      let byKey = verdicts.get(document);
      const known = byKey?.get(key);
      recordCacheLookup('gateway_verdict', known !== undefined);
      if (known) {
        state.didRun = true;
        args.document = known.document;
        if (known.stopped) payload.setResultAndStopExecution({ ...known.stopped, errors: known.stopped.errors && [...known.stopped.errors] });
        return known.hooks;
      }
      let stopped: ExecutionResult | undefined;
      const hooks = authorize({
        ...payload,
        setResultAndStopExecution(result: ExecutionResult) {
          stopped = result;
          payload.setResultAndStopExecution(result);
        },
      } as ExecutePayload);
      if (!byKey) verdicts.set(document, (byKey = new Map()));
      if (byKey.size >= max) byKey.delete(byKey.keys().next().value as string);
      byKey.set(key, { document: args.document, stopped, hooks });
      return hooks;
    },
  };
}

/**
 * @envelop/extended-validation keeps, per request context under a private symbol, the rules every
 * useExtendedValidation plugin registered and whether they already ran. Without it (another
 * version), nothing is memoised: the package is pinned exactly in package.json, and
 * test/unit/pinned-internals.test.ts fails if this look-up stops finding the state.
 */
export function validationState(context: unknown): { didRun: boolean; rules: Array<(...a: unknown[]) => unknown> } | undefined {
  if (!context || typeof context !== 'object') return undefined;
  const symbol = Object.getOwnPropertySymbols(context).find((s) => s.description === 'extendedValidationContext');
  const state = symbol ? (context as Record<symbol, unknown>)[symbol] : undefined;
  if (!state || typeof state !== 'object' || !Array.isArray((state as { rules?: unknown }).rules)) return undefined;
  return state as { didRun: boolean; rules: Array<(...a: unknown[]) => unknown> };
}

export const isGenericAuthRule = (rule: (...a: unknown[]) => unknown) => rule.name === 'AuthorizationExtendedValidationRule';

const variableDependent = new WeakMap<DocumentNode, boolean>();

/** Does any @skip / @include take a variable? Then what is authorized changes with the variables. */
export function dependsOnVariables(document: DocumentNode): boolean {
  let known = variableDependent.get(document);
  if (known !== undefined) return known;
  known = false;
  visit(document, {
    Directive(node) {
      if ((node.name.value === 'skip' || node.name.value === 'include') && node.arguments?.some((a) => a.value.kind === Kind.VARIABLE)) {
        known = true;
        return BREAK;
      }
      return undefined;
    },
  });
  variableDependent.set(document, known);
  return known;
}
