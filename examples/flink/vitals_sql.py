"""The Flink SQL of the vitals job, generated from the run's settings and its rules file.

Everything per message runs in Flink's own operators: the checks of a reading are SQL
expressions over Flink's JSON functions, the rules are WHERE clauses, and the results go out
through the JDBC connector. vitals_job.py submits these statements; this module only writes
them (no PyFlink import here).

The reading checks follow parseReading() in src/domain/reading.ts, with the bounds that
examples/common/vitals_contract.py keeps in step with it (vitals_job.py puts that folder on
sys.path before it imports this module).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from vitals_contract import EARLIEST_EVENT_TIME, INTEGER_FIELD_RANGE, MAX_FUTURE_MS, MAX_SOURCE_LENGTH, POSSIBLE_RANGE
from vitals_contract import SOURCE_NAMES, RecordRule

# The fields a reading must have, in the order the extraction below lists them. `timestamp`,
# which no check or rule reads, is not among them; `run_id` is (the contract: a message of
# another run, or of none, is skipped).
NUMBER_FIELDS = ["patient_id", "seq", "event_time", *POSSIBLE_RANGE]
STRING_FIELDS = ["source", "run_id"]
FIELDS = [*NUMBER_FIELDS, *STRING_FIELDS]


def sql_string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def jackson_json_string(text: str) -> str:
    """`text` as a JSON string, written the way Flink's JSON functions (Jackson) write it: `"`
    and `\\` escaped, control characters as short escapes or \\u00XX, everything else as is."""
    short = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}
    out = []
    for ch in text:
        if ch in short:
            out.append(short[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def source_for_topic(topic: str) -> Optional[str]:
    """sourceForTopic(): health_data_source<N> carries Device_A..Device_I, then Device_<N>; None
    for a topic outside that naming (its messages' source is then only checked for length)."""
    m = re.search(r"health_data_source(\d+)$", topic)
    if not m:
        return None
    n = int(m.group(1))
    return SOURCE_NAMES[n - 1] if 1 <= n <= len(SOURCE_NAMES) else f"Device_{n}"


# One JSON number or string as Jackson writes it back: an integer (any length: a big one is a
# BigInteger), or a double as Java prints it (36.6, 1000.0, 1.0E20). Infinity and NaN come back
# as strings, so they are not numbers here, as JSON.parse's Infinity is not finite.
_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?(?:E-?[0-9]+)?"
_STRING = r'"(?:[^"\\]|\\.)*"'
# The reading's fields, rewritten by JSON_QUERY below into one compact object in this order;
# a field missing or of another JSON type (null, a string for a number...) fails the match.
FIELDS_PATTERN = (
    r"^\{" + ",".join(f'"{f}":{_STRING if f in STRING_FIELDS else _NUMBER}' for f in FIELDS) + r"\}$"
)
FIELDS_PATH = "lax $[0][" + ",".join(f"'{f}'" for f in FIELDS) + "]"


def message_fields_sql(source_table: str, carried: Sequence[str]) -> str:
    """A view over the raw messages (columns `value` and `topic`): the reading's fields as one
    compact JSON object, for the messages that are exactly one JSON object with every field of a
    reading, of the right JSON type.

    Flink's JSON functions parse with Jackson, which stops after the first complete value and
    ignores what follows ('{...} x' would pass). Wrapped as [msg] and as {"v": msg}, a message
    parses both ways only when nothing follows its value: text after it would have to close
    an array and an object at once. JSON_QUERY reads the fields from the first wrapping and
    writes them back in a fixed order; a message that is not an object yields NULL.

    UNNEST of a one-element array makes Flink compute the fields once per message: a column
    computed in a view is otherwise recomputed at every use further down (Flink's code
    generation inlines it), here a JSON parse per use.
    """
    carry = "".join(f"{c}, " for c in carried)
    return f"""
CREATE TEMPORARY VIEW message_fields AS
SELECT {carry}`topic`, fields
FROM {source_table}
CROSS JOIN UNNEST(ARRAY[
  CASE WHEN ('{{"v":' || `value` || '}}') IS JSON
    THEN JSON_QUERY('[' || `value` || ']', {sql_string(FIELDS_PATH)}) END
]) AS parsed (fields)
WHERE REGEXP(fields, {sql_string(FIELDS_PATTERN)})
"""


def _number_sql(index: int, field: str) -> str:
    """A number field's value in a text that matches FIELDS_PATTERN, as a DOUBLE. The numbers
    come first, each the part after `"field":` between commas (a number has none)."""
    key_length = len(f'"{field}":') + (1 if index == 0 else 0)  # the first part starts with {
    return f"TRY_CAST(SUBSTR(SPLIT_INDEX(fields, ',', {index}), {key_length + 1}) AS DOUBLE)"


def _tail_sql(source: str, run_id: str) -> str:
    """The text the fields end with when the source and the run are the expected ones."""
    return sql_string(f',"source":{jackson_json_string(source)},"run_id":{jackson_json_string(run_id)}}}')


def _ends_with_sql(text_sql: str) -> str:
    """fields ends with the literal (its first occurrence is at the end: `,"source":` and
    `,"run_id":` occur once in a text that matches FIELDS_PATTERN, as Jackson escapes every
    quote inside a string)."""
    return f"POSITION({text_sql} IN fields) = CHAR_LENGTH(fields) - CHAR_LENGTH({text_sql}) + 1"


def _source_and_run_sql(topics: Sequence[str], run_id: str) -> str:
    """The checks of the source (sourceForTopic) and of the run: the fields' tail."""
    named = [(t, source_for_topic(t)) for t in topics]
    branches = [f"WHEN {sql_string(t)} THEN {_ends_with_sql(_tail_sql(s, run_id))}" for t, s in named if s]
    # A topic outside the naming: a string of 1..32 characters (Flink counts code points where
    # JavaScript counts UTF-16 units: they differ only beyond the Basic Multilingual Plane).
    run_tail = sql_string(f',"run_id":{jackson_json_string(run_id)}}}')
    other = (
        f"{_ends_with_sql(run_tail)} AND CHAR_LENGTH(JSON_VALUE(fields, '$.source')) BETWEEN 1 AND {MAX_SOURCE_LENGTH}"
    )
    if len(branches) == len(named):
        return f"CASE `topic` {' '.join(branches)} ELSE FALSE END"
    return f"CASE `topic` {' '.join(branches)} ELSE {other} END" if branches else other


def readings_sql(run_id: str, topics: Sequence[str], carried: Sequence[str]) -> str:
    """The view `readings`: the messages that parseReading() accepts, typed, with run_id ==
    VITALS_RUN_ID. Numbers are compared as DOUBLE, as JavaScript compares them. The values are
    computed once per message (UNNEST, as in message_fields_sql), then checked."""
    carry = "".join(f"{c}, " for c in carried)
    values = ",\n    ".join(_number_sql(i, f) for i, f in enumerate(NUMBER_FIELDS))
    names = ", ".join(f"{f}_n" for f in NUMBER_FIELDS)
    checks: List[str] = [_source_and_run_sql(topics, run_id)]
    for f, (lo, hi) in INTEGER_FIELD_RANGE.items():
        checks.append(f"{f}_n = FLOOR({f}_n) AND {f}_n BETWEEN {lo} AND {hi}")
    checks.append(f"event_time_n >= {EARLIEST_EVENT_TIME}")
    # event_time - now <= 5 min, to the millisecond; CURRENT_TIMESTAMP is per record in streaming.
    checks.append(
        f"TO_TIMESTAMP_LTZ(CAST(event_time_n AS BIGINT), 3) <= CURRENT_TIMESTAMP + INTERVAL '{MAX_FUTURE_MS // 60_000}' MINUTE"
    )
    for vital, (lo, hi, integer) in POSSIBLE_RANGE.items():
        # Stored as DECIMAL(4,1) by the built-in modes: a second decimal is refused.
        shape = f"{vital}_n = FLOOR({vital}_n)" if integer else f"ABS({vital}_n * 10 - ROUND({vital}_n * 10, 0)) <= 1e-6"
        checks.append(f"{shape} AND {vital}_n BETWEEN {lo} AND {hi}")
    checks.append("blood_pressure_diastolic_n < blood_pressure_systolic_n")
    typed = ",\n  ".join(
        [
            "CAST(patient_id_n AS INT) AS patient_id",
            "CAST(seq_n AS BIGINT) AS seq",
            "CAST(event_time_n AS BIGINT) AS event_time",
            *[f"{v}_n AS {v}" for v in POSSIBLE_RANGE],
        ]
    )
    where = "\n  AND ".join(f"({c})" for c in checks)
    return f"""
CREATE TEMPORARY VIEW readings AS
SELECT {carry}{typed}
FROM message_fields
CROSS JOIN UNNEST(ARRAY[ROW(
    {values}
  )]) AS v ({names})
WHERE {where}
"""


FIRST_COPIES_SQL = """
CREATE TEMPORARY VIEW first_copies AS
SELECT patient_id, seq, event_time, heart_rate, body_temperature, blood_pressure_systolic,
  blood_pressure_diastolic, spo2_level
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY patient_id, seq ORDER BY proc_time ASC) AS copy_number
  FROM readings
)
WHERE copy_number = 1
"""
"""A (patient_id, seq) seen twice is the same reading: the first copy is kept. Flink runs this
as its deduplication operator (keep first row on processing time), which emits each reading
once, as it arrives, and never retracts."""


def double_literal(value: float) -> str:
    """The rule's threshold as the same double JavaScript compares with."""
    return f"CAST({sql_string(repr(float(value)))} AS DOUBLE)"


def alerts_insert_sql(sink_table: str, rules: Sequence[RecordRule], run_id: str, mode: str) -> str:
    """One alert row per record rule that fires on a reading.

    The rules are evaluated together, in one pass over the deduplicated readings: an array of
    the rule ids (NULL where the rule does not fire), unnested into rows. One SELECT per rule
    joined with UNION ALL would plan one deduplication per rule (each branch keeps only the
    vital it reads, so Flink cannot share them), every one fed every reading.
    """
    fired = ",\n    ".join(
        f"CASE WHEN {r.vital} {r.op} {double_literal(r.value)} THEN {sql_string(r.id)} END" for r in rules
    )
    return f"""
INSERT INTO {sink_table}
SELECT {sql_string(run_id)}, {sql_string(mode)}, rule_id, patient_id, seq, event_time
FROM first_copies
CROSS JOIN UNNEST(ARRAY[
    {fired}
  ]) AS fired (rule_id)
WHERE rule_id IS NOT NULL
"""


def kafka_source_sql(table: str, brokers: str, topics: Sequence[str], group_id: str) -> str:
    """The run's topics from their earliest offsets, each message's value as text (the raw
    format: a JSON format would coerce "36.6" to a number and 36.6 to an integer, which
    parseReading() refuses), its topic, and a processing-time attribute for the deduplication."""
    return f"""
CREATE TEMPORARY TABLE {table} (
  `value` STRING,
  `topic` STRING NOT NULL METADATA VIRTUAL,
  proc_time AS PROCTIME()
) WITH (
  'connector' = 'kafka',
  'topic' = {sql_string(';'.join(topics))},
  'properties.bootstrap.servers' = {sql_string(brokers)},
  'properties.group.id' = {sql_string(group_id)},
  'scan.startup.mode' = 'earliest-offset',
  'format' = 'raw',
  'raw.charset' = 'UTF-8'
)
"""


@dataclass(frozen=True)
class JdbcSink:
    url: str
    table: str
    user: str
    password: str
    flush_interval_ms: int
    flush_max_rows: int


def jdbc_sink_sql(table: str, sink: JdbcSink) -> str:
    """external_results through the JDBC connector, append-only (no primary key: plain INSERTs).

    sink.max-retries 0: a failed write ends the job (and fails the run) instead of being
    retried, because a retried batch whose first attempt did commit would write duplicates.
    """
    return f"""
CREATE TEMPORARY TABLE {table} (
  run_id STRING,
  mode STRING,
  rule_id STRING,
  patient_id INT,
  seq BIGINT,
  event_time BIGINT
) WITH (
  'connector' = 'jdbc',
  'url' = {sql_string(sink.url)},
  'table-name' = {sql_string(sink.table)},
  'driver' = 'com.mysql.cj.jdbc.Driver',
  'username' = {sql_string(sink.user)},
  'password' = {sql_string(sink.password)},
  'sink.buffer-flush.interval' = '{sink.flush_interval_ms} ms',
  'sink.buffer-flush.max-rows' = '{sink.flush_max_rows}',
  'sink.max-retries' = '0',
  'sink.parallelism' = '1'
)
"""


def check_values_sql(table: str, messages: Sequence[Tuple[str, Optional[str]]]) -> str:
    """For --check-readings: the messages (topic, value) as a table with their index."""
    rows = ",\n  ".join(
        f"({i}, {sql_string(topic)}, {'CAST(NULL AS STRING)' if value is None else sql_string(value)})"
        for i, (topic, value) in enumerate(messages)
    )
    return f"CREATE TEMPORARY VIEW {table} AS SELECT * FROM (VALUES\n  {rows}\n) AS m(message_index, `topic`, `value`)"
