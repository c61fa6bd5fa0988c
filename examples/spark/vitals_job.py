"""vitals-bench external mode: the record rules over Kafka with Spark Structured Streaming.

The contract is docs/EXTERNAL.md: the harness starts this job with the run's topics, rules
file, work folder and database in its environment, waits for VITALS_READY on stdout, sends
the load, and judges the job by the rows it writes to external_results. This job evaluates
the record rules only (one alert row per rule that fires on a reading); window rules are
skipped, as the contract explains.

    python vitals_job.py                 # the job (environment: see docs/EXTERNAL.md)
    python vitals_job.py --prefetch-jars # resolve the Kafka connector into the Ivy cache, stop

Versions: pyspark 3.5.1 with org.apache.spark:spark-sql-kafka-0-10_2.12:3.5.1 (they must
match), PyMySQL for the writes. scripts/spark.sh installs them.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import threading
from functools import reduce
from types import FrameType
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import pymysql
import pyspark.java_gateway
from pyspark import SparkContext
from pyspark.sql import Column, DataFrame, Row, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery, StreamingQueryListener
from pyspark.sql.types import DoubleType, IntegerType, LongType, StringType, StructField, StructType

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "common"))
from vitals_contract import (  # noqa: E402 (examples/common, on the path just above)
    EARLIEST_EVENT_TIME,
    INTEGER_FIELD_RANGE,
    MAX_FUTURE_MS,
    MAX_SOURCE_LENGTH,
    POSSIBLE_RANGE,
    SOURCE_NAMES,
    ConfigError,
    DbParams,
    RecordRule,
    RunConfig,
    cache_path,
    load_run_config,
    log,
    ready_line,
)
from jvm_child import popen_ignoring_sigterm, wait_or_kill  # noqa: E402

KAFKA_PACKAGE = "org.apache.spark:spark-sql-kafka-0-10_2.12:3.5.1"

MAX_SEQ = INTEGER_FIELD_RANGE["seq"][1]

# The rule comparisons as Spark column expressions.
COLUMN_COMPARISONS: Dict[str, Callable[[Column, Any], Column]] = {
    ">": lambda c, v: c > v,
    ">=": lambda c, v: c >= v,
    "<": lambda c, v: c < v,
    "<=": lambda c, v: c <= v,
}

READING_SCHEMA = StructType(
    [
        StructField("patient_id", IntegerType()),
        StructField("source", StringType()),
        StructField("seq", LongType()),
        StructField("event_time", LongType()),
        StructField("heart_rate", IntegerType()),
        StructField("body_temperature", DoubleType()),
        StructField("blood_pressure_systolic", IntegerType()),
        StructField("blood_pressure_diastolic", IntegerType()),
        StructField("spo2_level", IntegerType()),
        StructField("timestamp", StringType()),
        StructField("run_id", StringType()),
    ]
)
# Every field but `timestamp`, which no check or rule reads, must be present and well typed.
REQUIRED_FIELDS = [f.name for f in READING_SCHEMA.fields if f.name != "timestamp"]

INSERT_BATCH_SQL = "INSERT IGNORE INTO external_batches (run_id, mode, batch_id) VALUES (%s, %s, %s)"
INSERT_RESULT_SQL = (
    "INSERT INTO {table} (run_id, mode, rule_id, patient_id, seq, event_time) VALUES (%s, %s, %s, %s, %s, %s)"
)
SEEN_SQL = "SELECT DISTINCT patient_id, seq FROM {table} WHERE run_id = %s AND mode = %s AND seq IS NOT NULL"

AlertRow = Tuple[str, str, str, int, int, int]
ReadingKey = Tuple[int, int]


# ---------------------------------------------------------------------------------------------
# Configuration


def default_ivy_dir() -> str:
    """VITALS_SPARK_IVY, else <cache>/spark/ivy as scripts/spark.sh fills it."""
    return cache_path("VITALS_SPARK_IVY", "spark", "ivy")


# ---------------------------------------------------------------------------------------------
# Spark


# The Spark JVM, as launch_jvm_ignoring_sigterm() saw it started.
_JVMS: List["subprocess.Popen[bytes]"] = []


def launch_jvm_ignoring_sigterm() -> None:
    """Have PySpark start its JVM with SIGTERM ignored (examples/common/jvm_child.py: else the
    graceful query.stop() below would fail), and remember the process: end_jvm() ends it.
    PySpark starts the JVM with pyspark.java_gateway.Popen."""
    pyspark.java_gateway.Popen = popen_ignoring_sigterm(pyspark.java_gateway.Popen, _JVMS.append)  # type: ignore[attr-defined]


def end_jvm(timeout_s: float) -> None:
    """Close the JVM's stdin (PySpark's gateway exits at its end) and wait for it; kill it after
    timeout_s (at once with 0: before its gateway runs, the JVM does not read its stdin)."""
    for proc in _JVMS:
        if proc.poll() is None and proc.stdin is not None and not proc.stdin.closed:
            proc.stdin.close()
        wait_or_kill(proc, timeout_s, "Spark")


def stop_spark(spark: SparkSession) -> None:
    """Stop Spark, then its JVM: the job ends with its whole process group."""
    spark.stop()
    if SparkContext._gateway is not None:
        SparkContext._gateway.shutdown()
    end_jvm(15)


def build_session(ivy_dir: str, scratch_dir: str) -> SparkSession:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Spark's scratch (block manager, shuffle files) in the run's work folder, not /tmp. Set by
    # environment: the equivalent spark.local.dir makes Spark log a warning at every start.
    os.environ["SPARK_LOCAL_DIRS"] = os.path.join(scratch_dir, "spark-local")
    launch_jvm_ignoring_sigterm()
    spark = (
        SparkSession.builder.appName("vitals-bench-spark")
        # The machine has 2 cores, shared with Kafka, the database and the harness.
        .master("local[2]")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # a progress bar per micro-batch on stderr
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.jars.packages", KAFKA_PACKAGE)
        .config("spark.jars.ivy", ivy_dir)
        .config("spark.sql.warehouse.dir", os.path.join(scratch_dir, "spark-warehouse"))
        # query.stop() waits for the running micro-batch; bounded, under the harness's 20 s.
        .config("spark.sql.streaming.stopTimeout", "15000")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    return spark


def expected_source(topic: Column) -> Column:
    """sourceForTopic(): health_data_source<N> carries Device_A..Device_I, then Device_<N>;
    null for a topic outside that naming (its messages are then not checked against it)."""
    n = F.regexp_extract(topic, r"health_data_source(\d+)$", 1)
    index = n.cast("long")
    named = F.element_at(F.array(*[F.lit(s) for s in SOURCE_NAMES]), index.cast("int"))
    return (
        F.when(n == "", F.lit(None).cast("string"))
        .when(index.between(1, len(SOURCE_NAMES)), named)
        .otherwise(F.concat(F.lit("Device_"), index.cast("string")))
    )


def reading_is_valid(run_id: str) -> Column:
    """The checks of parseReading() (src/domain/reading.ts), but the lone-surrogate one.

    from_json leaves a field null when it is missing or of another JSON type (a string for
    a number, a fraction for an integer, an integer out of range), so a null field rejects.
    The future bound compares with the micro-batch's timestamp, which a replay reuses.
    """
    r = F.col("r")
    vitals = [r[v].between(lo, hi) for v, (lo, hi, _integer) in POSSIBLE_RANGE.items()]
    temperature_x10 = r["body_temperature"] * 10
    expected = expected_source(F.col("topic"))
    checks = [
        F.col("value").rlike(r"^\s*\{"),  # an object: from_json would take a one-element array
        *[r[name].isNotNull() for name in REQUIRED_FIELDS],
        r["run_id"] == F.lit(run_id),
        r["patient_id"] >= 0,
        r["seq"].between(0, MAX_SEQ),
        r["event_time"] >= EARLIEST_EVENT_TIME,
        r["event_time"] - F.unix_millis(F.current_timestamp()) <= MAX_FUTURE_MS,
        F.length(r["source"]).between(1, MAX_SOURCE_LENGTH),
        expected.isNull() | (r["source"] == expected),
        *vitals,
        F.abs(temperature_x10 - F.round(temperature_x10)) <= 1e-6,  # one decimal at most
        r["blood_pressure_diastolic"] < r["blood_pressure_systolic"],
    ]
    return reduce(lambda a, b: a & b, checks)


def rule_hits(rules: Sequence[RecordRule]) -> Column:
    """The ids of the rules that fire on the reading, in rule order."""
    if not rules:
        return F.array().cast("array<string>")
    fired = [F.when(COLUMN_COMPARISONS[rule.op](F.col(rule.vital), F.lit(rule.value)), F.lit(rule.id)) for rule in rules]
    return F.filter(F.array(*fired), lambda rule_id: rule_id.isNotNull())


def alert_stream(spark: SparkSession, cfg: RunConfig) -> DataFrame:
    """Readings that fire at least one rule: patient_id, seq, event_time, rule_ids."""
    raw = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", cfg.brokers)
        .option("subscribe", ",".join(cfg.topics))
        .option("startingOffsets", "earliest")
        # A task's consumer leaves a fetch in flight when it is done with its offset range, and
        # the next micro-batch's fetch from that partition waits until the broker answers it:
        # after fetch.max.wait.ms (500 ms by default) when no new data has come. Every range
        # Spark asks for is already in the log, so the broker need not wait at all. Measured
        # here at 100 readings/s: median alert latency 1.3 s with 500, 0.6 s with 0.
        .option("kafka.fetch.max.wait.ms", "0")
        .load()
    )
    parsed = raw.select(
        F.col("topic"),
        F.col("value").cast("string").alias("value"),
    ).withColumn("r", F.from_json(F.col("value"), READING_SCHEMA))
    readings = parsed.where(reading_is_valid(cfg.run_id)).select("r.*")
    return readings.select(
        "patient_id", "seq", "event_time", rule_hits(cfg.rules).alias("rule_ids")
    ).where(F.size("rule_ids") > 0)


# ---------------------------------------------------------------------------------------------
# Database


def connect(db: DbParams) -> pymysql.connections.Connection:
    return pymysql.connect(
        host=db.host,
        port=db.port,
        user=db.user,
        password=db.password,
        database=db.database,
        autocommit=False,
        charset="utf8mb4",
        connect_timeout=10,
        read_timeout=60,
        write_timeout=60,
    )


class ResultStore:
    """The job's rows in the database: external_results (or VITALS_RESULTS_TABLE) and
    external_batches, through one PyMySQL connection used by one thread at a time (the main
    thread before the query starts, then the foreachBatch calls, which Spark makes in turn)."""

    def __init__(self, conn: pymysql.connections.Connection, cfg: RunConfig):
        self.conn = conn
        self.run_id = cfg.run_id
        self.mode = cfg.mode
        self.insert_result_sql = INSERT_RESULT_SQL.format(table=cfg.results_table)
        self.seen_sql = SEEN_SQL.format(table=cfg.results_table)

    def alerted_readings(self) -> Set[ReadingKey]:
        """(patient_id, seq) of the readings this run and mode has alerted on already (by an
        earlier start of the job). Also checks, before Spark's long start, that both tables
        are there."""
        with self.conn.cursor() as cur:
            cur.execute("SELECT 1 FROM external_batches LIMIT 0")
            cur.execute(self.seen_sql, (self.run_id, self.mode))
            seen = {(int(p), int(s)) for p, s in cur.fetchall()}
        self.conn.commit()  # ends the read transaction, whose snapshot would hide later commits
        return seen

    def write_batch(self, batch_id: int, rows: List[AlertRow]) -> bool:
        """One transaction: claim the batch id, insert its rows. False when an earlier attempt
        committed this batch already (Spark runs the last batch again after a restart when
        its commit log lacks it)."""
        self.conn.ping(reconnect=True)
        try:
            with self.conn.cursor() as cur:
                if cur.execute(INSERT_BATCH_SQL, (self.run_id, self.mode, batch_id)) == 0:
                    self.conn.rollback()
                    return False
                if rows:
                    cur.executemany(self.insert_result_sql, rows)
            self.conn.commit()
            return True
        except BaseException:
            self.conn.rollback()
            raise


class AlertWriter:
    """The foreachBatch sink, run on the driver: a micro-batch's alerts are few, so they are
    collected and written with PyMySQL in one transaction."""

    def __init__(self, store: ResultStore, verbose: bool = False):
        self.store = store
        # (patient_id, seq) of every reading alerted on so far, committed: the generator may
        # send a reading twice, and the two copies can fall into two micro-batches.
        self.seen = store.alerted_readings()
        self.rows_written = 0
        self.verbose = verbose

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        t0 = time.monotonic()
        readings = batch.collect()
        t1 = time.monotonic()
        rows, keys = self.new_alerts(readings)
        written = self.store.write_batch(batch_id, rows)
        if written:
            self.seen.update(keys)
            self.rows_written += len(rows)
        if self.verbose and (readings or not written):
            log(
                f"batch {batch_id}: collect {1000 * (t1 - t0):.0f} ms, write {1000 * (time.monotonic() - t1):.0f} ms, "
                f"{len(rows) if written else 0} row(s){'' if written else ' (written before: skipped)'}"
            )

    def new_alerts(self, readings: Iterable[Row]) -> Tuple[List[AlertRow], Set[ReadingKey]]:
        """Alert rows of the readings not alerted on before, one copy of each reading."""
        run_id, mode = self.store.run_id, self.store.mode
        rows: List[AlertRow] = []
        keys: Set[ReadingKey] = set()
        for r in sorted(readings, key=lambda r: (r.patient_id, r.seq)):
            key = (r.patient_id, r.seq)
            if key in self.seen or key in keys:
                continue
            keys.add(key)
            rows.extend((run_id, mode, rule_id, r.patient_id, r.seq, r.event_time) for rule_id in r.rule_ids)
        return rows, keys


# ---------------------------------------------------------------------------------------------
# Life cycle


class Shutdown:
    """SIGTERM/SIGINT handling. Before the query runs, a signal exits at once (status 0);
    once it runs, the main loop stops it gracefully."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.query_started = False

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self.handle)
        signal.signal(signal.SIGINT, self.handle)

    def handle(self, signum: int, _frame: Optional[FrameType]) -> None:
        self.requested.set()
        if not self.query_started:
            log(f"{signal.Signals(signum).name} before the query started: exiting")
            end_jvm(0)
            raise SystemExit(0)


