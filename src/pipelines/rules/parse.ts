import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { VITAL_NAMES, type VitalName } from '../../domain/reading.js';
import { PROFILES, profileNames } from './profiles.js';
import type { Aggregation, Comparison, Rule, RuleSet, Severity } from './types.js';

const COMPARISONS: readonly Comparison[] = ['>', '>=', '<', '<='];
const AGGREGATIONS: readonly Aggregation[] = ['avg', 'min', 'max', 'count'];
const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high'];
const RULE_ID_PATTERN = /^[a-z0-9_]{1,64}$/;
const MAX_WINDOW_S = 3600;

const RECORD_FIELDS = ['kind', 'id', 'vital', 'op', 'value', 'severity'];
const WINDOW_FIELDS = [...RECORD_FIELDS, 'agg', 'window_s'];
const TOP_LEVEL_FIELDS = ['rules', 'description'];

function oneOf<T extends string>(
  o: Record<string, unknown>,
  field: string,
  allowed: readonly T[],
  fail: (msg: string) => never,
): T {
  const v = o[field];
  if (v === undefined) fail(`missing field "${field}" (one of ${allowed.join(', ')})`);
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    fail(`field "${field}" must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

function parseRule(raw: unknown, index: number, prefix: string): Rule {
  const idPart =
    typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'string'
      ? ` (${(raw as { id: string }).id})`
      : '';
  const fail: (msg: string) => never = (msg) => {
    throw new Error(`${prefix}rule ${index}${idPart}: ${msg}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail(`must be a JSON object, got ${JSON.stringify(raw)}`);
  }
  const o = raw as Record<string, unknown>;

  let kind: 'record' | 'window';
  if (o.kind !== undefined) {
    kind = oneOf(o, 'kind', ['record', 'window'] as const, fail);
  } else {
    kind = o.agg !== undefined || o.window_s !== undefined ? 'window' : 'record';
  }
  const allowed = kind === 'window' ? WINDOW_FIELDS : RECORD_FIELDS;
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) {
      fail(`unknown field "${key}" for a ${kind} rule (allowed: ${allowed.join(', ')})`);
    }
  }

  const id = o.id;
  if (id === undefined) fail('missing field "id"');
  if (typeof id !== 'string' || !RULE_ID_PATTERN.test(id)) {
    fail(`field "id" must match ${RULE_ID_PATTERN.source}, got ${JSON.stringify(id)}`);
  }
  const vital = oneOf<VitalName>(o, 'vital', VITAL_NAMES, fail);
  const op = oneOf(o, 'op', COMPARISONS, fail);
  const value = o.value;
  if (value === undefined) fail('missing field "value"');
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    fail(`field "value" must be a finite number, got ${JSON.stringify(value)}`);
  }
  const severity = oneOf(o, 'severity', SEVERITIES, fail);
  if (kind === 'record') {
    return { kind, id: id, vital, op, value: value, severity };
  }
  const agg = oneOf(o, 'agg', AGGREGATIONS, fail);
  const windowS = o.window_s;
  if (windowS === undefined) fail('missing field "window_s" (window rules need agg and window_s)');
  if (typeof windowS !== 'number' || !Number.isInteger(windowS) || windowS <= 0 || windowS > MAX_WINDOW_S) {
    fail(
      `field "window_s" must be a positive integer number of seconds <= ${MAX_WINDOW_S}, got ${JSON.stringify(windowS)}`,
    );
  }
  return { kind, id: id, vital, agg, window_s: windowS, op, value: value, severity };
}

/**
 * Validate a rule set given as parsed JSON: `{"rules": [...], "description"?: string}` or a
 * bare array of rules. Throws an Error naming the rule (0-based index, and id if any) and
 * the field for the first problem found. Unknown fields are refused.
 */
export function parseRuleSet(json: unknown, name: string): RuleSet {
  const prefix = `rule set "${name}": `;
  let list: unknown;
  if (Array.isArray(json)) {
    list = json;
  } else if (typeof json === 'object' && json !== null) {
    const o = json as Record<string, unknown>;
    for (const key of Object.keys(o)) {
      if (!TOP_LEVEL_FIELDS.includes(key)) {
        throw new Error(`${prefix}unknown top-level field "${key}" (allowed: ${TOP_LEVEL_FIELDS.join(', ')})`);
      }
    }
    if (o.description !== undefined && typeof o.description !== 'string') {
      throw new Error(`${prefix}top-level field "description" must be a string`);
    }
    list = o.rules;
    if (list === undefined) throw new Error(`${prefix}missing top-level field "rules"`);
  } else {
    throw new Error(`${prefix}must be a JSON object {"rules": [...]} or an array of rules`);
  }
  if (!Array.isArray(list)) throw new Error(`${prefix}field "rules" must be an array`);
  if (list.length === 0) throw new Error(`${prefix}field "rules" is empty: a rule set needs at least one rule`);

  const rules: Rule[] = [];
  const seen = new Map<string, number>();
  list.forEach((raw, index) => {
    const rule = parseRule(raw, index, prefix);
    const first = seen.get(rule.id);
    if (first !== undefined) {
      throw new Error(`${prefix}rule ${index} (${rule.id}): field "id" duplicates rule ${first}`);
    }
    seen.set(rule.id, index);
    rules.push(rule);
  });
  return { name, rules };
}

/**
 * `spec` is a built-in profile name (see PROFILES) or the path of a JSON rule file.
 * A profile name wins over a file of the same name.
 */
export async function loadRuleSet(spec: string): Promise<RuleSet> {
  const profile = PROFILES[spec];
  if (profile !== undefined) {
    return { name: profile.name, rules: profile.rules.map((r) => ({ ...r })) };
  }
  const path = resolve(spec);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(
        `rule set "${spec}": not a built-in profile (${profileNames().join(', ')}) and no such file: ${path}`,
      );
    }
    throw new Error(`rule set "${spec}": cannot read ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`rule set "${spec}": invalid JSON in ${path}: ${(err as Error).message}`);
  }
  return parseRuleSet(json, spec);
}
