"""vitals-bench external mode: the record rules over Kafka as a Flink SQL job.

The contract is docs/EXTERNAL.md: the harness starts this job with the run's topics, rules
file, work folder and database in its environment, waits for VITALS_READY on stdout, sends
the load, and judges the job by the rows it writes to external_results. Python only writes and
submits the SQL (vitals_sql.py) to a local Flink cluster in the PyFlink JVM, watches the job,
and stops it: no Python runs per record. Window rules are skipped (README.md says why).

    python vitals_job.py                        # the job (environment: docs/EXTERNAL.md)
    python vitals_job.py --print-sql            # the SQL it would submit, password masked
    python vitals_job.py --check-readings FILE  # which messages its checks accept (for tests)

Versions: apache-flink 1.20.5 (PyPI) with the Kafka and JDBC connectors of examples/flink/
pom.xml; scripts/flink.sh installs them.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import warnings
from types import FrameType
from typing import Any, Dict, List, Optional, Sequence, Tuple

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "common"))
import vitals_sql  # noqa: E402 (it imports vitals_contract: examples/common, on the path just above)
from jvm_child import popen_ignoring_sigterm, wait_or_kill  # noqa: E402
from vitals_contract import ConfigError, RunConfig, cache_path, load_run_config, log, ready_line  # noqa: E402
from vitals_sql import JdbcSink  # noqa: E402

# apache-beam, which PyFlink imports, warns at every start that pkg_resources is deprecated.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)

SOURCE_TABLE = "kafka_messages"
SINK_TABLE = "alert_sink"

# The latency settings (README.md, "Tuning" says why each).
SINK_FLUSH_INTERVAL_MS = 5
SINK_FLUSH_MAX_ROWS = 1000
CHECKPOINT_INTERVAL = "10 s"
# A deduplicated reading is forgotten an hour after it was last seen: the generator sends its
# copies within milliseconds, and a run lasts minutes.
STATE_TTL = "1 h"
JVM_HEAP = "-Xmx1g"

# After cancel(), how long the job may take to end, then the JVM to exit (under the harness's 20 s).
CANCEL_TIMEOUT_S = 8.0
JVM_EXIT_TIMEOUT_S = 8.0


class JobFailed(Exception):
    """The Flink job ended or failed while it should run: reported, exit status 1."""


# ---------------------------------------------------------------------------------------------
# Configuration


def jars_dir() -> str:
    """VITALS_FLINK_JARS, else <cache>/flink/jars as scripts/flink.sh fills it."""
    return cache_path("VITALS_FLINK_JARS", "flink", "jars")


def connector_jars() -> List[str]:
    folder = jars_dir()
    jars = sorted(glob.glob(os.path.join(folder, "*.jar")))
    for name in ("flink-connector-kafka", "flink-connector-jdbc-core", "mysql-connector-j"):
        if not any(os.path.basename(j).startswith(name + "-") for j in jars):
            raise ConfigError(f"no {name} jar in {folder}: run bash scripts/flink.sh")
    return jars


def load_config() -> RunConfig:
    """The run's settings; this job needs at least one record rule."""
    cfg = load_run_config()
    if not cfg.rules:
        raise ConfigError(f"{os.environ['VITALS_RULES_FILE']}: no record rule, so nothing for this job to evaluate")
    return cfg


def jdbc_sink(cfg: RunConfig) -> JdbcSink:
    db = cfg.db
    # rewriteBatchedStatements: a flush of n rows is one multi-row INSERT, one round trip.
    # allowPublicKeyRetrieval: MySQL 8.4's caching_sha2_password over a plain connection
    # (docker-compose.yml); MariaDB ignores it.
    url = (
        f"jdbc:mysql://{db.host}:{db.port}/{db.database}"
        "?rewriteBatchedStatements=true&allowPublicKeyRetrieval=true&connectTimeout=10000"
    )
    return JdbcSink(
        url=url,
        table=cfg.results_table,
        user=db.user,
        password=db.password,
        flush_interval_ms=SINK_FLUSH_INTERVAL_MS,
        flush_max_rows=SINK_FLUSH_MAX_ROWS,
    )


