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


def test_it_reports_the_test_half_of_the_default_set(capsys):
    assert main(["--split", "dev"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (result["split"], result["n"]) == ("dev", 274)
