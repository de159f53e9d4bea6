"""The catalog's JSON columns are written with ``json_text``: always the text ``json.dumps`` gives."""

from __future__ import annotations

import json

from overlay.catalog.engine import json_text


class Name(str):
    pass


def test_json_text_is_json_dumps() -> None:
    values = [[], {}, None, 0, "x", ["a.b", "c:d"], ["é", "日本", "\n\t\"\\", "\x00", "\ud800"], [Name("n")], ["a", 1], ["a", None],
              [["a", "b"]], {"k": []}, [{"owner": "x"}], ("a", "b"), {"a": ["é"]}, [1.5, True], ["a"] * 1000]
    for value in values:
        assert json_text(value) == json.dumps(value), value


def test_the_catalog_engine_writes_json_with_it(tmp_path) -> None:  # noqa: ANN001
    from overlay.catalog.engine import make_engine

    assert make_engine(f"sqlite:///{tmp_path / 'c.db'}").dialect._json_serializer is json_text
