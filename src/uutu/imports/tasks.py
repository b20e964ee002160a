"""Background tasks (django.tasks; the database backend's worker runs them:
``manage.py db_worker``). Each takes the import's id and is safe to run twice:
it does nothing unless the import is in the state it expects."""

from django.tasks import task


@task
def validate_import(import_id: int) -> None:
    from .services import run_validation

    run_validation(import_id)


@task
def commit_import(import_id: int) -> None:
    from .services import run_commit

    run_commit(import_id)
