# The folded (reparameterised) form of a FastViT tower must compute what the train-time form
# computes. The golden MobileCLIP-S2 conversion is folded here by torch, module by module as
# timm's reparameterize() does (architectures.md §5.7), written as safetensors by this script,
# and validated against the golden reference, which open_clip computed on the unfolded form.
# usage: /usr/bin/python3 reparam_fold.py OCLIP CHECKPOINT_TOOL GOLDEN_DIR
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch

from mobileclip_s2_source import converted_mobileclip_s2
from safetensors_file import write_safetensors

oclip, tool, golden = sys.argv[1:4]
case = os.path.join(golden, "cases", "mobileclip-s2")
EPS = 1e-5  # timm's BatchNorm2d


def conv_bn(sd, p):
    """A conv + BN branch as one conv with bias."""
    w = sd.pop(p + "conv.weight")
    scale = sd.pop(p + "bn.weight") / torch.sqrt(sd.pop(p + "bn.running_var") + EPS)
    bias = sd.pop(p + "bn.bias") - sd.pop(p + "bn.running_mean") * scale
    sd.pop(p + "bn.num_batches_tracked", None)
    return w * scale.reshape(-1, 1, 1, 1), bias


def identity_kernel(channels, in_per_group, k):
    w = torch.zeros(channels, in_per_group, k, k)
    for c in range(channels):
        w[c, c % in_per_group, k // 2, k // 2] = 1
    return w


def bn_as_conv(sd, p, in_per_group, k):
    """A BN on the identity, as a k x k conv with bias."""
    gamma = sd.pop(p + "weight")
    scale = gamma / torch.sqrt(sd.pop(p + "running_var") + EPS)
    bias = sd.pop(p + "bias") - sd.pop(p + "running_mean") * scale
    sd.pop(p + "num_batches_tracked", None)
    return identity_kernel(gamma.numel(), in_per_group, k) * scale.reshape(-1, 1, 1, 1), bias


def pad_to(w, k):
    pad = (k - w.shape[-1]) // 2
    return torch.nn.functional.pad(w, [pad] * 4)


def mobileone(sd, p):
    """identity BN + 1x1 scale branch + k x k branches, summed into one conv."""
    w, b = conv_bn(sd, p + "conv_kxk.0.")
    k, in_per_group = w.shape[-1], w.shape[1]
    if p + "conv_scale.conv.weight" in sd:
        ws, bs = conv_bn(sd, p + "conv_scale.")
        w, b = w + pad_to(ws, k), b + bs
    if p + "identity.weight" in sd:
        wi, bi = bn_as_conv(sd, p + "identity.", in_per_group, k)
        w, b = w + wi, b + bi
    return w, b


def fold(sd):
    sd = dict(sd)
    folded = {}
    keys = list(sd)
    # RepMixer as a whole: x + gamma * (mixer(x) - norm(x)).
    for key in keys:
        if key.endswith("token_mixer.layer_scale.gamma"):
            p = key[: -len("layer_scale.gamma")]
            wm, bm = mobileone(sd, p + "mixer.")
            wn, bn = bn_as_conv(sd, p + "norm.identity.", 1, 3)
            gamma = sd.pop(key).reshape(-1)
            w = identity_kernel(gamma.numel(), 1, 3) + gamma.reshape(-1, 1, 1, 1) * (wm - wn)
            folded[p] = (w, gamma * (bm - bn))
    for key in keys:
        if key.endswith("large_conv.conv.weight") and key in sd:
            p = key[: -len("large_conv.conv.weight")]
            wl, bl = conv_bn(sd, p + "large_conv.")
            ws, bs = conv_bn(sd, p + "small_conv.")
            folded[p] = (wl + pad_to(ws, wl.shape[-1]), bl + bs)
        elif key.endswith("pos_emb.pos_enc.weight"):
            p = key[: -len("pos_enc.weight")]
            w = sd.pop(p + "pos_enc.weight")
            folded[p] = (w + identity_kernel(w.shape[0], 1, w.shape[-1]), sd.pop(p + "pos_enc.bias"))
    for key in keys:
        if key.endswith("conv_kxk.0.conv.weight") and key in sd:
            p = key[: -len("conv_kxk.0.conv.weight")]
            folded[p] = mobileone(sd, p)
    for p, (w, b) in folded.items():
        sd[p + "reparam_conv.weight"] = w.contiguous()
        sd[p + "reparam_conv.bias"] = b.contiguous()
    return sd, len(folded)


def validate(folder):
    run = subprocess.run([oclip, "validate", folder, "--reference", os.path.join(case, "reference.npz"), "--json"],
                         capture_output=True, text=True)
    report = json.loads(run.stdout) if run.stdout.strip() else {}
    assert run.returncode == 0 and report.get("pass"), (run.returncode, run.stdout, run.stderr)
    return report


work = tempfile.mkdtemp(prefix="oclip-reparam-")
try:
    unfolded, sd = converted_mobileclip_s2(tool, oclip, case, work)
    folded_sd, modules = fold(sd)
    leftovers = [k for k in folded_sd if any(s in k for s in ("conv_kxk", "conv_scale", ".identity.", "large_conv",
                                                                "small_conv", "pos_enc", "token_mixer.mixer"))]
    assert not leftovers, leftovers[:5]
    folded = os.path.join(work, "folded")
    os.makedirs(folded)
    shutil.copy(os.path.join(unfolded, "open_clip_config.json"), folded)
    write_safetensors(os.path.join(folded, "open_clip_model.safetensors"), folded_sd)

    for name, folder, tensors in (("train-time", unfolded, sd), ("folded", folded, folded_sd)):
        image = validate(folder)["checks"][0]["towers"][0]
        print(f"{name}: {len(tensors)} tensors, image rel {image['rel']:.3g}, cos {image['cos']:.12f}, "
              f"maxabs {image['maxabs']:.3g}")
    print(f"folded {modules} modules")

    # The check can fail: one folded conv perturbed by 1e-2 is caught.
    name = next(k for k in folded_sd if k.endswith("token_mixer.reparam_conv.weight"))
    folded_sd[name] = folded_sd[name] + 1e-2
    write_safetensors(os.path.join(folded, "open_clip_model.safetensors"), folded_sd)
    run = subprocess.run([oclip, "validate", folded, "--reference", os.path.join(case, "reference.npz"), "--json"],
                         capture_output=True, text=True)
    assert run.returncode != 0 and not json.loads(run.stdout)["pass"], run.stdout
finally:
    shutil.rmtree(work)
