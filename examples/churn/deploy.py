"""Example deploy command for `deploy: {target: command}`.

mlgate runs it only after the gate passed on main, with the model in its environment:
MLGATE_MODEL_PATH, MLGATE_MODEL_VERSION, MLGATE_MODEL_NAME, MLGATE_METRICS_JSON, ...
Here "shipping" copies the model into $DEPLOY_DIR (default: ./deployed); replace it with your
upload (S3, a model server, a registry).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

model = Path(os.environ["MLGATE_MODEL_PATH"])
version = os.environ["MLGATE_MODEL_VERSION"]
target = Path(os.environ.get("DEPLOY_DIR", "deployed")) / version
target.mkdir(parents=True, exist_ok=True)
shutil.copy2(model, target / model.name)
receipt = {
    "name": os.environ.get("MLGATE_MODEL_NAME"),
    "version": version,
    "metrics": json.loads(os.environ.get("MLGATE_METRICS_JSON", "{}")),
}
(target / "receipt.json").write_text(json.dumps(receipt, indent=2) + "\n", encoding="utf-8")
print(f"deployed {receipt['name']} {version} to {target}")
