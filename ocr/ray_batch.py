"""Batch OCR on a Ray cluster with Ray Data (``ocr read --out-dir DIR --ray ADDRESS``).

The driver plans the batch (:func:`ocr.batch.plan`: names, collisions, the
output folder left out of the inputs), lists the inputs as a dataset, and a
pool of actors reads them: each actor loads the models once and runs
:func:`ocr.batch.run_batch` on the inputs of each batch it is given, so
results are named, skipped and written atomically exactly as by a local
run. Workers write into the output folder themselves: it must be on a file
system every node sees (NFS, a cluster file system), and the inputs too.

:class:`ReadBatch` is the entry point for your own Ray pipelines::

    import ray
    from ocr.ray_batch import ReadBatch

    ds = ray.data.from_items([{"source": "/nfs/scans/a.png", "name": "a"}, ...])
    done = ds.map_batches(ReadBatch, fn_constructor_kwargs={"out_dir": "/nfs/ocr", "fmt": "json"},
                          batch_size=4, num_cpus=0.5, compute=ray.data.ActorPoolStrategy(size=4))
    for row in done.iter_rows():  # one row per input: source, name, status, pages, error
        ...

Actors reserve half a CPU each by default: on a small machine, actors that
reserve whole CPUs leave none to Ray Data's own tasks and the run stalls.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Callable

from ocr.batch import Job, Outcome, Plan, Summary, run_batch
from ocr.errors import OcrError

log = logging.getLogger(__name__)

#: Inputs per batch given to an actor: small, so progress and failures arrive often.
BATCH_SIZE = 4
#: CPUs each actor reserves (a fraction: see the module's note).
ACTOR_CPUS = 0.5
INSTALL_HINT = ("--ray needs Ray Data: pip install 'ray[data]>=2.40' (the ray extra: pip install '.[ray]' "
                "in the ocr checkout)")


def require_ray():
    """The ``ray`` module with Ray Data, or an :class:`OcrError` saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401  (the extra, not just ray core)
    except ImportError:
        raise OcrError(INSTALL_HINT) from None
    return ray


class ReadBatch:
    """A callable class for ``Dataset.map_batches``: OCR the inputs of each batch into ``out_dir``.

    Rows need ``source`` (the input's path, as every node sees it) and
    ``name`` (its result's path in ``out_dir``, without suffix, ``/``
    separated); rows out add ``status`` (read, skipped, failed), ``pages``
    and ``error``. The models load once per actor, in ``__init__``.
    Relative paths are taken from ``cwd`` (a folder every node sees).
    ``predictor_options`` go to :class:`ocr.pipeline.Predictor` (``model``,
    ``digits``, ``charset``, ``binarization``, ``deskew``, ``remove_lines``).
    """

    def __init__(self, out_dir: str, fmt: str = "text", force: bool = False, jobs: int = 1,
                 dpi: float | None = None, protected: tuple[str, ...] = (), cwd: str = "",
                 predictor_options: dict[str, Any] | None = None) -> None:
        from ocr.pipeline import Predictor

        self.out_dir, self.fmt, self.force, self.jobs, self.dpi = out_dir, fmt, force, jobs, dpi
        self.protected, self.cwd = tuple(protected), cwd
        self.predictor = Predictor(**(predictor_options or {}))
        self.predictor.recognizer  # load now: once per actor, and its errors before any batch

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        jobs = tuple(Job(str(s), str(n)) for s, n in zip(batch["source"], batch["name"]))
        outcomes: list[Outcome] = []
        try:
            run_batch(Plan(jobs, self.out_dir, self.fmt, self.protected, self.cwd), self.predictor,
                      force=self.force, jobs=self.jobs, dpi=self.dpi, on_outcome=outcomes.append)
        except (OcrError, OSError) as exc:  # the rest of this batch failed; the run goes on
            finished = {o.job for o in outcomes}
            outcomes += [Outcome(j, "failed", 0, str(exc)) for j in jobs if j not in finished]
        return {"source": [o.job.source for o in outcomes], "name": [o.job.name for o in outcomes],
                "status": [o.status for o in outcomes], "pages": [o.pages for o in outcomes],
                "error": [o.error for o in outcomes]}


def connect(address: str) -> bool:
    """Connect to Ray at ``address`` (``local`` starts a cluster here); True when we started it."""
    ray = require_ray()
    if ray.is_initialized():
        return False
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                               "logging_level": logging.WARNING, "configure_logging": False}
    try:
        if address == "local":
            ray.init(num_cpus=os.cpu_count() or 2, **options)
        else:
            ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise OcrError(f"--ray {address}: cannot connect ({' '.join(str(exc).split())[:200]})") from None
    return True


def preflight(predictor_options: dict[str, Any]):
    """Before any work: Ray is installed and the models exist (one line each, not actor failures)."""
    ray = require_ray()
    from ocr.models import read_card
    from ocr.pipeline import models_needed

    for model in models_needed(predictor_options.get("model"), predictor_options.get("digits", False)):
        read_card(model)
    return ray


def run_on_ray(plan: Plan, address: str, predictor_options: dict[str, Any], *, workers: int = 2,
               force: bool = False, jobs: int = 1, dpi: float | None = None,
               on_outcome: Callable[[Outcome], None] | None = None) -> Summary:
    """Run ``plan`` on the Ray cluster at ``address`` with ``workers`` actors; as :func:`run_batch` does."""
    ray = preflight(predictor_options)
    started = connect(address)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the caller reports progress per input
        # Ray Data's notes (plans, timings, "progress bars disabled") would bury the summary;
        # its full logs stay in the session folder (/tmp/ray/session_*/logs/ray-data).
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        rows = [{"source": j.source, "name": j.name} for j in plan.jobs]
        done = ray.data.from_items(rows).map_batches(
            ReadBatch, batch_size=BATCH_SIZE, batch_format="numpy", num_cpus=ACTOR_CPUS,
            compute=ray.data.ActorPoolStrategy(size=workers),
            fn_constructor_kwargs={"out_dir": plan.out_dir, "fmt": plan.fmt, "force": force, "jobs": jobs,
                                   "dpi": dpi, "protected": plan.protected, "cwd": os.getcwd(),
                                   "predictor_options": predictor_options})
        summary = Summary()
        for row in done.iter_rows():
            outcome = Outcome(Job(str(row["source"]), str(row["name"])), str(row["status"]), int(row["pages"]),
                              str(row["error"]))
            summary.add(outcome)
            if on_outcome:
                on_outcome(outcome)
    finally:
        if started:
            ray.shutdown()
    order = {job: i for i, job in enumerate(plan.jobs)}
    summary.failed.sort(key=lambda o: order.get(o.job, len(order)))
    return summary
