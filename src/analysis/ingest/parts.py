"""Clean rows kept on disk as each sheet is cleaned, streamed into the clean tables at the end.

Memory bounded by one workbook, not by the folder: with a :class:`Spill`, each sheet's clean
rows (one :class:`~analysis.ingest.clean._Part`) go to a small Arrow IPC file of a temporary
folder as soon as the sheet is cleaned; the cleaning keeps only each part's row count and its
(service, month) counts, which are all the resubmission rule (rule 9), the accounting, the
returns and the registry warnings need. A table is then a :class:`SpilledTable`: its parts in
the table's order (file, sheet; each part in row order), written by :meth:`SpilledTable.write`
one parquet row group at a time.

The parquet file is byte-identical to ``DataFrame.to_parquet`` of the whole table: pandas hands
pyarrow the whole table, which writes it in row groups of :data:`ROW_GROUP_ROWS` rows, each from
contiguous arrays; here each row group is assembled from the parts it spans, made contiguous,
and written with the same schema (the pandas metadata depends on the columns' dtypes only).
The content digest (:func:`analysis.cache.frame_digest`) is the same too: it hashes the row
count and then each row, so it is computed row group after row group.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import weakref
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.ingest import schema

#: pyarrow's default largest row group (``pyarrow.parquet.write_table`` without ``row_group_size``):
#: the row groups of a file written by ``DataFrame.to_parquet``.
ROW_GROUP_ROWS = 1024 * 1024


def contiguous(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with each arrow-backed column in one piece (column after column, in place).

    A concatenation of frames leaves arrow string columns in as many pieces as frames, and the
    parquet writer splits its pages at the pieces' boundaries: the file would differ, byte for
    byte, from the same rows written from one piece.
    """
    for c in df.columns:
        arr = df[c].array
        pieces = getattr(arr, "_pa_array", None)
        if isinstance(pieces, pa.ChunkedArray) and pieces.num_chunks > 1:
            df[c] = pd.Series(type(arr)(pieces.combine_chunks()), index=df.index, copy=False)
            del arr, pieces
    return df


#: Name prefix of a spill's folder.
PREFIX = "prr-clean-parts-"


class Spill:
    """A temporary folder of Arrow IPC files, one per part; removed with the object."""

    def __init__(self, parent: Path | None = None):
        if parent is not None:
            Path(parent).mkdir(parents=True, exist_ok=True)
        self.dir = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
        self._count = 0
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self.dir), True)

    def put(self, frame: pd.DataFrame) -> Path:
        path = self.dir / f"{self._count:07d}.arrow"
        self._count += 1
        table = pa.Table.from_pandas(frame, preserve_index=False)
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        return path

    @staticmethod
    def get(path: Path, dtypes: dict[str, str]) -> pd.DataFrame:
        with pa.memory_map(str(path)) as source:
            table = pa.ipc.open_file(source).read_all()
        df = table.to_pandas()
        del table
        return df.astype({c: t for c, t in dtypes.items() if str(df[c].dtype) != t})

    @staticmethod
    def drop(path: Path) -> None:
        Path(path).unlink(missing_ok=True)

    def close(self) -> None:
        self._cleanup()

    @staticmethod
    def sweep(parent: Path) -> list[Path]:
        """Remove the part folders a stopped process left in ``parent`` (a kernel killed before its
        exit handlers ran cannot remove its own); returns those removed."""
        gone = sorted(Path(parent).glob(f"{PREFIX}*")) if Path(parent).is_dir() else []
        for d in gone:
            shutil.rmtree(d, ignore_errors=True)
        return gone


