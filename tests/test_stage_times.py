"""tools/stage_times.py: sums of Snakemake benchmark files and the wall time of a log."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "stage_times.py"
spec = importlib.util.spec_from_file_location("stage_times", SCRIPT)
stage_times = importlib.util.module_from_spec(spec)
spec.loader.exec_module(stage_times)

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def _bench(path: Path, seconds: float, rss, cpu: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + f"{seconds}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t50\t{cpu}\n")


def test_sums_per_dataset_and_stage(tmp_path, capsys):
    _bench(tmp_path / "imdb" / "train" / "raw" / "a" / "seed1.tsv", 10.5, 300.0, 20.0)
    _bench(tmp_path / "imdb" / "train" / "raw" / "a" / "seed2.tsv", 4.5, 350.0, 8.0)
    _bench(tmp_path / "imdb" / "extract.tsv", 3.0, "NA", 2.0)
    table = stage_times.read_benchmarks(tmp_path)
    assert table[("imdb", "train")] == {"jobs": 2, "seconds": 15.0, "cpu": 28.0, "max_rss": 350.0}
    assert table[("imdb", "extract")]["jobs"] == 1
    assert table[("imdb", "extract")]["max_rss"] == 0.0
    log = tmp_path / "run.log"
    log.write_text("Building DAG\n[Sat Nov 21 23:35:03 2026]\nrule x:\n[Sun Nov 22 00:40:33 2026]\nFinished\n")
    assert stage_times.log_wall_seconds(log) == 65 * 60 + 30
    assert stage_times.main([str(tmp_path), "--log", str(log)]) == 0
    out = capsys.readouterr().out
    assert "| imdb | train | 2 | 15 | 28 | 350 |" in out
    assert "| all | all | 3 | 18 | 30 | |" in out
    assert "65.5 min" in out


def test_missing_folder_is_one_line_error(tmp_path, capsys):
    assert stage_times.main([str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err