class ProgressLog(StreamingQueryListener):
    """With VITALS_SPARK_PROGRESS=1: one stderr line per micro-batch that read data, with
    Spark's own durations (ms), to see where a micro-batch's time goes."""

    def onQueryStarted(self, event: Any) -> None:
        pass

    def onQueryProgress(self, event: Any) -> None:
        p = event.progress
        if p.numInputRows > 0:
            log(f"batch {p.batchId}: {p.numInputRows} message(s), durations {json.dumps(p.durationMs, sort_keys=True)}")

    def onQueryIdle(self, event: Any) -> None:
        pass

    def onQueryTerminated(self, event: Any) -> None:
        pass


def start_query(spark: SparkSession, cfg: RunConfig, writer: AlertWriter) -> StreamingQuery:
    # No trigger: the default starts the next micro-batch as soon as the previous one ends, and
    # an idle query looks for new offsets every 10 ms, so a reading waits for at most the
    # micro-batch running when it arrives. A micro-batch takes 0.3-1.5 s on this 2-core machine:
    # under load a small processingTime trigger behaves the same, and after an idle spell it
    # adds up to its interval to the first alerts. The price of the default is CPU while idle:
    # about a third of a core (a 100 ms trigger: a tenth).
    return (
        alert_stream(spark, cfg)
        .writeStream.queryName(f"vitals_{cfg.mode}")
        .option("checkpointLocation", os.path.join(cfg.work_dir, "checkpoint"))
        .foreachBatch(writer)
        .start()
    )


