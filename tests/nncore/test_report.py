"""The run report: PNG images decoded independently, charts placed where the data says,
and an HTML report with every section, from the CLI too."""

from __future__ import annotations

import base64
import re
import struct
import zlib
from html.parser import HTMLParser

import numpy as np
import pytest

from nncore.assignments import Goal, make_assignment
from nncore.cli import main
from nncore.png import SERIES, Canvas, Chart, nice_ticks, png_bytes
from nncore.project import Project, save_project
from nncore.report import project_report
from nncore.session import Session
from nncore.spec import DataSpec, OptimizerSpec, TrainingSpec, mlp_spec


def decode_png(data: bytes) -> np.ndarray:
    """A minimal PNG reader (8-bit RGB, filter type 0), written from the specification."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size = 8, b"", None
    while pos < len(data):
        (length,), tag = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(tag + body) & 0xFFFFFFFF
        if tag == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert (depth, color) == (8, 2)
            size = (height, width)
        elif tag == b"IDAT":
            idat += body
        pos += 12 + length
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(size[0], -1)
    assert np.all(rows[:, 0] == 0)
    return rows[:, 1:].reshape(size[0], size[1], 3)


def test_png_round_trips_through_an_independent_decoder():
    pixels = np.random.default_rng(0).integers(0, 256, (7, 11, 3), dtype=np.uint8)
    assert np.array_equal(decode_png(png_bytes(pixels)), pixels)


def test_chart_draws_the_line_where_the_data_is():
    chart = Chart((0.0, 10.0), (0.0, 1.0))
    chart.line([0, 10], [0, 1], SERIES[0])
    image = decode_png(chart.canvas.png())
    x, y = round(float(chart.px(5.0))), round(float(chart.py(0.5)))
    assert tuple(image[y, x]) == SERIES[0]
    # the middle of the plot far from the line stays background or grid
    far_y = round(float(chart.py(0.9)))
    assert tuple(image[far_y, x]) != SERIES[0]
    # on a log axis a decade is the same height everywhere
    log = Chart((0.0, 1.0), (1e-3, 1e3), log_y=True)
    gaps = np.diff(log.py(np.array([1e-2, 1e-1, 1.0, 10.0])))
    assert gaps == pytest.approx([gaps[0]] * 3)


def test_numbers_are_written_and_ticks_are_round():
    canvas = Canvas(40, 20)
    canvas.text(2, 2, "0.5")
    assert (canvas.pixels != 255).any()
    assert nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(3.0, 97.0, 5) == [20.0, 40.0, 60.0, 80.0]


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.open = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _project(**changes):
    fields = {"network": mlp_spec([8], "tanh"),
                  "training": TrainingSpec(optimizer=OptimizerSpec("adam", 0.03), epochs=15,
                                        seed=1),
                  "data": DataSpec("moons", {"n": 200, "noise": 0.1}), "title": "Moons <lab 3>"}
    fields.update(changes)
    return Project(**fields)


def test_report_of_a_classification_run_has_every_section():
    project = _project()
    html = project_report(project)
    parser = _Collector()
    parser.feed(html)
    images = [a["src"] for t, a in parser.tags if t == "img"]
    assert len(images) == 3  # loss, accuracy, decision map
    for src in images:
        decode_png(base64.b64decode(src.split(",", 1)[1]))
    for heading in ("Summary", "Training curves", "What the network learned", "Design",
                    "Doctor's findings", "Settings"):
        assert f"<h2>{heading}</h2>" in html
    assert "Moons &lt;lab 3&gt;" in html  # escaped
    session = Session(project.network, project.training, project.data)
    total = re.search(r"<td>total</td>(?:<td>[^<]*</td>){5}<td>(\d+)</td>", html)
    assert int(total.group(1)) == session.network.n_parameters == 2 * 8 + 8 + 8 + 1


def test_report_of_a_regression_assignment_shows_the_fit_and_the_goals():
    project = make_assignment(
        _project(network=mlp_spec([8], "tanh", output_activation="linear"),
                 data=DataSpec("sine", {"n": 101})),
        title="Sine", goals=[Goal("metric", metric="train_r2", min=0.99)])
    html = project_report(project)
    assert "the fitted curve" in html and "<h2>Goals</h2>" in html
    assert "train_r2 ≥ 0.99" in html


def test_cli_report(tmp_path, capsys):
    save_project(_project(), tmp_path / "p.bplab")
    out = tmp_path / "run.html"
    assert main(["report", str(tmp_path / "p.bplab"), "--epochs", "5", "-o", str(out)]) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert main(["report", str(tmp_path / "missing.bplab"), "-o", str(out)]) == 2
    assert "missing.bplab" in capsys.readouterr().err
