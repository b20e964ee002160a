"""The import pages, the background path and the progress block."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from uutu.imports import services, tasks
from uutu.imports.models import Import, Status
from uutu.people.models import Person

from .files import PEOPLE_HEADER, xlsx

ROWS = [
    ["Phạm Thị Hường", "04/03/1985", "001185001111", "Chi hội Thôn Đông", "", ""],
    ["Lò Thị Hai", "31/02/1990", "", "Chi hội Thôn Đông", "", ""],
]


def upload(client, path, slug="hoi-vien"):
    with open(path, "rb") as fh:
        return client.post(reverse("imports:upload", args=[slug]), {"file": fh}, follow=True)


def test_upload_preview_fix_and_commit(world, login, tmp_path):
    client = login(world.users["commune_a"])
    response = upload(client, xlsx(tmp_path / "hoi-vien.xlsx", PEOPLE_HEADER, ROWS))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Dòng 3, cột Ngày sinh: “31/02/1990” không phải là ngày hợp lệ" in html
    assert 'data-testid="import-commit"' not in html
    imp = Import.objects.get()
    assert imp.status == Status.INVALID
    errors = client.get(reverse("imports:errors", args=[imp.pk]))
    assert errors["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(errors.content))
    assert wb["Dòng có lỗi"]["A2"].value == 3

    ROWS_FIXED = [ROWS[0], ["Lò Thị Hai", "28/02/1990", "", "Chi hội Thôn Đông", "", ""]]
    response = upload(client, xlsx(tmp_path / "hoi-vien-sua.xlsx", PEOPLE_HEADER, ROWS_FIXED))
    html = response.content.decode()
    assert 'data-testid="import-commit"' in html
    imp = Import.objects.latest("id")
    assert (imp.to_create, imp.to_update) == (2, 0)
    response = client.post(reverse("imports:commit", args=[imp.pk]), follow=True)
    assert "Đã nhập xong cả tệp." in response.content.decode()
    assert Person.objects.filter(full_name__in=["Phạm Thị Hường", "Lò Thị Hai"]).count() == 2
    # A second click does nothing.
    response = client.post(reverse("imports:commit", args=[imp.pk]), follow=True)
    assert "chưa sẵn sàng để nhập hoặc đã được nhập" in response.content.decode()
    listing = client.get(reverse("imports:list")).content.decode()
    assert "hoi-vien-sua.xlsx" in listing and "thêm 2, cập nhật 0" in listing


def test_wrong_file_type_is_refused(world, login):
    client = login(world.users["commune_a"])
    response = client.post(
        reverse("imports:upload", args=["hoi-vien"]),
        {"file": SimpleUploadedFile("a.pdf", b"%PDF")},
    )
    assert "Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv)." in response.content.decode()
    assert not Import.objects.exists()


def test_large_files_run_as_background_tasks_with_progress(world, login, tmp_path, settings):
    """Above the inline limit the check and the commit are enqueued (database
    backend): the page shows a progress bar and polls until the worker is done."""
    settings.IMPORT_INLINE_MAX_ROWS = 0
    client = login(world.users["commune_a"])
    rows = [[f"Hà Thị Số{i:03d}", "01/01/1990", "", "Thôn Đông", "", ""] for i in range(5)]
    response = upload(client, xlsx(tmp_path / "lon.xlsx", PEOPLE_HEADER, rows))
    imp = Import.objects.get()
    assert imp.status == Status.VALIDATING
    html = response.content.decode()
    assert 'data-testid="import-progress"' in html and 'hx-trigger="every 2s"' in html
    from django_tasks_db.models import DBTaskResult

    assert DBTaskResult.objects.filter(task_path="uutu.imports.tasks.validate_import").exists()
    services.write_progress(imp, 2, 5)
    progress = client.get(reverse("imports:progress", args=[imp.pk])).content.decode()
    assert "40%" in progress

    tasks.validate_import.call(imp.pk)  # what the worker does
    imp.refresh_from_db()
    assert imp.status == Status.READY and imp.to_create == 5
    client.post(reverse("imports:commit", args=[imp.pk]))
    imp.refresh_from_db()
    assert imp.status == Status.QUEUED
    assert "Chờ nhập" in client.get(reverse("imports:progress", args=[imp.pk])).content.decode()
    tasks.commit_import.call(imp.pk)
    imp.refresh_from_db()
    assert imp.status == Status.DONE and imp.created == 5
    progress = client.get(reverse("imports:progress", args=[imp.pk])).content.decode()
    assert "hx-trigger" not in progress  # polling stops
    tasks.commit_import.call(imp.pk)  # running it twice does nothing
    assert Person.objects.filter(full_name__startswith="Hà Thị Số").count() == 5


@pytest.mark.parametrize("slug", ["hoi-vien", "ho-so"])
def test_template_download(world, login, slug):
    response = login(world.users["commune_a"]).get(reverse("imports:template", args=[slug]))
    assert response.status_code == 200
    assert "attachment;" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.worksheets[0]["A1"].value == "Họ và tên"


def test_unknown_kind_is_404(world, login):
    client = login(world.users["commune_a"])
    assert client.get(reverse("imports:template", args=["khac"])).status_code == 404