def wait_first_trigger(query: StreamingQuery, shutdown: Shutdown) -> bool:
    """True once the query has completed its first trigger: the Kafka source has fetched the
    earliest offsets of every topic (and, when it ran, batch 0 has been written)."""
    while query.lastProgress is None:
        if shutdown.requested.is_set():
            return False
        if query.awaitTermination(0.1):  # raises when the query failed
            raise RuntimeError("the query ended before its first trigger")
    return True


def run_until_stopped(query: StreamingQuery, shutdown: Shutdown) -> None:
    while not shutdown.requested.is_set():
        if query.awaitTermination(0.5):  # raises when the query failed
            raise RuntimeError("the query ended on its own")


def run_job() -> int:
    t0 = time.monotonic()
    shutdown = Shutdown()
    shutdown.install()
    cfg = load_run_config()
    conn = connect(cfg.db)
    verbose = os.environ.get("VITALS_SPARK_PROGRESS") == "1"
    writer = AlertWriter(ResultStore(conn, cfg), verbose)
    spark = build_session(default_ivy_dir(), cfg.work_dir)
    t_session = time.monotonic()
    if verbose:
        spark.streams.addListener(ProgressLog())
    query = start_query(spark, cfg, writer)
    shutdown.query_started = True
    if shutdown.requested.is_set() or not wait_first_trigger(query, shutdown):
        query.stop()
        stop_spark(spark)
        return 0
    print(ready_line(cfg.rules), flush=True)
    log(
        f"ready in {time.monotonic() - t0:.1f} s (Spark session {t_session - t0:.1f} s); "
        f"{len(cfg.rules)} record rule(s), topics {','.join(cfg.topics)}"
    )
    run_until_stopped(query, shutdown)
    log("stop requested: stopping the query")
    query.stop()
    stop_spark(spark)
    conn.close()
    log(f"stopped; {writer.rows_written} result row(s) written by this process")
    return 0


def prefetch_jars(ivy_dir: str) -> int:
    """Start and stop a session so that Ivy downloads the connector and its dependencies."""
    with tempfile.TemporaryDirectory(prefix="vitals-spark-") as scratch:
        stop_spark(build_session(ivy_dir, scratch))
    return 0


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prefetch-jars", action="store_true", help="resolve the Kafka connector's jars and stop")
    args = parser.parse_args(argv)
    if args.prefetch_jars:
        return prefetch_jars(default_ivy_dir())
    try:
        return run_job()
    except ConfigError as err:
        log(f"error: {err}")
        return 2
    except Exception as err:  # reported, then the non-zero exit status says it failed
        log(f"error: {type(err).__name__}: {err}")
        return 1
    finally:
        end_jvm(10)  # after a failure; a clean stop has ended it already


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
