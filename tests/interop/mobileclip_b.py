# MobileCLIP-B has no golden fixture here: a state dict with Apple's B image names (small
# shapes) and the real text tower of the regenerated MobileCLIP-S1 source checks the B rules:
# timm's hybrid renames, pos_embed losing axis 0 only, the transposed classifier projection
# with a new zero bias, and the causal text config.
# usage: /usr/bin/python3 mobileclip_b.py OCLIP CHECKPOINT_TOOL GOLDEN_DIR
import json
import os
import shutil
import subprocess
import sys
import tempfile

import torch

oclip, tool, golden = sys.argv[1:4]
work = tempfile.mkdtemp(prefix="oclip-mobileclip-b-")
try:
    s1 = os.path.join(work, "mobileclip_s1.pt")
    subprocess.run([tool, "regen", os.path.join(golden, "cases", "mobileclip-s1", "manifest.json"), s1], check=True)
    source = {k: v for k, v in torch.load(s1).items() if k.startswith("text_encoder.") or k == "logit_scale"}
    g = torch.Generator().manual_seed(0)
    image = {
        "patch_emb.0.block.conv.weight": (8, 3, 4, 4), "patch_emb.0.block.norm.weight": (8,),
        "patch_emb.0.block.norm.running_var": (8,), "patch_emb.2.block.conv.weight": (8, 8, 2, 2),
        "patch_emb.2.block.conv.bias": (8,), "cls_token": (1, 1, 8), "pos_embed.pos_embed.pos_embed": (1, 1, 196, 8),
        "transformer.0.pre_norm_mha.0.weight": (8,), "transformer.0.pre_norm_mha.1.qkv_proj.weight": (24, 8),
        "transformer.0.pre_norm_mha.1.out_proj.bias": (8,), "transformer.0.pre_norm_ffn.0.weight": (8,),
        "transformer.0.pre_norm_ffn.1.weight": (32, 8), "transformer.0.pre_norm_ffn.4.weight": (8, 32),
        "post_transformer_norm.bias": (8,), "classifier.proj": (8, 512),
    }
    for name, shape in image.items():
        source["image_encoder.model." + name] = torch.randn(shape, generator=g)
    source["image_encoder.model.patch_emb.0.block.norm.num_batches_tracked"] = torch.tensor(0)
    path = os.path.join(work, "mobileclip_b.pt")
    torch.save(source, path)
    out = os.path.join(work, "out")
    # The image tower is shrunk and partial, so it cannot run: only the names are checked here.
    run = subprocess.run([oclip, "convert", path, "-o", out, "--bin", "--no-validate"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    with open(os.path.join(out, "open_clip_config.json")) as f:
        config = json.load(f)
    assert config["model_cfg"]["vision_cfg"]["timm_model_name"] == "vit_base_mci_224", config
    assert not config["model_cfg"]["text_cfg"].get("no_causal_mask", False), "MobileCLIP-B's text tower is causal"
    assert config["preprocess_cfg"] == {"mean": [0.0, 0.0, 0.0], "std": [1.0, 1.0, 1.0], "interpolation": "bilinear",
                                        "resize_mode": "shortest"}, config
    sd = torch.load(os.path.join(out, "open_clip_pytorch_model.bin"), weights_only=True)
    t = "visual.trunk."
    m = "image_encoder.model."
    expected = {
        t + "patch_embed.backbone.0.conv.weight": source[m + "patch_emb.0.block.conv.weight"],
        t + "patch_embed.backbone.0.bn.running_var": source[m + "patch_emb.0.block.norm.running_var"],
        t + "patch_embed.backbone.2.conv.bias": source[m + "patch_emb.2.block.conv.bias"],
        t + "cls_token": source[m + "cls_token"],
        t + "pos_embed": source[m + "pos_embed.pos_embed.pos_embed"][0],
        t + "blocks.0.norm1.weight": source[m + "transformer.0.pre_norm_mha.0.weight"],
        t + "blocks.0.attn.qkv.weight": source[m + "transformer.0.pre_norm_mha.1.qkv_proj.weight"],
        t + "blocks.0.attn.proj.bias": source[m + "transformer.0.pre_norm_mha.1.out_proj.bias"],
        t + "blocks.0.norm2.weight": source[m + "transformer.0.pre_norm_ffn.0.weight"],
        t + "blocks.0.mlp.fc1.weight": source[m + "transformer.0.pre_norm_ffn.1.weight"],
        t + "blocks.0.mlp.fc2.weight": source[m + "transformer.0.pre_norm_ffn.4.weight"],
        t + "norm.bias": source[m + "post_transformer_norm.bias"],
        t + "head.weight": source[m + "classifier.proj"].t(),
        t + "head.bias": torch.zeros(512),
        t + "patch_embed.backbone.0.bn.num_batches_tracked": torch.tensor(0),
        "text.positional_embedding": source["text_encoder.positional_embedding.pos_embed.pos_embed"].reshape(77, 512),
        "text.text_projection": source["text_encoder.projection_layer"],
    }
    for name, want in expected.items():
        assert name in sd, name
        assert sd[name].shape == want.shape and torch.equal(sd[name], want), name
    image_out = [k for k in sd if k.startswith(t)]
    assert len(image_out) == len(image) + 2, sorted(image_out)  # + num_batches_tracked + the new bias
    print(f"MobileCLIP-B rules: {len(sd)} tensors, {len(expected)} checked by value")

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
