"""Populate the report's generated inputs from a run folder.

The report transforms nothing: every number, figure and table it shows comes
from a run. :func:`prepare_report_inputs` writes

- ``report/_variables.yml``: the run's metrics as nested keys for
  ``{{< var … >}}`` (Quarto reads it from the project folder, and so does the
  fallback renderer), formatted the French way for prose and with small person
  counts withheld;
- ``report/_generated/figures/``: the run's figures (SVG for the web, PDF for
  print, JSON sidecars with alt text and caption) plus, for each, a Markdown
  snippet ``<name>.md`` that a chapter includes to show it as a numbered figure
  ``#fig-<name>``; and the chronology figure of chapter 3;
- ``report/_generated/tables/``: the run's reader-facing tables (``*.md``),
  whose caption is given the id ``#tbl-<name>`` so that chapters can cite them,
  with their published ``*.csv`` and ``*.xlsx`` (the web book's downloads);
- ``report/_generated/synthetic-notice.md`` and the annex documents
  (``audit.md``, ``codebook.md``, ``provenance.md``,
  ``notebooks.md``, ``vignettes.md``): taken from the run's ``tables/`` when an
  analysis step wrote them, generated here otherwise.

``_generated/`` is rebuilt from scratch each time, so nothing stale survives.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

import yaml

from analysis.config import DEFAULT_DISCLOSURE_THRESHOLD, REFERENCE_DIR, REPORT_DIR, run_paths
from analysis.publish.disclosure import publish_count_prose
from analysis.publish.fmt import NBSP, fmt_eur, fmt_int, fmt_month, fmt_number, fmt_pct

FIGURE_FILES = (".svg", ".pdf", ".png", ".json")
#: Published files of a table that the web book offers for download (from the run's ``tables/``).
TABLE_DOWNLOADS = (".csv", ".xlsx")
ANNEX_DOCS = ("audit", "codebook", "provenance", "notebooks", "vignettes")

#: Leaf names (last key segment) of counts, besides ``n`` and ``*_n``.
COUNT_LEAVES = ("participations", "count", "events", "denominator", "clusters", "n_sim")
#: Top-level groups whose counts are counts of people (or of their demands).
PERSON_GROUPS = ("users", "pros", "saturation", "gradient", "census")


# --------------------------------------------------------------------------- formatting


def _leaf(key: str) -> str:
    return key.rsplit(".", 1)[-1].lower()


def is_p_value(key: str) -> bool:
    """``*.p_value``, ``*_p_value``, ``*.p.<term>`` (a model's p-values)."""
    parts = key.lower().split(".")
    return parts[-1].endswith("p_value") or parts[-1] == "p" or "p" in parts[:-1]


def is_count(key: str) -> bool:
    """``n``, ``*_n``, ``n_*``, ``participations``, ``*_count``… (integers printed with thousands)."""
    leaf = _leaf(key)
    return (leaf == "n" or leaf.endswith("_n") or leaf.startswith("n_") or leaf in COUNT_LEAVES
            or leaf.endswith(tuple("_" + c for c in COUNT_LEAVES)) or leaf.startswith("excluded")
            or ".commune_n." in key.lower())


def is_person_count(key: str) -> bool:
    """A count of people (or of their demands), to be withheld when small.

    Counts under ``users.``, ``pros.``, ``saturation.``, ``gradient.``,
    ``census.`` and any ``*.commune_n.*`` are counts of people; counts of
    services (``services_n``), communes (``communes_n``) or simulation draws
    (``n_sim``) are not.
    """
    k = key.lower()
    leaf = _leaf(k)
    if leaf.startswith(("services", "communes", "clusters")) or leaf == "n_sim":
        return False
    if ".commune_n." in k:
        return True
    return k.split(".", 1)[0] in PERSON_GROUPS and is_count(k)


def format_p(p: float) -> str:
    """``p < 0,001``; ``p = 0,004`` (3 decimals below 0,01); ``p = 0,03`` otherwise."""
    if p < 0.001:
        return f"p{NBSP}<{NBSP}0,001"
    return f"p{NBSP}={NBSP}{fmt_number(p, 3 if p < 0.01 else 2)}"


def _pct_group(key: str) -> bool:
    """A percentage stored under a per-level group: ``users.referrer_pct.sante_generale``."""
    return any(part.endswith("_pct") for part in key.lower().split(".")[:-1])


def format_metric(key: str, value) -> str:
    """Format one metric for prose, by its key's pattern (the rules, in order).

    - missing → ``–``; booleans → ``oui``/``non``; strings unchanged;
    - p-values (``*p_value``, ``*.p.*``) → ``p < 0,001`` / ``p = 0,03``;
    - euros (``*_eur``) → ``1 526 000 €``;
    - percentages (``*_pct*``, ``*pct``) → ``55,7 %`` (1 decimal);
    - years (``*year``) and ``seed`` → ``2021`` (no thousands separator);
    - means and medians → 1 decimal, ``37,8``;
    - ratios (rate/odds ratios, RII, SII, dispersion) → 2 decimals;
    - other rates and percentage points → 1 decimal;
    - counts (``.n``, ``_n``, ``participations``, ``*_count``…) → ``10 292``;
    - anything else: integers ``10 292``, decimals 1 decimal.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, str):
        return value
    leaf = _leaf(key)
    v = float(value)
    if is_p_value(key):
        return format_p(v)
    if leaf.endswith("_eur") or "_eur_" in leaf or leaf == "eur":
        return fmt_eur(round(v))
    if "_pct" in leaf or leaf.endswith("pct") or leaf.startswith("pct") or _pct_group(key):
        return fmt_pct(v, 1)
    if leaf.endswith("year") or leaf == "seed":
        return str(int(v))
    if "mean" in leaf or "median" in leaf:
        return fmt_number(v, 1)
    if leaf.startswith("sii"):  # a difference of rates per 10 000 inhabitants
        return fmt_number(v, 1)
    if re.search(r"(ratio|odds|rii|dispersion|alpha)", leaf) or ".or." in key.lower():
        return fmt_number(v, 2)
    if "rate" in leaf or leaf.endswith("_pts") or "_pts_" in leaf:
        return fmt_number(v, 1)
    if is_count(key) or isinstance(value, int) or v.is_integer():
        return fmt_int(round(v))
    return fmt_number(v, 1)


def publish_metric(key: str, value, threshold: int) -> str:
    """:func:`format_metric`, with small person counts withheld."""
    if (is_person_count(key) and isinstance(value, (int, float)) and not isinstance(value, bool)
            and not (isinstance(value, float) and math.isnan(value))):
        return publish_count_prose(int(round(value)), threshold)
    return format_metric(key, value)


# --------------------------------------------------------------------------- variables


def nest(flat: Mapping[str, object]) -> dict:
    """``{"a.b": 1, "a.c": 2} -> {"a": {"b": 1, "c": 2}}``; a key both leaf and branch is an error."""
    root: dict = {}
    for key in sorted(flat):
        node = root
        parts = key.split(".")
        for k, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"metric {'.'.join(parts[:k + 1])} is both a value and a group ({key})")
            node = child
        if isinstance(node.get(parts[-1]), dict):
            raise ValueError(f"metric {key} is both a value and a group")
        node[parts[-1]] = flat[key]
    return root


def build_variables(metrics: Mapping[str, object], threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                    is_example: bool = False, period: tuple[str, str] | None = None) -> dict:
    """The content of ``_variables.yml``: every metric formatted for prose, nested by its dots.

    Adds ``synthetic`` (true for the bundled example data), ``threshold`` and
    ``period.start_fr`` / ``period.end_fr`` (« septembre 2021 »).
    """
    from analysis.publish.disclosure import withheld_keys
    from analysis.publish.stats_text import NOT_ESTIMABLE_FR, UNSTABLE_FR, unstable_keys

    hidden_shares = {k for k in withheld_keys(metrics, is_person_count, threshold) if "_pct" in k}
    unstable = unstable_keys(metrics)
    flat = {k: ("valeur non publiée (effectif trop petit)" if k in hidden_shares
                else UNSTABLE_FR if k in unstable else publish_metric(k, v, threshold))
            for k, v in metrics.items()}
    for k, v in metrics.items():  # an interval bound that does not exist (e.g. too much censoring)
        if k.endswith("_estimable") and v is False and k.removesuffix("_estimable") in flat:
            flat[k.removesuffix("_estimable")] = NOT_ESTIMABLE_FR
    start, end = period or (metrics.get("period.start"), metrics.get("period.end"))
    if start and end:
        flat["period.start"] = str(start)
        flat["period.end"] = str(end)
        flat["period.start_fr"] = fmt_month(str(start))
        flat["period.end_fr"] = fmt_month(str(end))
    flat["disclosure.threshold"] = str(threshold)
    variables = nest(flat)
    variables["synthetic"] = bool(is_example)
    return variables


def write_variables(variables: dict, path: Path) -> Path:
    """Write ``_variables.yml`` (sorted keys, UTF-8, stable)."""
    text = ("# Generated by analysis.report.inputs from the run's metrics.json: do not edit.\n"
            + yaml.safe_dump(variables, allow_unicode=True, sort_keys=True, width=1000))
    Path(path).write_text(text, encoding="utf-8")
    return Path(path)


# --------------------------------------------------------------------------- figures and tables


def _md_escape(text: str) -> str:
    """Escape what would change meaning inside a Markdown caption."""
    return re.sub(r"([\\\[\]*_`@<>#])", r"\\\1", " ".join(str(text).split()))


def _attr_escape(text: str) -> str:
    return " ".join(str(text).split()).replace("\\", "\\\\").replace('"', "\\\"")


def _ident(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def figure_snippet(name: str, caption: str, alt: str) -> str:
    """Markdown of a numbered figure ``#fig-<name>`` (path from the project root, no extension)."""
    return (f"![{_md_escape(caption)}](/_generated/figures/{name})"
            f'{{#fig-{_ident(name)} fig-alt="{_attr_escape(alt)}"}}\n')


_CAPTION = re.compile(r"^(?P<lead>:|Table:|table:)\s+(?P<text>.*?)\s*$")


def add_table_id(text: str, name: str) -> str:
    """Give a table's caption (``: caption`` line) the id ``#tbl-<name>`` unless it has one."""
    lines = text.rstrip("\n").split("\n")
    for i in range(len(lines) - 1, -1, -1):
        m = _CAPTION.match(lines[i])
        if m:
            if "{#" not in m["text"]:
                lines[i] = f"{m['lead']} {m['text']} {{#tbl-{_ident(name)}}}"
            break
        if lines[i].strip().startswith("|"):
            break
    return "\n".join(lines) + "\n"


def copy_figures(src: Path, dest: Path) -> list[str]:
    """Copy a run's figure files and write a snippet per figure that has a sidecar; returns the names."""
    dest.mkdir(parents=True, exist_ok=True)
    names = []
    if not src.is_dir():
        return names
    for path in sorted(src.iterdir()):
        if path.is_file() and path.suffix in FIGURE_FILES:
            shutil.copyfile(path, dest / path.name)
    for sidecar in sorted(dest.glob("*.json")):
        info = json.loads(sidecar.read_text(encoding="utf-8"))
        name = sidecar.stem
        (dest / f"{name}.md").write_text(
            figure_snippet(name, info.get("caption", ""), info.get("alt") or info.get("caption", "")),
            encoding="utf-8")
        names.append(name)
    return names


def copy_tables(src: Path, dest: Path) -> list[str]:
    """Copy a run's reader-facing tables (``*.md``), giving each caption an id; returns the names.

    The same tables' published CSV and XLSX files, when the run wrote them, are
    copied beside them: the web book offers them for download.
    """
    dest.mkdir(parents=True, exist_ok=True)
    names = []
    if not src.is_dir():
        return names
    for path in sorted(src.glob("*.md")):
        (dest / path.name).write_text(add_table_id(path.read_text(encoding="utf-8"), path.stem), encoding="utf-8")
        for ext in TABLE_DOWNLOADS:
            if path.with_suffix(ext).is_file():
                shutil.copyfile(path.with_suffix(ext), dest / (path.stem + ext))
        names.append(path.stem)
    return names


# --------------------------------------------------------------------------- generated documents


def synthetic_notice(is_example: bool) -> str:
    """The warning shown at the start of the report when the data are the synthetic example."""
    if not is_example:
        return ""
    return ("::: {.callout-warning title=\"Données synthétiques\"}\n"
            "Les chiffres, figures et tableaux de cette édition sont calculés à partir d'un jeu de données "
            "d'exemple **synthétique**, construit pour reproduire l'ordre de grandeur des résultats publiés "
            "en 2022. Ils ne décrivent aucun service réel ni aucune personne réelle.\n"
            ":::\n")


def markdown_table(header: list[str], rows: list[list[str]], caption: str = "", ident: str = "") -> str:
    """A pipe table, cells escaped, with an optional ``: caption {#tbl-…}`` line."""
    def cell(v) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    text = "\n".join(lines) + "\n"
    if caption:
        text += f"\n: {caption}" + (f" {{#{ident}}}" if ident else "") + "\n"
    return text


_DTYPES_FR = {"string": "texte", "int64": "entier", "Int64": "entier", "float64": "décimal",
              "Float64": "décimal", "boolean": "oui/non", "bool": "oui/non", "datetime64[ns]": "date",
              "category": "catégorie"}


def codebook_markdown() -> str:
    """Annex: the clean tables' variables (from :func:`analysis.ingest.schema.codebook`)."""
    from analysis.ingest import schema

    cb = schema.codebook()
    parts = ["Chaque table nettoyée est décrite ci-dessous : nom de la variable, type, description, valeurs "
             "admises et caractère obligatoire. Les listes de codes sont celles des tables de référence "
             "(`data/reference/`).\n"]
    for table, g in cb.groupby("table", sort=False):
        rows = [[f"`{r.variable}`", _DTYPES_FR.get(r.type, r.type), r.description, r.valeurs, r.obligatoire]
                for r in g.itertuples(index=False)]
        parts.append(f"## Table `{table}` {{#sec-codebook-{_ident(table)}}}\n")
        parts.append(markdown_table(["Variable", "Type", "Description", "Valeurs admises", "Obligatoire"], rows,
                                    f"Variables de la table `{table}`", f"tbl-codebook-{_ident(table)}"))
    return "\n".join(parts)


_VIGNETTE = re.compile(r"^:::+\s*\{(?P<attrs>[^}]*\.vignette[^}]*)\}", re.M)
_KV = re.compile(r'(\w[\w-]*)="([^"]*)"')
_INCLUDE = re.compile(r"\{\{<\s*include\s+(\S+)\s*>\}\}")


def vignettes_markdown(report_dir: Path) -> str:
    """Annex: index of the clinical vignettes (title, service, theme, chapter that shows it)."""
    report_dir = Path(report_dir)
    where: dict[str, str] = {}
    for qmd in sorted(report_dir.glob("chapters/*.qmd")):
        text = qmd.read_text(encoding="utf-8")
        sec = re.search(r"^#\s.*\{#(sec-[\w-]+)", text, re.M)
        for inc in _INCLUDE.findall(text):
            target = (qmd.parent / inc.strip("\"'")).resolve()
            if sec:
                where.setdefault(target.name, f"@{sec.group(1)}")
    rows = []
    for path in sorted((report_dir / "vignettes").glob("*.qmd")):
        m = _VIGNETTE.search(path.read_text(encoding="utf-8"))
        if not m:
            continue
        kv = dict(_KV.findall(m["attrs"]))
        rows.append([kv.get("title", path.stem), kv.get("service", ""), kv.get("theme", ""),
                     where.get(path.name, "non reprise")])
    if not rows:
        return "Aucune vignette clinique dans cette édition.\n"
    rows.sort(key=lambda r: (r[3] == "non reprise", r[3], r[0]))
    return ("Les vignettes cliniques résument des situations rapportées par les équipes ; prénoms et initiales "
            "sont d'emprunt.\n\n"
            + markdown_table(["Vignette", "Service", "Thème", "Chapitre"], rows,
                             "Vignettes cliniques du rapport", "tbl-vignettes"))


def provenance_markdown(run_out: Path, variables: dict) -> str:
    """Annex: parameters, commit, inputs and software of the run (from ``manifest.json``)."""
    path = run_paths(run_out)["manifest"]
    if not path.exists():
        return ("Le manifeste du run (`manifest.json`) est absent : la provenance de cette édition n'est pas "
                "documentée.\n")
    man = json.loads(path.read_text(encoding="utf-8"))
    params = man.get("parameters", {})
    period = variables.get("period", {})
    rows = [
        ["Période", f"{period.get('start_fr', params.get('start', ''))} – {period.get('end_fr', params.get('end', ''))}"],
        ["Données", "jeu d'exemple synthétique" if params.get("is_example") else "données des services"],
        ["Seuil de publication des effectifs", str(params.get("threshold", ""))],
        ["Version du code (commit)", f"`{man.get('commit') or 'inconnue'}`"
         + (" (modifications non validées)" if man.get("commit_dirty") else "")],
        ["Python", str(man.get("python", ""))],
        ["Fichiers d'entrée", fmt_int(len(man.get("inputs", {}) or {}))],
        ["Tables de référence", fmt_int(len(man.get("reference", {}) or {}))],
    ]
    text = ("Chaque run enregistre dans `manifest.json` ce dont ses résultats dépendent. Relancer la même "
            "commande sur les mêmes fichiers, avec le même code, redonne les mêmes chiffres.\n\n"
            + markdown_table(["Élément", "Valeur"], rows, "Provenance de cette édition", "tbl-provenance"))
    packages = man.get("packages", {}) or {}
    keep = ("pandas", "numpy", "scipy", "statsmodels", "matplotlib", "seaborn", "pypandoc-binary", "typst",
            "papermill", "prr-report")
    pk = [[f"`{k}`", v] for k, v in sorted(packages.items()) if k in keep]
    if pk:
        text += "\n" + markdown_table(["Paquet", "Version"], pk, "Versions des principaux paquets",
                                      "tbl-provenance-paquets")
    return text


#: What an executed notebook's rich outputs become in the annex (they are the report's own
#: tables and figures, shown where the chapters cite them).
RICH_OUTPUT_FR = {"text/markdown": "tableau affiché (repris dans le rapport)",
                  "image/svg+xml": "figure affichée (reprise dans le rapport)",
                  "image/png": "figure affichée (reprise dans le rapport)"}
#: Longest text output shown, in lines.
MAX_OUTPUT_LINES = 40


def _relative_paths(text: str, run_out: Path) -> str:
    """Absolute paths of this machine made relative (to the run folder, else the repository)."""
    from analysis.config import REPO_ROOT

    for root, shown in ((Path(run_out).resolve(), "<run>"), (REPO_ROOT.resolve(), ".")):
        text = text.replace(str(root) + "/", shown + "/").replace(str(root), shown)
    return text


def _fence(text: str, lang: str = "") -> str:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}\n"


