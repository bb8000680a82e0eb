"""/metrics under gunicorn reads every worker's metrics file: a file a new worker has just
created (still empty) must not turn the whole page into a 500."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.metrics import render


def test_a_worker_file_created_a_moment_ago_is_left_out_not_a_500(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from prometheus_client.mmap_dict import MmapedDict

    started = MmapedDict(str(tmp_path / "counter_101.db"))
    started.write_value(
        '["http_requests_total", "http_requests_total", {"method": "GET"}, "x"]', 3.0, 0.0
    )
    started.close()
    (tmp_path / "counter_102.db").write_bytes(b"")  # a worker that is starting right now
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))

    response = render()

    assert response.status_code == 200
    assert 'http_requests_total{method="GET"} 3.0' in response.get_data(as_text=True)
