"""A whole distributed fit in one Spark job of barrier tasks, and the per-partition work both
paths of :mod:`segcore.spark` share (:func:`held`, :func:`answer`, :func:`merged`).

Every barrier task reads its partitions once, keeps their rows as numpy blocks and connects back
to the driver, which runs the core's driver as the per-pass path does but sends each task over
that connection instead of starting a Spark job; the answers (statistics tagged by partition)
are merged in partition order, so both paths give the same bits. A DataFrame with more
partitions than the session's slots is coalesced to them and stored once (``localCheckpoint``;
a barrier stage cannot contain a coalesce), each row keeping the index of its original
partition, so the statistics, k-means|| draws included, are still those of the partitions.
Messages are length-prefixed UTF-8 over TCP; a task proves itself with a random token that only
the job's closure carries.
"""

from __future__ import annotations

import json
import secrets
import socket
import struct
import threading
import time
import uuid
from typing import TYPE_CHECKING, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np

from . import _engine, _segcore, exceptions
from .exceptions import DataError, SegcoreError

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

#: One barrier task's rows of one original partition: (partition, rows, sample weights).
Held = Tuple[int, np.ndarray, Optional[np.ndarray]]

PARTITION = "__segcore_partition"
_HEADER = struct.Struct(">Q")
# A task's answer is k x d(d+1)/2 numbers per partition at most (a full-covariance mixture);
# anything larger than this is not from one of our tasks.
_MAX_MESSAGE = 1 << 30


def _send(sock: socket.socket, text: str) -> None:
    data = text.encode("utf-8")
    sock.sendall(_HEADER.pack(len(data)) + data)


def _recv_exact(sock: socket.socket, n: int, alive: Callable[[], bool]) -> bytes:
    buffer = bytearray()
    while len(buffer) < n:
        try:
            chunk = sock.recv(min(n - len(buffer), 1 << 20))
        except socket.timeout:
            if not alive():
                raise ConnectionError("the Spark job of the fit ended") from None
            continue
        if not chunk:
            raise ConnectionError("the connection closed in the middle of a fit")
        buffer.extend(chunk)
    return bytes(buffer)


def _recv(sock: socket.socket, alive: Callable[[], bool] = lambda: True) -> str:
    (length,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size, alive))
    if length > _MAX_MESSAGE:
        raise ConnectionError(f"a message of {length} bytes is not from a segcore task")
    return _recv_exact(sock, length, alive).decode("utf-8")


def held(batches: Iterator["pd.DataFrame"], columns: List[str], float32: bool, weight: Optional[str]) -> List[Held]:
    """A task's rows by original partition (``PARTITION``), in partition order (a batch may end
    one partition and start the next after a coalesce)."""
    dtype = np.float32 if float32 else np.float64
    parts: Dict[int, List[Tuple[np.ndarray, Optional[np.ndarray]]]] = {}
    for batch in (b for b in batches if len(b)):
        partitions = batch[PARTITION].to_numpy(dtype=np.int64)
        x = batch[columns].to_numpy(dtype=dtype)
        w = None if weight is None else batch[weight].to_numpy(dtype=dtype)
        starts = np.concatenate([[0], np.flatnonzero(np.diff(partitions)) + 1, [len(batch)]])
        for a, b in zip(starts[:-1], starts[1:]):
            parts.setdefault(int(partitions[a]), []).append((x[a:b], None if w is None else w[a:b]))
    return [
        (p, np.concatenate([x for x, _ in blocks]), None if weight is None else np.concatenate([w for _, w in blocks]))
        for p, blocks in sorted(parts.items())
    ]


def answer(task: str, rows: List[Held]) -> str:
    """``task`` on every partition held: their statistics tagged by partition, or the core's
    error (raised on the driver with its class by :func:`merged`)."""
    try:
        return json.dumps({"parts": [[p, _engine.run_task(task, x, p, w)] for p, x, w in rows]})
    except SegcoreError as error:  # travels as its class name and message
        return json.dumps({"error": [type(error).__name__, str(error)]})


def merged(replies: Iterable[str]) -> str:
    """The tasks' answers merged in partition order (the first error raised)."""
    parts: List[Tuple[int, str]] = []
    for reply in map(json.loads, replies):
        if "error" in reply:
            name, message = reply["error"]
            cls = getattr(exceptions, name, None)
            raise (cls if isinstance(cls, type) and issubclass(cls, SegcoreError) else SegcoreError)(message)
        parts.extend((int(p), str(doc)) for p, doc in reply["parts"])
    if not parts:
        raise DataError("X has no rows in any partition")
    return _segcore.partial_merge_partitions(parts)


class Worker:
    """The function of ``mapInPandas(..., barrier=True)``: one barrier task's partitions ->
    numpy blocks, then the driver's tasks on them until the driver says stop."""

    def __init__(self, address: Tuple[str, int], token: str, columns: List[str], float32: bool, weight: Optional[str]) -> None:
        self.address, self.token = address, token
        self.columns, self.float32, self.weight = columns, float32, weight

    def __call__(self, batches: Iterator["pd.DataFrame"]) -> Iterator["pd.DataFrame"]:
        import pandas as pd
        from pyspark import BarrierTaskContext

        context = BarrierTaskContext.get()
        hello = {"token": self.token, "task": context.partitionId(), "tasks": len(context.getTaskInfos())}
        rows = held(batches, self.columns, self.float32, self.weight)
        with socket.create_connection(self.address, timeout=120) as sock:
            sock.settimeout(None)
            _send(sock, json.dumps(hello))
            while task := _recv(sock):
                _send(sock, answer(task, rows))
        yield pd.DataFrame({"partitions": [len(rows)]})


