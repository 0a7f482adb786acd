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
- ``report/_generated/sections/``: the data-dependent sections of the chapters
  (:func:`write_sections`): each authored section ``report/sections/<name>.qmd``
  becomes ``<name>.md``, either as written when the run has its data, or a French
  « pas de données pour cette période » note, so that any period and any subset
  of sources (tracking workbooks, census) renders; ``data-notice.md`` lists the
  sources without data for the period;
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
ANNEX_DOCS = ("audit", "codebook", "provenance", "notebooks", "vignettes", "evolution", "evolution-provenance")

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
    # ``users.age_band_n.2``, ``pros.requester_n.ssm``: a count per category (the leaf is the code)
    if k.split(".", 1)[0] in PERSON_GROUPS and any(p.endswith("_n") or p == "n" for p in k.split(".")[1:-1]):
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
    - means and medians → 1 decimal, ``37,8``; a whole median or number of days
      without decimals (``38 jours``, not ``38,0 jours``);
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
    if ("median" in leaf or "days" in leaf) and v.is_integer():
        return fmt_int(round(v))
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


#: What prose shows in place of a withheld value: a small count, a count masked to protect another
#: (complementary suppression) or a value computed from either (methods annex, « Secret statistique »).
WITHHELD_FR = "non publié (secret statistique)"

_VAR = re.compile(r"\{\{<\s*var\s+([^\s>]+)\s*>\}\}")


def referenced_variables(report_dir: Path) -> set[str]:
    """Every ``{{< var key >}}`` of the report's sources (``*.qmd``, ``*.md``)."""
    keys: set[str] = set()
    for path in Path(report_dir).rglob("*.*md"):
        if "_book" in path.parts or "_generated" in path.parts:
            continue
        keys |= set(_VAR.findall(path.read_text(encoding="utf-8")))
    return keys


def build_variables(metrics: Mapping[str, object], threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
                    is_example: bool = False, period: tuple[str, str] | None = None,
                    withheld: set[str] = frozenset(), only: set[str] | None = None) -> dict:
    """The content of ``_variables.yml``: metrics formatted for prose, nested by their dots.

    Only published values: small person counts (zero included) and the shares
    computed from them, and every key in ``withheld`` (decided by the notebooks'
    disclosure step, e.g. complementary suppressions, estimates resting on a
    hidden count), read « non publié ». With ``only``, just those keys are
    written (the ones the report cites), so that the report folder carries no
    value a chapter does not show.

    Adds ``synthetic`` (true for the bundled example data), ``threshold`` and
    ``period.start_fr`` / ``period.end_fr`` (« septembre 2021 »).
    """
    from analysis.publish.disclosure import count_key_of_share
    from analysis.publish.stats_text import NOT_ESTIMABLE_FR, UNSTABLE_FR, unstable_keys

    unstable = unstable_keys(metrics)

    def small(key: str, value) -> bool:
        return (is_person_count(key) and isinstance(value, (int, float)) and not isinstance(value, bool)
                and not (isinstance(value, float) and math.isnan(value)) and value < threshold)

    def shown(key: str, value) -> str:
        if key in withheld:
            return WITHHELD_FR
        if small(key, value):
            return f"moins de {threshold}"  # zero included: « < 5 » means 0 to 4
        ck = count_key_of_share(key)
        if ck and ck != key and ck in metrics and (ck in withheld or small(ck, metrics[ck])):
            return WITHHELD_FR
        if key in unstable:
            return UNSTABLE_FR
        return publish_metric(key, value, threshold)

    keys = [k for k in metrics if only is None or k in only]
    flat = {k: shown(k, metrics[k]) for k in keys}
    for k, v in metrics.items():  # an interval bound that does not exist (e.g. too much censoring)
        if k.endswith("_estimable") and v is False and k.removesuffix("_estimable") in flat:
            if flat[k.removesuffix("_estimable")] != WITHHELD_FR:
                flat[k.removesuffix("_estimable")] = NOT_ESTIMABLE_FR
    start, end = period or (metrics.get("period.start"), metrics.get("period.end"))
    if start and end:
        flat["period.start"] = str(start)
        flat["period.end"] = str(end)
        flat["period.start_fr"] = fmt_month(str(start))
        flat["period.end_fr"] = fmt_month(str(end))
    flat["disclosure.threshold"] = str(threshold)
    flat["disclosure.threshold_minus_one"] = str(threshold - 1)
    from analysis.analyses.cluster import MIN_CLUSTERS  # fewest services for a clustered interval

    flat["disclosure.min_clusters"] = str(MIN_CLUSTERS)
    flat["disclosure.min_clusters_minus_one"] = str(MIN_CLUSTERS - 1)
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