class SpilledTable:
    """A clean table held as its parts on disk, in the table's order (see the module docstring).

    Not a frame: ``len()`` is its row count; :meth:`frame` reads it whole (tests, small runs);
    :meth:`write` streams it into a parquet file.
    """

    def __init__(self, table: str, parts: list, dtypes: dict[str, str]):
        self.table = table
        self.parts = parts  # clean._Part, each with .path, .n, .pairs, .source, .sheet
        self.dtypes = dtypes
        self.columns = list(dtypes)
        # the schema as the cleaning saw it (a raw folder's services.csv may add services)
        self._schema = schema.pandera_schema(table)

    def __getstate__(self) -> dict:
        # sent to another process (:class:`analysis.kernelfork.ForkedCall`): the schema is made again
        # there, from the same reference tables and registry override (the run's environment)
        return {k: v for k, v in self.__dict__.items() if k != "_schema"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._schema = schema.pandera_schema(self.table)

    def validate(self, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` (rows of this table) validated against the table's schema, as it stood when the
        table was cleaned; raises pandera's error listing the failures."""
        return self._schema.validate(df, lazy=True)

    def __len__(self) -> int:
        return sum(p.n for p in self.parts)

    @property
    def empty(self) -> bool:
        return len(self) == 0

    def pairs(self) -> pd.DataFrame:
        """The distinct (service_code, month) of the table's rows."""
        keys = sorted({k for p in self.parts for k, n in p.pairs.items() if n})
        return pd.DataFrame(keys, columns=["service_code", "month"])

    def counts(self) -> Counter:
        """(source_file, sheet) → rows."""
        out: Counter = Counter()
        for p in self.parts:
            out[(p.source, p.sheet)] += p.n
        return out

    def frames(self):
        """The parts' frames, in order, one at a time."""
        for p in self.parts:
            yield Spill.get(p.path, self.dtypes)

    def frame(self) -> pd.DataFrame:
        """The whole table in memory (as :func:`analysis.ingest.clean.frame_of_parts` would build it)."""
        frames = list(self.frames())
        if not frames:
            return pd.DataFrame({c: pd.Series(dtype=t) for c, t in self.dtypes.items()})
        df = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        return self.validate(contiguous(df))

    def row_groups(self, rows: int = ROW_GROUP_ROWS):
        """The table in frames of ``rows`` rows (the last one shorter), each column contiguous, each
        validated against the table's schema (:meth:`validate`)."""
        for df in self._row_groups(rows):
            self.validate(df)
            yield df

    def _row_groups(self, rows: int):
        held: list[pd.DataFrame] = []
        n_held = 0
        for df in self.frames():
            start = 0
            while start < len(df):
                take = min(rows - n_held, len(df) - start)
                held.append(df.iloc[start:start + take] if (start, take) != (0, len(df)) else df)
                n_held += take
                start += take
                if n_held == rows:
                    yield contiguous(pd.concat(held, ignore_index=True) if len(held) > 1
                                      else held[0].reset_index(drop=True))
                    held, n_held = [], 0
            del df
        if held:
            yield contiguous(pd.concat(held, ignore_index=True) if len(held) > 1 else held[0].reset_index(drop=True))

    def write(self, path: Path, digest_drop: tuple[str, ...] | None = None) -> str | None:
        """Write the table to ``path`` as ``DataFrame.to_parquet(path, index=False)`` would, one row
        group in memory at a time; with ``digest_drop``, return its :func:`analysis.cache.frame_digest`
        (those columns left out), computed on the way."""
        h = None
        if digest_drop is not None:
            kept = [c for c in self.columns if c not in digest_drop]
            h = hashlib.sha256()
            h.update(json.dumps([[c, self.dtypes[c]] for c in kept]).encode())
            h.update(str(len(self)).encode())
        writer = None
        try:
            for df in self.row_groups():
                table = pa.Table.from_pandas(df, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(str(path), table.schema)
                writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
                del table
                if h is not None and kept:
                    h.update(pd.util.hash_pandas_object(df[kept], index=False).to_numpy().tobytes())
                del df
        finally:
            if writer is not None:
                writer.close()
        return h.hexdigest() if h is not None else None