def slots(session: "SparkSession") -> int:
    """Tasks the session runs at once (Spark's own count of free slots for the default resource
    profile, which barrier mode checks; else the default parallelism over ``spark.task.cpus``)."""
    context = session.sparkContext
    try:
        jvm = context._jsc.sc()
        count = int(jvm.maxNumConcurrentTasks(jvm.resourceProfileManager().defaultResourceProfile()))
        if count > 0:
            return count
    except Exception:  # noqa: BLE001 - an internal API: fall back to the configuration
        pass
    cpus = int(context.getConf().get("spark.task.cpus", "1") or 1)
    return max(1, int(context.defaultParallelism) // max(1, cpus))


def usable(session: "SparkSession") -> bool:
    """Whether barrier mode applies: a classic session (with a SparkContext), Spark >= 3.5
    (``mapInPandas(barrier=True)``) and no dynamic allocation (barrier stages refuse it)."""
    try:
        import pyspark

        context = session.sparkContext
    except Exception:  # noqa: BLE001 - Spark Connect sessions have no SparkContext
        return False
    dynamic = str(context.getConf().get("spark.dynamicAllocation.enabled", "false")).lower() == "true"
    return tuple(int(v) for v in pyspark.__version__.split(".")[:2]) >= (3, 5) and not dynamic


def fit(df: "DataFrame", columns: List[str], float32: bool, weight: Optional[str], driver: _engine.Driver) -> None:
    """Runs ``driver`` to its end over the rows of ``df`` (its ``columns`` and ``weight``
    column) in one Spark job of barrier tasks."""
    from pyspark.sql import functions as F

    tagged = df.withColumn(PARTITION, F.spark_partition_id())
    # Stored: ``tagged`` in n partitions, computed once (a barrier stage may not hold a coalesce;
    # a local checkpoint ends the lineage).
    stored = lambda n: tagged.coalesce(max(1, n)).localCheckpoint(eager=True)  # noqa: E731
    n_partitions, n_slots = df.rdd.getNumPartitions(), slots(df.sparkSession)
    if n_partitions > n_slots:
        return _run(stored(n_slots), columns, float32, weight, driver)
    try:
        _run(tagged, columns, float32, weight, driver)
    except Exception as error:  # noqa: BLE001 - only Spark's refusal of the plan is retried
        if "BarrierJobUnsupportedRDDChain" not in str(error):
            raise
        # The plan changes the partition count within the stage (a coalesce, a union, a
        # limit): Spark refuses it before any task runs, so the driver has not moved.
        _run(stored(n_partitions), columns, float32, weight, driver)


def _run(tagged: "DataFrame", columns: List[str], float32: bool, weight: Optional[str], driver: _engine.Driver) -> None:
    context = tagged.sparkSession.sparkContext
    conf = context.getConf()
    host = conf.get("spark.driver.host", "localhost")
    server = socket.create_server((conf.get("spark.driver.bindAddress", host), 0))
    server.settimeout(0.5)
    token = secrets.token_hex(32)
    worker = Worker((host, server.getsockname()[1]), token, columns, float32, weight)
    group = f"segcore-fit-{uuid.uuid4().hex}"
    failed: List[BaseException] = []  # the job's error, handed to the fitting thread

    def run_job() -> None:
        try:
            context.setJobGroup(group, "segcore: distributed fit (barrier tasks)", True)
            tagged.mapInPandas(worker, schema="partitions long", barrier=True).collect()
        except BaseException as error:  # noqa: BLE001 - handed to the fitting thread
            failed.append(error)

    job = threading.Thread(target=run_job, name=group, daemon=True)
    job.start()
    connections: List[Tuple[int, socket.socket]] = []
    finished = False
    try:
        connections = _connect(server, token, job.is_alive)
        while (task := driver.next_task()) is not None:
            for _, sock in connections:
                _send(sock, task)
            driver.receive(merged([_recv(sock, job.is_alive) for _, sock in connections]))
        finished = True
    except ConnectionError:
        # A task stopped: its job fails with the task's error (give Spark time to say so).
        job.join(timeout=60)
        if job.is_alive():
            context.cancelJobGroup(group)
            job.join()
        if failed:
            raise failed[0] from None
        raise
    finally:
        for _, sock in connections:  # tasks waiting for the next pass end normally
            try:
                _send(sock, "")
            except OSError:
                pass
        if not finished:
            context.cancelJobGroup(group)
        job.join()
        for _, sock in connections:
            sock.close()
        server.close()
    if failed:
        raise failed[0]


def _connect(
    server: socket.socket, token: str, alive: Callable[[], bool]
) -> List[Tuple[int, socket.socket]]:
    """One connection per barrier task (each says how many tasks its stage has), by task."""
    connections: List[Tuple[int, socket.socket]] = []
    expected: Optional[int] = None
    try:
        while expected is None or len(connections) < expected:
            if not alive():
                raise ConnectionError("the barrier tasks of the fit did not all start")
            try:
                sock, _ = server.accept()
            except socket.timeout:
                continue
            sock.settimeout(1.0)
            deadline = time.monotonic() + 60  # a task says hello as soon as it connects
            try:
                hello = json.loads(_recv(sock, lambda: alive() and time.monotonic() < deadline))
            except (ConnectionError, ValueError):
                sock.close()
                continue
            if not (isinstance(hello, dict) and secrets.compare_digest(str(hello.get("token")), token)):
                sock.close()
                continue
            connections.append((int(hello["task"]), sock))
            expected = int(hello["tasks"])
    except BaseException:
        for _, sock in connections:
            sock.close()
        raise
    connections.sort(key=lambda c: c[0])
    return connections
