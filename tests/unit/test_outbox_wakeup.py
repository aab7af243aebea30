"""The outbox loop sleeps between polls, and a recorded item wakes it at once."""

import asyncio
import threading

from wbserver.workers.outbox import Wakeup, outbox_loop


class CountingWorker:
    def __init__(self) -> None:
        self.passes = 0

    def run_once(self) -> int:
        self.passes += 1
        return 0


def test_a_wakeup_from_another_thread_starts_a_pass_before_the_poll_interval():
    async def scenario() -> int:
        worker, wakeup = CountingWorker(), Wakeup()
        task = asyncio.create_task(outbox_loop(worker, wakeup, interval=3600))
        while worker.passes < 1:
            await asyncio.sleep(0.01)
        threading.Thread(target=wakeup.set).start()
        for _ in range(500):  # well before the hour the poll would take
            if worker.passes >= 2:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        return worker.passes

    assert asyncio.run(scenario()) == 2


def test_a_wakeup_before_the_loop_runs_is_harmless():
    Wakeup().set()
