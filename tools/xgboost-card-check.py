#!/usr/bin/env python3
"""Trains real XGBoost on the matrices `npm run model -- evaluate-cards --export DIR` wrote, and writes its
test scores (one per line) for `--scores NAME=FILE`, so both libraries are measured by the same metric code
on the same split and features. Needs the xgboost Python package (Debian: apt-get install python3-xgboost).

  python3 tools/xgboost-card-check.py DIR
"""
import sys

import numpy as np
import xgboost as xgb

CONFIGS = {
    # the Handbook's baseline: XGBClassifier() with its defaults
    "xgboost-defaults": (dict(max_depth=6, eta=0.3), 100),
    # the parameters our trees use on card features (CARD_GBDT_PARAMETERS), rounds as our early stopping chose
    "xgboost-as-ours": (dict(max_depth=4, eta=0.05, subsample=0.8, colsample_bytree=0.8, max_bin=255), None),
}


def main(folder: str, rounds_as_ours: int) -> None:
    train = np.loadtxt(f"{folder}/train.csv", delimiter=",", skiprows=1)
    test = np.loadtxt(f"{folder}/test.csv", delimiter=",", skiprows=1)
    dtrain = xgb.DMatrix(train[:, 1:], label=train[:, 0])
    dtest = xgb.DMatrix(test[:, 1:])
    for name, (params, rounds) in CONFIGS.items():
        booster = xgb.train(
            dict(objective="binary:logistic", tree_method="hist", seed=0, **params),
            dtrain,
            rounds or rounds_as_ours,
        )
        path = f"{folder}/{name}.txt"
        np.savetxt(path, booster.predict(dtest), fmt="%.9g")
        print(f"{name}: xgboost {xgb.__version__}, {rounds or rounds_as_ours} rounds, scores in {path}")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 160)
