import json

from bench.match import main


def test_it_reports_one_json_line(tmp_path, capsys):
    path = tmp_path / "labelled.csv"
    path.write_text(
        "product_name,code\n铅笔,1060402010300000000\n玻璃杯蜡烛,1070299060000000000\n沙发,1050201060000000000\n",
        encoding="utf-8",
    )
    assert main([str(path)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["n"] == 3 and result["split"] == "all"
    assert set(result) >= {"n", "top1", "top3", "top1_short", "top3_short", "ms_per_lookup"}
    assert result["top3"] == 1.0


def test_it_tunes_on_the_dev_half_leaving_each_row_out(capsys):
    assert main(["--split", "dev"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (result["split"], result["n"], result["history_n"]) == ("dev", 274, 273)


def test_it_reports_the_test_half_with_the_dev_half_as_history(capsys):
    assert main([]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("test, table only:") and lines[1].startswith("test, table + history (dev half):")
    result = json.loads(lines[-1])
    assert (result["split"], result["n"], result["history_n"]) == ("test", 276, 274)
    keys = {"n", "top1", "top3", "top1_short", "top3_short", "ms_per_lookup", "history_n"}
    assert set(result) >= keys | {"table_only_top3", "table_only_top3_short"}
    assert result["top3"] > result["table_only_top3"]


def test_a_history_file_never_answers_its_own_rows(tmp_path, capsys):
    path = tmp_path / "labelled.csv"
    path.write_text(
        "product_name,code\n蛋奶液,1030204010000000000\n焦糖布丁蛋奶液,1030204010000000000\n", encoding="utf-8"
    )
    history = tmp_path / "history.csv"
    history.write_text("product_name,code\n蛋奶液,1030204010000000000\n", encoding="utf-8")
    assert main([str(path), "--history", str(history)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (result["history_n"], result["history_dropped"]) == (0, 1)
    assert result["top1"] == result["table_only_top1"]


def test_all_others_history_leaves_each_test_row_out(capsys):
    assert main(["--all-others"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[1].startswith("test, table + history (dev half + the other test rows, leave-one-out):")
    result = json.loads(lines[-1])
    # 274 dev rows + the 275 other test rows: never the evaluated row itself
    assert (result["split"], result["n"], result["history_n"]) == ("test", 276, 274 + 275)


def test_calibration_reports_precision_per_threshold(capsys):
    from bench.calibrate import fit
    from bench.calibrate import main as calibrate

    assert calibrate(["--split", "test"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["split"] == "test" and result["first_suggestions"] > 200
    auto = result["auto_0.5"]
    assert 0 < auto["coverage"] <= 1 and 0 <= auto["precision"] <= 1
    # the fitter learns a feature that separates right from wrong
    samples = [((1.0,), True, True), ((0.0,), False, True)] * 10
    intercept, weight = fit(samples, rounds=500, rate=0.5)
    assert weight > 1 and intercept < 0