def _output_markdown(output: dict, run_out: Path) -> str:
    kind = output.get("output_type")
    if kind == "stream":
        text = "".join(output.get("text", ""))
    elif kind == "error":
        text = f"{output.get('ename')}: {output.get('evalue')}"
    else:
        data = output.get("data", {})
        rich = next((RICH_OUTPUT_FR[m] for m in RICH_OUTPUT_FR if m in data), None)
        if rich:
            return f"*Sortie : {rich}.*\n"
        text = "".join(data.get("text/plain", ""))
    lines = _relative_paths(text, run_out).rstrip().splitlines()
    if not lines:
        return ""
    if len(lines) > MAX_OUTPUT_LINES:
        lines = lines[:MAX_OUTPUT_LINES] + [f"… ({len(lines) - MAX_OUTPUT_LINES} lignes de plus dans le carnet)"]
    return _fence("\n".join(lines), "text")


def notebook_markdown(path: Path, run_out: Path) -> str:
    """One executed notebook as a section of the annex: its text, code and text outputs.

    Markdown cells become plain paragraphs (their headings in bold, so that no
    heading or identifier of the book is duplicated); rich outputs (tables,
    figures) are named, not repeated; paths are shown relative.
    """
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = nb.get("cells", [])
    title = Path(path).stem
    parts: list[str] = []
    for cell in cells:
        source = "".join(cell.get("source", ""))
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") == "markdown":
            lines = source.strip().splitlines()
            if lines and lines[0].startswith("# ") and title == Path(path).stem:
                title = re.sub(r"^\d+\.\s*", "", lines[0][2:].strip())  # the annex numbers its sections
                lines = lines[1:]
            text = "\n".join(f"**{ln.lstrip('#').strip()}**" if ln.startswith("#") else ln for ln in lines)
            if text.strip():
                parts.append(_relative_paths(text.strip(), run_out) + "\n")
        elif cell.get("cell_type") == "code":
            if "parameters" in tags:
                continue  # the defaults; the values used are in the injected cell
            label = "Paramètres de cette exécution :" if "injected-parameters" in tags else ""
            if label:
                parts.append(label + "\n")
            parts.append(_fence(_relative_paths(source, run_out), "python"))
            parts += [md for md in (_output_markdown(o, run_out) for o in cell.get("outputs", [])) if md]
    ident = "sec-carnet-" + _ident(Path(path).stem)
    return f"## {_md_escape(title)} {{#{ident}}}\n\n*Carnet exécuté `{Path(path).name}`.*\n\n" + "\n".join(parts)


