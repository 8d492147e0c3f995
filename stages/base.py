"""base: the student model as a safetensors folder under models/base/ (converted once from GGUF).

    dvc repro base
    dvc exp run -S base.model=/path/to/any/transformers/model-folder

A GGUF-loaded model cannot save_pretrained and loads in ~25 s; the converted folder loads in ~2 s.
"""
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from synthcraft.models import BaseParams, save_as_safetensors
from synthcraft.runtime import setup_logging
from synthcraft.stage import load_params, parse_paths


@dataclass
class Paths:
    out: Path = Path("models/base")


def run(params, paths: Paths) -> dict:
    model = params.base.model
    tmp = paths.out.with_name(paths.out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    save_as_safetensors(model, tmp)
    (tmp / "synthcraft_source.json").write_text(json.dumps({"model": model}) + "\n")
    shutil.rmtree(paths.out, ignore_errors=True)
    tmp.rename(paths.out)  # complete or absent: never a half-written model folder
    logging.info("wrote %s from %s", paths.out, model)
    return {"model": model}


def main() -> None:
    setup_logging()
    run(load_params(base=BaseParams), parse_paths(Paths, __doc__))


if __name__ == "__main__":
    main()
