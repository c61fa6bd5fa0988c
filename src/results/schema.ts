/**
 * The types of results.json, schema_version 1. Every figure follows docs/METRICS.md.
 *
 * Fields marked "(optional, added)" are not part of the core schema; the report prints
 * them when present and says "not recorded" (or omits the line) when absent.
 */
import type { Mode } from '../domain/modes.js';

/**
 * Percentiles of one latency distribution, in milliseconds, from an HDR histogram
 * (3 significant digits, microsecond resolution). When `count` is 0 every value is 0 and
 * the report prints "n/a" instead of the numbers.
 */
export interface LatencySummary {
  unit: 'ms';
  count: number;
  mean: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

/** One stage of a mode's chain (METRICS.md "Stage latency"; the stages are defined in harness/measure/stages.ts). */
interface StageSummary {
  id: string;
  label: string;
  latency: LatencySummary;
  /** Mean duration (ms), of the exact differences (a negative one, from clock granularity, counts as it is). */
  mean_ms: number;
  /** mean_ms / the mean event-time latency of the same readings. */
  share: number;
}

export interface StageBreakdown {
  /** Readings with every instant known, the ones the figures describe. */
  readings: number;
  /** Readings left out because an instant was unknown (e.g. sent by a producer without the t_sent header). */
  incomplete: number;
  /** Mean event-time latency of those readings: the sum of the stages' means. */
  mean_total_ms: number;
  stages: StageSummary[];
}

/** An external mode's figures (docs/EXTERNAL.md, "What the harness measures"). */
export interface ExternalModeResult {
  name: string;
  command: string;
  /** What its rows are: per-rule alerts, or flagged readings (no rule id). */
  kind: 'alerts' | 'flagged_readings';
  /** From its start to its ready line. */
  startup_s?: number;
  /**
   * (optional, added) CPU seconds its process group used from its start to its ready line (the
   * processes alive then). Not in its cost, which counts from the run's first sample, as the
   * built-in roles' does (CostResult.cpu_counted_from).
   */
  startup_cpu_s?: number;
  /** Rows it wrote, and distinct results among them. */
  rows: number;
  results: number;
  duplicates: number;
  /** Results of the ground truth missing from its table. */
  loss: number;
  /** Results in its table the ground truth does not have. */
  unexpected: number;
  /** Per reading of the measured phase with a record result: t_visible of its first result - t_intended. */
  result_latency: LatencySummary;
  /** The same from inserted_at (database clock at the insert, before its commit: a lower bound). */
  result_latency_at_insert: LatencySummary;
  /** Window results: t_visible - the window's end. */
  window_result_latency?: LatencySummary;
  /** Result latency p99 of the readings intended in the first and in the last third of the measured phase (does it keep up?). */
  p99_by_third_ms?: { first: number; last: number };
  /** Rows no poll saw while the run went on (stamped by the final scan). */
  seen_only_by_final_scan: number;
  poll_interval_ms: number;
  /**
   * t_visible is late by at most this for 99% of the measured readings' results: the p99 of each
   * result's own bound (the start of the observer's query that first returned it minus the start
   * of the query before). (Runs before the observer: the largest gap between two polls' starts.)
   */
  visibility_resolution_ms: number;
  /** (optional, added) The per-result bound's distribution, over the measured readings' first results. */
  visibility_bound?: LatencySummary;
  /** Its results per second over the measured phase (results, not readings). */
  output_rate: number;
  /** Results per second the ground truth has over the measured phase. */
  expected_rate: number;
  /** How it ended. */
  exit: string;
  /** The rules it declared on its ready line (absent: it evaluates all); the comparisons keep to them. */
  rules_evaluated?: string[];
  rules_not_evaluated?: string[];
  /**
   * (optional, added) Rule scopes the run has rules of and the job declared none of: its
   * agreement in them is not computed (0 against 0 would read as full agreement); print n/a.
   */
  scopes_not_evaluated?: Array<'record' | 'window'>;
}

/** Alert agreement between sets A and B (METRICS.md "Alert agreement"); 0/0 ratios are 1. */
export interface AgreementResult {
  a: string;
  b: string;
  scope: 'record' | 'window' | 'all';
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  jaccard: number;
}

export interface ModeResult {
  mode: Mode;
  /** METRICS.md: t_committed - t_intended, warm-up excluded. */
  event_time_latency: LatencySummary;
  /**
   * (optional, added) From the start of its role processes to their ready signal, s (batch: the
   * later of batch and ingest, which it needs), as an external job's start-up is counted.
   */
  startup_s?: number;
  /** METRICS.md: t_committed - t_appended. */
  processing_time_latency: LatencySummary;
  /** METRICS.md: first alert's t_committed - t_intended of the episode's first reading. */
  detection_latency: LatencySummary;
  /** Readings whose results committed per second over the measured phase. */
  output_rate: number;
  results_committed: number;
  alerts: number;
  windows: number;
  /**
   * (optional, added) METRICS.md: a window result's event time is the largest t_intended among
   * its readings; this is t_committed of the window row minus that, over all windows after warm-up.
   */
  window_result_latency?: LatencySummary;
  /** (optional, added) Batch mode only: seconds between batch runs; used in the comparison text. */
  batch_interval_s?: number;
  /**
   * (optional, added) Readings processed per second of the mode's busy time (batch: the sum of
   * its passes' durations; stream: its write transactions' wall time). For batch, its pass rate:
   * a pass runs flat out over what has gathered, so this is what batch can process (a capacity).
   * For the stream it is context only: the stream works as readings arrive, so the figure follows
   * the offered rate and is not a capacity (the reports never set it beside batch's; the stream's
   * capacity is its sustainable throughput, --find-max).
   */
  processing_rate_while_busy?: number;
  /** (optional, added) Seconds the output rate divides by: from the end of the warm-up to the last committed result. */
  output_span_s?: number;
  /** (optional, added) Anomaly episodes injected by the generator during the measured phase. */
  episodes_injected?: number;
  /** (optional, added) Of those, episodes this mode raised at least one alert for. */
  episodes_detected?: number;
}

export interface TimeseriesPoint {
  /** Seconds since the start of the measured phase (or of the run; the harness says which in parameters). */
  second: number;
  offered: number;
  achieved: number;
  /** Per mode: readings whose results committed in this second. */
  output: Record<string, number>;
  /** Per mode: p99 event-time latency of results committed in this second; null if none. */
  p99_ms: Record<string, number | null>;
  /** Per consumer group / mode: consumer lag (messages) at the end of this second. */
  backlog: Record<string, number>;
  /**
   * (optional, added) Per mode, external ones included: results of the measured phase (alerts,
   * window alerts, flagged readings) committed in this second (an external job's: first seen by
   * the harness's poll in this second). The one per-second count every mode has.
   */
  results?: Record<string, number>;
  /**
   * (optional, added) External modes: p99 of the result latency (t_visible of a reading's first
   * result - t_intended) of the readings whose first result was first seen in this second; null if none.
   */
  result_p99_ms?: Record<string, number | null>;
}

interface LateReading {
  patient_id: number;
  seq: number;
  lateness_ms: number;
}

/** (optional, added) Alert keys in only one of two sets, for the report (see agreement.ts diffAlerts). */
export interface AlertDiff {
  a: string;
  b: string;
  only_a_count: number;
  only_b_count: number;
  /** First keys only in A (alertKey format), capped. */
  only_a: string[];
  /** First keys only in B (alertKey format), capped. */
  only_b: string[];
}

export interface RunResult {
  schema_version: 1;
  run_id: string;
  complete: boolean;
  incomplete_reason?: string;
  started_at: string;
  ended_at: string;
  parameters: Record<string, unknown>;
  environment: Record<string, unknown>;
  warmup: { seconds: number; excluded_readings: number };
  input: {
    offered_rate: number;
    planned: number;
    sent: number;
    acknowledged: number;
    achieved_rate: number;
    measured_seconds: number;
    /** METRICS.md: t_sent - t_intended. */
    send_delay: LatencySummary;
    generator_fell_behind: boolean;
    malformed_sent: number;
    duplicates_sent: number;
    /** (optional, added) The schedule's start, epoch ms: t_intended of reading 0, and the origin the run's windows are aligned to. */
    start_ms?: number;
  };
  storage: {
    stored: number;
    loss: number;
    duplicates: number;
    rejected: number;
    /** (optional, added) Of the rejected: messages stamped with another run's id (not counted as this run's). */
    foreign?: number;
    /** (optional, added) Of the rejected: later copies of a stored (patient_id, seq) with other content. */
    conflicting_duplicates?: number;
    /** (optional, added) Of the rejected: readings the database refused, isolated from their batch. */
    refused_by_database?: number;
    /** (optional, added) Of the foreign: messages with no run id at all (a bench refuses them: only its generator writes to its topics). */
    no_run_id?: number;
    /**
     * (optional, added) Stored readings whose content (source, event_time, vitals) differs from what
     * the generator sent with their (patient_id, seq): another message took their place. Fails the run.
     */
    substituted?: number;
    /** (optional, added) Messages the stream rejected (its own parse, as ingest's; and its conflicting copies). */
    stream_rejected?: number;
    /** (optional, added) Of the stream's rejected: later copies of a processed (patient_id, seq) with other content. */
    stream_conflicting_duplicates?: number;
  };
  modes: ModeResult[];
  agreement: AgreementResult[];
  late_readings: LateReading[];
  timeseries: TimeseriesPoint[];
  /**
   * HDR histograms, base64 compressed (LatencyHistogram.encode(), values in µs), keyed
   * `<mode>.<metric>` with metric event_time | processing_time | detection, and
   * `input.send_delay` (see histogramKey() in histogram.ts). Used for the percentile
   * curves in latency.csv and the charts; a missing key just leaves that curve out.
   */
  histograms: Record<string, string>;
  verdict: { passed: boolean; failures: string[] };
  /** (optional, added) Which Kafka timestamp t_appended is (METRICS.md asks to say which). */
  kafka_timestamp_type?: 'CreateTime' | 'LogAppendTime';
  /** (optional, added) Each batch pass: readings it took, how long it ran (ms), whether it was the final one. */
  batch_passes?: Array<{
    pass: number;
    readings: number;
    alerts: number;
    windows: number;
    duration_ms: number;
    final: boolean;
  }>;
  /** (optional, added) Alert keys on one side only, per compared pair. */
  agreement_diffs?: AlertDiff[];
  /** (optional, added) Faults injected (--fault) and outages or role exits nobody injected. */
  faults?: FaultReport[];
  /** (optional, added) What each mode cost: CPU, memory, busy time, database writes (see CostResult). */
  cost?: CostResult;
  /**
   * (optional, added) What limits what this run can say: settings that make it too short (fewer
   * than 3 batch intervals, windows longer than the measured phase), a results observer whose
   * resolution was above its target (a loaded machine).
   */
  warnings?: string[];
  /**
   * (optional, added) Why this run's agreement and detection figures say nothing ("agreement on
   * nothing"): no mode raised an alert, no mode detected an injected episode, fewer readings than
   * patients. The run may still pass; the verdict line and the report say it.
   */
  vacuous?: string[];
  /**
   * (optional, added) Where each mode's time goes (METRICS.md "Stage latency"), readings of the
   * measured phase; a mode the run did not have is absent (batch: since migration 5).
   */
  stages?: { stream?: StageBreakdown; batch?: StageBreakdown };
  /**
   * (optional, added) The results observer (METRICS.md "Visibility latency"): one process asking
   * the database for every mode's new results, the built-in modes' alerts and the external jobs'
   * rows alike, so that the engines are compared by one clock and one poll.
   */
  observation?: ObservationResult;
  /**
   * (optional, added) Drift over the load (METRICS.md "Drift"): per whole minute of the measured
   * phase, each mode's event-time p99 and each process group's peak memory (the harness's too),
   * and the first window of minutes against the last. Absent when fewer than 3 whole minutes were measured.
   */
  drift?: DriftResult;
  /** (optional, added) External modes (docs/EXTERNAL.md). */
  external?: {
    jobs: ExternalModeResult[];
    /** Per mode (built-in and external): latency from a reading's t_intended to its first record result (alert or flag). */
    result_latency: Record<string, LatencySummary>;
  };
}

export interface DriftResult {
  /** Whole minutes compared at each end: 10, or a third of the measured minutes when fewer than 30. */
  window_minutes: number;
  /** Per measured minute (counted from the schedule's start, warm-up included): p99 by mode (of the results committed in it), peak resident memory by process group. */
  minutes: Array<{ minute: number; p99_ms: Record<string, number | null>; rss_mib: Record<string, number | null> }>;
  /** Per figure: the median of its per-minute values in the first window and in the last. */
  compared: Array<{
    figure: string;
    unit: 'ms' | 'MiB';
    first: number | null;
    last: number | null;
    /** (last - first) / first, percent; null when either is missing. */
    change_pct: number | null;
  }>;
}

export interface ObservationResult {
  /** Pause between the end of one round (one query for every mode) and the start of the next. */
  poll_interval_ms: number;
  /** "nice -5", or the default and why. */
  priority: string;
  rounds: number;
  queries_per_s: number;
  /** The observer process's CPU over the run, ms. */
  cpu_ms: number;
  /** Gaps between the starts of consecutive rounds, ms. */
  round_gap_ms: { p50: number; p99: number; max: number };
  /** Results first found by a sweep behind the cursor (committed out of id order), and rounds that failed. */
  swept_late: number;
  failed_rounds: number;
  /**
   * Per mode (built-in and external): each measured reading's first record result, from its
   * t_intended to the start of the first query that returned it (t_visible).
   */
  visibility_latency: Record<string, LatencySummary>;
  /** Per mode: how late t_visible may be for those results (the per-result bound). */
  visibility_bound: Record<string, LatencySummary>;
  /** Built-in modes: the same readings' t_committed - t_intended (the writer's clock after COMMIT), to set beside it. */
  commit_latency: Record<string, LatencySummary>;
}

/**
 * The cost side of the trade-off, measured per process from /proc (CPU = user + system time,
 * peak memory = the largest sum of a group's resident sets seen by the harness's 1 s samples).
 */
export interface ModeCost {
  /** CPU seconds of the mode's own process(es) over the run (stream: the stream role; batch: the batch role with its worker threads). */
  cpu_s: number;
  /** Peak memory of the mode's process(es), MiB: the largest sum of their resident sets at one sample. */
  peak_rss_mib: number;
  /** Seconds the mode spent processing: batch passes' durations; stream: its write transactions' wall time. */
  busy_s: number;
  /** Rows the mode wrote to the database (alerts, window rows). */
  db_rows: number;
  /** Database transactions the mode committed. */
  db_transactions: number;
  /** Readings the mode processed. */
  readings: number;
  /** cpu_s * 1000 / readings, in CPU milliseconds per 1,000 readings. */
  cpu_ms_per_1000_readings: number;
}

export interface CostResult {
  modes: Partial<Record<Mode, ModeCost>>;
  /** The shared ingest role (lands every reading once for the batch layer). */
  ingest?: ModeCost;
  /** (optional, added) CPU seconds of the load generator's process (the open-loop producer). */
  generator_cpu_s?: number;
  /**
   * (optional, added) External jobs: CPU of their whole process group (counted as cpu_counted_from
   * says; their start-up CPU is in external.jobs[].startup_cpu_s), and its peak memory: the largest
   * sum of the group's resident sets at one sample (runs before cpu_counted_from: the largest single process).
   */
  external?: Record<string, { cpu_s: number; peak_rss_mib: number; cpu_ms_per_1000_readings: number }>;
  /**
   * (optional, added) Where every process's CPU is counted from: 'ready', the run's first sample,
   * taken once every mode (built-in and external) was ready and before the load, so no start-up
   * is in any mode's CPU (a process started later, from its start). Absent: a run before it, where
   * the built-in roles counted from their first sample and external jobs from their start.
   */
  cpu_counted_from?: 'ready';
  /** CPU seconds of the Kafka broker and of the database server over the run (null: not this project's servers). */
  broker_cpu_s: number | null;
  database_cpu_s: number | null;
  /** How long the run's cost was sampled, seconds. */
  sampled_s: number;
  /**
   * (optional, added) Other runs live on the same broker and database during this one (the run
   * registry's record): the broker's and database's CPU then include their load.
   */
  shared_servers_with?: Array<{ run_id: string; topics: string; overlap_s: number }>;
  /**
   * (optional, added) The idle baseline: each process group's CPU per second with no load,
   * timed over `seconds` once every reading had its results (drained, final batch pass done)
   * and before anything stopped. Keys: stream, batch, ingest, broker, database, external jobs.
   */
  idle?: { seconds: number; cpu_ms_per_s: Record<string, number> };
  /**
   * (optional, added) What each mode costs, counting what only it needs: stream its role; batch
   * its pass role and ingest (which lands the readings only batch reads); an external job its
   * process group. Keyed by mode name.
   */
  attributed?: Record<string, AttributedCost>;
  /**
   * (optional, added) What serves every mode and no mode alone, shown apart: the broker, the
   * database, and ingest when no batch mode ran (then it only records what was stored).
   */
  shared?: Record<string, SharedCost>;
}

/** One mode's cost with what only it needs (CostResult.attributed). */
export interface AttributedCost {
  /** The process groups counted: ["batch", "ingest"]. */
  roles: string[];
  readings: number;
  /** CPU seconds of those roles from the first sample of the run to its end (sampled_s). */
  cpu_s: number;
  /** cpu_s per 1,000 readings: idle included, so it depends on the rate and the run's length. */
  cpu_ms_per_1000_readings: number;
  /** The roles' idle CPU, ms per second (absent: no idle baseline). */
  idle_cpu_ms_per_s?: number;
  /** (cpu_s - idle rate x sampled_s) per 1,000 readings, at least 0: what the readings cost above idle. */
  cpu_ms_per_1000_above_idle?: number;
  /** How far that figure can be off from the CPU counters' tick alone (the idle rate's tick extrapolated over the run), per 1,000 readings. */
  cpu_ms_per_1000_above_idle_resolution?: number;
  /** Sum of the roles' peak resident memory, MiB (an upper bound of what they held at once). */
  peak_rss_mib: number;
  /** Database transactions and rows the roles committed (absent for an external job: not recorded). */
  db_transactions?: number;
  db_rows?: number;
}

/** A process that serves every mode (CostResult.shared). */
export interface SharedCost {
  cpu_s: number;
  idle_cpu_ms_per_s?: number;
  cpu_ms_per_1000_above_idle?: number;
  cpu_ms_per_1000_above_idle_resolution?: number;
}

/** One fault and what it did; times in seconds since the load started. */
export interface FaultReport {
  /** The --fault spec, or a description of what was observed. */
  fault: string;
  /** False for an outage or a role exit the harness observed but did not cause. */
  injected: boolean;
  target: string;
  injected_at_s: number | null;
  /** The service answering again, the paused role continued (null: not over by the end). */
  ended_at_s: number | null;
  detected_at_s: number | null;
  /** What the harness saw: "role exit", "broker unreachable", "stream backlog growth"... */
  detected_by: string;
  /** First second the consumer backlog was back at its level before the fault. */
  recovered_at_s: number | null;
  recovery_s: number | null;
  /** Role exits and restarts during the fault ("stream killed by SIGKILL at 20.3 s, restarted in 1.1 s"). */
  restarts: string[];
  /** Per mode: event-time p99 of readings intended between the fault and its recovery, and of all others (ms). */
  p99_during_ms: Record<string, number | null>;
  p99_outside_ms: Record<string, number | null>;
  /** Per mode: measured readings intended during the fault. */
  readings_during?: Record<string, number>;
  error?: string;
}

/**
 * (optional, added) engines.json of `bench --engines`: each engine alone, then all together,
 * `repeat` runs each; the runs' results stay in their folders (`dir`, relative to engines.json's).
 */
export interface EnginesRuns {
  engines: string[];
  repeat: number;
  /** The bench's settings (as sweep.json's options). */
  options: Record<string, unknown>;
  runs: Array<{ dir: string; setting: 'alone' | 'together'; engines: string[] }>;
  /** Runs that wrote no results: what they were and why. */
  failed: Array<{ setting: 'alone' | 'together'; engines: string[]; error: string }>;
}

export interface SweepResult {
  /**
   * The runs; (optional, added) `swept_value` is the run's value of the swept option (the
   * same value is in its results.json, parameters[swept.key], and parameters.swept).
   */
  runs: Array<{ dir: string; result: RunResult; swept_value?: number; grid_value?: number }>;
  /**
   * (optional, added) The option the runs differ in: the one given as a comma list, or the rate
   * (a --repeat of one setting, --find-max). `option` is its command-line name ("batch-interval"),
   * `key` its name in the runs' parameters ("batchInterval"), `values` as planned (--find-max:
   * as tried), `unit` its unit when it has one ("s", "ms", "readings/s"). Absent in sweeps
   * written before it was added: then the rate is the swept option.
   */
  swept?: { option: string; key: string; values: number[]; unit?: string };
  /**
   * (optional, added) A grid: the second option given as a comma list; every value of `swept`
   * ran with every value of this one (each run's value: `grid_value`, and in its parameters).
   */
  grid?: { option: string; key: string; values: number[]; unit?: string };
  /**
   * (optional, added) Every option of the sweep, keyed as in a run's parameters (rate,
   * batchInterval, latenessMs...); the swept option's entry is its list of values.
   */
  options?: Record<string, unknown>;
  /** (optional, added) Runs per value (--repeat). */
  repeat?: number;
  find_max?: {
    sustainable_rate: number | null;
    below?: number;
    above?: number;
    /** (optional, added) What made the run at `above` unsustainable. */
    above_reasons?: string[];
    criteria: string;
  };
}
