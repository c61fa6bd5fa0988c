"""The external-mode contract (docs/EXTERNAL.md) as the example jobs read it: the run's settings
from the environment, the record rules of its rules file, the database to write to, the bounds of
a valid reading, and the ready line. Shared by examples/spark/vitals_job.py and
examples/flink/vitals_job.py (and vitals_sql.py), which put this folder on sys.path before they
import it. It runs in the job's launcher process only: neither job runs Python per record, so
nothing here is shipped to Spark's or Flink's workers. No Spark or Flink import here.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from typing import Any, Dict, List, Tuple
from urllib.parse import unquote, urlparse

READY_LINE = "VITALS_READY"
LOG_PREFIX = "vitals_job:"
MAX_RUN_ID_LENGTH = 64  # external_results.run_id
MAX_MODE_LENGTH = 32  # external_results.mode
DEFAULT_RESULTS_TABLE = "external_results"
TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
# src/pipelines/rules/parse.ts: RULE_ID_PATTERN.
RULE_ID = re.compile(r"[a-z0-9_]{1,64}")
COMPARISONS = (">", ">=", "<", "<=")

# src/domain/reading.ts, kept in step by hand: POSSIBLE_RANGE (min, max, integer),
# INTEGER_FIELD_RANGE (the columns' ranges; event_time: a safe integer), EARLIEST_EVENT_TIME,
# DEFAULT_MAX_FUTURE_MS, SOURCE_NAMES and the source field's length.
POSSIBLE_RANGE: Dict[str, Tuple[float, float, bool]] = {
    "heart_rate": (20, 300, True),
    "body_temperature": (25, 45, False),
    "blood_pressure_systolic": (40, 300, True),
    "blood_pressure_diastolic": (20, 200, True),
    "spo2_level": (50, 100, True),
}
INTEGER_FIELD_RANGE: Dict[str, Tuple[int, int]] = {
    "patient_id": (0, 2_147_483_647),
    "seq": (0, 4_294_967_295),
    "event_time": (0, 9_007_199_254_740_991),
}
EARLIEST_EVENT_TIME = 946_684_800_000  # 2000-01-01T00:00:00Z
MAX_FUTURE_MS = 5 * 60_000  # a whole number of minutes: the Flink SQL writes it as an interval in minutes
MAX_SOURCE_LENGTH = 32
SOURCE_NAMES = [f"Device_{letter}" for letter in "ABCDEFGHI"]


class ConfigError(Exception):
    """A missing or invalid setting: reported in one line, exit status 2."""


@dataclass(frozen=True)
class RecordRule:
    id: str
    vital: str
    op: str
    value: float


@dataclass(frozen=True)
class DbParams:
    host: str
    port: int
    user: str
    password: str
    database: str


@dataclass(frozen=True)
class RunConfig:
    run_id: str
    mode: str
    brokers: str
    topics: List[str]
    rules: List[RecordRule]
    work_dir: str
    db: DbParams
    results_table: str


def log(message: str) -> None:
    print(f"{LOG_PREFIX} {message}", file=sys.stderr, flush=True)


def require_env(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is not set")
    return value


def cache_path(override_env: str, *parts: str) -> str:
    """The folder named by the environment variable override_env, else <cache>/<parts...>, where
    <cache> is VITALS_CACHE_DIR or the project's .cache (as the scripts/ that fill it use)."""
    explicit = os.environ.get(override_env)
    if explicit:
        return os.path.abspath(explicit)
    project = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cache = os.environ.get("VITALS_CACHE_DIR") or os.path.join(project, ".cache")
    return os.path.join(os.path.abspath(cache), *parts)