def job_statements(cfg: RunConfig, sink: JdbcSink) -> Tuple[List[str], str]:
    """The DDL and views, then the INSERT that is the job."""
    ddl = [
        vitals_sql.kafka_source_sql(SOURCE_TABLE, cfg.brokers, cfg.topics, f"vitals-bench-{cfg.mode}-{cfg.run_id}"),
        vitals_sql.jdbc_sink_sql(SINK_TABLE, sink),
        vitals_sql.message_fields_sql(SOURCE_TABLE, ["proc_time"]),
        vitals_sql.readings_sql(cfg.run_id, cfg.topics, ["proc_time"]),
        vitals_sql.FIRST_COPIES_SQL,
    ]
    return ddl, vitals_sql.alerts_insert_sql(SINK_TABLE, cfg.rules, cfg.run_id, cfg.mode)


def scratch_dir(path: str) -> str:
    os.makedirs(path, exist_ok=True)
    _SCRATCH.append(path)
    return path


def flink_settings(cfg: RunConfig, jars: Sequence[str]) -> Dict[str, str]:
    """The job's Flink configuration (README.md, "Tuning")."""
    work = cfg.work_dir
    return {
        "pipeline.name": f"vitals-bench {cfg.mode} {cfg.run_id}",
        "pipeline.jars": ";".join("file://" + j for j in jars),
        "parallelism.default": "1",
        "execution.buffer-timeout.interval": "0 ms",
        "pipeline.object-reuse": "true",
        "table.exec.state.ttl": STATE_TTL,
        "state.backend.type": "hashmap",
        "execution.checkpointing.interval": CHECKPOINT_INTERVAL,
        "execution.checkpointing.mode": "AT_LEAST_ONCE",
        "execution.checkpointing.dir": "file://" + os.path.join(work, "checkpoints"),
        "execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
        "restart-strategy.type": "none",
        "io.tmp.dirs": scratch_dir(os.path.join(work, "tmp")),
        # Every socket on loopback, on ports the system picks (another Flink on this machine
        # must not collide with this one).
        "rest.address": "127.0.0.1",
        "rest.bind-address": "127.0.0.1",
        "rest.bind-port": "0",
        "jobmanager.rpc.address": "127.0.0.1",
        "jobmanager.bind-host": "127.0.0.1",
        "taskmanager.bind-host": "127.0.0.1",
        "taskmanager.host": "127.0.0.1",
        # The REST metrics readiness reads are cached this long (default 10 s).
        "metrics.fetcher.update-interval": "500 ms",
        # The Kafka source's admin client logs its own closing after the job's class loader is
        # closed, and Flink's check turns that into an error with a stack trace on stderr.
        "classloader.check-leaked-classloader": "false",
    }


# ---------------------------------------------------------------------------------------------
# The PyFlink JVM


# The PyFlink JVM, as watch_jvm_launch() saw it started.
_JVMS: List["subprocess.Popen[bytes]"] = []
# Set: the JVM's watchdog is told that this process is ending, and the JVM exits.
_RELEASE_JVM = threading.Event()
# Flink's scratch folders (io.tmp.dirs: its RPC jar, blobs; tens of MB), removed once the JVM
# has exited.
_SCRATCH: List[str] = []