# --------------------------------------------------------------------------- data-dependent sections

SECTIONS_DIR = "sections"

#: What each data flag means, for the « no data » notes (a missing source, in French).
DATA_FR = {
    "tracking": "aucun classeur de suivi",
    "activities": "aucune activité encodée dans les classeurs de suivi",
    "users": "aucune nouvelle demande d'usager·e encodée dans les classeurs de suivi",
    "pros": "aucune demande de professionnel·le encodée dans les classeurs de suivi",
    "census": "aucun recensement des nouvelles demandes adressées aux SSM",
}
#: The sources listed in the report's data notice (in this order).
SOURCES_FR = {
    "activities": "les activités des projets (classeurs de suivi, feuille des activités)",
    "users": "les nouvelles demandes d'usager·e·s (classeurs de suivi)",
    "pros": "les demandes de professionnel·le·s (classeurs de suivi)",
    "census": "le recensement des nouvelles demandes adressées aux SSM",
}
NO_DATA_TITLE = "Pas de données pour cette période"


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and value > 0


def data_flags(metrics: Mapping[str, object], ref_dir: Path = REFERENCE_DIR) -> dict[str, bool]:
    """Which data the run has: ``activities``, ``users``, ``pros``, ``tracking``, ``census``, ``census.<wave>``.

    Read from the run's row counts (``rows.<table>``) and, per census wave, from
    ``saturation.<wave>.n``. A section of the report lists the flags it needs.
    """
    from analysis import reference

    flags = {name: _positive(metrics.get(f"rows.{name}")) for name in ("activities", "users", "pros", "census")}
    flags["tracking"] = flags["activities"] or flags["users"] or flags["pros"]
    for wave in reference.codes("census_waves", ref_dir):
        flags[f"census.{wave}"] = flags["census"] and _positive(metrics.get(f"saturation.{wave}.n"))
    return flags


def census_waves_fr(flags: Mapping[str, bool], ref_dir: Path = REFERENCE_DIR) -> str:
    """« la vague 1 (novembre 2020 – février 2021) et la vague 2 (…) du recensement », or that there is none."""
    from analysis import reference

    ref = reference.table("census_waves", ref_dir)
    labels = [str(r.label_fr) for r in ref.itertuples() if flags.get(f"census.{r.code}")]
    if not labels:
        return "aucune, les données de cette édition ne contenant pas de vague du recensement"
    labels = ["la " + lab[0].lower() + lab[1:] for lab in labels]
    joined = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " et " + labels[-1]
    return joined + " du recensement"


def census_wave_fr(code: str | None, ref_dir: Path = REFERENCE_DIR) -> str | None:
    """« la vague 2 du recensement, de novembre 2022 à février 2023 »: a wave named from its own code."""
    from analysis import reference
    from analysis.publish.saturation import wave_short_labels

    if not code:
        return None
    ref = reference.table("census_waves", ref_dir)
    rows = [r for r in ref.itertuples() if str(r.code) == str(code)]
    if not rows:
        return None
    name = wave_short_labels(ref_dir)[str(code)]
    return (f"la {name[0].lower() + name[1:]} du recensement, de {fmt_month(str(rows[0].start))} "
            f"à {fmt_month(str(rows[0].end))}")


