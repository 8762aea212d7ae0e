# The timm ViTs of MobileCLIP-B (vit_base_mci_224, hybrid conv stem) and MobileCLIP2-L-14
# (vit_large_patch14_clip_224) have no golden fixture: each gets random full-size weights, its
# forward is written here a second time in plain torch from architectures.md §5.2, 5.4, 5.5, and
# the validator must agree with it. The text tower and its reference come from the golden
# MobileCLIP-S2 case, so the configs below keep S2's non-causal text tower.
# usage: /usr/bin/python3 timm_vits.py OCLIP CHECKPOINT_TOOL GOLDEN_DIR
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

from mobileclip_s2_source import converted_mobileclip_s2
from safetensors_file import write_safetensors

oclip, tool, golden = sys.argv[1:4]
s2 = os.path.join(golden, "cases", "mobileclip-s2")
T = "visual.trunk."
g = torch.Generator().manual_seed(0)


def randn(*shape, scale=0.02):
    return torch.randn(shape, generator=g) * scale


def block_weights(sd, i, d, m):
    p = f"{T}blocks.{i}."
    for norm in ("norm1", "norm2"):
        sd[p + norm + ".weight"], sd[p + norm + ".bias"] = 1 + randn(d, scale=0.1), randn(d)
    sd[p + "attn.qkv.weight"], sd[p + "attn.qkv.bias"] = randn(3 * d, d), randn(3 * d)
    sd[p + "attn.proj.weight"], sd[p + "attn.proj.bias"] = randn(d, d), randn(d)
    sd[p + "mlp.fc1.weight"], sd[p + "mlp.fc1.bias"] = randn(m, d), randn(m)
    sd[p + "mlp.fc2.weight"], sd[p + "mlp.fc2.bias"] = randn(d, m), randn(d)


