"""The ``prr`` command on a new period: French argparse, ``prr check``, Ctrl-C, the end-of-run account."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
sys.path.insert(0, str(Path(__file__).parent / "ingest"))
import make_hostile as mh  # noqa: E402
from test_new_period import VISIT, book  # noqa: E402

from analysis import cache, cli, pipeline  # noqa: E402
from analysis.config import RunParams  # noqa: E402


def _prr(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis.cli", *args], capture_output=True, text=True)


def test_help_and_usage_errors_are_in_french():
    res = _prr("--help")
    assert res.returncode == 0
    assert res.stdout.startswith("utilisation : prr") and "afficher cette aide et quitter" in res.stdout
    assert "usage:" not in res.stdout and "show this help" not in res.stdout
    res = _prr("run", "--help")
    assert "--raw DOSSIER" in res.stdout and "options:" in res.stdout
    res = _prr("run", "--threshold", "x")
    assert res.returncode == cli.EXIT_USER_ERROR
    assert res.stderr.strip() == ("prr : erreur : argument --threshold : valeur invalide (entier attendu) : 'x' "
                                  "(voir « prr --help »)")
    res = _prr("check")
    assert "arguments obligatoires manquants : FICHIER" in res.stderr


def test_raw_pointing_at_a_file_is_one_clear_line(tmp_path):
    f = book(tmp_path / "n.xlsx", activities=[VISIT])
    res = _prr("run", "--raw", str(f), "--out", str(tmp_path / "run"))
    assert res.returncode == cli.EXIT_USER_ERROR
    assert res.stderr.strip().splitlines() == [
        f"prr : erreur : --raw doit être un dossier, pas un fichier : {f} (pour vérifier un classeur seul : "
        f"« prr check {f} »)"]


def test_check_exit_codes(tmp_path):
    good = book(tmp_path / "bon.xlsx", activities=[VISIT])
    bad = book(tmp_path / "mauvais.xlsx", service="Mobiwest", activities=[VISIT, ["31/02/2022", *VISIT[1:]]])
    res = _prr("check", str(good))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "rien ne serait mis de côté" in res.stdout
    res = _prr("check", str(good), str(bad))
    assert res.returncode == cli.EXIT_CHECK_FAILED
    assert f"{bad}, feuille « Activités », cellule A3" in res.stdout
    assert "Traceback" not in res.stderr
    res = _prr("check", "--start", "2022-13", str(good))
    assert res.returncode == cli.EXIT_USER_ERROR and "--start doit être un mois" in res.stderr


def test_ctrl_c_is_one_french_line(monkeypatch, capsys, tmp_path):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run", interrupted)
    raw = book(tmp_path / "raw" / "n.xlsx", activities=[VISIT]).parent
    assert cli.main(["run", "--raw", str(raw), "--out", str(tmp_path / "run")]) == cli.EXIT_INTERRUPTED
    assert capsys.readouterr().err == "prr : interrompu\n"


def test_an_interrupted_cache_record_leaves_the_previous_one_whole(tmp_path, monkeypatch):
    out = tmp_path / "o.txt"
    out.write_text("x")
    store = cache.StepCache(tmp_path / ".cache")
    store.record("clean", "old-key", [out])
    before = (tmp_path / ".cache" / "clean.json").read_text()

    def interrupted(self, target):
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.record("clean", "new-key", [out])
    monkeypatch.undo()
    assert (tmp_path / ".cache" / "clean.json").read_text() == before
    assert store.is_fresh("clean", "old-key") and not store.is_fresh("clean", "new-key")
    (tmp_path / ".cache" / "clean.json").write_text('{"key": "old-k')  # a half-written record from before
    assert not store.is_fresh("clean", "old-key")


def test_inputs_of_the_cache_ignore_links_out_of_the_folder(tmp_path):
    raw = tmp_path / "raw"
    book(raw / "n.xlsx", activities=[VISIT])
    (raw / "lien.xlsx").symlink_to(book(tmp_path / "ailleurs.xlsx", activities=[VISIT]))
    (raw / "services.csv").write_text("code,funded_to\nNOR,2023-12\n", encoding="utf-8")
    assert [p.name for p in pipeline.raw_files(raw)] == ["n.xlsx", "services.csv"]
    hashes = pipeline.raw_input_hashes(raw)
    assert set(hashes) == {"lien.xlsx", "n.xlsx", "services.csv"}
    assert hashes["lien.xlsx"].startswith("mis de côté")


@pytest.mark.slow
def test_a_run_tells_what_happened_without_kernel_noise(tmp_path):
    raw = mh.make_hostile(tmp_path / "raw")
    res = _prr("run", "--raw", str(raw), "--start", mh.START, "--end", mh.END, "--out", str(tmp_path / "run"),
               "--serial")
    assert res.returncode == 0, res.stderr
    assert "IPKernelApp" not in res.stderr and "WARNING" not in res.stderr, res.stderr
    out = res.stdout
    assert "Bilan du nettoyage" in out and "Fichiers utilisés" in out and "protege.xlsx (illisible)" in out
    assert "Envoi remplacé (NOR)" in out and "date de dernière modification" in out
    assert "doublons possibles" in out
    summary = json.loads((tmp_path / "run" / "clean" / "run-summary.json").read_text(encoding="utf-8"))
    assert summary["decisions"][0]["replaced"] == "norois_2021-10_bis.xlsx"
    # a second run skips everything and still tells the account
    again = _prr("run", "--raw", str(raw), "--start", mh.START, "--end", mh.END, "--out", str(tmp_path / "run"))
    assert "Exécuté : rien" in again.stdout and "Bilan du nettoyage" in again.stdout
    params = RunParams(raw=raw, start=mh.START, end=mh.END, out=tmp_path / "run")
    assert pipeline.run_account(params)[0].startswith("Bilan du nettoyage")


EXAMPLE_TRACKING = sorted((Path(__file__).parents[1] / "data" / "raw" / "example" / "suivi").iterdir())


@pytest.mark.parametrize("path", EXAMPLE_TRACKING, ids=[p.name for p in EXAMPLE_TRACKING])
def test_check_works_on_every_example_workbook(path, capsys):
    """``prr check`` on each example file, messy ones included: an account in French, never a traceback."""
    from analysis.config import EXAMPLE_END, EXAMPLE_START

    code = cli.main(["check", "--start", EXAMPLE_START, "--end", EXAMPLE_END, str(path)])
    out, err = capsys.readouterr()
    assert code in (0, cli.EXIT_CHECK_FAILED), err
    assert "Traceback" not in out + err and "prr : erreur" not in err
    assert out.startswith("Vérification de 1 fichier(s), période 2021-09 → 2022-04 :")
    assert path.name in out
    assert ("rien ne serait mis de côté" in out) == (code == 0)
