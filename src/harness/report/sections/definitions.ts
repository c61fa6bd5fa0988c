/**
 * Definitions: every figure's definition (METRICS.md), numbered as the tables cite them.
 */
import type { RunResult } from '../../../results/schema.js';
import { fmtCount } from '../format.js';
import { METRICS } from '../markdown.js';
import { always, type RunSection } from './section.js';

const DEF = {
  event_time: `Event-time latency = t_committed − t_intended (${METRICS} §Latency)`,
  processing_time: `Processing-time latency = t_committed − t_appended (${METRICS} §Latency)`,
  detection: `Detection latency = first alert's t_committed − t_intended of the episode's first reading (${METRICS} §Latency)`,
  send_delay: `Send delay = t_sent − t_intended (${METRICS} §Latency)`,
  window_result: `Window-result latency = t_committed of the window row − the largest t_intended among its readings (${METRICS} §Latency)`,
  result: `Latency to a reading's first alert = the first record-rule result's t_committed (an external job's: t_visible, the first poll that saw it) − t_intended (${METRICS} §Stages, external pipelines)`,
} as const;

function definitionsText(r: RunResult): string {
  const ts = r.kafka_timestamp_type ?? 'not recorded';
  return [
    `All definitions are those of ${METRICS} ("What the harness measures, exactly").`,
    '',
    `1. **${DEF.event_time}**: the headline figure; measured from the intended send time, so a generator that falls behind shows up as latency (coordinated-omission-free). No HdrHistogram expected-interval correction is applied on top (that would double-count). Batch latency includes the wait for the next batch run.`,
    `2. **${DEF.processing_time}**: the pipeline alone. t_appended is the Kafka record timestamp (${ts}).`,
    `3. **${DEF.send_delay}**: how far the load generator itself lagged.`,
    `4. **${DEF.detection}**: counted from the first reading of an injected anomaly episode, while a rule fires only once a reading crosses its threshold (often several readings into the episode) or a window closes, so it exceeds the per-reading latency.`,
    `5. **${DEF.window_result}**: a window result's event time is the largest t_intended among its readings. Windows still open when the load ends close only after the drain, so a run's last windows raise the upper percentiles.`,
    `6. **${DEF.result}**: over the measured readings that fired a record rule; the one latency an external job, judged only by the rows it writes, shares with the built-in modes. An external job's figure is late by at most its stated resolution (the p99 of each result's bound: the start of the observer's query that returned it minus the start of the query before).`,
    '',
    'All latencies are in milliseconds.',
    `- Percentiles come from HDR histograms (values recorded in µs, 3 significant digits: within 0.1%). Warm-up readings are excluded (${r.warmup.seconds} s, ${fmtCount(r.warmup.excluded_readings)} readings). "n/a" means no samples.`,
    `- **Offered rate**: readings the schedule asked for per second. **Achieved input rate**: readings acknowledged by Kafka per second. **Output rate**: measured readings whose results committed, divided by the measured phase (or by the time until the last result, when later). **Readings per busy second**: every stored reading divided by the time the mode spent processing; for batch (its passes) a capacity, for the stream (its evaluation and write transactions) not one: it follows the offered rate.`,
    `- **Cost**: CPU seconds (user + system, all threads) from the first sample of the run (once every role and external job is ready: no start-up is counted; an external job's start-up CPU is given apart) to its end (the idle interval included), and the largest sum of the resident memory of a role's or a job's processes at one sample, read from /proc once a second; each mode charged what only it needs (batch: its passes and ingest); the **idle baseline** is each process's CPU per second with no load, timed once every reading has its results, and **above idle** is the CPU over the run minus that rate over the same time, per 1,000 readings. Database rows and transactions from the writers' commit records. The **rule reference** is the rules evaluated over the generated data; the injected anomaly **episodes** are a different thing, reported apart.`,
    `- **Loss** = valid readings sent but absent from storage; **duplicates** = readings stored more than once; **substituted** = stored readings whose content (source, event time, vitals) is not what the generator sent with their (patient_id, seq); all three must be 0.`,
    `- **Alert agreement** of A against B, matched on (patient, rule, reading or window): TP in both, FP in A only, FN in B only; precision TP/(TP+FP), recall TP/(TP+FN), F1 2TP/(2TP+FP+FN), Jaccard |A∩B|/|A∪B|. A ratio 0/0 is reported as 1 (two empty sets agree perfectly); a comparison of rules a mode does not evaluate is n/a.`,
  ].join('\n');
}

export const definitions: RunSection = {
  title: 'Definitions',
  applies: always,
  render: (r) => ['## Definitions', definitionsText(r)],
};
