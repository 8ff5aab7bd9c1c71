"""Train and score a model; mlgate runs this K times (train.repeats) with MLGATE_SEED set."""

import json
import os

import yaml
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split

seed = int(os.environ.get("MLGATE_SEED", 0))  # the one line: run i gets seed + i
params = yaml.safe_load(open("params.yaml"))["train"]

x, y = load_breast_cancer(return_X_y=True)
x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.3, stratify=y, random_state=seed)
model = RandomForestClassifier(random_state=seed, **params).fit(x_tr, y_tr)
scores = {
    "accuracy": accuracy_score(y_te, model.predict(x_te)),
    "roc_auc": roc_auc_score(y_te, model.predict_proba(x_te)[:, 1]),
}
with open("metrics.json", "w") as f:
    json.dump(scores, f, indent=2)