def timm_block(sd, i, x, heads, eps):
    p = f"{T}blocks.{i}."
    b, n, d = x.shape
    h = F.layer_norm(x, (d,), sd[p + "norm1.weight"], sd[p + "norm1.bias"], eps)
    qkv = F.linear(h, sd[p + "attn.qkv.weight"], sd[p + "attn.qkv.bias"])
    q, k, v = qkv.reshape(b, n, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
    a = torch.softmax((q * (d // heads) ** -0.5) @ k.transpose(-2, -1), dim=-1) @ v
    x = x + F.linear(a.transpose(1, 2).reshape(b, n, d), sd[p + "attn.proj.weight"], sd[p + "attn.proj.bias"])
    h = F.layer_norm(x, (d,), sd[p + "norm2.weight"], sd[p + "norm2.bias"], eps)
    return x + F.linear(F.gelu(F.linear(h, sd[p + "mlp.fc1.weight"], sd[p + "mlp.fc1.bias"])),
                        sd[p + "mlp.fc2.weight"], sd[p + "mlp.fc2.bias"])


def hybrid_weights():
    sd = {}
    for i, (cout, cin, k) in enumerate([(192, 3, 4), (192, 192, 2)]):
        p = f"{T}patch_embed.backbone.{i}."
        sd[p + "conv.weight"] = randn(cout, cin, k, k, scale=0.2)
        sd[p + "bn.weight"], sd[p + "bn.bias"] = 1 + randn(cout, scale=0.1), randn(cout, scale=0.1)
        sd[p + "bn.running_mean"] = randn(cout, scale=0.1)
        sd[p + "bn.running_var"] = 0.5 + torch.rand(cout, generator=g)
        sd[p + "bn.num_batches_tracked"] = torch.tensor(0)
    sd[f"{T}patch_embed.backbone.2.conv.weight"] = randn(768, 192, 2, 2, scale=0.05)
    sd[f"{T}patch_embed.backbone.2.conv.bias"] = randn(768)
    sd[T + "cls_token"], sd[T + "pos_embed"] = randn(1, 1, 768), randn(1, 196, 768)
    for i in range(12):
        block_weights(sd, i, 768, 3072)
    sd[T + "norm.weight"], sd[T + "norm.bias"] = 1 + randn(768, scale=0.1), randn(768)
    sd[T + "head.weight"], sd[T + "head.bias"] = randn(512, 768), randn(512)
    return sd


def hybrid_forward(sd, image):
    def bn(x, p):
        return F.batch_norm(x, sd[p + "running_mean"], sd[p + "running_var"], sd[p + "weight"], sd[p + "bias"],
                            False, 0.0, 1e-5)
    p = T + "patch_embed.backbone."
    x = F.gelu(bn(F.conv2d(image, sd[p + "0.conv.weight"], stride=4), p + "0.bn."))
    x = F.gelu(bn(F.conv2d(x, sd[p + "1.conv.weight"], stride=2), p + "1.bn."))
    x = F.conv2d(x, sd[p + "2.conv.weight"], sd[p + "2.conv.bias"], stride=2)
    x = x.flatten(2).transpose(1, 2) + sd[T + "pos_embed"]
    x = torch.cat([sd[T + "cls_token"].expand(x.shape[0], -1, -1), x], dim=1)
    for i in range(12):
        x = timm_block(sd, i, x, 12, 1e-6)
    x = F.layer_norm(x, (768,), sd[T + "norm.weight"], sd[T + "norm.bias"], 1e-6)
    return F.linear(x[:, 0], sd[T + "head.weight"], sd[T + "head.bias"])


def clip_l14_weights():
    sd = {T + "patch_embed.proj.weight": randn(1024, 3, 14, 14), T + "cls_token": randn(1, 1, 1024),
          T + "pos_embed": randn(1, 257, 1024)}
    for name in ("norm_pre", "norm"):
        sd[f"{T}{name}.weight"], sd[f"{T}{name}.bias"] = 1 + randn(1024, scale=0.1), randn(1024)
    for i in range(24):
        block_weights(sd, i, 1024, 4096)
    sd[T + "head.weight"], sd[T + "head.bias"] = randn(768, 1024), randn(768)
    return sd


def clip_l14_forward(sd, image):
    x = F.conv2d(image, sd[T + "patch_embed.proj.weight"], stride=14).flatten(2).transpose(1, 2)
    x = torch.cat([sd[T + "cls_token"].expand(x.shape[0], -1, -1), x], dim=1) + sd[T + "pos_embed"]
    x = F.layer_norm(x, (1024,), sd[T + "norm_pre.weight"], sd[T + "norm_pre.bias"], 1e-5)
    for i in range(24):
        x = timm_block(sd, i, x, 16, 1e-5)
    x = F.layer_norm(x, (1024,), sd[T + "norm.weight"], sd[T + "norm.bias"], 1e-5)
    return F.linear(x[:, 0], sd[T + "head.weight"], sd[T + "head.bias"])


def check(name, config_name, weights, forward, text_sd, work):
    cfg = json.loads(subprocess.run([oclip, "info", config_name, "--json"], capture_output=True, text=True,
                                    check=True).stdout)["config"]
    with open(os.path.join(s2, "open_clip_config.json")) as f:
        cfg["text_cfg"] = json.load(f)["model_cfg"]["text_cfg"]  # S2's, whose reference is at hand
    folder = os.path.join(work, name)
    os.makedirs(folder)
    with open(os.path.join(folder, "open_clip_config.json"), "w") as f:
        json.dump({"model_cfg": cfg, "preprocess_cfg": {}}, f)
    sd = weights()
    ref = dict(np.load(os.path.join(s2, "reference.npz")))
    text = {k: v for k, v in text_sd.items() if k.startswith("text.") or k == "logit_scale"}
    if cfg["embed_dim"] != 512:
        # S2's text projection followed by a random map to the wider embedding.
        extend = randn(512, cfg["embed_dim"], scale=0.05)
        text["text.text_projection"] = text["text.text_projection"] @ extend
        ref["text_features"] = (torch.from_numpy(ref["text_features"]) @ extend).numpy()
    write_safetensors(os.path.join(folder, "open_clip_model.safetensors"), {**sd, **text})

    size = cfg["vision_cfg"]["image_size"]
    image = torch.rand((2, 3, size, size), generator=g) * 2 - 1
    with torch.no_grad():
        ref["image"], ref["image_features"] = image.numpy(), forward(sd, image).numpy()
    reference = os.path.join(work, name + ".npz")
    np.savez(reference, **ref)
    run = subprocess.run([oclip, "validate", folder, "--reference", reference, "--json"],
                         capture_output=True, text=True)
    report = json.loads(run.stdout)
    rows = report["checks"][0]["towers"]
    print(f"{name}: {len(sd)} image tensors; " + "; ".join(
        f"{r['tower']} rel {r['rel']:.3g}, cos {r['cos']:.12f}, maxabs {r['maxabs']:.3g} (max|r| {r['max_ref']:.3g})"
        for r in rows))
    assert run.returncode == 0 and report["pass"], run.stdout + run.stderr
    # The check can fail: the last block's MLP output weights perturbed by 1e-2 are caught (a
    # constant shift would vanish in the final LayerNorm).
    last = max(int(k.split(".")[3]) for k in sd if k.startswith(T + "blocks."))
    sd[f"{T}blocks.{last}.mlp.fc2.weight"] += randn(*sd[f"{T}blocks.{last}.mlp.fc2.weight"].shape, scale=1e-2)
    write_safetensors(os.path.join(folder, "open_clip_model.safetensors"), {**sd, **text})
    run = subprocess.run([oclip, "validate", folder, "--reference", reference, "--json"],
                         capture_output=True, text=True)
    assert run.returncode == 9 and not json.loads(run.stdout)["pass"], run.stdout
    shutil.rmtree(folder)


work = tempfile.mkdtemp(prefix="oclip-timm-vits-")
try:
    _, text_sd = converted_mobileclip_s2(tool, oclip, s2, work)
    check("mobileclip-b", "MobileCLIP-B", hybrid_weights, hybrid_forward, text_sd, work)
    check("mobileclip2-l14", "MobileCLIP2-L-14", clip_l14_weights, clip_l14_forward, text_sd, work)
finally:
    shutil.rmtree(work)