def db_params_from_env() -> DbParams:
    """MYSQL_HOST/PORT/USER/PASSWORD/DATABASE; else VITALS_JDBC_URL (host, port, database) with
    MYSQL_USER/MYSQL_PASSWORD; else MYSQL_URL."""
    env = os.environ
    if env.get("MYSQL_HOST"):
        return DbParams(
            host=env["MYSQL_HOST"],
            port=int(env.get("MYSQL_PORT") or 3306),
            user=require_env("MYSQL_USER"),
            password=env.get("MYSQL_PASSWORD", ""),
            database=require_env("MYSQL_DATABASE"),
        )
    if env.get("VITALS_JDBC_URL"):
        url = urlparse(env["VITALS_JDBC_URL"][len("jdbc:") :])
        return DbParams(
            host=url.hostname or "127.0.0.1",
            port=url.port or 3306,
            user=require_env("MYSQL_USER"),
            password=env.get("MYSQL_PASSWORD", ""),
            database=url.path.lstrip("/"),
        )
    url = urlparse(require_env("MYSQL_URL"))
    return DbParams(
        host=url.hostname or "127.0.0.1",
        port=url.port or 3306,
        user=unquote(url.username or ""),
        password=unquote(url.password or ""),
        database=url.path.lstrip("/"),
    )


def parse_record_rule(raw: Dict[str, Any]) -> RecordRule:
    rule_id, vital, op, value = raw.get("id"), raw.get("vital"), raw.get("op"), raw.get("value")
    if not isinstance(rule_id, str) or not RULE_ID.fullmatch(rule_id):
        raise ConfigError(f"rule id must match [a-z0-9_]{{1,64}}, got {rule_id!r}")
    if vital not in POSSIBLE_RANGE:
        raise ConfigError(f"rule {rule_id}: unknown vital {vital!r}")
    if op not in COMPARISONS:
        raise ConfigError(f"rule {rule_id}: unknown comparison {op!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or abs(value) == float("inf"):
        raise ConfigError(f"rule {rule_id}: value must be a finite number, got {value!r}")
    return RecordRule(id=rule_id, vital=vital, op=op, value=value)


def load_record_rules(path: str) -> List[RecordRule]:
    """The record rules of the rules file; says on stderr which window rules it skips."""
    try:
        with open(path, encoding="utf-8") as f:
            rule_set = json.load(f)
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot read the rules file {path}: {err}") from err
    rules = rule_set.get("rules") if isinstance(rule_set, dict) else None
    if not isinstance(rules, list):
        raise ConfigError(f"{path}: expected an object with a list 'rules'")
    record: List[RecordRule] = []
    skipped: List[str] = []
    for raw in rules:
        kind = raw.get("kind") if isinstance(raw, dict) else None
        if kind == "record":
            record.append(parse_record_rule(raw))
        elif kind == "window":
            skipped.append(str(raw.get("id")))
        else:
            raise ConfigError(f"{path}: unknown rule {raw!r}")
    if skipped:
        log(f"skipping {len(skipped)} window rule(s), this job evaluates record rules only: {', '.join(skipped)}")
    return record


def load_run_config() -> RunConfig:
    """The run's settings from the environment the harness gives the job (docs/EXTERNAL.md)."""
    run_id = require_env("VITALS_RUN_ID")
    mode = require_env("VITALS_MODE")
    if len(run_id) > MAX_RUN_ID_LENGTH or len(mode) > MAX_MODE_LENGTH:
        raise ConfigError(f"VITALS_RUN_ID (max {MAX_RUN_ID_LENGTH}) or VITALS_MODE (max {MAX_MODE_LENGTH}) too long")
    topics = [t.strip() for t in require_env("VITALS_TOPICS").split(",") if t.strip()]
    results_table = os.environ.get("VITALS_RESULTS_TABLE") or DEFAULT_RESULTS_TABLE
    if not TABLE_NAME.match(results_table):
        raise ConfigError(f"VITALS_RESULTS_TABLE {results_table!r} is not a table name")
    work_dir = os.path.abspath(require_env("VITALS_WORK_DIR"))
    if not os.path.isdir(work_dir):
        raise ConfigError(f"VITALS_WORK_DIR {work_dir} is not a folder")
    return RunConfig(
        run_id=run_id,
        mode=mode,
        brokers=require_env("VITALS_KAFKA_BROKERS"),
        topics=topics,
        rules=load_record_rules(require_env("VITALS_RULES_FILE")),
        work_dir=work_dir,
        db=db_params_from_env(),
        results_table=results_table,
    )


def ready_line(rules: List[RecordRule]) -> str:
    """The line that tells the harness the job is ready. It names the rules this job evaluates
    (the record rules): the harness compares its results on those alone and says which it
    skipped (docs/EXTERNAL.md)."""
    return f"{READY_LINE} {json.dumps({'rules': [r.id for r in rules]})}"
