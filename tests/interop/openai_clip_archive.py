# OpenAI's CLIP layout (architectures.md) in torch, at ViT-B/32 size with random weights,
# traced with forward, encode_image and encode_text in float32, then cast as
# clip.model.convert_weights leaves it: a TorchScript archive like OpenAI's release.
#   /usr/bin/python3 openai_clip_archive.py OUT.pt      writes one
import math
import sys
from collections import OrderedDict

import torch
from torch import nn


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Block(nn.Module):
    def __init__(self, width, heads, mask=None):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_1 = nn.LayerNorm(width)
        self.mlp = nn.Sequential(OrderedDict([("c_fc", nn.Linear(width, 4 * width)), ("gelu", QuickGELU()),
                                              ("c_proj", nn.Linear(4 * width, width))]))
        self.ln_2 = nn.LayerNorm(width)
        self.mask = mask  # an attribute, not a buffer: OpenAI's state dict has no mask

    def forward(self, x):
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False, attn_mask=self.mask)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, mask=None):
        super().__init__()
        self.resblocks = nn.Sequential(*[Block(width, heads, mask) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class Visual(nn.Module):
    def __init__(self, resolution, patch, width, layers, heads, out):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, patch, patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(width) * width ** -0.5)
        self.positional_embedding = nn.Parameter(torch.randn((resolution // patch) ** 2 + 1, width) * width ** -0.5)
        self.ln_pre = nn.LayerNorm(width)
        self.transformer = Transformer(width, layers, heads)
        self.ln_post = nn.LayerNorm(width)
        self.proj = nn.Parameter(torch.randn(width, out) * width ** -0.5)

    def forward(self, x):
        x = self.conv1(x)
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        x = torch.cat([self.class_embedding + torch.zeros(x.shape[0], 1, x.shape[-1]), x], dim=1)
        x = self.ln_pre(x + self.positional_embedding).permute(1, 0, 2)
        x = self.transformer(x).permute(1, 0, 2)
        return self.ln_post(x[:, 0, :]) @ self.proj


class CLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.randn(77, 512) * 0.01)
        self.text_projection = nn.Parameter(torch.randn(512, 512) * 512 ** -0.5)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        for name, value in (("input_resolution", 224), ("context_length", 77), ("vocab_size", 49408)):
            self.register_buffer(name, torch.tensor(value))
        self.visual = Visual(224, 32, 768, 12, 12, 512)
        self.transformer = Transformer(512, 12, 8, torch.full((77, 77), float("-inf")).triu(1))
        self.token_embedding = nn.Embedding(49408, 512)
        self.ln_final = nn.LayerNorm(512)

    def encode_image(self, image):
        return self.visual(image)

    def encode_text(self, text):
        x = self.token_embedding(text) + self.positional_embedding
        x = self.ln_final(self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2))
        return x[torch.arange(x.shape[0]), text.argmax(dim=-1)] @ self.text_projection

    def forward(self, image, text):
        return self.encode_image(image), self.encode_text(text)


def is_half(name):  # what clip.model.convert_weights casts
    return name in ("text_projection", "visual.proj", "visual.conv1.weight") or any(
        part in name for part in (".attn.", ".mlp.c_fc.", ".mlp.c_proj."))


def vit_b32_archive():
    """The traced module, and the image and text it was traced with."""
    torch.manual_seed(0)
    model = CLIP().eval()
    with torch.no_grad():
        for name, p in model.named_parameters():  # biases and LayerNorms away from their defaults
            if name.endswith("bias"):
                p.copy_(torch.randn_like(p) * 0.1)
            elif ".ln_" in "." + name:
                p.copy_(1 + torch.randn_like(p) * 0.1)
        model.token_embedding.weight.mul_(0.02)
    image = torch.rand(2, 3, 224, 224) * 2 - 1
    text = torch.randint(1, 49000, (2, 77))
    text[0, 5], text[1, 76] = 49407, 49407  # end of text: where argmax pools
    with torch.no_grad():
        traced = torch.jit.trace_module(model, {"forward": (image, text), "encode_image": image,
                                                "encode_text": text})
        for name, p in traced.named_parameters():
            if is_half(name):
                p.data = p.data.half()
    return traced, image, text


if __name__ == "__main__":
    torch.jit.save(vit_b32_archive()[0], sys.argv[1])