def census_coverage_fr(start: str | None, end: str | None, ref_dir: Path = REFERENCE_DIR) -> str:
    """Which census waves overlap the edition's period, and by how many months (a French sentence).

    Computed from each wave's first and last month (``data/reference/census_waves.csv``): a wave
    counts when at least one of its months falls in the period (partial overlap)."""
    from analysis import reference
    from analysis.ingest.normalise import months_between

    if not start or not end:
        return "La période de cette édition n'est pas connue : son recouvrement par le recensement des SSM non plus"
    period = set(months_between(str(start)[:7], str(end)[:7]))
    parts = []
    for r in reference.table("census_waves", ref_dir).itertuples():
        wave = months_between(str(r.start)[:7], str(r.end)[:7])
        common = [m for m in wave if m in period]
        if not common:
            continue
        n, whole = len(common), len(wave)
        span = fmt_month(common[0]) if n == 1 else f"de {fmt_month(common[0])} à {fmt_month(common[-1])}"
        name = census_wave_fr(r.code, ref_dir)
        if n == whole:
            parts.append(f"{name}, se déroule entièrement dans cette période")
        else:
            parts.append(f"{name}, recouvre en partie cette période : {fmt_int(n)} de ses {fmt_int(whole)} mois "
                         f"{'en fait' if n == 1 else 'en font'} partie ({span})")
    if not parts:
        return "Aucune vague du recensement des SSM ne recouvre cette période, même en partie"
    text = " ; ".join(parts)
    return text[0].upper() + text[1:]


_FRONT = re.compile(r"\A---\s*\n(?P<yaml>.*?)\n---\s*\n", re.S)
_VAR_KEY = re.compile(r"\{\{<\s*var\s+(?P<key>[^\s>]+)\s*>\}\}")


def read_section(path: Path) -> tuple[dict, str]:
    """An authored section: its front matter (``needs``, ``nodata``, ``else``) and its Markdown body."""
    text = Path(path).read_text(encoding="utf-8")
    m = _FRONT.match(text)
    if not m:
        return {}, text
    front = yaml.safe_load(m["yaml"]) or {}
    if not isinstance(front, dict):
        raise ValueError(f"{path}: front matter is not a mapping")
    return front, text[m.end():].lstrip("\n")


def _has_variable(variables: dict, key: str) -> bool:
    node = variables
    for part in key.strip("\"'").split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return not isinstance(node, (dict, list))


def section_gaps(body: str, flags: Mapping[str, bool], needs: list[str], variables: dict,
                 gen: Path) -> list[str]:
    """Why a section cannot be shown for this run (empty when it can), in French.

    First the data it needs (``needs`` flags); when those are there, the values
    (``{{< var >}}``) and generated figures or tables it uses that this run does
    not have (a statistic that cannot be computed on so few rows).
    """
    gaps = [DATA_FR.get(n, n) if "." not in n else "pas de données pour cette vague du recensement"
            for n in needs if not flags.get(n, False)]
    if gaps:
        return list(dict.fromkeys(gaps))
    missing = [m["key"] for m in _VAR_KEY.finditer(body) if not _has_variable(variables, m["key"])]
    for inc in _INCLUDE.findall(body):
        ref = inc.strip("\"'")
        parts = ref.split("_generated/", 1)
        if len(parts) == 2 and not parts[1].startswith(SECTIONS_DIR + "/") and not (gen / parts[1]).is_file():
            missing.append(parts[1])
    if missing:
        return ["les données de la période sont trop peu nombreuses pour calculer les valeurs, figures ou "
                "tableaux de cette partie"]
    return []


def _first_heading(body: str) -> str | None:
    for line in body.splitlines():
        if line.strip():
            return line if line.startswith("#") else None
    return None