def watch_jvm_launch() -> None:
    """Have PyFlink start its JVM with SIGTERM ignored (examples/common/jvm_child.py: else it
    would tear the local cluster down under the running job while this process cancels it),
    remember it, and copy its stderr.

    PyFlink starts the JVM with pyflink_gateway_server.Popen and a pipe for its stderr that it
    reads only when the JVM fails to start: a thread copies it to our stderr, or a JVM that
    writes more than a pipe holds would block.
    """
    import pyflink.java_gateway
    import pyflink.pyflink_gateway_server as gateway_server

    def started(proc: "subprocess.Popen[bytes]") -> None:
        _JVMS.append(proc)
        if proc.stderr is not None:
            threading.Thread(target=copy_lines, args=(proc.stderr,), name="jvm-stderr", daemon=True).start()

    gateway_server.Popen = popen_ignoring_sigterm(gateway_server.Popen, started)  # type: ignore[attr-defined]

    # The JVM asks this process's Watchdog every 10 s whether it is still there, and exits
    # (System.exit(0), running its shutdown hooks) when it answers no. PyFlink's answers yes
    # after sleeping 10 s; this one answers no as soon as release_jvm() is called.
    def ping(_self: Any) -> bool:
        return not _RELEASE_JVM.wait(10)

    pyflink.java_gateway.Watchdog.ping = ping  # type: ignore[assignment]


def copy_lines(stream: Any) -> None:
    for line in iter(stream.readline, b""):
        sys.stderr.buffer.write(line)
        sys.stderr.flush()


def end_jvm(timeout_s: float) -> None:
    """Let the JVM exit and wait for it; kill it after timeout_s (at once with 0: before the
    gateway is connected, its watchdog is not asked yet)."""
    _RELEASE_JVM.set()
    for proc in _JVMS:
        wait_or_kill(proc, timeout_s, "Flink")
    forget_gateway()
    for folder in _SCRATCH:
        shutil.rmtree(folder, ignore_errors=True)


def forget_gateway() -> None:
    """Once the JVM is gone: mark PyFlink's gateway closed, or every Java object Python still
    holds would try to reach the JVM when it is garbage-collected at exit (a connection error
    logged for each, for a minute)."""
    import pyflink.java_gateway

    gateway = pyflink.java_gateway._gateway
    if gateway is None or any(proc.poll() is None for proc in _JVMS):
        return
    gateway._gateway_client.is_connected = False
    gateway.shutdown_callback_server()


# ---------------------------------------------------------------------------------------------
# The job


