"""synthcraft: corpus + a handful of examples -> synthetic fine-tuning data, with proof it helps."""
import os

# No code path may reach a model hub unless the user asks for it: set HF_HUB_OFFLINE=0 yourself
# (on a machine with network) when params name a hub model.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", os.environ["HF_HUB_OFFLINE"])

__version__ = "0.1.0"