def no_data_markdown(body: str, front: Mapping[str, object], gaps: list[str]) -> str:
    """The « no data » version of a section: its heading (kept for the table of contents) and a note.

    ``nodata: ""`` in the front matter means the section simply disappears (a
    sentence or paragraph that only makes sense with its data).
    """
    text = front.get("nodata")
    if text is not None and not str(text).strip():
        return ""
    if text is None:
        text = "Cette partie ne peut pas être établie pour cette période : " + " ; ".join(dict.fromkeys(gaps)) + "."
    heading = _first_heading(body)
    note = (f'::: {{.callout-note title="{NO_DATA_TITLE}"}}\n'
            + " ".join(str(text).split()) + "\n:::\n")
    return (heading + "\n\n" if heading else "") + note


def write_sections(report_dir: Path, gen: Path, variables: dict, flags: Mapping[str, bool]) -> dict[str, bool]:
    """Write ``_generated/sections/<name>.md`` for every ``report/sections/<name>.qmd``; returns name → shown.

    A section is shown as written when every data flag in its ``needs`` holds and
    every ``{{< var >}}`` and generated figure/table it uses exists for this run;
    otherwise its ``else`` section is used, or its « no data » note
    (:func:`no_data_markdown`). Chapters include the generated file, so both
    renderers (Quarto and the fallback) only ever see existing variables and
    files, and a cross-reference appears only next to its figure or table.
    """
    src = Path(report_dir) / SECTIONS_DIR
    out = gen / SECTIONS_DIR
    out.mkdir(parents=True, exist_ok=True)
    sections = {p.stem: read_section(p) for p in sorted(src.glob("*.qmd"))} if src.is_dir() else {}
    shown: dict[str, bool] = {}

    def render(name: str, seen: tuple[str, ...] = ()) -> str:
        if name not in sections:
            raise ValueError(f"section « {name} » introuvable dans {src}")
        if name in seen:
            raise ValueError(f"sections en boucle : {' → '.join((*seen, name))}")
        front, body = sections[name]
        needs = [str(n) for n in (front.get("needs") or [])]
        gaps = section_gaps(body, flags, needs, variables, gen)
        if not gaps:
            return body
        if front.get("else"):
            return render(str(front["else"]), (*seen, name))
        return no_data_markdown(body, front, gaps)

    for name, (front, body) in sections.items():
        needs = [str(n) for n in (front.get("needs") or [])]
        shown[name] = not section_gaps(body, flags, needs, variables, gen)
        (out / f"{name}.md").write_text(render(name), encoding="utf-8")
    return shown


def data_notice(flags: Mapping[str, bool], period_fr: tuple[str, str] | None) -> str:
    """A note at the start of the report listing the sources without data for the period (empty when none)."""
    missing = [text for key, text in SOURCES_FR.items() if not flags.get(key, False)]
    if not missing:
        return ""
    when = f" (de {period_fr[0]} à {period_fr[1]})" if period_fr else ""
    items = "\n".join(f"- {m} ;" for m in missing)
    items = items[:-1] + "."
    return (f'::: {{.callout-important title="Données absentes pour cette période"}}\n'
            f"Pour cette période{when}, les données ne comprennent pas :\n\n{items}\n\n"
            "Les parties des chapitres qui en dépendent le disent à leur place (« "
            f"{NO_DATA_TITLE.lower()} ») au lieu de montrer des chiffres.\n:::\n")


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
             "admises et caractère obligatoire. Les listes de codes sont celles des tables de référence du "
             "projet.\n"]
    for table, g in cb.groupby("table", sort=False):
        rows = [[f"`{r.variable}`", _DTYPES_FR.get(r.type, r.type), r.description, r.valeurs, r.obligatoire]
                for r in g.itertuples(index=False)]
        parts.append(f"## Table `{table}` {{#sec-codebook-{_ident(table)}}}\n")
        # kept on the page of its table (a heading and this line alone at a page's bottom, otherwise)
        parts.append(f"::: {{.keep-with-next}}\nLe @tbl-codebook-{_ident(table)} décrit ses {fmt_int(len(rows))} "
                     "variables.\n:::\n")
        parts.append(markdown_table(["Variable", "Type", "Description", "Valeurs admises", "Obligatoire"], rows,
                                    f"Variables de la table `{table}`", f"tbl-codebook-{_ident(table)}"))
    return "\n".join(parts)