class Shutdown:
    """SIGTERM/SIGINT. Until the job is submitted, a stop exits at once (status 0), killing the
    JVM if it has started: it holds no job yet, and starting it and planning the SQL can take
    longer than the harness's 20 s of grace. Once the job runs, the handler only records the
    request and the main loop cancels the job, then lets the JVM exit (a handler must not raise
    inside a call to the JVM)."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.abrupt = True

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self.handle)
        signal.signal(signal.SIGINT, self.handle)

    def handle(self, signum: int, _frame: Optional[FrameType]) -> None:
        self.requested.set()
        if self.abrupt:
            log(f"{signal.Signals(signum).name} before the job runs: exiting")
            for proc in _JVMS:
                proc.kill()
            raise SystemExit(0)


def create_table_env(settings: Dict[str, str], streaming: bool) -> Any:
    from pyflink.common import Configuration
    from pyflink.table import EnvironmentSettings, TableEnvironment

    # In a local cluster PyFlink starts a gRPC server in this process for Python functions to
    # run in (its "loopback" mode), listening on every interface. The job has no Python
    # function: "process" mode starts nothing until one would run.
    os.environ["_python_worker_execution_mode"] = "process"

    config = Configuration()
    for key, value in settings.items():
        config.set_string(key, value)
    builder = EnvironmentSettings.new_instance().with_configuration(config)
    builder = builder.in_streaming_mode() if streaming else builder.in_batch_mode()
    return TableEnvironment.create(builder.build())


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


class RunningJob:
    """The submitted Flink job, through Flink's JobClient for the local cluster.

    The job's end is read from the client's result future (kept by the client since the
    submission), not by asking the cluster for the job's status: the local cluster shuts down
    as soon as the job ends, and a question asked after that fails."""

    def __init__(self, job_client: Any):
        self.client = job_client
        self.j_client = job_client._j_job_client
        self.job_id = str(job_client.get_job_id())
        self.result = self.j_client.getJobExecutionResult()
        self.rest = self.rest_url()

    def rest_url(self) -> str:
        """The local cluster's REST address. PyFlink's JobClient does not expose it: it is read
        from the MiniCluster that Flink's MiniClusterJobClient holds."""
        field = self.j_client.getClass().getDeclaredField("miniCluster")
        field.setAccessible(True)
        return str(field.get(self.j_client).getRestAddress().get().toString()).rstrip("/")

    def ended(self) -> bool:
        return bool(self.result.isDone())

    def check_running(self) -> None:
        """Raise JobFailed, with Flink's reason, when the job has ended."""
        if not self.ended():
            return
        try:
            self.result.get()
        except Exception as err:  # Flink's failure, with its cause
            raise JobFailed(f"the Flink job ended: {root_cause(err)}") from err
        raise JobFailed("the Flink job finished on its own")

    def source_has_fetched(self, topics: Sequence[str]) -> bool:
        """True once every task of the job runs, the Kafka source's reader has partitions of
        every topic, and its consumer has completed a fetch: subscribed from the earliest
        offsets, first poll done, and the JDBC sink (which connects when its task starts) able
        to write."""
        base = f"{self.rest}/jobs/{self.job_id}"
        job = get_json(base)
        vertices = job.get("vertices", [])
        if job.get("state") != "RUNNING" or not vertices or any(v.get("status") != "RUNNING" for v in vertices):
            return False
        source = next((v for v in vertices if SOURCE_TABLE in v.get("name", "")), None)
        if source is None:
            raise JobFailed(f"no vertex reads {SOURCE_TABLE}: {[v.get('name') for v in vertices]}")
        names = [m["id"] for m in get_json(f"{base}/vertices/{source['id']}/metrics")]
        for topic in topics:
            if not any(f".KafkaSourceReader.topic.{topic}.partition." in n for n in names):
                return False
        fetches = [n for n in names if n.endswith(".KafkaSourceReader.KafkaConsumer.fetch-total")]
        if not fetches:
            return False
        values = get_json(f"{base}/vertices/{source['id']}/metrics?get={','.join(fetches)}")
        return any(float(m.get("value", 0)) > 0 for m in values)

    def wait_ready(self, topics: Sequence[str], shutdown: "Shutdown") -> bool:
        """True once the Kafka source has fetched; False when a stop came first."""
        while not shutdown.requested.is_set():
            self.check_running()
            try:
                if self.source_has_fetched(topics):
                    return True
            except (urllib.error.URLError, OSError, ValueError) as err:
                log(f"REST {self.rest} not answering yet ({err}); retrying")
            shutdown.requested.wait(0.2)
        return False

    def run_until_stopped(self, shutdown: "Shutdown") -> None:
        while not shutdown.requested.wait(0.5):
            self.check_running()

    def cancel(self) -> None:
        """Cancel the job and wait until it has ended (its tasks closed: the sink has flushed)."""
        if self.ended():
            return
        self.j_client.cancel()
        deadline = time.monotonic() + CANCEL_TIMEOUT_S
        while not self.ended():
            if time.monotonic() > deadline:
                log(f"the job did not end within {CANCEL_TIMEOUT_S:g} s of its cancellation")
                return
            time.sleep(0.1)


def root_cause(err: BaseException) -> str:
    """The last 'Caused by' of a Java exception (the useful line), else its first line."""
    text = str(err).strip()
    causes = re.findall(r"Caused by: (.*)", text)
    return (causes[-1] if causes else text.splitlines()[0] if text else type(err).__name__)[:500]


