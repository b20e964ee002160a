import pytest
from django.core.files.uploadedfile import SimpleUploadedFile


@pytest.fixture(autouse=True)
def import_dir(settings, tmp_path):
    settings.IMPORT_DIR = tmp_path / "store"
    return settings.IMPORT_DIR


@pytest.fixture
def run_import():
    """``run_import(user, kind, path)``: upload and check a file as ``user``."""
    from uutu.imports import services

    def _run(user, kind, path, *, commit=False):
        uploaded = SimpleUploadedFile(path.name, path.read_bytes())
        imp = services.start_import(user=user, kind=kind, uploaded=uploaded)
        imp = services.run_validation(imp.pk)
        if commit:
            assert services.queue_commit(imp), (imp.status, imp.errors)
            imp = services.run_commit(imp.pk)
        return imp

    return _run
