"""The learning curve of shapes training: several sessions' logs make one curve."""

from __future__ import annotations

import json

from PIL import Image

from segchat.lab.curve import main, merge, table


def record(step: int, total: float, **extra) -> dict:
    return {"step": step, "minutes": step / 10, "total": total, "top1_mask_iou": 0.5, "presence_pos": 0.9,
            "presence_neg": 0.1, **extra}


def test_sessions_join_in_step_order_and_a_step_logged_twice_keeps_the_later_session():
    first = [record(50, 12.0), record(100, 11.0)]
    second = [record(100, 10.5), record(150, 10.0)]
    records, starts = merge([first, second])
    assert [r["step"] for r in records] == [50, 100, 150]
    assert records[1]["total"] == 10.5
    assert starts == [100]
    assert merge([[], first])[1] == []  # an empty log starts no session


def test_the_table_marks_what_a_recipe_did_not_log(tmp_path, capsys):
    old = [record(500, 12.0, top_score_pos=0.8, top_score_neg=0.2)]
    new = [record(1000, 10.0)]  # the second recipe logs no top scores
    text = table(merge([old, new])[0])
    assert "| 500 | 50 | 12.00 | 0.50 | 0.90 / 0.10 | 0.80 / 0.20 |" in text
    assert "| 1000 | 100 | 10.00 | 0.50 | 0.90 / 0.10 | – / – |" in text
    paths = []
    for i, log in enumerate((old + [record(750, 11.0)], new, [record(1500, 9.5)])):
        paths.append(tmp_path / f"s{i}.jsonl")
        paths[-1].write_text("\n".join(json.dumps(r) for r in log))
    main([str(p) for p in paths] + ["--png", str(tmp_path / "curve.png")])
    assert "| 1500 |" in capsys.readouterr().out
    image = Image.open(tmp_path / "curve.png").convert("RGB")
    grey = (200, 200, 200)
    # steps 500..1500 span x 60..880: the second session began at step 1000, x 470; step 750 began none (x 265)
    assert sum(image.getpixel((470, y)) == grey for y in range(40, 370)) > 300
    assert all(image.getpixel((265, y)) != grey for y in range(40, 370))
