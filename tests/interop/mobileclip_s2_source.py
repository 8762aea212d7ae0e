# The golden MobileCLIP-S2 source regenerated from its manifest and converted by oclip with
# --bin: returns the folder and the state dict torch reads back from its .bin.
import os
import subprocess

import torch


def converted_mobileclip_s2(tool, oclip, case, work):
    source = os.path.join(work, "mobileclip_s2.pt")
    subprocess.run([tool, "regen", os.path.join(case, "manifest.json"), source], check=True)
    folder = os.path.join(work, "mobileclip_s2")
    run = subprocess.run([oclip, "convert", source, "-o", folder, "--bin", "--no-validate"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return folder, torch.load(os.path.join(folder, "open_clip_pytorch_model.bin"), weights_only=True)
