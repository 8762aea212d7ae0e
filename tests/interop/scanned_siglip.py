# big_vision's scanned layout (encoderblock/ with a leading depth axis), made by numpy from the
# regenerated golden SigLIP source, must convert to the same open_clip state dict as the
# unscanned file: golden target.json.
# usage: /usr/bin/python3 scanned_siglip.py OCLIP CHECKPOINT_TOOL GOLDEN_DIR
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

oclip, tool, golden = sys.argv[1:4]
case = os.path.join(golden, "cases", "siglip-b16")
work = tempfile.mkdtemp(prefix="oclip-scanned-")
try:
    unscanned = os.path.join(work, "webli_en_b16_224_golden.npz")
    subprocess.run([tool, "regen", os.path.join(case, "manifest.json"), unscanned], check=True)
    arrays = dict(np.load(unscanned))
    scanned, stacks = {}, {}
    block = re.compile(r"^(params/(?:img/Transformer|txt/Encoder_0)/)encoderblock_(\d+)/(.*)$")
    for key, value in arrays.items():
        m = block.match(key)
        if m:
            stacks.setdefault(m.group(1) + "encoderblock/" + m.group(3), {})[int(m.group(2))] = value
        else:
            scanned[key] = value
    for key, layers in stacks.items():
        scanned[key] = np.stack([layers[i] for i in range(len(layers))])
    del arrays
    path = os.path.join(work, "scanned.npz")
    np.savez(path, **scanned)
    del scanned
    out = os.path.join(work, "out")
    run = subprocess.run([oclip, "convert", path, "--model", "ViT-B-16-SigLIP", "-o", out], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    subprocess.run([tool, "target", os.path.join(case, "target.json"), os.path.join(out, "open_clip_model.safetensors")],
                   check=True)
    print(f"scanned layout: {len(stacks)} stacked arrays converted to target.json")
finally:
    shutil.rmtree(work, ignore_errors=True)
