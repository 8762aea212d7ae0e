# A real-size OpenAI ViT-B/32 TorchScript archive, built the way OpenAI's release is
# (openai_clip_archive.py). oclip must infer ViT-B-32-quickgelu from the shapes alone, write every
# tensor as float32 exactly, validate against the archive's own program, and its check must
# catch a perturbed weight.
# usage: /usr/bin/python3 openai_vit_b32.py OCLIP
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

from openai_clip_archive import vit_b32_archive
from safetensors_file import write_safetensors

oclip = sys.argv[1]


def run_json(args, expected_exit):
    run = subprocess.run([oclip] + args + ["--json"], capture_output=True, text=True)
    assert run.returncode == expected_exit, (args, run.returncode, run.stdout, run.stderr)
    return json.loads(run.stdout)


traced, image, text = vit_b32_archive()
source_sd = {k: v.clone() for k, v in traced.state_dict().items()}
halves = sum(v.dtype == torch.float16 for v in source_sd.values())
assert (halves, len(source_sd)) == (195, 305), (halves, len(source_sd))  # the golden README's split

work = tempfile.mkdtemp(prefix="oclip-openai-b32-")
try:
    archive = os.path.join(work, "ViT-B-32.pt")
    torch.jit.save(traced, archive)
    out = os.path.join(work, "openai-b32")
    result = run_json(["convert", archive, "-o", out, "--bin"], 0)
    assert result["family"] == "openai" and result["model"] == "ViT-B-32-quickgelu", result
    assert result["validation"]["pass"] and result["validation"]["checks"][0]["against"] == "ViT-B-32.pt", \
        result["validation"]
    with open(os.path.join(out, "open_clip_config.json")) as f:
        assert json.load(f)["model_cfg"] == run_json(["info", "ViT-B-32-quickgelu"], 0)["config"]

    converted = torch.load(os.path.join(out, "open_clip_pytorch_model.bin"), weights_only=True)
    expected = {k: v.float() for k, v in source_sd.items()
                if k not in ("input_resolution", "context_length", "vocab_size")}
    assert converted.keys() == expected.keys(), set(converted) ^ set(expected)
    for k, v in expected.items():
        assert converted[k].dtype == torch.float32 and torch.equal(converted[k], v), k

    # The archive's program computes the reference; a perturbed copy of the weights must fail it.
    program = torch.jit.load(archive).float()
    with torch.no_grad():
        reference = {"image": image.numpy(), "text": text.numpy(),
                     "image_features": program.encode_image(image).numpy(),
                     "text_features": program.encode_text(text).numpy(),
                     "logit_scale": np.float32(program.logit_scale.item())}
    npz = os.path.join(work, "reference.npz")
    np.savez(npz, **reference)
    report = run_json(["validate", out, "--reference", npz], 0)
    print("ViT-B/32: " + "; ".join(f"{r['tower']} rel {r['rel']:.3g}" for r in report["checks"][0]["towers"]))
    perturbed = os.path.join(work, "perturbed")
    os.makedirs(perturbed)
    shutil.copy(os.path.join(out, "open_clip_config.json"), perturbed)
    name = "visual.transformer.resblocks.11.mlp.c_proj.weight"
    converted[name] += torch.randn(converted[name].shape) * 1e-2
    write_safetensors(os.path.join(perturbed, "open_clip_model.safetensors"), converted)
    assert not run_json(["validate", perturbed, "--reference", npz], 9)["pass"]
finally:
    shutil.rmtree(work)
