"""The tutorial notebook runs on the current code (docs/tutorial.ipynb, executed with
nbclient as nbmake does; `pytest --nbmake docs/tutorial.ipynb` runs it the same way)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "tutorial.ipynb"


def test_tutorial_notebook_executes():
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    ).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 3  # interaction, envelopes and the PRIM box were drawn
    text = " ".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "par_legitimacy" in text  # the Stata export read back
