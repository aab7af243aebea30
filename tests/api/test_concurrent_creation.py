"""Several requests creating runs in the same new project at the same moment: every one
succeeds and exactly one project exists (SQLite, MariaDB and PostgreSQL)."""

import threading

from tests.postgres import on_every_database
from wbserver.domain.runs import RunUpsert, upsert_run


@on_every_database()
def test_parallel_first_runs_of_a_new_project(api, app):
    store = app.state.services.store
    viewer = store.get_user_by_name("alice")
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def create(i: int) -> None:
        start.wait()
        try:
            upsert_run(store, viewer=viewer, spec=RunUpsert(name=f"r{i}", project="fresh",
                                                            entity="alice"))
        except BaseException as exc:  # noqa: BLE001 - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    project = store.get_project("alice", "fresh")
    assert project is not None and len(store.list_runs(project.id)) == 8
    assert [p.name for p in store.list_projects("alice")].count("fresh") == 1
