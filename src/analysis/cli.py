"""The ``prr`` command: example data, template, run, render, build, check.

Every failure a user can cause (bad parameter, unusable input, unwritable
output) ends with one French line on stderr and a non-zero exit, no traceback;
argparse's own messages (usage, help, errors) are in French too; Ctrl-C ends
with one line « prr : interrompu ».
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from analysis.config import (
    DEFAULT_DISCLOSURE_THRESHOLD,
    EXAMPLE_END,
    EXAMPLE_RAW_DIR,
    EXAMPLE_START,
    ParameterError,
    RunParams,
)

EXIT_USER_ERROR = 2
EXIT_CHECK_FAILED = 1
EXIT_INTERRUPTED = 130

#: argparse's messages (gettext ids) in French.
ARGPARSE_FR = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments",
    "options": "options",
    "show this help message and exit": "afficher cette aide et quitter",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (choisir parmi %(choices)s)",
    "invalid %(type)s value: %(value)r": "valeur invalide (%(type)s attendu) : %(value)r",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "expected one argument": "une valeur attendue",
    "expected at most one argument": "au plus une valeur attendue",
    "expected at least one argument": "au moins une valeur attendue",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut désigner %(matches)s",
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "one of the arguments %s is required": "un des arguments %s est obligatoire",
    "ignored explicit argument %r": "valeur %r ignorée",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "commande inconnue %(parser_name)r (choix : %(choices)s)",
    "can't open '%(filename)s': %(error)s": "impossible d'ouvrir « %(filename)s » : %(error)s",
    "int": "entier", "float": "nombre",
}
_TYPE_NAMES_FR = {"int": "entier", "float": "nombre", "Path": "chemin"}


def _french_argparse() -> None:
    """Translate argparse's messages (it reads them through the module's ``_`` and ``ngettext``)."""
    if getattr(argparse, "_prr_french", False):
        return

    def fr(message: str) -> str:
        return ARGPARSE_FR.get(message, message)

    def nfr(singular: str, plural: str, n: int) -> str:
        return fr(singular if n == 1 else plural)

    argparse._ = fr  # type: ignore[attr-defined]
    argparse.ngettext = nfr  # type: ignore[attr-defined]
    argparse._prr_french = True  # type: ignore[attr-defined]


class _Parser(argparse.ArgumentParser):
    """argparse that speaks French and reports a usage error on one line."""

    def __init__(self, *args, **kwargs):
        _french_argparse()
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # noqa: D401
        for en, fr in _TYPE_NAMES_FR.items():
            message = message.replace(f"({en} attendu)", f"({fr} attendu)")
        self.exit(EXIT_USER_ERROR, f"prr : erreur : {message} (voir « prr --help »)\n")


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--raw", type=Path, default=EXAMPLE_RAW_DIR, metavar="DOSSIER",
                   help="dossier des classeurs bruts (défaut : l'exemple synthétique data/raw/example)")
    p.add_argument("--start", default=EXAMPLE_START, metavar="AAAA-MM",
                   help=f"premier mois AAAA-MM (défaut : {EXAMPLE_START})")
    p.add_argument("--end", default=EXAMPLE_END, metavar="AAAA-MM", help=f"dernier mois AAAA-MM (défaut : {EXAMPLE_END})")
    p.add_argument("--out", type=Path, default=None, metavar="DOSSIER",
                   help="dossier de toutes les sorties du run (défaut : data/processed/<raw>_<start>_<end>)")
    p.add_argument("--threshold", type=int, default=DEFAULT_DISCLOSURE_THRESHOLD, metavar="N",
                   help=f"seuil de confidentialité des effectifs de personnes (défaut : {DEFAULT_DISCLOSURE_THRESHOLD})")
    p.add_argument("--compare", type=Path, nargs="+", default=(), metavar="RUN",
                   help="dossier(s) de run d'éditions antérieures à comparer à cette période (chapitre « Évolution »)")
    p.add_argument("--force", action="store_true", help="tout réexécuter, même ce qui n'a pas changé")
    p.add_argument("--serial", action="store_true", help="exécuter les carnets d'analyse l'un après l'autre")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="prr", description="Rapport PRR reproductible : données, analyses, rapport.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser, title="commandes",
                                metavar="COMMANDE")

    p = sub.add_parser("example", help="écrire le jeu de données synthétique d'exemple")
    p.add_argument("--out", type=Path, default=EXAMPLE_RAW_DIR, help="dossier de sortie (défaut : data/raw/example)")
    p.add_argument("--scale", type=float, default=1.0, help="facteur de taille (benchmarks ; 1 = exemple calibré)")
    p.add_argument("--seed", type=int, default=2022, help="graine aléatoire")
    p.add_argument("--new-period", action="store_true",
                   help="écrire à la place les retours d'une nouvelle période d'essai (janvier → juin 2023, "
                        "non calibrée, deux services fusionnés sous un nouveau code) dans --out, pour essayer "
                        "« prr build --compare »")

    p = sub.add_parser("template", help="écrire un classeur de suivi vierge avec listes déroulantes")
    p.add_argument("--out", type=Path, default=Path("outil-de-suivi-PRR.xlsx"), help="fichier à écrire")

    p = sub.add_parser("run", help="nettoyer et analyser une période (carnets papermill)")
    _run_options(p)

    p = sub.add_parser("render", help="produire le rapport HTML et PDF à partir d'un run")
    _run_options(p)
    p.add_argument("--engine", choices=("auto", "quarto", "fallback"), default="auto",
                   help="moteur de rendu (défaut : Quarto s'il est installé, sinon pandoc + typst)")
    p.add_argument("--format", choices=tuple(FORMATS), default="html+pdf", dest="formats",
                   help="formats à produire (défaut : html+pdf)")
    p.add_argument("--watch", action="store_true",
                   help="boucle d'aperçu : le HTML est refait à chaque enregistrement d'un chapitre et servi sur "
                        "127.0.0.1 (la page ouverte se recharge seule), le PDF suit en arrière-plan (Ctrl-C)")
    p.add_argument("--port", type=int, default=8765, metavar="N",
                   help="port local de l'aperçu --watch (défaut : 8765, un port libre s'il est pris)")

    p = sub.add_parser("build", help="run + render (sans argument : l'exemple et sa période)")
    _run_options(p)
    p.add_argument("--engine", choices=("auto", "quarto", "fallback"), default="auto",
                   help="moteur de rendu (défaut : Quarto s'il est installé, sinon pandoc + typst)")

    p = sub.add_parser("check", help="vérifier des classeurs de suivi sans produire de rapport",
                       description="Applique le nettoyage d'un run aux classeurs donnés et dit, feuille par "
                                   "feuille, ce qui serait gardé, mis de côté et pourquoi, avec la cellule à "
                                   "corriger. Code de sortie 1 si des lignes seraient mises de côté.")
    p.add_argument("files", nargs="+", type=Path, metavar="FICHIER", help="classeur(s) à vérifier")
    p.add_argument("--start", default=None, metavar="AAAA-MM", help="premier mois (défaut : aucun filtre de période)")
    p.add_argument("--end", default=None, metavar="AAAA-MM", help="dernier mois (défaut : aucun filtre de période)")
    return parser


def check(args: argparse.Namespace) -> int:
    """``prr check``: the French account of what the cleaning would do with the given files."""
    from analysis.config import check_month
    from analysis.ingest.check import check_files

    for name in ("start", "end"):
        if getattr(args, name) is not None:
            check_month(getattr(args, name), name)
    if args.start and args.end and args.start > args.end:
        raise ParameterError(f"--start {args.start} est après --end {args.end}")
    report = check_files(args.files, args.start, args.end)
    print(report.text())
    return 0 if report.ok else EXIT_CHECK_FAILED


def _params(args: argparse.Namespace) -> RunParams:
    return RunParams(raw=args.raw, start=args.start, end=args.end, out=args.out, threshold=args.threshold,
                     compare=tuple(args.compare or ()))


def pipeline_step_failed() -> type[Exception]:
    from analysis.pipeline import StepFailed

    return StepFailed


#: What ``--format`` asks of a render.
FORMATS = {"html+pdf": ("html", "pdf"), "html": ("html",), "pdf": ("pdf",)}


def _signature(pipeline, params: RunParams) -> tuple:
    """Size and modification time of every file a render reads (report sources, run outputs):
    cheap enough to poll a few times a second."""
    from analysis.cache import files_under
    from analysis.config import run_paths

    paths = run_paths(params.out)
    report = pipeline.REPORT_DIR
    files = [p for p in files_under(report) if p.relative_to(report).parts[0] not in ("_book", "_generated")
             and p.name != "_variables.yml"]
    for name in ("figures", "tables", "notebooks"):
        files += files_under(paths[name])
    files += [paths["metrics"], paths["manifest"]]
    sig = []
    for p in files:
        try:
            st = p.stat()
        except OSError:
            continue
        sig.append((str(p), st.st_size, st.st_mtime_ns))
    return tuple(sig)


def _pdf_command(params: RunParams, engine: str) -> list[str]:
    return [sys.executable, "-m", "analysis.cli", "render", "--format", "pdf", "--engine", engine,
            "--raw", str(params.raw), "--start", params.start, "--end", params.end, "--out", str(params.out),
            "--threshold", str(params.threshold)]


def watch(pipeline, params: RunParams, engine: str, interval: float = 0.1, rounds: int | None = None,
          serve: bool = False, port: int = 0, pdf: bool = False, stop=None) -> int:
    """Authors' preview loop: re-render whenever the report's sources (or the run) change.

    Nothing is executed but the render. The HTML comes first, and only what changed
    is redone and rewritten (the other pages keep their bytes); with ``pdf``, the PDF
    follows in a background process after each change (``prr render --format pdf``).
    With ``serve``, the book is served on 127.0.0.1 and an open page reloads itself
    when its file changes. An error in a chapter is printed in one line and the loop
    waits for the next edit. ``rounds`` bounds the loop, and ``stop`` (a
    :class:`threading.Event`) ends it (tests).
    """
    import subprocess

    from analysis.errors import PrrError

    print("Aperçu : le rapport est refait à chaque enregistrement d'un chapitre (Ctrl-C pour arrêter).", flush=True)
    server = None
    if serve:
        from analysis.report.serve import start_server

        server, url = start_server(pipeline.REPORT_DIR / "_book", port)
        print(f"Ouvrir : {url} (la page se recharge seule ; servie sur cette machine seulement)", flush=True)
    else:
        print(f"Ouvrir : {pipeline.REPORT_DIR / '_book' / 'index.html'}", flush=True)
    if pdf:
        print("Le PDF suit en arrière-plan après chaque modification.", flush=True)
    pdf_proc: subprocess.Popen | None = None
    pdf_pending = False
    last = None
    n = 0
    from analysis.report import render as report_render

    report_render.KEEP_PREPARED = True  # the book prepared once, then only the edited chapter
    try:
        while (rounds is None or n < rounds) and not (stop is not None and stop.is_set()):
            n += 1
            sig = _signature(pipeline, params)
            if sig != last:
                last = sig
                try:
                    log = pipeline.BuildLog(quiet=True)
                    pipeline.render(params, log=log, engine=engine, formats=("html",), pdf_link=True)
                    if log.ran:
                        changed = [p.name for p in getattr(log.render, "changed", []) if p.suffix == ".html"]
                        pages = f" ; pages réécrites : {', '.join(changed)}" if changed else " ; aucune page changée"
                        print(f"{time.strftime('%H:%M:%S')} rendu refait en {log.seconds['render']:.1f} s{pages}",
                              flush=True)
                        pdf_pending = pdf
                except PrrError as exc:
                    print(f"{time.strftime('%H:%M:%S')} prr : erreur : {exc}", file=sys.stderr, flush=True)
            if pdf_proc is not None and pdf_proc.poll() is not None:
                out = (pdf_proc.stdout.read() if pdf_proc.stdout else "") or ""
                errors = [ln for ln in out.splitlines() if ln.startswith("prr : erreur")]
                print(f"{time.strftime('%H:%M:%S')} " + (errors[0] if errors else "PDF à jour"), flush=True)
                pdf_proc = None
            if pdf_pending and pdf_proc is None:
                pdf_pending = False
                pdf_proc = subprocess.Popen(_pdf_command(params, engine), stdout=subprocess.PIPE,
                                            stderr=subprocess.STDOUT, text=True)
            if rounds is None or n < rounds:
                time.sleep(interval)
    finally:
        report_render.KEEP_PREPARED = False
        report_render._KEPT = None
        if pdf_proc is not None and pdf_proc.poll() is None:
            pdf_proc.terminate()
            pdf_proc.wait()
        if server is not None:
            server.shutdown()
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except KeyboardInterrupt:
        print("prr : interrompu", file=sys.stderr)
        return EXIT_INTERRUPTED
    from analysis.errors import PrrError

    t0 = time.perf_counter()
    try:
        if args.command == "check":
            return check(args)
        if args.command == "example" and args.new_period:
            from analysis.example.new_period import write_new_period

            if args.out == EXAMPLE_RAW_DIR:
                raise ParameterError("--new-period : donner le dossier à écrire avec --out "
                                     "(par exemple data/raw/retours-2023)")
            if args.out.exists() and (not args.out.is_dir() or any(args.out.iterdir())):
                raise ParameterError(f"--out {args.out} n'est pas vide : choisir un dossier nouveau ou vide")
            truth = write_new_period(args.out, seed=0 if args.seed == 2022 else args.seed, merged_services=True)
            print(f"{len(truth.files)} fichiers écrits dans {args.out} (période {truth.start} → {truth.end})")
        elif args.command == "example":
            from analysis.example.generate import write_example

            files = write_example(args.out, scale=args.scale, seed=args.seed)
            print(f"{len(files)} fichiers écrits dans {args.out}")
        elif args.command == "template":
            from analysis.ingest.template import write_template

            print(f"Classeur vierge écrit : {write_template(args.out)}")
        else:
            from analysis import pipeline

            params = _params(args)
            log = pipeline.BuildLog()
            if args.command in ("run", "build"):
                pipeline.run(params, force=args.force, log=log, parallel=not args.serial)
            if args.command == "render" and args.watch:
                return watch(pipeline, params, args.engine, serve=True, port=args.port,
                             pdf="pdf" in FORMATS[args.formats])
            if args.command in ("run", "build"):
                account = pipeline.run_account(params)
                if account:
                    print("\n".join(account))
            if args.command in ("render", "build"):
                pipeline.render(params, force=args.force, log=log, engine=args.engine,
                                formats=FORMATS[getattr(args, "formats", "html+pdf")])
            print(log.summary())
            print(f"Terminé en {time.perf_counter() - t0:.1f} s ; sorties : {params.out}")
    except pipeline_step_failed() as exc:
        print(f"prr : erreur : {exc}", file=sys.stderr)
        return EXIT_USER_ERROR if exc.is_user_error else 1
    except (PrrError, ParameterError) as exc:
        print(f"prr : erreur : {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("prr : interrompu", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