_VIGNETTE = re.compile(r"^:::+\s*\{(?P<attrs>[^}]*\.vignette[^}]*)\}", re.M)
_KV = re.compile(r'(\w[\w-]*)="([^"]*)"')
_INCLUDE = re.compile(r"\{\{<\s*include\s+(\S+)\s*>\}\}")


def _chapter_order(report_dir: Path) -> list[Path]:
    """The book's chapters in reading order (``_quarto.yml``), else sorted by name."""
    cfg_path = report_dir / "_quarto.yml"
    if cfg_path.exists():
        book = (yaml.safe_load(cfg_path.read_text(encoding="utf-8")) or {}).get("book", {}) or {}
        entries = [e if isinstance(e, str) else e.get("href", "") for e in book.get("chapters", []) or []
                   if isinstance(e, (str, dict))]
        paths = [report_dir / e for e in entries if e and (report_dir / e).exists()]
        if paths:
            return paths
    return sorted(report_dir.glob("chapters/*.qmd"))


def vignettes_markdown(report_dir: Path) -> str:
    """Annex: index of the clinical vignettes in reading order (title, service, theme, where to read it).

    « Où la lire » cites the chapter (a cross-reference) and, in the PDF, the
    page (typst resolves ``<vig-…>``, the id of the vignette's box).
    """
    report_dir = Path(report_dir)
    where: dict[str, tuple[int, int, str]] = {}
    for k, qmd in enumerate(_chapter_order(report_dir)):
        text = qmd.read_text(encoding="utf-8")
        sec = re.search(r"^#\s.*\{#(sec-[\w-]+)", text, re.M)
        for j, inc in enumerate(_INCLUDE.findall(text)):
            target = (qmd.parent / inc.strip("\"'")).resolve()
            if sec:
                where.setdefault(target.name, (k, j, sec.group(1)))
    rows = []
    for path in sorted((report_dir / "vignettes").glob("*.qmd")):
        m = _VIGNETTE.search(path.read_text(encoding="utf-8"))
        if not m:
            continue
        kv = dict(_KV.findall(m["attrs"]))
        ident = re.search(r"#([\w-]+)", m["attrs"])
        pos = where.get(path.name)
        if pos is None:
            cell = "non reprise"
        else:
            cell = f"@{pos[2]}"
            if ident:
                vid = ident.group(1)
                cell += f"`, p.~#context link(<{vid}>, numbering(\"1\", ..counter(page).at(<{vid}>)))`{{=typst}}"
        rows.append(((pos or (10**6, 0, ""))[:2], [kv.get("title", path.stem), kv.get("service", ""),
                                                   kv.get("theme", ""), cell]))
    if not rows:
        return "Aucune vignette clinique dans cette édition.\n"
    rows.sort(key=lambda r: (r[0], r[1][0]))
    return ("Les vignettes cliniques résument des situations rapportées par les équipes ; prénoms et initiales "
            "sont d'emprunt. Le @tbl-vignettes les reprend dans l'ordre de lecture, avec le chapitre"
            " où lire chacune.\n\n"
            + markdown_table(["Vignette", "Service", "Thème", "Où la lire"], [r[1] for r in rows],
                             "Vignettes cliniques du rapport, dans l'ordre de lecture", "tbl-vignettes"))


def _files_read(run_out: Path) -> tuple[int, int] | None:
    """(workbooks read, workbooks kept) from the cleaning's file table, when present."""
    import pandas as pd

    path = run_paths(run_out)["clean"] / "files.parquet"
    if not path.exists():
        return None
    files = pd.read_parquet(path)
    return len(files), int((files["status"] == "used").sum())