def run_job() -> int:
    t0 = time.monotonic()
    shutdown = Shutdown()
    shutdown.install()
    cfg = load_config()
    jars = connector_jars()
    os.environ.setdefault("FLINK_LOG_DIR", os.path.join(cfg.work_dir, "flink-log"))
    os.environ.setdefault("JVM_ARGS", f"{JVM_HEAP} -XX:+ExitOnOutOfMemoryError")
    ddl, insert = job_statements(cfg, jdbc_sink(cfg))
    watch_jvm_launch()
    t_env = create_table_env(flink_settings(cfg, jars), streaming=True)
    t_jvm = time.monotonic()
    for statement in ddl:
        t_env.execute_sql(statement)
    job = RunningJob(t_env.execute_sql(insert).get_job_client())
    shutdown.abrupt = False
    t_submitted = time.monotonic()
    if not job.wait_ready(cfg.topics, shutdown):
        job.cancel()
        return 0
    print(ready_line(cfg.rules), flush=True)
    log(
        f"ready in {time.monotonic() - t0:.1f} s (JVM {t_jvm - t0:.1f} s, submitted at {t_submitted - t0:.1f} s); "
        f"Flink job {job.job_id}, {len(cfg.rules)} record rule(s), topics {','.join(cfg.topics)}, REST {job.rest}; "
        f"pids: launcher {os.getpid()}, JVM {' '.join(str(p.pid) for p in _JVMS)}"
    )
    job.run_until_stopped(shutdown)
    log("stop requested: cancelling the job")
    job.cancel()
    log("job cancelled")
    return 0


# ---------------------------------------------------------------------------------------------
# Other entry points


def print_sql() -> int:
    """The statements run_job() submits, the JDBC password masked."""
    cfg = load_config()
    sink = jdbc_sink(cfg)
    ddl, insert = job_statements(cfg, JdbcSink(**{**sink.__dict__, "password": "****"}))
    for statement in [*ddl, insert]:
        print(statement.strip() + ";\n")
    return 0


def check_readings(path: str) -> int:
    """Which of the messages in FILE the job's checks accept, as a JSON list of their indexes on
    stdout. FILE: {"run_id": ..., "messages": [{"topic": ..., "value": ... or null}, ...]}. The
    same views as the job, in batch mode over the messages as a VALUES table."""
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    messages = [(m["topic"], m["value"]) for m in spec["messages"]]
    topics = sorted({t for t, _ in messages})
    scratch = scratch_dir(tempfile.mkdtemp(prefix="vitals-flink-check-"))
    os.environ["FLINK_LOG_DIR"] = scratch
    watch_jvm_launch()
    try:
        settings = {"parallelism.default": "1", "io.tmp.dirs": scratch, "rest.bind-address": "127.0.0.1"}
        t_env = create_table_env(settings, streaming=False)
        t_env.execute_sql(vitals_sql.check_values_sql("messages", messages))
        t_env.execute_sql(vitals_sql.message_fields_sql("messages", ["message_index"]))
        t_env.execute_sql(vitals_sql.readings_sql(spec["run_id"], topics, ["message_index"]))
        with t_env.execute_sql("SELECT message_index FROM readings").collect() as rows:
            accepted = sorted(int(row[0]) for row in rows)
        print(json.dumps(accepted), flush=True)
        return 0
    finally:
        end_jvm(JVM_EXIT_TIMEOUT_S)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--print-sql", action="store_true", help="print the SQL the job would submit and stop")
    parser.add_argument("--check-readings", metavar="FILE", help="print which messages of FILE the checks accept")
    args = parser.parse_args(argv)
    try:
        if args.check_readings:
            return check_readings(args.check_readings)
        if args.print_sql:
            return print_sql()
        return run_job()
    except ConfigError as err:
        log(f"error: {err}")
        return 2
    except JobFailed as err:
        log(f"error: {err}")
        return 1
    except Exception as err:  # reported, then the non-zero exit status says it failed
        log(f"error: {type(err).__name__}: {root_cause(err)}")
        return 1
    finally:
        end_jvm(JVM_EXIT_TIMEOUT_S)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
