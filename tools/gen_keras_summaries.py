#!/usr/bin/env python3
"""Keras's own model.summary() of each committed test model (tests/data/keras/NAME.keras),
to NAME.summary.txt beside it: `recur summary --load NAME.keras` must print the same table
(tests/test_cli.sh). Any Keras 3 backend gives the same text; run on a developer machine:
    KERAS_BACKEND=jax python3 tools/gen_keras_summaries.py tests/data/keras
"""
import glob
import os
import sys

import keras

DIR = sys.argv[1] if len(sys.argv) > 1 else "tests/data/keras"
for path in sorted(glob.glob(os.path.join(DIR, "*.keras"))):
    lines = []
    keras.models.load_model(path).summary(print_fn=lambda s, line_break=True: lines.append(s))
    with open(path[: -len(".keras")] + ".summary.txt", "w") as f:
        f.write("\n".join(lines).rstrip("\n") + "\n")
