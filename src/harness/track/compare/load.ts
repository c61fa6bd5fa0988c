/**
 * Loading one side of a comparison: every run found at a path, which may be a run folder
 * (with results.json), a folder of runs (a sweep or --repeat folder with sweep.json, or any
 * folder whose subfolders hold results.json), or a results.json (or sweep.json) file.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RunResult, SweepResult } from '../../../results/schema.js';

/** A path that holds no run, or a file that is not a run's results: the CLI exits 2 with the message. */
export class CompareInputError extends Error {
  override name = 'CompareInputError';
}

export interface LoadedRun {
  /** Where the run was read from (the run folder, or the file). */
  source: string;
  result: RunResult;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CompareInputError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CompareInputError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** The value as a RunResult, or an error naming the file; only the fields the comparison reads are checked. */
function asRunResult(value: unknown, file: string): RunResult {
  const r = value as Partial<RunResult> | null;
  if (
    !r ||
    typeof r !== 'object' ||
    r.schema_version !== 1 ||
    !Array.isArray(r.modes) ||
    typeof r.parameters !== 'object' ||
    !r.input ||
    !r.storage
  ) {
    throw new CompareInputError(
      `${file} is not a run's results.json (schema_version 1 with parameters, input, storage and modes)`,
    );
  }
  return r as RunResult;
}

function isSweep(value: unknown): value is SweepResult {
  return typeof value === 'object' && value !== null && Array.isArray((value as SweepResult).runs);
}

function fromSweep(sweep: SweepResult, file: string, dir: string): LoadedRun[] {
  return sweep.runs.map((r, i) => ({
    source: r.dir ? join(dir, r.dir) : `${file}#${i}`,
    result: asRunResult(r.result, `${file} (run ${i + 1})`),
  }));
}

/**
 * Every run at `path`, in a stable order (a sweep's order, else sorted by folder name).
 * `allowEmpty`: a folder with no finished run is no error (its unfinished runs are the news).
 */
export function loadRuns(path: string, opts: { allowEmpty?: boolean } = {}): LoadedRun[] {
  const nonEmpty = (runs: LoadedRun[], p: string): LoadedRun[] => (opts.allowEmpty ? runs : requireRuns(runs, p));
  if (!existsSync(path)) throw new CompareInputError(`${path}: no such file or folder`);
  if (statSync(path).isFile()) {
    const value = readJson(path);
    if (isSweep(value)) return nonEmpty(fromSweep(value, path, join(path, '..')), path);
    return [{ source: path, result: asRunResult(value, path) }];
  }
  const results = join(path, 'results.json');
  if (existsSync(results)) return [{ source: path, result: asRunResult(readJson(results), results) }];
  const sweepFile = join(path, 'sweep.json');
  if (existsSync(sweepFile)) {
    const value = readJson(sweepFile);
    if (!isSweep(value)) throw new CompareInputError(`${sweepFile} is not a sweep.json (no runs)`);
    return nonEmpty(fromSweep(value, sweepFile, path), path);
  }
  const runs: LoadedRun[] = [];
  for (const name of readdirSync(path).sort()) {
    const sub = join(path, name);
    const file = join(sub, 'results.json');
    if (statSync(sub).isDirectory() && existsSync(file))
      runs.push({ source: sub, result: asRunResult(readJson(file), file) });
  }
  return nonEmpty(runs, path);
}

function requireRuns(runs: LoadedRun[], path: string): LoadedRun[] {
  if (runs.length === 0) {
    throw new CompareInputError(
      `${path} holds no run: expected a run folder (results.json), a folder of runs (sweep.json, or subfolders with results.json) or a results.json file`,
    );
  }
  return runs;
}

/** A run folder's name: the run id (start time and 6 hex digits), then the label if any. */
const RUN_FOLDER = /^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}_[0-9a-f]{6}(_|$)/;

/** A folder a bench run made: named by its run id, or holding the run's pipelines.log. */
function isRunFolder(dir: string): boolean {
  return statSync(dir).isDirectory() && (RUN_FOLDER.test(basename(dir)) || existsSync(join(dir, 'pipelines.log')));
}

/**
 * Run folders at `path` (the folder itself, or its subfolders) with no results.json: runs that
 * started and never finished (a crash, a kill). A comparison names them and cannot pass.
 */
export function unfinishedRuns(path: string): string[] {
  if (!existsSync(path) || !statSync(path).isDirectory() || existsSync(join(path, 'results.json'))) return [];
  if (isRunFolder(path)) return [path];
  return readdirSync(path)
    .sort()
    .map((name) => join(path, name))
    .filter((sub) => isRunFolder(sub) && !existsSync(join(sub, 'results.json')));
}