def notebooks_markdown(run_out: Path) -> str:
    """Annex: the notebooks executed for this run (copies in ``<run>/notebooks``), then each one in full."""
    nb_dir = run_paths(run_out)["notebooks"]
    paths = sorted(nb_dir.glob("*.ipynb")) if nb_dir.is_dir() else []
    if not paths:
        return "Aucun carnet exécuté n'accompagne ce run.\n"
    rows = [[f"`{p.name}`", f"`notebooks/{p.stem}.py`"] for p in paths]
    text = markdown_table(["Carnet exécuté (dans le dossier du run)", "Source"], rows,
                          "Carnets exécutés pour cette édition", "tbl-carnets")
    return text + "\n" + "\n".join(notebook_markdown(p, run_out) for p in paths)


def audit_markdown(metrics: Mapping[str, object], ref_dir: Path = REFERENCE_DIR) -> str:
    """Annex: each figure printed in 2022 next to the recomputed value (:func:`analysis.analyses.audit.build_audit`)."""
    from analysis.analyses.audit import build_audit

    df = build_audit(dict(metrics), ref_dir)
    rows = [[r.label, r.printed, "–" if r.computed is None else format_metric(r.metric or "", r.computed),
             r.status, r.note] for r in df.itertuples(index=False)]
    return ("Chaque chiffre imprimé dans le rapport de 2022 est comparé à la valeur recalculée par la chaîne de "
            "traitement, arrondie à la précision imprimée.\n\n"
            + markdown_table(["Chiffre", "Imprimé (2022)", "Recalculé", "Statut", "Note"], rows,
                             "Chiffres publiés en 2022 et valeurs recalculées", "tbl-audit"))