def provenance_markdown(run_out: Path, variables: dict) -> str:
    """Annex: parameters, code version, inputs and software of this edition (from the run's provenance record)."""
    path = run_paths(run_out)["manifest"]
    if not path.exists():
        return "La provenance de cette édition n'a pas été enregistrée.\n"
    man = json.loads(path.read_text(encoding="utf-8"))
    params = man.get("parameters", {})
    period = variables.get("period", {})
    n_inputs = len(man.get("inputs", {}) or {})
    read = _files_read(run_out)
    inputs = f"{fmt_int(n_inputs)} fichiers"
    if read:
        inputs += (f" ; {fmt_int(read[0])} classeurs lus, dont {fmt_int(read[1])} retenus (les autres fichiers "
                   "sont détaillés au @tbl-qualite-fichiers)")
    rows = [
        ["Période", f"{period.get('start_fr', params.get('start', ''))} – {period.get('end_fr', params.get('end', ''))}"],
        ["Données", "jeu d'exemple synthétique" if params.get("is_example") else "données des services"],
        ["Seuil de publication des effectifs", str(params.get("threshold", ""))],
        ["Version du code", f"`{(man.get('commit') or 'inconnue')[:12]}`"
         + (" (avec modifications non enregistrées)" if man.get("commit_dirty") else "")],
        ["Python", str(man.get("python", ""))],
        ["Dossier des données reçues", inputs],
        ["Tables de référence", fmt_int(len(man.get("reference", {}) or {}))],
    ]
    text = ("Chaque production du rapport enregistre ce dont ses résultats dépendent : paramètres, version du "
            "code, empreinte de chaque fichier reçu et de chaque table de référence, versions des logiciels "
            "(@tbl-provenance et @tbl-provenance-paquets). Relancer la même commande sur les mêmes fichiers, "
            "avec le même code, redonne les mêmes chiffres.\n\n"
            + markdown_table(["Élément", "Valeur"], rows, "Provenance de cette édition", "tbl-provenance"))
    packages = man.get("packages", {}) or {}
    keep = ("pandas", "numpy", "scipy", "statsmodels", "matplotlib", "seaborn", "pypandoc-binary", "typst",
            "papermill", "nbconvert", "prr-report")
    pk = [[f"`{k}`", v] for k, v in sorted(packages.items()) if k in keep]
    if pk:
        text += "\n" + markdown_table(["Paquet", "Version"], pk, "Versions des principaux paquets",
                                      "tbl-provenance-paquets")
    return text


