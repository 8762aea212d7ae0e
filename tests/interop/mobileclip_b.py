# MobileCLIP-B has no golden fixture here: Apple's B image tower at full size (random weights,
# 163 tensors, all of Apple's names) with the real text tower of the regenerated MobileCLIP-S1
# source. The expected open_clip state dict is computed here from conversions.md §B2.3 (timm's
# hybrid renames, pos_embed losing axis 0 only, the transposed classifier projection with a new
# zero bias) and must match oclip's output tensor for tensor: 313 -> 314.
# usage: /usr/bin/python3 mobileclip_b.py OCLIP CHECKPOINT_TOOL GOLDEN_DIR
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch

oclip, tool, golden = sys.argv[1:4]
g = torch.Generator().manual_seed(0)


def apple_b_image_tower():
    m = "image_encoder.model."
    sd = {}
    for i, (cout, cin, k) in enumerate([(192, 3, 4), (192, 192, 2)]):
        p = f"{m}patch_emb.{i}.block."
        sd[p + "conv.weight"] = torch.randn((cout, cin, k, k), generator=g) * 0.2
        for stat in ("weight", "bias", "running_mean", "running_var"):
            sd[p + "norm." + stat] = torch.rand(cout, generator=g) + 0.5
        sd[p + "norm.num_batches_tracked"] = torch.tensor(0)
    sd[m + "patch_emb.2.block.conv.weight"] = torch.randn((768, 192, 2, 2), generator=g) * 0.05
    sd[m + "patch_emb.2.block.conv.bias"] = torch.randn(768, generator=g)
    sd[m + "cls_token"] = torch.randn((1, 1, 768), generator=g)
    sd[m + "pos_embed.pos_embed.pos_embed"] = torch.randn((1, 1, 196, 768), generator=g)
    shapes = {"pre_norm_mha.0.weight": (768,), "pre_norm_mha.0.bias": (768,),
              "pre_norm_mha.1.qkv_proj.weight": (2304, 768), "pre_norm_mha.1.qkv_proj.bias": (2304,),
              "pre_norm_mha.1.out_proj.weight": (768, 768), "pre_norm_mha.1.out_proj.bias": (768,),
              "pre_norm_ffn.0.weight": (768,), "pre_norm_ffn.0.bias": (768,),
              "pre_norm_ffn.1.weight": (3072, 768), "pre_norm_ffn.1.bias": (3072,),
              "pre_norm_ffn.4.weight": (768, 3072), "pre_norm_ffn.4.bias": (768,)}
    for i in range(12):
        for name, shape in shapes.items():
            sd[f"{m}transformer.{i}.{name}"] = torch.randn(shape, generator=g) * 0.02
    sd[m + "post_transformer_norm.weight"] = torch.randn(768, generator=g)
    sd[m + "post_transformer_norm.bias"] = torch.randn(768, generator=g)
    sd[m + "classifier.proj"] = torch.randn((768, 512), generator=g) * 0.03
    return sd


# §B2.3, written from the table, not from oclip's code.
RENAMES = [("patch_emb.", "patch_embed.backbone."), ("block.conv", "conv"), ("block.norm", "bn"),
           ("post_transformer_norm.", "norm."), ("pre_norm_mha.0", "norm1"), ("pre_norm_mha.1", "attn"),
           ("pre_norm_ffn.0", "norm2"), ("pre_norm_ffn.1", "mlp.fc1"), ("pre_norm_ffn.4", "mlp.fc2"),
           ("qkv_proj.", "qkv."), ("out_proj.", "proj."), ("transformer.", "blocks.")]


def open_clip_image_tower(apple):
    out = {}
    for key, value in apple.items():
        key = key[len("image_encoder.model."):]
        if key == "pos_embed.pos_embed.pos_embed":
            out["visual.trunk.pos_embed"] = value[0]
            continue
        if "classifier.proj" in key:
            out["visual.trunk.head.weight"] = value.t()
            out["visual.trunk.head.bias"] = torch.zeros(512)
            continue
        for old, new in RENAMES:
            key = key.replace(old, new)
        out["visual.trunk." + key] = value
    return out


work = tempfile.mkdtemp(prefix="oclip-mobileclip-b-")
try:
    s1 = os.path.join(work, "mobileclip_s1.pt")
    subprocess.run([tool, "regen", os.path.join(golden, "cases", "mobileclip-s1", "manifest.json"), s1], check=True)
    source = {k: v for k, v in torch.load(s1).items() if k.startswith("text_encoder.") or k == "logit_scale"}
    image = apple_b_image_tower()
    source.update(image)
    assert len(source) == 313, len(source)
    path = os.path.join(work, "mobileclip_b.pt")
    torch.save(source, path)
    out = os.path.join(work, "out")
    # Apple's B and open_clip's differ numerically (stem padding, LayerNorm eps; golden README),
    # so there is no reference to validate against: the check is tensor for tensor.
    run = subprocess.run([oclip, "convert", path, "-o", out, "--bin", "--no-validate", "--json"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["model"] == "MobileCLIP-B", run.stdout
    with open(os.path.join(out, "open_clip_config.json")) as f:
        config = json.load(f)
    assert config["model_cfg"]["vision_cfg"]["timm_model_name"] == "vit_base_mci_224", config
    assert not config["model_cfg"]["text_cfg"].get("no_causal_mask", False), "MobileCLIP-B's text tower is causal"
    assert config["preprocess_cfg"] == {"mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0], "interpolation": "bilinear",
                                        "resize_mode": "shortest"}, config
    sd = torch.load(os.path.join(out, "open_clip_pytorch_model.bin"), weights_only=True)
    assert len(sd) == 314, len(sd)
    expected = open_clip_image_tower(image)
    expected["text.positional_embedding"] = source["text_encoder.positional_embedding.pos_embed.pos_embed"].reshape(77, 512)
    expected["text.text_projection"] = source["text_encoder.projection_layer"]
    for name, want in expected.items():
        assert name in sd, name
        assert sd[name].shape == want.shape and torch.equal(sd[name], want), name
    image_out = [k for k in sd if k.startswith("visual.")]
    assert sorted(image_out) == sorted(k for k in expected if k.startswith("visual.")), sorted(image_out)
    print(f"MobileCLIP-B: {len(source)} -> {len(sd)} tensors, all {len(image_out)} image tensors checked by value")

    del source["image_encoder.model.transformer.11.pre_norm_ffn.4.bias"]
    torch.save(source, path)
    run = subprocess.run([oclip, "convert", path, "-o", os.path.join(work, "b")], capture_output=True, text=True)
    assert run.returncode == 8 and "attention block 11 lacks 'mlp.fc2.bias' (block 0 has it, from image_encoder.model.transformer.0.pre_norm_ffn.4.bias)" in run.stderr, run.stderr
    assert not os.path.exists(os.path.join(work, "b"))

    damaged = torch.load(s1)
    del damaged["image_encoder.model.network.2.3.convffn.conv.bn.running_var"]
    torch.save(damaged, os.path.join(work, "damaged.pt"))
    run = subprocess.run([oclip, "convert", os.path.join(work, "damaged.pt"), "-o", os.path.join(work, "d")],
                         capture_output=True, text=True)
    assert run.returncode == 8, run.stderr
    assert "RepMixer block 1.3 lacks 'mlp.conv.bn.running_var'" in run.stderr, run.stderr
    assert not os.path.exists(os.path.join(work, "d"))
finally:
    shutil.rmtree(work, ignore_errors=True)