# --------------------------------------------------------------------------- entry point


def _manifest_parameters(run_out: Path) -> dict:
    path = run_paths(run_out)["manifest"]
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("parameters", {}) or {}


def prepare_report_inputs(run_out: Path, report_dir: Path = REPORT_DIR,
                          threshold: int = DEFAULT_DISCLOSURE_THRESHOLD, is_example: bool | None = None,
                          ref_dir: Path = REFERENCE_DIR) -> None:
    """Write ``_variables.yml`` and ``_generated/`` of the report from the run folder ``run_out``.

    ``is_example`` defaults to what the run's ``manifest.json`` says (false when absent).
    """
    from analysis.errors import InputError
    from analysis.publish.chronology import make_chronology_figure

    run_out, report_dir = Path(run_out), Path(report_dir)
    paths = run_paths(run_out)
    if not paths["metrics"].exists():
        raise InputError(f"aucune mesure dans {run_out} (metrics.json absent) : lancez d'abord « prr run »")
    metrics = json.loads(paths["metrics"].read_text(encoding="utf-8"))
    params = _manifest_parameters(run_out)
    if is_example is None:
        is_example = bool(params.get("is_example", False))
    period = None
    if not (metrics.get("period.start") and metrics.get("period.end")) and params.get("start"):
        period = (params["start"], params["end"])

    gen = report_dir / "_generated"
    if gen.exists():
        shutil.rmtree(gen)
    (gen / "figures").mkdir(parents=True)
    copy_figures(paths["figures"], gen / "figures")
    tables = copy_tables(paths["tables"], gen / "tables")
    from analysis.publish.sosa18 import budget_markdown, services_markdown

    (gen / "tables" / "services.md").write_text(services_markdown(ref_dir), encoding="utf-8")
    (gen / "tables" / "sosa18_budget.md").write_text(budget_markdown(ref_dir), encoding="utf-8")
    info = make_chronology_figure(gen / "figures", ref_dir)
    (gen / "figures" / "chronologie.md").write_text(
        figure_snippet("chronologie", info["caption"], info["alt"]), encoding="utf-8")
    (gen / "synthetic-notice.md").write_text(synthetic_notice(is_example), encoding="utf-8")

    variables = build_variables(metrics, threshold, is_example, period)
    write_variables(variables, report_dir / "_variables.yml")

    builders = {
        "audit": lambda: audit_markdown(metrics, ref_dir),
        "codebook": codebook_markdown,
        "provenance": lambda: provenance_markdown(run_out, variables),
        "notebooks": lambda: notebooks_markdown(run_out),
        "vignettes": lambda: vignettes_markdown(report_dir),
    }
    for name in ANNEX_DOCS:
        text = (gen / "tables" / f"{name}.md").read_text(encoding="utf-8") if name in tables else builders[name]()
        (gen / f"{name}.md").write_text(text, encoding="utf-8")