def audit_markdown(metrics: Mapping[str, object], ref_dir: Path = REFERENCE_DIR,
                   threshold: int = DEFAULT_DISCLOSURE_THRESHOLD, withheld: set[str] = frozenset()) -> str:
    """Annex: each figure printed in 2022 next to the recomputed value (:func:`analysis.analyses.audit.build_audit`).

    The recomputed value is this edition's, so it is published as the chapters publish it: a value
    resting on a withheld or small count (or a sum of values one of which is) reads « non publié »,
    and so does its status (« conforme » next to a printed 0,0 % would give the count back).
    """
    from analysis.analyses.audit import build_audit, load_published

    published = load_published(ref_dir)
    printed = (str(published.get("period.start", "")), str(published.get("period.end", "")))
    run = (str(metrics.get("period.start") or ""), str(metrics.get("period.end") or ""))
    if all(run) and run != printed:
        # another period: a figure-by-figure comparison with 2022 would only list differences
        return (f"Les chiffres imprimés dans le rapport de 2022 portent sur le suivi de {fmt_month(printed[0])} "
                f"à {fmt_month(printed[1])}. Cette édition couvre une autre période, de {fmt_month(run[0])} à "
                f"{fmt_month(run[1])} : ses valeurs ne sont pas comparables à celles de 2022 et le tableau de "
                "contrôle n'est pas reproduit ici. Il l'est dans toute édition calculée sur la période du rapport "
                "de 2022.\n")
    df = build_audit(dict(metrics), ref_dir)
    keys = {k.strip() for m in df["metric"] if m for k in m.split("+")}
    shown = build_variables(metrics, threshold, withheld=withheld, only=keys & set(metrics))

    def published(key: str) -> bool:
        node = shown
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return isinstance(node, str) and node == publish_metric(key, metrics[key], threshold) \
            and not node.startswith(("non publié", "moins de"))

    rows = []
    for r in df.itertuples(index=False):
        if r.computed is None:
            rows.append([r.label, r.printed, "–", r.status, r.note])
        elif all(published(k.strip()) for k in (r.metric or "").split("+")):
            rows.append([r.label, r.printed, format_metric(r.metric or "", r.computed), r.status, r.note])
        else:
            rows.append([r.label, r.printed, WITHHELD_FR, "non publié", r.note])
    return ("Chaque chiffre imprimé dans le rapport de 2022 est comparé à la valeur recalculée par la chaîne de "
            "traitement, arrondie à la précision imprimée (@tbl-audit).\n\n"
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
    from analysis.publish.evolution import NO_EDITION, NO_EDITION_PROVENANCE
    from analysis.report.notebooks import IMAGES_DIR, notebooks_markdown, shown_in_book

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
    from analysis.publish.sosa18 import budget_markdown, form_markdown, impact_markdown, services_markdown

    (gen / "tables" / "services.md").write_text(services_markdown(ref_dir), encoding="utf-8")
    (gen / "tables" / "sosa18_budget.md").write_text(budget_markdown(ref_dir), encoding="utf-8")
    (gen / "tables" / "sosa18_impact.md").write_text(impact_markdown(ref_dir), encoding="utf-8")
    (gen / "tables" / "sosa18_fiche.md").write_text(form_markdown(ref_dir), encoding="utf-8")
    info = make_chronology_figure(gen / "figures", ref_dir)
    (gen / "figures" / "chronologie.md").write_text(
        figure_snippet("chronologie", info["caption"], info["alt"]), encoding="utf-8")
    (gen / "synthetic-notice.md").write_text(synthetic_notice(is_example), encoding="utf-8")

    from analysis.publish.linked import read_withheld

    variables = build_variables(metrics, threshold, is_example, period, withheld=read_withheld(run_out),
                                only=referenced_variables(report_dir))
    flags = data_flags(metrics, ref_dir)
    variables.setdefault("sources", {})["census_waves_fr"] = census_waves_fr(flags, ref_dir)
    start, end = metrics.get("period.start") or params.get("start"), metrics.get("period.end") or params.get("end")
    variables["sources"]["census_coverage_fr"] = census_coverage_fr(start, end, ref_dir)
    baseline = census_wave_fr(metrics.get("referrals.baseline_wave"), ref_dir)
    if baseline:
        variables.setdefault("referrals", {})["baseline_wave_fr"] = baseline
    write_variables(variables, report_dir / "_variables.yml")
    write_sections(report_dir, gen, variables, flags)
    per = variables.get("period", {})
    (gen / "data-notice.md").write_text(
        data_notice(flags, (per["start_fr"], per["end_fr"]) if "start_fr" in per else None), encoding="utf-8")

    builders = {
        "audit": lambda: audit_markdown(metrics, ref_dir, threshold, read_withheld(run_out)),
        "codebook": codebook_markdown,
        "provenance": lambda: provenance_markdown(run_out, variables),
        "notebooks": lambda: notebooks_markdown(run_out, gen / "figures", report_dir / IMAGES_DIR,
                                                shown_in_book(report_dir)),
        "vignettes": lambda: vignettes_markdown(report_dir),
        # written by the evolution step; a run made without it has no earlier edition to show
        "evolution": lambda: NO_EDITION,
        "evolution-provenance": lambda: NO_EDITION_PROVENANCE,
    }
    for name in ANNEX_DOCS:
        text = (gen / "tables" / f"{name}.md").read_text(encoding="utf-8") if name in tables else builders[name]()
        (gen / f"{name}.md").write_text(text, encoding="utf-8")
