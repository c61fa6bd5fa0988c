"""The Flink SQL of the vitals job, generated from the run's settings and its rules file.

Everything per message runs in Flink's own operators: the checks of a reading are SQL
expressions over Flink's JSON functions, the rules are WHERE clauses, and the results go out
through the JDBC connector. vitals_job.py submits these statements; this module only writes
them (no PyFlink import here).

The reading checks follow parseReading() in src/domain/reading.ts. They are kept in step by
hand: POSSIBLE_RANGE, INTEGER_FIELD_RANGE, EARLIEST_EVENT_TIME, DEFAULT_MAX_FUTURE_MS,
SOURCE_NAMES and the source's length, as in the Spark example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

# src/domain/reading.ts: POSSIBLE_RANGE (min, max, integer).
POSSIBLE_RANGE: Dict[str, Tuple[float, float, bool]] = {
    "heart_rate": (20, 300, True),
    "body_temperature": (25, 45, False),
    "blood_pressure_systolic": (40, 300, True),
    "blood_pressure_diastolic": (20, 200, True),
    "spo2_level": (50, 100, True),
}
# src/domain/reading.ts: INTEGER_FIELD_RANGE (the columns' ranges; event_time: a safe integer).
INTEGER_FIELD_RANGE: Dict[str, Tuple[int, int]] = {
    "patient_id": (0, 2_147_483_647),
    "seq": (0, 4_294_967_295),
    "event_time": (0, 9_007_199_254_740_991),
}
EARLIEST_EVENT_TIME = 946_684_800_000  # 2000-01-01T00:00:00Z
MAX_FUTURE_MS = 5 * 60_000  # a whole number of minutes: the SQL writes it as an interval in minutes
MAX_SOURCE_LENGTH = 32
SOURCE_NAMES = [f"Device_{letter}" for letter in "ABCDEFGHI"]

# The fields a reading must have, in the order the extraction below lists them. `timestamp`,
# which no check or rule reads, is not among them; `run_id` is (the contract: a message of
# another run, or of none, is skipped).
NUMBER_FIELDS = ["patient_id", "seq", "event_time", *POSSIBLE_RANGE]
STRING_FIELDS = ["source", "run_id"]
FIELDS = [*NUMBER_FIELDS, *STRING_FIELDS]

COMPARISONS = (">", ">=", "<", "<=")


@dataclass(frozen=True)
class RecordRule:
    id: str
    vital: str
    op: str
    value: float


def sql_string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


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


def field_pattern(field: str) -> str:
    """One field's value in a text that matches FIELDS_PATTERN. Unambiguous: inside a string
    Jackson escapes every quote, so `"field":` occurs only as the key."""
    return f'"{field}":(' + (_STRING if field in STRING_FIELDS else _NUMBER) + ")"


def message_fields_sql(source_table: str, carried: Sequence[str]) -> str:
    """A view over the raw messages (columns `value` and `topic`): the reading's fields as one
    compact JSON object, for the messages that are exactly one JSON object with every field of a
    reading, of the right JSON type.

    Flink's JSON functions parse with Jackson, which stops after the first complete value and
    ignores what follows ('{...} x' would pass). Wrapped as [msg] and as {"v": msg}, a message
    parses both ways only when nothing follows its value: text after it would have to close
    an array and an object at once. JSON_QUERY reads the fields from the first wrapping and
    writes them back in a fixed order; a message that is not an object yields NULL.
    """
    carry = "".join(f"{c}, " for c in carried)
    return f"""
CREATE TEMPORARY VIEW message_fields AS
SELECT {carry}`topic`, fields
FROM (
  SELECT {carry}`topic`,
    JSON_QUERY('[' || `value` || ']', {sql_string(FIELDS_PATH)}) AS fields,
    ('{{"v":' || `value` || '}}') IS JSON AS one_value
  FROM {source_table}
)
WHERE one_value AND REGEXP(fields, {sql_string(FIELDS_PATTERN)})
"""


def _expected_source_sql(topics: Sequence[str]) -> str:
    """The check of the source field against the message's topic (sourceForTopic)."""
    named = [(t, source_for_topic(t)) for t in topics]
    branches = " ".join(
        f"WHEN {sql_string(t)} THEN source_json = {sql_string(jackson_json_string(s))}" for t, s in named if s
    )
    # A topic outside the naming: a string of 1..32 characters (Flink counts code points where
    # JavaScript counts UTF-16 units: they differ only beyond the Basic Multilingual Plane).
    other = f"CHAR_LENGTH(JSON_VALUE(source_json, '$')) BETWEEN 1 AND {MAX_SOURCE_LENGTH}"
    if not branches:
        return f"({other})"
    return f"(CASE `topic` {branches} ELSE {other} END)"


def readings_sql(run_id: str, topics: Sequence[str], carried: Sequence[str]) -> str:
    """The view `readings`: the messages that parseReading() accepts, typed, with run_id ==
    VITALS_RUN_ID. Numbers are compared as DOUBLE, as JavaScript compares them."""
    carry = "".join(f"{c}, " for c in carried)
    extracted = ",\n    ".join(
        (
            f"TRY_CAST(REGEXP_EXTRACT(fields, {sql_string(field_pattern(f))}, 1) AS DOUBLE) AS {f}_n"
            if f in NUMBER_FIELDS
            else f"REGEXP_EXTRACT(fields, {sql_string(field_pattern(f))}, 1) AS {f}_json"
        )
        for f in FIELDS
    )
    checks: List[str] = [f"run_id_json = {sql_string(jackson_json_string(run_id))}"]
    for f, (lo, hi) in INTEGER_FIELD_RANGE.items():
        checks.append(f"{f}_n = FLOOR({f}_n) AND {f}_n BETWEEN {lo} AND {hi}")
    checks.append(f"event_time_n >= {EARLIEST_EVENT_TIME}")
    # event_time - now <= 5 min, to the millisecond; CURRENT_TIMESTAMP is per record in streaming.
    checks.append(
        f"TO_TIMESTAMP_LTZ(CAST(event_time_n AS BIGINT), 3) <= CURRENT_TIMESTAMP + INTERVAL '{MAX_FUTURE_MS // 60_000}' MINUTE"
    )
    checks.append(_expected_source_sql(topics))
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
FROM (
  SELECT {carry}`topic`,
    {extracted}
  FROM message_fields
)
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
